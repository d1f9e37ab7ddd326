"""Entitlement arithmetic for one case, in Python.

This is the reference the SQL in ``compute.py`` must agree with, and what
explains a single amount to a person. Integers only: a coefficient scaled by
``10 ** kc`` times a base scaled by ``10 ** kb`` is rounded to whole currency
units with integer division, never through a float.
"""

from __future__ import annotations

from datetime import date

from payproof.errors import RulesError
from payproof.money import MINOR_PER_MAJOR
from payproof.periods import is_period, period_start
from payproof.rules.model import Rules


def _day(period: str) -> date:
    if not is_period(period):
        raise RulesError(
            f"Not a period: {period!r}.", where="period", fix="write periods as YYYY-MM."
        )
    return period_start(period)


def years_before(day: date, years: int) -> date:
    """The same first-of-month day ``years`` earlier (exact: no 29 February problem)."""
    return date(day.year - years, day.month, day.day)


def child_counts(
    rules: Rules,
    period: str,
    birth_date: date,
    death_date: date | None = None,
    student_until: date | None = None,
) -> bool:
    """Whether a child counts for ``period``, judged on the first day of that month.

    Born on or before the 1st; not dead before the 1st (dying on the 1st still
    counts); under ``age_limit`` on the 1st, or a student (``student_until`` on or
    after the 1st) under ``student_age_limit``.
    """
    day = _day(period)
    el = rules.eligibility
    if birth_date > day or (death_date is not None and death_date < day):
        return False
    if birth_date > years_before(day, el.age_limit):
        return True
    return (
        el.student_age_limit is not None
        and student_until is not None
        and student_until >= day
        and birth_date > years_before(day, el.student_age_limit)
    )


def coefficient(rules: Rules, n_children: int, period: str) -> int:
    """The multiple of the base for ``n_children``, scaled by ``10 ** coefficient_decimals``."""
    day = _day(period)
    f = rules.formula
    if n_children < rules.eligibility.min_children:
        return 0
    kc = rules.coefficient_decimals

    def value(name: str):
        param = rules.parameters[name]
        raw = param.at(day, source=rules.source)
        factor = 10 ** (kc - param.decimals)
        if isinstance(raw, int):
            return raw * factor
        return {k: v * factor for k, v in raw.items()}

    if f.kind == "fixed":
        return value(f.coefficient)
    if f.kind == "per_child":
        return value(f.coefficient) * n_children
    if f.per_child_from is not None and n_children >= f.per_child_from:
        return value(f.per_child) * n_children
    scale = value(f.scale)
    return scale[min(n_children, max(scale))]


def base_value(rules: Rules, period: str) -> int:
    """The base (e.g. the MCI) in force for ``period``, scaled by ``10 ** base_decimals``."""
    if rules.formula.base is None:
        return 1
    return rules.parameters[rules.formula.base].at(_day(period), source=rules.source)


def round_to_minor(product: int, scale: int, rounding: str) -> int:
    """Round ``product / scale`` (major units) to whole units, returned in minor units."""
    floor, rest = divmod(product, scale)
    round_up = rest > 0 if rounding == "up" else rounding == "half_up" and 2 * rest >= scale
    if round_up:
        floor += 1
    return floor * MINOR_PER_MAJOR


def entitlement_amount(rules: Rules, n_children: int, period: str) -> int:
    """Monthly amount in minor units for a family with ``n_children`` counted children."""
    coef = coefficient(rules, n_children, period)
    if coef == 0:
        return 0
    scale = 10 ** (rules.coefficient_decimals + rules.base_decimals)
    return round_to_minor(coef * base_value(rules, period), scale, rules.formula.rounding)
