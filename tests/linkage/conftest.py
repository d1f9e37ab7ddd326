"""A small registry with known duplicates, built in code so every answer is known."""

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pytest

from payproof.scenario.identity import ibans, iin_numbers, iin_with_typo, phones
from payproof.scenario.names import mother_names, transliterate


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "spark: starts a local Spark session (about a minute; -m 'not spark' skips)"
    )


def _swap(d: date) -> date:
    return date(d.year, d.day, d.month)


@pytest.fixture(scope="session")
def registry():
    """300 mothers, then duplicates of known kinds; returns (families table, true pairs)."""
    rng = np.random.default_rng(2024)
    n = 300
    births = rng.integers(-9000, 3000, size=n)
    iin = iin_numbers(births, np.ones(n, bool), rng)
    assert len(set(iin)) == n
    names = mother_names(n, rng, latin_rate=0.0)[0].to_pylist()
    dob = [date(1970, 1, 1) + timedelta(days=int(d)) for d in births]
    ids = [f"F{k:04d}" for k in range(n)]
    phone = phones(n, rng).to_pylist()
    acc = ibans(n, rng).to_pylist()
    district = [f"district {k % 7}" for k in range(n)]
    rows = {c: [] for c in ("family_id", "mother_id", "mother_name", "mother_birth_date",
                            "district", "phone", "bank_account")}  # fmt: skip

    def add(fid, iin_s, name, born, dist, ph, ac):
        for col, v in zip(rows, (fid, iin_s, name, born, dist, ph, ac), strict=True):
            rows[col].append(v)

    for k in range(n):
        add(ids[k], f"{iin[k]:012d}", names[k], dob[k], district[k], phone[k], acc[k])
    truth = []

    def dup(k, fid, **change):
        v = {"iin_s": f"{iin[k]:012d}", "name": names[k], "born": dob[k],
             "dist": district[k], "ph": phone[k], "ac": acc[k]}  # fmt: skip
        v.update(change)
        add(fid, **v)
        truth.append((ids[k], fid))

    dup(0, "D01", name=transliterate(names[0]), ph=None, ac=None)
    dup(1, "D02", name=transliterate(names[1]).upper(), dist="district 9")
    dup(2, "D03", iin_s=f"{iin_with_typo(iin[2:3], rng)[0]:012d}", ph=None)
    s = f"{iin[3]:012d}"
    dup(3, "D04", iin_s=s[:8] + s[9] + s[8] + s[10:], ac=None)  # two digits swapped
    k = next(i for i in range(20, n) if dob[i].day <= 12 and dob[i].day != dob[i].month)
    dup(k, "D05", born=_swap(dob[k]), ph=None)
    parts = names[5].split(" ")
    dup(5, "D06", name=" ".join(parts[:2][::-1]), dist="district 8", ac=None)
    dup(6, "D07", name=transliterate(names[6]).replace("zh", "j"), iin_s=None)
    # negatives: a relative sharing the phone and account of mother 7
    add("N01", f"{iin_numbers(np.array([500]), np.array([True]), rng)[0]:012d}", names[8],
        date(1971, 5, 16), district[7], phone[7], acc[7])  # fmt: skip
    table = pa.table(rows)
    return table, {tuple(sorted(p)) for p in truth}


@pytest.fixture(scope="session")
def deduped(registry):
    from payproof.engine import DuckDBEngine
    from payproof.linkage.dedupe import dedupe_mothers

    table, truth = registry
    engine = DuckDBEngine()
    engine.register_arrow("families_arrow", table)
    engine.materialise("families", "SELECT * FROM families_arrow")
    return engine, dedupe_mothers(engine), truth


@pytest.fixture(scope="session")
def children_table():
    """400 children, then a child in two families (C1, C2: same IIN, name in two
    scripts), twins (C3, C4: kept apart) and a child without IIN recorded twice with
    day and month swapped (C5, C6); the duplicate clusters are {C1, C2} and {C5, C6}."""
    import duckdb

    rng = np.random.default_rng(8)
    n = 400
    born = rng.integers(14000, 19000, size=n)
    iin = iin_numbers(born, rng.random(n) < 0.5, rng)
    names = mother_names(n, rng, latin_rate=0.0)[0].to_pylist()
    kids = pa.table(
        {
            "child_id": [f"K{k:04d}" for k in range(n)],
            "family_id": [f"F{k // 3:04d}" for k in range(n)],
            "child_national_id": [f"{v:012d}" for v in iin],
            "name": [" ".join(x.split(" ")[:2]) for x in names],
            "birth_date": pa.array(born.astype("datetime64[D]")),
        }
    )
    con = duckdb.connect()
    con.register("kids", kids)
    return con.sql(
        """SELECT * FROM kids UNION ALL SELECT * FROM (VALUES
           ('C1', 'X1', '150304600013', 'Ахметов Нұрлан', DATE '2015-03-04'),
           ('C2', 'X2', '150304600013', 'Akhmetov Nurlan', DATE '2015-03-04'),
           ('C3', 'X1', '170512500021', 'Ахметова Айгүл', DATE '2017-05-12'),
           ('C4', 'X1', '170512500039', 'Ахметова Айжан', DATE '2017-05-12'),
           ('C5', 'X3', NULL, 'Омаров Серік', DATE '2012-01-02'),
           ('C6', 'X4', NULL, 'Omarov Serik', DATE '2012-02-01'),
           ('C7', 'X5', '180101500012', 'Есенов Ерлан', DATE '2018-01-01'))"""
    ).to_arrow_table()
