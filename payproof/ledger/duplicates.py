"""Records logged more than once, as the audit reports them.

From the public entries alone the audit can see payments, receipts and grievances whose
clear id appears in two entries; with the private sidecar (openings: ``type``,
``record_id``, ``index``) it also sees entitlements, whose key is not public. Their keys name a
family, so they are reported by period and entry indexes only: the audit's output never
carries personal data. The grouping runs in DuckDB; ids are extracted by a vectorised regex.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from payproof.engine.duckdb_engine import sql_literal

SHOWN = 20
# Canonical entries start with v, type and (for these kinds) the clear id: see entries.py.
_ID = (
    r'^\{"v":[0-9]+,"type":"(?P<type>payment|receipt|grievance)",'
    r'"(?:payment|receipt|grievance)_id":(?P<id>"(?:[^"\\]|\\.)*")'
)
_FLUSH = 65_536


class PublicIds:
    """Collects the clear ids of public entries, bundle by bundle; the ids are extracted with
    one vectorised regex per 65,536 entries (Arrow), and kept as compact Arrow batches."""

    def __init__(self) -> None:
        self._pending: list[bytes] = []
        self._first = 0
        self._batches: list[pa.RecordBatch] = []

    def add(self, first_index: int, entries: list[bytes]) -> None:
        if not self._pending:
            self._first = first_index
        elif first_index != self._first + len(self._pending):
            self._flush()
            self._first = first_index
        self._pending.extend(entries)
        if len(self._pending) >= _FLUSH:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        arr = pa.array(self._pending, pa.binary())
        got = pc.extract_regex(arr, _ID)
        keep = got.is_valid()
        idx = pa.array(np.arange(self._first, self._first + len(arr), dtype=np.int64))
        got = got.filter(keep)
        self._batches.append(
            pa.record_batch(
                {
                    "type": got.field("type").cast(pa.string()),
                    "record_id": got.field("id"),
                    "index": idx.filter(keep),
                }
            )
        )
        self._pending = []

    def duplicates(self) -> list[tuple[str, str, list[int]]]:
        """(type, id, entry indexes) of every clear id that more than one entry carries."""
        self._flush()
        if not self._batches:
            return []
        rows = _grouped(pa.Table.from_batches(self._batches))
        return [(t, json.loads(rid), idx) for t, rid, idx in rows]


def private_duplicates(private: Path, size: int) -> list[tuple[str, str, list[int]]]:
    """(type, record_id, entry indexes) of every entitlement the sidecar shows logged twice
    (the only kind whose key is not on the public log)."""
    files = []
    for f in sorted((Path(private) / "openings").glob("*.parquet")):
        if int(f.stem.split("-")[1]) <= size:
            files.append(f)
    if not files:
        return []
    paths = ", ".join(sql_literal(str(f)) for f in files)
    con = duckdb.connect()
    try:
        table = con.sql(
            f'SELECT type, record_id, "index" FROM read_parquet([{paths}]) '
            "WHERE type = 'entitlement'"  # the other kinds' ids are public: PublicIds
        ).to_arrow_table()
        return _grouped(table, con)
    finally:
        con.close()


def _grouped(table: pa.Table, con=None) -> list[tuple]:
    own = con is None
    con = con or duckdb.connect()
    try:
        con.register("ids", table)
        return con.execute(
            'SELECT type, record_id, list("index" ORDER BY "index") FROM ids '
            'GROUP BY type, record_id HAVING count(*) > 1 ORDER BY min("index")'
        ).fetchall()
    finally:
        if own:
            con.close()


def describe(dups_public: list[tuple], dups_private: list[tuple]) -> list[str]:
    """A count per kind, then one line per record logged more than once, in log order
    (entitlements by period only)."""
    seen = {(t, rid) for t, rid, _ in dups_public}
    dups = dups_public + [d for d in dups_private if (d[0], d[1]) not in seen]
    if not dups:
        return []
    dups.sort(key=lambda d: d[2][0])
    kinds: dict[str, int] = {}
    for t, _, _ in dups:
        kinds[t] = kinds.get(t, 0) + 1
    head = f"{len(dups)} record(s): " + ", ".join(f"{n} {t}(s)" for t, n in sorted(kinds.items()))
    lines = [head] + [_line(t, rid, idx) for t, rid, idx in dups[:SHOWN]]
    if len(dups) > SHOWN:
        lines.append(f"... and {len(dups) - SHOWN} more")
    return lines


def _line(type_: str, record_id: str, idx: list[int]) -> str:
    what = (
        f"an entitlement for period {record_id.rsplit(':', 1)[-1]}"
        if type_ == "entitlement"
        else f"{type_} {record_id}"
    )
    where = ", ".join(str(i) for i in idx[:10]) + (", ..." if len(idx) > 10 else "")
    return f"{what} is logged {len(idx)} times (entries {where})"
