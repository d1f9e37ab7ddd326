"""Import mapping: how to read the exports district offices really have.

A small YAML file (``--mapping FILE``; see docs/importing.md) says, per table,
which files hold it, their encoding and delimiter, how numbers, dates and
periods are written, and which header is which contract column. It is checked
strictly here -- shape by JSON Schema (mapping.schema.json), meaning by the
checks below -- because a mapping that reads "1.234" as 1.234 where the office
meant 1234 would silently change every figure. A bad mapping is a
``MappingError`` (exit code 3) naming the key and the fix.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from payproof.contract import header_key, load_contract
from payproof.errors import InputError

ISO_DATE = "%Y-%m-%d"
ISO_PERIOD = "YYYY-MM"
EXCEL_DATES = ("excel", "excel-1904")
DATE_SEPARATORS = " ./-"
# Thousands separators may be written by name (what `payproof inspect` writes: a no-break
# space is invisible in a YAML file) or as the character itself.
SEPARATORS = {"space": " ", "nbsp": "\u00a0", "narrow-nbsp": "\u202f", "apostrophe": "'",
              "right-quote": "\u2019", "dot": ".", "comma": ","}  # fmt: skip
SEPARATOR_NAMES = {c: n for n, c in SEPARATORS.items()}
SETTINGS = (
    "encoding",
    "delimiter",
    "decimal_mark",
    "thousands",
    "date_format",
    "period_format",
    "currency",
)


class MappingError(InputError):
    """An import mapping that cannot be used as written (exit code 3, like other input)."""


@dataclass(frozen=True)
class ValueFormat:
    """How the values of one column are written in the file."""

    decimal_mark: str = "."
    thousands: tuple[str, ...] = ()
    currency: tuple[str, ...] = ()
    date_format: str = ISO_DATE
    period_format: str = ISO_PERIOD
    values: tuple[tuple[str, str], ...] = ()  # (word in the file, contract enum value)

    @property
    def money_declared(self) -> bool:
        return self.decimal_mark != "." or bool(self.thousands) or bool(self.currency)


@dataclass(frozen=True)
class TableMapping:
    """One table's files, reading settings, headers and value formats."""

    table: str
    files: tuple[str, ...] = ()
    encoding: str | None = None
    delimiter: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # contract column -> header
    base: ValueFormat = ValueFormat()
    overrides: dict[str, ValueFormat] = field(default_factory=dict)  # per contract column

    def format_of(self, column: str) -> ValueFormat:
        return self.overrides.get(column, self.base)


@dataclass(frozen=True)
class Mapping:
    source: str
    tables: dict[str, TableMapping]
    defaults: TableMapping = TableMapping("*")

    def table(self, name: str) -> TableMapping:
        """The table's mapping; the top-level defaults where the file names none."""
        if name in self.tables:
            return self.tables[name]
        d = self.defaults
        return TableMapping(name, (), d.encoding, d.delimiter, {}, d.base, {})


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; every problem is a MappingError."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MappingError(
            f"Cannot read the mapping file {path}: {exc.strerror or exc}.",
            where=str(path),
            fix="Give the path of a mapping YAML file (payproof inspect DIR --out FILE "
            "writes one).",
        ) from None
    return parse_mapping(data, source=str(path))


@dataclass(frozen=True)
class _Where:
    source: str

    def fail(self, key: str, what: str, fix: str) -> MappingError:
        return MappingError(what, where=f"{self.source}: {key}", fix=fix)


def parse_mapping(data: bytes | str, *, source: str = "<mapping>") -> Mapping:
    """Build a Mapping from YAML text (see docs/importing.md for every key)."""
    at = _Where(source)
    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise at.fail(
            "(file)",
            f"The mapping is not valid YAML: {exc}".splitlines()[0],
            "Check the indentation and quotes (a ';' or '%' needs quotes).",
        ) from None
    if not isinstance(doc, dict):
        raise at.fail(
            "(file)",
            "The mapping must be a YAML mapping with 'version: 1'.",
            "Start from the example in docs/importing.md.",
        )
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        key = ".".join(str(p) for p in e.path) or "(top level)"
        raise at.fail(
            key,
            f"Invalid import mapping: {e.message}.",
            "See docs/importing.md for the keys and the values each takes.",
        )
    defaults = _table(at, "*", doc.get("defaults") or {}, {}, "defaults")
    tables = {
        name: _table(at, name, body or {}, doc.get("defaults") or {}, f"tables.{name}")
        for name, body in (doc.get("tables") or {}).items()
    }
    return Mapping(source, tables, defaults)


def _validator() -> jsonschema.Draft202012Validator:
    text = resources.files("payproof.ingest").joinpath("mapping.schema.json").read_text()
    return jsonschema.Draft202012Validator(json.loads(text))


