"""A mother signs in with her code, reads her statement, files a grievance, keeps a receipt
that verifies offline against the ledger."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from payproof.ledger.note import parse_vkey
from payproof.ledger.receipt import verify_receipt

pytestmark = pytest.mark.django_db


def test_statement_shows_her_months_in_plain_words(mother):
    html = mother.get("/statement/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Paid in full" in html and "Never paid" in html
    assert "Received less than was paid out" in html
    # owed: Feb 46 760.00 + Mar 14 028.00 = 60 788.00
    assert "60,788.00 ₸" in html
    assert "Turkistan district office" in html
    words = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)  # random tokens
    assert "F2" not in words and "58,450" not in words  # nothing of another family


def test_grievance_is_on_the_ledger_with_a_receipt_that_verifies(
    mother, loaded, settings, tmp_path
):
    r = mother.get("/grievances/new/?period=2022-02&category=not_paid")
    assert 'value="2022-02"' in r.content.decode() and 'value="46760.00"' in r.content.decode()
    r = mother.post(
        "/grievances/new/",
        {
            "category": "not_paid",
            "period": "2022-02",
            "amount": "46760.00",
            "staff_named": "Clerk Aliyev",
            "description": "Nothing came in February.",
        },
    )
    assert r.status_code == 302
    tracking = r["Location"].split("/")[2]
    page = mother.get(r["Location"]).content.decode()
    assert tracking in page and "entry #0" in page
    receipt = json.loads(mother.get(f"/grievances/{tracking}/receipt.json").content)
    assert receipt["format"] == "payproof-receipt/v1"
    entry = json.loads(receipt["entry"])
    assert entry["type"] == "grievance" and entry["grievance_id"] == tracking
    assert entry["amount_claimed"] == 4676000 and entry["period"] == "2022-02"
    text = receipt["entry"]
    for personal in ("F1", "900101300111", "Aliyev", "February", "+7701"):
        assert personal not in text  # commitments only on the public log
    verdict = verify_receipt(receipt, parse_vkey(loaded))
    assert verdict.opened == ["family_id"]
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "payproof", "ledger", "verify-receipt", str(path), "--vkey", loaded],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("VALID") and tracking in out.stdout
    listing = mother.get("/grievances/").content.decode()
    assert tracking in listing


def test_tampered_receipt_fails(mother, loaded):
    r = mother.post("/grievances/new/", {"category": "other", "description": "x"})
    tracking = r["Location"].split("/")[2]
    receipt = json.loads(mother.get(f"/grievances/{tracking}/receipt.json").content)
    receipt["opening"]["family_id"] = "F2"
    from payproof.errors import VerificationError

    with pytest.raises(VerificationError):
        verify_receipt(receipt, parse_vkey(loaded))


def test_anonymous_report_and_follow_with_secret(client, loaded):
    r = client.post("/report/", {"category": "bribe_demanded", "description": "asked 30 %"})
    html = r.content.decode()
    assert r.status_code == 200 and 'id="secret"' in html
    tracking = html.split('id="tracking">')[1].split("<")[0]
    secret = html.split('id="secret">')[1].split("<")[0]
    other = type(client)()
    assert other.get(f"/grievances/{tracking}/").status_code in (403, 404)
    assert other.post("/follow/", {"tracking": tracking, "secret": "WRONG"}).status_code == 200
    r = other.post("/follow/", {"tracking": tracking, "secret": secret})
    assert r.status_code == 302
    assert other.get(f"/grievances/{tracking}/receipt.json").status_code == 200


def test_photo_limits(mother, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    exe = SimpleUploadedFile("s.jpg", b"MZ\x90\x00not a photo", content_type="image/jpeg")
    r = mother.post("/grievances/new/", {"category": "other", "photo": exe})
    assert r.status_code == 200 and b"JPEG, PNG or PDF" in r.content
    settings.UPLOAD_MAX_BYTES = 100
    big = SimpleUploadedFile("s.png", b"\x89PNG\r\n\x1a\n" + b"0" * 200, content_type="image/png")
    r = mother.post("/grievances/new/", {"category": "other", "photo": big})
    assert r.status_code == 200 and b"larger than" in r.content
    settings.UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    ok = SimpleUploadedFile("s.png", b"\x89PNG\r\n\x1a\n" + b"0" * 200, content_type="image/png")
    r = mother.post("/grievances/new/", {"category": "other", "photo": ok})
    assert r.status_code == 302
    stored = list(settings.PRIVATE_MEDIA.iterdir())
    assert len(stored) == 1 and stored[0].suffix == ".png" and stored[0].stat().st_mode & 0o077 == 0


def test_languages(mother):
    kk = mother.get("/statement/", HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    ru = mother.get("/statement/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Ақпан 2022" in kk and "Февраль 2022" in ru
    assert "Мүлдем төленбеді" in kk and "Не выплачено" in ru  # February: never paid
    assert "Бұл дұрыс емес" in kk and "Это неверно" in ru
    assert "60\u00a0788,00 ₸" in kk and "60\u00a0788,00 ₸" in ru
    r = mother.post("/lang/", {"language": "ru", "next": "/statement/"})
    assert r.status_code == 302
    assert 'lang="ru"' in mother.get("/statement/").content.decode()


def test_no_confirmation_for_a_month_nothing_was_paid(mother):
    r = mother.post("/statement/confirm/", {"period": "2022-13", "amount": "100"})
    assert r.status_code == 400


def test_confirm_what_reached_her(client, loaded, settings, tmp_path):
    import csv

    from payproof.portal.export import export
    from payproof.portal.status import set_status
    from tests.portal.conftest import sign_in

    sign_in(client, "880202400222", settings.SMS_OUTBOX, "+77010000002")
    html = client.get("/statement/").content.decode()
    assert 'name="amount"' in html and 'value="58450.00"' in html
    r = client.post("/statement/confirm/", {"period": "2022-02", "amount": "58450.00"})
    assert r.status_code == 302 and "confirmed=2022-02" in r["Location"]
    assert (
        client.post("/statement/confirm/", {"period": "2030-01", "amount": "1"}).status_code == 400
    )
    r = client.post("/grievances/new/", {"category": "not_paid", "period": "2022-01"})
    tracking = r["Location"].split("/")[2]
    set_status(tracking, "under_review", "sent to the district office")
    page = client.get(f"/grievances/{tracking}/").content.decode()
    assert "Received and logged" in page and "Under review" in page
    assert "sent to the district office" in page
    export(tmp_path / "next")
    rows = list(csv.DictReader((tmp_path / "next" / "receipts.csv").open()))
    assert rows[0]["family_id"] == "F2" and rows[0]["amount"] == "58450.00"
    assert rows[0]["source"] == "beneficiary_confirmation"
