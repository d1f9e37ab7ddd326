"""Mothers and children: plausible ages, birth spacing, students, deaths and registration.

A family is generated backwards from its youngest child: the youngest is born
up to eight years before the period (or during its first half), elder
siblings come at 1-4 year intervals, and the mother had her first child at
19-28. The 4th child's birth (plus a few months of paperwork) is the
registration date. Birth days stay within 1..28 so that anniversaries are
unambiguous; deaths never fall on the 1st of a month.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from payproof.scenario.entitlement import add_years, days

YEAR = 365.25
MIN_SPACING = 300  # days between two births of one mother (twins aside)
CHILDREN_P = np.array([0.34, 0.25, 0.17, 0.11, 0.07, 0.04, 0.02])  # 4..10 children


@dataclass
class Families:
    """Column arrays for n families (registry order) and their children."""

    n: int
    mother_birth: np.ndarray
    registered_on: np.ndarray
    district: np.ndarray
    office: np.ndarray  # paying-office index
    clerk: np.ndarray  # primary clerk index
    surname_idx: np.ndarray  # father's surname root, for the children
    # children (one row each, grouped by family)
    child_family: np.ndarray
    child_birth: np.ndarray
    child_female: np.ndarray
    child_death: np.ndarray  # DEATH_NONE when alive
    child_student_until: np.ndarray  # STUDENT_NONE when not a student
    child_source: np.ndarray | None = None  # for copied children: the original child's row


DEATH_NONE = np.iinfo(np.int64).max // 2
STUDENT_NONE = np.iinfo(np.int64).min // 2


def snap_day(d: np.ndarray, lo: int = 1, hi: int = 28) -> np.ndarray:
    """Move each date into days lo..hi of its month (keeps year and month)."""
    month_start = d.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]")
    ms = month_start.astype(np.int64)
    dom = d - ms + 1
    return ms + np.clip(dom, lo, hi) - 1


def build_families(n: int, start: int, end: int, geo, surnames: int, rng) -> Families:
    """``n`` families whose children make them a large family at some point up to ``end``."""
    window = end - start
    k = rng.choice(np.arange(4, 11), size=n, p=CHILDREN_P)
    youngest = start + rng.integers(int(-8 * YEAR), int(0.55 * window), size=n)
    age_first = (19 * YEAR + rng.gamma(2.0, 1.6 * YEAR, size=n)).astype(np.int64)
    age_first = np.minimum(age_first, int(30 * YEAR))
    fam = np.repeat(np.arange(n), k)
    c = len(fam)
    first = np.concatenate([[0], np.cumsum(k)[:-1]])
    ordinal = np.arange(c) - first[fam]
    last = ordinal == k[fam] - 1
    gap = (330 + rng.gamma(2.0, 320.0, size=c)).astype(np.int64)
    gap[rng.random(c) < 0.015] = 0  # twins
    gap[last] = 0
    # keep the mother's last birth before 45
    span = np.bincount(fam, weights=gap, minlength=n)
    max_span = np.maximum(int(45 * YEAR) - age_first, int(3 * YEAR))
    scale = np.minimum(1.0, max_span / np.maximum(span, 1))
    gap = (gap * scale[fam]).astype(np.int64)
    gap = np.where(gap > 0, np.maximum(gap, MIN_SPACING), 0)  # honest births ~10 months apart
    cs = np.cumsum(gap)
    cs_end = cs[first + k - 1]
    birth = youngest[fam] - (cs_end[fam] - (cs - gap))
    birth = snap_day(birth)
    # the 4th child's birth decides the registration date
    fourth = birth[first + 3]
    registered = fourth + rng.integers(10, 200, size=n)
    registered = np.maximum(registered, days("2011-01-10") + rng.integers(0, 300, size=n))
    registered = np.minimum(registered, end - 1)
    mother_birth = snap_day(birth[first] - age_first)
    female = rng.random(c) < 0.49
    # deaths: rare, never on the 1st of a month
    death = np.full(c, DEATH_NONE, dtype=np.int64)
    dies = rng.random(c) < 0.003
    # after registration: a registry lists a child who died earlier only by mistake (a red flag)
    lo = np.maximum(birth[dies] + 30, registered[fam[dies]] + 1)
    when = lo + (rng.random(dies.sum()) * np.maximum(end - 1 - lo, 1))
    death[dies] = snap_day(when.astype(np.int64), 2, 28)
    dead_after_end = death >= end
    death[dead_after_end & dies] = DEATH_NONE
    # full-time students aged 16-22 at the start: until 30 June of a year near the period
    student = np.full(c, STUDENT_NONE, dtype=np.int64)
    age_start = (start - birth) / YEAR
    studies = (age_start >= 16) & (age_start < 22.5) & (rng.random(c) < 0.4)
    y0 = int(np.datetime64(start, "D").astype("datetime64[Y]").astype(np.int64)) + 1970
    grad_year = y0 + rng.integers(0, 4, size=int(studies.sum()))
    student[studies] = (grad_year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(
        np.int64
    ) + 180  # 30 June (1 July in leap years, still mid-year)
    district = rng.choice(len(geo.district_names), size=n, p=geo.district_weights)
    office = _office_in_district(district, geo, rng)
    clerk = geo.office_clerk_start[office] + (
        rng.random(n) * geo.office_clerk_count[office]
    ).astype(np.int64)
    return Families(
        n=n,
        mother_birth=mother_birth,
        registered_on=registered,
        district=district,
        office=office,
        clerk=clerk,
        surname_idx=rng.integers(0, surnames, size=n),
        child_family=fam,
        child_birth=birth,
        child_female=female,
        child_death=death,
        child_student_until=student,
    )


def _office_in_district(district: np.ndarray, geo, rng) -> np.ndarray:
    """A uniformly chosen paying office of each family's district."""
    n_d = len(geo.district_names)
    count = np.bincount(geo.office_district, minlength=n_d)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])  # offices are grouped by district
    return first[district] + (rng.random(len(district)) * count[district]).astype(np.int64)


def child_thresholds(fams: Families) -> tuple[np.ndarray, np.ndarray]:
    """Each child's 18th and 23rd birthdays."""
    return add_years(fams.child_birth, 18), add_years(fams.child_birth, 23)
