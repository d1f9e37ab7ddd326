"""Name, date, phone and account normalisation as DuckDB macros (scales to millions of rows).

Why SQL and not Python: the registry may hold millions of mothers; a macro runs
vectorised inside DuckDB. Why so many folds: the same Kazakh woman is written in
Cyrillic by one clerk, with Russian look-alike letters (or Latin look-alikes typed
on the wrong keyboard layout) by another, and in Latin by a bank — in one of the
Kazakh Latin alphabets (2017 apostrophes, 2018 accents, 2021 diacritics) or in a
passport (ICAO 9303), BGN/PCGN, German, French or scientific transliteration (Жұлдыз /
Жулдыз / Zhuldyz / Juldyz / Schuldys / Žuldyz). Every spelling is mapped to one
canonical Latin form, so "transliteration-equal" becomes plain string equality, which
any Splink backend can compare. Only functions Spark SQL also has are used (replace, translate,
regexp_replace, split/transform/array_join).
"""

from __future__ import annotations

import string

# Look-alike letters of the two keyboards (case matters: Latin h is not Cyrillic н).
# A word is rewritten into its own script before transliteration (_script_of_words_sql).
HOMOGLYPH_LATIN = "AaBCcEeHKkMOoPpTXxyYIi"
HOMOGLYPH_CYRILLIC = "АаВСсЕеНКкМОоРрТХхуУІі"
_CYRILLIC_RANGE = "Ѐ-ӿ"  # U+0400..U+04FF: Russian and Kazakh letters
# Multi-letter Cyrillic first, then one-to-one letters (translate needs equal lengths).
_CYR_MULTI = [
    ("щ", "sh"),
    ("ш", "sh"),
    ("ж", "zh"),
    ("ч", "ch"),
    ("ц", "ts"),
    ("ю", "iu"),
    ("я", "ia"),
    ("ъ", ""),
    ("ь", ""),
]
_CYR_FROM = "аәбвгғдеёзийкқлмнңоөпрстуұүфхһыіэ"
_CYR_TO = "aabvggdeeziikklmnnooprstuuufhhiie"  # ё as e: ICAO, BGN without its diaeresis
# Kazakh Latin (2018 acute, 2021 diacritics) and Turkish-style letters that strip_accents
# would spoil: ş, ç, ı, and ý, which is у in the 2018 alphabet (not a long y).
# Scientific transliteration: ž š č are ж ш ч (ŋ is ң), and in a name holding one of them,
# an x, or a c that is not ch or the 2017 c' (SCIENTIFIC_MARKER), j is й; its x (х) and
# c (ц) are folded everywhere (_FOLDS).
_LAT_MULTI = [("ş", "sh"), ("ç", "ch"), ("ı", "i"), ("ä", "a"), ("ö", "o"), ("ü", "u"),
              ("ý", "u"), ("ž", "zh"), ("š", "sh"), ("č", "ch"), ("ŋ", "n")]  # fmt: skip
SCIENTIFIC_MARKER = "[žščŋx]|c([^h'’ʼ‘`]|$)"
# Kazakh Latin 2017: an apostrophe after a letter makes another letter (S' ш, C' ч, Y' у;
# A' ә, G' ғ, I' и, N' ң, O' ө, U' ү only lose the apostrophe).
_APOSTROPHES = "’ʼ‘`´"  # typed for the 2017 apostrophe as often as ' itself
_KZ2017 = [("s'", "sh"), ("c'", "ch"), ("y'", "u")]
# German (Duden) transliteration, decoded in a name holding a German marker (w or sch): j is
# й (made y, so the folds below do not read it as ж), sch/tsch/schtsch are ж ш ч щ, ch is
# х, w is в, z is ц. German writes з and с both s: the folds
# below make z and s one letter everywhere.
GERMAN_MARKER = "w|sch"
_GERMAN = [("j", "y"), ("schtsch", "sh"), ("tsch", "sh"), ("sch", "sh"), ("ch", "h"),
           ("w", "v"), ("z", "ts")]  # fmt: skip
