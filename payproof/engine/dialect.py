"""The few SQL spellings that differ between engines.

The audit's steps are plain SQL strings; where DuckDB and Spark SQL disagree
(ordered arg-max, date arithmetic, list filtering), a step asks its dialect
instead of hard-coding one spelling, as Splink does. The audit runs on DuckDB;
tests/reconcile/test_spark_parity.py runs its chain with Spark's spellings on a local
Spark session and checks every step's table against DuckDB's.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    name: str

    def max_by(self, value: str, *order: str) -> str:
        """``value`` from the row with the largest ``order`` (ties broken by later keys)."""
        key = order[0] if len(order) == 1 else self._tuple(order)
        return f"max_by({value}, {key})"

    def _tuple(self, items: tuple[str, ...]) -> str:
        inner = ", ".join(items)
        return f"row({inner})" if self.name == "duckdb" else f"struct({inner})"

    def struct(self, **fields: str) -> str:
        """A struct with named fields (read back as ``value.field`` in both engines)."""
        if self.name == "duckdb":
            return "struct_pack(" + ", ".join(f"{k} := {v}" for k, v in fields.items()) + ")"
        return "named_struct(" + ", ".join(f"'{k}', {v}" for k, v in fields.items()) + ")"

    def add_years(self, day: str, years: int) -> str:
        """A DATE ``years`` later (29 February + 1 year gives 28 February in both engines)."""
        if self.name == "duckdb":
            return f"CAST({day} + INTERVAL {int(years)} YEAR AS DATE)"
        return f"add_months({day}, {12 * int(years)})"

    def add_days(self, day: str, days: int) -> str:
        if self.name == "duckdb":
            return f"CAST({day} + INTERVAL {int(days)} DAY AS DATE)"
        return f"date_add({day}, {int(days)})"

    def text(self) -> str:
        """The text type for CASTs: Spark SQL refuses VARCHAR without a length."""
        return "VARCHAR" if self.name == "duckdb" else "STRING"

    def period_of(self, day: str) -> str:
        """The ``YYYY-MM`` period of a DATE."""
        return f"substr(CAST({day} AS {self.text()}), 1, 7)"

    def period_start(self, period: str) -> str:
        """The DATE of a period's first day."""
        return f"CAST({period} || '-01' AS DATE)"

    def compact_list(self, items: list[str]) -> str:
        """A list of the non-NULL ``items`` (text labels), in order."""
        body = ", ".join(items)
        if self.name == "duckdb":
            return f"list_filter([{body}], lambda x: x IS NOT NULL)"
        return f"filter(array({body}), x -> x IS NOT NULL)"

    def wide_int(self) -> str:
        """An integer type wide enough for a product of two amounts in minor units."""
        return "HUGEINT" if self.name == "duckdb" else "DECIMAL(38,0)"

    def int_div(self, a: str, b: str) -> str:
        """Integer division rounding towards zero (operands are non-negative here)."""
        return f"({a} // {b})" if self.name == "duckdb" else f"({a} div {b})"

    def median(self, value: str) -> str:
        if self.name == "duckdb":
            return f"median({value})"
        return f"percentile({value}, 0.5)"


DUCKDB = Dialect("duckdb")
SPARK = Dialect("spark")


def dialect_of(engine) -> Dialect:
    return SPARK if getattr(engine, "name", "duckdb") == "spark" else DUCKDB
