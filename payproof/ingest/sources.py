"""Find each table's file in an input folder and stage it, as text, in DuckDB.

Every value is staged as VARCHAR together with ``_line``, the line of the
record in its file (the header is line 1), so that later checks can say
exactly where a bad value is. Structural problems (wrong number of fields,
invalid UTF-8) are caught here, per record, by DuckDB's CSV reject store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from payproof.engine.duckdb_engine import DuckDBEngine, sql_literal
from payproof.errors import InputError

EXTENSIONS = (".csv", ".parquet", ".xlsx")
MAX_XLSX_BYTES = 200 * 1024 * 1024
ENCODING_SHARE_TO_FAIL = 0.2  # above this share of bad-encoding records, the whole file is wrong


@dataclass
class SourceFile:
    table: str
    path: Path
    format: str  # csv | parquet | xlsx
    sha256: str = ""
    size: int = 0


@dataclass
class StructuralReject:
    line: int
    column: str | None
    value: str | None
    reason: str


def locate(input_dir: Path, table: str) -> SourceFile | None:
    """The file for ``table`` in ``input_dir``, or None; two formats for one table is an error."""
    found = [
        input_dir / f"{table}{ext}" for ext in EXTENSIONS if (input_dir / f"{table}{ext}").is_file()
    ]
    if len(found) > 1:
        raise InputError(
            f"Table '{table}' is given twice: {', '.join(p.name for p in found)}.",
            where=str(input_dir),
            fix="Keep one file per table (CSV, Parquet or XLSX) and move the others away.",
        )
    if not found:
        return None
    path = found[0]
    return SourceFile(table, path, path.suffix[1:], size=path.stat().st_size)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


MakeSelect = Callable[[str, list[str]], str]


def stage_into(
    engine: DuckDBEngine, src: SourceFile, table: str, make_select: MakeSelect
) -> list[StructuralReject]:
    """Create temp ``table`` from ``make_select(relation, columns)`` over ``src``.

    ``relation`` yields every record as VARCHAR plus ``_line``; ``columns`` are
    the file's column names. CSV is read in the same pass as the checks (no
    all-VARCHAR copy of a large file is kept); records DuckDB rejects for their
    structure are returned, and ``_line`` is corrected to skip them.
    """
    if src.size == 0:
        raise InputError(
            f"{src.path.name} is empty (0 bytes).",
            where=str(src.path),
            fix="Export the table again with its header row; an empty table still needs a header.",
        )
    if src.format == "csv":
        return _stage_csv(engine, src, table, make_select)
    stage_table = f"_stage_{table}"
    if src.format == "parquet":
        _stage_parquet(engine, src, stage_table)
    else:
        _stage_xlsx(engine, src, stage_table)
    select = make_select(stage_table, staged_columns(engine, stage_table))
    engine.materialise(table, select, temp=True)
    engine.execute(f"DROP TABLE {stage_table}")
    return []


def _csv_reader(src: SourceFile) -> str:
    return (
        f"read_csv({sql_literal(str(src.path))}, all_varchar = true, header = true, "
        "store_rejects = true, auto_detect = true, strict_mode = true, null_padding = false)"
    )


def _unreadable(src: SourceFile, exc: Exception) -> InputError:
    return InputError(
        f"{src.path.name} could not be read as CSV: {_first_line(exc)}",
        where=str(src.path),
        fix="Save the table as UTF-8 CSV with a header row and comma separators.",
    )


def _stage_csv(
    engine: DuckDBEngine, src: SourceFile, table: str, make_select: MakeSelect
) -> list[StructuralReject]:
    reader = _csv_reader(src)
    try:
        columns = [r[0] for r in engine.rows(f"DESCRIBE SELECT * FROM {reader}")]
    except Exception as exc:  # DuckDB raises its own error types for unreadable files
        raise _unreadable(src, exc) from None
    relation = f"(SELECT CAST(row_number() OVER () + 1 AS BIGINT) AS _line, * FROM {reader})"
    select = make_select(relation, columns)
    engine.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    try:
        engine.materialise(table, select, temp=True)
    except Exception as exc:
        raise _unreadable(src, exc) from None
    rejects = [
        StructuralReject(int(line), col, raw, f"{etype.lower().replace('_', ' ')}: {msg}")
        for line, col, raw, etype, msg in engine.rows(
            "SELECT line, column_name, csv_line, error_type, error_message "
            "FROM reject_errors ORDER BY line"
        )
    ]
    if not rejects:
        return rejects  # every record is good: its line is its ordinal plus the header
    n_good = engine.scalar(f"SELECT count(*) FROM {table}")
    bad_encoding = sum(1 for r in rejects if r.reason.startswith("invalid encoding"))
    if bad_encoding and bad_encoding >= ENCODING_SHARE_TO_FAIL * (n_good + len(rejects)):
        raise InputError(
            f"{src.path.name} is not UTF-8: {bad_encoding} of {n_good + len(rejects)} records "
            "have invalid characters (first at line "
            f"{min(r.line for r in rejects if r.reason.startswith('invalid encoding'))}).",
            where=str(src.path),
            fix="Re-save the file as 'CSV UTF-8' (Excel) or convert it, e.g. "
            "`iconv -f WINDOWS-1251 -t UTF-8 in.csv > out.csv`.",
        )
    # Map each good record's ordinal to its line, skipping the lines DuckDB rejected.
    engine.execute("DROP TABLE IF EXISTS _gaps")
    engine.execute(
        "CREATE TEMP TABLE _gaps AS SELECT line - 1 - i AS good_before, i FROM "
        "(SELECT line, row_number() OVER (ORDER BY line) AS i FROM "
        "(SELECT DISTINCT line FROM reject_errors))"
    )
    engine.materialise(
        f"{table}__lines",
        f"SELECT r.* REPLACE (CAST(r._line + coalesce(g.i, 0) AS BIGINT) AS _line) "
        f"FROM {table} r ASOF LEFT JOIN _gaps g ON r._line - 1 > g.good_before",
        temp=True,
    )
    engine.execute(f"DROP TABLE {table}; DROP TABLE _gaps")
    engine.execute(f"ALTER TABLE {table}__lines RENAME TO {table}")
    return rejects


def _stage_parquet(engine: DuckDBEngine, src: SourceFile, stage_table: str) -> None:
    path = sql_literal(str(src.path))
    try:
        described = engine.rows(f"DESCRIBE SELECT * FROM read_parquet({path})")
    except Exception as exc:
        raise InputError(
            f"{src.path.name} could not be read as Parquet: {_first_line(exc)}",
            where=str(src.path),
            fix="Check that the file is a complete Parquet file (not truncated).",
        ) from None
    casts = ", ".join(_varchar_cast(name, typ) for name, typ, *_ in described)
    engine.materialise(
        stage_table,
        f"SELECT CAST(file_row_number + 2 AS BIGINT) AS _line, {casts} "
        f"FROM read_parquet({path}, file_row_number = true)",
        temp=True,
    )


def _varchar_cast(name: str, typ: str) -> str:
    if typ == "DATE":
        return f"strftime({_q(name)}, '%Y-%m-%d') AS {_q(name)}"
    return f"CAST({_q(name)} AS VARCHAR) AS {_q(name)}"


def _stage_xlsx(engine: DuckDBEngine, src: SourceFile, stage_table: str) -> None:
    """Stream the first sheet with openpyxl; Excel sheets are bounded at ~1 M rows."""
    import datetime

    import openpyxl

    if src.size > MAX_XLSX_BYTES:
        raise InputError(
            f"{src.path.name} is {src.size // 2**20} MiB; XLSX files over "
            f"{MAX_XLSX_BYTES // 2**20} MiB are too slow to read reliably.",
            where=str(src.path),
            fix="Save the sheet as CSV UTF-8 (or Parquet) instead.",
        )
    try:
        book = openpyxl.load_workbook(src.path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(
            f"{src.path.name} could not be opened as an Excel workbook: {_first_line(exc)}",
            where=str(src.path),
            fix="Open it in Excel or LibreOffice and save it again as .xlsx, or as CSV UTF-8.",
        ) from None
    sheet = book[src.table] if src.table in book.sheetnames else book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        raise InputError(
            f"{src.path.name} has no header row.",
            where=f"{src.path}, sheet {sheet.title}",
            fix="Put the column names in the first row.",
        )
    names = [str(h).strip() if h is not None else f"column{i + 1}" for i, h in enumerate(header)]

    def text(v) -> str | None:
        if v is None:
            return None
        if isinstance(v, datetime.datetime):
            return v.date().isoformat() if v.time() == datetime.time() else v.isoformat()
        if isinstance(v, datetime.date):
            return v.isoformat()
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    columns: list[list[str | None]] = [[] for _ in names]
    lines: list[int] = []
    for line, row in enumerate(rows, start=2):
        if row is None or all(v is None for v in row):
            continue
        lines.append(line)
        for i in range(len(names)):
            columns[i].append(text(row[i]) if i < len(row) else None)
    book.close()
    arrays = {"_line": pa.array(lines, pa.int64())}
    arrays.update({n: pa.array(c, pa.string()) for n, c in zip(names, columns, strict=True)})
    engine.register_arrow("_xlsx_stage", pa.table(arrays))
    engine.materialise(stage_table, "SELECT * FROM _xlsx_stage", temp=True)
    engine.con.unregister("_xlsx_stage")


def _columns(engine: DuckDBEngine, table: str) -> list[str]:
    return [r[0] for r in engine.rows(f"DESCRIBE {table}")]


def staged_columns(engine: DuckDBEngine, table: str) -> list[str]:
    return [c for c in _columns(engine, table) if c != "_line"]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
