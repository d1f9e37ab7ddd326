"""Stage a CSV file in DuckDB, every record at the physical line an editor shows.

DuckDB parses the file (RFC 4180 quoting, strict: a record with the wrong number of
fields or a stray quote goes to its reject store); this module gives each good and
each rejected record its true line (see lines.py), and reads a file that is not clean
UTF-8 from a UTF-8 copy so that bad bytes are bad values, not lost records (see
encoding.py).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from payproof.engine.duckdb_engine import DuckDBEngine, sql_literal
from payproof.errors import InputError, PayproofError, out_of_memory
from payproof.ingest.encoding import (
    INVALID_ENCODING,
    NAMES,
    codec_name,
    describe,
    error_text,
    guess,
    is_utf8,
    sniff,
    transcode,
)
from payproof.ingest.lines import LineMap, blank_line_map, lines_at_offsets, record_line_map
from payproof.ingest.title import title_hint

if TYPE_CHECKING:
    from payproof.ingest.sources import SourceFile

ENCODING_SHARE_TO_FAIL = 0.2  # above this share of bad-encoding records, the whole file is wrong
CSV_QUOTING = "quote = '\"', escape = '\"'"  # RFC 4180, as the contract says
SEPARATORS = (",", ";", "\t", "|")  # the ones DuckDB's sniffer tries first

MakeSelect = Callable[[str, list[str]], str]


def _csv_reader(path: Path, delimiter: str | None) -> str:
    delim = f"delim = {sql_literal(delimiter)}, " if delimiter else ""
    return (
        f"read_csv({sql_literal(str(path))}, all_varchar = true, header = true, {delim}"
        "store_rejects = true, auto_detect = true, strict_mode = true, null_padding = false, "
        f"{CSV_QUOTING})"
    )


def text_encoding(src: SourceFile) -> str:
    """How to decode the file's text: as declared, as its byte-order mark says, or UTF-8."""
    if src.encoding:
        return src.encoding
    with src.path.open("rb") as fh:
        return "utf-16" if fh.read(2) in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"


def header_splits(
    path: Path, encoding: str = "utf-8-sig", delimiter: str | None = None
) -> dict[str, list[str]]:
    """The header line split on the declared separator, or on each one payproof accepts."""
    if codecs.lookup(encoding).name == "utf-8":
        encoding = "utf-8-sig"
    with path.open(encoding=encoding, errors="replace", newline="") as fh:
        first = fh.readline(1 << 20).rstrip("\r\n")
    seps = [delimiter] if delimiter else SEPARATORS
    return {d: next(csv.reader([first], delimiter=d), []) for d in seps}


def _header_dialect(path: Path, delimiter: str | None) -> tuple[str, list[str]] | None:
    """The separator that splits the header line into the most names, and those names;
    None when the header gives no table (fewer than two names, a blank or repeated one)."""
    splits = header_splits(path, delimiter=delimiter)
    delimiter, names = max(splits.items(), key=lambda kv: len(kv[1]))
    if len(names) < 2 or len(set(names)) < len(names) or not all(n.strip() for n in names):
        return None
    return delimiter, names


def _header_reader(path: Path, delimiter: str, names: list[str]) -> str:
    """A read_csv with the dialect fixed from the header line, every column text."""
    columns = "{" + ", ".join(f"{sql_literal(n)}: 'VARCHAR'" for n in names) + "}"
    return (
        f"read_csv({sql_literal(str(path))}, auto_detect = false, header = true, "
        f"delim = {sql_literal(delimiter)}, columns = {columns}, store_rejects = true, "
        f"strict_mode = true, null_padding = false, {CSV_QUOTING})"
    )


def _unreadable(src: SourceFile, exc: Exception) -> PayproofError:
    if (oom := out_of_memory(exc)) is not None:
        return oom  # the file is fine: the memory limit is not
    return InputError(
        f"{src.path.name} could not be read as CSV: {error_text(exc)}"
        + title_hint(src.path, text_encoding(src), src.table, src.delimiter),
        where=str(src.path),
        fix="Save the table as UTF-8 CSV with a header row and comma separators, or declare "
        "its encoding and separator in an import mapping (--mapping).",
    )


