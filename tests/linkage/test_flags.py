"""Each red-flag rule on tiny hand-made tables with known answers."""

from __future__ import annotations

import pyarrow as pa

from payproof.linkage.flags import (
    BURST_WINDOW_DAYS,
    MAX_CHILDREN,
    RULES,
    compute_red_flags,
    score_bursts,
)
from tests.linkage.ghosts_data import engine_with, flags_of

REG = "2015-01-01"


def fam(fid, office="O1", reg=REG, acc=None, phone=None, mb="1985-06-15"):
    return (fid, mb, office, reg, acc, phone)


def test_shared_account_in_registry_or_payments_and_money():
    e = engine_with(
        families=[fam("F1", acc="A"), fam("F2", acc="A"), fam("F3"), fam("F4"), fam("F5", acc="B")],
        payments=[
            ("P1", "F3", "2022-01", 100, "O1", "S1", "X"),
            ("P2", "F4", "2022-01", 250, "O1", "S1", "X"),
            ("P3", "F4", "2022-02", 250, "O1", "S1", "X"),
            ("P4", "F5", "2022-01", 100, "O1", "S1", "B"),
        ],
    )
    compute_red_flags(e)
    assert flags_of(e, "shared_account") == {("F1", None), ("F2", None), ("F3", None),
                                              ("F4", None)}  # fmt: skip
    paid = dict(e.rows("SELECT family_id, amount_paid FROM red_flags WHERE flag='shared_account'"))
    assert paid == {"F1": 0, "F2": 0, "F3": 100, "F4": 500}
    ev = e.scalar("SELECT evidence FROM red_flags WHERE family_id = 'F4'")
    assert ev == "account X is used for 2 families (0 in the registry, 2 in payments)"


def test_shared_phone():
    e = engine_with(families=[fam("F1", phone="+7701"), fam("F2", phone="+7701"),
                              fam("F3", phone="+7702")])  # fmt: skip
    compute_red_flags(e)
    assert flags_of(e, "shared_phone") == {("F1", None), ("F2", None)}


def test_child_in_two_families_by_id_and_by_cluster():
    e = engine_with(
        families=[fam("F1"), fam("F2"), fam("F3")],
        children=[
            ("C1", "F1", "111", "2010-01-05", None),
            ("C2", "F2", "111", "2010-01-05", None),
            ("C3", "F3", "333", "2012-01-05", None),
            ("C4", "F1", None, "2012-03-05", None),
        ],
    )
    compute_red_flags(e)
    assert flags_of(e, "child_in_two_families") == {("F1", "C1"), ("F2", "C2")}
    e.execute("CREATE TABLE child_clusters AS SELECT * FROM (VALUES ('C3', 7, 2), "
              "('C4', 7, 2), ('C1', 1, 1)) t(child_id, cluster_id, cluster_size)")  # fmt: skip
    compute_red_flags(e)
    assert flags_of(e, "child_in_two_families") == {("F1", "C1"), ("F2", "C2"), ("F3", "C3"),
                                                     ("F1", "C4")}  # fmt: skip
    assert e.scalar("SELECT entity FROM red_flags WHERE child_id = 'C1'") == "national ID 111"


def test_siblings_closer_than_nine_months_but_not_twins():
    kids = [("A1", "F1", None, "2010-01-01", None), ("A2", "F1", None, "2010-01-01", None),
            ("A3", "F1", None, "2010-01-03", None), ("A4", "F1", None, "2010-01-06", None),
            ("A5", "F1", None, "2010-10-02", None),  # 269 days after A4
            ("A6", "F1", None, "2011-06-29", None),  # 270 days after A5
            ("B1", "F2", None, "2012-05-01", None)]  # fmt: skip
    e = engine_with(families=[fam("F1"), fam("F2")], children=kids)
    compute_red_flags(e)
    assert flags_of(e, "siblings_too_close") == {("F1", "A4"), ("F1", "A5")}


def test_mother_age_bounds_in_full_years():
    e = engine_with(
        families=[fam("F1", mb="1990-03-10"), fam("F2", mb="1950-03-10")],
        children=[
            ("C1", "F1", None, "2004-03-09", None),  # 13 years and 364 days
            ("C2", "F1", None, "2004-03-10", None),  # 14 exactly
            ("C3", "F2", None, "2006-03-09", None),  # 55
            ("C4", "F2", None, "2006-03-10", None),  # 56: over 55
        ],
    )
    compute_red_flags(e)
    assert flags_of(e, "implausible_mother_age") == {("F1", "C1"), ("F2", "C4")}


def test_registered_after_death_and_paid_after_death():
    e = engine_with(
        families=[fam("F1", reg="2015-06-01"), fam("F2", reg="2015-06-01")],
        children=[
            ("C1", "F1", None, "2010-01-01", "2015-05-31"),
            ("C2", "F2", None, "2010-01-01", "2015-06-01"),
            ("C3", "F2", None, "2011-01-01", "2022-02-14"),
        ],
        payments=[("P1", "F2", "2022-03", 500, "O1", "S1", None)],
    )
    e.execute(
        "CREATE TABLE findings AS SELECT * FROM (VALUES ('F2', '2022-02', 0), "
        "('F2', '2022-03', 120), ('F2', '2022-04', 0)) t(family_id, period, excess)"
    )
    compute_red_flags(e)
    assert flags_of(e, "registered_after_death") == {("F1", "C1")}
    # C2 died long before, C3 just before the month with the excess: both deaths precede it
    assert flags_of(e, "paid_after_death") == {("F2", "C2"), ("F2", "C3")}
    compute_red_flags(e, findings=None)
    assert flags_of(e, "paid_after_death") == set()


