"""Real Chromium (Debian's /usr/bin/chromium, driven by Playwright), the whole flow twice:
with JavaScript off and with it on. A mother signs in with the code from the outbox, reads
her statement, switches language, files a grievance from "This is wrong", downloads the
receipt (a real download event), which verifies offline and on the portal's /verify/
page (VALID; a tampered copy NOT VALID). The first page's transferred bytes and the
no-enumeration answer are measured in the browser. Screenshots are kept as artefacts
($PAYPROOF_ARTEFACTS/portal, else the test's temporary folder)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.portal.browsing import needs_chromium
from tests.portal.conftest import write_audit
from tests.portal.served import run_cli, serving

pytestmark = needs_chromium

FIRST_PAGE_LIMIT = 100_000  # bytes on the wire: the page and all its subresources


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_mother_flow(tmp_path, browser, artefacts, javascript):
    from payproof.portal.sms import latest_code

    shots = artefacts / ("js" if javascript else "no-js")
    shots.mkdir(exist_ok=True)
    folder = tmp_path / "demo"
    write_audit(folder / "audit")
    outbox = folder / "portal" / "outbox"
    with serving(folder) as (base, _):
        ctx = browser.new_context(
            java_script_enabled=javascript,
            accept_downloads=True,
            locale="kk-KZ",
            viewport={"width": 360, "height": 740},  # a cheap phone
        )
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        weight, count = first_page_weight(page, base + "/")
        assert count == 2 and weight < FIRST_PAGE_LIMIT, f"first page: {count} requests, {weight} B"
        (shots / "first-page.json").write_text(json.dumps({"requests": count, "bytes": weight}))
        assert page.locator("html").get_attribute("lang") == "kk"
        page.screenshot(path=str(shots / "01-home-kk.png"), full_page=True)
        _accessible(page)

        page.get_by_role("button", name="English").click()  # the switcher: a plain form
        assert page.locator("html").get_attribute("lang") == "en"
        page.get_by_role("link", name="Sign in").first.click()
        _accessible(page)
        page.get_by_label("Your IIN (12 digits)").fill("900101300111")
        page.get_by_role("button", name="Send me a code").click()
        page.get_by_label("The code from the SMS").fill(latest_code(outbox, "+77010000001"))
        page.get_by_role("button", name="Sign in").click()
        assert page.url.endswith("/statement/")
        assert "60,788.00 ₸" in page.inner_text("#total-owed")
        assert "Never paid" in page.content()
        page.screenshot(path=str(shots / "02-statement-en.png"), full_page=True)
        _accessible(page)

        page.get_by_role("button", name="Русский").click()
        assert page.locator("html").get_attribute("lang") == "ru"
        assert "Не выплачено" in page.content() and "Февраль 2022" in page.content()
        page.screenshot(path=str(shots / "03-statement-ru.png"), full_page=True)
        page.get_by_role("button", name="Қазақша").click()
        assert page.locator("html").get_attribute("lang") == "kk"
        page.get_by_role("button", name="English").click()

        page.get_by_role("link", name="This is wrong (February 2022)").click()
        assert page.get_by_label("Month (YYYY-MM)").input_value() == "2022-02"
        assert page.get_by_label("Amount in tenge").input_value() == "46760.00"
        assert page.get_by_label("I was not paid").is_checked()
        _accessible(page)
        page.get_by_label("In your own words").fill("Nothing arrived in February.")
        page.get_by_role("button", name="Send the complaint").click()
        tracking = page.inner_text("#tracking")
        assert tracking.startswith("G-") and "entry #0" in page.content()
        page.screenshot(path=str(shots / "04-receipt.png"), full_page=True)
        _accessible(page)
        with page.expect_download() as dl:
            page.click("#download-receipt")
        assert dl.value.suggested_filename == f"payproof-receipt-{tracking}.json"
        receipt = tmp_path / dl.value.suggested_filename
        dl.value.save_as(receipt)
        assert json.loads(receipt.read_text())["format"] == "payproof-receipt/v1"
        page.get_by_role("link", name="My complaints").click()
        assert tracking in page.content()

        if javascript:  # the same browser, JavaScript on: the portal's /verify/ page
            _verify_on_page(page, base, receipt, shots)
        else:
            verifier = browser.new_context(locale="en-GB")
            _verify_on_page(verifier.new_page(), base, receipt, shots)
            verifier.close()
        assert errors == []
        ctx.close()

        vkey = (folder / "portal" / "keys" / "ledger.vkey").read_text().strip()
        r = run_cli("ledger", "verify-receipt", str(receipt), "--vkey", vkey)
        assert r.returncode == 0 and r.stdout.startswith("VALID"), r.stderr
    shutil.copy(folder / "serve.log", shots / "serve.log")


def first_page_weight(page, url: str) -> tuple[int, int]:
    """Bytes on the wire (request and response headers and bodies, as the browser counts
    them) of loading ``url`` with all its subresources, and the number of requests."""
    requests = []

    def keep(request) -> None:
        requests.append(request)

    page.on("requestfinished", keep)
    page.goto(url, wait_until="load")
    page.remove_listener("requestfinished", keep)
    total = 0
    for r in requests:
        s = r.sizes()
        total += sum(s[k] for k in s)
        assert s["responseBodySize"] >= 0
    return total, len(requests)


def test_no_enumeration_in_the_browser(tmp_path, browser):
    """A registered IIN, an unknown one and one without a phone get the same redirect and the
    same page, byte for byte apart from the CSRF token; only the registered one gets an SMS."""
    folder = tmp_path / "demo"
    write_audit(folder / "audit")
    outbox = folder / "portal" / "outbox"
    pages = {}
    with serving(folder) as (base, _):
        for iin in ("900101300111", "990909999999", "870303500333"):
            ctx = browser.new_context(locale="en-GB", java_script_enabled=False)
            page = ctx.new_page()
            page.goto(base + "/signin/")
            page.get_by_label("Your IIN (12 digits)").fill(iin)
            with page.expect_response(lambda r: r.request.method == "POST") as posted:
                page.get_by_role("button", name="Send me a code").click()
            assert posted.value.status == 302
            assert posted.value.headers["location"] == "/signin/code/"
            assert page.url == base + "/signin/code/"
            html = page.content()
            pages[iin] = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
            ctx.close()
        sent = [p for p in outbox.rglob("*.json")] if outbox.exists() else []
    assert len(set(pages.values())) == 1
    assert len(sent) == 1


def _verify_on_page(page, base: str, receipt: Path, shots: Path) -> None:
    """The portal's /verify/ page checks in the browser: the receipt VALID, a copy whose
    entry was altered NOT VALID."""
    page.goto(base + "/verify/")
    assert page.locator("html").get_attribute("lang") in ("kk", "ru", "en")
    verdict, text = _check(page, receipt)
    assert verdict == "pass" and text.startswith("VALID"), text
    page.screenshot(path=str(shots / "05-verify-valid.png"), full_page=True)

    tampered = receipt.with_name("tampered-" + receipt.name)
    doc = json.loads(receipt.read_text())
    doc["entry"] = doc["entry"].replace("2022-02", "2022-03", 1)
    assert doc["entry"] != json.loads(receipt.read_text())["entry"]
    tampered.write_text(json.dumps(doc))
    verdict, text = _check(page, tampered)
    assert verdict == "fail" and "NOT VALID" in text, text
    page.screenshot(path=str(shots / "06-verify-tampered.png"), full_page=True)


def _check(page, receipt: Path) -> tuple[str, str]:
    page.evaluate("document.getElementById('result').removeAttribute('data-verdict')")
    page.set_input_files("#file", str(receipt))
    page.wait_for_selector("#result[data-verdict]", timeout=10_000)
    return page.get_attribute("#result", "data-verdict"), page.inner_text("#result")


UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter(e => e.type !== 'hidden')
    .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                 && !(e.tagName === 'BUTTON' && e.textContent.trim()))
    .map(e => e.outerHTML)"""


def _accessible(page) -> None:
    """Basic WCAG checks on the page (axe-core's full audit is test_accessibility.py): a
    language, a title, a main landmark, one h1, and a name for every control."""
    assert page.locator("html").get_attribute("lang") in ("kk", "ru", "en")
    assert page.title() and page.locator("main").count() == 1
    assert page.locator("h1").count() == 1
    assert page.evaluate(UNLABELLED) == []
