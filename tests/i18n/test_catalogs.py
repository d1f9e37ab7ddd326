"""The committed catalogs: complete, compiled from their .po, and translators kept apart."""

from __future__ import annotations

import ast
import re
from decimal import Decimal

import pytest

from payproof.errors import UsageError
from payproof.i18n import EN, LANGS, catalogs, check_lang, numbers, translator

NBSP = "\u00a0"


def test_catalogs_complete_and_compiled():
    """Every message in the code is in every catalog, kk and ru translate all of them with
    the same {placeholders}, and each committed .mo is byte for byte the compile of its .po."""
    assert list(catalogs.problems()) == []


def test_every_literal_call_is_extracted():
    """A _("...") written inside an f-string is invisible to the extractor (and would stay
    English): every literal call in the translated modules must be in the extracted set."""
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogs.extract() if m.id}
    call = re.compile(r"""\b(?:_|N_)\(\s*(["'])((?:(?!\1).)+)\1\s*\)""")
    for rel in catalogs.SOURCES:
        text = (catalogs.PACKAGE / rel).read_text(encoding="utf-8")
        for m in call.finditer(text):
            literal = ast.literal_eval(m.group(1) + m.group(2) + m.group(1))
            assert literal in extracted, (rel, literal)


def test_plural_forms_follow_each_language():
    ru = translator("ru")
    forms = [ru.ngettext("{n} family", "{n} families", n).format(n=n) for n in (1, 3, 5, 21, 11)]
    assert forms == ["1 семья", "3 семьи", "5 семей", "21 семья", "11 семей"]
    kk = translator("kk")
    assert kk.ngettext("{n} family", "{n} families", 5).format(n=5) == "5 отбасы"
    assert EN.ngettext("{n} family", "{n} families", 1).format(n=1) == "1 family"


def test_translators_share_no_state():
    """Rendering Russian first must not change what English renders afterwards."""
    assert translator("ru")._("Key findings") == "Основные выводы"
    assert translator("kk")._("Key findings") == "Негізгі қорытындылар"
    assert EN._("Key findings") == "Key findings"
    assert translator("en")._("Key findings") == "Key findings"


def test_lang_choice(monkeypatch):
    monkeypatch.delenv("PAYPROOF_LANG", raising=False)
    assert check_lang(None) == "en"
    monkeypatch.setenv("PAYPROOF_LANG", "KK")
    assert check_lang(None) == "kk"
    assert check_lang("ru") == "ru"
    with pytest.raises(UsageError):
        check_lang("de")
    assert set(LANGS) == {"en", "ru", "kk"}


def test_money_is_exact_per_locale():
    assert numbers.money(123456, "ru") == f"1{NBSP}234,56"
    assert numbers.money_words(123456, "KZT", "ru") == f"1{NBSP}234,56{NBSP}₸"
    assert numbers.money_words(123456, "KZT", "kk") == f"1{NBSP}234,56{NBSP}₸"
    # 10^17 tiyn + 1: a float would lose the last tiyn; Decimal keeps it.
    big = 10**17 + 1
    assert numbers.money(big, "ru").endswith(",01")
    assert numbers.money_words(5_127_000_000, "KZT", "ru") == f"51,27{NBSP}млн{NBSP}₸"
    assert numbers.money_words(-250, "KZT", "kk") == f"-2,50{NBSP}₸"


def test_periods_are_month_names():
    assert numbers.period("2022-04", "ru") == "апрель 2022"
    assert numbers.period("2022-04", "kk") == "сәуір 2022"
    assert numbers.period("2022-04", "ru", short=True) == "апр. 2022"
    assert numbers.period("not-a-period", "ru") == "not-a-period"


def test_percent_and_fixed():
    assert numbers.percent(37, "ru") == f"37{NBSP}%"
    assert numbers.fixed(0.85, 2, "kk") == "0,85"
    assert numbers.compact(Decimal("2500000"), "ru") == f"2,5{NBSP}млн"


def test_rule_texts_match_the_flags_rules():
    """The translatable rule templates say exactly what payproof.linkage.flags says."""
    from payproof.linkage.flags import RULES
    from payproof.linkage.report import RULE_TEXTS, rule_text

    assert set(RULE_TEXTS) == set(RULES)
    for code, rule in RULES.items():
        assert rule_text(code) == rule.text
        assert rule_text(code, translator("ru")) != rule.text
