"""Load an input folder into typed, validated tables in a DuckDB engine.

Order matters: tables are loaded so that every reference points at a table
already accepted (offices -> staff -> families -> children -> entitlements ->
disbursements -> receipts -> grievances -> population ->
applications). Every problem becomes a row of the
``rejects`` table; a row with an ``error`` is left out of its typed table, a row
with only ``warning`` problems is kept (a payment to a family absent from the
registry is evidence, not noise).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from payproof.contract import TableSpec, header_aliases, header_key, load_contract
from payproof.engine.duckdb_engine import DuckDBEngine, sql_literal
from payproof.errors import InputError
from payproof.ingest.checks import SQL_TYPES, CheckSettings, checked_select, derived_columns, q
from payproof.ingest.csv_stage import text_encoding
from payproof.ingest.diagnose import check_date_order, check_rejected_share
from payproof.ingest.encoding import is_single_byte
from payproof.ingest.mapping import Mapping, MappingError, TableMapping
from payproof.ingest.sources import SourceFile, file_sha256, header_names, locate, stage_into
from payproof.ingest.title import title_hint

TABLE_ORDER = (
    "offices",
    "staff",
    "families",
    "children",
    "entitlements",
    "disbursements",
    "receipts",
    "grievances",
    "population",
    "applications",
)

# The key of each record left out (where it could be read), by table and line.
REJECTED_KEYS_DDL = (
    "CREATE OR REPLACE TABLE rejected_keys (table_name VARCHAR, line BIGINT, key VARCHAR)"
)
REJECTS_DDL = (
    "CREATE OR REPLACE TABLE rejects (table_name VARCHAR, file VARCHAR, line BIGINT, "
    "column_name VARCHAR, value VARCHAR, reason VARCHAR, severity VARCHAR)"
)


@dataclass
class TableReport:
    table: str
    file: str | None = None
    format: str | None = None
    sha256: str | None = None
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    warnings: int = 0


@dataclass
class IngestReport:
    tables: dict[str, TableReport] = field(default_factory=dict)

    @property
    def rejected(self) -> int:
        return sum(t.rows_rejected for t in self.tables.values())


def check_input_folder(input_dir: Path) -> None:
    """Refuse a missing input folder before anything is created for the run."""
    if not Path(input_dir).is_dir():
        raise InputError(
            f"Input folder {input_dir} does not exist or is not a folder.",
            fix="Give the folder that holds families.csv, disbursements.csv and the other tables.",
        )


def load_input(
    input_dir: Path,
    engine: DuckDBEngine,
    *,
    today: date | None = None,
    mapping: Mapping | None = None,
    registry_only: bool = False,
) -> IngestReport:
    """Validate every row of the tables in ``input_dir`` and create typed tables in ``engine``.

    ``mapping`` (an import mapping, see docs/importing.md) says how a real export is
    written; without one the contract's own names and formats apply (and the built-in
    header aliases). Raises ``TableRejectedError`` (an InputError) when most of a table
    is rejected; the ``rejects`` table is complete then.

    ``registry_only`` (duplicate detection) needs the families table alone: payments,
    entitlements, and the families' district, office and registration date may be absent.
    """
    input_dir = Path(input_dir)
    check_input_folder(input_dir)
    contract = registry_contract(load_contract()) if registry_only else load_contract()
    settings = CheckSettings(today=today or date.today())
    tables = {t: mapping.table(t) if mapping else None for t in TABLE_ORDER}
    sources = {t: _source(input_dir, t, tables[t]) for t in TABLE_ORDER}
    _require(input_dir, sources, tables, registry_only)
    engine.execute(REJECTS_DDL)
    engine.execute(REJECTED_KEYS_DDL)
    report = IngestReport()
    for name in TABLE_ORDER:
        spec = contract.table(name)
        src = sources[name]
        tr = TableReport(name)
        report.tables[name] = tr
        if src is None:
            cols = ", ".join(f"{q(c)} {SQL_TYPES[s.type]}" for c, s in spec.columns.items())
            engine.execute(f"CREATE OR REPLACE TABLE {name} (_line BIGINT, {cols})")
            continue
        tr.file, tr.format, tr.sha256 = src.path.name, src.format, file_sha256(src.path)
        _load_table(engine, spec, src, tr, settings, tables[name])
        check_date_order(engine, spec, src.path, tables[name])
        check_rejected_share(
            engine, spec, src.path, tr.rows_read, tr.rows_rejected, header_names(src) or []
        )
    engine.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    return report


def _source(input_dir: Path, table: str, tm: TableMapping | None) -> SourceFile | None:
    """The table's file, read as the mapping declares (encoding, delimiter)."""
    src = locate(input_dir, table, list(tm.files) if tm and tm.files else None)
    if src is not None and tm is not None:
        src.encoding = tm.encoding or src.encoding
        src.delimiter = tm.delimiter or src.delimiter
    return src


