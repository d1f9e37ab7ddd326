"""Kazakh IIN validation as DuckDB macros, so a million IDs are checked in one SQL pass.

An IIN is YYMMDD, a century/sex digit (1/2: 1800s, 3/4: 1900s, 5/6: 2000s; odd
men, even women), a 4-digit serial and a check digit: weights 1..11 mod 11; if
that gives 10, weights 3..11,1,2 mod 11; if 10 again the number is never issued.
A registry clerk's typo almost always breaks the check digit or the date, so the
reason code says *what* is wrong and the dedupe model can still compare the rest.
"""

from __future__ import annotations

REASONS = (
    "valid",
    "leading_zero_lost",
    "missing",
    "placeholder",
    "not_digits",
    "wrong_length",
    "bad_century",
    "bad_date",
    "bad_check_digit",
)

_W1 = list(range(1, 12))
_W2 = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]


# What people and spreadsheets put inside a typed number: spaces (every Unicode space,
# zero-width ones and the byte-order mark too), dashes, dots; and a trailing ".0" where
# a number column was written as floats.
SEPARATORS = r"[\s\p{Z}\x{200B}-\x{200D}\x{2060}\x{FEFF}\-\.]"


def _weighted(weights: list[int]) -> str:
    terms = [f"{w} * CAST(substr(c, {i + 1}, 1) AS INTEGER)" for i, w in enumerate(weights)]
    return "(" + " + ".join(terms) + ") % 11"


MACROS = f"""
CREATE OR REPLACE TEMP MACRO pp_iin_clean(s) AS
    nullif(regexp_replace(regexp_replace(CAST(s AS VARCHAR), '^\\s*([0-9]+)\\.0+\\s*$', '\\1'),
                          '{SEPARATORS}', '', 'g'), '');
CREATE OR REPLACE TEMP MACRO pp_iin_placeholder(c) AS
    length(c) >= 6 AND length(replace(c, substr(c, 1, 1), '')) = 0;
CREATE OR REPLACE TEMP MACRO pp_iin_check(c) AS
    CASE WHEN {_weighted(_W1)} = 10 THEN {_weighted(_W2)} ELSE {_weighted(_W1)} END;
CREATE OR REPLACE TEMP MACRO pp_iin_century(c) AS
    CASE substr(c, 7, 1) WHEN '1' THEN '18' WHEN '2' THEN '18' WHEN '3' THEN '19'
        WHEN '4' THEN '19' WHEN '5' THEN '20' WHEN '6' THEN '20' END;
CREATE OR REPLACE TEMP MACRO pp_iin_birth_date(s) AS (
    SELECT CASE WHEN regexp_full_match(coalesce(c, ''), '[0-9]{{12}}')
                     AND pp_iin_century(c) IS NOT NULL AND NOT pp_iin_placeholder(c)
                THEN CAST(try_strptime(pp_iin_century(c) || substr(c, 1, 6), '%Y%m%d') AS DATE)
           END
    FROM (SELECT pp_iin_clean(s) AS c)
);
CREATE OR REPLACE TEMP MACRO pp_iin_sex(s) AS (
    SELECT CASE WHEN regexp_full_match(coalesce(c, ''), '[0-9]{{12}}')
                     AND substr(c, 7, 1) IN ('1', '2', '3', '4', '5', '6')
                     AND NOT pp_iin_placeholder(c)
                THEN CASE WHEN CAST(substr(c, 7, 1) AS INTEGER) % 2 = 1 THEN 'M' ELSE 'F' END
           END
    FROM (SELECT pp_iin_clean(s) AS c)
);
CREATE OR REPLACE TEMP MACRO pp_iin_valid12(c) AS
    CASE WHEN regexp_full_match(coalesce(c, ''), '[0-9]{{12}}')
              AND pp_iin_century(c) IS NOT NULL
              AND try_strptime(pp_iin_century(c) || substr(c, 1, 6), '%Y%m%d') IS NOT NULL
         THEN pp_iin_check(c) <> 10 AND pp_iin_check(c) = CAST(substr(c, 12, 1) AS INTEGER)
         ELSE false END;
CREATE OR REPLACE TEMP MACRO pp_iin_zero_lost(c) AS
    CASE WHEN regexp_full_match(coalesce(c, ''), '[0-9]{{11}}')
         THEN pp_iin_valid12('0' || c) ELSE false END;
CREATE OR REPLACE TEMP MACRO pp_iin_reason(s) AS (
    SELECT CASE
        WHEN c IS NULL THEN 'missing'
        WHEN pp_iin_placeholder(c) THEN 'placeholder'
        WHEN NOT regexp_full_match(c, '[0-9]+') THEN 'not_digits'
        WHEN pp_iin_zero_lost(c) THEN 'leading_zero_lost'
        WHEN length(c) <> 12 THEN 'wrong_length'
        WHEN pp_iin_century(c) IS NULL THEN 'bad_century'
        WHEN try_strptime(pp_iin_century(c) || substr(c, 1, 6), '%Y%m%d') IS NULL
            THEN 'bad_date'
        WHEN pp_iin_check(c) = 10
            OR pp_iin_check(c) <> CAST(substr(c, 12, 1) AS INTEGER) THEN 'bad_check_digit'
        ELSE 'valid' END
    FROM (SELECT pp_iin_clean(s) AS c)
);
"""


def install_iin_macros(con) -> None:
    """Create the ``pp_iin_*`` temp macros on a DuckDB connection (idempotent, not persisted).

    ``pp_iin_reason(s)`` gives one of :data:`REASONS`; ``pp_iin_birth_date(s)`` and
    ``pp_iin_sex(s)`` ('M'/'F') give what the number encodes, NULL when it cannot be read.
    ``pp_iin_clean(s)`` strips spaces (Unicode ones too), dashes and dots (how IINs are
    often typed); ``pp_iin_placeholder(c)`` is true for one digit repeated
    ('000000000000'), which stands for "no IIN" and is treated as missing.
    Reason ``leading_zero_lost``: 11 digits that are a valid IIN with a 0 in front (a
    spreadsheet stored the IIN of a child born 2000-2009 as a number); the
    preparation step puts the 0 back where the birth date agrees.
    """
    con.execute(MACROS)
