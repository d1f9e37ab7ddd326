"""``payproof inspect``: sniff a folder of exports and propose an import mapping."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
import yaml
from rich.console import Console
from rich.table import Table

HEADER_COMMENT = """\
# Import mapping proposed by `payproof inspect` on {today} for {folder}.
# Review every line (the evidence is in the command's output), then run e.g.
#   payproof audit {folder} --out RESULTS --mapping {out}
# Keys: docs/importing.md. Values the mapping cannot read are rejected, row by row.
"""


def inspect(
    input_dir: Path = typer.Argument(..., help="Folder of the exports to look at."),
    out: Path = typer.Option(
        None, "--out", "-o", help="Write the proposed mapping (YAML) to this file."
    ),
    force: bool = typer.Option(False, "--force", help="Replace --out if it exists."),
) -> None:
    """Look at each export file and propose an import mapping, with the evidence.

    Detects the encoding, delimiter, decimal mark, thousands separator, date and
    period formats, which file is which table and which column is which, from a
    sample of each file. Review the mapping, then pass it to audit, ghosts or
    ledger append with --mapping.
    """
    from payproof.errors import UsageError
    from payproof.ingest.inspect import inspect_folder, proposed_mapping
    from payproof.ingest.mapping import parse_mapping

    if out is not None and out.exists() and not force:
        raise UsageError(
            f"{out} already exists.", fix="Give another --out file, or --force to replace it."
        )
    console = Console()
    guesses = inspect_folder(input_dir)
    for g in guesses:
        console.print(_file_table(g))
        for line in g.evidence:
            console.print(f"  [dim]{line}[/]", highlight=False)
        if g.missing:
            console.print(
                f"  [red]required column(s) not found: {', '.join(g.missing)}[/] "
                "- add them under columns: in the mapping",
                highlight=False,
            )
        if g.unmatched:
            console.print(f"  [dim]ignored columns: {', '.join(g.unmatched)}[/]", highlight=False)
        for w in g.warnings:
            console.print(f"  [yellow]{w}[/]", highlight=False)
    if not any(g.table for g in guesses):
        console.print("[red]No file looks like a payproof table.[/] See docs/importing.md.")
        return
    found = {g.table for g in guesses}
    missing = [t for t in ("families", "disbursements") if t not in found]
    if "entitlements" not in found and "children" not in found:
        missing.append("entitlements or children")
    if missing:
        console.print(
            f"[red]No file looks like the required table(s): {', '.join(missing)}.[/] "
            "Add their files under tables: in the mapping (docs/importing.md).",
            highlight=False,
        )
    mapping = proposed_mapping(guesses)
    text = yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False, width=100)
    parse_mapping(text, source="the proposed mapping")  # never write one that cannot load
    if out is None:
        console.print("\n[bold]Proposed mapping[/] (write it with --out FILE):")
        console.print(text, highlight=False, markup=False)
        return
    header = HEADER_COMMENT.format(today=date.today(), folder=input_dir, out=out)
    out.write_text(header + text, encoding="utf-8")
    console.print(f"\nProposed mapping written to {out}: review it, then pass --mapping {out}.")


def _file_table(g) -> Table:
    title = f"{g.path.name}: " + (g.table or "[red]not recognised[/]")
    if g.table:
        text = f"{g.encoding or 'utf-8'}, delimiter {g.delimiter!r}, " if g.delimiter else ""
        title += f" ({text}{g.records:,} records sampled)"
    table = Table(title=title, title_justify="left")
    for col in ("header in the file", "contract column", "evidence"):
        table.add_column(col)
    for c in g.columns:
        table.add_row(c.header, c.column, c.evidence)
    return table
