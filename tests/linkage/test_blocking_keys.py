"""Blocking keys: each rule reaches a duplicate that no other rule reaches, and the cap
counts people, not records.

Each test adds one pair of records of one woman to the 300-mother registry, damaged
so that exactly one key still joins them, and checks which keys the prepared pair
shares (a pair that shares no key is never compared).
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from payproof.engine import DuckDBEngine
from payproof.linkage.blocking import BLOCK_CAP, KEYS, RECORD_CAP, WINDOW_KEYS
from payproof.linkage.model import MOTHER_KEYS
from payproof.linkage.prepare import mothers_source, prepare

COLS = ["family_id", "mother_id", "mother_name", "mother_birth_date", "mother_surname",
        "mother_given_name", "address", "postcode"]  # fmt: skip


def _prepared(registry, extra: list[dict]) -> DuckDBEngine:
    table, _ = registry
    rows = table.to_pylist() + extra
    data = {c: [r.get(c) for r in rows] for c in COLS}
    data["mother_birth_date"] = pa.array(data["mother_birth_date"], pa.date32())
    engine = DuckDBEngine()
    engine.register_arrow("families_arrow", pa.table(data))
    engine.materialise("families", "SELECT * FROM families_arrow")
    prepare(engine, mothers_source(children=None), "mother_records", "auto")
    return engine


def _shared(engine: DuckDBEngine, a: str, b: str) -> set[str]:
    """The blocking keys records ``a`` and ``b`` share (the rules that compare them)."""
    hits = ", ".join(f"coalesce(l.{k} = r.{k}, false)" for k in MOTHER_KEYS)
    row = engine.rows(f"SELECT {hits} FROM mother_records l, mother_records r "
                      f"WHERE l.unique_id = '{a}' AND r.unique_id = '{b}'")[0]  # fmt: skip
    return {k for k, hit in zip(MOTHER_KEYS, row, strict=True) if hit}


def test_every_key_is_a_rule():
    assert set(KEYS) | set(WINDOW_KEYS) == set(MOTHER_KEYS)


def test_birth_date_alone_reaches_a_replaced_name(registry):
    """The name replaced by a clerk's placeholder word and a nickname, no ID, no address:
    only the birth date (either order of day and month) is left."""
    rows = [
        {"family_id": "B1", "mother_name": "Kiana S Rodriguez",
         "mother_birth_date": date(2000, 8, 23)},
        {"family_id": "B2", "mother_name": "S Anonymous", "mother_birth_date": date(2000, 8, 23)},
    ]  # fmt: skip
    engine = _prepared(registry, rows)
    assert _shared(engine, "B1", "B2") == {"dob_block"}


def test_birth_date_alone_is_capped_by_people(registry):
    """A birth date many people share (a large registry) is no key."""
    rows = [{"family_id": f"M{k:02d}", "mother_name": f"Anna B{_letters(k)}ova",
             "mother_birth_date": date(1990, 3, 3)} for k in range(BLOCK_CAP + 1)]  # fmt: skip
    engine = _prepared(registry, rows)
    assert not _shared(engine, "M00", "M01")  # 'anna' + the date: 31 people too


def _letters(k: int) -> str:  # a distinct word per number (digits are no letters)
    return "".join(f"{'bdgkmnprst'[int(d)]}a" for d in f"{k:02d}")


def test_end_word_and_initial_reach_a_damaged_name_and_birth_date(registry):
    """Given name shortened, birth date wholly different, no ID: the surname and the
    given name's first letter (the surname first in alphabetical order here)."""
    rows = [
        {"family_id": "C1", "mother_name": "Jennifer Abbott",
         "mother_surname": "Abbott", "mother_given_name": "Jennifer",
         "mother_birth_date": date(1998, 6, 1)},
        {"family_id": "C2", "mother_name": "Jenn Abbott", "mother_surname": "Abbott",
         "mother_given_name": "Jenn", "mother_birth_date": date(1971, 12, 6)},
    ]  # fmt: skip
    engine = _prepared(registry, rows)
    assert _shared(engine, "C1", "C2") == {"end_initial_block"}


def test_the_other_end_word_and_initial_reach_a_damaged_surname(registry):
    """Surname mistyped, given name kept, birth dates apart, no ID: the given name and
    the surname's first letter -- whichever order the words come in."""
    rows = [
        {"family_id": "C3", "mother_name": "Ахметова Гульнара",
         "mother_birth_date": date(1980, 1, 2)},
        {"family_id": "C4", "mother_name": "Gulnara Axmetova",
         "mother_birth_date": date(1984, 7, 9)},
        {"family_id": "C5", "mother_name": "Gulnara Akhmedova",
         "mother_birth_date": date(1988, 9, 7)},
    ]  # fmt: skip
    engine = _prepared(registry, rows)
    assert "end_initial2_block" in _shared(engine, "C3", "C4")  # also the whole name key
    assert _shared(engine, "C3", "C5") == {"end_initial2_block"}


