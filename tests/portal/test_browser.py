"""Real Chromium (Debian's /usr/bin/chromium, driven by Playwright, JavaScript off): a mother
signs in with the code from the outbox, reads her statement, switches language, files a
grievance from "This is wrong", downloads the receipt, which verifies offline; screenshots
are kept as artefacts ($PAYPROOF_ARTEFACTS, else the test's temporary folder)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.portal.conftest import write_audit
from tests.portal.served import run_cli, serving

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None, reason="no playwright"),
]


@pytest.fixture
def artefacts(tmp_path) -> Path:
    out = Path(os.environ.get("PAYPROOF_ARTEFACTS", tmp_path / "artefacts")) / "portal"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_mother_flow_without_javascript(tmp_path, browser, artefacts):
    from payproof.portal.sms import latest_code

    folder = tmp_path / "demo"
    write_audit(folder / "audit")
    with serving(folder) as (base, _):
        ctx = browser.new_context(
            java_script_enabled=False,
            accept_downloads=True,
            locale="kk-KZ",
            viewport={"width": 360, "height": 740},  # a cheap phone
        )
        page = ctx.new_page()
        responses = []

        def keep(r):
            responses.append(r)

        page.on("response", keep)
        page.goto(base + "/")
        assert page.locator("html").get_attribute("lang") == "kk"
        weight = sum(len(r.body()) for r in responses)
        assert len(responses) == 2 and weight < 100_000, f"first page load {weight} bytes"
        page.remove_listener("response", keep)
        page.screenshot(path=str(artefacts / "01-home-kk.png"), full_page=True)
        _accessible(page)

        page.get_by_role("button", name="English").click()  # the switcher: a plain form
        assert page.locator("html").get_attribute("lang") == "en"
        page.get_by_role("link", name="Sign in").first.click()
        _accessible(page)
        page.get_by_label("Your IIN (12 digits)").fill("900101300111")
        page.get_by_role("button", name="Send me a code").click()
        code = latest_code(folder / "portal" / "outbox", "+77010000001")
        page.get_by_label("The code from the SMS").fill(code)
        page.get_by_role("button", name="Sign in").click()
        assert page.url.endswith("/statement/")
        assert "60,788.00 ₸" in page.inner_text("#total-owed")
        assert "Never paid" in page.content()
        page.screenshot(path=str(artefacts / "02-statement-en.png"), full_page=True)
        _accessible(page)

        page.get_by_role("button", name="Русский").click()
        assert "Не выплачено" in page.content() and "Февраль 2022" in page.content()
        page.screenshot(path=str(artefacts / "03-statement-ru.png"), full_page=True)
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
        page.screenshot(path=str(artefacts / "04-receipt.png"), full_page=True)
        _accessible(page)
        with page.expect_download() as dl:
            page.click("#download-receipt")
        receipt = tmp_path / "receipt.json"
        dl.value.save_as(receipt)
        assert json.loads(receipt.read_text())["format"] == "payproof-receipt/v1"
        page.get_by_role("link", name="My complaints").click()
        assert tracking in page.content()
        ctx.close()

        vkey = (folder / "portal" / "keys" / "ledger.vkey").read_text().strip()
        r = run_cli("ledger", "verify-receipt", str(receipt), "--vkey", vkey)
        assert r.returncode == 0 and r.stdout.startswith("VALID"), r.stderr

        if importlib.util.find_spec("payproof.ledger.verify_page") is not None:
            _verify_on_static_page(browser, base, receipt, artefacts)
    shutil.copy(folder / "serve.log", artefacts / "serve.log")


UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter(e => e.type !== 'hidden')
    .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                 && !(e.tagName === 'BUTTON' && e.textContent.trim()))
    .map(e => e.outerHTML)"""


def _accessible(page) -> None:
    """Basic WCAG checks on the page: a language, a title, a main landmark, one h1, and a
    name for every control (a label, an aria-label or a button's text)."""
    assert page.locator("html").get_attribute("lang") in ("kk", "ru", "en")
    assert page.title() and page.locator("main").count() == 1
    assert page.locator("h1").count() == 1
    assert page.evaluate(UNLABELLED) == []


def _verify_on_static_page(browser, base: str, receipt: Path, artefacts: Path) -> None:
    """The ledger's static verification page (JavaScript on: it checks in the browser)."""
    ctx = browser.new_context(locale="en-GB")
    page = ctx.new_page()
    page.goto(base + "/verify/")
    page.set_input_files("input[type=file]", str(receipt))
    page.wait_for_function("document.body.innerText.includes('VALID')", timeout=10_000)
    assert "NOT VALID" not in page.inner_text("body")
    page.screenshot(path=str(artefacts / "05-verify-page.png"), full_page=True)
    ctx.close()
