"""The private record index: which record (kind and key) is logged at which entry, and with
what content, so that re-appending an export never logs a record twice.

A record's key is its payment, receipt or grievance id, or ``<family_id>:<period>`` for an
entitlement. Its *content digest* is an unsalted SHA-256 over every field of the record
(clear and personal values, and the grievance narrative), computed by DuckDB with one SQL
expression (:func:`content_sql`) for new rows, for Arrow batches and when the index is
rebuilt, so the three always agree. The digest identifies personal values, so it lives only
in the private sidecar (``private/index/<start>-<end>.parquet``: ``type``, ``record_id``,
``content_sha256``, ``index``), written with the batch's openings before its entries and
rolled back with them: the index is always consistent with the signed log, and a lost or
deleted index file is rebuilt from the openings, the entries and the narrative blobs.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from payproof.ledger.entries import TYPES, Kind, open_narrative

CONTENT_DOMAIN = "payproof/ledger/content/v1|"
INDEX_COLUMNS = ("type", "record_id", "content_sha256", "index")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# The basis of an entitlement (which rules computed it) is recorded in its entry but is not
# part of the record: a newer rules file that gives the same amount is the same decision.
BASIS_FIELDS = ("rules", "rules_sha256")


def content_fields(kind: Kind) -> list[str]:
    """Every column whose value the content digest covers, in a fixed order."""
    fields = [c for c, _ in kind.clear if c not in BASIS_FIELDS] + list(kind.committed)
    return fields + ([kind.narrative] if kind.narrative else [])


def content_sql(kind: Kind) -> str:
    """SQL for a row's content digest: each value as ``|<byte length>:<value>``, a NULL as
    ``|:`` (no length), so the encoding is unambiguous; 32 bytes, not 64 hex characters."""
    parts = [f"'{CONTENT_DOMAIN}{kind.type}'"]
    for col in content_fields(kind):
        v = f"CAST({_q(col)} AS VARCHAR)"
        if col == kind.narrative:
            v = f"nullif({v}, '')"  # an empty narrative is sealed as "none"
        parts += ["'|'", f"strlen({v})", "':'", v]  # concat() reads NULL as ''
    return f"unhex(sha256(concat({', '.join(parts)})))"


def key_sql(kind: Kind) -> str:
    """SQL for a row's record key (the ``record_id`` of the sidecar)."""
    if kind.id_column:
        return f"CAST({_q(kind.id_column)} AS VARCHAR)"
    return "CAST(family_id AS VARCHAR) || ':' || CAST(period AS VARCHAR)"


def content_digests(kind: Kind, batch: pa.RecordBatch | pa.Table) -> pa.Array:
    """Content digests of an Arrow batch (for callers that encode rows outside an engine)."""
    con = duckdb.connect()
    try:
        con.register("batch_rows", batch)
        got = con.sql(f"SELECT {content_sql(kind)} AS d FROM batch_rows").to_arrow_table()
    finally:
        con.close()
    return got.column("d").combine_chunks().cast(pa.binary())


def batch_range(path: Path) -> tuple[int, int]:
    """(start, end) of the entries a ``<start>-<end>.parquet`` sidecar file covers."""
    a, b = path.stem.split("-")
    return int(a), int(b)


def index_path(private: Path, start: int, end: int) -> Path:
    return private / "index" / f"{start:012d}-{end:012d}.parquet"


def index_files(log, *, rebuild: bool) -> list[Path]:
    """The index files of every batch in the signed tree; rebuild missing ones if asked."""
    out = []
    for f in sorted((log.private / "openings").glob("*.parquet")):
        start, end = batch_range(f)
        if end > log.size:
            continue
        idx = index_path(log.private, start, end)
        if not idx.exists():
            if not rebuild:
                continue
            log.write_private(idx, rebuild_index_table(log, f))
        out.append(idx)
    return out


def rebuild_index_table(log, openings_file: Path) -> pa.Table:
    """Recompute a batch's index rows from its openings, its entries and narrative blobs."""
    start, end = batch_range(openings_file)
    op = pq.read_table(openings_file)
    entries = log.entries(start, end)
    con = duckdb.connect()
    try:
        con.register("op", op)
        texts = pa.array([e.decode("utf-8") for e in entries], pa.string())
        con.register("ent", pa.table({"idx": pa.array(range(start, end), pa.int64()), "e": texts}))
        parts = []
        for type_ in sorted(set(op.column("type").to_pylist())):
            kind = TYPES[type_]
            cols = [f"json_extract_string(ent.e, '$.{c}') AS {_q(c)}" for c, _ in kind.clear] + [
                f"op.{_q(c)} AS {_q(c)}" for c in kind.committed
            ]
            digest = content_sql(kind)
            if kind.narrative:
                con.register("narr", _narratives(log, op))
                cols += [f"narr.text AS {_q(kind.narrative)}", "op.narrative_key"]
                join = 'LEFT JOIN narr ON narr.idx = op."index"'
                # A narrative whose blob is gone cannot be compared: digest unknown (NULL),
                # so the record counts as logged and is never logged again.
                narrative = _q(kind.narrative)
                digest = f"CASE WHEN narrative_key IS NOT NULL AND {narrative} IS NULL "
                digest += f"THEN NULL ELSE {content_sql(kind)} END"
            else:
                join = ""
            rel = (
                f'SELECT op.type, op.record_id, op."index", {", ".join(cols)} FROM op '
                f"JOIN ent ON ent.idx = op.\"index\" {join} WHERE op.type = '{type_}'"
            )
            parts.append(
                f'SELECT type, record_id, {digest} AS content_sha256, "index" FROM ({rel})'
            )
        if not parts:
            return empty_index()
        sql = " UNION ALL ".join(parts) + ' ORDER BY "index"'
        return con.sql(sql).to_arrow_table().cast(empty_index().schema)
    finally:
        con.close()


def _narratives(log, op: pa.Table) -> pa.Table:
    """Decrypt the narratives of a batch's grievances (a blob that is gone is left out)."""
    idx, text = [], []
    if "narrative_key" in op.column_names:
        for row in op.select(["index", "narrative_key", "narrative_sha256"]).to_pylist():
            blob = log.private / "blobs" / f"{row['narrative_sha256']}.bin"
            if row["narrative_key"] and blob.exists():
                idx.append(row["index"])
                text.append(open_narrative(blob.read_bytes(), row["narrative_key"]))
    return pa.table({"idx": pa.array(idx, pa.int64()), "text": pa.array(text, pa.string())})


def empty_index() -> pa.Table:
    return pa.table(
        {
            "type": pa.array([], pa.string()),
            "record_id": pa.array([], pa.string()),
            "content_sha256": pa.array([], pa.binary()),
            "index": pa.array([], pa.int64()),
        }
    )


def index_rows(private_rows: pa.Table, start: int) -> pa.Table:
    """The index rows of a batch appended at ``start`` (its private rows carry the digests)."""
    n = private_rows.num_rows
    return pa.table(
        {
            "type": private_rows.column("type"),
            "record_id": private_rows.column("record_id"),
            "content_sha256": private_rows.column("content_sha256"),
            "index": pa.array(range(start, start + n), pa.int64()),
        }
    )
