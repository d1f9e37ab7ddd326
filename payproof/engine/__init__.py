"""A thin adapter between payproof's SQL and the engine that runs it.

The audit is a chain of portable SQL steps (``CREATE TABLE name AS SELECT``)
in the style of Splink: the steps are plain strings, and an engine only needs
to run a statement, materialise a named result and hand back Arrow. DuckDB is
the embedded default; a Spark engine can implement the same protocol.
"""

from __future__ import annotations

from typing import Protocol

import pyarrow as pa

from payproof.engine.duckdb_engine import DuckDBEngine


class Engine(Protocol):
    """What payproof's SQL steps need from an engine."""

    name: str

    def execute(self, sql: str) -> None: ...

    def materialise(self, name: str, sql: str) -> None: ...

    def arrow(self, sql: str) -> pa.Table: ...

    def scalar(self, sql: str): ...

    def rows(self, sql: str) -> list[tuple]: ...

    def has_table(self, name: str) -> bool: ...


__all__ = ["DuckDBEngine", "Engine"]
