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
