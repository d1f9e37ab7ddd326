"""The one CSV writer: every CSV payproof writes goes through :func:`copy_csv`.

Officials open these files in Excel or LibreOffice, which run a cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula
(``=HYPERLINK(...)`` in a name column is an attack, "CSV injection"). Following
OWASP's guidance, a text cell that starts with one of those characters is
written with a single quote in front (``'=HYPERLINK(...)``), which the
spreadsheet shows as text. Only text columns are touched — the query's column
types come from DuckDB (``DESCRIBE``), so money, counts and dates (``-5.00``
stays ``-5.00``) are left exactly as computed. A text cell that already starts
with quotes followed by one of those characters gets one more quote too, so the
change can be undone exactly (:func:`restored`) by a tool that reads the file back.
"""

from __future__ import annotations

from pathlib import Path

from payproof.atomic import replacing

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# RE2 patterns as SQL literals: a character a spreadsheet reads as the start of a
# formula, after any leading quotes (neutralise) or after at least one (restore).
_RISKY = "'^''*[=+\\-@\\t\\r]'"
_QUOTED = "'^''+[=+\\-@\\t\\r]'"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def neutralised(column: str) -> str:
    """SQL for text ``column`` with a ``'`` in front of a cell a spreadsheet would run."""
    col = f"CAST({column} AS VARCHAR)"
    return f"CASE WHEN regexp_matches({col}, {_RISKY}) THEN '''' || {col} ELSE {col} END"


def restored(column: str) -> str:
    """SQL undoing :func:`neutralised` on a cell read back from a payproof CSV."""
    return (
        f"CASE WHEN regexp_matches({column}, {_QUOTED}) "
        f"THEN substr({column}, 2) ELSE {column} END"
    )


def _is_text(sql_type: str) -> bool:
    """A scalar text type (a list or struct is written as ``[...]`` / ``{...}``: safe)."""
    kind = sql_type.upper()
    return kind == "VARCHAR" or kind.startswith("VARCHAR(") or kind.startswith("ENUM(")


def _columns(engine, select: str) -> list[tuple]:
    """The query's columns (name, type, …): from a DuckDBEngine, or a DuckDB connection or
    cursor (the ledger's temporary views live on its own cursor)."""
    sql = f"DESCRIBE ({select})"
    if hasattr(engine, "rows"):
        return engine.rows(sql)
    return engine.execute(sql).fetchall()


def safe_select(engine, select: str) -> str:
    """``select`` with every text column neutralised (column names and order unchanged)."""
    columns = _columns(engine, select)
    parts = []
    for name, sql_type, *_ in columns:
        ident = quote_ident(name)
        if _is_text(str(sql_type)):
            parts.append(f"{neutralised('x.' + ident)} AS {ident}")
        else:
            parts.append(f"x.{ident}")
    return f"SELECT {', '.join(parts)} FROM ({select}) x"


def copy_csv(engine, select: str, path: str | Path) -> Path:
    """Write the rows of ``select`` to ``path`` as a UTF-8 CSV with a header, atomically.

    Rows keep the order of ``select``; text cells are neutralised as described above.
    ``engine``: a DuckDBEngine, or a DuckDB connection or cursor.
    """
    from payproof.engine.duckdb_engine import sql_literal

    path = Path(path)
    with replacing(path) as tmp:
        engine.execute(
            f"COPY ({safe_select(engine, select)}) TO {sql_literal(str(tmp))} "
            "(HEADER, DELIMITER ',')"
        )
    return path
