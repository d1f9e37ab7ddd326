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
        {"family_id": "C1", "mother_name": "Jennifer M Abbott",
         "mother_surname": "Abbott", "mother_given_name": "Jennifer",
         "mother_birth_date": date(1998, 6, 1)},
        {"family_id": "C2", "mother_name": "Jenn M Abbott", "mother_surname": "Abbott",
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
    assert _shared(engine, "E1", "E2") - {"dob_block"} == {"end_dob2_block", "end_initial2_block"}


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
