"""Blocking keys: which pairs of records are ever compared.

A pair that shares no key is never scored, so a duplicate missed here is missed
for good whatever the model says. Each key is built to survive one kind of
damage the others do not: a typo in one word of the name (the other word + the
birth date), a missing or wrong birth date (name keys alone, the ID, contact and
address fields), a day and month swapped (the unordered date), a typo in the ID
(either half of it), a changed surname (given name + birth date), a name whose
words were damaged or replaced (the birth date alone), a birth date damaged *and*
one name word damaged (the other end word + the first letter of the damaged one).

The two end words of the name (the surname and given name where the registry has
them in parts, each normalised on its own; else the first and last word) are keyed
in alphabetical order, not by position, so "Ivanova Anna" and "Anna Ivanova" and a
record with parts against one without meet on the same key.

Every key is capped: a value shared by more than ``BLOCK_CAP`` *people* (a common
name with no date, a clerk's phone on 200 families) is not used, so the number of
compared pairs stays near-linear in the registry size. People, not records, are
counted (one person is one ID, name and birth date: :data:`PERSON_KEY`): one
person's twenty forms under one name, or a household's forty forms at one address,
are few people, and capping them by records left exactly those duplicates
unreachable. A value on more than ``RECORD_CAP`` records is capped whatever it
holds, so no key compares a record with more than ``RECORD_CAP`` others.

The national ID is the exception: it is meant to be one person's, so an ID over the
cap is one person's very long history or an ID misused by many -- both must be
compared, and dropping the key left every one of those records unreachable. Such
an ID's records are compared in windows instead (:func:`window_keys`): sorted by
name, cut into runs of ``BLOCK_CAP`` records twice, the second cut offset by half
a run, so each record meets its neighbours in the sort and a chain of matches joins
the whole group, at about ``BLOCK_CAP`` pairs per record.

Keys are plain columns built in SQL by :func:`key_columns`, so Splink's
``block_on`` renders them for any backend.
"""

from __future__ import annotations

from splink import block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator

BLOCK_CAP = 30  # a key shared by more people than this is a red flag, not a blocking key
RECORD_CAP = 4 * BLOCK_CAP  # ...and one on more records than this is capped whatever it holds
# one person, for the cap: one name and birth date, whatever ID each record gives (a
# name under many IDs is one person counted once: a worker's forms each under another
# made-up number, or one name on many IDs -- the ghost an audit looks for); a record
# without a name counts by its ID and birth date, one with none of them alone
PERSON_KEY = ("CASE WHEN name_sorted IS NOT NULL THEN hash(name_sorted, dob_text) "
              "WHEN iin IS NULL AND dob_text IS NULL THEN hash(unique_id) "
              "ELSE hash(iin, dob_text) END")  # fmt: skip

# the name's two end words: the parts where both are given (each normalised on its
# own), else the first and last word; in alphabetical order (see the module doc)
_PARTS = "surname IS NOT NULL AND given_name IS NOT NULL"
_END_A = f"CASE WHEN {_PARTS} THEN surname ELSE word_first END"
_END_B = f"CASE WHEN {_PARTS} THEN given_name ELSE word_last END"
END_LO, END_HI = f"least({_END_A}, {_END_B})", f"greatest({_END_A}, {_END_B})"
# the name's ends where one-letter words (initials) are never an end: "Emily S" (the
# surname missing) has one end word, emily, not emily and s. By role: the given name
# (else the first word) and the surname (else the last word); and in alphabetical order
# (a record whose words came in the other order). A word that is the only one left fills
# both.
GIVEN = f"CASE WHEN {_PARTS} THEN given_name ELSE long_words[1] END"
SURNAME = f"CASE WHEN {_PARTS} THEN surname ELSE long_words[-1] END"
LONG_LO, LONG_HI = f"least({GIVEN}, {SURNAME})", f"greatest({GIVEN}, {SURNAME})"
MIDDLE = "letters[1]"

