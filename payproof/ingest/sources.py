"""Find each table's file in an input folder and stage it, as text, in DuckDB.

Every value is staged as VARCHAR together with ``_line``, the line of the
record in its file (the header is line 1), so that later checks can say
exactly where a bad value is. Structural problems (wrong number of fields,
invalid UTF-8) are caught here, per record, by DuckDB's CSV reject store.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from payproof.engine.duckdb_engine import DuckDBEngine, sql_literal
from payproof.errors import InputError, PayproofError, out_of_memory
from payproof.ingest.lines import blank_line_map, record_line_map

EXTENSIONS = (".csv", ".parquet", ".xlsx")
MAX_XLSX_BYTES = 200 * 1024 * 1024  # documented in docs/data-contract.md
XLSX_BATCH_ROWS = 50_000  # rows held in Python at once while reading a sheet
ENCODING_SHARE_TO_FAIL = 0.2  # above this share of bad-encoding records, the whole file is wrong
CSV_QUOTING = "quote = '\"', escape = '\"'"  # RFC 4180, as the contract says
SEPARATORS = (",", ";", "\t", "|")  # the ones DuckDB's sniffer tries first


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


def locate(input_dir: Path, table: str, patterns: list[str] | None = None) -> SourceFile | None:
    """The file for ``table`` in ``input_dir``, or None; two candidates for one table is an
    error. ``patterns`` (glob patterns from an import mapping) replace the default
    ``<table>.csv|.parquet|.xlsx`` names."""
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
        return _stage_csv(engine, src, table, make_select)
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


def _csv_reader(src: SourceFile) -> str:
    return (
        f"read_csv({sql_literal(str(src.path))}, all_varchar = true, header = true, "
        "store_rejects = true, auto_detect = true, strict_mode = true, null_padding = false, "
        f"{CSV_QUOTING})"
    )


def header_names(src: SourceFile) -> list[str] | None:
    """The column names as the file holds them, before DuckDB renames a repeated one to
    name_1 (CSV: the header line split on the separator that gives the most names)."""
    if src.header is not None or src.format == "xlsx":
        return src.header
    if src.format == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(src.path).names)
        except Exception:  # noqa: BLE001 - unreadable files are reported by the reader
            return None
    return max(_header_splits(src.path).values(), key=len)


def _header_splits(path: Path) -> dict[str, list[str]]:
    """The header line split on each separator payproof accepts."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        first = fh.readline(1 << 20).rstrip("\r\n")
    return {d: next(csv.reader([first], delimiter=d), []) for d in SEPARATORS}


def _header_reader(src: SourceFile) -> str | None:
    """A read_csv with the dialect fixed from the header line (the separator that splits
    it into the most names, every column text); None when the header gives no table."""
    delimiter, names = max(_header_splits(src.path).items(), key=lambda kv: len(kv[1]))
    if len(names) < 2 or len(set(names)) < len(names) or not all(n.strip() for n in names):
        return None
    columns = "{" + ", ".join(f"{sql_literal(n)}: 'VARCHAR'" for n in names) + "}"
    return (
        f"read_csv({sql_literal(str(src.path))}, auto_detect = false, header = true, "
        f"delim = {sql_literal(delimiter)}, columns = {columns}, store_rejects = true, "
        f"strict_mode = true, null_padding = false, {CSV_QUOTING})"
    )


def _unreadable(src: SourceFile, exc: Exception) -> PayproofError:
    if (oom := out_of_memory(exc)) is not None:
        return oom  # the file is fine: the memory limit is not
    return InputError(
        f"{src.path.name} could not be read as CSV: {_first_line(exc)}",
        where=str(src.path),
        fix="Save the table as UTF-8 CSV with a header row and comma separators.",
    )


# One row per rejected record and problem: DuckDB lists a short record once per missing
# column, so keep the first missing column and the real field count.
STRUCTURAL_SQL = """
WITH e AS (
  SELECT line, replace(lower(error_type), '_', ' ') AS etype, column_name, csv_line,
    error_message,
    TRY_CAST(regexp_extract(error_message, 'Found: ([0-9]+)', 1) AS BIGINT) AS found,
    TRY_CAST(regexp_extract(error_message, 'Columns: ([0-9]+)', 1) AS BIGINT) AS expected
  FROM reject_errors)
SELECT CAST(line AS BIGINT) AS d,
  CASE WHEN etype = 'too many columns' THEN NULL
       ELSE coalesce(arg_min(column_name, found), any_value(column_name)) END AS column_name,
  any_value(csv_line) AS value,
  coalesce(CASE etype
    WHEN 'missing columns' THEN 'too few fields: expected ' || max(expected) || ', found '
      || min(found) || ' (' || arg_min(column_name, found) || ' and the columns after it '
      || 'are missing)'
    WHEN 'too many columns' THEN 'too many fields: expected ' || max(expected) || ', found '
      || max(found) || ' (a value that holds the separator must be in double quotes)'
    WHEN 'invalid encoding' THEN 'invalid encoding: this line is not UTF-8 '
      || '(re-save the file as CSV UTF-8)'
    WHEN 'unquoted value' THEN 'stray double quote: a value that holds a " must be in double '
      || 'quotes with the " written twice (""), and a quoted value must be closed'
    END, etype || ': ' || any_value(error_message)) AS reason
FROM e GROUP BY line, etype
"""


