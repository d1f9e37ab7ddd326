"""SQL that checks every staged value and casts it to its contract type.

One pass per table builds, for every record, its typed values and the list of
problems found in it (column, value, reason). Cross-row checks (unique keys,
references between tables) run afterwards on the records that passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from payproof.contract import ColumnSpec, TableSpec
from payproof.engine.duckdb_engine import sql_literal
from payproof.ingest.encoding import (
    INVALID_ENCODING_REASON,
    MOJIBAKE_RE2,
    MOJIBAKE_REASON,
    REPLACEMENT,
)
from payproof.ingest.formats import conversion
from payproof.ingest.mapping import ValueFormat

MAX_ID_LENGTH = 200
DEFAULT_MAX_AMOUNT_MINOR = 100_000_000 * 100  # 100 million a line: a wrong unit or separator
EARLIEST_DATE = "1900-01-01"
EARLIEST_PERIOD_YEAR = 1990

SQL_TYPES = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "date": "DATE",
    "period": "VARCHAR",
    "money": "BIGINT",
    "enum": "VARCHAR",
    "count": "INTEGER",
}
MAX_COUNT = 9999  # a count of people (children declared): more is a wrong column

# Rules on one record: (SQL condition with {column} placeholders, column to blame, reason).
ROW_RULES: dict[str, list[tuple[str, str, str]]] = {
    "children": [
        ("{death_date} < {birth_date}", "death_date", "death date is before the birth date"),
        (
            "{student_until} < {birth_date}",
            "student_until",
            "student_until is before the birth date",
        ),
    ],
    "families": [
        (  # blames the birth date (an identity field: left empty, the family kept)
            "{registered_on} < {mother_birth_date}",
            "mother_birth_date",
            "the mother's birth date is after the family's registration date",
        ),
    ],
    "population": [
        ("{death_date} < {birth_date}", "death_date", "death date is before the birth date"),
    ],
    "applications": [
        ("{decided_on} < {submitted_on}", "decided_on", "decided before it was submitted"),
        (
            "{decision} = 'pending' AND {decided_on} IS NOT NULL",
            "decided_on",
            "a pending application has no decision date",
        ),
        (
            "{decision} <> 'pending' AND {decided_on} IS NULL",
            "decided_on",
            "missing value (required when the decision is approved or rejected)",
        ),
    ],
    "disbursements": [
        ("{amount} = 0", "amount", "zero amount: a disbursement line must pay something"),
    ],
}


KEPT_EMPTY = "; the record is kept with this value left empty"


@dataclass(frozen=True)
class CheckSettings:
    today: date
    max_amount_minor: int = DEFAULT_MAX_AMOUNT_MINOR


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _err(cond: str, column: str, value_sql: str, reason_sql: str) -> str:
    return (
        f"CASE WHEN {cond} THEN {{'column': {sql_literal(column)}, "
        f"'value': {value_sql}, 'reason': {reason_sql}}} END"
    )


def _value_checks(col: ColumnSpec, v: str, s: CheckSettings) -> list[tuple[str, str]]:
    """(condition on the trimmed text v, reason) for one column; v is known non-NULL."""
    today = s.today.isoformat()
    if col.type == "id":
        return [(f"length({v}) > {MAX_ID_LENGTH}", f"identifier longer than {MAX_ID_LENGTH}")]
    if col.type == "date":
        checks = [
            (
                f"NOT regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
                f"OR TRY_CAST({v} AS DATE) IS NULL",
                "not a valid date: write it as YYYY-MM-DD (ISO 8601)",
            ),
            (f"TRY_CAST({v} AS DATE) < DATE '{EARLIEST_DATE}'", f"date before {EARLIEST_DATE}"),
        ]
        if col.past:
            checks.append(
                (f"TRY_CAST({v} AS DATE) > DATE '{today}'", f"date in the future (after {today})")
            )
        return checks
    if col.type == "period":
        return [
            (
                f"NOT regexp_full_match({v}, '[0-9]{{4}}-(0[1-9]|1[0-2])')",
                "not a valid period: write it as YYYY-MM with a month 01-12",
            ),
            (
                f"regexp_full_match({v}, '[0-9]{{4}}-(0[1-9]|1[0-2])') AND "
                f"(TRY_CAST(left({v}, 4) AS INTEGER) < {EARLIEST_PERIOD_YEAR} OR "
                f"TRY_CAST(left({v}, 4) AS INTEGER) > {s.today.year + 1})",
                f"implausible period (outside {EARLIEST_PERIOD_YEAR} to {s.today.year + 1})",
            ),
        ]
    if col.type == "money":
        cap = s.max_amount_minor // 100
        return [
            (f"regexp_full_match({v}, '-[0-9]+(\\.[0-9]+)?')", "negative amount"),
            (
                f"regexp_full_match({v}, '[0-9]+\\.[0-9]{{3,}}')",
                "more than 2 decimals: money must be exact to the tiyn (cent)",
            ),
            (
                f"NOT regexp_full_match({v}, '-?[0-9]+(\\.[0-9]+)?')",
                "not a decimal amount: use digits and a '.' decimal point, "
                "without currency signs or thousands separators",
            ),
            (  # too long for DECIMAL(38,2) casts to NULL: that is "too large", not "no amount"
                f"regexp_full_match({v}, '[0-9]+(\\.[0-9]{{1,2}})?') AND "
                f"coalesce(TRY_CAST({v} AS DECIMAL(38,2)) > {cap}, true)",
                f"implausibly large amount (over {cap}): check the units and decimal point",
            ),
        ]
    if col.type == "count":
        return [
            (
                f"NOT regexp_full_match({v}, '[0-9]{{1,4}}')",
                f"not a whole number from 0 to {MAX_COUNT}",
            )
        ]
    if col.type == "enum":
        allowed = ", ".join(sql_literal(x) for x in col.values)
        reason = "unknown value; expected one of: " + ", ".join(col.values)
        return [(f"{v} NOT IN ({allowed})", reason)]
    return []


def _text_checks(col: ColumnSpec, v: str, single_byte: bool = False) -> list[tuple[str, str]]:
    """Text that could not be decoded (U+FFFD, see ingest/encoding.py) in any column;
    UTF-8 text misread as a single-byte code page (mojibake) in a text column (names: few
    and short, so always checked — an export garbled upstream is caught too) and, where the
    file was read through a declared single-byte code page (``single_byte``), in an id
    column (other types fail their own format checks); and control
    characters (a NUL byte, a line break) in an id, which would otherwise be kept
    invisibly and make two ids that print alike differ."""
    checks = [(f"contains({v}, '{REPLACEMENT}')", INVALID_ENCODING_REASON)]
    if col.type == "text" or (single_byte and col.type == "id"):
        checks.append(
            (
                f"NOT contains({v}, '{REPLACEMENT}') AND regexp_matches({v}, "
                f"{sql_literal(MOJIBAKE_RE2)})",
                MOJIBAKE_REASON,
            )
        )
    if col.type == "id":
        checks.append(
            (f"regexp_matches({v}, '[\\x00-\\x1f\\x7f]')",
             "control character (such as NUL, tab or a line break) in an identifier")
        )  # fmt: skip
    return checks


def derived_columns(spec: TableSpec, present: dict[str, str]) -> dict[str, list[str]]:
    """Columns absent from the file but built from parts it holds (``derived_from``):
    column -> the parts present, in the contract's order."""
    out = {}
    for name, col in spec.columns.items():
        parts = [p for p in col.derived_from if p in present]
        if name not in present and parts:
            out[name] = parts
    return out


