"""Append a programme's tables to the log: each record once, in durable signed batches.

Before anything is written, every row is classified against the private record index
(payproof.ledger.index) in DuckDB: *new* (its key was never logged), *already logged*
(same key, same content: skipped, so re-running an append after a crash, an interruption or
a busy log completes the log without doubling it) or *changed* (same key, different content).
Changed records are refused as a whole, before the first batch, with the list of records and
the entries that logged them: a log entry is never silently superseded (docs/ledger.md).

Rows are then streamed in key order (deterministic) and appended in batches; each batch is
durable and signed, or absent after a crash (payproof.ledger.storage). ``AppendProgress``
tells a caller how far an interrupted append got.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from payproof.engine.duckdb_engine import sql_literal
from payproof.engine.export import copy_csv
from payproof.errors import InputError
from payproof.ledger.entries import KINDS, ORDER, encode_batch
from payproof.ledger.index import content_sql, index_files, key_sql

CONFLICTS_SHOWN = 10


@dataclass
class TablePlan:
    """How the accepted rows of one table relate to what the log already holds."""

    table: str
    rows: int = 0
    new: int = 0
    already: int = 0
    changed: int = 0
    appended: int = 0


@dataclass
class AppendProgress:
    """What has landed durably (signed) so far; complete only when ``done`` is True."""

    plans: dict[str, TablePlan] = field(default_factory=dict)
    batches: int = 0
    entries: int = 0
    size: int = 0
    done: bool = False


class ChangedRecordsError(InputError):
    """Records already in the log appear again with different content: nothing was appended."""


def append_from_engine(
    log,
    engine,
    tables: Iterable[str] = ORDER,
    *,
    batch_rows: int = 100_000,
    sources: dict[str, str] | None = None,
    progress: AppendProgress | None = None,
    conflicts_csv: Path | None = None,
) -> AppendProgress:
    """Append the new records of the contract tables in ``engine`` to ``log``.

    ``sources`` maps a ledger table to the relation that holds its rows (e.g. entitlements
    computed from the rules). ``progress`` is filled in as batches land, so a caller can say
    what was appended when an interruption stops the loop.
    """
    sources = sources or {}
    progress = progress if progress is not None else AppendProgress()
    progress.size = log.size
    wanted = list(tables)
    for table in wanted:
        if table not in KINDS:
            raise InputError(f"unknown ledger table {table!r}", fix=f"use one of {ORDER}")
    cur = engine.con.cursor()
    _logged_view(cur, index_files(log, rebuild=True))
    present = [t for t in ORDER if t in wanted and _exists(cur, sources.get(t, t))]
    for table in present:
        progress.plans[table] = _plan(cur, table, sources.get(table, table))
    changed = [p for p in progress.plans.values() if p.changed]
    if changed:
        raise _changed_error(cur, progress, sources, conflicts_csv)
    for table in present:
        plan = progress.plans[table]
        if plan.new:
            _append_table(log, cur, plan, sources.get(table, table), batch_rows, progress)
    progress.done = True
    return progress


def _exists(cur, relation: str) -> bool:
    return bool(
        cur.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [relation]
        ).fetchone()[0]
    )


def _logged_view(cur, files: list[Path]) -> None:
    if files:
        paths = ", ".join(sql_literal(str(f)) for f in files)
        cur.execute(
            "CREATE OR REPLACE TEMP VIEW _ledger_logged AS SELECT type, record_id, "
            f'content_sha256, "index" FROM read_parquet([{paths}])'
        )
    else:
        cur.execute(
            "CREATE OR REPLACE TEMP VIEW _ledger_logged AS SELECT NULL::VARCHAR AS type, "
            'NULL::VARCHAR AS record_id, NULL::BLOB AS content_sha256, NULL::BIGINT AS "index" '
            "WHERE false"
        )


def _classified(table: str, relation: str) -> str:
    """Each row's key, its logged entries and whether one of them has the same content.

    The content digest is only computed for rows whose key is logged (inside the CASE), so
    on a first append each row's digest is computed once, when it is streamed.
    """
    kind = KINDS[table]
    return f"""
        WITH l AS (SELECT record_id AS _l_key, list("index" ORDER BY "index") AS _l_idxs,
                          bool_or(content_sha256 IS NULL) AS _l_unknown,
                          list(content_sha256) AS _l_cs
                   FROM _ledger_logged WHERE type = {sql_literal(kind.type)} GROUP BY record_id)
        SELECT _r_key AS record_id, _l_idxs AS idxs,
               CASE WHEN _l_key IS NULL THEN 'new'
                    WHEN _l_unknown OR list_contains(_l_cs, {content_sql(kind)}) THEN 'already'
                    ELSE 'changed' END AS status
        FROM (SELECT *, {key_sql(kind)} AS _r_key FROM {relation}) r
        LEFT JOIN l ON r._r_key = l._l_key"""


def _plan(cur, table: str, relation: str) -> TablePlan:
    kind = KINDS[table]
    dup = cur.execute(
        f"SELECT {key_sql(kind)} AS k FROM {relation} GROUP BY k HAVING count(*) > 1 LIMIT 3"
    ).fetchall()
    if dup:
        raise InputError(
            f"table {table} holds the record key {dup[0][0]!r} more than once; "
            "a record is logged once",
            fix="check the export: ingest rejects duplicate keys, so this table was altered",
        )
    counts = dict(
        cur.execute(
            f"SELECT status, count(*) FROM ({_classified(table, relation)}) GROUP BY status"
        ).fetchall()
    )
    new, already, changed = (counts.get(s, 0) for s in ("new", "already", "changed"))
    return TablePlan(table, new + already + changed, new, already, changed)


def _changed_error(cur, progress: AppendProgress, sources, conflicts_csv) -> ChangedRecordsError:
    parts = [
        f"SELECT {sql_literal(t)} AS \"table\", record_id, array_to_string(idxs, ' ') AS "
        f"logged_at_entries FROM ({_classified(t, sources.get(t, t))}) WHERE status = 'changed'"
        for t, p in progress.plans.items()
        if p.changed
    ]
    sql = " UNION ALL ".join(parts) + ' ORDER BY "table", record_id'
    rows = cur.execute(sql).fetchall()
    where = None
    if conflicts_csv is not None:
        Path(conflicts_csv).parent.mkdir(parents=True, exist_ok=True)
        copy_csv(cur, sql, conflicts_csv)  # atomic; ids that start a formula neutralised
        where = str(conflicts_csv)
    shown = "\n".join(
        f"  {t} {rid if t != 'entitlements' else _period_only(rid)}: logged at entry {idx}"
        for t, rid, idx in rows[:CONFLICTS_SHOWN]
    )
    more = f"\n  ... and {len(rows) - CONFLICTS_SHOWN} more" if len(rows) > CONFLICTS_SHOWN else ""
    return ChangedRecordsError(
        f"{len(rows)} record(s) are already in the log with different content; nothing was "
        f"appended (a logged record is never replaced):\n{shown}{more}",
        where=where,
        fix="if the export is right and the log is wrong, log the correction as a new record "
        "with its own id (e.g. a reversal and a new payment); otherwise fix the export",
    )


def _period_only(record_id: str) -> str:
    """An entitlement's key names a family: show only its period on the terminal."""
    return f"for period {record_id.rsplit(':', 1)[-1]} (family id in the conflicts file)"


