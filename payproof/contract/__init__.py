"""The input data contract: which tables and columns payproof reads.

The contract lives in ``tables.json`` (machine-readable, versioned); this module
loads it into small typed objects that ingest turns into SQL checks, and can
export a standard JSON Schema (draft 2020-12) for each table's rows so other
tools can validate an export before sending it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from payproof.money import AMOUNT_PATTERN
from payproof.periods import PERIOD_PATTERN

COLUMN_TYPES = ("id", "text", "date", "period", "money", "enum", "count")


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    nullable: bool = False
    references: str | None = None  # "table.column"
    missing_reference: str = "reject"  # or "flag": keep the row, report a warning
    values: tuple[str, ...] = ()
    past: bool = False  # a date that cannot lie in the future
    # "flag": an empty or invalid value is reported as a warning and left empty, the
    # row kept (identity fields that duplicate detection compares as far as it can)
    bad_value: str = "reject"
    # a text column built from parts when the file has only the parts (the mother's name
    # from her surname, given name and patronymic: a 1C export holds ФИО in three columns)
    derived_from: tuple[str, ...] = ()

    @property
    def ref_table(self) -> str | None:
        return self.references.split(".")[0] if self.references else None

    @property
    def ref_column(self) -> str | None:
        return self.references.split(".")[1] if self.references else None


@dataclass(frozen=True)
class TableSpec:
    name: str
    required: bool
    key: tuple[str, ...]
    columns: dict[str, ColumnSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class Contract:
    version: str
    tables: dict[str, TableSpec]

    def table(self, name: str) -> TableSpec:
        return self.tables[name]


@cache
def load_contract() -> Contract:
    """Load the packaged contract (tables.json)."""
    raw = json.loads(resources.files("payproof.contract").joinpath("tables.json").read_text())
    tables: dict[str, TableSpec] = {}
    for tname, t in raw["tables"].items():
        cols = {}
        for cname, c in t["columns"].items():
            if c["type"] not in COLUMN_TYPES:
                raise ValueError(f"contract: {tname}.{cname} has unknown type {c['type']}")
            cols[cname] = ColumnSpec(
                name=cname,
                type=c["type"],
                nullable=c.get("nullable", False),
                references=c.get("references"),
                missing_reference=c.get("missing_reference", "reject"),
                values=tuple(c.get("values", ())),
                past=c.get("past", False),
                bad_value=c.get("bad_value", "reject"),
                derived_from=tuple(c.get("derived_from", ())),
            )
        tables[tname] = TableSpec(tname, t["required"], tuple(t["key"]), cols)
    return Contract(raw["version"], tables)


def row_json_schema(table: str) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) for one row of ``table`` as strings, as in a CSV."""
    spec = load_contract().table(table)
    props: dict[str, Any] = {}
    for col in spec.columns.values():
        s: dict[str, Any] = {"type": "string"}
        if col.type == "id":
            s["minLength"] = 1
        elif col.type == "date":
            s["format"] = "date"
            s["pattern"] = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
        elif col.type == "period":
            s["pattern"] = PERIOD_PATTERN
        elif col.type == "money":
            s["pattern"] = AMOUNT_PATTERN.replace("^-?", "^")
        elif col.type == "enum":
            s["enum"] = list(col.values)
        elif col.type == "count":
            s["pattern"] = r"^[0-9]{1,4}$"
        props[col.name] = {"anyOf": [s, {"type": "null"}]} if col.nullable else s
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"payproof {table} row (contract v{load_contract().version})",
        "type": "object",
        "properties": props,
        "required": [
            c.name for c in spec.columns.values() if not c.nullable and c.bad_value != "flag"
        ],
        "additionalProperties": True,
    }


def header_key(name: str) -> str:
    """A header as compared with the contract's names and aliases: case, surrounding and
    repeated whitespace (NBSP too), a BOM and the ё/е spelling do not matter."""
    text = name.replace("\ufeff", "").replace("ё", "е").replace("Ё", "Е")
    return " ".join(text.split()).casefold()


@cache
def _aliases() -> dict[str, Any]:
    return json.loads(resources.files("payproof.contract").joinpath("aliases.json").read_text())


@cache
def header_aliases(table: str) -> dict[str, tuple[str, ...]]:
    """Contract column -> the names a file may give it: its own name first, then the
    built-in Russian and Kazakh aliases (aliases.json)."""
    raw = _aliases()
    own = raw["tables"].get(table, {})
    return {
        col: (col, *own.get(col, raw["shared"].get(col, [])))
        for col in load_contract().table(table).columns
    }


@cache
def value_aliases(column: str) -> dict[str, tuple[str, ...]]:
    """Enum value -> the usual Russian and Kazakh words for it (used through a mapping)."""
    return {k: tuple(v) for k, v in _aliases()["values"].get(column, {}).items()}
