"""Why two records were (or were not) matched: Splink's waterfall of match weights.

An auditor challenged on a match needs more than a probability: the waterfall
starts at the prior (how rare duplicates are) and adds one weight per compared
field, so "same IIN +13.2, name transliteration-equal +7.9, district differs
-1.1" can be read off and argued with. Works for any pair, blocked or not.
"""

from __future__ import annotations

from pathlib import Path

from splink import DuckDBAPI
from splink.internals.waterfall_chart import records_to_waterfall_data

from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.errors import InputError
from payproof.linkage.dedupe import DedupeResult, quiet_splink, to_backend


def _record(engine: DuckDBEngine, table: str, record_id: str) -> dict:
    rel = engine.con.execute(f"SELECT * FROM {table} WHERE unique_id = ?", [str(record_id)])
    names = [d[0] for d in rel.description]
    rows = rel.fetchall()
    if not rows:
        raise InputError(f"No record {record_id} in {table}.", fix="Give an ID from the input.")
    return dict(zip(names, rows[0], strict=True))


def _scorable(engine: DuckDBEngine, linker, table: str, record_id: str):
    """The record as Splink's ``score_pair`` takes it: a dict for DuckDB; for another
    backend a typed one-row table there (Spark cannot type a value that is None)."""
    record = _record(engine, table, record_id)
    api = linker._db_api
    if isinstance(api, DuckDBAPI):
        return record
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
            chart.save(str(html))
    return data
