"""The numpy entitlement rule against the published amounts and the counting boundaries."""

from __future__ import annotations

import numpy as np
import pytest

from payproof.scenario.entitlement import (
    add_years,
    counted_children,
    days,
    mci_for,
    monthly_amount,
)


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2021, 1, [46760, 58457, 70154, 81852, 93344]),
        (2025, 6, [63030, 78798, 94565, 110332, 125824]),
        (2022, 3, [49100, 61383, 73666, 85948, 98016]),
        (2022, 4, [50976, 63728, 76479, 89231, 101760]),
    ],
)
def test_published_amounts(year, month, expected):
    counts = np.array([4, 5, 6, 7, 8])
    assert monthly_amount(counts, mci_for(year, month)).tolist() == expected


def test_fewer_than_four_children_get_nothing_and_eight_plus_scale():
    assert monthly_amount(np.array([0, 1, 3]), 3180).tolist() == [0, 0, 0]
    assert monthly_amount(np.array([10]), 2917).tolist() == [116680]  # 40 MCI


def test_mci_steps():
    assert mci_for(2020, 3) == 2651
    assert mci_for(2020, 4) == 2778
    assert mci_for(2026, 12) == 4325
    with pytest.raises(ValueError):
        mci_for(2019, 12)


def test_counting_boundaries():
    fd = days("2022-05-01")
    none_death, none_student = 10**9, -(10**9)
    birth = np.array(
        [
            days("2022-05-01"),  # born on the day: counts
            days("2022-05-02"),  # born after: not yet
            days("2004-05-01"),  # 18th birthday on the day: no longer counts
            days("2004-05-02"),  # 18 tomorrow: still counts
            days("2001-06-01"),  # 20, student until the day: counts
            days("2001-06-01"),  # 20, student until the day before: not
            days("1999-05-01"),  # 23 on the day, student: not
            days("2010-01-01"),  # died before the day: not
        ]
    )
    death = np.full(8, none_death)
    death[7] = days("2022-04-20")
    student = np.full(8, none_student)
    student[4] = fd
    student[5] = fd - 1
    student[6] = days("2023-06-30")
    got = counted_children(fd, birth, death, student, add_years(birth, 18), add_years(birth, 23))
    assert got.tolist() == [True, False, False, True, True, False, False, False]
