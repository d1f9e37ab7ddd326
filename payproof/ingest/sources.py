"""Find each table's file in an input folder and stage it, as text, in DuckDB.

Every value is staged as VARCHAR together with ``_line``, the line of the
record in its file (the header is line 1), so that later checks can say
exactly where a bad value is. CSV files are staged by csv_stage.py, which also
catches structural problems (wrong number of fields, a stray quote) per record.
"""

from __future__ import annotations

import datetime
import fnmatch
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from payproof.engine.duckdb_engine import DuckDBEngine, sql_literal
from payproof.errors import InputError
from payproof.ingest.csv_stage import MakeSelect, header_splits, stage_csv, text_encoding
from payproof.ingest.encoding import error_text

EXTENSIONS = (".csv", ".parquet", ".xlsx")
MAX_XLSX_BYTES = 200 * 1024 * 1024  # documented in docs/data-contract.md
XLSX_BATCH_ROWS = 50_000  # rows held in Python at once while reading a sheet


@dataclass
class SourceFile:
    table: str
    path: Path
    format: str  # csv | parquet | xlsx
    sha256: str = ""
    size: int = 0
    header: list[str] | None = None  # column names as the file holds them (XLSX: read once)
    # How to read a CSV file, when declared (an import mapping, or `payproof inspect`);
    # None means detect it.
    encoding: str | None = None  # a Python codec name, e.g. "cp1251", "utf-16"
    delimiter: str | None = None  # one character, e.g. ";"


FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}


def locate(input_dir: Path, table: str, patterns: list[str] | None = None) -> SourceFile | None:
    """The file for ``table`` in ``input_dir``, or None when there is none.

    Names match case-insensitively (Windows and Excel do not keep case):
    ``<table>.csv``, ``.parquet`` or ``.xlsx`` by default, or the glob ``patterns`` of an
    import mapping instead (hidden files and Excel's ``~$`` lock files never match a
    pattern). Raises InputError when two files match (which one is meant is a guess)
    and when the one that matches cannot be read -- a broken link, a folder, no
    permission -- since treating it as absent would silently drop a table.
    """
    input_dir = Path(input_dir)
    wanted = [p.casefold() for p in patterns] if patterns else [
        f"{table}{ext}".casefold() for ext in EXTENSIONS]  # fmt: skip
    found = sorted(
        entry
        for entry in input_dir.iterdir()
        if any(fnmatch.fnmatchcase(entry.name.casefold(), w) for w in wanted)
        and not (patterns and entry.name.startswith((".", "~$")))
    )
    if len(found) > 1:
        raise InputError(
            f"Table '{table}' is given twice: {', '.join(p.name for p in found)}.",
            where=str(input_dir),
            fix="Keep one file per table (CSV, Parquet or XLSX) and move the others away"
            + (", or narrow the file-name pattern in the import mapping." if patterns else "."),
        )
    if not found:
        return None
    path = found[0]
    _check_readable(path, table)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path.name} matches table '{table}' but payproof cannot tell its format "
            f"from the extension {path.suffix or '(none)'}.",
            where=str(path),
            fix="Name it .csv (also .txt or .tsv), .parquet or .xlsx.",
        )
    return SourceFile(table, path, fmt, size=path.stat().st_size)


def _check_readable(path: Path, table: str) -> None:
    """A file that matches a table but cannot be read is an error, never 'absent'."""
    if path.is_symlink() and not path.exists():
        problem = f"is a link to {os.readlink(path)}, which does not exist"
    elif path.is_dir():
        problem = "is a folder, not a file"
    elif not path.is_file():
        problem = "is not a regular file"
    else:
        try:
            with path.open("rb") as fh:
                fh.read(1)
            return
        except OSError as exc:
            problem = f"cannot be read ({exc.strerror or exc})"
    raise InputError(
        f"{path.name} (table '{table}') {problem}.",
        where=str(path),
        fix="Replace it with the exported file, or remove it if the table is not given.",
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stage_into(
    engine: DuckDBEngine, src: SourceFile, table: str, make_select: MakeSelect
) -> str | None:
    """Create temp ``table`` from ``make_select(relation, columns)`` over ``src``.

    ``relation`` yields every record as VARCHAR plus ``_line``; ``columns`` are
    the file's column names. CSV is read in the same pass as the checks (no
    all-VARCHAR copy of a large file is kept). Returns the name of a table of
    records rejected for their structure (line, column_name, value, reason), or
    None; ``_line`` is the physical line an editor shows.
    """
    if src.size == 0:
        raise InputError(
            f"{src.path.name} is empty (0 bytes).",
            where=str(src.path),
            fix="Export the table again with its header row; an empty table still needs a header.",
        )
    if src.format == "csv":
        return stage_csv(engine, src, table, make_select)
    if src.format == "parquet":
        # Parquet is read in the same pass as the checks, like CSV: no staged copy.
        relation, columns = _parquet_relation(engine, src)
        engine.materialise(table, make_select(relation, columns), temp=True)
        return None
    stage_table = f"_stage_{table}"
    _stage_xlsx(engine, src, stage_table)
    select = make_select(stage_table, staged_columns(engine, stage_table))
    engine.materialise(table, select, temp=True)
    engine.execute(f"DROP TABLE {stage_table}")
    return None


def header_names(src: SourceFile) -> list[str] | None:
    """The column names as the file holds them, before DuckDB renames a repeated one to
    name_1 (CSV: the header line split on the declared separator, or on the one that
    gives the most names)."""
    if src.header is not None or src.format == "xlsx":
        return src.header
    if src.format == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(src.path).names)
        except Exception:  # noqa: BLE001 - unreadable files are reported by the reader
            return None
    splits = header_splits(src.path, text_encoding(src), src.delimiter)
    return max(splits.values(), key=len)


