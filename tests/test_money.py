import pytest

from payproof.money import format_amount, parse_amount


@pytest.mark.parametrize(
    ("text", "minor"),
    [("46760", 4676000), ("46760.5", 4676050), ("0.01", 1), ("-3.10", -310), (" 7 ", 700)],
)
def test_parse_amount_is_exact(text, minor):
    assert parse_amount(text) == minor


@pytest.mark.parametrize("text", ["1.234", "1,5", "1e3", "", "abc", "1."])
def test_parse_amount_rejects(text):
    with pytest.raises(ValueError):
        parse_amount(text)


def test_format_amount_round_trips():
    for minor in [0, 1, 99, 100, 4676050, -310]:
        assert parse_amount(format_amount(minor)) == minor
