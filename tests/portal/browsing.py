"""What the Chromium tests share: Debian's /usr/bin/chromium through Playwright (never a
downloaded browser), the artefacts folder, signing in with the outbox's code, and an
axe-core audit of a page (axe-playwright-python bundles axe-core).
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

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
# WCAG 2.0/2.1 A and AA rules, and axe's best practices (landmarks, headings); the test fails
# on any violation axe rates serious or critical.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = ("serious", "critical")

needs_chromium = [
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


def sign_in(page, base: str, outbox: Path, iin: str, phone: str) -> None:
    """Sign in through the forms (English labels) with the code the file sender wrote."""
    from payproof.portal.sms import latest_code

    page.goto(base + "/signin/")
    page.get_by_label("Your IIN (12 digits)").fill(iin)
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("The code from the SMS").fill(latest_code(outbox, phone))
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/statement/"), page.url


def axe_audit(page, name: str, artefacts: Path) -> list[dict]:
    """Run axe-core (WCAG 2.1 A/AA rules) on the page; keep its full result and a screenshot
    under ``artefacts/axe/``; return the violations (all impacts)."""
    from axe_playwright_python.sync_playwright import Axe

    out = artefacts / "axe"
    out.mkdir(exist_ok=True)
    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    violations = results.response["violations"]
    (out / f"{name}.json").write_text(json.dumps(violations, indent=1, ensure_ascii=False))
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    return violations


def blocking(violations: list[dict]) -> list[str]:
    """Readable lines for the violations that fail the test (serious or critical)."""
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["html"][:120] for n in v["nodes"])
        for v in violations
        if v["impact"] in BLOCKING
    ]