REGISTRY_OPTIONAL = ("district", "office_id", "registered_on")


def registry_contract(contract):
    """The contract as duplicate detection reads it: the families' administrative columns
    (district, office, registration date) may be absent or empty."""
    fam = contract.table("families")
    cols = {c: replace(s, nullable=True) if c in REGISTRY_OPTIONAL else s
            for c, s in fam.columns.items()}  # fmt: skip
    return replace(contract, tables={**contract.tables, "families": replace(fam, columns=cols)})


def _require(
    input_dir: Path, sources: dict, tables: dict[str, TableMapping | None], registry_only: bool
) -> None:
    _one_table_per_file(input_dir, sources)
    declared = [t for t, tm in tables.items() if tm and tm.files and sources[t] is None]
    if declared:  # the mapping says the file is there: absent is an error, never "no table"
        raise MappingError(
            "The mapping names files for "
            + ", ".join(f"{t} ({', '.join(tables[t].files)})" for t in declared)  # type: ignore[union-attr]
            + f" but no file in {input_dir} matches.",
            where=str(input_dir),
            fix="Correct the patterns under tables.<table>.files (they match file names in the "
            "input folder, case-insensitively), or remove the table from the mapping.",
        )

    needed = ("families",) if registry_only else ("families", "disbursements")
    missing = [t for t in needed if sources[t] is None]
    if not registry_only and sources["entitlements"] is None and sources["children"] is None:
        missing.append("entitlements (or children, to compute them from rules)")
    if missing:
        raise InputError(
            "Required table(s) missing: " + ", ".join(missing) + "." + _text_named(input_dir),
            where=str(input_dir),
            fix="Put each table in the folder as <table>.csv, <table>.parquet or <table>.xlsx "
            "(see docs/data-contract.md), or name its files under tables.<table>.files in an "
            "import mapping (docs/importing.md).",
        )


def _text_named(input_dir: Path) -> str:
    """Files named after a table but saved as .txt/.tsv (Excel's "Unicode text"), which
    are read only through a mapping: say so, rather than only 'missing'."""
    tables = set(TABLE_ORDER)
    found = sorted(
        p.name for p in input_dir.iterdir()
        if p.suffix.lower() in (".txt", ".tsv") and p.stem.casefold() in tables
    )  # fmt: skip
    if not found:
        return ""
    return (
        f" {', '.join(found)} is there, but .txt and .tsv files are read only when an "
        "import mapping names them (tables.<table>.files; `payproof inspect` proposes it)."
    )


def _one_table_per_file(input_dir: Path, sources: dict[str, SourceFile | None]) -> None:
    """One file read as two tables (two patterns in a mapping that both match it) would,
    say, count every payment as also received: an error, never a silent double read."""
    by_file: dict[Path, list[str]] = {}
    for table, src in sources.items():
        if src is not None:
            by_file.setdefault(src.path.resolve(), []).append(table)
    for path, names in by_file.items():
        if len(names) > 1:
            raise MappingError(
                f"{path.name} would be read as {' and as '.join(names)}.",
                where=str(input_dir),
                fix="Each file holds one table: narrow the file-name patterns under "
                f"tables.{names[-1]}.files (or tables.{names[0]}.files) in the import "
                "mapping so that only one of them matches it.",
            )


