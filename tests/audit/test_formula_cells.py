"""Ids and names that a spreadsheet would run as formulas reach no output CSV as formulas.

The input carries ``=HYPERLINK(...)`` as a family id, ``+cmd|' /C calc'!A0`` as a clerk's
id, ``@SUM(1)`` as an office name, a district starting with a tab, a mother's name
starting with "-", and a payment amount ``=1+1`` (rejected, so it reaches rejects.csv).
Every CSV that ``audit`` and ``ghosts`` write is then read as a spreadsheet would.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from payproof.cli import main
from tests.audit.conftest import TABLES

EVIL = {
    "F2": '=HYPERLINK("http://evil.example/","x")',
    "S1": "+cmd|' /C calc'!A0",
    "Office One": "@SUM(1)",
    "Kentau": "\tKentau",
    "Mother 3": "-Mother 3",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _write_input(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, (header, rows) in TABLES.items():
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows([EVIL.get(v, v) for v in row] for row in rows)
    with (folder / "disbursements.csv").open("a", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerow(
            ["P99", "F1", "2024-01", "=1+1", "2024-01-20", "O1", EVIL["S1"], "cash", ""]
        )
    return folder


def _cells(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("formulas")
    data = _write_input(root / "input")
    assert main(["audit", str(data), "--out", str(root / "audit")]) == 0
    assert main(["ghosts", str(data), "--out", str(root / "ghosts")]) == 0
    return root / "audit", root / "ghosts"


def test_no_output_cell_starts_a_formula(outputs):
    checked = 0
    for folder in outputs:
        for path in folder.glob("*.csv"):
            for row in _cells(path):
                for column, value in row.items():
                    assert not (value or "").startswith(FORMULA_START), (path.name, column, value)
            checked += 1
    names = {p.name for folder in outputs for p in folder.glob("*.csv")}
    assert {"families.csv", "staff.csv", "offices.csv", "rejects.csv", "duplicates.csv",
            "clusters.csv", "red_flags.csv", "ghosts_by_office.csv",
            "ghosts_by_staff.csv"} <= names  # fmt: skip
    assert checked >= 10


def test_text_is_kept_behind_one_quote_and_numbers_untouched(outputs):
    audit, ghosts = outputs
    families = {r["family_id"]: r for r in _cells(audit / "families.csv")}
    assert "'" + EVIL["F2"] in families
    assert Decimal(families["'" + EVIL["F2"]]["entitled_total"]) == Decimal("177549.00")
    assert [r["staff_id"] for r in _cells(audit / "staff.csv")] == ["'" + EVIL["S1"]]
    offices = {r["office_id"]: r for r in _cells(audit / "offices.csv")}
    assert offices["O1"]["name"] == "'@SUM(1)" and offices["O2"]["district"] == "'\tKentau"
    rejected = [r for r in _cells(audit / "rejects.csv") if r["column"] == "amount"]
    assert [r["value"] for r in rejected] == ["'=1+1"]
    for folder in (audit, ghosts):
        flagged = {r["family_id"] for r in _cells(folder / "red_flags.csv")}
        assert "'" + EVIL["F2"] in flagged
        assert ["'" + EVIL["S1"]] == [r["staff_id"] for r in _cells(folder / "ghosts_by_staff.csv")]
    assert (audit / "report.html").is_file()  # the report reads the files back
