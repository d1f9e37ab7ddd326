"""Text formatting for the report: exact money from Decimal, counts, shares.

Money text always comes from ``Decimal`` (the audit writes major-unit decimals)
through :mod:`payproof.money`, so a printed figure is never a float rounding.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

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


def money(value: object) -> str:
    """Whole major units with thin-space thousands separators ("1 234 567")."""
    return format_major(to_minor(value))


def money_words(value: object, currency: str) -> str:
    """Money for prose: "1 234 567 tenge", or "1.23 billion tenge" for big sums."""
    word = CURRENCY_WORDS.get(currency, currency)
    amount = to_decimal(value)
    for size, name in ((Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million")):
        if abs(amount) >= size:
            scaled = (amount / size).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
            return f"{scaled} {name} {word}"
    return f"{money(amount)} {word}"


def count(value: int | None) -> str:
    """An integer with thin-space thousands separators."""
    return f"{int(value or 0):,}".replace(",", NNBSP)


def share(part: object, whole: object) -> str:
    """``part`` as a whole-number percentage of ``whole`` ("37 %"), exact decimal maths."""
    whole_d = to_decimal(whole)
    if whole_d == 0:
        return "–"
    pct = (to_decimal(part) * 100 / whole_d).quantize(Decimal("1"), ROUND_HALF_EVEN)
    if pct == 0 and to_decimal(part) != 0:
        return f"<1{NNBSP}%"
    return f"{pct}{NNBSP}%"


def ratio(value: float | None) -> str:
    """A received÷disbursed ratio with two decimals."""
    return "–" if value is None else f"{value:.2f}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """ "1 family", "2 families": counts in prose read naturally."""
    return f"{count(n)} {word if n == 1 else (many or word + 's')}"


def q_clause(value: float | None) -> str:
    """ "q = 0.0008" or "q < 0.0001"."""
    text = q_value(value)
    return f"q {text}" if text.startswith("<") else f"q = {text}"


def q_value(value: float | None) -> str:
    """A p- or q-value: readable at a glance, never '0.0000'."""
    if value is None:
        return "–"
    if value < 0.0001:
        return "< 0.0001"
    return f"{value:.4f}"
