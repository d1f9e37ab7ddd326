"""The rejects writer: every input problem, as ``rejects.csv``, for every command.

One query and one writer, so ``audit``, ``ghosts`` and ``ledger append`` report
rejected rows the same way (file, line, column, value, reason, severity). It
writes through the one CSV writer (payproof.engine.export): a rejected value
such as ``=HYPERLINK(...)`` is neutralised before an official opens the file.
"""

from __future__ import annotations

from pathlib import Path

from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.engine.export import copy_csv

REJECTS_FILE = "rejects.csv"


def rejects_select() -> str:
    """The ``rejects`` table in the column order and sort order of ``rejects.csv``."""
    return (
        'SELECT table_name AS "table", file, line, column_name AS "column", value, reason, '
        "severity FROM rejects ORDER BY table_name, line, column_name, reason"
    )


def write_rejects_csv(engine: DuckDBEngine, path: Path) -> Path:
    """Write ``rejects.csv`` to ``path`` atomically (a temporary file renamed into place)."""
    return copy_csv(engine, rejects_select(), path)
