"""Text formatting for the report: exact money from Decimal, counts, shares.

Money text always comes from ``Decimal`` (the audit writes major-unit decimals)
through :mod:`payproof.money`, so a printed figure is never a float rounding.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from payproof.i18n import numbers as localized
from payproof.money import MINOR_PER_MAJOR, format_major

CURRENCY_WORDS = {"KZT": "tenge"}
NNBSP = "\u202f"


def to_decimal(value: object) -> Decimal:
    """Exact Decimal from what DuckDB or JSON hands back (Decimal, int or decimal string)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        raise TypeError("money must not arrive as float")
    return Decimal(str(value))


def to_minor(value: object) -> int:
    """Major-unit decimal -> integer minor units (exact for two decimals)."""
    return int((to_decimal(value) * MINOR_PER_MAJOR).to_integral_value(ROUND_HALF_EVEN))


def money(value: object, lang: str = "en") -> str:
    """Whole major units with thin-space thousands separators ("1 234 567"); in kk and ru
    the exact amount with the locale's separators ("1 234 567,50")."""
    if lang != "en":
        return localized.money(to_minor(value), lang)
    return format_major(to_minor(value))


def money_words(value: object, currency: str, lang: str = "en") -> str:
    """Money for prose: "1 234 567 tenge", or "1.23 billion tenge" for big sums."""
    if lang != "en":
        return localized.money_words(to_minor(value), currency, lang)
    word = CURRENCY_WORDS.get(currency, currency)
    amount = to_decimal(value)
    for size, name in ((Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million")):
        if abs(amount) >= size:
            scaled = (amount / size).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
            return f"{scaled} {name} {word}"
    return f"{money(amount)} {word}"


def count(value: int | None, lang: str = "en") -> str:
    """An integer with thin-space thousands separators (the locale's in kk and ru)."""
    if lang != "en":
        return localized.number(int(value or 0), lang)
    return f"{int(value or 0):,}".replace(",", NNBSP)


def share(part: object, whole: object, lang: str = "en") -> str:
    """``part`` as a whole-number percentage of ``whole`` ("37 %"), exact decimal maths."""
    whole_d = to_decimal(whole)
    if whole_d == 0:
        return "–"
    pct = (to_decimal(part) * 100 / whole_d).quantize(Decimal("1"), ROUND_HALF_EVEN)
    if pct == 0 and to_decimal(part) != 0:
        return f"<1{NNBSP}%" if lang == "en" else "<" + localized.percent(1, lang)
    return f"{pct}{NNBSP}%" if lang == "en" else localized.percent(pct, lang)


def ratio(value: float | None, lang: str = "en") -> str:
    """A received÷disbursed ratio with two decimals."""
    if value is None:
        return "–"
    return f"{value:.2f}" if lang == "en" else localized.fixed(value, 2, lang)


def plural(n: int, word: str, many: str | None = None) -> str:
    """ "1 family", "2 families": counts in prose read naturally."""
    return f"{count(n)} {word if n == 1 else (many or word + 's')}"


def q_clause(value: float | None, lang: str = "en") -> str:
    """ "q = 0.0008" or "q < 0.0001"."""
    text = q_value(value, lang)
    return f"q {text}" if text.startswith("<") else f"q = {text}"


def q_value(value: float | None, lang: str = "en") -> str:
    """A p- or q-value: readable at a glance, never '0.0000'."""
    if value is None:
        return "–"
    if value < 0.0001:
        return "< 0.0001" if lang == "en" else "< " + localized.fixed(0.0001, 4, lang)
    return f"{value:.4f}" if lang == "en" else localized.fixed(value, 4, lang)


def fixed(value: float, places: int, lang: str = "en") -> str:
    """A float statistic (a ratio, a median) with ``places`` decimals, per locale."""
    return f"{value:.{places}f}" if lang == "en" else localized.fixed(value, places, lang)


def period(value: str, lang: str = "en", *, short: bool = False) -> str:
    """A YYYY-MM period as the locale writes a month ("апрель 2022"); as is in English."""
    return value if lang == "en" or not value else localized.period(value, lang, short=short)


def axis_format(lang: str = "en"):
    """The chart tick and label formatter for ``lang`` (charts.compact's words in English)."""
    if lang == "en":
        from payproof.report.charts import compact

        return compact
    return lambda value: localized.compact(value, lang)