def test_end_words_are_the_parts_each_read_on_its_own(registry):
    """A nickname for the given name, one birth date: the surname part with the birth
    date. The whole names are read in two spelling systems ('Kenny W Wagner' as German:
    'keni v vagner'; 'Kendrick W Wagner', with its c, as scientific: 'wagner'), so their
    last words differ; the surname part, read on its own, is 'vagner' in both."""
    rows = [
        {"family_id": "E1", "mother_name": "Kenny W Wagner", "mother_surname": "Wagner",
         "mother_given_name": "Kenny", "mother_birth_date": date(1982, 12, 3)},
        {"family_id": "E2", "mother_name": "Kendrick W Wagner", "mother_surname": "Wagner",
         "mother_given_name": "Kendrick", "mother_birth_date": date(1982, 12, 3)},
    ]  # fmt: skip
    engine = _prepared(registry, rows)
    words = engine.rows("SELECT word_last FROM mother_records WHERE unique_id IN ('E1', 'E2')")
    assert len({w for (w,) in words}) == 2  # the whole-name words differ
    # (the birth date alone joins them too in this small registry: see the cap test)
    # (and the surname part with the middle initial W, read as a letter, not as German v,
    # by role and by alphabetical order)
    expected = {"end_dob2_block", "end_initial2_block", "surname_middle_block",
                "end_middle2_block"}  # fmt: skip
    assert _shared(engine, "E1", "E2") - {"dob_block"} == expected


def test_the_cap_counts_people_not_records(registry):
    """One household's 40 forms at one address (two people, twenty forms each) keep the
    address key; forty different people at one address (a clerk's office) do not; and no
    key holds more than RECORD_CAP records."""
    rows = [{"family_id": f"H{k:02d}", "mother_id": ["123456789", "987654321"][k % 2],
             "mother_name": ["Mary Smith", "John Smith"][k % 2], "address": "12 Oak St",
             "postcode": "12345"} for k in range(40)]  # fmt: skip
    rows += [{"family_id": f"O{k:02d}", "mother_name": f"Dana B{_letters(k)}ova",
              "address": "1 Main St", "postcode": "12345"} for k in range(40)]  # fmt: skip
    rows.append(
        {
            "family_id": "H99",
            "mother_name": "Mary Smyth",
            "address": "12 Oak St",
            "postcode": "12345",
            "mother_birth_date": date(1970, 1, 1),
        }
    )
    engine = _prepared(registry, rows)
    assert "address_block" in _shared(engine, "H00", "H99")  # 3 people, 41 records
    # one person's 20 records under one ID: the plain ID key, no windows
    assert _shared(engine, "H00", "H02") >= {"iin_block"}
    assert not _shared(engine, "H00", "H02") & set(WINDOW_KEYS)
    assert "address_block" not in _shared(engine, "O00", "O01")  # 40 people
    for k in KEYS:
        assert engine.rows(f"SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM "
                           f"mother_records WHERE {k} IS NOT NULL GROUP BY {k})")[0][0] \
            <= RECORD_CAP, k  # fmt: skip
    assert "person_key" not in {r[0] for r in engine.rows("DESCRIBE mother_records")}


MIDDLE_KEYS = {"given_middle_block", "surname_middle_block", "end_middle_block",
               "end_middle2_block"}  # fmt: skip


def _without_initials(rows: list[dict]) -> list[dict]:
    return [r | {"mother_name": " ".join(w for w in r["mother_name"].split() if len(w) > 1)}
            for r in rows]  # fmt: skip


