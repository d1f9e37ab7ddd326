"""Why two records were (or were not) matched: Splink's waterfall of match weights.

An auditor challenged on a match needs more than a probability: the waterfall
starts at the prior (how rare duplicates are) and adds one weight per compared
field, so "same IIN +13.2, name transliteration-equal +7.9, district differs
-1.1" can be read off and argued with. Works for any pair, blocked or not.
"""

from __future__ import annotations

import json
from pathlib import Path

from splink import DuckDBAPI, Linker
from splink.internals.waterfall_chart import records_to_waterfall_data

from payproof.engine.duckdb_engine import DuckDBEngine, sql_literal
from payproof.errors import InputError, UsageError
from payproof.linkage.dedupe import DedupeResult, quiet_splink, to_backend

STORES = ("ghosts.duckdb", "payproof.duckdb")  # what `payproof ghosts` / `payproof audit` write
PREFIXES = {"mothers": ("mother", "family_id"), "children": ("child", "child_id")}


def _record(engine: DuckDBEngine, table: str, record_id: str) -> dict:
    rel = engine.con.execute(f"SELECT * FROM {table} WHERE unique_id = ?", [str(record_id)])
    names = [d[0] for d in rel.description]
    rows = rel.fetchall()
    if not rows:
        raise InputError(f"No record {record_id} in {table}.", fix="Give an ID from the input.")
    return dict(zip(names, rows[0], strict=True))


def _scorable(engine: DuckDBEngine, linker, table: str, record_id: str):
    """The record as Splink's ``score_pair`` takes it: a typed one-row table on the
    linker's backend (a dict's None has no type: Spark cannot type it, and DuckDB cannot
    choose a function for a NULL birth date)."""
    _record(engine, table, record_id)  # says clearly when the record does not exist
    api = linker._db_api
    row = engine.arrow(f"SELECT * FROM {table} WHERE unique_id = ?", [str(record_id)])
    return api.register(to_backend(api, row))


def explain_pair(
    engine: DuckDBEngine,
    result: DedupeResult,
    id_l: str,
    id_r: str,
    *,
    html: str | Path | None = None,
    hide_details: bool = False,
) -> list[dict]:
    """Waterfall rows (prior, one per comparison, final) for records ``id_l`` and ``id_r``.

    Each row has ``column_name``, ``label_for_charts`` (the level reached),
    ``log2_bayes_factor`` (the weight it adds) and ``bayes_factor``; the last row holds
    the total match weight and probability. ``html`` also writes Splink's chart (weights
    only, no personal data); ``hide_details`` leaves the compared values out of the rows.
    """
    linker = result.linker
    left = _scorable(engine, linker, result.records_table, id_l)
    right = _scorable(engine, linker, result.records_table, id_r)
    with quiet_splink():
        records = linker.inference.score_pair(left, right).as_record_list()
        data = records_to_waterfall_data(records, linker._settings_obj, hide_details)
        if html:
            chart = linker.visualisations.waterfall_chart(
                records, remove_sensitive_data=hide_details
            )
            Path(html).parent.mkdir(parents=True, exist_ok=True)
            chart.save(str(html))
    return data


def tf_columns(settings: dict) -> list[str]:
    """Columns whose levels are adjusted for value frequency in a saved model."""
    levels = [lvl for comp in settings["comparisons"] for lvl in comp["comparison_levels"]]
    return sorted({c for lvl in levels if (c := lvl.get("tf_adjustment_column"))})


def explain_saved(
    out_dir: str | Path,
    id_l: str,
    id_r: str,
    *,
    kind: str = "mothers",
    html: str | Path | None = None,
) -> list[dict]:
    """The waterfall for two records of a finished ``payproof ghosts`` or ``audit`` folder.

    Uses the trained model saved beside the store (``mothers_model.json``), so the
    weights are exactly those the run used; the store is opened read-only.
    """
    out_dir = Path(out_dir)
    id_l, id_r = str(id_l).strip(), str(id_r).strip()  # as ingest trims identifiers
    if kind not in PREFIXES:
        raise InputError(f"Unknown record kind {kind!r}.", fix="Use mothers or children.")
    if id_l == id_r:
        raise UsageError(f"Both IDs are {id_l!r}: a record always matches itself.",
                         fix="Give two different record IDs.")  # fmt: skip
    store = next((out_dir / n for n in STORES if (out_dir / n).is_file()), None)
    model = out_dir / f"{kind}_model.json"
    if store is None or not model.is_file():
        raise InputError(
            f"{out_dir} holds no {kind} model and store (ghosts.duckdb or payproof.duckdb "
            f"with {model.name}).",
            fix="Give the --out folder of a finished `payproof ghosts` or `payproof audit` run.",
        )
    prefix, id_column = PREFIXES[kind]
    engine = DuckDBEngine()
    try:
        engine.execute(f"ATTACH {sql_literal(str(store))} AS store (READ_ONLY)")
        if not engine.rows(
            "SELECT 1 FROM duckdb_tables() WHERE database_name = 'store' AND table_name = ?",
            [f"{prefix}_records"],
        ):
            raise InputError(f"{store} has no {prefix}_records table.",
                             fix="Re-run the command that wrote this folder.")  # fmt: skip
        engine.materialise(
            "lk_explain",
            f"SELECT * FROM store.{prefix}_records "
            f"WHERE unique_id IN ({sql_literal(str(id_l))}, {sql_literal(str(id_r))})",
        )
        found = {r[0] for r in engine.rows("SELECT unique_id FROM lk_explain")}
        for rid in (id_l, id_r):
            if str(rid) not in found:
                raise InputError(
                    f"No {kind} record {rid} in {store}.",
                    fix=f"Give a {id_column} from the input's {kind} records.",
                )
        # the linker sees every record: the name frequencies (term frequency
        # adjustments) are those of the whole registry, as in the run
        engine.execute(f"CREATE TEMP VIEW lk_all AS SELECT * FROM store.{prefix}_records")
        with quiet_splink():
            db_api = DuckDBAPI(connection=engine.con)
            settings = json.loads(model.read_text(encoding="utf-8"))
            linker = Linker(db_api.register("lk_all"), settings, log_level=None)
            for col in tf_columns(settings):
                linker.table_management.compute_tf_table(col)
        result = DedupeResult(
            kind=kind, records_table="lk_explain", pairs_table="", clusters_table="",
            id_column=id_column, threshold=0.0, linker=linker,
        )  # fmt: skip
        return explain_pair(engine, result, id_l, id_r, html=html, hide_details=True)
    finally:
        engine.close()
