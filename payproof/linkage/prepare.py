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
from payproof.linkage.blocking import BLOCK_CAP, PERSON_KEY, capped_keys, key_columns, window_keys
from payproof.linkage.iin import REASONS, install_iin_macros
from payproof.linkage.normalise import PATRONYMIC_RE, install_normalise_macros

ID_SCHEMES = ("auto", "iin", "plain")
# 'auto': the IDs are read as Kazakh IINs when at least this share of those present have
# an IIN's shape (12 digits, or 11 that lost a leading 0: valid or not); otherwise as
# plain identifiers (another country's numbers: 7, 9, 10 digits...), compared as text
IIN_SHARE_FOR_AUTO = 0.5
ID_REASONS = (*REASONS, "plain")  # 'plain': an ID present, read as another country's number


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
    address: str | None = None
    settlement: str | None = None
    postcode: str | None = None
    # mothers: the children table (by family_id) whose children each record lists
    children: str | None = None
    # the name in parts (a 1C export's three columns): compared where both records have them
    surname: str | None = None
    given_name: str | None = None
    patronymic: str | None = None

    def compared(self) -> list[str]:
        """The input columns the model compares (any may be absent)."""
        return [c for c in (self.iin, self.name, self.dob, self.district, self.phone,
                            self.account, self.address, self.settlement, self.postcode,
                            *self.name_parts()) if c]

    def name_parts(self) -> tuple[str | None, ...]:
        return (self.surname, self.given_name, self.patronymic)


def mothers_source(table: str = "families", children: str | None = "children") -> Source:
    return Source(table, "family_id", "mother_id", "mother_name", "mother_birth_date",
                  "district", "phone", "bank_account", address="address",
                  settlement="settlement", postcode="postcode", surname="mother_surname",
                  given_name="mother_given_name", patronymic="mother_patronymic",
                  children=children)  # fmt: skip


def children_source(table: str = "children") -> Source:
    return Source(table, "child_id", "child_national_id", "name", "birth_date",
                  extra=("family_id",), surname="child_surname", given_name="child_given_name",
                  patronymic="child_patronymic")  # fmt: skip


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


def _empty_columns(engine: DuckDBEngine, src: Source, cols: set[str]) -> set[str]:
    """Compared columns with no value in any record: absent in all but name (ingest
    creates every contract column, NULL where the file lacked it)."""
    wanted = [c for c in src.compared() if c in cols]
    if not wanted:
        return set()
    counts = engine.rows(
        f"SELECT count(*), {', '.join(f'count({chr(34)}{c}{chr(34)})' for c in wanted)} "
        f'FROM "{src.table}"'
    )[0]
    if not counts[0]:
        return set()
    return {c for c, n in zip(wanted, counts[1:], strict=True) if n == 0}


def id_scheme(engine: DuckDBEngine, src: Source, cols: set[str], scheme: str = "auto") -> str:
    """'iin' or 'plain': how the national IDs are read (``scheme`` 'auto' decides from
    the share of present IDs shaped like Kazakh IINs, so a registry of mistyped IINs is
    still read as IINs)."""
    if scheme not in ID_SCHEMES:
        raise InputError(f"Unknown national ID scheme {scheme!r}.",
                         fix=f"Use one of: {', '.join(ID_SCHEMES)}.")  # fmt: skip
    if scheme != "auto":
        return scheme
    if not src.iin or src.iin not in cols:
        return "iin"
    present, shaped = engine.rows(
        f"""SELECT count(*), count(*) FILTER (regexp_full_match(pp_iin_clean(v), '[0-9]{{11,12}}'))
            FROM (SELECT CAST("{src.iin}" AS VARCHAR) AS v FROM "{src.table}")
            WHERE pp_iin_reason(v) NOT IN ('missing', 'placeholder')"""
    )[0]
    return "iin" if not present or shaped >= IIN_SHARE_FOR_AUTO * present else "plain"


