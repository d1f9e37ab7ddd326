"""Stop when most of a table was rejected, and say why that probably happened.

A figure computed from a fraction of a table looks like an answer and is not one:
a payments file whose every amount has a decimal comma would make every family
look unpaid. So when a table's rejected records pass ``STOP_SHARE`` (or all of a
table is rejected), ingest stops with ``TableRejectedError`` (exit code 3). The
message names the likely cause found in the rejected values themselves --
delimiter, decimal mark, thousands separators, currency signs, date or period
format, encoding, words for enum values, ids that match no registry row -- and
how to fix it. The engine's ``rejects`` table is complete when it is raised, so
the caller can still write rejects.csv.
"""

from __future__ import annotations

import re
from pathlib import Path

from payproof.contract import TableSpec
from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.errors import InputError
from payproof.ingest.formats import date_reason, date_sql
from payproof.ingest.mapping import EXCEL_DATES, ISO_DATE, human_date_format

STOP_SHARE = 0.5  # more than half of a table's records rejected: stop
STOP_MIN_RECORDS = 10  # ... once the table has this many records; all rejected always stops
SAMPLE = 200  # rejected values examined per column and reason

_SPACE = "[ \u00a0\u202f']"
SHAPES: dict[str, list[tuple[str, str]]] = {
    "money": [
        (
            rf"^-?[0-9]+(?:{_SPACE}[0-9]{{3}})*,[0-9]{{1,2}}$",
            "amounts are written with a decimal comma (e.g. {ex}): declare decimal_mark: ','",
        ),
        (
            rf"^-?[0-9]{{1,3}}(?:{_SPACE}[0-9]{{3}})+(?:[.,][0-9]+)?(?![0-9])",
            "amounts have thousands separators (e.g. {ex}): declare them under thousands",
        ),
        (
            r"(?i)(₸|тг\.?|тенге|kzt)",
            "amounts carry a currency sign (e.g. {ex}): declare it under currency",
        ),
    ],
    "date": [
        (
            r"^[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{4}( 0?0:00(:00)?)?$",
            "dates are written day first (e.g. {ex}): declare date_format, e.g. '%d.%m.%Y'",
        ),
        (
            r"^[0-9]{5}$",
            "dates are Excel serial day numbers (e.g. {ex}): declare date_format: excel",
        ),
    ],
    "period": [
        (
            r"^(0?[1-9]|1[0-2])[./-][0-9]{4}$",
            "periods are written month first (e.g. {ex}): declare period_format, e.g. MM.YYYY",
        ),
        (
            r"^[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{4}$|^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            "periods are written as dates (e.g. {ex}): declare period_format: date",
        ),
    ],
}
# UTF-8 Cyrillic read as Windows-1251 ("РЎСѓРјРјР°") or as Latin-1 ("Ð¡Ñ\x83"); U+FFFD
_CP1251_TAIL = bytes(range(0x80, 0xC0)).decode("cp1251", errors="ignore")
MOJIBAKE = re.compile(f"\ufffd|(?:[ÐÑ][\u0080-\u00bf]){{2}}|(?:[РС][{_CP1251_TAIL}]){{2}}")


class TableRejectedError(InputError):
    """Most of a table was rejected, so nothing computed from it can be trusted.

    Raised by ``load_input`` once every problem of this table (and of the tables
    loaded before it) is in the engine's ``rejects`` table (``rejects_ready``): the
    command still writes rejects.csv for the user.
    """

    rejects_ready = True

    def __init__(self, what: str, *, table: str, where: str | None, fix: str | None):
        self.table = table
        super().__init__(what, where=where, fix=fix)


def check_rejected_share(
    engine: DuckDBEngine,
    spec: TableSpec,
    path: Path,
    read: int,
    rejected: int,
    header: list[str],
) -> None:
    """Raise TableRejectedError when ``rejected`` of ``read`` records is too many."""
    if not read or not rejected:
        return
    if rejected < read and (read < STOP_MIN_RECORDS or rejected <= STOP_SHARE * read):
        return
    causes = likely_causes(engine, spec, header)
    share = "every one" if rejected == read else f"{rejected / read:.0%}"
    raise TableRejectedError(
        f"{path.name}: {rejected:,} of {read:,} records were rejected ({share}), so no figure "
        f"computed from the {spec.name} table could be trusted; payproof stops here.\n"
        "Likely cause: " + "; ".join(causes) + ".",
        table=spec.name,
        where=str(path),
        fix="Describe how this export is written in an import mapping: `payproof inspect "
        "INPUT_FOLDER --out mapping.yaml` proposes one; review it and run again with "
        "--mapping mapping.yaml (see docs/importing.md). Every rejected record is listed "
        "in rejects.csv (file, line, column, value, reason).",
    )