# Latin spelling variants folded to one form, in this order (longest patterns first). The
# hushing sounds ж ш щ ч are one letter (j): German writes ж and ш both sch, French writes
# ш ch, which English reads ч; Kazakh has almost no ч. French ou is у, dj/dz ж; BGN/PCGN gh
# is ғ, ng ң.
_FOLDS = [
    ("kh", "h"),
    ("shch", "j"),
    ("sch", "j"),
    ("tch", "j"),
    ("dzh", "j"),
    ("dj", "j"),
    ("dz", "j"),
    ("zh", "j"),
    ("sh", "j"),
    ("ch", "j"),
    ("tj", "j"),  # тж, and German tsch read as ж (Бақытжан, Bakytschan)
    ("ou", "u"),
    ("q", "k"),
    ("gh", "g"),  # BGN/PCGN ғ
    ("ngg", "n"),  # BGN/PCGN ңғ (ngh)
    ("ng", "n"),  # BGN/PCGN and German ң; a Cyrillic нг folds the same way
    ("x", "h"),  # scientific х
    ("c", "ts"),  # scientific ц (after every ch above)
    ("z", "s"),  # German з is s; Kazakh has no names told apart by з/с alone
]
_SUFFIXES = [  # (regex, replacement) applied word by word
    (" ye", " e"),  # Yerlan / Erlan, Yesenov / Esenov (the text is padded with spaces)
    ("([aeiou])ye", "\\1e"),  # Serikbayeva / Серікбаева (е after a vowel)
    ("y", "i"),  # ya/ia, yu/iu, yo/io, y/i
    ("([aeiou])ie", "\\1e"),  # French Serikbaïeva
    (r"(o|e)vna\b", "ovna"),
    (r"(o|e)vij\b", "ovij"),
    (r"(o|e)va\b", "ov"),  # -ova/-eva (feminine) -> -ov
    (r"ev\b", "ov"),
    (r"ina\b", "in"),
    (r" (kisi|uli)\b", "\\1"),  # 'Nurlan kyzy' written apart
]
_DOUBLES = "abcdefghijklmnopqrstuvwxyz"
# Words a clerk types when the name is not known: an unnamed newborn ("Ахметова
# Девочка", "girl Akhmetova"), "unknown", "нет". Twin babies both entered as "Ахметов
# Мальчик" would otherwise have *equal* names. Matching is on whole normalised words
# (never substrings), in two lists (docs/linkage.md, "Placeholder names"):
# - PLACEHOLDER_WORDS are never part of a real name: one of them anywhere makes the name
#   a placeholder;
# - PLACEHOLDER_ONLY_WORDS are also surnames or given names (Kidd, Person, Child, Mann,
#   Sin, Mat): a name is a placeholder only when *every* word of it is a placeholder word
#   ("Mr", "baby boy", "Lady of the house"). They are the placeholder names the US Census
#   Bureau found in administrative records (the NORC report on its Person Validation
#   System), less "Son", a Koryo-saram surname in Kazakhstan; and Russian words for a
#   relation (мать, сын, дочь).
# A name of one-letter words only ('N/A', 'Н/Д') or with a word of one repeated letter
# ('XXX') is a placeholder too; one-letter words beside a real name are initials and kept.
PLACEHOLDER_WORDS = (
    # Russian
    "мальчик", "девочка", "ребенок", "ребёнок", "младенец", "новорожденный",
    "новорождённая", "новорожденная", "неизвестно", "неизвестный", "неизвестная",
    "нет", "отсутствует", "фио", "тест", "безымянный", "безымянная",
    # Kazakh
    "бала", "нәресте", "белгісіз", "жоқ", "ұл", "қыз",
    # English
    "unknown", "none", "null", "test", "baby", "boy", "girl", "newborn", "infant", "unnamed",
    "noname", "fio",
)  # fmt: skip
PLACEHOLDER_ONLY_WORDS = (
    "мать", "мама", "сын", "дочь",
    "child", "kid", "minor", "daughter", "dau", "mother", "mom", "father", "dad", "wife",
    "husband", "brother", "sister", "nephew", "grandchild", "granddaughter", "grandson",
    "adult", "female", "male", "man", "woman", "lady", "gent", "gentle", "gentleman",
    "gentlemen", "gentelman", "mr", "mrs", "ms", "miss", "person", "resident", "respondent",
    "inmate", "friend", "oldest", "youngest", "one", "house", "senor", "senora", "hijo",
    "hija", "nino", "goh", "coh", "doh", "loh", "soh", "moh", "of", "the",
)  # fmt: skip
PATRONYMIC_RE = r"(kisi|uli|ovna|ovij)$"
# a word of one letter repeated ("xx" once doubles are folded from "XXX"); RE2 has no
# back-references, so the 26 letters are spelled out
REPEATED_LETTER_WORD = "(^| )(" + "|".join(c * 2 + "+" for c in string.ascii_lowercase) + ")( |$)"