def test_too_many_children():
    kids = [(f"A{i}", "F1", None, f"{1990 + i}-01-01", None) for i in range(MAX_CHILDREN + 1)]
    kids += [(f"B{i}", "F2", None, f"{1990 + i}-01-01", None) for i in range(MAX_CHILDREN)]
    e = engine_with(families=[fam("F1"), fam("F2")], children=kids)
    compute_red_flags(e)
    assert flags_of(e, "too_many_children") == {("F1", None)}


def _register(e, prefix: str, office: str, first: str, n: int, every: str) -> None:
    """``n`` families of ``office`` registered ``first`` + ``every`` days (SQL of i)."""
    e.execute(
        f"INSERT INTO families SELECT i, '{prefix}' || lpad(CAST(i AS VARCHAR), 3, '0'), 'M', 'n', "
        f"DATE '1980-01-01', 'D', '{office}', CAST(DATE '{first}' + CAST({every} AS INTEGER) "
        f"AS DATE), NULL, NULL FROM range({n}) t(i)"
    )


def test_registration_burst_against_the_office_own_rate():
    e = engine_with()
    _register(e, "R", "O1", "2018-01-01", 78, "14 * i")  # one a fortnight for 3 years
    _register(e, "B", "O1", "2019-03-04", 12, "i % 7")  # then 12 in one week
    _register(e, "S", "O2", "2018-01-01", 300, "(i * 7) // 10")  # a steady 10 a week
    compute_red_flags(e)
    got = {f for f, _ in flags_of(e, "registration_burst")}
    burst = {f"B{i:03d}" for i in range(12)}
    assert burst <= got
    assert not {f for f in got if f.startswith("S")}
    assert len(got - burst) <= 1  # at most the one regular registration inside that week
    ev = e.scalar("SELECT evidence FROM red_flags WHERE family_id = 'B000'")
    assert ev.startswith("office O1, window from 2019-03-0") and "12 registrations" in ev


def test_burst_statistic_needs_count_ratio_and_p():
    t = pa.table({"office_id": ["A", "B", "C"], "start_dn": [1, 1, 1], "n_window": [9, 12, 30],
                  "n_before": [0, 120, 13], "n_after": [0, 120, 13], "total": [9, 1000, 200],
                  "span_days": [700, 700, 700]})  # fmt: skip
    s = score_bursts(t).to_pydict()
    assert s["burst"] == [False, False, True]  # too few; usual rate; a spike
    assert abs(s["expected"][2] - 2.0) < 1e-9 and s["p_value"][2] < 1e-12
    assert BURST_WINDOW_DAYS == 7


def test_not_in_registry_and_mother_registered_twice():
    e = engine_with(
        families=[fam("F1"), fam("F2"), fam("F3")],
        payments=[("P1", "G9", "2022-01", 700, "O1", "S1", None),
                  ("P2", "G9", "2022-02", 700, "O1", "S1", None),
                  ("P3", "F2", "2022-01", 300, "O1", "S1", None)],
    )  # fmt: skip
    e.execute("CREATE TABLE mother_clusters AS SELECT * FROM (VALUES ('F1', 1, 2), ('F2', 1, 2), "
              "('F3', 3, 1)) t(family_id, cluster_id, cluster_size)")  # fmt: skip
    compute_red_flags(e)
    assert e.rows(
        "SELECT family_id, amount_paid FROM red_flags WHERE flag = 'not_in_registry'"
    ) == [("G9", 1400)]
    assert flags_of(e, "mother_registered_twice") == {("F1", None), ("F2", None)}


def test_missing_optional_tables_give_an_empty_typed_table():
    e = engine_with(families=[fam("F1")])
    for t in ("children", "disbursements", "staff"):
        e.execute(f"DROP TABLE {t}")
    compute_red_flags(e)
    cols = e.rows("SELECT column_name, data_type FROM information_schema.columns "
                  "WHERE table_name = 'red_flags' ORDER BY ordinal_position")  # fmt: skip
    assert cols == [("flag", "VARCHAR"), ("rule", "VARCHAR"), ("family_id", "VARCHAR"),
                    ("child_id", "VARCHAR"), ("entity", "VARCHAR"), ("evidence", "VARCHAR"),
                    ("amount_paid", "BIGINT")]  # fmt: skip
    assert e.scalar("SELECT count(*) FROM red_flags") == 0
    leftovers = e.rows("SELECT table_name FROM information_schema.tables "
                       "WHERE table_name LIKE 'rf_%'")  # fmt: skip
    assert leftovers == []


def test_every_flag_has_a_rule_in_words():
    assert all(r.text.endswith(".") and r.code == k for k, r in RULES.items())


def test_a_big_cluster_names_its_first_records_and_counts_the_rest():
    """Each record of a cluster carries the text, so it is bounded (k records, not k² ids)."""
    import duckdb

    from payproof.engine.dialect import DUCKDB
    from payproof.linkage.flags import JOINED_IDS_MAX, joined_ids

    n = JOINED_IDS_MAX + 7
    with duckdb.connect() as con:  # its own connection: the module's default one is shared
        rows = con.execute(
            f"SELECT {joined_ids(DUCKDB, 'v')} FROM (SELECT 'F' || lpad(CAST(i AS VARCHAR), 3, '0')"
            f" AS v FROM range({n}) t(i))"
        ).fetchall()
    ids = ", ".join(f"F{i:03d}" for i in range(JOINED_IDS_MAX))
    assert rows == [(f"{ids} (and 7 more)",)]
