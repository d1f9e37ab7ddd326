"""axe-core in real Chromium on every page a mother sees, in Kazakh, Russian and English:
no violation of WCAG 2.1 A/AA rules that axe rates serious or critical.

Pages: home, sign-in, code entry, statement, grievance form (also with its errors shown),
receipt page, my complaints, anonymous report, follow page (and its "no match"), helper
sign-in, code entry (and its "wrong code") and the /verify/ page (before and after checking
a receipt). Each page's axe result and screenshot are kept under
``$PAYPROOF_ARTEFACTS/portal/axe/``.
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter

import pytest

from tests.portal.browsing import axe_audit, blocking, needs_chromium, sign_in
from tests.portal.conftest import write_audit
from tests.portal.served import serving

pytestmark = [
    *needs_chromium,
    pytest.mark.skipif(
        importlib.util.find_spec("axe_playwright_python") is None,
        reason="axe-playwright-python (the test extra) is not installed",
    ),
]

LANGS = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
UNKNOWN_IIN = "990909999999"  # on no family: the no-enumeration code page


def test_every_page_passes_axe_in_three_languages(tmp_path, browser, artefacts):
    folder = tmp_path / "demo"
    write_audit(folder / "audit")
    found: dict[str, list] = {}
    with serving(folder) as (base, _):
        # signed in once (one code), then each language through the switcher
        mine = browser.new_context(locale="en-GB")
        page = mine.new_page()
        sign_in(page, base, folder / "portal" / "outbox", "900101300111", "+77010000001")
        page.goto(base + "/grievances/new/?period=2022-02&category=not_paid")
        page.get_by_label("In your own words").fill("Nothing arrived in February.")
        page.get_by_role("button", name="Send the complaint").click()
        receipt_url = page.url
        assert "/grievances/G-" in receipt_url
        for lang, name in LANGS.items():
            page.get_by_role("button", name=name).click()
            assert page.locator("html").get_attribute("lang") == lang
            for key, url in (
                ("statement", "/statement/"),
                ("grievance-form", "/grievances/new/?period=2022-03&category=partial_payment"),
                ("receipt", receipt_url),
                ("my-complaints", "/grievances/"),
            ):
                page.goto(url if url.startswith("http") else base + url)
                found[f"{key}-{lang}"] = axe_audit(page, f"{key}-{lang}", artefacts)
            page.goto(base + "/grievances/new/")
            page.locator("input[name=period]").fill("March")  # not YYYY-MM: errors shown
            page.locator("input[name=amount]").fill("lots")
            page.locator("button[type=submit]").last.click()
            assert page.locator(".errorlist").count() > 0
            found[f"grievance-errors-{lang}"] = axe_audit(
                page, f"grievance-errors-{lang}", artefacts
            )
        mine.close()

        for lang in LANGS:
            ctx = browser.new_context(locale=lang)  # Accept-Language chooses the language
            page = ctx.new_page()
            for key, url in (
                ("home", "/"),
                ("signin", "/signin/"),
                ("report", "/report/"),
                ("follow", "/follow/"),
                ("helper-login", "/helper/login/"),
            ):
                page.goto(base + url)
                assert page.locator("html").get_attribute("lang") == lang, url
                found[f"{key}-{lang}"] = axe_audit(page, f"{key}-{lang}", artefacts)
            page.goto(base + "/signin/")
            page.locator("input[name=iin]").fill(UNKNOWN_IIN)
            page.locator("main button[type=submit]").click()
            assert page.url.endswith("/signin/code/")
            found[f"code-{lang}"] = axe_audit(page, f"code-{lang}", artefacts)
            page.locator("input[name=code]").fill("000000")
            page.locator("main button[type=submit]").click()
            assert page.locator("[role=alert]").count() == 1  # wrong or expired
            found[f"code-failed-{lang}"] = axe_audit(page, f"code-failed-{lang}", artefacts)
            page.goto(base + "/follow/")
            page.locator("input[name=tracking]").fill("G-AAAAAAAAAA")
            page.locator("input[name=secret]").fill("WRONG")
            page.locator("main button[type=submit]").click()
            found[f"follow-failed-{lang}"] = axe_audit(page, f"follow-failed-{lang}", artefacts)
            page.goto(base + "/verify/")
            assert page.locator("html").get_attribute("lang") == lang
            found[f"verify-{lang}"] = axe_audit(page, f"verify-{lang}", artefacts)
            page.locator("#paste").fill('{"format": "payproof-receipt/v1"}')
            page.locator("#check").click()
            page.wait_for_selector("#result:not([hidden])")
            found[f"verify-result-{lang}"] = axe_audit(page, f"verify-result-{lang}", artefacts)
            ctx.close()

    by_impact = Counter(v["impact"] for vs in found.values() for v in vs)
    (artefacts / "axe" / "summary.json").write_text(
        json.dumps(
            {
                "pages": len(found),
                "violations_by_impact": by_impact,
                "by_page": {
                    k: [f"{v['id']} ({v['impact']})" for v in vs] for k, vs in found.items()
                },
            },
            indent=1,
            ensure_ascii=False,
        )
    )
    assert len(found) == 3 * 15
    failures = {k: blocking(vs) for k, vs in found.items() if blocking(vs)}
    assert not failures, json.dumps(failures, indent=1, ensure_ascii=False)


@pytest.mark.parametrize(
    "impact, fails", [("serious", True), ("critical", True), ("moderate", False)]
)
def test_blocking_counts_serious_and_critical_only(impact, fails):
    v = {"id": "x", "impact": impact, "help": "h", "nodes": [{"html": "<b>"}]}
    assert bool(blocking([v])) is fails


def test_axe_audit_finds_what_it_must(browser, artefacts):
    """The audit is live: an unlabelled field and grey-on-white text are reported."""
    page = browser.new_page()
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><h1>t</h1>'
        '<p style="color:#bbb">faint</p><input name="x"></main></body></html>'
    )
    found = {v["id"]: v["impact"] for v in axe_audit(page, "self-check", artefacts)}
    assert found.get("label") == "critical" and found.get("color-contrast") == "serious"
    assert len(blocking(axe_audit(page, "self-check", artefacts))) == 2
    page.close()
