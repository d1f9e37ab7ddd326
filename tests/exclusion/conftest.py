"""A tiny programme with a population register and applications (the audit's small input
plus one late-approved family, and four mothers only the register knows)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.audit.conftest import append_line, write_input

POPULATION_HEADER = ("person_id", "birth_date", "mother_id", "death_date", "district",
                     "address", "student_until")  # fmt: skip
APPLICATIONS_HEADER = ("application_id", "mother_id", "family_id", "office_id", "staff_id",
                       "submitted_on", "decided_on", "decision", "reason_code",
                       "children_declared")  # fmt: skip
YOUNG = ("2015-01-01", "2016-01-01", "2017-01-01", "2018-01-01")
# person_id -> (birth, mother, death, district, student_until)
REGISTER_ONLY = {
    # M7: rejected; her fourth child turns 18 on 2024-02-01 and is no student
    "M7": [("2015-01-01",), ("2016-01-01",), ("2017-01-01",), ("2006-02-01",)],
    # M8: pending; a student of 18, a birth in February, a death in February
    "M8": [("2015-01-01",), ("2016-01-01",), ("2017-01-01", "2024-02-15"),
           ("2006-02-01", "", "2024-06-30"), ("2024-02-10",)],
    # M9: never applied
    "M9": [(d,) for d in YOUNG],
    # M6: three children only: rightly rejected
    "M6": [(d,) for d in YOUNG[:3]],
}  # fmt: skip
APPLICATIONS = [
    ("A1", "M7", "", "O1", "S1", "2024-01-10", "2024-01-20", "rejected", "documents", "4"),
    ("A2", "M8", "", "O2", "S2", "2024-01-05", "", "pending", "", ""),
    ("A3", "M6", "", "O1", "S1", "2024-01-11", "2024-01-15", "rejected", "too_few", "3"),
    ("A4", "M4", "F4", "O1", "S1", "2024-01-20", "2024-03-10", "approved", "", "4"),
    ("A5", "M1", "F1", "O1", "S1", "2019-12-20", "2020-01-15", "approved", "", "4"),
]


def _write(path: Path, header: tuple, rows: list[tuple]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def register_rows() -> list[tuple]:
    rows = []
    for m in ("M1", "M2", "M3", "M4"):  # enrolled mothers and their children
        rows.append((m, "1985-03-01", "", "", "Saryagash", "", ""))
        rows += [(f"{m}-{k}", d, m, "", "Saryagash", "", "") for k, d in enumerate(YOUNG)]
    for m, kids in REGISTER_ONLY.items():
        rows.append((m, "1984-05-05", "", "", "Kentau", "", ""))
        for k, kid in enumerate(kids):
            birth, death, student = (*kid, "", "")[:3]
            rows.append((f"{m}-{k}", birth, m, death, "Kentau", "", student))
    return rows


def write_exclusion_input(folder: Path) -> Path:
    write_input(folder)
    append_line(folder / "families.csv",
                "F4,M4,Mother 4,1985-03-04,Saryagash,O1,2024-03-10,,")  # fmt: skip
    for k, d in enumerate(YOUNG):
        append_line(folder / "children.csv", f"C4{k},F4,,Child 4{k},{d},,")
    _write(folder / "population.csv", POPULATION_HEADER, register_rows())
    _write(folder / "applications.csv", APPLICATIONS_HEADER, APPLICATIONS)
    return folder


@pytest.fixture
def exclusion_input(tmp_path: Path) -> Path:
    return write_exclusion_input(tmp_path / "input")
