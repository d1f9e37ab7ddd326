"""Exact money: integer minor units (tiyn for KZT), never float.

Input files carry amounts as decimal strings in major units with at most two
decimals ("46760", "46760.5", "46760.50"). Inside payproof every amount is an
integer number of minor units (BIGINT in SQL).
"""

from __future__ import annotations

import re
from decimal import Decimal

MINOR_PER_MAJOR = 100
AMOUNT_PATTERN = r"^-?[0-9]+(\.[0-9]{1,2})?$"
_AMOUNT_RE = re.compile(AMOUNT_PATTERN)


def parse_amount(text: str) -> int:
    """Parse a major-unit decimal string into minor units, exactly."""
    text = text.strip()
    if not _AMOUNT_RE.match(text):
        raise ValueError(f"not a money amount with at most 2 decimals: {text!r}")
    return int(Decimal(text) * MINOR_PER_MAJOR)


def format_amount(minor: int | None) -> str:
    """Format minor units as a major-unit decimal string ("46760.00")."""
    if minor is None:
        return ""
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(int(minor)), MINOR_PER_MAJOR)
    return f"{sign}{whole}.{cents:02d}"


def format_major(minor: int | None) -> str:
    """Human format with thousands separators, whole major units ("46 760")."""
    if minor is None:
        return "-"
    whole = round(Decimal(int(minor)) / MINOR_PER_MAJOR)
    return f"{whole:,}".replace(",", "\u202f")


def sql_minor_units(column: str) -> str:
    """SQL expression turning a validated decimal string into BIGINT minor units.

    DECIMAL(38,2) parsing is exact, so the multiplication never rounds.
    """
    return f"CAST(CAST(trim({column}) AS DECIMAL(38,2)) * {MINOR_PER_MAJOR} AS BIGINT)"


def sql_major_units(column: str) -> str:
    """SQL expression turning BIGINT minor units into an exact DECIMAL(18,2) of major units."""
    return f"CAST(CAST({column} AS DECIMAL(18,2)) * 0.01 AS DECIMAL(18,2))"
