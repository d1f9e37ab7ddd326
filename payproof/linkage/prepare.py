"""Turn the registry tables into the normalised records the dedupe model compares.

One SQL statement per table: missing columns become NULL (and are reported),
names in any script are normalised, invalid IINs are kept but flagged, a missing
birth date is taken from the IIN when the IIN encodes one. Nothing is dropped:
a record with nothing comparable simply finds no partner.
"""

from __future__ import annotations

from dataclasses import dataclass

from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.errors import InputError
from payproof.linkage.iin import REASONS, install_iin_macros
from payproof.linkage.normalise import install_normalise_macros

BLOCK_CAP = 30  # a key shared by more records than this is a red flag, not a blocking key


@dataclass(frozen=True)
class Source:
    """Which input columns feed the model (any may be absent from the table)."""

    table: str
    id_col: str
    iin: str
    name: str
    dob: str
    district: str | None = None
    phone: str | None = None
    account: str | None = None
    extra: tuple[str, ...] = ()


def mothers_source(table: str = "families") -> Source:
    return Source(table, "family_id", "mother_id", "mother_name", "mother_birth_date",
                  "district", "phone", "bank_account")  # fmt: skip


def children_source(table: str = "children") -> Source:
    return Source(table, "child_id", "child_national_id", "name", "birth_date",
                  extra=("family_id",))  # fmt: skip


def install_macros(con) -> None:
    install_iin_macros(con)
    install_normalise_macros(con)


def _columns(engine: DuckDBEngine, table: str) -> set[str]:
    if not engine.has_table(table):
        raise InputError(
            f"Table {table} is not in the store.",
            fix=f"Load the input folder first (it needs {table}.csv, .parquet or .xlsx).",
        )
    return {r[0] for r in engine.rows(f'DESCRIBE "{table}"')}


def _col(cols: set[str], name: str | None, cast: str = "VARCHAR") -> str:
    return f'TRY_CAST("{name}" AS {cast})' if name and name in cols else f"CAST(NULL AS {cast})"


def _capped(col: str) -> str:
    return f"CASE WHEN count(*) OVER (PARTITION BY {col}) <= {BLOCK_CAP} THEN {col} END"


def _empty_columns(engine: DuckDBEngine, src: Source, cols: set[str]) -> set[str]:
    """Compared columns with no value in any record: absent in all but name (ingest
    creates every contract column, NULL where the file lacked it)."""
    wanted = [c for c in (src.iin, src.name, src.dob, src.district, src.phone, src.account)
              if c and c in cols]  # fmt: skip
    if not wanted:
        return set()
    counts = engine.rows(
        f"SELECT count(*), {', '.join(f'count({chr(34)}{c}{chr(34)})' for c in wanted)} "
        f'FROM "{src.table}"'
    )[0]
    if not counts[0]:
        return set()
    return {c for c, n in zip(wanted, counts[1:], strict=True) if n == 0}