def check_date_order(engine: DuckDBEngine, spec: TableSpec, path: Path, tm) -> None:
    """Stop when some dates prove the declared day/month order wrong.

    Under a wrong order ('%m.%d.%Y' for a day-first export) a date whose day is over 12
    is rejected, but every other one is read with day and month swapped, silently: a
    share too small to stop the table would leave the rest wrong. So one value that
    fails the declared order yet reads in the other (e.g. '25.01.2024' under
    MM.DD.YYYY) stops the table (exit 3), naming the column, the line and the fix.
    ``tm`` is the table's import mapping (None: ISO dates, no order to get wrong).
    """
    if tm is None:
        return
    for name, col in spec.columns.items():
        fmt = tm.format_of(name).date_format
        if col.type != "date" or fmt in EXCEL_DATES or fmt == ISO_DATE:
            continue
        swapped = fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
        n, line, value = engine.rows(
            "SELECT count(*), min(line), arg_min(value, line) FROM rejects "
            "WHERE table_name = ? AND column_name = ? AND starts_with(reason, ?) "
            f"AND ({date_sql(swapped, 'trim(value)')}) IS NOT NULL",
            [spec.name, name, date_reason(fmt)],
        )[0]
        if n:
            raise TableRejectedError(
                f"{path.name}: {n:,} {name} value(s) are not dates written "
                f"{human_date_format(fmt)} but are written {human_date_format(swapped)} "
                f"(e.g. {value!r} at line {line}), so the other {name} values, whose day is "
                "12 or less, would be read with day and month swapped; payproof stops here.",
                table=spec.name,
                where=str(path),
                fix=f"Declare date_format: '{swapped}' for {spec.name} (or for its column "
                f"{name}) in the import mapping; if the file really mixes both orders, "
                "correct it at the source: such dates have no single reading.",
            )


def likely_causes(engine: DuckDBEngine, spec: TableSpec, header: list[str]) -> list[str]:
    """Plain-words causes read from the rejected values of ``spec``'s table (most first)."""
    rows = engine.rows(
        "SELECT column_name, reason, count(*) AS n, list(value ORDER BY line)[1:?] "
        "FROM rejects WHERE table_name = ? AND severity = 'error' "
        "GROUP BY column_name, reason ORDER BY n DESC",
        [SAMPLE, spec.name],
    )
    causes: list[str] = []

    def add(text: str) -> None:
        if text not in causes:
            causes.append(text)

    for separator, name in ((";", "';'"), ("\t", "a tab"), ("|", "'|'")):
        if len(header) <= 2 and any(separator in h for h in header):
            add(f"the header holds {name} but was read as one column: declare delimiter")
    for column, reason, _n, values in rows:
        values = [v for v in values or [] if v is not None]
        if reason.startswith(("too many fields", "too few fields")):
            add(
                "records do not split into the header's columns: the delimiter may differ "
                "from the header's, or values that hold it are not in double quotes"
            )
        if reason.startswith("invalid encoding") or any(MOJIBAKE.search(v) for v in values):
            add(
                "the file is not in the encoding it was read in (e.g. Windows-1251 or "
                "UTF-16 read as UTF-8): declare encoding, e.g. cp1251"
            )
        col = spec.columns.get(column or "")
        if col is None:
            continue
        for pattern, text in SHAPES.get(col.type, []):
            hits = [v for v in values if re.search(pattern, v.strip())]
            if hits:
                add(f"{column}: " + text.format(ex=repr(hits[0].strip())))
        if reason.startswith("unknown value") and values:
            add(
                f"{column}: values are in other words (e.g. {values[0].strip()!r}): map "
                f"them to the contract's values under columns.{column}.values"
            )
        if reason.startswith("unknown ") and " (no such row)" in reason:
            add(
                f"{column}: the ids match no row of {col.ref_table} (another export, or ids "
                "written differently there, e.g. leading zeros lost)"
            )
    if not causes and rows:
        column, reason, n, values = rows[0]
        example = f", e.g. {values[0]!r}" if values and values[0] is not None else ""
        causes.append(f"{n:,} records: {column or 'record'}: {reason}{example}")
    return causes or ["no single cause found: see rejects.csv"]
