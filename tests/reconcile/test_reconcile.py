"""The reconciliation's amounts, statuses and flags on hand-made family-months."""

from __future__ import annotations

import pytest

from payproof.reconcile import attribute, reconcile
from tests.reconcile.conftest import add_entitlement, add_family, add_payment, add_receipt


def _finding(db, family_id, period="2022-01"):
    cols = ("entitled", "disbursed", "received", "delivered", "owed", "not_disbursed",
            "lost_in_delivery", "excess", "status", "flags")  # fmt: skip
    row = db.rows(
        f"SELECT {', '.join(cols)} FROM findings WHERE family_id = ? AND period = ?",
        [family_id, period],
    )
    assert len(row) == 1
    return dict(zip(cols, row[0], strict=True))


# (E, D, R or None) -> status, owed, not_disbursed, lost_in_delivery, excess
CASES = [
    ((0, 500, None), "paid_not_entitled", 0, 0, 0, 500),
    ((0, 500, 500), "paid_not_entitled", 0, 0, 0, 500),
    ((0, 0, 300), "undocumented_receipt", 0, 0, 0, 0),
    ((1000, 0, None), "unpaid", 1000, 1000, 0, 0),
    ((1000, 0, 300), "undocumented_receipt", 700, 1000, 0, 0),
    ((1000, 1000, 0), "diverted", 1000, 0, 1000, 0),
    ((1000, 1000, 700), "skimmed", 300, 0, 300, 0),
    ((1000, 600, 600), "underpaid", 400, 400, 0, 0),
    ((1000, 600, None), "underpaid", 400, 400, 0, 0),
    ((1000, 1500, 1500), "overpaid", 0, 0, 0, 500),
    ((1000, 1000, None), "unverified", 0, 0, 0, 0),
    ((1000, 1000, 1000), "ok", 0, 0, 0, 0),
    ((1000, 1000, 1200), "ok", 0, 0, 0, 0),
]


@pytest.mark.parametrize(("edr", "status", "owed", "not_disbursed", "lost", "excess"), CASES)
def test_status_and_amounts(engine, edr, status, owed, not_disbursed, lost, excess):
    e, d, r = edr
    add_family(engine, "F1")
    if e:
        add_entitlement(engine, "F1", "2022-01", e)
    if d:
        add_payment(engine, "P1", "F1", "2022-01", d)
    if r is not None:
        add_receipt(engine, "R1", "F1", "2022-01", r)
    reconcile(engine)
    f = _finding(engine, "F1")
    assert f["status"] == status
    assert (f["owed"], f["not_disbursed"], f["lost_in_delivery"], f["excess"]) == (
        owed, not_disbursed, lost, excess,
    )  # fmt: skip
    assert f["received"] == r
    assert f["delivered"] == (r if r is not None else d)


def test_lines_and_receipts_are_summed_per_month(engine):
    add_family(engine, "F1")
    add_entitlement(engine, "F1", "2022-01", 1000)
    add_payment(engine, "P1", "F1", "2022-01", 600)
    add_payment(engine, "P2", "F1", "2022-01", 400, staff_id="S2")
    add_receipt(engine, "R1", "F1", "2022-01", 300)
    add_receipt(engine, "R2", "F1", "2022-01", 300)
    reconcile(engine)
    f = _finding(engine, "F1")
    assert (f["disbursed"], f["received"], f["lost_in_delivery"], f["status"]) == (
        1000, 600, 400, "skimmed",
    )  # fmt: skip
    row = engine.rows("SELECT staff_id, n_disbursements FROM findings")[0]
    assert row == ("S1", 2)


def test_best_evidence_source_wins_and_conflict_is_flagged(engine):
    add_family(engine, "F1")
    add_entitlement(engine, "F1", "2022-01", 1000)
    add_payment(engine, "P1", "F1", "2022-01", 1000)
    add_receipt(engine, "R1", "F1", "2022-01", 1000, "bank_statement")
    add_receipt(engine, "R2", "F1", "2022-01", 700, "survey")
    reconcile(engine)
    f = _finding(engine, "F1")
    assert (f["received"], f["status"]) == (1000, "ok")
    assert f["flags"] == ["conflicting_evidence"]


