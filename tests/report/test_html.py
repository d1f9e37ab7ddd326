"""report.html from a hand-made audit output folder."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from payproof.errors import InputError
from payproof.report import Section, write_report
from payproof.report.data import load_report_data
from payproof.report.fmt import NNBSP
from payproof.report.html import external_references
from tests.report.conftest import EXPECTED, HOSTILE, MOTHER_IDS, build_outputs

SECTIONS = ("findings", "status", "districts", "months", "clerks", "top", "quality",
            "methodology", "run")  # fmt: skip
CHARTS = ("status-chart", "district-chart", "month-lines", "month-losses", "clerk-dots",
          "clerk-hist-s-01", "clerk-hist-s-03")  # fmt: skip


@pytest.fixture(scope="module")
def report(outputs: Path) -> str:
    path = write_report(outputs)
    assert path == outputs / "report.html"
    return path.read_text(encoding="utf-8")


def test_self_contained(report):
    assert external_references(report) == []
    assert "<script" not in report.lower()
    assert "<link" not in report.lower()
    urls = re.findall(r"(?:https?:)?//[^\s\"'<>)]+", report)
    assert set(urls) <= {"http://www.w3.org/2000/svg"}, urls
    assert "<style>" in report


def test_every_section_and_chart(report):
    for anchor in SECTIONS:
        assert f'<section id="{anchor}">' in report, anchor
        assert f'href="#{anchor}"' in report
    for uid in CHARTS:
        assert f'aria-labelledby="{uid}-t {uid}-d"' in report, uid
    for needle in ("0.70: 30 % kept", "1.00: paid in full", "office median 0.70",
                   "Benjamini–Hochberg", "one-sided binomial test", "SHA-256",
                   "is not flagged is not cleared"):  # fmt: skip
        assert needle in report, needle


def test_headline_numbers_match_fixture(report):
    findings = report.split('<section id="findings">')[1].split("</section>")[0]
    owed = EXPECTED["owed_text"].replace(" ", NNBSP)
    assert f"{owed} tenge" in findings
    assert f"{EXPECTED['families_owed']} of {EXPECTED['families_total']} families" in findings
    assert f"{EXPECTED['staff_flagged']} of {EXPECTED['staff_total']} staff" in findings
    assert f"598{NNBSP}528 tenge" in findings  # lost in delivery
    assert "office O-02" in findings  # the largest losses
    assert "needs investigation" in findings and "not proof" in findings


def test_hostile_text_is_escaped(report):
    assert HOSTILE not in report
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in report
    assert "<b>Co</b>" not in report and "&lt;b&gt;Co&lt;/b&gt;" in report


def test_no_beneficiary_identifiers(report):
    for mother_id in MOTHER_IDS.values():
        assert mother_id not in report
    assert "(withheld)" in report  # the mother_id reject's value
    assert "12,5" in report  # a money reject's value is safe to show
    assert not re.search(r"\bF-\d\d\b", report), "family ids never appear"


def test_ratio_bins_are_exact(outputs):
    data = load_report_data(outputs)
    clerks = {c.staff_id: c for c in data.clerks}
    assert clerks["S-01"].counts[14] == 16  # exactly 0.70 falls in 0.70-0.75
    assert clerks["S-03"].counts[0] == 8
    assert clerks["S-01"].office_median == pytest.approx(0.70)
    assert str(data.totals["owed"]) == EXPECTED["owed"]
    assert str(data.totals["lost_in_delivery"]) == EXPECTED["lost_in_delivery"]
    assert data.warnings == []


def test_deterministic(outputs, report):
    assert write_report(outputs).read_text(encoding="utf-8") == report


def test_extra_sections_and_title(tmp_path):
    out = build_outputs(tmp_path / "o")
    extra = Section(title="Ghosts <maybe>", html="<p>3 possible ghost families.</p>")
    html = write_report(out, title="Audit & <b>", extra_sections=[extra]).read_text()
    assert "<title>Audit &amp; &lt;b&gt;</title>" in html
    assert "<h2>Ghosts &lt;maybe&gt;</h2>" in html and "3 possible ghost families" in html
    assert html.index("Ghosts") < html.index('<section id="quality">')
    with pytest.raises(ValueError, match="self-contained"):
        write_report(out, extra_sections=[Section("x", '<img src="https://example.org/a.png">')])


def test_summary_mismatch_is_reported(tmp_path):
    out = build_outputs(tmp_path / "o")
    summary = json.loads((out / "summary.json").read_text())
    summary["totals"]["owed"] = "1.00"
    (out / "summary.json").write_text(json.dumps(summary))
    html = write_report(out).read_text()
    assert "summary.json gives total owed 1.00" in html


def test_missing_outputs_are_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        write_report(tmp_path / "nope")
    out = build_outputs(tmp_path / "o")
    (out / "staff.csv").unlink()
    with pytest.raises(InputError, match="staff.csv"):
        write_report(out)


def test_no_flagged_staff(tmp_path):
    out = build_outputs(tmp_path / "o")
    staff = (out / "staff.csv").read_text().replace(",true,", ",false,")
    (out / "staff.csv").write_text(staff)
    html = write_report(out).read_text()
    assert "No staff member was flagged." in html
    assert "0 of 4" in html


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium not installed")
def test_renders_in_headless_chromium(outputs, report, tmp_path):
    png = tmp_path / "r.png"
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={png}",
         "--window-size=1100,1400", (outputs / "report.html").as_uri()],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    assert png.stat().st_size > 10_000
