"""Which children count, judged on the first day of each month, in Python and in SQL."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from payproof.rules import child_counts, compute_entitlements, parse_rules
from tests.rules.conftest import computed, load_registry, young

D = date
# (case, period, birth, death, student_until, counts?)
CASES = [
    ("born on the 1st", "2025-03", D(2025, 3, 1), None, None, True),
    ("born on the 2nd", "2025-03", D(2025, 3, 2), None, None, False),
    ("born on the 2nd, next month", "2025-04", D(2025, 3, 2), None, None, True),
    ("18th birthday on the 1st", "2025-03", D(2007, 3, 1), None, None, False),
    ("18th birthday on the 2nd", "2025-03", D(2007, 3, 2), None, None, True),
    ("18th birthday on the last day", "2025-03", D(2007, 3, 31), None, None, True),
    ("18 in the previous month", "2025-03", D(2007, 2, 28), None, None, False),
    ("born 29 Feb, February of 18th year", "2026-02", D(2008, 2, 29), None, None, True),
    ("born 29 Feb, March of 18th year", "2026-03", D(2008, 2, 29), None, None, False),
    ("student aged 22", "2025-03", D(2003, 3, 2), None, D(2025, 6, 30), True),
    ("student, studies end on the 1st", "2025-03", D(2003, 3, 2), None, D(2025, 3, 1), True),
    ("student, studies ended before", "2025-03", D(2003, 3, 2), None, D(2025, 2, 28), False),
    ("student, 23rd birthday on the 1st", "2025-03", D(2002, 3, 1), None, D(2026, 6, 30), False),
    ("student, 23rd birthday on the 2nd", "2025-03", D(2002, 3, 2), None, D(2026, 6, 30), True),
    ("adult, not a student", "2025-03", D(2003, 3, 2), None, None, False),
    ("minor with past student_until", "2025-03", D(2010, 1, 1), None, D(2020, 1, 1), True),
    ("died before the 1st", "2025-03", D(2015, 1, 1), D(2025, 2, 28), None, False),
    ("died on the 1st", "2025-03", D(2015, 1, 1), D(2025, 3, 1), None, True),
    ("died mid-month", "2025-03", D(2015, 1, 1), D(2025, 3, 15), None, True),
    ("died mid previous month", "2025-04", D(2015, 1, 1), D(2025, 3, 15), None, False),
    ("student who died", "2025-03", D(2003, 3, 2), D(2025, 1, 5), D(2025, 6, 30), False),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize(("case", "period", "birth", "death", "student", "counts"), CASES, ids=IDS)
def test_python(kz, case, period, birth, death, student, counts):
    assert child_counts(kz, period, birth, death, student) is counts


def test_sql_agrees_on_every_case(kz, engine):
    """Family i has 3 children who always count plus case i's child: entitled iff it counts."""
    families, children = [], []
    for i, (_, _, birth, death, student, _) in enumerate(CASES):
        fid = f"F{i:02d}"
        families.append((fid, D(2020, 1, 1)))
        children += young(fid, 3) + [(fid, birth, death, student)]
    load_registry(engine, families, children)
    compute_entitlements(engine, kz, "2025-01", "2026-12")
    got = computed(engine)
    for i, (case, period, *_, counts) in enumerate(CASES):
        assert ((f"F{i:02d}", period) in got) is counts, case
        if counts:
            assert got[(f"F{i:02d}", period)][0] == 4, case


def test_rules_without_student_limit_do_not_count_students(kz, engine):
    text = kz.raw | {"eligibility": {"min_children": 4, "age_limit": 18}}
    rules = parse_rules(yaml.safe_dump(text).encode(), source="nostudents.yaml")
    assert not child_counts(rules, "2025-03", D(2003, 3, 2), None, D(2025, 6, 30))
    student = ("F", D(2003, 3, 2), None, D(2025, 6, 30))
    load_registry(engine, [("F", D(2020, 1, 1))], [*young("F", 3), student])
    compute_entitlements(engine, rules, "2025-03", "2025-03")
    assert computed(engine) == {}