# One row per rejected record and problem: DuckDB lists a short record once per missing
# column, so keep the first missing column and the real field count. ``pos`` is the byte
# offset of the record's line (or of a blank line before it), which gives its true line.
STRUCTURAL_SQL = """
WITH e AS (
  SELECT line, line_byte_position, replace(lower(error_type), '_', ' ') AS etype,
    column_name, csv_line, error_message,
    TRY_CAST(regexp_extract(error_message, 'Found: ([0-9]+)', 1) AS BIGINT) AS found,
    TRY_CAST(regexp_extract(error_message, 'Columns: ([0-9]+)', 1) AS BIGINT) AS expected
  FROM reject_errors)
SELECT CAST(min(line_byte_position) AS BIGINT) AS pos,
  CASE WHEN etype = 'too many columns' THEN NULL
       ELSE coalesce(arg_min(column_name, found), any_value(column_name)) END AS column_name,
  trim(any_value(csv_line), chr(13) || chr(10)) AS value,  -- CRLF files: csv_line has a \n
  coalesce(CASE etype
    WHEN 'missing columns' THEN 'too few fields: expected ' || max(expected) || ', found '
      || min(found) || ' (' || arg_min(column_name, found) || ' and the columns after it '
      || 'are missing)'
    WHEN 'too many columns' THEN 'too many fields: expected ' || max(expected) || ', found '
      || max(found) || ' (a value that holds the separator must be in double quotes)'
    WHEN 'invalid encoding' THEN 'invalid encoding: this line is not UTF-8'
    WHEN 'unquoted value' THEN 'stray double quote: a value that holds a " must be in double '
      || 'quotes with the " written twice (""), and a quoted value must be closed'
    END, etype || ': ' || any_value(error_message)) AS reason
FROM e GROUP BY line, etype
"""


def stage_csv(
    engine: DuckDBEngine, src: SourceFile, table: str, make_select: MakeSelect
) -> str | None:
    """Stage a CSV file; a file that is not clean UTF-8 is read from a UTF-8 copy.

    A clean UTF-8 file is read once, as is. Otherwise the copy (see encoding.py) keeps
    every record and turns each undecodable byte into U+FFFD, which the value checks
    report in the column that holds it.
    """
    declared = codec_name(src.encoding) if src.encoding else None
    encoding = declared or sniff(src.path)
    if is_utf8(encoding):
        _check_header_is_utf8(src)
    temp_dir = Path(engine.temp_directory)
    copy = None if is_utf8(encoding) else transcode(src.path, encoding, temp_dir)
    try:
        staged = _stage_csv_file(engine, src, copy or src.path, table, make_select)
        likely = staged.likely
        if staged.bad_encoding:  # a UTF-8 file with a few lines that are not
            copy = transcode(src.path, "utf-8", temp_dir)
            engine.execute(f"DROP TABLE {table}; DROP TABLE IF EXISTS {staged.rejects}")
            staged = _stage_csv_file(engine, src, copy, table, make_select)
        if copy is not None:
            _name_the_encoding(engine, table, None if is_utf8(encoding) else encoding, likely)
        return staged.rejects
    finally:
        if copy is not None:
            copy.unlink(missing_ok=True)


def _check_header_is_utf8(src: SourceFile) -> None:
    """A header that is not UTF-8 means the file is in another encoding; DuckDB would skip
    it as a bad record and take the first readable data line for the header."""
    with src.path.open("rb") as fh:
        header = b""
        while not header.strip(b"\r\n") and (line := fh.readline(1 << 20)):
            header = line
    try:
        header.decode("utf-8")
        return
    except UnicodeDecodeError:
        pass
    likely = guess([header])
    reads = f" (it reads as {describe(likely)})" if likely else ""
    raise InputError(
        f"{src.path.name}: the header line is not UTF-8{reads}, so the file is not either.",
        where=str(src.path),
        fix=_encoding_fix(likely),
    )


@dataclass
class _Staged:
    rejects: str | None  # table of structural rejects (line, column_name, value, reason)
    bad_encoding: int = 0  # records DuckDB refused as not UTF-8
    likely: str | None = None  # the legacy encoding those records read best in


