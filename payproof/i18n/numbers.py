"""Numbers, money and months as Kazakh and Russian readers write them (Babel, CLDR data).

Money arrives as integer minor units (tiyn) and is formatted from ``Decimal(minor) / 100``,
so no figure passes through a float. English text keeps payproof's own formatting
(payproof.report.fmt), which the golden outputs pin; these functions serve the other
languages only.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from typing import TYPE_CHECKING

from payproof.money import MINOR_PER_MAJOR

if TYPE_CHECKING:
    from babel import Locale

NBSP = "\u00a0"
# The tenge sign in every language: CLDR's Russian symbol for KZT is the code "KZT".
CURRENCY_SIGNS = {"KZT": "₸"}
# Month patterns: the nominative ("standalone") month name and the year, as in "апрель 2022";
# Kazakh month names do not change form here, so the format-context name is the same word.
MONTH_PATTERNS = {"ru": ("LLLL y", "LLL y"), "kk": ("MMMM y", "MMM y")}
BIG = ((Decimal(10) ** 9, "bn"), (Decimal(10) ** 6, "mn"))
# CLDR's short words for a thousand million and a million (decimalFormats-short).
BIG_WORDS = {"ru": {"bn": "млрд", "mn": "млн"}, "kk": {"bn": "млрд", "mn": "млн"}}


# Babel is imported on first use, so the command line starts without it (English output
# never needs it; tests/portal/test_cli.py checks what `payproof` loads at start).
def format_decimal(*args, **kwargs) -> str:
    from babel.numbers import format_decimal as babel_format_decimal

    return babel_format_decimal(*args, **kwargs)


def format_date(*args, **kwargs) -> str:
    from babel.dates import format_date as babel_format_date

    return babel_format_date(*args, **kwargs)


def get_currency_symbol(*args, **kwargs) -> str:
    from babel.numbers import get_currency_symbol as babel_currency_symbol

    return babel_currency_symbol(*args, **kwargs)


@cache
def _locale(lang: str) -> Locale:
    from babel import Locale

    return Locale.parse(lang)


def number(value: int | Decimal, lang: str) -> str:
    """An integer with the locale's grouping ("1 234 567" with no-break spaces)."""
    return format_decimal(value, format="#,##0", locale=_locale(lang))


def _major(minor: int) -> Decimal:
    return Decimal(int(minor)) / MINOR_PER_MAJOR


def money(minor: int, lang: str) -> str:
    """Exact amount in major units with two decimals: "1 234,56"."""
    return format_decimal(_major(minor), format="#,##0.00", locale=_locale(lang))


def sign(currency: str, lang: str) -> str:
    return CURRENCY_SIGNS.get(currency) or get_currency_symbol(currency, locale=_locale(lang))


def money_words(minor: int, currency: str, lang: str) -> str:
    """Money for prose: "1 234,56 ₸", or "51,27 млн ₸" for big sums (rounded half-even)."""
    amount = _major(minor)
    for size, key in BIG:
        if abs(amount) >= size:
            scaled = (amount / size).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
            text = format_decimal(scaled, format="#,##0.00", locale=_locale(lang))
            return f"{text}{NBSP}{BIG_WORDS[lang][key]}{NBSP}{sign(currency, lang)}"
    return f"{money(minor, lang)}{NBSP}{sign(currency, lang)}"


def percent(pct: int | Decimal, lang: str) -> str:
    """A whole percentage as the locale writes it ("37 %" in Russian, "37%" in Kazakh)."""
    return format_decimal(Decimal(pct) / 100, format=_locale(lang).percent_formats[None].pattern,
                          locale=_locale(lang))  # fmt: skip


def fixed(value: float, places: int, lang: str) -> str:
    """A float statistic with exactly ``places`` decimals and the locale's decimal sign."""
    pattern = "0." + "0" * places if places else "0"
    return format_decimal(Decimal(repr(float(value))), format=pattern, locale=_locale(lang))


def period(value: str, lang: str, *, short: bool = False) -> str:
    """A YYYY-MM period as a month and year: "апрель 2022", "сәуір 2022" ("апр. 2022")."""
    try:
        year, month = (int(x) for x in value.split("-"))
        day = dt.date(year, month, 1)
    except ValueError:
        return value  # not a period: shown as it is rather than guessed at
    return format_date(day, MONTH_PATTERNS[lang][short], locale=_locale(lang))


# CLDR's short scale words (decimalFormats-short) for chart axes: "2,5 млн".
COMPACT_WORDS = {"ru": ("млрд", "млн", "тыс."), "kk": ("млрд", "млн", "мың")}


def compact(value: Decimal | float | int, lang: str) -> str:
    """Short axis text for charts in the locale: 0, 500, "2,5 тыс.", "40 млн" (exact for
    Decimal ticks, as payproof.report.charts.compact is in English)."""
    v = Decimal(str(value))
    for size, word in zip((Decimal(10) ** 9, Decimal(10) ** 6, Decimal(10) ** 3),
                          COMPACT_WORDS[lang], strict=True):  # fmt: skip
        if abs(v) >= size:
            short = format_decimal(v / size, format="#,##0.###", locale=_locale(lang))
            return f"{short}{NBSP}{word}"
    return format_decimal(v, format="#,##0.###", locale=_locale(lang))
