"""compute_entitlements (SQL) against the one-case Python reference."""

from __future__ import annotations

import copy
import random
from datetime import date, timedelta

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payproof.engine import DuckDBEngine
from payproof.errors import InputError, RulesError
from payproof.periods import period_of, period_range, period_start
from payproof.rules import (
    child_counts,
    compute_entitlements,
    entitlement_amount,
    entitlement_steps,
    parse_rules,
)
from tests.rules.conftest import computed, load_registry, young

D = date


def expected(rules, families, children, periods) -> dict[tuple[str, str], tuple]:
    """The Python reference: count children per family and month, then the amount."""
    out = {}
    for fid, registered in families:
        kids = [c for c in children if c[0] == fid]
        for period in periods:
            if period_of(registered) > period:
                continue
            n = sum(child_counts(rules, period, c[1], c[2], c[3]) for c in kids)
            amount = entitlement_amount(rules, n, period)
            if amount > 0:
                out[(fid, period)] = (n, amount, rules.label)
    return out


def test_columns_types_and_label(kz, engine):
    load_registry(engine, [("F1", D(2024, 1, 10))], young("F1", 5))
    compute_entitlements(engine, kz, "2025-01", "2025-02")
    schema = engine.rows("DESCRIBE entitlements_computed")
    assert [(r[0], r[1]) for r in schema] == [
        ("family_id", "VARCHAR"),
        ("period", "VARCHAR"),
        ("n_children", "INTEGER"),
        ("amount", "BIGINT"),
        ("rules", "VARCHAR"),
    ]
    assert computed(engine) == {
        ("F1", "2025-01"): (5, 7_879_800, "kz-large-family@2026-01"),
        ("F1", "2025-02"): (5, 7_879_800, "kz-large-family@2026-01"),
    }
    tables = {
        r[0]
        for r in engine.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        )
    }
    assert tables == {"families", "children", "entitlements_computed"}, "helpers dropped"


def test_registration_month_is_included(kz, engine):
    families = [("LATE", D(2025, 3, 31)), ("FIRST", D(2025, 4, 1)), ("EARLY", D(2019, 6, 5))]
    children = young("LATE", 4) + young("FIRST", 4) + young("EARLY", 4)
    load_registry(engine, families, children)
    compute_entitlements(engine, kz, "2025-02", "2025-04")
    assert sorted(computed(engine)) == [
        ("EARLY", "2025-02"),
        ("EARLY", "2025-03"),
        ("EARLY", "2025-04"),
        ("FIRST", "2025-04"),
        ("LATE", "2025-03"),
        ("LATE", "2025-04"),
    ]


def test_mci_change_within_the_run(kz, engine):
    load_registry(engine, [("F", D(2019, 1, 1))], young("F", 8))
    compute_entitlements(engine, kz, "2022-03", "2022-04", table="out")
    got = computed(engine, "out")
    assert got[("F", "2022-03")][1] == 9_801_600
    assert got[("F", "2022-04")][1] == 10_176_000


def test_children_of_unregistered_families_are_ignored(kz, engine):
    load_registry(engine, [("F", D(2019, 1, 1))], young("F", 4) + young("GHOST", 6))
    compute_entitlements(engine, kz, "2025-01", "2025-01")
    assert list(computed(engine)) == [("F", "2025-01")]


def test_period_gap_is_a_rules_error(kz, engine):
    load_registry(engine, [("F", D(2019, 1, 1))], young("F", 4))
    with pytest.raises(RulesError, match="no value in force on 2019-12-01"):
        compute_entitlements(engine, kz, "2019-12", "2020-02")
    with pytest.raises(RulesError, match="is after last_period"):
        compute_entitlements(engine, kz, "2025-03", "2025-02")
    with pytest.raises(RulesError, match="Not a period"):
        compute_entitlements(engine, kz, "2025-3", "2025-04")


def test_missing_children_table_is_an_input_error(kz, engine):
    engine.execute("CREATE TABLE families (family_id VARCHAR, registered_on DATE)")
    with pytest.raises(InputError, match="needs the children table"):
        compute_entitlements(engine, kz, "2025-01", "2025-01")
    engine.execute("CREATE TABLE children (family_id VARCHAR, birth_date DATE)")
    with pytest.raises(InputError, match="lacks column\\(s\\) death_date, student_until"):
        compute_entitlements(engine, kz, "2025-01", "2025-01")


def test_steps_are_plain_create_table_as_selects(kz):
    steps = entitlement_steps(kz, "2025-01", "2025-12")
    assert [name for name, _ in steps][-1] == "entitlements_computed"
    for _, sql in steps:
        assert sql.lstrip().upper().startswith("SELECT")
        for exotic in ("generate_series", "range(", "date_trunc", "interval", "//", "::"):
            assert exotic not in sql.lower()