def test_an_end_word_and_the_middle_initial_reach_a_name_missing_a_word(registry):
    """A census record against a tax form of one woman who moved: the surname missing
    from one record, the given name from another, the surname replaced by a clerk's
    filler in a third; no ID, birth date or address in common. The word left and the
    middle initial join them -- and nothing does without the initial."""
    rows = [
        {"family_id": "G1", "mother_name": "Emily S Delossantos", "mother_surname": "Delossantos",
         "mother_given_name": "Emily", "mother_birth_date": date(1977, 3, 3),
         "address": "5116 Red Horizon Blvd"},
        {"family_id": "G2", "mother_id": "564993960", "mother_name": "Emily S",
         "mother_given_name": "Emily", "address": "1812 Irving Rd"},
        {"family_id": "G3", "mother_id": "441095005", "mother_name": "S Delossantos",
         "mother_surname": "Delossantos", "address": "965 W Home St"},
        {"family_id": "G4", "mother_id": "894509915", "mother_name": "Emily S Anonymous",
         "mother_surname": "Anonymous", "mother_given_name": "Emily", "address": "1 Oak St"},
    ]  # fmt: skip
    engine = _prepared(registry, rows)
    for other in ("G2", "G3", "G4"):
        shared = _shared(engine, "G1", other)
        assert shared and shared <= MIDDLE_KEYS, (other, shared)
    assert "given_middle_block" in _shared(engine, "G1", "G4")  # by role: the given name
    engine = _prepared(registry, _without_initials(rows))
    assert not any(_shared(engine, "G1", other) for other in ("G2", "G3", "G4"))


def test_the_middle_initial_is_read_as_a_letter_not_folded(registry):
    """The name folds make a j an i and a c a ts; the initial is kept as the letter it
    is, in either script (Cyrillic А is Latin a)."""
    rows = [
        {"family_id": "L1", "mother_name": "Linda C Horton", "address": "1097 Golfwood"},
        {"family_id": "L2", "mother_name": "Linda C Hortog", "address": "1309 Cooper Cir"},
        {"family_id": "L3", "mother_name": "Linda J Hortog", "address": "1309 Cooper Cir"},
        {"family_id": "L4", "mother_name": "Linda I Horten", "address": "20 Elm St"},
    ]  # fmt: skip
    engine = _prepared(registry, rows)
    assert _shared(engine, "L1", "L2") & MIDDLE_KEYS
    assert not _shared(engine, "L3", "L4") & MIDDLE_KEYS  # j and i, not both i
    letters = engine.rows("SELECT pp_name_letters('Анна А. Иванова'), "
                          "pp_name_letters('Anna A. Ivanova')")[0]  # fmt: skip
    assert letters == (["a"], ["a"])


def test_the_address_and_an_end_word_reach_a_replaced_surname(registry):
    """One man's forms at a building forty other people give as their address (the
    address alone is capped), his surname replaced by a filler in one: the address and
    his given name."""
    rows = [{"family_id": f"A{k:02d}", "mother_name": f"Dana B{_letters(k)}ova",
             "address": "1231 Riverside Dr"} for k in range(40)]  # fmt: skip
    rows += [
        {"family_id": "K1", "mother_name": "Kevin Buchanan", "mother_surname": "Buchanan",
         "mother_given_name": "Kevin", "address": "1231 Riverside Dr",
         "mother_birth_date": date(1975, 9, 10)},
        {"family_id": "K2", "mother_id": "448834738", "mother_name": "Kevin Lastname",
         "mother_surname": "Lastname", "mother_given_name": "Kevin",
         "address": "1231 Riverside Dr"},
    ]  # fmt: skip
    engine = _prepared(registry, rows)
    assert _shared(engine, "K1", "K2") == {"address_given_block"}
    assert not _shared(engine, "A00", "A01")  # 40 people: the address alone is capped


def test_a_middle_initial_key_many_people_share_is_dropped(registry):
    """Thirty-one women called Emily S with different surnames: 'emily' + 's' is no
    key (the cap counts people), so a pair of them is not compared on it."""
    rows = [{"family_id": f"S{k:02d}", "mother_name": f"Emily S B{_letters(k)}ova",
             "mother_surname": f"B{_letters(k)}ova", "mother_given_name": "Emily"}
            for k in range(BLOCK_CAP + 1)]  # fmt: skip
    engine = _prepared(registry, rows)
    assert not _shared(engine, "S00", "S01") & MIDDLE_KEYS


def test_one_name_under_many_ids_counts_as_one_person(registry):
    """A worker's forty forms, each under another made-up number, at one address: one
    person for the cap (one name, no birth date), so the address key is kept (forty
    different names there are forty people and it is not: the address test above)."""
    rows = [{"family_id": f"J{k:02d}", "mother_id": f"{826124600 + k}",
             "mother_name": "Jason S Luna", "address": "130 Elk Bear Ln"}
            for k in range(40)]  # fmt: skip
    rows.append({"family_id": "J99", "mother_name": "Jason S Lunq", "address": "130 Elk Bear Ln"})
    engine = _prepared(registry, rows)
    assert "address_block" in _shared(engine, "J00", "J99")
    assert "address_block" in _shared(engine, "J00", "J01")
