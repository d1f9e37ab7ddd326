"""Money (tiyn -> tenge, two decimals) and months in each language; amounts typed by a mother."""

import pytest

from payproof.portal.fmt import money, month, parse_money

NBSP = "\u00a0"


@pytest.mark.parametrize(
    "lang, amount, period",
    [
        ("kk", f"46{NBSP}760,50 ₸", "Наурыз 2022"),
        ("ru", f"46{NBSP}760,50 ₸", "Март 2022"),
        ("en", "46,760.50 ₸", "March 2022"),
    ],
)
def test_locale_formats(lang, amount, period):
    assert money(4676050, lang) == amount
    assert month("2022-03", lang) == period


def test_money_exact_for_large_and_small_amounts():
    assert money(1, "en") == "0.01 ₸" and money(0, "en") == "0.00 ₸"
    assert money(123456789012345, "en") == "1,234,567,890,123.45 ₸"  # no float rounding
    assert money(None, "en") == "—"


@pytest.mark.parametrize(
    "typed, tiyn",
    [
        ("46760", 4676000),
        ("46 760,50", 4676050),
        ("46760.5", 4676050),
        ("", None),
        ("0,05", 5),
        (f"46{NBSP}760 ₸", 4676000),
    ],
)
def test_parse_money(typed, tiyn):
    assert parse_money(typed) == tiyn


@pytest.mark.parametrize("typed", ["-5", "1.005", "abc", "1e400"])
def test_parse_money_refuses(typed):
    with pytest.raises((ValueError, ArithmeticError)):
        parse_money(typed)