def prepare(engine: DuckDBEngine, src: Source, out: str, scheme: str = "auto") -> dict:
    """Create table ``out`` (one row per record, ``unique_id`` first); return quality counts.

    ``scheme`` says how national IDs are read: 'iin' (Kazakh IINs: validated, birth date
    and serial decoded), 'plain' (any other country's numbers: compared as text, never
    'invalid'), or 'auto' (see :func:`id_scheme`)."""
    cols = _columns(engine, src.table)
    if src.id_col not in cols:
        raise InputError(
            f"Table {src.table} has no {src.id_col} column, so records cannot be told apart.",
            fix=f"Add the {src.id_col} column (see docs/data-contract.md).",
        )
    cols -= _empty_columns(engine, src, cols)
    install_macros(engine.con)
    requested, scheme = scheme, id_scheme(engine, src, cols, scheme)
    iin = "iin_reason IN ('valid', 'leading_zero_lost')" if scheme == "iin" else "false"
    extra = "".join(f', CAST("{c}" AS VARCHAR) AS {c}' for c in src.extra if c in cols)
    extra += "".join(f", CAST(NULL AS VARCHAR) AS {c}" for c in src.extra if c not in cols)
    staged = f"lk_prep_{out}"
    engine.materialise(
        staged,
        f"""
        WITH raw AS (
            SELECT CAST("{src.id_col}" AS VARCHAR) AS unique_id,
                   {_col(cols, src.iin)} AS iin_in, {_col(cols, src.name)} AS name_in,
                   {_col(cols, src.dob, "DATE")} AS dob_in,
                   {_col(cols, src.district)} AS district_in, {_col(cols, src.phone)} AS phone_in,
                   {_col(cols, src.account)} AS account_in,
                   {_col(cols, src.address)} AS address_in,
                   {_col(cols, src.settlement)} AS settlement_in,
                   {_col(cols, src.postcode)} AS postcode_in,
                   {_col(cols, src.surname)} AS surname_in,
                   {_col(cols, src.given_name)} AS given_in,
                   {_col(cols, src.patronymic)} AS patronymic_in {extra}
            FROM "{src.table}"
        ), named AS (
            -- a registry that holds the name only in parts: its words, surname first
            SELECT * REPLACE (coalesce(name_in, nullif(concat_ws(' ', surname_in, given_in,
                                                                 patronymic_in), '')) AS name_in),
                   nullif(concat_ws(' ', surname_in, given_in, patronymic_in), '') AS parts_in
            FROM raw
        ), ids AS (
            SELECT *, pp_iin_clean(iin_in) AS iin_clean, {
                "pp_iin_reason(iin_in)" if scheme == "iin" else
                "CASE WHEN pp_iin_reason(iin_in) IN ('missing', 'placeholder') "
                "THEN pp_iin_reason(iin_in) ELSE 'plain' END"
            } AS iin_reason0
            FROM named
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
                   pp_phone(phone_in) AS phone, pp_account(account_in) AS account,
                   nullif(trim(regexp_replace(lower(address_in), '[^[:alnum:]]+', ' ', 'g')), '')
                       AS address,
                   pp_name_norm(settlement_in) AS settlement,
                   nullif(upper(regexp_replace(postcode_in, ' ', '', 'g')), '') AS postcode,
                   -- the parts, normalised as the whole name is (NULL: absent, or a
                   -- placeholder or initials only: the pair is then compared as before)
                   -- (the patronymic is not compared on its own: the whole name holds it)
                   pp_name_norm(surname_in) AS surname, pp_name_norm(given_in) AS given_name,
                   pp_name_canon(parts_in) AS parts_canon,
                   list_filter(string_split(coalesce(pp_name_norm(name_in), ''), ' '),
                               lambda t: t <> '' AND NOT regexp_matches(t, '{PATRONYMIC_RE}'))
                       AS words,
                   pp_name_letters(name_in) AS letters  -- its initials ("Mary J. Blige")
            FROM keyed
        ), keys AS (
            SELECT *, {iin} AS iin_valid,
                   CASE WHEN {iin} AND length(iin) = 12 THEN substr(iin, 1, 7) END AS iin_head,
                   CASE WHEN {iin} AND length(iin) = 12 THEN substr(iin, 8, 4) END AS iin_serial,
                   CASE WHEN length(iin) >= 6 THEN left(iin, length(iin) // 2) END AS id_front,
                   CASE WHEN length(iin) >= 6 THEN right(iin, length(iin) - length(iin) // 2)
                   END AS id_back,
                   nullif(words[1], '') AS word_first, nullif(words[-1], '') AS word_last,
                   list_filter(words, lambda t: length(t) > 1) AS long_words,
                   nullif(array_to_string(list_sort(list_filter(words, lambda t: length(t) > 1)),
                                          ' '), '') AS name_long,
                   pp_date_text(dob) AS dob_text, pp_date_unordered(dob) AS dob_unordered,
                   CAST(year(dob) AS VARCHAR) AS birth_year,
                   -- both given and not the same words (initials aside: a middle
                   -- initial the parts leave out): the parts are compared, the full
                   -- name is kept for display, and the records are counted
                   parts_canon IS NOT NULL AND name_in IS NOT NULL AND nullif(array_to_string(
                       list_sort(list_filter(string_split(parts_canon, ' '),
                                             lambda t: length(t) > 1
                                                 AND NOT regexp_matches(t, '{PATRONYMIC_RE}'))),
                       ' '), '') IS DISTINCT FROM nullif(array_to_string(list_sort(
                           list_filter(words, lambda t: length(t) > 1)), ' '), '')
                       AS name_parts_differ
            FROM (SELECT * EXCLUDE (name_initials), nullif(name_initials, '') AS name_initials
                  FROM base)
        )
        SELECT unique_id, iin, iin_valid, iin_reason, iin_head, iin_serial,
               iin_valid AND (dob_in IS NULL OR dob_in = iin_birth) AS iin_consistent,
               name_raw, name_norm, name_sorted, name_key, name_placeholder, name_initials,
               word_first, word_last, name_long, surname, given_name, name_parts_differ,
               dob, dob_text, pp_date_swapped(dob) AS dob_swapped, dob_unordered, birth_year,
               district, phone, account, address, settlement, postcode,
               {key_columns()} {"".join(f", {c}" for c in src.extra)},
               {PERSON_KEY} AS person_key,
               name_in IS NOT NULL AND regexp_matches(name_in, '[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]')
                   AND regexp_matches(name_in, '[A-Za-z]') AS mixed_script,
               dob_in IS NULL AND iin_birth IS NOT NULL AS dob_from_iin,
               dob_in IS NOT NULL AND iin_birth IS NOT NULL
                   AND iin_reason IN ('valid', 'leading_zero_lost')
                   AND dob_in <> iin_birth AS dob_iin_mismatch
        FROM keys
        """,
        temp=True,
    )
    # the children's IDs are read as the mothers' are (one country's registry), unless the
    # mothers have none to decide from
    kids = child_keys(engine, src, requested if src.iin not in cols else scheme)
    engine.materialise(
        out,
        f"SELECT s.* EXCLUDE (person_key) REPLACE ({capped_keys(staged)}), "
        f"{window_keys(staged)}"
        + (f", k.* EXCLUDE (family_key) FROM {staged} s LEFT JOIN {kids} k "
           "ON k.family_key = s.unique_id" if kids else f" FROM {staged} s"),
    )  # fmt: skip
    engine.execute(f"DROP TABLE {staged}")
    if kids:
        engine.execute(f"DROP TABLE {kids}")
    out_q = quality(engine, out, src, cols)
    out_q["id_scheme"] = scheme
    if kids:
        out_q["children_listed"] = engine.rows(
            f"SELECT count(*) FILTER (child_ids IS NOT NULL OR child_names IS NOT NULL) FROM {out}"
        )[0][0]
    return out_q


