"""Kazakh IINs, IBANs and phone numbers."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa

from payproof.scenario.entitlement import days
from payproof.scenario.identity import (
    DROPPED,
    EXTRA,
    SWAP,
    WRONG_DIGIT,
    ibans,
    iin_broken,
    iin_is_valid,
    iin_numbers,
    iin_valid_array,
    iin_with_typo,
    phones,
    zero_padded,
)
from payproof.scenario.iin_slips import duplicate_iins


def test_known_iin():
    assert iin_is_valid("061211600012")  # published example of a valid IIN
    assert not iin_is_valid("061211600013")
    assert not iin_is_valid("06121160001")


def test_generated_iins_are_valid_and_encode_birth_and_sex():
    rng = np.random.default_rng(7)
    birth = np.array([days("1985-07-14"), days("2006-12-11"), days("2003-01-01")] * 200)
    female = np.array([True, True, False] * 200)
    text = zero_padded(iin_numbers(birth, female, rng), 12).to_pylist()
    assert all(iin_is_valid(t) for t in text)
    assert {t[:7] for t in text} == {"8507144", "0612116", "0301015"}


def test_typo_changes_one_serial_digit_and_stays_valid():
    rng = np.random.default_rng(3)
    iins = iin_numbers(np.full(300, days("1990-03-03")), np.ones(300, bool), rng)
    typo = iin_with_typo(iins, rng)
    a = zero_padded(iins, 12).to_pylist()
    b = zero_padded(typo, 12).to_pylist()
    for x, y in zip(a, b, strict=True):
        assert iin_is_valid(y) and x != y and x[:7] == y[:7]
        assert sum(p != q for p, q in zip(x[7:11], y[7:11], strict=True)) == 1


def test_ibans_pass_mod97_and_phones_look_kazakh():
    rng = np.random.default_rng(5)
    for iban in ibans(200, rng).to_pylist():
        assert re.fullmatch(r"KZ\d{18}", iban)
        rearranged = iban[4:] + "2035" + iban[2:4]  # K=20, Z=35
        assert int(rearranged) % 97 == 1
    assert all(re.fullmatch(r"\+77\d{9}", p) for p in phones(100, rng).to_pylist())


def test_iins_unique_even_when_many_share_a_birth_day():
    rng = np.random.default_rng(1)
    birth = np.full(4000, days("1980-05-05"))  # random serials would collide ~800 times
    taken = iin_numbers(birth[:500], np.ones(500, bool), np.random.default_rng(2))
    iins = iin_numbers(birth, np.ones(4000, bool), rng, taken=taken)
    assert len(set(iins.tolist())) == 4000 and not set(iins.tolist()) & set(taken.tolist())
    assert all(iin_is_valid(t) for t in zero_padded(iins, 12).to_pylist())


def _one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance exactly 1 (a substitution, swap, deletion or insertion)."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )  # fmt: skip
    short, long = sorted((a, b), key=len)
    return len(long) == len(short) + 1 and any(
        long[:i] + long[i + 1 :] == short for i in range(len(long))
    )


def test_broken_iins_fail_the_check_and_are_one_edit_away():
    rng = np.random.default_rng(4)
    iins = iin_numbers(rng.integers(-9000, 12000, size=2000), np.ones(2000, bool), rng)
    kinds = np.repeat([WRONG_DIGIT, SWAP, DROPPED, EXTRA], 500)
    text, done = iin_broken(iins, kinds, rng)
    orig = zero_padded(iins, 12).to_pylist()
    assert not any(iin_is_valid(t) for t in text)
    assert all(_one_edit(a, b) for a, b in zip(orig, text, strict=True))
    lengths = {k: {len(t) for t, d in zip(text, done, strict=True) if d == k} for k in range(4)}
    assert lengths == {WRONG_DIGIT: {12}, SWAP: {12}, DROPPED: {11}, EXTRA: {13}}
    assert (done == SWAP).sum() > 450  # a swap falls back only when it still checks out
    assert not iin_valid_array(pa.array(list(text))).any()
    assert iin_valid_array(pa.array(orig + ["12", None])).tolist() == [True] * 2000 + [False] * 2


def test_duplicate_iins_never_land_on_another_mother():
    from payproof.scenario.fraud import DUPLICATE_KINDS

    rng = np.random.default_rng(8)
    birth = np.full(3000, days("1975-01-02"))  # crowded day: valid slips often hit others
    iins = iin_numbers(birth, np.ones(3000, bool), rng)
    original = np.arange(0, 3000, 2)
    kind = np.full(len(original), DUPLICATE_KINDS.index("iin_typo"))
    kind[::2] = DUPLICATE_KINDS.index("iin_dropped_digit")
    dup, text, done = duplicate_iins(iins, original, kind, rng)
    valid = text == ""
    assert not set(dup[valid].tolist()) & set(iins.tolist())
    assert len(set(dup[valid].tolist())) == valid.sum()
    assert len(set(text[~valid].tolist())) == (~valid).sum()
    assert {DUPLICATE_KINDS[k] for k in done} == {"iin_typo", "iin_dropped_digit"}