def prepare(engine: DuckDBEngine, src: Source, out: str) -> dict:
    """Create table ``out`` (one row per record, ``unique_id`` first); return quality counts."""
    cols = _columns(engine, src.table)
    if src.id_col not in cols:
        raise InputError(
            f"Table {src.table} has no {src.id_col} column, so records cannot be told apart.",
            fix=f"Add the {src.id_col} column (see docs/data-contract.md).",
        )
    cols -= _empty_columns(engine, src, cols)
    install_macros(engine.con)
    extra = "".join(f', CAST("{c}" AS VARCHAR) AS {c}' for c in src.extra if c in cols)
    extra += "".join(f", CAST(NULL AS VARCHAR) AS {c}" for c in src.extra if c not in cols)
    engine.materialise(
        out,
        f"""
        WITH raw AS (
            SELECT CAST("{src.id_col}" AS VARCHAR) AS unique_id,
                   {_col(cols, src.iin)} AS iin_in, {_col(cols, src.name)} AS name_in,
                   {_col(cols, src.dob, "DATE")} AS dob_in,
                   {_col(cols, src.district)} AS district_in, {_col(cols, src.phone)} AS phone_in,
                   {_col(cols, src.account)} AS account_in {extra}
            FROM "{src.table}"
        ), ids AS (
            SELECT *, pp_iin_clean(iin_in) AS iin_clean, pp_iin_reason(iin_in) AS iin_reason0
            FROM raw
        ), keyed AS (
            -- the leading 0 a spreadsheet dropped is put back only where the IIN then
            -- tells the recorded birth date (or none is recorded): an IIN that lost
            -- another digit rarely becomes valid with a 0 in front, but it can
            SELECT *, CASE WHEN iin_reason0 = 'placeholder' THEN NULL
                           WHEN zero_lost THEN '0' || iin_clean ELSE iin_clean END AS iin,
                   CASE WHEN iin_reason0 = 'leading_zero_lost' AND NOT zero_lost
                        THEN 'wrong_length' ELSE iin_reason0 END AS iin_reason
            FROM (SELECT *, iin_reason0 = 'leading_zero_lost' AND coalesce(
                              pp_iin_birth_date('0' || iin_clean) = dob_in, true) AS zero_lost
                  FROM ids)
        ), base AS (
            SELECT *, pp_iin_birth_date(iin) AS iin_birth,
                   nullif(lower(trim(regexp_replace(name_in, '\\s+', ' ', 'g'))), '') AS name_raw,
                   pp_name_norm(name_in) AS name_norm, pp_name_sorted(name_in) AS name_sorted,
                   coalesce(pp_name_placeholder(name_in), false) AS name_placeholder,
                   pp_name_key(name_in) AS name_key,
                   array_to_string(list_transform(pp_name_tokens(name_in),
                                                  lambda t: t[1]), '') AS name_initials,
                   coalesce(dob_in, pp_iin_birth_date(iin)) AS dob,
                   nullif(lower(trim(district_in)), '') AS district,
                   pp_phone(phone_in) AS phone, pp_account(account_in) AS account
            FROM keyed
        )
        SELECT unique_id, iin, iin_reason IN ('valid', 'leading_zero_lost') AS iin_valid,
               iin_reason,
               CASE WHEN length(iin) = 12 THEN substr(iin, 1, 7) END AS iin_head,
               CASE WHEN length(iin) = 12 THEN substr(iin, 8, 4) END AS iin_serial,
               {_capped("iin")} AS iin_block,
               name_raw, name_norm, name_sorted, name_key, name_placeholder,
               nullif(name_initials, '') AS name_initials,
               dob, pp_date_text(dob) AS dob_text, pp_date_swapped(dob) AS dob_swapped,
               pp_date_unordered(dob) AS dob_unordered, CAST(year(dob) AS VARCHAR) AS birth_year,
               district, phone, {_capped("phone")} AS phone_block,
               account, {_capped("account")} AS account_block {
            "".join(f", {c}" for c in src.extra)
        },
               name_in IS NOT NULL AND regexp_matches(name_in, '[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]')
                   AND regexp_matches(name_in, '[A-Za-z]') AS mixed_script,
               dob_in IS NULL AND iin_birth IS NOT NULL AS dob_from_iin,
               dob_in IS NOT NULL AND iin_birth IS NOT NULL
                   AND iin_reason IN ('valid', 'leading_zero_lost')
                   AND dob_in <> iin_birth AS dob_iin_mismatch
        FROM base
        """,
    )
    return quality(engine, out, src, cols)


def quality(engine: DuckDBEngine, table: str, src: Source, cols: set[str]) -> dict:
    """Counts an auditor needs to judge how far the comparison could go."""
    reasons = ", ".join(f"count(*) FILTER (iin_reason = '{r}')" for r in REASONS)
    row = engine.rows(
        f"""SELECT count(*), count(*) FILTER (name_raw IS NULL),
                   count(*) FILTER (name_raw IS NOT NULL AND name_norm IS NULL
                                    AND NOT name_placeholder),
                   count(*) FILTER (name_placeholder),
                   count(*) FILTER (mixed_script), count(*) FILTER (dob IS NULL),
                   count(*) FILTER (dob_from_iin), count(*) FILTER (dob_iin_mismatch),
                   count(*) FILTER (iin IS NOT NULL AND iin_block IS NULL),
                   count(*) FILTER (phone IS NOT NULL AND phone_block IS NULL),
                   count(*) FILTER (account IS NOT NULL AND account_block IS NULL), {reasons}
            FROM {table}"""
    )[0]
    keys = ["records", "name_missing", "name_unusable", "name_placeholder", "name_mixed_script",
            "birth_date_missing", "birth_date_from_iin", "birth_date_differs_from_iin",
            "iin_shared_too_widely", "phone_shared_too_widely",
            "account_shared_too_widely"]  # fmt: skip
    out = dict(zip(keys, row[: len(keys)], strict=True))
    out["iin"] = dict(zip(REASONS, row[len(keys) :], strict=True))
    wanted = [src.iin, src.name, src.dob, src.district, src.phone, src.account]
    out["columns_missing"] = [c for c in wanted if c and c not in cols]
    return out
