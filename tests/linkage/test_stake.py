"""Money at stake, duplicate payments and the entitlement filter, on hand-made tables."""

from __future__ import annotations

from payproof.linkage.flags import compute_red_flags
from payproof.linkage.report import ghost_section
from payproof.linkage.stake import exclude_duplicate_entitlements, money_at_stake
from tests.linkage.ghosts_data import engine_with


def _engine():
    fams = [
        ("F1", "1985-01-01", "O1", "2016-05-01", None, "+7700"),  # primary (earliest)
        ("F2", "1985-01-01", "O2", "2017-05-01", None, "+7701"),  # duplicate of F1
        ("F3", "1986-01-01", "O1", "2018-01-01", None, "+7702"),  # tie: F3 primary over F4
        ("F4", "1986-01-01", "O1", "2018-01-01", None, "+7702"),
        ("F5", "1987-01-01", "O2", "2018-01-01", None, None),
    ]
    pays = [
        ("P1", "F1", "2022-01", 1000, "O1", "S1", None),
        ("P2", "F2", "2022-01", 1000, "O2", "S2", None),
        ("P3", "F2", "2022-02", 1000, "O2", "S2", None),
        ("P4", "F4", "2022-01", 500, "O1", "S1", None),
        ("P5", "F5", "2022-01", 700, "O2", "S2", None),
        ("P6", "G1", "2022-01", 900, "O2", "S3", None),  # not in the registry
    ]
    e = engine_with(families=fams, payments=pays, staff=[("S1", "O1"), ("S2", "O2")])
    e.execute(
        "CREATE TABLE mother_clusters AS SELECT * FROM (VALUES ('F1', 1, 2), ('F2', 1, 2), "
        "('F3', 2, 2), ('F4', 2, 2), ('F5', 3, 1)) t(family_id, cluster_id, cluster_size)"
    )
    return e


def test_duplicate_records_and_payments():
    e = _engine()
    compute_red_flags(e)
    money_at_stake(e)
    assert e.rows("SELECT * FROM duplicate_records ORDER BY family_id") == [
        ("F2", "1", "F1"), ("F4", "2", "F3")
    ]  # fmt: skip
    assert e.rows("SELECT * FROM duplicate_payments ORDER BY family_id, period") == [
        ("F2", "2022-01", "F1", 1000), ("F2", "2022-02", "F1", 1000), ("F4", "2022-01", "F3", 500)
    ]  # fmt: skip


def test_money_by_office_and_staff():
    e = _engine()
    money_at_stake(e)  # computes red_flags itself
    office = {r[0]: r[1:] for r in e.rows("SELECT * FROM ghost_money_by_office")}
    # O1 paid F1 (cluster member) and F4 (duplicate); O2 paid F2 (duplicate) and G1 (ghost)
    assert office["O1"] == (2, 1500, 500, 1500)
    assert office["O2"] == (2, 2900, 2000, 3600)
    staff = {r[0]: r[1:] for r in e.rows("SELECT * FROM ghost_money_by_staff")}
    assert staff["S2"] == ("O2", 1, 2000, 2000, 2700)
    assert staff["S3"] == ("O2", 1, 900, 0, 900)  # unknown clerk: office of its lines
    by_flag = dict(e.rows("SELECT flag, amount_paid FROM ghost_money_by_flag"))
    assert by_flag["mother_registered_twice"] == 1000 + 2000 + 0 + 500
    assert by_flag["not_in_registry"] == 900


def test_entitlement_filter_zeroes_duplicate_records_only():
    e = _engine()
    e.execute(
        "CREATE TABLE ent AS SELECT * FROM (VALUES ('F1', '2022-01', 1000, 'r1'), "
        "('F2', '2022-01', 1000, 'r1'), ('F5', '2022-01', 700, 'r1')) "
        "t(family_id, period, amount, rules_version)"
    )
    out = exclude_duplicate_entitlements(e, "ent")
    assert e.rows(f"SELECT * FROM {out} ORDER BY family_id") == [
        ("F1", "2022-01", 1000, "r1"), ("F2", "2022-01", 0, "r1"), ("F5", "2022-01", 700, "r1")
    ]  # fmt: skip
    e.execute("DROP TABLE mother_clusters")
    assert exclude_duplicate_entitlements(e, "ent") == "ent"


def test_report_section_is_escaped_and_names_no_beneficiary(tmp_path):
    e = _engine()
    e.execute("UPDATE families SET bank_account = 'KZ<b>' WHERE family_id IN ('F1', 'F5')")
    money_at_stake(e)
    section = ghost_section(e)
    html = section.html
    assert section.anchor == "ghosts" and "<svg" in html and "O1" in html and "S2" in html
    for private in ("F1", "F2", "G1", "KZ", "+770", "M F"):
        assert private not in html
    assert "Mother registered more than once" in html
    empty = engine_with()
    assert "not computed" in ghost_section(empty).html
    assert "No audit store" in ghost_section(tmp_path).html
