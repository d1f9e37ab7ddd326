"""The one CSV writer: text a spreadsheet would run as a formula is neutralised, and only text."""

from __future__ import annotations

import csv

from payproof.engine import DuckDBEngine
from payproof.engine.export import copy_csv, restored

RISKY = ['=HYPERLINK("http://evil.example/","x")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3",
         "\tlead tab", "\rlead cr", "'=already quoted", "plain", "a=b", None]  # fmt: skip


def test_text_cells_are_neutralised_and_numbers_dates_left_alone(tmp_path):
    engine = DuckDBEngine()
    engine.execute("CREATE TABLE t (txt VARCHAR, n INTEGER, amount DECIMAL(18,2), d DATE)")
    for i, text in enumerate(RISKY):
        engine.execute("INSERT INTO t VALUES (?, ?, ?, ?)", [text, -i, f"-{i}.50", "2024-01-31"])
    path = copy_csv(engine, "SELECT * FROM t ORDER BY n DESC", tmp_path / "t.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["txt"] for r in rows] == [
        '\'=HYPERLINK("http://evil.example/","x")', "'+cmd|' /C calc'!A0", "'@SUM(1)", "'-2+3",
        "'\tlead tab", "'\rlead cr", "''=already quoted", "plain", "a=b", "",
    ]  # fmt: skip
    assert [r["n"] for r in rows] == [str(-i) for i in range(len(RISKY))]
    assert [r["amount"] for r in rows] == [f"-{i}.50" for i in range(len(RISKY))]
    assert {r["d"] for r in rows} == {"2024-01-31"}
    assert not list(tmp_path.glob(".*"))  # written through a temporary file, renamed


def test_reading_back_restores_the_text_exactly(tmp_path):
    engine = DuckDBEngine()
    engine.execute("CREATE TABLE t (txt VARCHAR, k INTEGER)")
    for i, text in enumerate(RISKY):
        engine.execute("INSERT INTO t VALUES (?, ?)", [text, i])
    path = copy_csv(engine, "SELECT * FROM t ORDER BY k", tmp_path / "t.csv")
    back = engine.rows(
        f"SELECT {restored('COLUMNS(*)')} FROM read_csv('{path}', all_varchar = true) ORDER BY "
        "CAST(k AS INTEGER)"
    )
    assert [r[0] for r in back] == RISKY
