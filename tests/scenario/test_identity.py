"""Kazakh IINs, IBANs and phone numbers."""

from __future__ import annotations

import re

import numpy as np

from payproof.scenario.entitlement import days
from payproof.scenario.identity import (
    ibans,
    iin_is_valid,
    iin_numbers,
    iin_with_typo,
    phones,
    zero_padded,
)


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
