"""Name, date, phone and account normalisation as DuckDB macros (scales to millions of rows).

Why SQL and not Python: the registry may hold millions of mothers; a macro runs
vectorised inside DuckDB. Why so many folds: the same Kazakh woman is written in
Cyrillic by one clerk, with Russian look-alike letters by another, and in a
passport-style Latin spelling by a bank (Жұлдыз / Жулдыз / Zhuldyz / Juldyz).
Every spelling is mapped to one canonical Latin form, so "transliteration-equal"
becomes plain string equality, which any Splink backend can compare.
"""

from __future__ import annotations

import string

# Multi-letter Cyrillic first, then one-to-one letters (translate needs equal lengths).
_CYR_MULTI = [
    ("щ", "sh"),
    ("ш", "sh"),
    ("ч", "ch"),
    ("ц", "ts"),
    ("ю", "iu"),
    ("я", "ia"),
    ("ё", "io"),
    ("ъ", ""),
    ("ь", ""),
]
_CYR_FROM = "аәбвгғдежзийкқлмнңоөпрстуұүфхһыіэ"
_CYR_TO = "aabvggdejziikklmnnooprstuuufhhiie"
# Kazakh Latin (2017-2021 alphabets) and Turkish-style letters that strip_accents would spoil.
_LAT_MULTI = [("ş", "sh"), ("ç", "ch"), ("ı", "i"), ("ä", "a"), ("ö", "o"), ("ü", "u")]
# Latin spelling variants folded to one form, in this order (longest patterns first).
_FOLDS = [
    ("dzh", "j"),
    ("dj", "j"),
    ("zh", "j"),
    ("kh", "h"),
    ("shch", "sh"),
    ("sch", "sh"),
    ("q", "k"),
]
_SUFFIXES = [  # (regex, replacement) applied word by word
    (" ye", " e"),  # Yerlan / Erlan, Yesenov / Esenov (the text is padded with spaces)
    ("([aeiou])ye", "\\1e"),  # Serikbayeva / Серікбаева (е after a vowel)
    ("y", "i"),  # ya/ia, yu/iu, yo/io, y/i
    (r"(o|e)vna\b", "ovna"),
    (r"(o|e)vich\b", "ovich"),
    (r"(o|e)va\b", "ov"),  # -ova/-eva (feminine) -> -ov
    (r"ev\b", "ov"),
    (r"ina\b", "in"),
    (r" (kizi|uli)\b", "\\1"),  # 'Nurlan kyzy' written apart
]
_DOUBLES = "abcdefghijklmnopqrstuvwxyz"
# Words a clerk types when the name is not known: an unnamed newborn ("Ахметова
# Девочка", "girl Akhmetova"), a relation, "unknown". Twin babies both entered as
# "Ахметов Мальчик" would otherwise have *equal* names. A name holding one of these
# words is treated as missing (and counted). English entries are the placeholder
# names the US Census Bureau found in administrative records (the NORC report on its
# Person Validation System), less "Son", a Koryo-saram surname in Kazakhstan; one-letter
# words are initials and are kept.
PLACEHOLDER_WORDS = (
    # Russian
    "мальчик", "девочка", "ребенок", "ребёнок", "младенец", "новорожденный",
    "новорождённая", "новорожденная", "неизвестно", "неизвестный", "неизвестная",
    "нет", "отсутствует", "фио", "тест", "мать", "мама", "сын", "дочь", "безымянный",
    # Kazakh
    "бала", "нәресте", "белгісіз", "жоқ", "ұл", "қыз",
    # English
    "unknown", "none", "null", "test", "baby", "boy", "girl", "child", "kid", "minor",
    "daughter", "dau", "mother", "mom", "father", "dad", "wife", "husband",
    "brother", "sister", "nephew", "grandchild", "granddaughter", "grandson", "adult",
    "female", "male", "man", "woman", "lady", "gent", "gentle", "gentleman", "gentlemen",
    "gentelman", "mr", "mrs", "ms", "miss", "person", "resident", "respondent", "inmate",
    "friend", "oldest", "youngest", "one", "house", "senor", "senora", "hijo", "hija",
    "nino", "goh", "coh", "doh", "loh", "soh", "moh",
)  # fmt: skip
PATRONYMIC_RE = r"(kizi|uli|ovna|ovich)$"
# a word of one letter repeated ("xx" once doubles are folded from "XXX"); RE2 has no
# back-references, so the 26 letters are spelled out
REPEATED_LETTER_WORD = "(^| )(" + "|".join(c * 2 + "+" for c in string.ascii_lowercase) + ")( |$)"


