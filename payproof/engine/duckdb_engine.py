"""The embedded DuckDB engine: one file (or in memory), bounded memory, spill to disk."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa

from payproof.errors import UsageError

DEFAULT_MEMORY_LIMIT = os.environ.get("PAYPROOF_MEMORY_LIMIT", "4GB")


def check_memory_limit(value: str | None) -> None:
    """Refuse a memory limit DuckDB cannot parse, before a run creates anything.

    Every command that takes ``--memory-limit`` calls this first, so a typo is a
    usage error (exit 2), never a half-started run.
    """
    if value is None:
        return
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = {sql_literal(value)}")
    except duckdb.Error:
        raise UsageError(
            f"--memory-limit {value!r} is not a memory size.",
            fix="Give a number and a unit, e.g. --memory-limit 4GB or 512MB.",
        ) from None
    finally:
        con.close()


class DuckDBEngine:
    """Runs payproof's SQL steps on DuckDB.

    The memory limit and temp directory are always set so that a national-scale
    run spills to disk instead of exhausting a modest laptop's memory.
    """

    name = "duckdb"

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        memory_limit: str = DEFAULT_MEMORY_LIMIT,
        temp_directory: str | Path | None = None,
        threads: int | None = None,
        read_only: bool = False,
    ) -> None:
        self.path = Path(path) if path else None
        self.con = duckdb.connect(str(path) if path else ":memory:", read_only=read_only)
        if temp_directory is None:
            temp_directory = (
                self.path.parent / (self.path.name + ".tmp")
                if self.path
                else Path(tempfile.gettempdir()) / "payproof-duckdb-spill"
            )
        self.temp_directory = Path(temp_directory)
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute(f"SET temp_directory = '{_sql_str(str(self.temp_directory))}'")
        self.con.execute("SET preserve_insertion_order = true")
        self.con.execute("SET enable_progress_bar = false")  # payproof reports progress itself
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")

    def execute(self, sql: str, params: list | None = None) -> None:
        self.con.execute(sql, params or [])

    def materialise(self, name: str, sql: str, *, temp: bool = False) -> None:
        """Create table ``name`` from a SELECT; ``temp`` keeps scratch tables out of the file."""
        kind = "TEMP TABLE" if temp else "TABLE"
        self.con.execute(f"CREATE OR REPLACE {kind} {name} AS {sql}")

    def arrow(self, sql: str, params: list | None = None) -> pa.Table:
        return self.con.sql(sql, params=params).to_arrow_table()

    def scalar(self, sql: str, params: list | None = None):
        # fetchall, not fetchone: a half-read result would stay open on the
        # connection and block the next query (and CHECKPOINT) under DuckDB 2.
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def has_table(self, name: str) -> bool:
        return bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
            )
        )

    def register_arrow(self, name: str, table: pa.Table) -> None:
        self.con.register(name, table)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _sql_str(text: str) -> str:
    return text.replace("'", "''")


def sql_literal(text: str) -> str:
    """Quote a Python string as a SQL string literal."""
    return "'" + _sql_str(text) + "'"