def _append_table(log, cur, plan: TablePlan, relation: str, batch_rows: int, progress) -> None:
    kind = KINDS[plan.table]
    order = kind.id_column or "family_id, period"
    sql = (
        f"SELECT t.*, {content_sql(kind)} AS content_sha256 FROM {relation} t "
        f"WHERE {key_sql(kind)} NOT IN (SELECT record_id FROM _ledger_logged "
        f"WHERE type = {sql_literal(kind.type)}) ORDER BY {order}"
    )
    reader = cur.sql(sql).to_arrow_reader(batch_rows)  # its own cursor: an independent stream
    for batch in reader:
        if batch.num_rows == 0:
            continue
        enc = encode_batch(kind, batch)
        for digest, blob in enc.blobs.items():
            log.store_blob(digest, blob)
        log.append(enc.entries, enc.private)
        plan.appended += batch.num_rows
        progress.batches += 1
        progress.entries += batch.num_rows
        progress.size = log.size
    if plan.appended != plan.new:
        raise InputError(
            f"table {plan.table}: {plan.appended} of {plan.new} new records were read; the "
            "row stream ended early (was the command interrupted?)",
            fix="run the same command again: records already logged are skipped",
        )


@dataclass(frozen=True)
class EntitlementSource:
    """Where the logged entitlements come from: the export, the rules, or nowhere."""

    relation: str | None
    basis: str  # "export", "rules" or "none"
    rules_label: str | None = None
    rules_sha256: str | None = None


def entitlement_source(engine, given: bool, rules) -> EntitlementSource:
    """The export's entitlements table, else entitlements computed from ``rules``.

    Each row carries its basis (``rules`` label and ``rules_sha256``; NULL for amounts the
    export stated) so the entry says which rules file produced its amount.
    """
    if given:
        engine.execute(
            "CREATE OR REPLACE VIEW _ledger_entitlements AS SELECT family_id, period, amount, "
            "NULL::VARCHAR AS rules, NULL::VARCHAR AS rules_sha256 FROM entitlements"
        )
        return EntitlementSource("_ledger_entitlements", "export")
    first, last = engine.rows(
        "SELECT min(period), max(period) FROM (SELECT period FROM disbursements "
        "UNION ALL SELECT period FROM receipts)"
    )[0]
    if first is None or not engine.scalar("SELECT count(*) FROM children"):
        return EntitlementSource(None, "none")
    from payproof.rules import compute_entitlements

    compute_entitlements(engine, rules, first, last, "_ledger_entitlements_computed")
    engine.execute(
        "CREATE OR REPLACE VIEW _ledger_entitlements AS SELECT family_id, period, amount, "
        f"rules, {sql_literal(rules.sha256)} AS rules_sha256 FROM _ledger_entitlements_computed"
    )
    return EntitlementSource("_ledger_entitlements", "rules", rules.label, rules.sha256)
