"""Periods are calendar months written ``YYYY-MM``."""

from __future__ import annotations

import re
from datetime import date

PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_PERIOD_RE = re.compile(PERIOD_PATTERN)


def is_period(text: str) -> bool:
    return bool(_PERIOD_RE.match(text))


def period_start(period: str) -> date:
    if not is_period(period):
        raise ValueError(f"not a period YYYY-MM: {period!r}")
    return date(int(period[:4]), int(period[5:7]), 1)


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def add_months(period: str, months: int) -> str:
    start = period_start(period)
    index = start.year * 12 + (start.month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_range(first: str, last: str) -> list[str]:
    """All periods from ``first`` to ``last`` inclusive."""
    out: list[str] = []
    current = first
    while current <= last:
        out.append(current)
        current = add_months(current, 1)
    return out