def _parquet_relation(engine: DuckDBEngine, src: SourceFile) -> tuple[str, list[str]]:
    """Every column as text plus ``_line`` (row number + 2: the header counts as line 1)."""
    path = sql_literal(str(src.path))
    try:
        described = engine.rows(f"DESCRIBE SELECT * FROM read_parquet({path})")
    except Exception as exc:
        raise InputError(
            f"{src.path.name} could not be read as Parquet: {error_text(exc)}",
            where=str(src.path),
            fix="Check that the file is a complete Parquet file (not truncated).",
        ) from None
    casts = ", ".join(_varchar_cast(name, typ) for name, typ, *_ in described)
    relation = (
        f"(SELECT CAST(file_row_number + 2 AS BIGINT) AS _line, {casts} "
        f"FROM read_parquet({path}, file_row_number = true))"
    )
    return relation, [name for name, *_ in described]


def _varchar_cast(name: str, typ: str) -> str:
    if typ == "DATE":
        return f"strftime({_q(name)}, '%Y-%m-%d') AS {_q(name)}"
    if typ in ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S",
               "TIMESTAMP WITH TIME ZONE"):  # fmt: skip
        # pandas and Spark write dates as midnight timestamps (tz-aware ones in UTC): the
        # date, as an XLSX date cell gives; any other time of day, or infinity, stays
        # visible as text (and is not a date)
        c = _q(name)
        t = f"timezone('UTC', {c})" if typ.endswith("TIME ZONE") else c
        midnight = f"isfinite({t}) AND CAST({t} AS TIME) = TIME '00:00:00'"
        as_date = f"strftime({t}, '%Y-%m-%d')"
        return f"CASE WHEN {midnight} THEN {as_date} ELSE CAST({c} AS VARCHAR) END AS {c}"
    return f"CAST({_q(name)} AS VARCHAR) AS {_q(name)}"


def _stage_xlsx(engine: DuckDBEngine, src: SourceFile, stage_table: str) -> None:
    """Stream the first sheet with openpyxl into DuckDB, ``XLSX_BATCH_ROWS`` rows at a time.

    openpyxl is pure Python (~10^5 cells a second), so big sheets are refused with a
    pointer to CSV or Parquet, which DuckDB streams at any size.
    """
    import openpyxl

    if src.size > MAX_XLSX_BYTES:
        raise InputError(
            f"{src.path.name} is {_size(src.size)}; XLSX files over {_size(MAX_XLSX_BYTES)} "
            "are too slow to read reliably.",
            where=str(src.path),
            fix="Save the sheet as CSV UTF-8 (or Parquet) instead: those are read at any size.",
        )
    try:
        book = openpyxl.load_workbook(src.path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(
            f"{src.path.name} could not be opened as an Excel workbook: {error_text(exc)}",
            where=str(src.path),
            fix="Open it in Excel or LibreOffice and save it again as .xlsx, or as CSV UTF-8.",
        ) from None
    try:
        sheet = book[src.table] if src.table in book.sheetnames else book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            raise InputError(
                f"{src.path.name} has no header row.",
                where=f"{src.path}, sheet {sheet.title}",
                fix="Put the column names in the first row.",
            )
        names = [
            str(h).strip() if h is not None else f"column{i + 1}" for i, h in enumerate(header)
        ]
        src.header = names
        engine.materialise(
            stage_table,
            "SELECT CAST(NULL AS BIGINT) AS _line, "
            + ", ".join(f"CAST(NULL AS VARCHAR) AS {_q(n)}" for n in names)
            + " LIMIT 0",
            temp=True,
        )
        batch: list[tuple[int, tuple]] = []
        for line, row in enumerate(rows, start=2):
            if row is None or all(v is None for v in row):
                continue
            batch.append((line, row))
            if len(batch) >= XLSX_BATCH_ROWS:
                _append_xlsx_rows(engine, stage_table, names, batch)
                batch = []
        _append_xlsx_rows(engine, stage_table, names, batch)
    finally:
        book.close()


def _append_xlsx_rows(engine, stage_table: str, names: list[str], batch: list) -> None:
    if not batch:
        return
    arrays = {"_line": pa.array([line for line, _ in batch], pa.int64())}
    for i in range(len(names)):
        values = [_cell_text(row[i]) if i < len(row) else None for _, row in batch]
        arrays[f"c{i}"] = pa.array(values, pa.string())
    engine.register_arrow("_xlsx_batch", pa.table(arrays))
    engine.execute(f"INSERT INTO {stage_table} SELECT * FROM _xlsx_batch")
    engine.con.unregister("_xlsx_batch")


def _cell_text(v) -> str | None:
    """An Excel cell as the text a CSV export would hold (dates ISO, whole numbers bare)."""
    if v is None:
        return None
    if isinstance(v, datetime.datetime):
        return v.date().isoformat() if v.time() == datetime.time() else v.isoformat()
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


def _columns(engine: DuckDBEngine, table: str) -> list[str]:
    return [r[0] for r in engine.rows(f"DESCRIBE {table}")]


def staged_columns(engine: DuckDBEngine, table: str) -> list[str]:
    return [c for c in _columns(engine, table) if c != "_line"]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