def _nest(expr: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        expr = f"replace({expr}, '{old}', '{new}')"
    return expr


def _regex_nest(expr: str, pairs: list[tuple[str, str]]) -> str:
    for pat, rep in pairs:
        expr = f"regexp_replace({expr}, '{pat}', '{rep}', 'g')"
    return expr


def _latin_sql() -> str:
    s = "lower(CAST(s AS VARCHAR))"
    s = _nest(s, _CYR_MULTI)
    s = f"translate({s}, '{_CYR_FROM}', '{_CYR_TO}')"
    s = _nest(s, _LAT_MULTI)
    s = f"strip_accents({s})"
    # apostrophes, hyphens and invisible joiners (zero-width spaces, BOM, soft hyphen) join
    joiners = "''`ʼ’‘\\-\\x{00AD}\\x{200B}-\\x{200D}\\x{2060}\\x{FEFF}"
    s = f"regexp_replace({s}, '[{joiners}]', '', 'g')"
    return f"regexp_replace({s}, '[^a-z]+', ' ', 'g')"


def _norm_sql() -> str:
    s = _nest("pp_latin(s)", _FOLDS)
    s = _regex_nest(f"' ' || {s} || ' '", _SUFFIXES)
    s = _nest(s, [(c + c, c) for c in _DOUBLES])
    return f"nullif(trim(regexp_replace({s}, ' +', ' ', 'g')), '')"


MACROS = f"""
CREATE OR REPLACE TEMP MACRO pp_latin(s) AS {_latin_sql()};
CREATE OR REPLACE TEMP MACRO pp_name_canon(s) AS {_norm_sql()};
CREATE OR REPLACE TEMP MACRO pp_name_placeholder(s) AS
    CASE WHEN pp_name_canon(s) IS NULL THEN false
         ELSE list_has_any(string_split(pp_name_canon(s), ' '), {{placeholders}})
              OR regexp_full_match(pp_name_canon(s), '[a-z]( [a-z])*')
              OR regexp_matches(pp_name_canon(s), '{REPEATED_LETTER_WORD}') END;
CREATE OR REPLACE TEMP MACRO pp_name_norm(s) AS
    CASE WHEN NOT pp_name_placeholder(s) THEN pp_name_canon(s) END;
CREATE OR REPLACE TEMP MACRO pp_name_tokens(s) AS
    list_sort(list_filter(string_split(coalesce(pp_name_norm(s), ''), ' '),
                          lambda t: t <> '' AND NOT regexp_matches(t, '{PATRONYMIC_RE}')));
CREATE OR REPLACE TEMP MACRO pp_name_sorted(s) AS
    nullif(array_to_string(pp_name_tokens(s), ' '), '');
CREATE OR REPLACE TEMP MACRO pp_token_key(t) AS
    t[1] || left(regexp_replace(t[2:], '[aeiou]', '', 'g'), 3);
CREATE OR REPLACE TEMP MACRO pp_name_key(s) AS
    nullif(array_to_string(list_sort(list_transform(pp_name_tokens(s),
                                                    lambda t: pp_token_key(t))), ' '), '');
CREATE OR REPLACE TEMP MACRO pp_phone(s) AS (
    SELECT CASE WHEN d = '' THEN NULL
                WHEN length(d) = 11 AND d[1] IN ('7', '8') THEN d[2:]
                ELSE d END
    FROM (SELECT regexp_replace(coalesce(CAST(s AS VARCHAR), ''), '[^0-9]', '', 'g') AS d)
);
CREATE OR REPLACE TEMP MACRO pp_account(s) AS
    nullif(upper(regexp_replace(coalesce(CAST(s AS VARCHAR), ''), '[\\s\\-\\.]', '', 'g')), '');
CREATE OR REPLACE TEMP MACRO pp_date_text(d) AS strftime(d, '%Y-%m-%d');
CREATE OR REPLACE TEMP MACRO pp_date_swapped(d) AS
    CASE WHEN day(d) <= 12 AND day(d) <> month(d)
         THEN printf('%04d-%02d-%02d', year(d), day(d), month(d)) END;
CREATE OR REPLACE TEMP MACRO pp_date_unordered(d) AS
    printf('%04d-%02d-%02d', year(d), least(day(d), month(d)), greatest(day(d), month(d)));
"""


def install_normalise_macros(con) -> None:
    """Create the ``pp_*`` normalisation temp macros on a DuckDB connection (idempotent).

    - ``pp_name_norm(s)``: canonical Latin, lowercase, punctuation stripped, variants folded;
      NULL when the name is a placeholder (``pp_name_placeholder(s)``): it holds a
      placeholder word, is only single letters ('N/A', 'Н/Д') or has a word of one
      repeated letter ('XXX').
    - ``pp_name_sorted(s)``: its tokens without the patronymic, sorted (word order and a
      dropped patronymic do not matter).
    - ``pp_name_key(s)``: a short phonetic key per token (first letter + 3 consonants),
      for blocking.
    - ``pp_date_swapped(d)``: the date with day and month exchanged, as 'YYYY-MM-DD'
      (NULL when that is not a date or is the same date); ``pp_date_unordered(d)``: the
      same key for a date and its swap, for blocking.
    - ``pp_phone(s)``: the 10 national digits; ``pp_account(s)``: IBAN without spaces.
    """
    head, tail = MACROS.split("CREATE OR REPLACE TEMP MACRO pp_name_placeholder", 1)
    con.execute(head)  # pp_name_canon first: the placeholder words get the same folding
    words = con.execute(
        "SELECT list(DISTINCT pp_name_canon(w) ORDER BY pp_name_canon(w)) FROM unnest(?) t(w)",
        [list(PLACEHOLDER_WORDS)],
    ).fetchone()[0]
    literal = "[" + ", ".join("'" + w.replace("'", "''") + "'" for w in words) + "]"
    con.execute(
        "CREATE OR REPLACE TEMP MACRO pp_name_placeholder" + tail.replace("{placeholders}", literal)
    )