def _load_table(
    engine, spec: TableSpec, src, tr: TableReport, settings: CheckSettings, tm: TableMapping | None
) -> None:
    name, file_sql = spec.name, sql_literal(src.path.name)
    chk = f"_chk_{name}"
    formats = {c: tm.format_of(c) for c in spec.columns} if tm else None

    absent: list[str] = []

    def make_select(relation: str, columns: list[str]) -> str:
        present = _match_columns(spec, columns, src, tm)
        derived = derived_columns(spec, present)
        absent[:] = [
            c for c, col in spec.columns.items()
            if c not in present and c not in derived and col.bad_value == "flag"
            and not col.nullable
        ]  # fmt: skip
        return checked_select(spec, relation, present, settings, formats,
                              single_byte=is_single_byte(src.encoding))  # fmt: skip

    structural = stage_into(engine, src, chk, make_select)
    for column in absent:  # one warning for the header, not one per record
        engine.execute(
            "INSERT INTO rejects VALUES (?, ?, 1, ?, NULL, ?, 'warning')",
            [name, src.path.name, column,
             "column absent: every record is kept with this value empty"],
        )  # fmt: skip
    if structural:
        engine.execute(
            f"INSERT INTO rejects SELECT {sql_literal(name)}, {file_sql}, line, column_name, "
            f"value, reason, 'error' FROM {structural}"
        )
        engine.execute(f"DROP TABLE {structural}")
    engine.execute(
        f"INSERT INTO rejects SELECT {sql_literal(name)}, {file_sql}, _line, e.column, "
        f"e.value, e.reason, 'error' FROM (SELECT _line, unnest(_errors) AS e FROM {chk} "
        "WHERE len(_errors) > 0)"
    )
    engine.execute(
        f"INSERT INTO rejects SELECT {sql_literal(name)}, {file_sql}, _line, e.column, "
        f"e.value, e.reason, 'warning' FROM (SELECT _line, unnest(_warnings) AS e FROM {chk} "
        "WHERE len(_warnings) > 0 AND len(_errors) = 0)"
    )
    _check_keys(engine, spec, chk, file_sql)
    _check_references(engine, spec, chk, file_sql)
    cols = ", ".join(q(c) for c in spec.columns)
    # Rows keep file order (insertion order is preserved), so no sort is needed.
    rejected = (
        f"SELECT line FROM rejects WHERE table_name = {sql_literal(name)} AND severity = 'error'"
    )
    keep = "len(_errors) = 0"
    if engine.scalar(f"SELECT count(*) FROM ({rejected})"):
        keep += f" AND _line NOT IN ({rejected})"
        # a row left out keeps only its errors ("kept with this value empty" is untrue
        # there), and its key, so later steps can say why a family is not in the registry
        engine.execute(
            f"DELETE FROM rejects WHERE table_name = ? AND severity = 'warning' "
            f"AND line IN ({rejected})",
            [name],
        )
        key_text = " || '/' || ".join(f"coalesce(CAST({q(k)} AS VARCHAR), '')" for k in spec.key)
        engine.execute(
            f"INSERT INTO rejected_keys SELECT {sql_literal(name)}, _line, {key_text} "
            f"FROM {chk} WHERE _line IN ({rejected})"
        )
    _summarise_empty_ids(engine, spec, chk, keep, src.path.name, absent)
    # Dictionary compression only: DuckDB's automatic choice analyses every column
    # and takes about twice as long to write tens of millions of rows.
    engine.execute("SET force_compression = 'dictionary'")
    try:
        engine.materialise(name, f"SELECT _line, {cols} FROM {chk} WHERE {keep}")
    finally:
        engine.execute("RESET force_compression")
    engine.execute(f"DROP TABLE {chk}")
    tr.rows_accepted = engine.scalar(f"SELECT count(*) FROM {name}")
    tr.rows_rejected = engine.scalar(
        "SELECT count(DISTINCT line) FROM rejects WHERE table_name = ? AND severity = 'error'",
        [name],
    )
    tr.warnings = engine.scalar(
        "SELECT count(*) FROM rejects WHERE table_name = ? AND severity = 'warning'", [name]
    )
    tr.rows_read = tr.rows_accepted + tr.rows_rejected
    if spec.required and tr.rows_read == 0:
        raise InputError(
            f"{src.path.name} has a header but no rows.",
            where=str(src.path),
            fix=f"The '{name}' table is required: export it with its data.",
        )