# (key column, SQL over the prepared base columns); NULL where a part is missing
KEYS: dict[str, str] = {
    "iin_block": "iin",
    "phone_block": "phone",
    "account_block": "account",
    "name_dob_block": "name_key || '|' || dob_unordered",
    "name_year_block": "name_sorted || '|' || birth_year",
    "iin_initials_block": "iin_head || '|' || name_initials",
    "end_dob_block": f"{END_LO} || '|' || dob_text",
    "end_dob2_block": f"{END_HI} || '|' || dob_text",
    "initials_dob_block": "name_initials || '|' || dob_unordered",
    "name_key_block": "name_key",
    "id_front_block": "id_front || '|' || left(name_initials, 1)",
    "id_back_block": "id_back",
    "address_block": "address || '|' || coalesce(postcode, settlement, '')",
    "address_name_block": "address || '|' || left(name_initials, 1)",
    "postcode_word_block": "postcode || '|' || word_last",
    "postcode_first_block": "postcode || '|' || word_first",
    "postcode_dob_block": "postcode || '|' || dob_unordered",
    "settlement_dob_block": "settlement || '|' || dob_unordered",
    "settlement_name_block": "settlement || '|' || name_key",
    # a name and a birth date both damaged: one end word and the other's first letter
    "end_initial_block": f"{END_LO} || '|' || left({END_HI}, 1)",
    "end_initial2_block": f"{END_HI} || '|' || left({END_LO}, 1)",
    # one name word missing, mistyped or replaced by a fake one, and no birth date, ID or
    # address in common: the other end word + the middle initial, the end word taken by
    # role and by alphabetical order (one record's given name may be the other's first
    # or second word in alphabetical order, once the other word is damaged)
    "given_middle_block": f"{GIVEN} || '|' || {MIDDLE}",
    "surname_middle_block": f"{SURNAME} || '|' || {MIDDLE}",
    "end_middle_block": f"{LONG_LO} || '|' || {MIDDLE}",
    "end_middle2_block": f"{LONG_HI} || '|' || {MIDDLE}",
    # the same at a shared address (a household's or a big building's, too many people
    # for the address alone): the address + the given name or the surname
    "address_given_block": f"address || '|' || {GIVEN}",
    "address_surname_block": f"address || '|' || {SURNAME}",
    # the name damaged or replaced and no ID or address in common: the birth date alone
    # (either order), kept only where few people share it (a small registry)
    "dob_block": "dob_unordered",
}


def key_columns() -> str:
    """SELECT-list items that build every key (uncapped: see :func:`capped_keys`)."""
    return ", ".join(f"{expr} AS {name}" for name, expr in KEYS.items())


def over_cap(key: str, table: str, cap: int = BLOCK_CAP, records: int = RECORD_CAP) -> str:
    """SQL: the record's ``key`` value is shared by more than ``cap`` people (distinct
    ``person_key``) or more than ``records`` records of ``table``."""
    return (f"{key} IN (SELECT {key} FROM {table} GROUP BY {key} "
            f"HAVING count(*) > {records} OR count(DISTINCT person_key) > {cap})")  # fmt: skip


def capped_keys(table: str, cap: int = BLOCK_CAP, records: int = RECORD_CAP) -> str:
    """``SELECT * REPLACE (...) FROM table`` items that null every key value shared by
    more than ``cap`` people or ``records`` records of ``table`` (which holds
    ``person_key``: :data:`PERSON_KEY`). A hash aggregate and a semi-join per key: on a
    million records about nine times faster than a window count per key."""
    return ", ".join(
        f"CASE WHEN {over_cap(k, table, cap, records)} THEN NULL ELSE {k} END AS {k}" for k in KEYS
    )


# over-capped national IDs, compared in windows (two cuts, offset by half a window)
WINDOW_KEYS = ("iin_window_block", "iin_window2_block")


def window_keys(table: str, cap: int = BLOCK_CAP, records: int = RECORD_CAP) -> str:
    """SELECT-list items for :data:`WINDOW_KEYS` over ``table`` (uncapped keys): the
    ID with the record's window number where the ID is over the cap (more than ``cap``
    people or ``records`` records hold it), NULL elsewhere (the plain ``iin_block``
    compares those)."""
    rank = ("row_number() OVER (PARTITION BY iin ORDER BY name_sorted NULLS LAST, "
            "unique_id) - 1")  # fmt: skip
    big = over_cap("iin", table, cap, records)
    return ", ".join(
        f"CASE WHEN {big} THEN iin || '|' || CAST(({rank} + {shift}) // {cap} AS VARCHAR) END "
        f"AS {k}"
        for k, shift in zip(WINDOW_KEYS, (0, cap // 2), strict=True)
    )


def blocking_rules(names: list[str] | None = None) -> list[BlockingRuleCreator]:
    """One Splink rule per key (all keys when ``names`` is None)."""
    return [block_on(k) for k in (names or list(KEYS))]
