"""The static receipt verification page: built from a real log, run in headless Chromium.

The same receipts, genuine and tampered, go through ``payproof ledger verify-receipt``'s
code too: the page and the command must agree on every one.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import shutil
from html import unescape
from pathlib import Path

import pytest

from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.errors import VerificationError
from payproof.ledger import note
from payproof.ledger.append import append_from_engine
from payproof.ledger.checkpoint import Checkpoint
from payproof.ledger.receipt import make_receipt, parse_tlog_proof, verify_receipt
from payproof.ledger.storage import Log
from payproof.ledger.verify_page import MESSAGES, render_verify_page, write_verify_page

ORIGIN = "gov.example/payproof/allowance"
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A log of 37 payments (half with an account) and 1 grievance, its signer and receipts."""
    tmp = tmp_path_factory.mktemp("verify-page")
    eng = DuckDBEngine()
    cur = eng.con.cursor()
    cur.execute(
        """CREATE TABLE disbursements AS SELECT 'P' || range AS payment_id,
        'F' || (range % 11) AS family_id, '2024-0' || (1 + range % 9) AS period,
        CAST(4676000 + range AS BIGINT) AS amount, DATE '2024-01-05' AS paid_on,
        'OF' || (range % 3) AS office_id, 'S' || (range % 5) AS staff_id, 'bank' AS channel,
        CASE WHEN range % 2 = 0 THEN NULL ELSE 'KZ' || range END AS account FROM range(37)"""
    )
    signer = note.generate_key(ORIGIN)
    log = Log.create(tmp / "log", signer, fsync=False)
    append_from_engine(log, eng, batch_rows=10)
    receipts = {rid: make_receipt(log, rid) for rid in ("P0", "P7", "P36")}
    log.close()
    page = write_verify_page(tmp / "log", tmp / "verify.html")
    return {"tmp": tmp, "signer": signer, "log": tmp / "log", "receipts": receipts, "page": page}


def _resign(receipt: dict, signer, origin: str | None = None) -> dict:
    """The receipt with its checkpoint re-signed by ``signer`` (optionally for another origin)."""
    proof = parse_tlog_proof(receipt["tlog_proof"])
    body = proof.checkpoint.split("\n\n")[0] + "\n"
    lines = body.split("\n")
    cp = Checkpoint(origin or lines[0], int(lines[1]), base64.b64decode(lines[2]))
    proof.checkpoint = cp.sign([signer])
    out = copy.deepcopy(receipt)
    out["tlog_proof"] = proof.serialize()
    return out


def tampered(built) -> dict[str, tuple[dict, str]]:
    """name -> (receipt, the page's expected failure reason)."""
    good = built["receipts"]["P7"]
    out = {}
    r = copy.deepcopy(good)
    r["entry"] = r["entry"].replace('"amount":4676007', '"amount":4676070')
    out["entry"] = (r, "err_inclusion")
    r = copy.deepcopy(good)
    proof = parse_tlog_proof(r["tlog_proof"])
    proof.hashes[1] = bytes([proof.hashes[1][0] ^ 1]) + proof.hashes[1][1:]
    r["tlog_proof"] = proof.serialize()
    out["proof"] = (r, "err_inclusion")
    r = copy.deepcopy(good)
    r["tlog_proof"] = re.sub(r"\n37\n", "\n38\n", r["tlog_proof"], count=1)
    out["checkpoint"] = (r, "err_sig")
    out["other_key"] = (_resign(good, note.generate_key(ORIGIN)), "err_sig")
    out["origin"] = (_resign(good, built["signer"], "gov.example/payproof/other"), "err_origin")
    r = copy.deepcopy(good)
    r["log"] = "gov.example/payproof/other"
    out["receipt_log"] = (r, "err_origin")
    r = copy.deepcopy(good)
    r["opening"]["account"] = "KZ8"
    out["opening"] = (r, "err_opening")
    r = copy.deepcopy(good)
    r["index"] = 8
    out["index"] = (r, "err_index")
    return out


def test_receipts_agree_with_the_command(built):
    """What the page must reject, verify-receipt rejects too; the genuine ones pass both."""
    key = note.parse_vkey(built["signer"].vkey)
    for receipt in built["receipts"].values():
        verify_receipt(receipt, key)
    assert tampered(built)["entry"][0]["entry"] != built["receipts"]["P7"]["entry"]
    for name, (receipt, _) in tampered(built).items():
        with pytest.raises(VerificationError):
            verify_receipt(receipt, key)
            pytest.fail(f"verify-receipt accepted the tampered {name}")


