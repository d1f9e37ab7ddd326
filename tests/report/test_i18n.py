"""report.html and the terminal summary in Russian and Kazakh (the catalogs, Babel formats)."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from rich.console import Console

from payproof.cli import main
from payproof.i18n import EN, translator
from payproof.report import print_summary
from payproof.report.data import load_report_data
from payproof.report.html import external_references, render_report
from tests.report.conftest import build_outputs

NBSP = "\u00a0"
HEADINGS = {
    "ru": [
        "Основные выводы",
        "Деньги по статусам",
        "Потери по районам",
        "По месяцам",
        "Получено ÷ выплачено, по отмеченным сотрудникам",
        "Отмеченные отделы и регионы",
        "Отделы и сотрудники",
        "Качество данных",
        "Методика",
        "Сведения о запуске и контрольные суммы входных данных",
    ],
    "kk": [
        "Негізгі қорытындылар",
        "Мәртебелер бойынша ақша",
        "Аудандар бойынша шығындар",
        "Айлар бойынша",
        "Алынды ÷ төленді, белгіленген қызметкерлер бойынша",
        "Белгіленген бөлімдер мен өңірлер",
        "Бөлімдер мен қызметкерлер",
        "Деректер сапасы",
        "Әдістеме",
        "Іске қосу мәліметтері және кіріс деректерінің бақылау сомалары",
    ],
}
# Words allowed in Latin letters in a translated heading: codes, units and names.
LATIN_OK = {"KZT", "SHA", "payproof", "html", "report", "csv", "rejects", "sha", "sum"}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load_report_data(build_outputs(tmp_path_factory.mktemp("i18n")))


def _texts(html: str, tags: str) -> list[str]:
    pattern = rf"<({tags})\b[^>]*>(.*?)</\1>"
    inner = (re.sub(r"<code>.*?</code>", "", m.group(2)) for m in re.finditer(pattern, html, re.S))
    return [unescape(re.sub(r"<[^>]+>", " ", text)) for text in inner]


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_report_is_translated(data, lang):
    html = render_report(data, tr=translator(lang))
    assert html.startswith(f'<!DOCTYPE html>\n<html lang="{lang}">')
    assert external_references(html) == []
    h2 = [t.strip() for t in _texts(html, "h2")]
    assert h2 == HEADINGS[lang]
    # No English left in headings, table headers, captions, the contents or figure captions
    # (data values such as office names and status codes are not headings).
    for text in _texts(html, "h1|h2|h3|th|caption|nav|figcaption|dt"):
        words = set(re.findall(r"[A-Za-z]{3,}", text)) - LATIN_OK
        assert not words - {"Turkestan", "Evil", "Farabi", "District", "Office", "script",
                            "alert"}, (lang, text)  # fmt: skip


def test_money_dates_and_numbers_follow_the_locale(data):
    ru = render_report(data, tr=translator("ru"))
    # 785,568.00 tenge owed: exact, with CLDR's no-break spaces and decimal comma.
    assert f"785{NBSP}568,00{NBSP}₸" in unescape(ru)
    assert "январь 2025" in ru and "апрель 2025" in ru  # periods 2025-01..2025-04
    assert "(скрыто)" in ru and "(withheld)" not in ru  # rejected values hidden, in Russian
    kk = render_report(data, tr=translator("kk"))
    assert f"785{NBSP}568,00{NBSP}₸" in unescape(kk)
    assert "қаңтар 2025" in kk and "сәуір 2025" in kk


def test_english_is_the_source_text(data):
    """--lang en reads the en catalog and gives exactly the untranslated report."""
    assert render_report(data, tr=translator("en")) == render_report(data, tr=EN)
    assert render_report(data) == render_report(data, tr=EN)


def test_terminal_summary_in_russian(outputs):
    console = Console(record=True, width=160)
    print_summary(outputs, console, translator("ru"))
    text = console.export_text()
    assert "Итоги аудита" in text and "Задолженность перед семьями:" in text
    assert f"785{NBSP}568,00{NBSP}₸ (7 из 12 семей)" in text
    assert "Получено меньше выплаченного (skimmed)" in text
    assert "2 из 4 (статистически необычны" in text
    assert not re.search(r"\b(owed|families|Status|Report)\b", text)


def test_report_cli_lang(tmp_path: Path, capsys, monkeypatch):
    out = build_outputs(tmp_path / "out")
    monkeypatch.delenv("PAYPROOF_LANG", raising=False)
    assert main(["report", str(out), "--lang", "kk"]) == 0
    assert '<html lang="kk">' in (out / "report.html").read_text(encoding="utf-8")
    assert "Аудит қорытындысы" in capsys.readouterr().out
    monkeypatch.setenv("PAYPROOF_LANG", "ru")
    assert main(["report", str(out), "--quiet"]) == 0
    assert '<html lang="ru">' in (out / "report.html").read_text(encoding="utf-8")
    assert main(["report", str(out), "--lang", "de"]) == 2


# The "Who was left out" section (payproof.report.excluded) on a programme with a register.
EXCLUDED_HEADINGS = {
    "ru": ("Кто остался без пособия", "Семьи, оставшиеся без пособия", "Охват по районам",
           "Сотрудники, чьи решения выделяются (1; первые 1)", "просрочка (отдел, регион)"),
    "kk": ("Жәрдемақысыз қалғандар", "Жәрдемақысыз қалған отбасылар", "Аудандар бойынша қамту",
           "Шешімдері ерекшеленетін қызметкерлер (1; алғашқы 1)", "кешігу (бөлім, өңір)"),
}  # fmt: skip
EXCLUDED_EN_HEADERS = [
    "How", "Families", "Family-months", "Amount due (tenge)", "District", "Eligible",
    "Enrolled", "Coverage", "Staff", "Office", "Applications", "Late", "Eligible rejected",
    "Stands out on", "Approvals then short first payment", "Complaints: excluded / bribe",
]  # fmt: skip


@pytest.fixture(scope="module")
def excluded_out(tmp_path_factory):
    """An audit of the exclusion tests' programme, with one clerk marked as standing out
    (the tiny programme has too few applications for the tests to flag one)."""
    import csv

    from payproof.audit import run_audit
    from tests.exclusion.conftest import write_exclusion_input

    root = tmp_path_factory.mktemp("excluded-i18n")
    out = root / "out"
    run_audit(write_exclusion_input(root / "input"), out, ghosts=False)
    with (out / "staff.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["staff_id"] == "S1":
            row["application_flagged"] = "true"
            row["application_flagged_by"] = "late_vs_office;late_vs_region"
    with (out / "staff.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out


def _excluded_html(out: Path, lang: str) -> str:
    assert main(["report", str(out), "--lang", lang, "--quiet"]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    found = re.search(r'<section id="excluded">.*?</section>', html, re.S)
    assert found, "no left-out section"
    return found.group(0)


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_left_out_section_is_translated(excluded_out, lang):
    section = _excluded_html(excluded_out, lang)
    title, kinds, coverage, clerks, tests = EXCLUDED_HEADINGS[lang]
    assert [t.strip() for t in _texts(section, "h2")] == [title]
    captions = [t.strip() for t in _texts(section, "caption")]
    assert captions == [kinds, coverage, clerks]
    assert tests in unescape(section)  # which tests a clerk stands out on, in words
    headings = _texts(section, "h2|th|caption|figcaption")
    chart_titles = re.findall(r'<title id="excluded-[a-z-]+-t">(.*?)</title>', section)
    assert len(headings) == 1 + 3 + 2 + 4 + 4 + 8 and len(chart_titles) == 2
    for text in headings + [unescape(t) for t in chart_titles]:
        assert not set(re.findall(r"[A-Za-z]{3,}", text)) - {"KZT"}, (lang, text)
    prose = " ".join(_texts(section, "p"))
    assert "families" not in prose and "applications" not in prose and "register" not in prose
    assert f"{NBSP}₸" in prose  # money in the locale's format


def test_left_out_section_in_english_reads_as_written(excluded_out):
    section = _excluded_html(excluded_out, "en")
    assert [t.strip() for t in _texts(section, "h2")] == ["Who was left out"]
    assert [t.strip() for t in _texts(section, "th")] == EXCLUDED_EN_HEADERS
    assert "late (office, region)" in section
    assert " families applied while the register shows them eligible " in section


def test_left_out_line_of_the_terminal_summary(excluded_out):
    console = Console(record=True, width=400)
    print_summary(excluded_out, console, translator("ru"))
    text = console.export_text()
    assert "Без пособия (не включены в реестр или включены с опозданием):" in text
    assert "Left out" not in text and "clerks" not in text


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "stand out as a whole"), ("ru", "выделяются целиком"), ("kk", "тұтастай ерекшеленеді")],
)
def test_left_out_section_names_offices_flagged_as_a_whole(excluded_out, tmp_path, lang, words):
    import json
    import shutil

    out = tmp_path / "out"
    shutil.copytree(excluded_out, out)
    section = _excluded_html(out, lang)
    assert words not in section  # none flagged as a whole in the audit itself
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    summary["excluded"]["offices_flagged_as_a_whole"] = 1
    (out / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    assert words in _excluded_html(out, lang)
