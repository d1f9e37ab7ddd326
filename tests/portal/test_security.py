"""Security: a mother sees only her own family; CSRF; rate limits; no enumeration; headers;
views by helpers logged; no personal data in logs."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from tests.portal.conftest import sign_in

pytestmark = pytest.mark.django_db

F2 = ("880202400222", "+77010000002")


def _file(client, **extra) -> str:
    data = {"category": "not_paid", "period": "2022-01", "description": "private words"}
    r = client.post("/grievances/new/", {**data, **extra})
    assert r.status_code == 302
    return r["Location"].split("/")[2]


def _all_urls(tracking: str) -> list[str]:
    return [
        "/statement/",
        "/grievances/",
        "/grievances/new/",
        f"/grievances/{tracking}/",
        f"/grievances/{tracking}/receipt.json",
    ]


def test_every_url_against_another_familys_ids(loaded, settings):
    a, b = Client(), Client()
    sign_in(a, "900101300111", settings.SMS_OUTBOX, "+77010000001")
    sign_in(b, *F2[:1], settings.SMS_OUTBOX, F2[1])
    t_a = _file(a, description="words of A")
    t_b = _file(b, description="words of B")
    # B's own pages never show A's data (F1's amounts are 46 760.00; F2's 58 450.00)
    for url in _all_urls(t_b):
        body = b.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert t_a not in body and "words of A" not in body and "46,760" not in body, url
    # every URL with A's grievance id, requested by B: 404 (the same as a missing one)
    for url in _all_urls(t_a)[3:]:
        assert b.get(url).status_code == 404, url
    # a query string naming another family or period does not widen what is shown
    body = b.get("/statement/?family=F1&family_id=1").content.decode()
    assert "Never paid" not in body  # F1's unpaid February
    anon = Client()
    for url in _all_urls(t_a):
        assert anon.get(url).status_code in (403, 404), url


def test_csrf_required_on_every_form(loaded, settings):
    c = Client(enforce_csrf_checks=True)
    for url, data in [
        ("/signin/", {"iin": "900101300111"}),
        ("/report/", {"category": "other"}),
        ("/follow/", {"tracking": "G-X", "secret": "Y"}),
        ("/lang/", {"language": "ru"}),
        ("/helper/login/", {"username": "x", "password": "y"}),
    ]:
        assert c.post(url, data).status_code == 403, url


def test_no_enumeration(loaded, settings):
    known, unknown = Client(), Client()
    r1 = known.post("/signin/", {"iin": "900101300111"})
    r2 = unknown.post("/signin/", {"iin": "999999999999"})
    assert (r1.status_code, r1["Location"]) == (r2.status_code, r2["Location"])
    p1 = known.get("/signin/code/").content.decode()
    p2 = unknown.get("/signin/code/").content.decode()
    strip = lambda s: s.split("csrfmiddlewaretoken")[0]  # noqa: E731
    assert strip(p1) == strip(p2)
    # a family without a phone on the registry: the same answer, no code sent
    r3 = Client().post("/signin/", {"iin": "870303500333"})
    assert r3["Location"] == r1["Location"]
    assert len(list(settings.SMS_OUTBOX.glob("*/*.json"))) == 1


def test_sign_in_rate_limited_per_iin_and_address(loaded, settings):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "code_iin": "3/h"}
    c = Client()
    codes = [c.post("/signin/", {"iin": "900101300111"}).status_code for _ in range(4)]
    assert codes == [302, 302, 302, 429]
    other_ip = Client(REMOTE_ADDR="10.0.0.9")
    assert other_ip.post("/signin/", {"iin": "900101300111"}).status_code == 429  # per IIN
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "code_ip": "2/h", "code_iin": "100/h"}
    d = Client(REMOTE_ADDR="10.0.0.10")
    got = [d.post("/signin/", {"iin": f"90010130{i:04d}"}).status_code for i in range(3)]
    assert got == [302, 302, 429]


def test_wrong_codes_are_throttled_and_codes_expire(loaded, settings):
    from payproof.portal.models import SMSDevice
    from payproof.portal.sms import latest_code

    c = Client()
    c.post("/signin/", {"iin": "900101300111"})
    good = latest_code(settings.SMS_OUTBOX, "+77010000001")
    wrong = "000000" if good != "000000" else "111111"
    assert b"wrong or has expired" in c.post("/signin/code/", {"code": wrong}).content
    # right after a failure the device refuses even the right code (django-otp throttling)
    assert c.post("/signin/code/", {"code": good}).status_code == 200
    device = SMSDevice.objects.get()
    device.throttle_reset()
    from django.utils import timezone

    device.valid_until = timezone.now()
    device.save()
    assert c.post("/signin/code/", {"code": good}).status_code == 200  # expired


def test_security_headers_and_cookies(mother, settings):
    r = mother.get("/statement/")
    csp = r["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src" not in csp  # no JavaScript at all
    assert r["X-Frame-Options"] == "DENY" and r["X-Content-Type-Options"] == "nosniff"
    assert r["Cache-Control"] == "no-store" and r["Referrer-Policy"] == "same-origin"


def test_production_settings_are_secure():
    import subprocess
    import sys

    code = (
        "import os;os.environ.pop('PAYPROOF_PORTAL_HTTP',None);"
        "os.environ['DJANGO_SETTINGS_MODULE']='payproof.portal.settings';"
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE,s.CSRF_COOKIE_SECURE,s.SESSION_COOKIE_HTTPONLY,"
        "s.SECURE_HSTS_SECONDS>0,s.SECURE_SSL_REDIRECT,s.DEBUG)"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "PAYPROOF_PORTAL_HTTP"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.split() == ["True", "True", "True", "True", "True", "False"], out.stderr


CLERK = {"username": "clerk1", "password": "a long pass phrase 42"}


def totp_now(device) -> str:
    """The code the helper's authenticator app shows now."""
    from django_otp.oath import TOTP

    return (
        f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"
    )


