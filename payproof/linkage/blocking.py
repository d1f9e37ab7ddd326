"""Blocking keys: which pairs of records are ever compared.

A pair that shares no key is never scored, so a duplicate missed here is missed
for good whatever the model says. Each key is built to survive one kind of
damage the others do not: a typo in one word of the name (the other word + the
birth date), a missing or wrong birth date (name keys alone, the ID, contact and
address fields), a day and month swapped (the unordered date), a typo in the ID
(either half of it), a changed surname (given name + birth date). Every key is
capped: a value shared by more than ``BLOCK_CAP`` records (a common name with no
date, a clerk's phone on 200 families) is not used, so the number of compared
pairs stays near-linear in the registry size.

The national ID is the exception: it is meant to be one person's, so an ID on more
than ``BLOCK_CAP`` records is one person's long history (a record per year and
employer, a monthly re-registration) or an ID misused by many -- both must be
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

BLOCK_CAP = 30  # a key shared by more records than this is a red flag, not a blocking key

# (key column, SQL over the prepared base columns); NULL where a part is missing
KEYS: dict[str, str] = {
    "iin_block": "iin",
    "phone_block": "phone",
    "account_block": "account",
    "name_dob_block": "name_key || '|' || dob_unordered",
    "name_year_block": "name_sorted || '|' || birth_year",
    "iin_initials_block": "iin_head || '|' || name_initials",
    "first_dob_block": "word_first || '|' || dob_text",
    "last_dob_block": "word_last || '|' || dob_text",
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
}


def key_columns() -> str:
    """SELECT-list items that build every key (uncapped: see :func:`capped_keys`)."""
    return ", ".join(f"{expr} AS {name}" for name, expr in KEYS.items())


def capped_keys(table: str, cap: int = BLOCK_CAP) -> str:
    """``SELECT * REPLACE (...) FROM table`` items that null every key value shared by
    more than ``cap`` records of ``table``. A hash aggregate and a semi-join per key:
    on a million records about nine times faster than a window count per key."""
    return ", ".join(
        f"CASE WHEN {k} IN (SELECT {k} FROM {table} GROUP BY {k} HAVING count(*) > {cap}) "
        f"THEN NULL ELSE {k} END AS {k}"
        for k in KEYS
    )


# over-capped national IDs, compared in windows (two cuts, offset by half a window)
WINDOW_KEYS = ("iin_window_block", "iin_window2_block")


def window_keys(table: str, cap: int = BLOCK_CAP) -> str:
    """SELECT-list items for :data:`WINDOW_KEYS` over ``table`` (uncapped keys): the
    ID with the record's window number where more than ``cap`` records hold the ID,
    NULL elsewhere (the plain ``iin_block`` compares those)."""
    rank = ("row_number() OVER (PARTITION BY iin ORDER BY name_sorted NULLS LAST, "
            "unique_id) - 1")  # fmt: skip
    big = f"iin IN (SELECT iin FROM {table} GROUP BY iin HAVING count(*) > {cap})"
    return ", ".join(
        f"CASE WHEN {big} THEN iin || '|' || CAST(({rank} + {shift}) // {cap} AS VARCHAR) END "
        f"AS {k}"
        for k, shift in zip(WINDOW_KEYS, (0, cap // 2), strict=True)
    )


def blocking_rules(names: list[str] | None = None) -> list[BlockingRuleCreator]:
    """One Splink rule per key (all keys when ``names`` is None)."""
    return [block_on(k) for k in (names or list(KEYS))]
