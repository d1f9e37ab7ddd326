"""Defect 7: a table mostly rejected stops the run with its likely cause, never a figure."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from payproof.cli import main
from payproof.engine import DuckDBEngine
from payproof.errors import EXIT_INPUT
from payproof.ingest import load_input
from payproof.ingest.diagnose import STOP_MIN_RECORDS, TableRejectedError
from tests.audit.conftest import TABLES, write_input

TODAY = date(2026, 11, 25)
HEADER = list(TABLES["disbursements"][0])


def _disbursements(folder: Path, n: int, bad: int, delimiter: str = ",", **changes) -> None:
    """``n`` payment lines, the first ``bad`` of them with ``changes`` applied."""
    periods = [f"{y}-{m:02d}" for y in (2022, 2023) for m in range(1, 13)]
    with (folder / "disbursements.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, HEADER, delimiter=delimiter, lineterminator="\n")
        w.writeheader()
        for i in range(n):
            p = periods[i // 3]
            row = dict(zip(HEADER, (f"P{i}", f"F{i % 3 + 1}", p, "59183.00", f"{p}-20", "O1",
                                    "S1", "cash", ""), strict=True))  # fmt: skip
            w.writerow({**row, **(changes if i < bad else {})})


def _stop(folder: Path) -> TableRejectedError:
    with DuckDBEngine() as engine, pytest.raises(TableRejectedError) as info:
        load_input(folder, engine, today=TODAY)
    assert info.value.exit_code == EXIT_INPUT and info.value.rejects_ready
    return info.value


def test_semicolon_file_with_decimal_commas_stops_the_audit(tmp_path, capsys):
    """The issue's case: every payment rejected gave exit 0 and a headline 4x too high."""
    src = write_input(tmp_path / "in")
    _disbursements(src, 9, 9, delimiter=";", amount="59183,00")
    out = tmp_path / "out"
    assert main(["audit", str(src), "--out", str(out), "--no-report"]) == EXIT_INPUT
    err = " ".join(capsys.readouterr().err.split())
    assert "disbursements.csv: 9 of 9 records were rejected (every one)" in err
    assert "amount: amounts are written with a decimal comma (e.g. '59183,00')" in err
    assert "decimal_mark: ','" in err and "payproof inspect" in err
    assert not (out / "summary.json").exists()  # no figure presented
    with (out / "rejects.csv").open(encoding="utf-8") as fh:  # but every row is reported
        rejected = [r for r in csv.DictReader(fh) if r["table"] == "disbursements"]
    assert sorted(int(r["line"]) for r in rejected) == list(range(2, 11))


def test_more_than_half_rejected_stops_half_does_not(tmp_path):
    src = write_input(tmp_path / "in")
    n = max(STOP_MIN_RECORDS, 12)
    _disbursements(src, n, n // 2, paid_on="20.01.2024")
    with DuckDBEngine() as engine:
        report = load_input(src, engine, today=TODAY)
        assert report.tables["disbursements"].rows_rejected == n // 2
    _disbursements(src, n, n // 2 + 1, paid_on="20.01.2024")
    err = _stop(src)
    assert err.table == "disbursements"
    assert f"{n // 2 + 1} of {n} records were rejected" in err.what
    assert "paid_on: dates are written day first (e.g. '20.01.2024')" in err.what
    assert "'%d.%m.%Y'" in err.what


def test_few_records_stop_only_when_all_are_rejected(tmp_path):
    src = write_input(tmp_path / "in")
    _disbursements(src, 3, 2, amount="59 183.00")
    with DuckDBEngine() as engine:
        load_input(src, engine, today=TODAY)  # 2 of 3: a small table, kept
    _disbursements(src, 3, 3, amount="59 183.00 ₸")
    err = _stop(src)
    assert "thousands separators (e.g. '59 183.00 ₸')" in err.what
    assert "currency sign (e.g. '59 183.00 ₸')" in err.what


@pytest.mark.parametrize(
    ("changes", "cause"),
    [
        ({"period": "01.2022"}, "period: periods are written month first (e.g. '01.2022')"),
        ({"period": "01.01.2022"}, "period: periods are written as dates (e.g. '01.01.2022')"),
        ({"paid_on": "44581"}, "paid_on: dates are Excel serial day numbers (e.g. '44581')"),
        ({"channel": "наличные"}, "channel: values are in other words (e.g. 'наличные')"),
        ({"amount": "РЎСѓРјРјР°"}, "not in the encoding it was read in"),
        ({"amount": "n/a"}, "9 records: amount: not a decimal amount"),
    ],
)
def test_the_likely_cause_is_named(tmp_path, changes, cause):
    src = write_input(tmp_path / "in")
    _disbursements(src, 9, 9, **changes)
    assert cause in _stop(src).what


def test_children_of_no_registered_family(tmp_path):
    src = write_input(tmp_path / "in")
    path = src / "children.csv"
    text = path.read_text(encoding="utf-8").replace(",F", ",X")
    path.write_text(text, encoding="utf-8")
    err = _stop(src)
    assert "children.csv: 12 of 12 records were rejected" in err.what
    assert "family_id: the ids match no row of families" in err.what


def test_ledger_append_stops_too(tmp_path, capsys):
    src = write_input(tmp_path / "in")
    _disbursements(src, 9, 9, delimiter=";", amount="59183,00")
    keys = tmp_path / "keys"
    assert main(["ledger", "keygen", "test.example/log", "--out", str(keys)]) == 0
    key = keys / "test.example_log.key"
    log = tmp_path / "log"
    assert main(["ledger", "init", str(log), "--key", str(key)]) == 0
    code = main(["ledger", "append", str(log), str(src), "--key", str(key)])
    assert code == EXIT_INPUT
    assert "decimal comma" in " ".join(capsys.readouterr().err.split())