def _stage_csv_file(
    engine: DuckDBEngine, src: SourceFile, path: Path, table: str, make_select: MakeSelect
) -> _Staged:
    """Read ``path`` (``src`` itself or its UTF-8 copy) into ``table`` with true lines."""
    reader, columns = _open(engine, src, path)
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
    n_good = engine.scalar(f"SELECT count(*) FROM {table}")
    n_bad, bad_encoding = engine.rows(
        f"SELECT count(DISTINCT pos), count(DISTINCT pos) FILTER "
        f"(reason LIKE 'invalid encoding%') FROM {rej}"
    )[0]
    if bad_encoding:
        likely = _check_encoding(engine, src, path, rej, bad_encoding, n_good + n_bad)
        return _Staged(rej, bad_encoding, likely)
    linemap = _line_map(path, columns, n_good + n_bad, src.delimiter)
    if linemap.identity and not n_bad:
        engine.execute(f"DROP TABLE {rej}")
        return _Staged(None)  # one line per record, no blank lines, nothing rejected
    if linemap.records != n_good + n_bad:
        raise InputError(
            f"{src.path.name}: payproof cannot number its lines reliably: DuckDB reads "
            f"{n_good + n_bad} records, a line-by-line reading {linemap.records}.",
            where=str(src.path),
            fix="Look for a double quote that opens a value and is never closed.",
        )
    _number_lines(engine, path, table, rej, linemap)
    if not n_bad:
        engine.execute(f"DROP TABLE {rej}")
    return _Staged(rej if n_bad else None)


def _open(engine: DuckDBEngine, src: SourceFile, path: Path) -> tuple[str, list[str]]:
    """The read_csv to use and its columns.

    DuckDB's dialect sniffer is tried first. One stray quote can defeat it -- it fails,
    or it settles on a separator that splits the header into fewer columns than the
    header has (a one-column table) -- so then the file is read with the dialect of its
    header line, and the bad record is rejected at its line while the rest is kept.
    """
    reader = _csv_reader(path, src.delimiter)
    dialect = _header_dialect(path, src.delimiter)
    failure: Exception | None = None
    try:
        columns = _describe(engine, reader)
    except Exception as exc:  # DuckDB raises its own error types for unreadable files
        if dialect is None or "sniffing" not in str(exc):
            raise _unreadable(src, exc) from None
        failure = exc
    else:
        if dialect is None or len(columns) >= len(dialect[1]):
            return reader, columns
    explicit = _header_reader(path, *dialect)
    try:
        return explicit, _describe(engine, explicit)
    except Exception as exc:
        raise _unreadable(src, failure or exc) from None


def _describe(engine: DuckDBEngine, reader: str) -> list[str]:
    return [r[0] for r in engine.rows(f"DESCRIBE SELECT * FROM {reader}")]


