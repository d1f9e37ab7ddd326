"""--name-variants and --hard-negatives: each new kind is in the data as the truth says,
and the rest of the programme is what it was without them."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb
import pytest

from payproof.scenario.config import ScenarioConfig
from payproof.scenario.fraud import NAME_VARIANT_KINDS
from payproof.scenario.generate import generate_scenario, validate
from payproof.scenario.identity import iin_is_valid
from payproof.scenario.names import ROMANISATIONS, romanise

PLAIN = ScenarioConfig(families=3000, months=3, duplicate_mother_rate=0.06)
VARIED = ScenarioConfig(families=3000, months=3, duplicate_mother_rate=0.06,
                        name_variant_share=0.8, hard_negative_rate=0.01)  # fmt: skip
CYRILLIC = re.compile("[\u0400-\u04ff]")


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("names")
    generate_scenario(root / "plain", PLAIN)
    generate_scenario(root / "varied", VARIED)
    return root / "plain", root / "varied"


def _q(sql: str) -> list[tuple]:
    return duckdb.sql(sql).fetchall()


def _dups(root: Path, kind: str) -> list[tuple]:
    """(original name, duplicate name, original IIN, duplicate IIN, births equal) per pair."""
    return _q(
        f"""SELECT o.mother_name, d.mother_name, o.mother_id, d.mother_id,
                   o.mother_birth_date = d.mother_birth_date
            FROM read_csv('{root}/truth/duplicate_mothers.csv', all_varchar=true) t
            JOIN read_csv('{root}/families.csv', all_varchar=true) o USING (family_id)
            JOIN read_csv('{root}/families.csv', all_varchar=true) d
                 ON d.family_id = t.duplicate_family_id
            WHERE t.kind = '{kind}'"""
    )


def test_options_change_only_the_duplicates_and_the_hard_negatives(pair):
    """Offices, staff and every genuine mother's birth date stay; a genuine mother's name
    changes only where she was made a sister or namesake. (Duplicates' IIN slips draw from
    the main stream, so later draws — payments among them — differ.)"""
    plain, varied = pair
    for name in ("offices.csv", "staff.csv"):
        sha = [hashlib.sha256((r / name).read_bytes()).hexdigest() for r in pair]
        assert sha[0] == sha[1], name
    genuine = """SELECT family_id, mother_birth_date, mother_name
                 FROM read_csv('{0}/families.csv', all_varchar=true)
                 WHERE family_id NOT IN (SELECT duplicate_family_id
                                         FROM '{0}/truth/duplicate_mothers.csv')"""
    a, b = _q(genuine.format(plain)), _q(genuine.format(varied))
    assert [r[:2] for r in a] == [r[:2] for r in b]
    renamed = {x[0] for x, y in zip(a, b, strict=True) if x[2] != y[2]}
    made = {r[0] for r in _q(f"SELECT other_record_id FROM '{varied}/truth/hard_negatives.csv' "
                             "WHERE record_type = 'mothers'")}  # fmt: skip
    assert renamed and renamed <= made
    assert _q(f"SELECT count(*) FROM '{plain}/truth/hard_negatives.csv'") == [(0,)]


def test_every_name_variant_kind_is_injected_and_changes_the_name(pair):
    _, varied = pair
    truth = f"'{varied}/truth/duplicate_mothers.csv'"
    kinds = dict(_q(f"SELECT kind, count(*) FROM {truth} GROUP BY 1"))
    assert set(NAME_VARIANT_KINDS) <= set(kinds)
    for kind in NAME_VARIANT_KINDS:
        for orig, dup, iin, dup_iin, same_birth in _dups(varied, kind):
            assert dup != orig and same_birth and dup_iin == iin, (kind, orig, dup)
            if kind == "homoglyph":  # Latin look-alikes typed among the Cyrillic letters
                assert CYRILLIC.search(dup) and re.search("[A-Za-z]", dup), dup
            elif kind == "married":  # same valid IIN and birth date, another surname
                assert iin_is_valid(dup_iin)
                assert dup.split(" ")[0] != orig.split(" ")[0]
                assert dup.split(" ")[1:] == orig.split(" ")[1:]
            else:  # a transliteration of the Cyrillic original
                assert CYRILLIC.search(orig) and not CYRILLIC.search(dup), (kind, dup)


def test_transliterated_duplicates_are_written_in_their_system(pair):
    _, varied = pair
    for kind in ROMANISATIONS:
        rows = _dups(varied, kind)
        assert rows and all(r[1] == romanise(r[0], kind) for r in rows), kind
    assert romanise("Шынар Жұмабаева", "german") == "Schynar Schumabajewa"
    assert romanise("Шынар Жұмабаева", "french") == "Chynar Djoumabaeva"
    assert romanise("Шынар Жұмабаева", "kz2017") == "S'ynar Jumabaeva"


def test_hard_negatives_are_what_truth_says(pair):
    _, varied = pair
    fam = f"read_csv('{varied}/families.csv', all_varchar=true)"
    hn = f"read_csv('{varied}/truth/hard_negatives.csv', all_varchar=true)"
    counts = dict(_q(f"SELECT kind, count(*) FROM {hn} GROUP BY 1"))
    assert counts["sisters"] == 30 and counts["namesakes"] > 20 and counts["twins"] > 50
    sisters = _q(
        f"""SELECT split_part(a.mother_name, ' ', 1) = split_part(b.mother_name, ' ', 1),
                   a.district = b.district, a.phone IS NOT DISTINCT FROM b.phone,
                   a.mother_id <> b.mother_id,
                   abs(CAST(a.mother_birth_date AS DATE) - CAST(b.mother_birth_date AS DATE))
            FROM {hn} h JOIN {fam} a ON a.family_id = h.record_id
            JOIN {fam} b ON b.family_id = h.other_record_id WHERE h.kind = 'sisters'"""
    )
    assert all(r[:4] == (True, True, True, True) and 200 <= r[4] <= 4 * 365 for r in sisters)
    namesakes = _q(
        f"""SELECT a.mother_name = b.mother_name, a.mother_birth_date <> b.mother_birth_date,
                   a.mother_id <> b.mother_id
            FROM {hn} h JOIN {fam} a ON a.family_id = h.record_id
            JOIN {fam} b ON b.family_id = h.other_record_id WHERE h.kind = 'namesakes'"""
    )
    assert namesakes and all(r == (True, True, True) for r in namesakes)
    # no hard negative is also a duplicate pair
    dup = f"'{varied}/truth/duplicate_mothers.csv'"
    assert _q(
        f"SELECT count(*) FROM {hn} h WHERE h.record_id IN (SELECT family_id FROM {dup}) "
        f"OR h.other_record_id IN (SELECT family_id FROM {dup})"
    ) == [(0,)]


def test_twins_have_consecutive_iin_serials(pair):
    _, varied = pair
    kids = f"read_csv('{varied}/children.csv', all_varchar=true)"
    rows = _q(
        f"""SELECT a.family_id = b.family_id, a.birth_date = b.birth_date,
                   split_part(a.name, ' ', 1) = split_part(b.name, ' ', 1)
                       OR split_part(a.name, ' ', 1) || 'а' = split_part(b.name, ' ', 1)
                       OR split_part(a.name, ' ', 1) = split_part(b.name, ' ', 1) || 'а'
                       OR split_part(a.name, ' ', 1) || 'a' = split_part(b.name, ' ', 1)
                       OR split_part(a.name, ' ', 1) = split_part(b.name, ' ', 1) || 'a',
                   a.child_national_id, b.child_national_id
            FROM read_csv('{varied}/truth/hard_negatives.csv', all_varchar=true) h
            JOIN {kids} a ON a.child_id = h.record_id
            JOIN {kids} b ON b.child_id = h.other_record_id
            WHERE h.kind = 'twins'"""
    )
    assert rows
    for same_family, same_birth, same_surname, ia, ib in rows:
        assert same_family and same_birth and same_surname
        if ia and ib:  # 3 % of children have no ID
            assert iin_is_valid(ia) and iin_is_valid(ib) and ia != ib
            serial_a, serial_b = int(ia[7:11]), int(ib[7:11])
            assert 1 <= (serial_b - serial_a) % 9999 <= 3  # the next issued serial


def test_rates_out_of_range_are_refused():
    with pytest.raises(ValueError, match="name-variants"):
        validate(ScenarioConfig(name_variant_share=1.5))
    with pytest.raises(ValueError, match="hard-negatives"):
        validate(ScenarioConfig(hard_negative_rate=0.5))


def test_name_parts_are_written_in_their_own_columns(pair):
    """families.csv and children.csv hold the name in three columns as a 1C export does:
    surname, given name, patronymic, whose words make the full name -- a duplicate that
    turned a two-word name round ('Given Surname') still has each part in its field."""
    _, varied = pair
    fam = f"read_csv('{varied}/families.csv', all_varchar=true)"
    dup = f"read_csv('{varied}/truth/duplicate_mothers.csv', all_varchar=true)"
    assert _q(
        f"""SELECT count(*) FILTER (concat_ws(' ', mother_surname, mother_given_name,
                                               mother_patronymic) <> mother_name),
                   count(*) FILTER (mother_surname IS NULL OR mother_given_name IS NULL)
            FROM {fam} WHERE family_id NOT IN (SELECT duplicate_family_id FROM {dup}
                                               WHERE kind = 'no_patronymic')"""
    ) == [(0, 0)]
    turned = _q(
        f"""SELECT d.mother_name = concat_ws(' ', d.mother_given_name, d.mother_surname),
                   d.mother_surname = o.mother_surname, d.mother_given_name = o.mother_given_name
            FROM {dup} t JOIN {fam} o USING (family_id)
            JOIN {fam} d ON d.family_id = t.duplicate_family_id
            WHERE t.kind = 'no_patronymic' AND o.mother_patronymic IS NULL"""
    )
    assert turned and all(r == (True, True, True) for r in turned)
    # sisters: one surname part, two given names
    hn = f"read_csv('{varied}/truth/hard_negatives.csv', all_varchar=true)"
    sisters = _q(
        f"""SELECT a.mother_surname = b.mother_surname, a.mother_given_name, b.mother_given_name
            FROM {hn} h JOIN {fam} a ON a.family_id = h.record_id
            JOIN {fam} b ON b.family_id = h.other_record_id WHERE h.kind = 'sisters'"""
    )
    assert sisters and all(r[0] for r in sisters)
    kids = f"read_csv('{varied}/children.csv', all_varchar=true)"
    assert _q(
        f"""SELECT count(*), count(*) FILTER (concat_ws(' ', child_surname, child_given_name)
                                              = name AND child_patronymic IS NULL)
            FROM {kids}"""
    )[0] == _q(f"SELECT count(*), count(*) FROM {kids}")[0]