def _summarise_empty_ids(engine, spec: TableSpec, chk: str, keep: str, file: str,
                         absent: list[str]) -> None:
    """One warning per identity-number column for all its empty values (count and first
    line), not one per record: duplicate detection counts them in its summary too."""
    for column, col in spec.columns.items():
        if col.bad_value != "flag" or col.type != "id" or col.nullable or column in absent:
            continue
        n, first = engine.rows(
            f"SELECT count(*), min(_line) FROM {chk} WHERE {keep} AND {q(column)} IS NULL "
            "AND len(list_filter(_warnings, lambda e: struct_extract(e, 'column') = "
            f"{sql_literal(column)})) = 0"
        )[0]
        if n:
            engine.execute(
                "INSERT INTO rejects VALUES (?, ?, ?, ?, NULL, ?, 'warning')",
                [spec.name, file, first, column,
                 f"missing value in {n:,} record(s), the first at this line; they are kept "
                 "with this value empty"],
            )  # fmt: skip


def _match_columns(
    spec: TableSpec, staged: list[str], src, tm: TableMapping | None = None
) -> dict[str, str]:
    """Contract column -> staged column. A header the mapping names for a column wins;
    other columns are found by their contract name or a built-in alias (aliases.json),
    compared case- and whitespace-insensitively. Two headers for one column is an error."""
    by_key: dict[str, str] = {}
    for c in staged:
        by_key.setdefault(header_key(c), c)
    raw = [header_key(h) for h in header_names(src) or []]
    declared = tm.columns if tm else {}
    present: dict[str, str] = {}
    for name, header in declared.items():
        key = header_key(header)
        if key not in by_key:
            raise MappingError(
                f"The mapping names {header!r} as the header of {spec.name}.{name}, but "
                f"{src.path.name} has no such column.",
                where=f"{src.path} (columns found: {', '.join(staged) or 'none'})",
                fix="Correct the header in the mapping (payproof inspect lists the file's "
                "headers), or check that the right file was matched.",
            )
        present[name] = by_key[key]
    claimed = {header_key(c) for c in present.values()}
    for name, aliases in header_aliases(spec.name).items():
        if name in present:
            continue
        hits = [k for k in dict.fromkeys(header_key(a) for a in aliases)
                if k in by_key and k not in claimed]  # fmt: skip
        if len(hits) > 1:
            raise InputError(
                f"{src.path.name} has {len(hits)} columns that could each be {name}: "
                + ", ".join(repr(by_key[k]) for k in hits) + ".",
                where=str(src.path),
                fix=f"Name the one to use in an import mapping (tables.{spec.name}.columns."
                f"{name}: HEADER; see docs/importing.md), or rename the other.",
            )  # fmt: skip
        if hits:
            present[name] = by_key[hits[0]]
    for name, column in present.items():  # DuckDB renames a repeated header (name_1)
        n = raw.count(header_key(column))
        if n > 1:
            raise InputError(
                f"{src.path.name} has {n} columns that all read as {column!r} ({name}).",
                where=str(src.path),
                fix="Rename or delete the extra ones: payproof cannot tell which is meant.",
            )
    missing = [
        c for c, s in spec.columns.items()
        if c not in present and not s.nullable and s.bad_value != "flag"
    ]  # fmt: skip
    if missing:
        raise InputError(
            f"{src.path.name} lacks required column(s): {', '.join(missing)}."
            + (_header_hint(staged) or _title_hint(src, spec.name)),
            where=f"{src.path} (columns found: {', '.join(staged) or 'none'})",
            fix="Rename or add the columns (see docs/data-contract.md for the names), or map "
            "your headers in an import mapping: `payproof inspect INPUT_FOLDER --out "
            "mapping.yaml` proposes one (docs/importing.md).",
        )
    return present


