"""Loading audits (atomic replace, grievances kept) and exporting for the next audit."""

from __future__ import annotations

import csv

import pytest

from tests.portal.conftest import FAMILIES, write_audit

pytestmark = pytest.mark.django_db


def test_newer_audit_replaces_statements_and_keeps_grievances(mother, tmp_path):
    from payproof.portal.load import load_audit
    from payproof.portal.models import AuditRun, Grievance, Statement

    r = mother.post("/grievances/new/", {"category": "not_paid", "period": "2022-02"})
    tracking = r["Location"].split("/")[2]
    before = Statement.objects.count()
    changed = [
        (FAMILIES[0][0], FAMILIES[0][1], FAMILIES[0][2], [("2022-02", 46760, 46760, 46760, "ok")])
    ] + FAMILIES[1:]
    result = load_audit(write_audit(tmp_path / "audit2", changed))
    assert result.replaced == before and result.statements == before - 2
    assert AuditRun.objects.filter(current=True).count() == 1
    assert AuditRun.objects.get(current=True).run_id == result.run_id
    assert Grievance.objects.filter(tracking=tracking).exists()
    html = mother.get("/statement/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Never paid" not in html and "0.00 ₸" in html
    assert mother.get(f"/grievances/{tracking}/").status_code == 200


def _statements() -> list[tuple]:
    from payproof.portal.models import Statement

    return list(
        Statement.objects.order_by("family__family_id", "period").values_list(
            "family__family_id",
            "run__run_id",
            "period",
            "entitled",
            "disbursed",
            "received",
            "owed",
            "status",
            "office_id",
            "office_name",
        )
    )


def _families() -> list[tuple]:
    from payproof.portal.models import Family

    return list(
        Family.objects.order_by("family_id").values_list(
            "family_id", "iin", "phone", "district", "total_owed"
        )
    )


def test_failed_load_leaves_the_previous_statements(loaded, tmp_path):
    before, families = _statements(), _families()
    duplicated = [*FAMILIES, (FAMILIES[2][0], "", "", FAMILIES[2][3])]  # F3's month twice
    bad = write_audit(tmp_path / "audit3", duplicated, scale=2)
    from payproof.portal.load import load_audit

    with pytest.raises(Exception):  # noqa: B017 (the database's integrity error)
        load_audit(bad, batch_rows=2)  # the duplicate is in the last batch
    assert _statements() == before and _families() == families


@pytest.mark.parametrize("batch_rows", [1, 2, 5])
def test_small_batches_load_what_one_batch_loads(db, tmp_path, batch_rows):
    from payproof.portal.load import load_audit

    first = write_audit(tmp_path / "a1", FAMILIES)
    second = write_audit(tmp_path / "a2", FAMILIES[1:], scale=2)  # F1 gone, F2 and F3 changed
    load_audit(first, batch_rows=10_000)
    one_batch = load_audit(second, batch_rows=10_000)
    expected = (_statements(), _families())
    load_audit(first, batch_rows=batch_rows)
    batched = load_audit(second, batch_rows=batch_rows)
    assert (_statements(), _families()) == expected
    assert (batched.families, batched.statements) == (one_batch.families, one_batch.statements)
    assert dict((f[0], f[4]) for f in expected[1])["F1"] == 0  # gone from the audit: owes 0


def test_a_failure_in_a_late_batch_leaves_the_old_statements(loaded, tmp_path, monkeypatch):
    from payproof.portal import load

    before, families = _statements(), _families()
    calls = []
    real = load.insert_statements

    def failing(cursor, rows):
        calls.append(len(rows))
        if len(calls) == 3:
            raise OSError("disk full")
        real(cursor, rows)

    monkeypatch.setattr(load, "insert_statements", failing)
    with pytest.raises(OSError, match="disk full"):
        load.load_audit(write_audit(tmp_path / "audit4", FAMILIES, scale=3), batch_rows=2)
    assert calls == [2, 2, 2]  # two batches were written before the failure
    assert _statements() == before and _families() == families


def test_missing_outputs_are_a_clear_error(db, tmp_path):
    from payproof.errors import InputError
    from payproof.portal.load import load_audit

    with pytest.raises(InputError, match="findings.parquet"):
        load_audit(tmp_path)


def test_export_in_the_input_contract(mother, tmp_path):
    import json
    from pathlib import Path

    from payproof.portal.export import export

    mother.post(
        "/grievances/new/",
        {
            "category": "bribe_demanded",
            "period": "2022-03",
            "amount": "14 028,00",
            "description": "30 per cent",
        },
    )
    g, _ = export(tmp_path / "next")
    rows = list(csv.DictReader((tmp_path / "next" / "grievances.csv").open(encoding="utf-8")))
    assert g == 1 and rows[0]["family_id"] == "F1" and rows[0]["amount_claimed"] == "14028.00"
    assert rows[0]["category"] == "bribe_demanded" and rows[0]["period"] == "2022-03"
    contract = json.loads((Path(__file__).parents[2] / "payproof/contract/tables.json").read_text())
    assert list(rows[0]) == list(contract["tables"]["grievances"]["columns"])
    header = (tmp_path / "next" / "receipts.csv").read_text().splitlines()[0].split(",")
    assert header == list(contract["tables"]["receipts"]["columns"])


def test_export_records_who_took_each_familys_data(mother, settings, tmp_path, caplog):
    """Every family whose data the export writes gets an access record (operator, what,
    when) before the file exists; the log line names no family, IIN or phone."""
    import logging

    from django.test import Client

    from payproof.portal.export import export
    from payproof.portal.models import AccessLog
    from tests.portal.conftest import sign_in

    mother.post("/grievances/new/", {"category": "other", "description": "x"})
    mother.post("/grievances/new/", {"category": "not_paid", "period": "2022-02"})
    other = Client()
    sign_in(other, "880202400222", settings.SMS_OUTBOX, "+77010000002")
    other.post("/statement/confirm/", {"period": "2022-02", "amount": "58450"})
    anonymous = Client()
    anonymous.post("/report/", {"category": "other", "description": "anonymous"})
    assert not AccessLog.objects.exists()  # mothers' own views are not access by others

    logger = logging.getLogger("payproof.portal.access")  # "payproof.portal" does not propagate
    logger.addHandler(caplog.handler)
    try:
        g, r = export(tmp_path / "next", operator="auditor-aigerim")
    finally:
        logger.removeHandler(caplog.handler)
    assert (g, r) == (3, 1)
    got = sorted(AccessLog.objects.values_list("family__family_id", "operator", "what"))
    assert got == [("F1", "auditor-aigerim", "export"), ("F2", "auditor-aigerim", "export")]
    assert all(a.viewer is None and a.at is not None for a in AccessLog.objects.all())
    line = caplog.text
    assert "auditor-aigerim" in line and "export" in line and "2 families" in line
    for secret in ("F1", "F2", "900101300111", "880202400222", "+7701"):
        assert secret not in line


def test_an_export_that_cannot_record_access_writes_nothing(mother, tmp_path, monkeypatch):
    from payproof.portal import access
    from payproof.portal.export import export

    mother.post("/grievances/new/", {"category": "other", "description": "x"})

    def broken(*args, **kwargs):
        raise RuntimeError("access log unavailable")

    monkeypatch.setattr(access, "record_operator_access", broken)
    with pytest.raises(RuntimeError):
        export(tmp_path / "next", operator="someone")
    assert not (tmp_path / "next" / "grievances.csv").exists()


def test_access_needs_a_viewer_or_an_operator(loaded):
    from django.db import IntegrityError, transaction

    from payproof.portal.models import AccessLog, Family

    with pytest.raises(IntegrityError), transaction.atomic():
        AccessLog.objects.create(family=Family.objects.first(), what="export")


def test_operator_name_defaults(monkeypatch):
    from payproof.portal.access import operator_name

    monkeypatch.setenv("PAYPROOF_OPERATOR", "clerk-7")
    assert operator_name() == "clerk-7" and operator_name("given") == "given"
    monkeypatch.delenv("PAYPROOF_OPERATOR")
    assert "@" in operator_name()
