"""A tiny valid input folder (every contract table that the audit reads) for audit tests.

Each table is written as a UTF-8 CSV with a header on line 1, so data row ``i``
(0-based) sits on line ``i + 2``: tests that break a row know its exact line.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

OFFICES = [
    ("O1", "Office One", "Turkestan", "Saryagash", ""),
    ("O2", "Office Two", "Turkestan", "Kentau", "O1"),
]
STAFF = [
    ("S1", "O1", "Clerk A", "clerk"),
    ("S2", "O2", "Clerk B", "clerk"),
]
FAMILIES = [
    (f"F{i}", f"M{i}", f"Mother {i}", "1985-03-0" + str(i), "Saryagash", "O1", "2020-01-15", "", "")
    for i in range(1, 4)
]
CHILDREN = [
    (f"C{f}{k}", f"F{f}", "", f"Child {f}{k}", f"2015-0{k}-01", "", "")
    for f in range(1, 4)
    for k in range(1, 5)
]
PERIODS = ("2024-01", "2024-02", "2024-03")
DISBURSEMENTS = [
    (f"P{f}{m}", f"F{f}", p, "59183", f"{p}-20", "O1", "S1", "cash", "")
    for f in range(1, 4)
    for m, p in enumerate(PERIODS, start=1)
]
RECEIPTS = [
    (f"R{f}{m}", f"F{f}", p, "59183.00", f"{p}-25", "beneficiary_confirmation")
    for f in range(1, 3)
    for m, p in enumerate(PERIODS, start=1)
]

TABLES: dict[str, tuple[tuple[str, ...], list[tuple]]] = {
    "offices": (("office_id", "name", "region", "district", "parent_office_id"), OFFICES),
    "staff": (("staff_id", "office_id", "name", "role"), STAFF),
    "families": (
        (
            "family_id",
            "mother_id",
            "mother_name",
            "mother_birth_date",
            "district",
            "office_id",
            "registered_on",
            "bank_account",
            "phone",
        ),
        FAMILIES,
    ),  # fmt: skip
    "children": (
        (
            "child_id",
            "family_id",
            "child_national_id",
            "name",
            "birth_date",
            "death_date",
            "student_until",
        ),
        CHILDREN,
    ),  # fmt: skip
    "disbursements": (
        (
            "payment_id",
            "family_id",
            "period",
            "amount",
            "paid_on",
            "office_id",
            "staff_id",
            "channel",
            "account",
        ),
        DISBURSEMENTS,
    ),  # fmt: skip
    "receipts": (
        ("receipt_id", "family_id", "period", "amount", "reported_on", "source"),
        RECEIPTS,
    ),
}


def write_input(folder: Path) -> Path:
    """Write the tiny valid programme into ``folder`` (created) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in TABLES.items():
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
    return folder


def append_line(path: Path, line: str) -> int:
    """Append one raw text line to a CSV and return its line number (header = 1)."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text + line + "\n", encoding="utf-8")
    return text.count("\n") + 1


@pytest.fixture
def valid_input(tmp_path: Path) -> Path:
    return write_input(tmp_path / "input")


def loss_flag(flagged_by: str) -> str:
    """SQL: flagged by a payment (loss) test. ``flagged`` also holds the application tests
    (labels ``*_vs_*``, payproof.exclusion) of the generated applications, whose roles are
    checked in tests/exclusion."""
    return (f"list_filter(string_split(coalesce({flagged_by}, ''), ';'), "
            "lambda x: x <> '' AND NOT contains(x, '_vs_')) <> []")  # fmt: skip