def test_page_is_self_contained_with_a_strict_csp(built):
    html = built["page"].read_text(encoding="utf-8")
    assert built["signer"].vkey in html
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    csp = unescape(csp)
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    for text in (script, style):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert not re.search(r"(?:src|href)\s*=|https?://|@import|fetch\(|XMLHttpRequest", html)
    for lang in ("en", "ru", "kk"):
        assert f'<option value="{lang}">' in html
    assert len(MESSAGES) > 20


def test_page_opens_in_a_chosen_language():
    """The portal passes the mother's language: the page says it and the script keeps it."""
    from payproof.errors import InputError

    verifier = note.generate_key(ORIGIN).verifier
    html = render_verify_page(verifier, "ru")
    assert '<html lang="ru" data-lang="ru">' in html
    assert "<title>Проверка квитанции payproof</title>" in html
    assert '<html lang="en">' in render_verify_page(verifier)  # the browser's language
    with pytest.raises(InputError):
        render_verify_page(verifier, "de")


def test_page_refuses_a_key_that_does_not_sign_the_log(built):
    with pytest.raises(VerificationError):
        write_verify_page(built["log"], built["tmp"] / "x.html",
                          vkey=note.generate_key(ORIGIN).vkey)  # fmt: skip


def _browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).is_file() and not shutil.which("chromium"):
        pytest.skip("chromium is not installed")
    return sync_api


def _check(page, receipt: dict, path: Path) -> tuple[str, str, str]:
    path.write_text(json.dumps(receipt, indent=1, ensure_ascii=False), encoding="utf-8")
    page.evaluate("document.getElementById('result').removeAttribute('data-verdict')")
    page.set_input_files("#file", str(path))
    page.wait_for_selector("#result[data-verdict]", timeout=10_000)
    res = page.locator("#result")
    return (res.get_attribute("data-verdict"), res.get_attribute("data-reason"),
            page.inner_text("#verdict") + " " + page.inner_text("#reason"))  # fmt: skip


def test_in_chromium(built):
    sync_api = _browser()
    other_page = built["tmp"] / "other-key.html"
    other_page.write_text(render_verify_page(note.generate_key(ORIGIN).verifier),
                          encoding="utf-8")  # fmt: skip
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            ctx = browser.new_context(locale="en-US")
            page = ctx.new_page()
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(built["page"].as_uri())
            for rid, receipt in built["receipts"].items():
                verdict, reason, text = _check(page, receipt, built["tmp"] / f"{rid}.json")
                assert (verdict, reason) == ("pass", "ok"), (rid, text)
                assert text.startswith("VALID")
            for name, (receipt, why) in tampered(built).items():
                verdict, reason, text = _check(page, receipt, built["tmp"] / f"bad-{name}.json")
                assert (verdict, reason) == ("fail", why), (name, text)
                assert text.startswith("NOT VALID")
            verdict, reason, _ = _check(page, {"format": "x"}, built["tmp"] / "junk.json")
            assert (verdict, reason) == ("fail", "err_format")
            # Pasting the receipt's text works like opening the file.
            page.evaluate("document.getElementById('result').removeAttribute('data-verdict')")
            page.fill("#paste", json.dumps(built["receipts"]["P36"]))
            page.click("#check")
            page.wait_for_selector("#result[data-verdict]", timeout=10_000)
            assert page.get_attribute("#result", "data-verdict") == "pass"
            page.fill("#paste", "{not json")
            page.click("#check")
            page.wait_for_selector("#result[data-reason='err_json']", timeout=10_000)
            # The language switcher re-renders the verdict in Kazakh.
            page.select_option("#lang", "kk")
            assert page.inner_text("#verdict") == "ЖАРАМСЫЗ"
            assert page.evaluate("document.documentElement.lang") == "kk"
            # A page made for another key rejects the genuine receipt.
            page.goto(other_page.as_uri())
            verdict, reason, text = _check(page, built["receipts"]["P7"], built["tmp"] / "g.json")
            assert (verdict, reason) == ("fail", "err_sig"), text
            assert all(u.startswith("file:") for u in requests), requests
            assert errors == []
            # A Russian browser gets the page in Russian without touching the switcher.
            ru = browser.new_context(locale="ru-RU").new_page()
            ru.goto(built["page"].as_uri())
            _, _, text = _check(ru, built["receipts"]["P0"], built["tmp"] / "ru.json")
            assert text.startswith("ДЕЙСТВИТЕЛЬНА"), text
            assert ru.inner_text("h1") == "Проверка квитанции payproof"
        finally:
            browser.close()