def _stage_csv(engine: DuckDBEngine, src: SourceFile, table: str, make_select: MakeSelect) -> str:
    reader = _csv_reader(src)
    try:
        columns = [r[0] for r in engine.rows(f"DESCRIBE SELECT * FROM {reader}")]
    except Exception as exc:  # DuckDB raises its own error types for unreadable files
        # One stray quote can defeat DuckDB's dialect sniffer for the whole file: read it
        # again with the dialect taken from the header, so the bad record is rejected at
        # its line and the rest is kept.
        explicit = _header_reader(src) if "sniffing" in str(exc) else None
        if explicit is None:
            raise _unreadable(src, exc) from None
        try:
            columns = [r[0] for r in engine.rows(f"DESCRIBE SELECT * FROM {explicit}")]
        except Exception:
            raise _unreadable(src, exc) from None
        reader = explicit
    # _line starts as the record's ordinal among good records + 1 (the header).
    relation = f"(SELECT CAST(row_number() OVER () + 1 AS BIGINT) AS _line, * FROM {reader})"
    select = make_select(relation, columns)
    engine.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    try:
        engine.materialise(table, select, temp=True)
    except Exception as exc:
        raise _unreadable(src, exc) from None
    rej = f"_rej_{table}"
    engine.materialise(rej, STRUCTURAL_SQL, temp=True)
    n_good, n_bad = _check_encoding(engine, src, table, rej)
    linemap = _line_map(src, columns, n_good + n_bad)
    if linemap.identity and not n_bad:
        engine.execute(f"DROP TABLE {rej}")
        return None  # one line per record, no blank lines, nothing rejected: _line is right
    engine.register_arrow("_linemap_arrow", linemap.to_arrow())
    engine.materialise("_linemap", "SELECT * FROM _linemap_arrow ORDER BY j", temp=True)
    engine.con.unregister("_linemap_arrow")
    # DuckDB's number of each rejected record -> its record index j and physical line.
    engine.materialise(
        rej,
        "SELECT r.d - m.d + m.j AS j, r.d - m.d + m.l AS line, r.column_name, r.value, r.reason "
        f"FROM {rej} r ASOF JOIN _linemap m ON r.d >= m.d",
        temp=True,
    )
    # A good record's index j is its ordinal among good records plus the rejected records
    # before it; its physical line then follows from the map.
    engine.materialise(
        "_gaps",
        "SELECT j - i AS good_before, i FROM "
        "(SELECT j, row_number() OVER (ORDER BY j) AS i FROM (SELECT DISTINCT j FROM "
        f"{rej}))",
        temp=True,
    )
    indexed = (
        f"SELECT r._line - 1 + coalesce(g.i, 0) AS _rec, r.* EXCLUDE (_line) FROM {table} r "
        "ASOF LEFT JOIN _gaps g ON r._line - 1 > g.good_before"
    )
    engine.materialise(
        f"{table}__lines",
        f"SELECT CAST(x._rec - m.j + m.l AS BIGINT) AS _line, x.* EXCLUDE (_rec) "
        f"FROM ({indexed}) x ASOF JOIN _linemap m ON x._rec >= m.j",
        temp=True,
    )
    engine.execute(f"DROP TABLE {table}; DROP TABLE _gaps; DROP TABLE _linemap")
    engine.execute(f"ALTER TABLE {table}__lines RENAME TO {table}")
    engine.materialise(
        rej, f"SELECT line, column_name, value, reason FROM {rej} ORDER BY line", temp=True
    )
    return rej


def _check_encoding(engine: DuckDBEngine, src: SourceFile, table: str, rej: str):
    """A file that is mostly not UTF-8 is one problem (the export), not thousands of rows.

    Returns (good records, rejected records)."""
    n_good = engine.scalar(f"SELECT count(*) FROM {table}")
    n_bad, bad_encoding, first = engine.rows(
        f"SELECT count(DISTINCT d), count(DISTINCT CASE WHEN reason LIKE 'invalid encoding%' "
        f"THEN d END), min(CASE WHEN reason LIKE 'invalid encoding%' THEN d END) FROM {rej}"
    )[0]
    total = n_good + n_bad
    if bad_encoding and bad_encoding >= ENCODING_SHARE_TO_FAIL * total:
        raise InputError(
            f"{src.path.name} is not UTF-8: {bad_encoding} of {total} records have invalid "
            f"characters (first at record {first}).",
            where=str(src.path),
            fix="Re-save the file as 'CSV UTF-8' (Excel) or convert it, e.g. "
            "`iconv -f WINDOWS-1251 -t UTF-8 in.csv > out.csv`.",
        )
    return int(n_good), int(n_bad)


def _line_map(src: SourceFile, cols: list[str], records: int):
    """Scan the file for blank lines; walk its records only if some value spans lines.

    When the file's non-blank lines after the header equal its records, every
    record is one line and the blank-line map is exact.
    """
    blank_map = blank_line_map(src.path)
    if not any("\n" in c for c in cols) and blank_map.data_lines == records:
        return blank_map
    return record_line_map(src.path, _delimiter(src.path, cols))


def _delimiter(path: Path, cols: list[str]) -> str:
    """The separator DuckDB detected: the one that splits the header into its columns."""
    for delimiter, header in _header_splits(path).items():
        if [h.strip() for h in header] == [c.strip() for c in cols]:
            return delimiter
    return ","


def _parquet_relation(engine: DuckDBEngine, src: SourceFile) -> tuple[str, list[str]]:
    """Every column as text plus ``_line`` (row number + 2: the header counts as line 1)."""
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
            f"{src.path.name} could not be opened as an Excel workbook: {_first_line(exc)}",
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


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