def random_registry(rng: random.Random, n_families: int, periods: list[str]):
    """Families and children with dates crowded around the month boundaries that matter."""
    first, last = period_start(periods[0]), period_start(periods[-1])
    span = (last - first).days + 62

    def near_boundary(years: int) -> date:
        day = first - timedelta(days=30) + timedelta(days=rng.randrange(span))
        day = day.replace(day=1) + timedelta(days=rng.choice([-1, 0, 0, 1, 2, 14]))
        try:
            return day.replace(year=day.year - years)
        except ValueError:  # 29 February
            return day.replace(year=day.year - years, day=28)

    families, children = [], []
    for i in range(n_families):
        fid = f"F{i:04d}"
        families.append((fid, near_boundary(rng.choice([0, 0, 1, 3]))))
        for _ in range(rng.randrange(0, 12)):
            birth = near_boundary(rng.choice([0, 5, 10, 17, 18, 18, 22, 23]))
            death = near_boundary(0) if rng.random() < 0.1 else None
            student = near_boundary(0) if rng.random() < 0.4 else None
            children.append((fid, birth, death, student))
    return families, children


def test_sql_agrees_with_python_on_random_families(kz, engine):
    periods = period_range("2021-11", "2023-02")
    families, children = random_registry(random.Random(20250101), 300, periods)
    load_registry(engine, families, children)
    compute_entitlements(engine, kz, periods[0], periods[-1])
    want = expected(kz, families, children, periods)
    assert len(want) > 1000, "the grid must exercise many entitled family-months"
    assert {n for n, _, _ in want.values()} >= {4, 5, 6, 7, 8, 9}
    assert computed(engine) == want


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), n=st.integers(1, 12))
def test_sql_agrees_with_python_hypothesis(kz, seed, n):
    periods = period_range("2019-12", "2020-05") if seed % 2 else ["2020-01"]
    periods = [p for p in periods if p >= "2020-01"]
    families, children = random_registry(random.Random(seed), n, periods)
    with DuckDBEngine(memory_limit="256MB", threads=1) as eng:
        load_registry(eng, families, children)
        compute_entitlements(eng, kz, periods[0], periods[-1])
        assert computed(eng) == expected(kz, families, children, periods)


def other_rules(kz, formula: dict, parameters: dict, label: str):
    doc = copy.deepcopy(kz.raw)
    doc["id"], doc["version"] = label, "1"
    doc["parameters"] = {"mci": doc["parameters"]["mci"], **parameters}
    doc["formula"] = formula
    return parse_rules(yaml.safe_dump(doc).encode(), source=f"{label}.yaml")


def one(value, decimals: int) -> dict:
    return {"decimals": decimals, "values": [{"from": "2020-01-01", "value": value}]}


@pytest.mark.parametrize(
    ("label", "formula", "parameters", "amounts_2025_01"),
    [
        # fixed: 10.5 MCI whatever the count, rounded half up: 41,286 tenge.
        ("fixed", {"kind": "fixed", "base": "mci", "coefficient": "c", "rounding": "half_up"},
         {"c": one("10.5", 1)}, [0, 4_128_600, 4_128_600]),
        # per child: 1.125 MCI each (3 decimals, the integer-division path), rounded down.
        ("per-child", {"kind": "per_child", "base": "mci", "coefficient": "c", "rounding": "down"},
         {"c": one("1.125", 3)}, [0, 1_769_400, 2_211_700]),
        # scale capped at its top key, no base: amounts written in tenge with tiyn.
        ("capped", {"kind": "scale_by_count", "scale": "s", "rounding": "up"},
         {"s": one({4: "100.10", 5: "200.50"}, 2)}, [0, 10_100, 20_100]),
    ],
)  # fmt: skip
def test_other_formula_kinds(kz, engine, label, formula, parameters, amounts_2025_01):
    rules = other_rules(kz, formula, parameters, label)
    assert rules.label == f"{label}@1"
    got = [entitlement_amount(rules, n, "2025-01") for n in (3, 4, 5)]
    assert got == amounts_2025_01
    periods = period_range("2024-11", "2025-02")
    families, children = random_registry(random.Random(7), 120, periods)
    load_registry(engine, families, children)
    compute_entitlements(engine, rules, periods[0], periods[-1])
    want = expected(rules, families, children, periods)
    assert want and computed(engine) == want
    assert {r[2] for r in computed(engine).values()} == {f"{label}@1"}