def child_keys(engine: DuckDBEngine, src: Source, scheme: str = "auto") -> str | None:
    """Per family, the children its record lists: a temporary table (``family_key``,
    ``child_ids``, ``child_names``, ``child_block``), or None when there is no children
    table to read.

    Two keys per child, kept in two lists so that one child never counts twice: its
    national ID (a valid IIN, or any present ID in another country's scheme) and its
    normalised name (tokens sorted, patronymic dropped) with its birth date, for a child
    recorded without an ID or with a mistyped one. Placeholder names ("Мальчик") give no
    name key. A key listed by more than ``BLOCK_CAP`` families is dropped: a child
    counted in thirty families is a red flag (child_in_two_families), not evidence that
    thirty records are one woman. ``child_block`` holds both kinds, for blocking.
    The children's own dedupe is not used: keys come from the raw records, so the
    mothers' model never depends on another model's output (and runs first).
    """
    if not src.children or not engine.has_table(src.children):
        return None
    csrc = children_source(src.children)
    cols = _columns(engine, src.children)
    if "family_id" not in cols or not engine.rows(
        f'SELECT count(*) FROM "{src.children}" WHERE family_id IS NOT NULL'
    )[0][0]:
        return None
    cols -= _empty_columns(engine, csrc, cols)
    scheme = id_scheme(engine, csrc, cols, scheme)
    # one ID per child: a valid IIN (its leading 0 put back) or, for another country's
    # numbers, any ID present that is no placeholder
    kid_id = ("CASE WHEN reason = 'valid' THEN id_clean "
              "WHEN reason = 'leading_zero_lost' THEN '0' || id_clean END"
              if scheme == "iin" else
              "CASE WHEN reason NOT IN ('missing', 'placeholder') THEN id_clean END")  # fmt: skip
    born = "coalesce(born, pp_iin_birth_date(kid_id))" if scheme == "iin" else "born"

    def agg(col: str) -> str:
        return f"list_sort(list_distinct(list({col}) FILTER ({col} IS NOT NULL)))"

    def capped(col: str) -> str:  # the key NULL where more than BLOCK_CAP families list it
        return (f"CASE WHEN {col} IN (SELECT {col} FROM {keyed} WHERE {col} IS NOT NULL "
                f"GROUP BY {col} HAVING count(DISTINCT family_key) > {BLOCK_CAP}) "
                f"THEN NULL ELSE {col} END AS {col}")  # fmt: skip

    keyed, out = "lk_child_keyed", "lk_child_keys"
    engine.materialise(
        keyed,
        f"""
        WITH raw AS (
            SELECT CAST(family_id AS VARCHAR) AS family_key,
                   {_col(cols, csrc.iin)} AS id_in, {_col(cols, csrc.name)} AS name_in,
                   {_col(cols, csrc.dob, "DATE")} AS born
            FROM "{src.children}" WHERE family_id IS NOT NULL
        ), ided AS (
            SELECT *, {kid_id} AS kid_id
            FROM (SELECT *, pp_iin_clean(id_in) AS id_clean, pp_iin_reason(id_in) AS reason
                  FROM raw)
        ), names AS (  -- each distinct name normalised once (a million children, 90,000 names)
            SELECT name_in, CASE WHEN NOT coalesce(pp_name_placeholder(name_in), true)
                                 THEN pp_name_sorted(name_in) END AS sorted
            FROM (SELECT DISTINCT name_in FROM raw WHERE name_in IS NOT NULL)
        )
        SELECT i.family_key, i.kid_id, n.sorted || '|' || pp_date_text({born}) AS kid_name
        FROM ided i LEFT JOIN names n ON n.name_in = i.name_in""",
        temp=True,
    )
    engine.materialise(
        out,
        f"""
        WITH kept AS (
            SELECT family_key, {capped("kid_id")}, {capped("kid_name")} FROM {keyed}
        ), lists AS (
            SELECT family_key, {agg("kid_id")} AS ids, {agg("kid_name")} AS names
            FROM kept GROUP BY family_key
        )
        SELECT family_key,
               CASE WHEN len(ids) > 0 THEN ids END AS child_ids,
               CASE WHEN len(names) > 0 THEN names END AS child_names,
               CASE WHEN len(ids) + len(names) > 0 THEN list_concat(ids, names) END AS child_block
        FROM lists""",
        temp=True,
    )
    engine.execute(f"DROP TABLE {keyed}")
    return out


