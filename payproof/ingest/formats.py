"""SQL that turns a value written the way an import mapping declares into the contract's
own form (ISO date, YYYY-MM period, '.'-decimal amount, contract enum value).

Each conversion yields NULL where the value does not have the declared shape, and the
checks in ``checks.py`` turn that into a reject row whose reason names the expected
format. Conversion is text to text, so money stays exact (no float on the way); the
contract's own checks then run unchanged on the converted text.
"""

from __future__ import annotations

from dataclasses import dataclass

from payproof.contract import ColumnSpec
from payproof.engine.duckdb_engine import sql_literal
from payproof.ingest.mapping import ISO_DATE, ISO_PERIOD, ValueFormat, human_date_format

SPACES = "[ \\x{00A0}\\x{202F}]*"  # ordinary, no-break and narrow no-break spaces
EXCEL_MAX_SERIAL = 2_958_465  # 9999-12-31 in Excel's 1900 date system
# Excel's 1900 system counts a 29 February 1900 that never existed (day 60): from day 61
# on, serial n is 1899-12-30 + n. Days 1-60 are refused rather than shifted by a day.
EXCEL_FIRST_SERIAL = 61
NAMES = {
    " ": "space",
    "\u00a0": "no-break space",
    "\u202f": "narrow no-break space",
    "'": "apostrophe",
    "\u2019": "apostrophe",
    ".": "'.'",
    ",": "','",
}


@dataclass(frozen=True)
class Conversion:
    sql: str  # the value in the contract's form, or NULL
    reason: str | None  # why a value that gives NULL is rejected (None: it never does)


def _rx(text: str) -> str:
    """Literal text as an RE2 pattern (every character as \\x{...}: no escaping rules)."""
    return "".join(c if c.isalnum() and c.isascii() else f"\\x{{{ord(c):04X}}}" for c in text)


def conversion(col: ColumnSpec, fmt: ValueFormat, v: str) -> Conversion | None:
    """How to read column ``col`` (text ``v``, trimmed, not NULL) under ``fmt``; None when
    it is written the contract's way and the contract's checks apply as they are."""
    if col.type == "date" and fmt.date_format != ISO_DATE:
        return Conversion(date_sql(fmt.date_format, v), date_reason(fmt.date_format))
    if col.type == "period" and fmt.period_format != ISO_PERIOD:
        return _period(fmt, v)
    if col.type == "money" and fmt.money_declared:
        return _money(fmt, v)
    if col.type == "enum" and fmt.values:
        cases = " ".join(
            f"WHEN {sql_literal(word.strip().casefold())} THEN {sql_literal(value)}"
            for word, value in fmt.values
        )
        return Conversion(f"CASE lower({v}) {cases} ELSE {v} END", None)
    return None


def date_sql(date_format: str, v: str) -> str:
    """ISO text of a date written in ``date_format``, or NULL."""
    if date_format in ("excel", "excel-1904"):
        first, last, epoch = (
            (EXCEL_FIRST_SERIAL, EXCEL_MAX_SERIAL, "1899-12-30")
            if date_format == "excel"
            else (0, EXCEL_MAX_SERIAL - 1462, "1904-01-01")
        )
        n = f"TRY_CAST({v} AS INTEGER)"
        return (
            f"CASE WHEN regexp_full_match({v}, '[0-9]{{1,7}}') AND {n} BETWEEN {first} AND "
            f"{last} THEN strftime(DATE '{epoch}' + {n}, '%Y-%m-%d') END"
        )
    if date_format == ISO_DATE:
        iso = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
        as_iso = f"strftime(TRY_CAST({v} AS DATE), '%Y-%m-%d')"
        return f"CASE WHEN regexp_full_match({v}, '{iso}') THEN {as_iso} END"
    pattern = ""
    for part in _tokens(date_format):
        pattern += {"%d": "[0-9]{1,2}", "%m": "[0-9]{1,2}", "%Y": "[0-9]{4}"}.get(part) or _rx(part)
    # a midnight time, as 1C and Excel add to a date ("20.01.2024 0:00:00"), is dropped
    full = f"^({pattern})(?: 0?0:00(?::00)?)?$"
    return (
        f"strftime(try_strptime(NULLIF(regexp_extract({v}, {sql_literal(full)}, 1), ''), "
        f"{sql_literal(date_format)}), '%Y-%m-%d')"
    )


