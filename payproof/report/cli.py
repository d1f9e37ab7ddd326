"""``payproof report OUT``: (re)write report.html from an audit output folder."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from payproof.i18n import LANG_HELP


def report(
    out: Path = typer.Argument(..., help="The audit output folder (from `payproof audit`)."),
    title: str = typer.Option(None, "--title", help="Report title (default: a plain one)."),
    quiet: bool = typer.Option(False, "--quiet", help="Do not print the summary table."),
    lang: str = typer.Option(None, "--lang", help=LANG_HELP),
) -> None:
    """Write OUT/report.html (one self-contained file, opens offline) and print a summary."""
    from payproof.i18n import check_lang, translator
    from payproof.lifecycle import publish
    from payproof.report import print_summary, write_report
    from payproof.report.html import REPORT_FILE

    tr = translator(check_lang(lang))

    def write() -> None:
        extra = []
        if (out / "red_flags.csv").exists():  # the audit ran ghost detection
            from payproof.linkage.report import ghost_section

            extra.append(ghost_section(out, tr=tr))
        if (out / "excluded.csv").exists():  # the input had a register or applications
            from payproof.report.excluded import excluded_section

            extra.append(excluded_section(out, tr=tr))
        write_report(out, title=title, extra_sections=extra, tr=tr)

    path = publish(out, REPORT_FILE, write)
    if not quiet:
        print_summary(out, Console(), tr)
    else:
        typer.echo(str(path))