def test_helper_signs_in_with_password_and_authenticator_code(loaded):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from payproof.portal.helpers import create_helper, reissue_totp

    _, device = create_helper("clerk1", "a long pass phrase 42")
    assert device.config_url.startswith("otpauth://totp/payproof")
    c = Client()
    for data in (
        CLERK,  # no code
        {**CLERK, "otp_token": "000000"},  # a wrong code
        {**CLERK, "password": "wrong", "otp_token": totp_now(device)},  # a wrong password
    ):
        r = c.post("/helper/login/", data)
        assert r.status_code == 200 and "_auth_user_id" not in c.session
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong code's delay, not under test here
    device.throttling_failure_timestamp = None
    device.save()
    code = totp_now(device)
    assert c.post("/helper/login/", {**CLERK, "otp_token": code}).status_code == 302
    assert c.get("/helper/").status_code == 200
    again = Client()  # the same code cannot be used twice (django-otp's last_t)
    assert again.post("/helper/login/", {**CLERK, "otp_token": code}).status_code == 200
    old = TOTPDevice.objects.get(user__username="clerk1")
    new = reissue_totp("clerk1")
    assert new.key != old.key and TOTPDevice.objects.filter(user__username="clerk1").count() == 1


def test_helper_without_an_authenticator_key_cannot_sign_in(loaded):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from payproof.portal.helpers import create_helper

    _, device = create_helper("clerk1", "a long pass phrase 42")
    code = totp_now(device)
    TOTPDevice.objects.all().delete()
    c = Client()
    assert c.post("/helper/login/", {**CLERK, "otp_token": code}).status_code == 200
    assert c.get("/helper/").status_code == 403


