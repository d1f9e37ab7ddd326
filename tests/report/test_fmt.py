"""Exact money text for the report."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payproof.report.fmt import NNBSP, money, money_words, plural, q_clause, share, to_minor


def test_money_is_exact():
    assert to_minor(Decimal("46760.05")) == 4676005
    assert to_minor("0.01") == 1
    assert money(Decimal("1234567.50")) == f"1{NNBSP}234{NNBSP}568"
    with pytest.raises(TypeError):
        to_minor(0.1)


def test_money_words():
    assert money_words(Decimal("785568.00"), "KZT") == f"785{NNBSP}568 tenge"
    assert money_words(Decimal("2345678901.00"), "KZT") == "2.35 billion tenge"
    assert money_words(Decimal("12500000"), "EUR") == "12.50 million EUR"


def test_share_plural_q():
    assert share(Decimal(1), Decimal(3)) == f"33{NNBSP}%"
    assert share(1, 1000) == f"<1{NNBSP}%"
    assert share(1, 0) == "–"
    assert plural(1, "family", "families") == "1 family"
    assert plural(2, "family-month") == "2 family-months"
    assert q_clause(0.00001) == "q < 0.0001" and q_clause(0.0123) == "q = 0.0123"
