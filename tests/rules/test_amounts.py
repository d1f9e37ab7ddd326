"""The built-in kz-large-family rules reproduce the officially published amounts."""

from __future__ import annotations

import pytest

from payproof.errors import RulesError
from payproof.rules import entitlement_amount


def tenge(rules, period: str, counts=range(4, 9)) -> list[int]:
    out = []
    for n in counts:
        minor = entitlement_amount(rules, n, period)
        assert minor % 100 == 0, "amounts are whole tenge"
        out.append(minor // 100)
    return out


# Published by the Ministry of Labour and Social Protection (4, 5, 6, 7, 8 children).
@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2020-05", [44_532, 55_672, 66_811, 77_951, 88_896]),
        ("2021-01", [46_760, 58_457, 70_154, 81_852, 93_344]),
        ("2021-12", [46_760, 58_457, 70_154, 81_852, 93_344]),
        ("2023-07", [55_304, 69_138, 82_973, 96_807, 110_400]),
        ("2024-04", [59_183, 73_988, 88_793, 103_598, 118_144]),
        ("2025-01", [63_030, 78_798, 94_565, 110_332, 125_824]),
        ("2025-12", [63_030, 78_798, 94_565, 110_332, 125_824]),
    ],
)
def test_published_amounts(kz, period, expected):
    assert tenge(kz, period) == expected


def test_2021_more_than_eight_children_is_4_mci_each(kz):
    # Published 2021 list: 9 -> 105,012 ... 16 -> 186,688.
    assert tenge(kz, "2021-05", range(9, 17)) == [
        105_012, 116_680, 128_348, 140_016, 151_684, 163_352, 175_020, 186_688,
    ]  # fmt: skip


def test_2020_mci_change_in_april(kz):
    # 16.03 x 2,651 = 42,495.53 -> 42,496 (rounded up); from April 16.03 x 2,778.
    assert tenge(kz, "2020-01") == [42_496, 53_127, 63_757, 74_388, 84_832]
    assert tenge(kz, "2020-03") == tenge(kz, "2020-01")
    assert tenge(kz, "2020-04") == [44_532, 55_672, 66_811, 77_951, 88_896]


def test_2022_social_payments_mci_change_in_april(kz):
    assert tenge(kz, "2022-03") == [49_100, 61_383, 73_666, 85_948, 98_016]
    assert tenge(kz, "2022-04") == [50_976, 63_728, 76_479, 89_231, 101_760]


def test_2026(kz):
    # 16.03 x 4,325 = 69,329.75 -> 69,330; 28.06 x 4,325 = 121,359.5 -> 121,360.
    assert tenge(kz, "2026-01") == [69_330, 86_673, 104_017, 121_360, 138_400]


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_fewer_than_four_children_get_nothing(kz, n):
    assert entitlement_amount(kz, n, "2025-06") == 0


def test_rounding_is_up_to_whole_tenge(kz):
    # 24.05 x 3,932 = 94,564.6: a float round() would give 94,565 too, but 16.03 x 3,932
    # = 63,029.96 and 28.06 x 3,932 = 110,331.92 show the ceiling, not the nearest.
    assert entitlement_amount(kz, 7, "2025-03") == 11_033_200


def test_period_before_first_value_is_an_error(kz):
    with pytest.raises(RulesError) as err:
        entitlement_amount(kz, 4, "2019-12")
    msg = str(err.value)
    assert "no value in force on 2019-12-01" in msg
    assert "builtin:kz-large-family: parameters." in msg
    assert "compute periods from 2020-01 on" in msg


def test_bad_period_is_an_error(kz):
    with pytest.raises(RulesError, match="write periods as YYYY-MM"):
        entitlement_amount(kz, 4, "2025-13")


def test_identity(kz):
    assert kz.id == "kz-large-family"
    assert kz.label == f"kz-large-family@{kz.version}"
    assert len(kz.sha256) == 64
    assert kz.currency == "KZT"
