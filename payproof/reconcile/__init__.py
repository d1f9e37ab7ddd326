"""Three-way reconciliation (entitled, disbursed, received) and attribution of losses.

``reconcile`` turns the typed input tables into ``findings`` (one row per
family-month); ``attribute`` adds ``staff_results`` and ``office_results``.
Both run portable SQL steps on an engine adapter; see docs/reconciliation.md.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from payproof.engine.dialect import dialect_of
from payproof.engine.duckdb_engine import sql_literal
from payproof.money import sql_major_units
from payproof.reconcile.attribution import attribution_steps, offices_sql, regions_sql
from payproof.reconcile.significance import FlagSettings, benjamini_hochberg, flag_units
from payproof.reconcile.steps import FLAGS, ChildRules, reconcile_steps, status_sql

__all__ = [
    "FLAGS",
    "ChildRules",
    "FlagSettings",
    "attribute",
    "benjamini_hochberg",
    "reconcile",
    "reconcile_steps",
    "status_sql",
    "flag_units",
]

Progress = Callable[[str], None] | None

MONEY_COLUMNS = ("entitled", "disbursed", "received", "delivered", "owed", "not_disbursed",
                 "lost_in_delivery", "excess")  # fmt: skip
FINDINGS_COLUMNS = (
    "family_id", "period", "district", "office_id", "staff_id", "n_disbursements",
    *MONEY_COLUMNS, "status", "flags", "entitlement_source", "evidence",
)  # fmt: skip


def _stream_findings(engine, sql: str, path: Path) -> None:
    """Write the findings straight into their Parquet output, then read them from there.

    Streaming keeps tens of millions of family-months out of memory; a temp view
    turns money back into minor units so later steps see the same table.
    """
    out_cols = ", ".join(
        f"{sql_major_units(c)} AS {c}" if c in MONEY_COLUMNS else c for c in FINDINGS_COLUMNS
    )
    engine.execute(
        f"COPY (SELECT {out_cols} FROM ({sql}) x) TO {sql_literal(str(path))} "
        "(FORMAT parquet, COMPRESSION zstd)"
    )
    in_cols = ", ".join(
        f"CAST({c} * 100 AS BIGINT) AS {c}" if c in MONEY_COLUMNS else c for c in FINDINGS_COLUMNS
    )
    engine.execute(
        f"CREATE OR REPLACE TEMP VIEW findings AS SELECT {in_cols} "
        f"FROM read_parquet({sql_literal(str(path))})"
    )


def _run(engine, steps: list[tuple[str, str]], progress: Progress) -> None:
    """Materialise each step as a scratch (temp) table: kept in memory, spilled if needed,
    never written into the store file."""
    for name, sql in steps:
        if progress:
            progress(name)
        engine.materialise(name, sql, temp=True)


def reconcile(
    engine,
    *,
    entitlements: str = "entitlements",
    entitlement_source_column: str | None = None,
    child_rules: ChildRules | None = None,
    findings_file: Path | None = None,
    progress: Progress = None,
) -> None:
    """Create ``findings`` from families, children, offices, disbursements, receipts.

    With ``findings_file`` the findings are streamed into that Parquet file (the
    audit's output) and ``findings`` is a view over it; otherwise a temp table.
    """
    with_children = bool(
        engine.has_table("children") and engine.scalar("SELECT count(*) > 0 FROM children")
    )
    steps = reconcile_steps(
        entitlements=entitlements,
        entitlement_source_column=entitlement_source_column,
        with_children=with_children,
        child_rules=child_rules,
        dialect=dialect_of(engine),
    )
    _run(engine, steps[:-1], progress)
    name, sql = steps[-1]
    if progress:
        progress(name)
    if findings_file is None:
        engine.materialise(name, sql, temp=True)
    else:
        _stream_findings(engine, sql, Path(findings_file))


def attribute(engine, settings: FlagSettings | None = None, progress: Progress = None) -> dict:
    """Create ``staff_results``, ``office_results`` and ``region_results`` from ``findings``.

    Returns the dispersion estimated for each level of test (for summary.json).
    """
    _run(engine, attribution_steps(dialect=dialect_of(engine)), progress)
    if progress:
        progress("tests")
    result = flag_units(
        engine.arrow("SELECT * FROM at_staff ORDER BY staff_id"),
        engine.arrow("SELECT * FROM at_staff_months"),
        settings,
    )
    engine.register_arrow("staff_tested", result.staff)
    engine.register_arrow("office_tested", result.offices)
    engine.register_arrow("region_tested", result.regions)
    engine.materialise("staff_results", "SELECT * FROM staff_tested ORDER BY staff_id")
    if progress:
        progress("offices")
    engine.materialise(
        "office_results",
        offices_sql("findings", "at_lines", "at_remainders", "staff_results", "office_tested")
        + " ORDER BY 1",
    )
    engine.materialise(
        "region_results", regions_sql("office_results", "region_tested") + " ORDER BY 1"
    )
    values = ", ".join(f"('{k}', {v!r})" for k, v in result.dispersion.items())
    engine.materialise(
        "attribution_dispersion", f"SELECT * FROM (VALUES {values}) t(test, rho) ORDER BY 1"
    )
    for view in ("staff_tested", "office_tested", "region_tested"):
        engine.execute(f"DROP VIEW IF EXISTS {view}")
    return result.dispersion