def _nest(expr: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        old, new = old.replace("'", "''"), new.replace("'", "''")
        expr = f"replace({expr}, '{old}', '{new}')"
    return expr


def _regex_nest(expr: str, pairs: list[tuple[str, str]]) -> str:
    for pat, rep in pairs:
        expr = f"regexp_replace({expr}, '{pat}', '{rep}', 'g')"
    return expr


def _script_of_words_sql(s: str) -> str:
    """Each word of a mixed-script name rewritten into its script: the one with more letters
    that have no look-alike (Й, з, и; S, r, h), else the one with more letters (ties:
    Cyrillic, the registry's usual script).

    Only names holding both scripts take the word-by-word path, so single-script names
    (nearly all) cost two regex tests.
    """

    def count(keep: str, drop: str = "") -> str:
        return f"length(regexp_replace(w, '[^{keep}]{'|[' + drop + ']' if drop else ''}', '', 'g'))"

    cyr_d, lat_d = count(_CYRILLIC_RANGE, HOMOGLYPH_CYRILLIC), count("A-Za-z", HOMOGLYPH_LATIN)
    more = f"{count(_CYRILLIC_RANGE)} >= {count('A-Za-z')}"
    cyrillic = f"{cyr_d} > {lat_d} OR ({cyr_d} = {lat_d} AND {more})"
    word = (
        f"CASE WHEN {cyrillic} THEN translate(w, '{HOMOGLYPH_LATIN}', '{HOMOGLYPH_CYRILLIC}') "
        f"ELSE translate(w, '{HOMOGLYPH_CYRILLIC}', '{HOMOGLYPH_LATIN}') END"
    )
    return (
        f"CASE WHEN regexp_matches({s}, '[A-Za-z]') AND regexp_matches({s}, '[{_CYRILLIC_RANGE}]') "
        f"THEN array_to_string(list_transform(string_split({s}, ' '), lambda w: {word}), ' ') "
        f"ELSE {s} END"
    )


def _latin_sql() -> str:
    # A one-element list and a lambda name the lowercased text once (a subquery would be
    # correlated). The systems that need the whole name to be read are decoded first:
    # scientific (SCIENTIFIC_MARKER: its j is й) and German (GERMAN_MARKER).
    marker = SCIENTIFIC_MARKER.replace("'", "''")
    s = (f"CASE WHEN regexp_matches(r, '{marker}') THEN replace(r, 'j', 'y') "
         f"WHEN regexp_matches(r, '{GERMAN_MARKER}') THEN {_nest('r', _GERMAN)} ELSE r END")
    s = _nest(s, _CYR_MULTI)
    s = f"translate({s}, '{_CYR_FROM}', '{_CYR_TO}')"
    s = _nest(s, _LAT_MULTI)
    s = f"strip_accents({s})"
    s = f"regexp_replace({s}, '[{_APOSTROPHES}]', '''', 'g')"
    s = _nest(s, _KZ2017)
    # apostrophes and primes (2017 alphabet, BGN/PCGN's soft and hard signs), hyphens, the
    # BGN middle dot and invisible joiners (zero-width spaces, BOM, soft hyphen) join
    joiners = "''ʹʺˮ·\\-\\x{00AD}\\x{200B}-\\x{200D}\\x{2060}\\x{FEFF}"
    s = f"regexp_replace({s}, '[{joiners}]', '', 'g')"
    s = f"regexp_replace({s}, '[^a-z]+', ' ', 'g')"
    return f"list_transform([lower(pp_script_fixed(CAST(s AS VARCHAR)))], lambda r: {s})[1]"


# A j before a consonant or at a word's end is й (scientific, or German without a marker:
# Ajgerim, Qajrat, Abylaj); a Kazakh Latin j (ж) stands before a vowel.
_J_AS_I = [("j([^aeiouy]|$)", "i\\1")]


def _norm_sql() -> str:
    s = _nest(_regex_nest("pp_latin(s)", _J_AS_I), _FOLDS)
    s = _regex_nest(f"' ' || {s} || ' '", _SUFFIXES)
    s = _nest(s, [(c + c, c) for c in _DOUBLES])
    return f"nullif(trim(regexp_replace({s}, ' +', ' ', 'g')), '')"


MACROS = f"""
CREATE OR REPLACE TEMP MACRO pp_script_fixed(s) AS {_script_of_words_sql("s")};
CREATE OR REPLACE TEMP MACRO pp_latin(s) AS {_latin_sql()};
CREATE OR REPLACE TEMP MACRO pp_name_canon(s) AS {_norm_sql()};
CREATE OR REPLACE TEMP MACRO pp_name_placeholder(s) AS list_transform([pp_name_canon(s)],
    lambda c: CASE WHEN c IS NULL THEN false
                   ELSE list_has_any(string_split(c, ' '), {{placeholders}})
                        OR list_has_all({{placeholders_only}}, string_split(c, ' '))
                        OR regexp_full_match(c, '[a-z]( [a-z])*')
                        OR regexp_matches(c, '{REPEATED_LETTER_WORD}') END)[1];
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
CREATE OR REPLACE TEMP MACRO pp_name_letters(s) AS
    list_filter(string_split(regexp_replace(translate(strip_accents(lower(CAST(s AS VARCHAR))),
                                                      '{_CYR_FROM}', '{_CYR_TO}'),
                                            '[^a-z]+', ' ', 'g'), ' '),
                lambda t: length(t) = 1);
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


def _sql_list(words: list[str]) -> str:
    return "[" + ", ".join("'" + w.replace("'", "''") + "'" for w in words) + "]"


def install_normalise_macros(con) -> None:
    """Create the ``pp_*`` normalisation temp macros on a DuckDB connection (idempotent).

    - ``pp_name_norm(s)``: canonical Latin, lowercase, punctuation stripped, variants folded;
      NULL when the name is a placeholder (``pp_name_placeholder(s)``: see
      :data:`PLACEHOLDER_WORDS`).
    - ``pp_name_sorted(s)``: its tokens without the patronymic, sorted (word order and a
      dropped patronymic do not matter).
    - ``pp_name_key(s)``: a short phonetic key per token (first letter + 3 consonants),
      for blocking.
    - ``pp_date_swapped(d)``: the date with day and month exchanged, as 'YYYY-MM-DD'
      (NULL when that is not a date or is the same date); ``pp_date_unordered(d)``: the
      same key for a date and its swap, for blocking.
    - ``pp_name_letters(s)``: the name's one-letter words (its initials), in order, a
      Cyrillic letter as its Latin one, nothing else folded (the name folds make a j an i
      and a c a ts, and read one name's W as v by its spelling system, another's as w).
    - ``pp_phone(s)``: the 10 national digits; ``pp_account(s)``: IBAN without spaces.
    """
    head, tail = MACROS.split("CREATE OR REPLACE TEMP MACRO pp_name_placeholder", 1)
    con.execute(head)  # pp_name_canon first: the placeholder words get the same folding
    lists = []
    for words in (PLACEHOLDER_WORDS, PLACEHOLDER_WORDS + PLACEHOLDER_ONLY_WORDS):
        lists.append(con.execute(
            "SELECT list(DISTINCT pp_name_canon(w) ORDER BY pp_name_canon(w)) FROM unnest(?) t(w)",
            [list(words)],
        ).fetchone()[0])  # fmt: skip
    tail = tail.replace("{placeholders}", _sql_list(lists[0]))
    tail = tail.replace("{placeholders_only}", _sql_list(lists[1]))
    con.execute("CREATE OR REPLACE TEMP MACRO pp_name_placeholder" + tail)
