"""``payproof audit`` and ``payproof demo``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from payproof.i18n import EN, LANG_HELP, N_, Translator

STEP_WORDS = {
    "ingest": N_("Checking and loading every input row"),
    "entitlements": N_("Computing entitlements from the rules"),
    "reconcile": N_("Reconciling entitled, disbursed and received"),
    "attribution": N_("Attributing losses to offices and staff"),
    "ghosts": N_("Looking for mothers registered twice"),
    "red flags": N_("Checking the registry for red flags"),
    "outputs": N_("Writing findings and tables"),
    "report": N_("Rendering report.html"),
}
INGEST_COLUMNS = {"table": N_("table"), "file": N_("file"), "read": N_("read"),
                  "accepted": N_("accepted"), "rejected": N_("rejected"),
                  "warnings": N_("warnings")}  # fmt: skip


def _ingest_table(result, tr: Translator = EN) -> Table:
    table = Table(title=tr._("Input rows"), title_justify="left")
    for col in ("table", "file", "read", "accepted", "rejected", "warnings"):
        table.add_column(tr._(INGEST_COLUMNS[col]),
                         justify="right" if col not in ("table", "file") else "left")  # fmt: skip
    for name, t in result.ingest.tables.items():
        if t.file is None:
            continue
        table.add_row(
            name, t.file, f"{t.rows_read:,}", f"{t.rows_accepted:,}",
            f"[red]{t.rows_rejected:,}[/]" if t.rows_rejected else "0",
            f"{t.warnings:,}",
        )  # fmt: skip
    return table


def _run(input_dir: Path, out: Path, console: Console, lang: str | None = None, **options):
    from payproof.audit import run_audit
    from payproof.i18n import check_lang, translator
    from payproof.report import print_summary

    lang = check_lang(lang)
    tr = translator(lang)
    with console.status(tr._("Starting the audit…")) as status:

        def progress(step: str) -> None:
            status.update((tr._(STEP_WORDS[step]) if step in STEP_WORDS else step) + "…")

        result = run_audit(input_dir, out, progress=progress, lang=lang, **options)
    console.print(_ingest_table(result, tr))
    if result.ingest.rejected or result.summary["rejects"]["warnings"]:
        console.print(
            tr._("Problems found in the input are listed in {path} "
                 "(file, line, column, value, reason).").format(path=out / "rejects.csv")
        )  # fmt: skip
    if options.get("report", True):
        print_summary(out, console, tr)
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    console.print("[dim]" + tr._("Took {timings}.").format(timings=timings) + "[/]")
    return result


def audit(
    input_dir: Path = typer.Argument(
        ..., help="Folder with families, disbursements, receipts, … (CSV, Parquet or XLSX)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the outputs (created)."),
    rules: str = typer.Option(
        None, "--rules", help="Rules name or YAML file (default: kz-large-family)."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Stop with exit code 4 if any input row is rejected."
    ),
    memory_limit: str = typer.Option(
        None, "--memory-limit", help="DuckDB memory limit, e.g. 2GB (default 4GB); spills beyond."
    ),
    threads: int = typer.Option(None, "--threads", help="Worker threads (default: all cores)."),
    no_report: bool = typer.Option(False, "--no-report", help="Skip report.html."),
    no_ghosts: bool = typer.Option(
        False,
        "--no-ghosts",
        help="Skip duplicate-mother detection and the registry red flags (faster).",
    ),
    mapping: Path = typer.Option(
        None, "--mapping", help="Import mapping (YAML) for exports in other formats; see "
        "docs/importing.md and `payproof inspect`."
    ),
    lang: str = typer.Option(None, "--lang", help=LANG_HELP),
) -> None:
    """Audit a programme: what each family was owed, paid and received, and who took the rest.

    Writes findings.parquet, families.csv, staff.csv, offices.csv, regions.csv, rejects.csv,
    summary.json, report.html and the DuckDB store payproof.duckdb into --out.
    """
    from payproof.ingest.mapping import load_mapping

    _run(
        input_dir,
        out,
        Console(),
        lang=lang,
        mapping=load_mapping(mapping) if mapping else None,
        rules=rules,
        strict=strict,
        memory_limit=memory_limit,
        threads=threads,
        report=not no_report,
        ghosts=not no_ghosts,
    )


def demo(
    folder: Path = typer.Argument(
        Path("payproof-demo"), help="Folder for the demo programme and its audit."
    ),
    families: int = typer.Option(20_000, "--families", help="Registered families."),
    seed: int = typer.Option(20220401, "--seed", help="Random seed."),
    lang: str = typer.Option(None, "--lang", help=LANG_HELP),
) -> None:
    """Generate a synthetic programme with injected fraud, audit it, and show the report."""
    from payproof.scenario.cli import generate_into
    from payproof.scenario.config import ScenarioConfig

    console = Console()
    input_dir, out = folder / "input", folder / "audit"
    with console.status(f"Generating a programme of {families:,} families (one year)…"):
        # the demo's own folder: an earlier demo programme there is replaced
        generate_into(input_dir, ScenarioConfig(families=families, seed=seed), overwrite=True)
    console.print(
        f"Synthetic input written to {input_dir} (the injected fraud is in {input_dir / 'truth'})."
    )
    _run(input_dir, out, console, lang=lang)
    console.print(
        f"\n[bold]Open the report:[/] {(out / 'report.html').resolve().as_uri()}\n"
        f"Audit your own data: payproof audit YOUR_FOLDER --out RESULTS "
        "(see docs/data-contract.md)."
    )
    from payproof.portal.demo import sample_iins

    iins = ", ".join(sample_iins(out))
    console.print(
        f"[bold]Beneficiaries' portal:[/] payproof serve {folder} — sign in as a demo mother "
        f"(IIN {iins}); the one-time codes appear in that terminal."
    )