def test_flags(engine):
    add_family(engine, "F1", registered_on="2022-03-15")
    add_family(engine, "F2", account="KZ1", phone="+7700")
    add_family(engine, "F3", account="KZ1", phone="+7700")
    engine.execute(
        "INSERT INTO children VALUES ('C1', 'F2', NULL, 'A', DATE '2004-01-15', NULL, NULL)"
    )
    add_payment(engine, "P1", "F1", "2022-02", 100)  # before registration (March)
    add_payment(engine, "P2", "F1", "2022-03", 100)  # registration month: fine
    add_payment(engine, "P3", "F2", "2022-02", 100)  # the only child turned 18 in January
    add_payment(engine, "P4", "F2", "2022-01", 100)  # on 1 January the child was 17
    add_payment(engine, "P5", "F9", "2022-01", 100)  # not in the registry
    add_payment(engine, "P6", "F1", "2022-04", 100, account="KZ7")
    add_payment(engine, "P7", "F9", "2022-04", 100, account="KZ7")
    reconcile(engine)
    flags = {
        (r[0], r[1]): r[2] for r in engine.rows("SELECT family_id, period, flags FROM findings")
    }
    assert flags[("F1", "2022-02")] == ["before_registration"]
    assert flags[("F1", "2022-03")] == []
    assert flags[("F2", "2022-02")] == ["after_children_aged_out", "shared_account", "shared_phone"]
    assert flags[("F2", "2022-01")] == ["shared_account", "shared_phone"]
    assert flags[("F9", "2022-01")] == ["family_not_in_registry"]
    assert flags[("F1", "2022-04")] == ["shared_account"]
    assert flags[("F9", "2022-04")] == ["family_not_in_registry", "shared_account"]


def test_student_keeps_counting_until_23(engine):
    add_family(engine, "F1")
    engine.execute(
        "INSERT INTO children VALUES ('C1', 'F1', NULL, 'A', DATE '2001-06-15', NULL, "
        "DATE '2025-06-30')"
    )
    add_payment(engine, "P1", "F1", "2024-06", 100)  # student, 22
    add_payment(engine, "P2", "F1", "2024-07", 100)  # 23rd birthday was 15 June 2024
    reconcile(engine)
    flags = dict(engine.rows("SELECT period, flags FROM findings"))
    assert flags == {"2024-06": [], "2024-07": ["after_children_aged_out"]}


def test_loss_split_across_lines_is_exact(engine):
    add_family(engine, "F1")
    add_entitlement(engine, "F1", "2022-01", 300)
    add_payment(engine, "P1", "F1", "2022-01", 100, staff_id="S1")
    add_payment(engine, "P2", "F1", "2022-01", 100, staff_id="S2")
    add_payment(engine, "P3", "F1", "2022-01", 100, staff_id="S2")
    add_receipt(engine, "R1", "F1", "2022-01", 299)
    add_family(engine, "F2")
    add_entitlement(engine, "F2", "2022-01", 1000)
    add_payment(engine, "P4", "F2", "2022-01", 1000, staff_id="S1")
    reconcile(engine)
    attribute(engine)
    lost = dict(engine.rows("SELECT staff_id, lost FROM staff_results"))
    assert sum(lost.values()) == 1  # one tiyn lost, attributed exactly once
    assert lost == {"S1": 1, "S2": 0}  # ties go to the first payment id
    verified = dict(engine.rows("SELECT staff_id, verified_lines FROM staff_results"))
    assert verified == {"S1": 1, "S2": 2}
    office = engine.rows(
        "SELECT lost_in_delivery, not_disbursed, owed FROM office_results WHERE office_id = 'O1'"
    )
    assert office == [(1, 0, 1)]


def test_entitlement_source_is_recorded(engine):
    add_family(engine, "F1")
    add_entitlement(engine, "F1", "2022-01", 300)
    reconcile(engine)
    assert engine.scalar("SELECT entitlement_source FROM findings") == "input"