def quality(engine: DuckDBEngine, table: str, src: Source, cols: set[str]) -> dict:
    """Counts an auditor needs to judge how far the comparison could go."""
    reasons = ", ".join(f"count(*) FILTER (iin_reason = '{r}')" for r in ID_REASONS)
    row = engine.rows(
        f"""SELECT count(*), count(*) FILTER (name_raw IS NULL),
                   count(*) FILTER (name_raw IS NOT NULL AND name_norm IS NULL
                                    AND NOT name_placeholder),
                   count(*) FILTER (name_placeholder),
                   count(*) FILTER (mixed_script), count(*) FILTER (dob IS NULL),
                   count(*) FILTER (dob_from_iin), count(*) FILTER (dob_iin_mismatch),
                   count(*) FILTER (iin IS NOT NULL AND iin_block IS NULL),
                   count(*) FILTER (phone IS NOT NULL AND phone_block IS NULL),
                   count(*) FILTER (account IS NOT NULL AND account_block IS NULL),
                   count(*) FILTER (surname IS NOT NULL AND given_name IS NOT NULL),
                   count(*) FILTER (name_parts_differ), {reasons}
            FROM {table}"""
    )[0]
    keys = ["records", "name_missing", "name_unusable", "name_placeholder", "name_mixed_script",
            "birth_date_missing", "birth_date_from_iin", "birth_date_differs_from_iin",
            "iin_shared_too_widely", "phone_shared_too_widely",
            "account_shared_too_widely", "name_in_parts", "name_parts_differ"]  # fmt: skip
    out = dict(zip(keys, row[: len(keys)], strict=True))
    out["iin"] = {r: n for r, n in zip(ID_REASONS, row[len(keys) :], strict=True)
                  if r != "plain" or n}  # fmt: skip
    # compared when a registry has them
    optional = (src.address, src.settlement, src.postcode, *src.name_parts())
    out["columns_missing"] = [c for c in src.compared() if c not in cols and c not in optional]
    return out