def _title_hint(src: SourceFile, table: str) -> str:
    """Where the header is when a title line sits above it (CSV only)."""
    if src.format != "csv":
        return ""
    return title_hint(src.path, text_encoding(src), table, src.delimiter)


def _header_hint(staged: list[str]) -> str:
    """Why a header may have been read wrong: a separator inside a single column name."""
    for separator, name in ((";", "';'"), ("\t", "a tab"), ("|", "'|'"), (",", "','")):
        if len(staged) <= 2 and any(separator in c for c in staged):
            return (
                f" The header holds {name} but was read as {len(staged)} column(s): the file's "
                f"delimiter is probably {name} (declare it: delimiter in an import mapping)."
            )
    return ""


def _check_keys(engine, spec: TableSpec, chk: str, file_sql: str) -> None:
    """Reject later copies of an identical row, and every row of a key with conflicting rows."""
    key = ", ".join(q(k) for k in spec.key)
    key_text = " || '/' || ".join(f"coalesce(CAST({q(k)} AS VARCHAR), '')" for k in spec.key)
    cols = ", ".join(q(c) for c in spec.columns)
    engine.execute(
        f"""
        INSERT INTO rejects
        SELECT {sql_literal(spec.name)}, {file_sql}, _line, {sql_literal(spec.key[0])}, kv,
               CASE WHEN same THEN 'exact duplicate of line ' || first_line
                    ELSE 'duplicate key ' || {sql_literal("/".join(spec.key))} || ' = ' || kv
                         || ': ' || n || ' different rows share it (first at line '
                         || first_line || ')' END,
               'error'
        FROM (
            SELECT _line, {key_text} AS kv, count(*) OVER w AS n,
                   min(_line) OVER w AS first_line,
                   min(h) OVER w = max(h) OVER w AS same
            FROM (SELECT _line, {key}, hash({cols}) AS h FROM {chk}
                  WHERE len(_errors) = 0 AND ({key}) IN (
                      SELECT ({key}) FROM {chk} WHERE len(_errors) = 0
                      GROUP BY {key} HAVING count(*) > 1))
            WINDOW w AS (PARTITION BY {key})
        )
        WHERE NOT same OR _line <> first_line
        """
    )


def _check_references(engine, spec: TableSpec, chk: str, file_sql: str) -> None:
    for col in spec.columns.values():
        if not col.references or not engine.has_table(col.ref_table):
            continue
        if col.ref_table == spec.name:
            target = f"(SELECT {q(col.ref_column)} FROM {chk} WHERE len(_errors) = 0)"
        else:
            target = f"(SELECT {q(col.ref_column)} FROM {col.ref_table})"
        severity = "warning" if col.missing_reference == "flag" else "error"
        engine.execute(
            f"INSERT INTO rejects SELECT {sql_literal(spec.name)}, {file_sql}, _line, "
            f"{sql_literal(col.name)}, {q(col.name)}, "
            f"{sql_literal('unknown ' + col.references + ' (no such row)')}, "
            f"{sql_literal(severity)} FROM {chk} c WHERE len(_errors) = 0 "
            f"AND {q(col.name)} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {target} t WHERE t.{q(col.ref_column)} = c.{q(col.name)})"
        )
