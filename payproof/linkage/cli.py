"""``payproof ghosts``: duplicate mothers and children, with evidence per pair."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

STEP_WORDS = {
    "ingest": "Checking and loading every input row",
    "mothers": "Training and scoring the mothers' model",
    "children": "Training and scoring the children's model",
    "flags": "Computing red flags and money at stake",
    "outputs": "Writing duplicates.csv, clusters.csv and ghosts_summary.json",
}


def _table(summary: dict) -> Table:
    table = Table(title="Duplicates found", title_justify="left")
    for col in ("records", "of", "matched pairs", "duplicate clusters", "surplus records"):
        table.add_column(col, justify="left" if col == "records" else "right")
    for kind in ("mothers", "children"):
        part = summary.get(kind)
        if not part:
            continue
        c = part["counts"]
        table.add_row(kind, f"{c['records']:,}", f"{c['matched_pairs']:,}",
                      f"{c['duplicate_clusters']:,}", f"{c['surplus_records']:,}")  # fmt: skip
    return table


def _quality_lines(summary: dict) -> list[str]:
    lines = []
    for kind in ("mothers", "children"):
        part = summary.get(kind)
        if not part:
            continue
        q = part["data_quality"]
        fine = ("valid", "missing", "placeholder", "leading_zero_lost", "plain")
        bad_iin = sum(v for k, v in q["iin"].items() if k not in fine)
        problems = {
            "invalid IINs": bad_iin, "missing IDs": q["iin"]["missing"],
            "placeholder IINs (one digit repeated)": q["iin"].get("placeholder", 0),
            "IINs missing their leading 0 (stored as numbers)": q["iin"].get(
                "leading_zero_lost", 0),
            "missing names": q["name_missing"], "placeholder names": q["name_placeholder"],
            "names without letters": q["name_unusable"],
            "mixed-script names": q["name_mixed_script"],
            "names whose parts (surname, given name, patronymic) differ from the full name "
            "(the parts are compared)": q.get("name_parts_differ", 0),
            "missing birth dates": q["birth_date_missing"],
        }  # fmt: skip
        found = ", ".join(f"{v:,} {k}" for k, v in problems.items() if v)
        if found:
            lines.append(f"{kind}: {found} (compared as far as the data allows).")
        if q["columns_missing"]:
            absent = ", ".join(q["columns_missing"])
            lines.append(f"{kind}: columns absent or empty in every record: {absent}.")
        lines.extend(f"{kind}: {note}." for note in part.get("training_notes", ()))
        unchecked = part.get("counts", {}).get("clusters_not_checked", 0)
        if unchecked:
            from payproof.linkage.split import SPLIT_CHECK_MAX  # splink: only when needed

            lines.append(
                f"{kind}: {unchecked:,} clusters of more than {SPLIT_CHECK_MAX:,} distinct "
                "records were not checked for records the model judges different people: "
                "no family's chain is that varied, so read them as chains to investigate, "
                "not as duplicates (clusters.csv, cluster_size)."
            )
        cut = part.get("counts", {}).get("clusters_cut", 0)
        if cut:
            from payproof.linkage.split import SPLIT_CHECK_MAX, SPLIT_PIECE_MAX

            lines.append(
                f"{kind}: {cut:,} {'chain' if cut == 1 else 'chains'} of matches joined more "
                f"than {SPLIT_CHECK_MAX:,} distinct records, cut at the weakest matches into "
                f"pieces of at most {SPLIT_PIECE_MAX:,} before the check (the matches cut have "
                "is_match false in the pairs)."
            )
    return lines


def _ingest_lines(summary: dict, out: Path) -> list[str]:
    """Rows the checks rejected, by table, and warnings: never left to the JSON alone."""
    by_table = summary.get("ingest_rejected_by_table", {})
    rejected = ", ".join(f"{n:,} {t}" for t, n in by_table.items() if n)
    warnings = summary.get("ingest_warnings", 0)
    if not rejected and not warnings:
        return []
    said = []
    if rejected:
        said.append(f"rows rejected and left out: {rejected}")
    if warnings:
        said.append(f"{warnings:,} warnings on rows kept (e.g. a name or IIN left empty)")
    lines = ["Input: " + "; ".join(said) + f". Every one is listed in {out / 'rejects.csv'} "
             "(file, line, column, value, reason)."]  # fmt: skip
    if by_table.get("families") or by_table.get("children"):
        lines.append("Rejected registry rows are not compared for duplicates; a family whose "
                     "record was rejected but was paid is flagged not_in_registry.")  # fmt: skip
    return lines


def _db_api(engine: str):
    """None for DuckDB (the store's own connection), else a Splink API for ``engine``."""
    from payproof.errors import UsageError

    if engine == "duckdb":
        return None
    if engine == "spark":
        from payproof.linkage.spark import spark_api

        return spark_api()
    raise UsageError(f"Unknown --engine {engine!r}.", fix="Give --engine duckdb or spark.")


def ghosts(
    input_dir: Path = typer.Argument(..., help="Folder with families, children, … (the audit's)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the outputs (created)."),
    threshold: float = typer.Option(
        None, "--threshold", help="Match probability at which a pair is a duplicate (0.9)."
    ),
    memory_limit: str = typer.Option(
        None, "--memory-limit", help="DuckDB memory limit, e.g. 2GB (default 4GB); spills beyond."
    ),
    engine: str = typer.Option(
        "duckdb",
        "--engine",
        help="Where Splink trains and scores: duckdb, or spark (a local "
        "Spark session; needs pip install 'payproof[spark]' and Java).",
    ),  # fmt: skip
    mapping: Path = typer.Option(
        None, "--mapping", help="Import mapping (YAML) for exports in other formats; see "
        "docs/importing.md and `payproof inspect`."
    ),
    id_scheme: str = typer.Option(
        "auto", "--national-id", help="How mother_id and child_national_id are read: iin "
        "(Kazakh IINs, validated), plain (another country's IDs, compared as text) or auto "
        "(IINs when most IDs have an IIN's 12 digits)."
    ),
) -> None:
    """Find mothers and children registered twice (probabilistic record linkage).

    Writes duplicates.csv (one row per matched pair: probability and the evidence
    per field), clusters.csv (record -> cluster), ghosts_summary.json, the trained
    models (*_model.json) and the DuckDB store ghosts.duckdb into --out. These
    files hold record IDs of real people: keep them with the auditors.
    """
    from payproof.ingest.mapping import load_mapping
    from payproof.linkage.run import run_ghosts

    mapping_obj = load_mapping(mapping) if mapping else None
    db_api = _db_api(engine)
    console = Console()
    with console.status("Starting…") as status:

        def progress(step: str) -> None:
            status.update(STEP_WORDS.get(step, step) + "…")

        result = run_ghosts(
            input_dir, out, threshold=threshold, memory_limit=memory_limit, progress=progress,
            db_api=db_api, mapping=mapping_obj, id_scheme=id_scheme,
        )  # fmt: skip
    console.print(_table(result.summary))
    for line in _ingest_lines(result.summary, out):
        console.print(f"[yellow]{line}[/]")
    for line in _quality_lines(result.summary):
        console.print(f"[yellow]{line}[/]")
    console.print(
        f"Pairs with evidence: {out / 'duplicates.csv'}; clusters: {out / 'clusters.csv'}."
    )
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    console.print(f"[dim]Took {timings}.[/]")


def explain(
    out: Path = typer.Argument(..., help="The --out folder of a `payproof ghosts` or audit run."),
    id_l: str = typer.Argument(..., help="First record ID (family_id, or child_id)."),
    id_r: str = typer.Argument(..., help="Second record ID."),
    kind: str = typer.Option("mothers", "--kind", help="mothers or children."),
    html: Path = typer.Option(None, "--html", help="Also write Splink's waterfall chart here."),
) -> None:
    """Why two records were (or were not) judged one person: the weight of each field.

    Starts from the prior (how rare a duplicate is), adds one weight per compared
    field in bits (positive: evidence for one person), and ends with the match
    probability. Works for any two records, matched or not. Prints levels and
    weights only, never names or IDs' values.
    """
    from payproof.linkage.explain import explain_saved

    rows = explain_saved(out, id_l, id_r, kind=kind, html=html)
    table = Table(title=f"{kind}: {id_l} vs {id_r}", title_justify="left")
    for col in ("field", "level reached", "weight (bits)", "running total"):
        table.add_column(col, justify="right" if "weight" in col or "total" in col else "left")
    total = 0.0
    for row in rows[:-1]:
        total += row["log2_bayes_factor"]
        weight = row["log2_bayes_factor"]
        colour = "green" if weight > 0 else "red" if weight < 0 else "dim"
        table.add_row(row["column_name"], row["label_for_charts"],
                      f"[{colour}]{weight:+.2f}[/]", f"{total:+.2f}")  # fmt: skip
    console = Console()
    console.print(table)
    probability = 2**total / (1 + 2**total)
    console.print(f"Match weight {total:+.2f} bits: probability {probability:.6f}.")
    if html:
        console.print(f"Chart: {html}")