def _any(checks: list[tuple[str, str]]) -> str:
    return " OR ".join(f"({c})" for c, _ in checks) or "false"


def typed_expr(col: ColumnSpec, v: str) -> str:
    if col.type == "date":
        return f"TRY_CAST({v} AS DATE)"
    if col.type == "money":
        return f"TRY_CAST(TRY_CAST({v} AS DECIMAL(38,2)) * 100 AS BIGINT)"
    if col.type == "count":
        return f"TRY_CAST({v} AS INTEGER)"
    return v


def checked_select(
    spec: TableSpec,
    stage_table: str,
    present: dict[str, str],
    s: CheckSettings,
    formats: dict[str, ValueFormat] | None = None,
    *,
    single_byte: bool = False,
) -> str:
    """SELECT of _line, typed columns, ``_errors`` (problems that reject the row) and
    ``_warnings`` (problems reported on a row that is kept) from the stage.

    ``present`` maps contract column -> staged column name; absent nullable
    columns become NULL. ``formats`` (from an import mapping) say how a column's
    values are written when not the contract's way: they are converted to the
    contract's form first (``c_<column>``), and a value that does not have the
    declared shape is rejected with a reason naming that shape.
    """
    inner_cols = ["_line"]
    converted: list[str] = []
    checked: dict[str, str] = {}  # contract column -> the text its checks and type read
    unreadable: dict[str, str | None] = {}  # converted column -> reason a NULL is rejected
    derived = derived_columns(spec, present)
    for name, col in spec.columns.items():
        raw = f"{q(present[name])}" if name in present else "CAST(NULL AS VARCHAR)"
        if name in derived:  # only the parts are in the file: their words, in order
            parts = ", ".join(f"NULLIF(trim({q(present[p])}), '')" for p in derived[name])
            raw = f"NULLIF(concat_ws(' ', {parts}), '')"
        inner_cols.append(f"{raw} AS {q('raw_' + name)}")
        inner_cols.append(f"NULLIF(trim({raw}), '') AS {q('v_' + name)}")
        checked[name] = q("v_" + name)
        conv = conversion(col, (formats or {}).get(name, ValueFormat()), q("v_" + name))
        if conv is not None and name in present:
            converted.append(f"{conv.sql} AS {q('c_' + name)}")
            checked[name] = q("c_" + name)
            unreadable[name] = conv.reason
    errors, conds, warnings, warn_conds = [], [], [], []
    typed_of: dict[str, str] = {}  # the value each column keeps, for the row rules
    flagged: dict[str, list[tuple[str, str]]] = {}  # identity field -> (condition, reason)

    def add(cond: str, column: str, value_sql: str, reason_sql: str) -> None:
        conds.append(f"({cond})")
        errors.append(_err(cond, column, value_sql, reason_sql))

    for name, col in spec.columns.items():
        v, raw, c = q("v_" + name), q("raw_" + name), checked[name]
        missing = "missing value" + (" (required)" if col.bad_value != "flag" else "")
        checks = [(f"{v} IS NULL", missing)] if not col.nullable else []
        if col.bad_value == "flag" and (
            (name not in present and name not in derived) or col.type == "id"
        ):
            # an absent column is reported once, by the loader; so are empty IDs (one
            # line with their count: a registry without IDs is not a flood of warnings)
            checks = []
        if name in derived:  # each part is checked (and reported) in its own column
            flagged[name] = checks
            continue
        checks += _text_checks(col, v, single_byte)
        bad_bytes = f"contains({v}, '{REPLACEMENT}')"  # one reason: the encoding's
        if unreadable.get(name):  # converted from the mapping's format: NULL where unreadable
            cond = f"{v} IS NOT NULL AND NOT {bad_bytes} AND {c} IS NULL"
            checks.append((cond, unreadable[name]))
        readable = f"{c} IS NOT NULL AND NOT {bad_bytes}"
        checks += [(f"{readable} AND ({e})", r) for e, r in _value_checks(col, c, s)]
        if col.bad_value == "flag":
            # kept with the value left empty, and the row reported as a warning
            flagged[name] = checks
            typed_of[name] = f"CASE WHEN {_any(checks)} THEN NULL ELSE {typed_expr(col, c)} END"
            continue
        typed_of[name] = typed_expr(col, c)
        for cond, reason in checks:
            add(cond, name, raw, sql_literal(reason))
    for cond, column, reason in ROW_RULES.get(spec.name, []):
        typed_cond = cond.format(**{n: f"({e})" for n, e in typed_of.items()})
        if column in flagged:  # the rule blames an identity field: that value is left empty
            flagged[column].append((f"coalesce({typed_cond}, false)", reason))
        else:
            add(f"coalesce({typed_cond}, false)", column, q("raw_" + column), sql_literal(reason))
    for name, checks in flagged.items():
        col, raw = spec.columns[name], q("raw_" + name)
        typed_of[name] = (
            f"CASE WHEN {_any(checks)} THEN NULL ELSE {typed_expr(col, checked[name])} END"
        )
        for cond, reason in checks:
            warn_conds.append(f"({cond})")
            warnings.append(_err(cond, name, raw, sql_literal(reason + KEPT_EMPTY)))
    for name, parts in derived.items():  # built from the parts that passed their checks
        typed_of[name] = f"NULLIF(concat_ws(' ', {', '.join(typed_of[p] for p in parts)}), '')"
    typed = [f"{typed_of[name]} AS {q(name)}" for name in spec.columns]
    # Build the list of problems only for rows that have one: almost every row is
    # good, and a cheap OR of the conditions is far faster than a list per row.
    empty = 'CAST([] AS STRUCT("column" VARCHAR, "value" VARCHAR, reason VARCHAR)[])'
    err_list = (
        f"CASE WHEN coalesce({' OR '.join(conds) or 'false'}, false) "
        f"THEN list_filter([{', '.join(errors)}], lambda e: e IS NOT NULL) ELSE {empty} END"
    )
    warn_list = empty
    if warnings:
        warn_list = (
            f"CASE WHEN coalesce({' OR '.join(warn_conds)}, false) "
            f"THEN list_filter([{', '.join(warnings)}], lambda e: e IS NOT NULL) ELSE {empty} END"
        )
    inner = f"SELECT {', '.join(inner_cols)} FROM {stage_table}"
    if converted:
        inner = f"SELECT *, {', '.join(converted)} FROM ({inner})"
    return (
        f"SELECT _line, {', '.join(typed)}, {err_list} AS _errors, {warn_list} AS _warnings "
        f"FROM ({inner})"
    )