def _number_lines(engine: DuckDBEngine, path: Path, table: str, rej: str, linemap) -> None:
    """Give every rejected and every staged record its physical line.

    A rejected record's line comes from its byte offset. A good record's line comes
    from its index in the file: its ordinal among good records plus the rejected
    records before it, then the line map (record index -> first physical line).
    """
    engine.register_arrow("_linemap_arrow", linemap.to_arrow())
    engine.materialise("_linemap", "SELECT * FROM _linemap_arrow ORDER BY j", temp=True)
    engine.con.unregister("_linemap_arrow")
    offsets = engine.arrow(f"SELECT DISTINCT pos FROM {rej} ORDER BY pos").column(0)
    offsets = offsets.to_numpy()
    lines = lines_at_offsets(path, offsets)
    engine.register_arrow("_pos_arrow", pa.table({"pos": offsets, "line": lines}))
    engine.materialise(
        rej,
        "SELECT p.line - m.l + m.j AS j, p.line, r.column_name, r.value, r.reason "
        f"FROM {rej} r JOIN _pos_arrow p USING (pos) ASOF JOIN _linemap m ON p.line >= m.l",
        temp=True,
    )
    engine.con.unregister("_pos_arrow")
    # Rejected records in a row share "good records before them": keep the last of each
    # run, so the good record after a run of rejects is counted after all of them.
    engine.materialise(
        "_gaps",
        "SELECT j - i AS good_before, max(i) AS i FROM "
        f"(SELECT j, row_number() OVER (ORDER BY j) AS i FROM (SELECT DISTINCT j FROM {rej})) "
        "GROUP BY good_before",
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
    clash = engine.scalar(f"SELECT count(*) FROM {table} WHERE _line IN (SELECT line FROM {rej})")
    if clash:  # a good record on a rejected record's line would be dropped with it
        raise RuntimeError(f"line numbering of {path.name} is inconsistent ({clash} clashes)")


def _check_encoding(
    engine: DuckDBEngine, src: SourceFile, path: Path, rej: str, bad: int, total: int
) -> str | None:
    """A file that is mostly not UTF-8 is one problem (the export), not thousands of rows.

    Returns the legacy encoding its bad lines read best in (None if no guess)."""
    offsets = [r[0] for r in engine.rows(
        f"SELECT DISTINCT pos FROM {rej} WHERE reason LIKE 'invalid encoding%' "
        "ORDER BY pos LIMIT 50")]  # fmt: skip
    first = int(lines_at_offsets(path, np.array(offsets[:1]))[0])
    likely = guess(_lines_at(path, offsets))
    if bad < ENCODING_SHARE_TO_FAIL * total:
        return likely
    seems = f"; its text reads as {describe(likely)}" if likely else ""
    raise InputError(
        f"{src.path.name} is not UTF-8: {bad} of {total} records have bytes that are not "
        f"(first at line {first}){seems}.",
        where=str(src.path),
        fix=_encoding_fix(likely),
    )


def _encoding_fix(likely: str | None) -> str:
    """How to read a file in a legacy encoding: declare it, or convert the file."""
    if not likely:
        return (
            "Re-save the file as 'CSV UTF-8', or declare its encoding in an import mapping "
            "(`encoding:`, passed with --mapping FILE)."
        )
    iconv = NAMES.get(likely, (likely, likely.upper()))[1]
    return (
        f"Declare `encoding: {likely}` in an import mapping (--mapping FILE; "
        "`payproof inspect` proposes one), or re-save the file as 'CSV UTF-8', e.g. "
        f"`iconv -f {iconv} -t UTF-8 in.csv > out.csv`."
    )


def _lines_at(path: Path, offsets: list[int]) -> list[bytes]:
    """The raw lines that start at these byte offsets (a sample, to guess an encoding)."""
    out = []
    with path.open("rb") as fh:
        for pos in offsets:
            fh.seek(pos)
            out.append(fh.readline(1 << 16).strip(b"\r\n"))
    return out


def _name_the_encoding(
    engine: DuckDBEngine, table: str, read_as: str | None, likely: str | None
) -> None:
    """Say in each 'invalid encoding' reason which encoding the bytes are not valid in
    (``read_as``, declared or from a byte-order mark), or which one they look like (the
    check itself, in checks.py, cannot know the file)."""
    if read_as:
        what = f"invalid encoding: not valid {describe(read_as)}"
    elif likely:
        what = f"{INVALID_ENCODING} (the bytes look like {describe(likely)})"
    else:
        return
    _replace_reason(engine, table, INVALID_ENCODING, what)


def _replace_reason(engine: DuckDBEngine, table: str, old: str, new: str) -> None:
    """Rewrite ``old`` to ``new`` in the reasons of ``table``'s problem lists."""
    old_sql, new_sql = sql_literal(old), sql_literal(new)
    for c in {"_errors", "_warnings"} & {r[0] for r in engine.rows(f"DESCRIBE {table}")}:
        engine.execute(
            f"UPDATE {table} SET {c} = list_transform({c}, lambda e: struct_pack("
            f"\"column\" := e.column, \"value\" := e.value, "
            f"reason := replace(e.reason, {old_sql}, {new_sql}))) "
            f"WHERE list_bool_or(list_transform({c}, lambda e: starts_with(e.reason, {old_sql})))"
        )


def _line_map(path: Path, cols: list[str], records: int, delimiter: str | None) -> LineMap:
    """Scan the file for blank lines; walk its records only if some value spans lines.

    When the file's non-blank lines after the header equal its records, every
    record is one line and the blank-line map is exact.
    """
    blank_map = blank_line_map(path)
    if not any("\n" in c for c in cols) and blank_map.records == records:
        return blank_map
    return record_line_map(path, delimiter or _delimiter(path, cols))


def _delimiter(path: Path, cols: list[str]) -> str:
    """The separator DuckDB detected: the one that splits the header into its columns."""
    for delimiter, header in header_splits(path).items():
        if [h.strip() for h in header] == [c.strip() for c in cols]:
            return delimiter
    return ","
