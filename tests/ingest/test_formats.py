"""Values written the way a mapping declares are converted exactly, or rejected with the
format that was expected."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payproof.contract import load_contract
from payproof.engine import DuckDBEngine
from payproof.ingest.checks import DEFAULT_MAX_AMOUNT_MINOR, CheckSettings, checked_select
from payproof.ingest.mapping import ValueFormat

SETTINGS = CheckSettings(today=date(2026, 11, 25))
GOOD = {  # one valid disbursement; each test replaces one column's value
    "payment_id": "P1", "family_id": "F1", "period": "2024-01", "amount": "100",
    "paid_on": "2024-01-20", "office_id": "O1", "staff_id": "S1", "channel": "cash",
    "account": "",
}  # fmt: skip
KZ = ValueFormat(
    decimal_mark=",",
    thousands=(" ", "\u00a0", "\u202f"),
    currency=("₸", "тг", "тг.", "тенге", "KZT"),
)


def convert(
    column: str, values: list[str], fmt: ValueFormat | None, *, single_byte: bool = False
) -> list[tuple]:
    """(typed value, [reasons]) of each value in ``column`` of a disbursement under ``fmt``."""
    spec = load_contract().table("disbursements")
    with DuckDBEngine() as engine:
        cols = ", ".join(f'"{c}" VARCHAR' for c in spec.columns)
        engine.execute(f"CREATE TABLE stage (_line BIGINT, {cols})")
        for i, value in enumerate(values):
            row = {**GOOD, column: value}
            engine.execute(
                f"INSERT INTO stage VALUES (?, {', '.join('?' for _ in spec.columns)})",
                [i + 2, *(row[c] for c in spec.columns)],
            )
        select = checked_select(
            spec, "stage", {c: c for c in spec.columns}, SETTINGS, {column: fmt} if fmt else None,
            single_byte=single_byte,
        )
        rows = engine.rows(
            f'SELECT "{column}", [e.reason FOR e IN _errors] FROM ({select}) ORDER BY _line'
        )
    return [(v if not reasons else None, reasons) for v, reasons in rows]


def ok(column: str, values: list[str], fmt: ValueFormat | None, **kw) -> list:
    got = convert(column, values, fmt, **kw)
    assert all(not reasons for _, reasons in got), got
    return [v for v, _ in got]


def only_reason(column: str, value: str, fmt: ValueFormat | None, **kw) -> str:
    [(_, reasons)] = convert(column, [value], fmt, **kw)
    assert len(reasons) == 1, reasons
    return reasons[0]


def test_decimal_comma_thousands_and_currency_are_exact_minor_units():
    values = ["59183,00", "59 183,00", "59\u00a0183,5", "1\u202f234\u202f567,89", "12345678,99",
              "59 183,00 ₸", "59183,00тг", "59183,00 тг.", "59183 тенге", "KZT 59183,00",
              "kzt 7", "59183,00 ТГ"]  # fmt: skip
    assert ok("amount", values, KZ) == [
        5918300, 5918300, 5918350, 123456789, 1234567899,
        5918300, 5918300, 5918300, 5918300, 5918300, 700, 5918300,
    ]  # fmt: skip


def test_apostrophe_and_dot_thousands():
    swiss = ValueFormat(decimal_mark=".", thousands=("'",))
    assert ok("amount", ["59'183.00", "1'234'567.8"], swiss) == [5918300, 123456780]
    german = ValueFormat(decimal_mark=",", thousands=(".",))
    assert ok("amount", ["1.234.567,89", "59183"], german) == [123456789, 5918300]


@pytest.mark.parametrize(
    "value",
    ["59183.00", "1 23 456,00", "59,183,00", "USD 5", "5 ₸ 5", "59183,", ",5", "₸"],
)
def test_amount_not_in_the_declared_format_is_rejected_with_that_format(value):
    reason = only_reason("amount", value, KZ)
    assert reason.startswith("not an amount written as the mapping declares")
    assert "',' as the decimal mark" in reason and "no-break space" in reason
    assert "₸" in reason and "e.g. '1 234,56 ₸'" in reason


def test_converted_amounts_still_meet_the_contract():
    assert only_reason("amount", "59183,001", KZ).startswith("more than 2 decimals")
    assert only_reason("amount", "-5,00", KZ) == "negative amount"
    assert only_reason("amount", "0,00 ₸", KZ).startswith("zero amount")
    assert only_reason("amount", "2 000 000 000,00", KZ).startswith("implausibly large")


@pytest.mark.parametrize("fmt", [None, KZ])
@pytest.mark.parametrize("digits", [37, 40, 60])
def test_an_amount_too_long_for_any_decimal_is_rejected_not_kept_empty(fmt, digits):
    # regression: 37+ digits overflowed DECIMAL(38,2) to NULL, and the payment line was
    # kept with no amount and no reject -- money silently dropped from the totals
    assert only_reason("amount", "1" + "0" * digits, fmt).startswith("implausibly large")
    assert only_reason("amount", "9" * digits + ",50", KZ).startswith("implausibly large")


def test_without_a_mapping_the_contract_stays_strict():
    assert only_reason("amount", "59183,00", None).startswith("not a decimal amount")
    assert only_reason("paid_on", "20.01.2024", None).startswith("not a valid date")
    assert only_reason("period", "01.2024", None).startswith("not a valid period")


DMY = ValueFormat(date_format="%d.%m.%Y")


def test_day_first_dates():
    assert ok("paid_on", ["20.01.2024", "1.2.2024", "29.02.2024", "20.01.2024 0:00:00",
                          "20.01.2024 00:00"], DMY) == [  # fmt: skip
        date(2024, 1, 20), date(2024, 2, 1), date(2024, 2, 29), date(2024, 1, 20),
        date(2024, 1, 20),
    ]  # fmt: skip
    assert ok("paid_on", ["01/20/2024"], ValueFormat(date_format="%m/%d/%Y")) == [date(2024, 1, 20)]


@pytest.mark.parametrize(
    "value",
    ["31.02.2024", "29.02.2023", "2024-01-20", "20.01.24", "20.01.2024 13:45", "20-01-2024"],
)
def test_a_date_not_in_the_declared_format_is_rejected(value):
    reason = only_reason("paid_on", value, DMY)
    assert reason == "not a valid date written DD.MM.YYYY (as the mapping declares)"


def test_converted_dates_still_meet_the_contract():
    assert only_reason("paid_on", "20.01.2099", DMY).startswith("date in the future")


EXCEL = ValueFormat(date_format="excel")


def test_excel_serial_dates_skip_the_day_that_never_was():
    assert ok("paid_on", ["61", "45310", "45351"], EXCEL) == [
        date(1900, 3, 1),
        date(1899, 12, 30) + timedelta(days=45310),
        date(2024, 2, 29),
    ]
    for bad in ("60", "59", "1", "0"):  # Excel's 29 Feb 1900 and the days it shifts
        reason = only_reason("paid_on", bad, EXCEL)
        assert "29 February 1900" in reason, reason
    assert "Excel serial" in only_reason("paid_on", "45310.5", EXCEL)
    assert "Excel serial" in only_reason("paid_on", "20.01.2024", EXCEL)
    assert ok("paid_on", ["0", "43849"], ValueFormat(date_format="excel-1904")) == [
        date(1904, 1, 1),
        date(2024, 1, 20),
    ]


@pytest.mark.parametrize(
    ("fmt", "values"),
    [
        ("MM.YYYY", ["01.2024", "1.2024", "12.2023"]),
        ("MM/YYYY", ["01/2024", "1/2024", "12/2023"]),
        ("MM-YYYY", ["01-2024", "1-2024", "12-2023"]),
        ("YYYY.MM", ["2024.01", "2024.1", "2023.12"]),
        ("YYYY/MM", ["2024/01", "2024/1", "2023/12"]),
    ],
)
def test_periods_in_other_orders(fmt, values):
    assert ok("period", values, ValueFormat(period_format=fmt)) == ["2024-01", "2024-01", "2023-12"]
    bad = "13" + fmt[2] + "2024" if fmt[0] == "M" else "2024" + fmt[4] + "13"
    reason = only_reason("period", bad, ValueFormat(period_format=fmt))
    assert reason == (
        f"not a valid period written {fmt} with a month 01-12 (as the mapping declares)"
    )


def test_a_period_given_as_the_first_day_of_its_month():
    fmt = ValueFormat(date_format="%d.%m.%Y", period_format="date")
    assert ok("period", ["01.01.2024", "1.12.2023"], fmt) == ["2024-01", "2023-12"]
    reason = only_reason("period", "15.01.2024", fmt)
    assert reason.startswith("not a period: expected the first day of its month")
    assert "DD.MM.YYYY" in reason
    assert only_reason("period", "01.01.1980", fmt).startswith("implausible period")


def test_enum_words_map_to_contract_values():
    fmt = ValueFormat(values=(("Наличные", "cash"), ("Банк", "bank")))
    assert ok("channel", ["наличные", "НАЛИЧНЫЕ", "Банк", "post"], fmt) == [
        "cash", "cash", "bank", "post"
    ]  # fmt: skip
    assert only_reason("channel", "карта", fmt).startswith("unknown value; expected one of")


def _written(minor: int, decimal: str, sep: str, currency: str) -> str:
    """``minor`` tiyn written the way an office would: grouped, with its decimal mark."""
    whole, cents = divmod(minor, 100)
    grouped = f"{whole:,}".replace(",", sep)
    return f"{grouped}{decimal}{cents:02d}" + (f" {currency}" if currency else "")


@settings(max_examples=25, deadline=None)
@given(
    amounts=st.lists(st.integers(1, DEFAULT_MAX_AMOUNT_MINOR), min_size=1, max_size=50),
    sep=st.sampled_from([" ", "\u00a0", "\u202f", "."]),
    currency=st.sampled_from(["", "₸", "тг", "тенге", "KZT"]),
)
def test_any_amount_written_the_declared_way_converts_exactly(amounts, sep, currency):
    fmt = ValueFormat(decimal_mark=",", thousands=(sep,), currency=(currency,) if currency else ())
    values = [_written(a, ",", sep, currency) for a in amounts]
    assert ok("amount", values, fmt) == amounts


def test_utf8_text_read_in_a_single_byte_encoding_is_reported_not_kept_as_garbage():
    """Regression: UTF-8 lines inside a declared cp1251 export were kept as 'Р‘Р°СѓС‹...'
    with no reject, and a mother's name silently became noise."""
    name = "Бауырова Жанар"
    for garbled in (name.encode().decode("cp1251"), name.encode().decode("latin-1")):
        assert only_reason("account", garbled, None, single_byte=True).startswith(
            "invalid encoding: the value looks like UTF-8 text read in a single-byte encoding"
        )
    real = ["Бауырова Жанар", "Семён Сёмин", "ЕСІРТКІ", "Әсел Қасымқызы", "РЕСПУБЛИКА", "Nuñez"]
    assert ok("account", real, None, single_byte=True) == real
    # a text column (the account here, names) is searched in every file; an id only in
    # files read through a single-byte code page (a regular expression over every id of
    # tens of millions of lines is too dear where no code page was involved)
    garbled = name.encode().decode("cp1251")
    assert only_reason("account", garbled, None).startswith("invalid encoding")
    assert only_reason("staff_id", garbled, None, single_byte=True).startswith("invalid")
    assert ok("staff_id", [garbled], None) == [garbled]
