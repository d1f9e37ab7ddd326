"""The kz-large-family entitlement, re-implemented in numpy for the ground truth.

Written independently of payproof.rules on purpose: the audit computes
entitlements with the rules engine, the generator computes them here, and the
tests compare the two. Dates are int64 days since 1970-01-01.
"""

from __future__ import annotations

import numpy as np

# MCI (tenge) by the first month it applies, as (year, month, value).
MCI_STEPS: tuple[tuple[int, int, int], ...] = (
    (2020, 1, 2651),
    (2020, 4, 2778),
    (2021, 1, 2917),
    (2022, 1, 3063),
    (2022, 4, 3180),
    (2023, 1, 3450),
    (2024, 1, 3692),
    (2025, 1, 3932),
    (2026, 1, 4325),
)
# Allowance in hundredths of an MCI for 4..7 counted children; 8+ get 4 MCI per child.
SCALE_HUNDREDTHS = {4: 1603, 5: 2004, 6: 2405, 7: 2806}
PER_CHILD_HUNDREDTHS = 400
MIN_CHILDREN = 4
AGE_LIMIT = 18
STUDENT_AGE_LIMIT = 23


def mci_for(year: int, month: int) -> int:
    """The MCI in force on the first day of ``year-month``."""
    value = None
    for y, m, v in MCI_STEPS:
        if (y, m) <= (year, month):
            value = v
    if value is None:
        raise ValueError(f"no MCI known for {year:04d}-{month:02d}")
    return value


def coef_hundredths(counts: np.ndarray) -> np.ndarray:
    """Allowance coefficient in hundredths of an MCI for each count of children (0 if < 4)."""
    counts = np.asarray(counts, dtype=np.int64)
    table = np.zeros(8, dtype=np.int64)
    for n, c in SCALE_HUNDREDTHS.items():
        table[n] = c
    return np.where(counts >= 8, counts * PER_CHILD_HUNDREDTHS, table[np.clip(counts, 0, 7)])


def monthly_amount(counts: np.ndarray, mci: int) -> np.ndarray:
    """Whole tenge per month: ceil(coef * MCI), in exact integer arithmetic."""
    coef = coef_hundredths(counts)
    return (coef * int(mci) + 99) // 100


def days(d: str | np.datetime64) -> int:
    """Days since 1970-01-01 for an ISO date."""
    return int(np.datetime64(d, "D").astype(np.int64))


def add_years(birth_days: np.ndarray, years: int) -> np.ndarray:
    """The date ``years`` after each birth date (birth days never fall on 29 February)."""
    b = birth_days.astype("datetime64[D]")
    y = b.astype("datetime64[Y]").astype(np.int64) + 1970
    month_start = b.astype("datetime64[M]")
    day_of_month = (b - month_start.astype("datetime64[D]")).astype(np.int64)
    month = (month_start.astype(np.int64) % 12).astype(np.int64)
    target_month = ((y + years - 1970) * 12 + month).astype("datetime64[M]")
    return (target_month.astype("datetime64[D]").astype(np.int64) + day_of_month).astype(np.int64)


def counted_children(
    first_day: int,
    birth: np.ndarray,
    death: np.ndarray,
    student_until: np.ndarray,
    turns18: np.ndarray,
    turns23: np.ndarray,
) -> np.ndarray:
    """Mask of children counted on ``first_day``.

    Born on or before it, not dead before it (a death on that very day still
    counts; the generator never writes one), and under 18, or under 23 and a
    full-time student until at least that day. Missing death / student_until
    are passed as a large / small sentinel.
    """
    alive = (birth <= first_day) & (death >= first_day)
    young = first_day < turns18
    student = (first_day < turns23) & (student_until >= first_day)
    return alive & (young | student)
