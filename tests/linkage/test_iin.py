"""IIN validation in SQL agrees with the scenario generator's numpy check digit."""

from datetime import date

import numpy as np
import pytest

from payproof.engine import DuckDBEngine
from payproof.linkage.iin import install_iin_macros
from payproof.scenario.identity import iin_is_valid, iin_numbers, iin_with_typo


@pytest.fixture(scope="module")
def engine():
    e = DuckDBEngine()
    install_iin_macros(e.con)
    return e


def _sql(engine, values):
    return engine.rows(
        "SELECT v, pp_iin_reason(v), pp_iin_birth_date(v), pp_iin_sex(v) "
        "FROM (SELECT unnest(?) AS v, generate_subscripts(?, 1) AS k) ORDER BY k",
        [values, values],
    )


def test_valid_iins_decode_birth_date_and_sex(engine):
    rng = np.random.default_rng(3)
    days = rng.integers(-20000, 19000, size=400)
    female = rng.random(400) < 0.5
    iins = [f"{v:012d}" for v in iin_numbers(days, female, rng)]
    rows = _sql(engine, iins)
    for (v, reason, born, sex), d, f in zip(rows, days, female, strict=True):
        assert reason == "valid", v
        assert born == np.datetime64(int(d), "D").astype(object)
        assert sex == ("F" if f else "M")


def test_every_single_digit_change_agrees_with_numpy(engine):
    rng = np.random.default_rng(4)
    base = [f"{v:012d}" for v in iin_numbers(rng.integers(0, 15000, 30), np.ones(30, bool), rng)]
    variants = []
    for s in base:
        for pos in range(12):
            for new in "0123456789":
                variants.append(s[:pos] + new + s[pos + 1 :])
        variants += [s[:i] + s[i + 1] + s[i] + s[i + 2 :] for i in range(11)]  # transpositions
    typo = [f"{v:012d}" for v in iin_with_typo(np.array([int(s) for s in base]), rng)]
    rows = _sql(engine, variants + typo)
    seen = set()
    for v, reason, _, _ in rows:
        seen.add(reason)
        assert reason in ("valid", "bad_date", "bad_century", "bad_check_digit"), (v, reason)
        if reason in ("valid", "bad_check_digit"):  # numpy checks only the check digit
            assert (reason == "valid") == iin_is_valid(v), v
    assert seen == {"valid", "bad_date", "bad_century", "bad_check_digit"}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "missing"),
        ("  ", "missing"),
        ("8801014123", "wrong_length"),
        ("88010141234567", "wrong_length"),
        ("88010A412345", "not_digits"),
        ("880101712345", "bad_century"),
        ("880230412345", "bad_date"),
        ("881301412345", "bad_date"),
        ("000000000000", "placeholder"),
        ("111111111111", "placeholder"),  # would read as a valid 1811 birth date
        ("999999", "placeholder"),
    ],
)
def test_reason_codes(engine, value, reason):
    assert _sql(engine, [value])[0][1] == reason


def test_spaces_and_dashes_are_ignored(engine):
    rng = np.random.default_rng(5)
    s = f"{iin_numbers(np.array([9000]), np.array([True]), rng)[0]:012d}"
    assert _sql(engine, [f" {s[:6]}-{s[6:]} "])[0][1] == "valid"


def test_unicode_spaces_inside_are_ignored(engine):
    """No-break, thin and zero-width spaces and a BOM come with copy-pasted IDs."""
    rng = np.random.default_rng(6)
    s = f"{iin_numbers(np.array([9000]), np.array([True]), rng)[0]:012d}"
    for sep in ("\u00a0", "\u202f", "\u2009", "\u3000", "\u200b", "\ufeff", "\u2060"):
        assert _sql(engine, [f"{sep}{s[:6]}{sep}{s[6:]}"])[0][1] == "valid", repr(sep)


def test_a_placeholder_iin_gives_no_birth_date_or_sex(engine):
    assert _sql(engine, ["111111111111"])[0][2:] == (None, None)


def test_an_iin_written_as_a_float_is_read_as_its_digits(engine):
    """A number column with gaps becomes float64 in pandas: '880101412345.0'."""
    rng = np.random.default_rng(9)
    s = f"{iin_numbers(np.array([9000]), np.array([True]), rng)[0]:012d}"
    assert _sql(engine, [s + ".0"])[0][1] == "valid"


def test_a_leading_zero_lost_in_a_spreadsheet_is_recognised(engine):
    """Excel stores an IIN typed as a number without its leading 0 (children born
    2000-2009): 11 digits that are a valid IIN with the 0 in front."""
    rng = np.random.default_rng(7)
    born_2004 = np.array([12_500])  # days since 1970: 2004-03-23
    s = f"{iin_numbers(born_2004, np.array([False]), rng)[0]:012d}"
    assert s[0] == "0"
    assert _sql(engine, [s[1:]])[0][1:3] == ("leading_zero_lost", None)
    assert engine.rows("SELECT pp_iin_birth_date('0' || ?)", [s[1:]])[0][0] == date(2004, 3, 23)