def test_helper_needs_consent_and_every_view_is_logged(loaded, settings):
    from payproof.portal.helpers import create_helper
    from payproof.portal.models import AccessLog, Consent
    from payproof.portal.sms import latest_code

    _, device = create_helper("clerk1", "a long pass phrase 42")
    h = Client()
    r = h.post("/helper/login/", {**CLERK, "otp_token": totp_now(device)})
    assert r.status_code == 302
    assert h.get("/statement/").status_code == 403  # no consent yet
    h.post("/helper/", {"iin": "900101300111", "place": "CSC Turkistan"})
    code = latest_code(settings.SMS_OUTBOX, "+77010000001")
    r = h.post("/helper/consent/", {"code": code})  # consent box not ticked
    assert r.status_code == 200 and not Consent.objects.exists()
    r = h.post("/helper/consent/", {"code": code, "consent": "on"})
    assert r.status_code == 302
    assert "Never paid" in h.get("/statement/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    t = _file(h)
    assert h.get(f"/grievances/{t}/").status_code == 200
    assert h.get(f"/grievances/{t}/receipt.json").status_code == 200
    log = list(AccessLog.objects.values_list("what", flat=True))
    assert log.count("statement") == 1 and "grievance" in log and "grievance_form" in log
    assert "receipt" in log
    assert all(a.viewer.username == "clerk1" and a.operator == "" for a in AccessLog.objects.all())
    assert all(a.consent.place == "CSC Turkistan" for a in AccessLog.objects.all())
    h.post("/helper/done/")
    assert h.get("/statement/").status_code == 403


def test_no_personal_data_in_logs(loaded, settings, caplog):
    from payproof.portal.middleware import redact

    assert "900101300111" not in redact("user 900101300111 phone +7 701 000 0001")
    assert "+7 701" not in redact("phone +7 701 000 0001")
    with caplog.at_level(logging.DEBUG):
        c = Client()
        c.post("/signin/", {"iin": "900101300111"})
        c.post("/signin/code/", {"code": "123456"})
    assert "900101300111" not in caplog.text and "+77010000001" not in caplog.text


def test_server_error_page_shows_nothing(loaded, client, monkeypatch):
    from payproof.portal.views import statement as st

    def boom(*a, **k):
        raise RuntimeError("secret 900101300111")

    monkeypatch.setattr(st, "plain", boom)
    sign_in(
        client, "900101300111", __import__("django.conf").conf.settings.SMS_OUTBOX, "+77010000001"
    )
    client.raise_request_exception = False
    r = client.get("/statement/")
    assert r.status_code == 500 and b"900101300111" not in r.content


def test_code_attempts_rate_limited_per_iin(loaded, settings):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "verify_iin": "3/h"}
    got = []
    for i in range(4):  # a new address each time: the limit follows the IIN
        c = Client(REMOTE_ADDR=f"10.0.1.{i}")
        c.post("/signin/", {"iin": "900101300111"})
        got.append(c.post("/signin/code/", {"code": "000001"}).status_code)
    assert got == [200, 200, 200, 429]


def test_verify_page_served_with_its_own_script_allowed(client, loaded, monkeypatch):
    import sys
    import types

    fake = types.ModuleType("payproof.ledger.verify_page")

    def write_verify_page(log_dir, out, lang=None):
        out.write_text(f"<!doctype html><p>verify {log_dir.name} {lang}</p><script>1</script>")
        return out

    fake.write_verify_page = write_verify_page
    monkeypatch.setitem(sys.modules, "payproof.ledger.verify_page", fake)
    r = client.get("/verify/")
    assert r.status_code == 200 and b"verify ledger en" in r.content
    csp = r["Content-Security-Policy"]
    assert "script-src 'unsafe-inline'" in csp and "default-src 'none'" in csp
    assert "connect-src" not in csp  # the page checks in the browser: no network at all


def test_an_iin_on_two_families_signs_in_to_the_family_of_the_phone(db, tmp_path, settings):
    from payproof.portal.load import load_audit
    from payproof.portal.setup import prepare_ledger
    from tests.portal.conftest import FAMILIES, write_audit

    ghost = ("F9", "900101300111", "+77019999999", [("2022-01", 58450, 58450, None, "unverified")])
    load_audit(write_audit(tmp_path / "audit", [*FAMILIES, ghost]))
    prepare_ledger()
    real, other = Client(), Client()
    sign_in(real, "900101300111", settings.SMS_OUTBOX, "+77010000001")
    sign_in(other, "900101300111", settings.SMS_OUTBOX, "+77019999999")
    assert "Never paid" in real.get("/statement/").content.decode()  # F1's February
    body = other.get("/statement/").content.decode()
    assert "Never paid" not in body and "58,450.00" in body  # F9 only