def _tokens(fmt: str) -> list[str]:
    out, i = [], 0
    while i < len(fmt):
        step = 2 if fmt[i] == "%" else 1
        out.append(fmt[i : i + step])
        i += step
    return out


def date_reason(date_format: str) -> str:
    if date_format == "excel":
        return (
            "not an Excel serial date: expected a whole number of days from 61 (1 March "
            "1900) on; days 1-60 are refused because Excel counts a 29 February 1900 "
            "that never existed"
        )
    if date_format == "excel-1904":
        return "not an Excel serial date: expected a whole number of days since 1 January 1904"
    return f"not a valid date written {human_date_format(date_format)} (as the mapping declares)"


def _period(fmt: ValueFormat, v: str) -> Conversion:
    if fmt.period_format == "date":
        d = f"({date_sql(fmt.date_format, v)})"
        sql = f"CASE WHEN right({d}, 2) = '01' THEN left({d}, 7) END"
        return Conversion(
            sql,
            "not a period: expected the first day of its month as a date written "
            f"{human_date_format(fmt.date_format)} (as the mapping declares)",
        )
    month, year = "(0?[1-9]|1[0-2])", "([0-9]{4})"
    sep = _rx(fmt.period_format[2] if fmt.period_format.startswith("MM") else fmt.period_format[4])
    if fmt.period_format.startswith("MM"):
        pattern, mg, yg = f"^{month}{sep}{year}$", 1, 2
    else:
        pattern, mg, yg = f"^{year}{sep}{month}$", 2, 1
    p = sql_literal(pattern)
    sql = (
        f"NULLIF(regexp_extract({v}, {p}, {yg}), '') || '-' || "
        f"lpad(regexp_extract({v}, {p}, {mg}), 2, '0')"
    )
    return Conversion(
        sql,
        f"not a valid period written {fmt.period_format} with a month 01-12 "
        "(as the mapping declares)",
    )


def _money(fmt: ValueFormat, v: str) -> Conversion:
    dec = _rx(fmt.decimal_mark)
    if fmt.thousands:
        seps = "".join(_rx(s) for s in fmt.thousands)
        integer = f"(?:[0-9]{{1,3}}(?:[{seps}][0-9]{{3}})+|[0-9]+)"
    else:
        integer = "[0-9]+"
    number = f"-?{integer}(?:{dec}[0-9]+)?"
    if fmt.currency:
        cur = "|".join(_rx(t) for t in sorted(fmt.currency, key=len, reverse=True))
        full = f"^(?:(?:{cur}){SPACES})?({number})(?:{SPACES}(?:{cur}))?$"
    else:
        full = f"^({number})$"
    sql = f"NULLIF(regexp_extract({v}, {sql_literal(full)}, 1, 'i'), '')"
    if fmt.thousands:
        sql = f"regexp_replace({sql}, '[{seps}]', '', 'g')"
    if fmt.decimal_mark != ".":
        sql = f"replace({sql}, {sql_literal(fmt.decimal_mark)}, '.')"
    return Conversion(sql, "not an amount written as the mapping declares: " + money_words(fmt))


def money_words(fmt: ValueFormat) -> str:
    """The declared money format in words, with an example."""
    words = [f"digits with {fmt.decimal_mark!r} as the decimal mark"]
    if fmt.thousands:
        words.append("thousands separated by " + " or ".join(NAMES[s] for s in fmt.thousands))
    else:
        words.append("no thousands separator")
    if fmt.currency:
        words.append("optionally " + ", ".join(fmt.currency) + " before or after")
    sep = fmt.thousands[0] if fmt.thousands else ""
    example = f"1{sep}234{fmt.decimal_mark}56" + (f" {fmt.currency[0]}" if fmt.currency else "")
    return ", ".join(words) + f" (e.g. {example!r})"