def _table(at: _Where, name: str, body: dict, defaults: dict, key: str) -> TableMapping:
    merged = {k: body.get(k, defaults.get(k)) for k in SETTINGS}
    encoding = _encoding(at, merged["encoding"], key) if merged["encoding"] else None
    delimiter = merged["delimiter"]
    if delimiter is not None and (delimiter in '"\r\n' or delimiter.isalnum()):
        raise at.fail(
            f"{key}.delimiter",
            f"{delimiter!r} cannot separate CSV fields.",
            "Use the character between the values: ';', ',', a tab or '|'.",
        )
    decimal = merged["decimal_mark"] or "."
    thousands = tuple(SEPARATORS.get(t, t) for t in merged["thousands"] or ())
    if decimal in thousands:
        raise at.fail(
            f"{key}.thousands",
            f"{decimal!r} is both the decimal mark and a thousands separator.",
            "A number like 1.234 would be ambiguous: keep it in one of the two.",
        )
    currency = tuple(merged["currency"] or ())
    _check_currency(at, currency, decimal, thousands, f"{key}.currency")
    base = ValueFormat(
        decimal_mark=decimal,
        thousands=thousands,
        currency=currency,
        date_format=_date_format(at, merged["date_format"] or ISO_DATE, f"{key}.date_format"),
        period_format=merged["period_format"] or ISO_PERIOD,
    )
    files = tuple(body.get("files") or ())
    for pattern in files:
        if "/" in pattern or "\\" in pattern:
            raise at.fail(
                f"{key}.files",
                f"{pattern!r} names a folder.",
                "Give file-name patterns such as 'Выплаты*.csv'; the folder is the "
                "command's input folder.",
            )
    columns, overrides = _columns(at, name, body.get("columns") or {}, base, key)
    return TableMapping(name, files, encoding, delimiter, columns, base, overrides)


def _check_currency(
    at: _Where, signs: tuple[str, ...], decimal: str, thousands: tuple[str, ...], key: str
) -> None:
    """A currency sign is dropped from beside an amount, so one that holds a digit or a
    sign ('1', '-') would drop part of the number: with currency '1', '14 000,00' reads
    as 4000 and '-5' as 5. One made only of separators and spaces has no reading at all."""
    number_chars = set(decimal) | set(thousands) | {" ", "\u00a0", "\u202f"}
    for sign in signs:
        if any(c.isdigit() or c in "+-" for c in sign) or set(sign) <= number_chars:
            raise at.fail(
                key,
                f"{sign!r} cannot be a currency sign: it holds a digit, a plus or minus "
                "sign, or only the characters that write the number itself.",
                "List the signs written beside amounts, such as '₸', 'тг', 'тенге' or 'KZT'.",
            )


def _encoding(at: _Where, name: str, key: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise at.fail(
            f"{key}.encoding",
            f"Unknown encoding {name!r}.",
            "Use a name such as utf-8, cp1251, utf-16 or kz1048 (payproof inspect detects it).",
        ) from None


def _date_format(at: _Where, fmt: str, key: str) -> str:
    if fmt in EXCEL_DATES:
        return fmt
    fields = re.findall(r"%.", fmt)
    literal = re.sub(r"%.", "", fmt)
    if sorted(fields) != ["%Y", "%d", "%m"] or any(c not in DATE_SEPARATORS for c in literal):
        raise at.fail(
            key,
            f"Date format {fmt!r} is not supported.",
            "Use %d, %m and %Y once each with separators such as '.', '/', '-' "
            "(e.g. '%d.%m.%Y'), or 'excel' for Excel serial day numbers. Two-digit "
            "years (%y) are not accepted: 01.02.03 has no single reading.",
        )
    return fmt


def _columns(
    at: _Where, table: str, body: dict[str, Any], base: ValueFormat, key: str
) -> tuple[dict[str, str], dict[str, ValueFormat]]:
    if table == "*":
        if body:
            raise at.fail(
                f"{key}.columns",
                "Columns are mapped per table, not in defaults.",
                "Move 'columns' under tables.<table>.",
            )
        return {}, {}
    spec = load_contract().table(table)
    columns: dict[str, str] = {}
    overrides: dict[str, ValueFormat] = {}
    seen: dict[str, str] = {}
    for name, entry in body.items():
        where = f"{key}.columns.{name}"
        col = spec.columns.get(name)
        if col is None:
            raise at.fail(
                where,
                f"{table} has no column {name!r}.",
                f"Map the contract's columns: {', '.join(spec.columns)} "
                "(the key is the contract column, the value the header in your file).",
            )
        entry = {"header": entry} if isinstance(entry, str) else entry
        header = entry["header"]
        if header_key(header) in seen:
            raise at.fail(
                where,
                f"Header {header!r} is mapped to both {seen[header_key(header)]} and {name}.",
                "Map each header to one contract column.",
            )
        seen[header_key(header)] = name
        columns[name] = header
        fmt = base
        if "date_format" in entry:
            if col.type not in ("date", "period"):
                raise at.fail(
                    where,
                    f"{name} is not a date column, so date_format does not apply.",
                    "Remove date_format here.",
                )
            fmt = replace(fmt, date_format=_date_format(at, entry["date_format"], where))
        if "period_format" in entry:
            if col.type != "period":
                raise at.fail(
                    where, f"{name} is not a period column.", "Remove period_format here."
                )
            fmt = replace(fmt, period_format=entry["period_format"])
        if "values" in entry:
            if col.type != "enum":
                raise at.fail(
                    where,
                    f"{name} takes free values, so 'values' does not apply.",
                    "Map values only for "
                    + ", ".join(c for c, s in spec.columns.items() if s.type == "enum")
                    + ".",
                )
            bad = sorted(set(entry["values"].values()) - set(col.values))
            if bad:
                raise at.fail(
                    f"{where}.values",
                    f"{', '.join(bad)} is not a value of {name}.",
                    f"Map each word to one of: {', '.join(col.values)}.",
                )
            fmt = replace(fmt, values=tuple(entry["values"].items()))
        if fmt is not base:
            overrides[name] = fmt
    return columns, overrides


def human_date_format(fmt: str) -> str:
    """'%d.%m.%Y' -> 'DD.MM.YYYY', as people write it."""
    if fmt == "excel":
        return "an Excel serial day number (1900 date system)"
    if fmt == "excel-1904":
        return "an Excel serial day number (1904 date system)"
    return fmt.replace("%d", "DD").replace("%m", "MM").replace("%Y", "YYYY")
