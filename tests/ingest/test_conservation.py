"""The conservation law of ingest, property-based: nothing is lost, every reject is true.

A small generated programme is mutated at random -- malformed records anywhere (first,
last, in runs), lines in cp1251 inside a UTF-8 file, bad values in every column type,
blank lines, values that span lines, CRLF, no final newline -- and then, for every
table: the data records in the file = accepted + rejected (distinct error lines); every
record that was left good is in the store at its physical line; every record made bad
is rejected at its physical line (or, for an identity field, kept with a warning there).
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payproof.contract import load_contract
from payproof.engine import DuckDBEngine
from payproof.ingest import load_input
from payproof.ingest.diagnose import STOP_MIN_RECORDS, STOP_SHARE, TableRejectedError
from payproof.ingest.load import TABLE_ORDER
from payproof.scenario.config import ScenarioConfig
from payproof.scenario.generate import generate_scenario

TODAY = date(2026, 11, 25)
CONTRACT = load_contract()
CP1251 = "Жанар".encode("cp1251")  # not UTF-8: becomes U+FFFD, a bad value
# Values each column type rejects (or, in an identity field, leaves empty with a warning).
BAD_VALUES = {
    "id": [b"X" * 201, b"A\x00B"],
    "date": [b"2022-13-45", b"31.12.2022"],
    "period": [b"2022-13", b"Jan-2022"],
    "money": [b"12,50", b"-5", b"1.234"],
    "enum": [b"bogus"],
    "count": [b"four", b"-1"],
    "text": [CP1251],
}  # (any column of a record may also get CP1251 bytes: kind "encoding")
STRUCTURAL = ("extra_field", "missing_field", "stray_quote")


@pytest.fixture(scope="module")
def programme(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("programme")
    generate_scenario(out, ScenarioConfig(families=30, months=2))
    shutil.rmtree(out / "truth", ignore_errors=True)
    return out


@dataclass
class Plan:
    """What the mutated file should give: physical line of each kept and rejected record."""

    records: int = 0
    kept: dict[str, int] = field(default_factory=dict)  # key -> line
    rejected: set[int] = field(default_factory=set)
    warned: set[int] = field(default_factory=set)


def _field(value: bytes) -> bytes:
    if any(c in value for c in b',"\n\r'):
        return b'"' + value.replace(b'"', b'""') + b'"'
    return value


@st.composite
def mutations(draw, table: str, n_rows: int, header: list[str]):
    """Per-record mutations (index -> kind), blank lines, and the file's newline style.

    Only the columns the file has are mutated: optional contract columns may be absent."""
    spec = CONTRACT.table(table)
    present = [c for c in spec.columns if c in header]
    kinds = st.sampled_from(["bad_value", "encoding", "multiline", *STRUCTURAL])
    chosen: dict[int, tuple[str, str | None, bytes | None]] = {}
    n_enc = 0
    # runs of adjacent mutated records, including the first and the last record
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.sampled_from([0, n_rows - 1, draw(st.integers(0, n_rows - 1))]))
        length = draw(st.integers(1, max(1, n_rows // 3)))
        kind = draw(kinds)
        for i in range(start, min(n_rows, start + length)):
            column = draw(st.sampled_from(present))
            col = spec.columns[column]
            value = draw(st.sampled_from(BAD_VALUES[col.type]))
            if kind == "encoding" or (kind == "bad_value" and value == CP1251):
                # a file mostly not UTF-8 is one file-level error, tested elsewhere
                if (n_enc + 1) * 5 >= n_rows:
                    continue
                n_enc += 1
            elif kind == "multiline":
                text_columns = [c for c in present if spec.columns[c].type == "text"]
                if not text_columns:
                    continue
                column = draw(st.sampled_from(text_columns))
            chosen[i] = (kind, column, value)
    blanks = draw(st.lists(st.integers(0, n_rows), max_size=6))
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    final_newline = draw(st.booleans())
    return chosen, blanks, newline, final_newline


def _write(path: Path, table: str, rows: list[list[str]], header: list[str], muts) -> Plan:
    spec = CONTRACT.table(table)
    chosen, blanks, newline, final_newline = muts
    units: list[bytes] = [b",".join(_field(h.encode()) for h in header)]
    plan = Plan()
    key_idx = [header.index(k) for k in spec.key]
    line = 1 + units[0].count(b"\n") + 1
    for i, row in enumerate(rows):
        for _ in range(blanks.count(i)):
            units.append(b"")
            line += 1
        fields = [v.encode() for v in row]
        kind, column, value = chosen.get(i, ("good", None, None))
        col = spec.columns.get(column) if column else None
        c = header.index(column) if column else -1
        bad = warn = False
        if kind == "extra_field":
            fields.append(b"EXTRA")
            bad = True
        elif kind == "missing_field":
            fields.pop()
            bad = True
        elif kind == "stray_quote":  # a quoted value with text after its closing quote
            fields[c] = b'"ab"c'
            bad = True
        elif kind == "bad_value":
            fields[c] = value
            warn = col.bad_value == "flag"
            bad = not warn
        elif kind == "encoding":
            fields[c] = CP1251
            warn = col.bad_value == "flag"
            bad = not warn
        elif kind == "multiline":
            fields[c] = (row[c] or "x").encode() + b"\nsecond line"
        unit = b",".join(f if kind == "stray_quote" and k == c else _field(f)
                         for k, f in enumerate(fields))  # fmt: skip
        units.append(unit)
        plan.records += 1
        if bad:
            plan.rejected.add(line)
        else:
            plan.kept["/".join(row[k] for k in key_idx)] = line
            if warn:
                plan.warned.add(line)
        line += unit.count(b"\n") + 1
    for _ in range(blanks.count(len(rows))):
        units.append(b"")
    data = newline.join(u.replace(b"\n", newline) for u in units)
    path.write_bytes(data + (newline if final_newline else b""))
    return plan


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _check_conservation(engine: DuckDBEngine, report, folder: Path, mutated: str, n: int):
    """Every table: records in the file = accepted + rejected, and accepted = stored
    (a record of another table may be rejected because its family was)."""
    for name in TABLE_ORDER:
        tr = report.tables[name]
        if tr.file is None:
            continue
        records = n if name == mutated else len(_read(folder / tr.file)[1])
        assert tr.rows_accepted + tr.rows_rejected == records, name
        assert engine.scalar(f"SELECT count(*) FROM {name}") == tr.rows_accepted, name


def _run(programme: Path, table: str, muts) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        shutil.copytree(programme, folder)
        header, rows = _read(programme / f"{table}.csv")
        plan = _write(folder / f"{table}.csv", table, rows, header, muts)
        engine = DuckDBEngine()
        try:
            report = load_input(folder, engine, today=TODAY)
        except TableRejectedError as exc:  # most of a table rejected: the documented stop
            if exc.table == table:
                n, bad = plan.records, len(plan.rejected)
                assert bad == n or (n >= STOP_MIN_RECORDS and bad > STOP_SHARE * n), exc.what
        else:
            _check_conservation(engine, report, folder, table, plan.records)
        spec = CONTRACT.table(table)
        key = " || '/' || ".join(f"coalesce(CAST({k} AS VARCHAR), '')" for k in spec.key)
        stored = dict(engine.rows(f"SELECT {key}, _line FROM {table}"))
        assert stored == plan.kept  # every good record, at its physical line
        errors = {
            line
            for (line,) in engine.rows(
                "SELECT DISTINCT line FROM rejects WHERE table_name = ? AND severity = 'error'",
                [table],
            )
        }
        assert errors == plan.rejected
        warned = {
            line
            for (line,) in engine.rows(
                "SELECT DISTINCT line FROM rejects WHERE table_name = ? AND severity = 'warning'",
                [table],
            )
        }
        assert plan.warned <= warned


def _programme_case(programme: Path, data) -> None:
    tables = [t for t in TABLE_ORDER if (programme / f"{t}.csv").exists()]
    table = data.draw(st.sampled_from(tables))
    header, rows = _read(programme / f"{table}.csv")
    if len(rows) < 2:
        return
    _run(programme, table, data.draw(mutations(table, len(rows), header)))


RELAXED = {  # a load takes about a second: no per-example deadline
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


@settings(max_examples=25, **RELAXED)
@given(data=st.data())
def test_nothing_is_lost_and_every_reject_is_at_its_line(programme, data):
    _programme_case(programme, data)


@pytest.mark.slow
@settings(max_examples=300, **RELAXED)
@given(data=st.data())
def test_nothing_is_lost_many_examples(programme, data):
    _programme_case(programme, data)
