"""Locale formatting of money (tiyn -> tenge, 2 decimals) and months, with Babel's CLDR data."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

_LOCALES = {"kk": "kk_KZ", "ru": "ru_RU", "en": "en_GB"}


def babel_locale(lang: str | None) -> str:
    return _LOCALES.get((lang or "en")[:2], "en_GB")


def money(tiyn: int | None, lang: str | None) -> str:
    """46760.00 tenge as the locale writes it: '46 760,00 ₸' (kk, ru), '46,760.00 ₸' (en)."""
    if tiyn is None:
        return "—"
    amount = Decimal(int(tiyn)) / 100
    number = format_decimal(amount, format="#,##0.00", locale=babel_locale(lang))
    return f"{number} ₸"


def month(period: str, lang: str | None) -> str:
    """'2022-03' as 'March 2022' in the locale's stand-alone month name."""
    if not period:
        return ""
    year, mon = int(period[:4]), int(period[5:7])
    text = format_date(date(year, mon, 1), "LLLL y", locale=babel_locale(lang))
    return text[:1].upper() + text[1:]  # it starts a heading: "Март 2022", not "март 2022"


def day(d, lang: str | None) -> str:
    return format_date(d, "medium", locale=babel_locale(lang))


_TYPED_AMOUNT = re.compile(r"^(\d{1,12})(?:[.,](\d{1,2}))?$")


def parse_money(text: str) -> int | None:
    """'46 760,50' or '46760.5' (tenge) -> tiyn; None when empty. Raises ValueError.

    Only digits, one decimal comma or point and up to two decimals: no signs, exponents or
    amounts over 999 999 999 999 tenge (a typo, not a claim).
    """
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace("₸", "")
    if not cleaned:
        return None
    m = _TYPED_AMOUNT.match(cleaned)
    if not m:
        raise ValueError("an amount is digits with at most two decimals")
    return int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))
