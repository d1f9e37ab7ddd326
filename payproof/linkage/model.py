"""The Fellegi-Sunter model: comparisons, blocking rules and training rules for Splink.

Every comparison reads columns that :mod:`payproof.linkage.prepare` has already
normalised, and uses only Splink's own level types (exact, Jaro-Winkler,
Damerau-Levenshtein, date difference), so Splink writes the SQL for whichever
backend runs it: the same settings work on DuckDB and on Spark.

Each level has a short ``label`` (it becomes the evidence column in
duplicates.csv) and a starting m probability: EM refines the m values, but a
small registry with a handful of duplicates still gets sensible weights.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import splink.comparison_level_library as cll
from splink import SettingsCreator, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator

from payproof.linkage.blocking import KEYS, WINDOW_KEYS, blocking_rules
from payproof.linkage.iin import REASONS

__all__ = [
    "REASONS",
    "ModelSpec",
    "child_spec",
    "children_comparison",
    "household_comparison",
    "mother_spec",
    "settings_for",
]


def _level(creator, label: str, m: float | None = None, u: float | None = None, **fixed):
    """Label a level; ``m``/``u`` are starting values (``u`` stays when random sampling
    never sees the level, e.g. two different people sharing an IIN)."""
    opts = {"label_for_charts": label, **fixed}
    if m is not None:
        opts["m_probability"] = m
    if u is not None:
        opts["u_probability"] = u
    return creator.configure(**opts)


INVALID_SHARE = 0.02  # share of invalid IINs assumed when the data has not been counted


def id_comparison(
    col: str = "iin",
    valid_col: str | None = "iin_valid",
    *,
    near_serial: bool = True,
    invalid_share: float = INVALID_SHARE,
) -> ComparisonCreator:
    """National ID: exact, one edit (apart where a slip broke the check digit), the same
    birth part with a near serial, two different valid IINs, or different.

    A serial-digit typo with a recomputed check digit differs in two places, so the
    'near_serial' level compares the date+century head exactly and the serial loosely --
    only where the names agree: twin sisters carry consecutive serials of one birth
    date, and a slip that keeps the check digit valid is one slip in eleven. Two
    *different valid* IINs, each telling its record's own birth date, are two issued
    numbers: two people ('different_valid', m fixed at 5e-4, about -11 bits). A second
    record under an invented or borrowed IIN rarely looks like that (an invented number
    fails its check digit; a borrowed one tells someone else's birth date), so it falls
    to the milder 'different' level and its name, birth date and contact still count.
    With ``valid_col`` None (another country's plain IDs) the levels are exact (u fixed
    at a valid IIN's), one edit and different (both estimated).
    """
    # An IIN begins with the birth date, so 'same IIN' and 'same birth date' are not
    # independent evidence. For IINs the u values are therefore fixed at their chance
    # *given the same birth date* (serial of 4 digits): counting the date only once.
    # A slip that breaks the check digit is one edit from the true IIN; by chance an IIN is
    # one edit from an unrelated one of the same birth date ~4e-3 of the time, and only
    # where one of the two is invalid: u = 4e-3 x P(one side invalid), from the registry's
    # own share of invalid IINs (counted by prepare; 2 % when not counted).
    iin = near_serial
    share = min(max(invalid_share, 1e-3), 0.5)
    u = {"exact": 1e-4, "exact_invalid": 1e-4, "one_edit": 4e-3,
         "one_edit_invalid": 4e-3 * (1 - (1 - share) ** 2)}  # fmt: skip
    u = u if iin else {}
    fix = {"fix_u_probability": True} if iin else {}

    def lvl(creator, label: str, m: float):
        return _level(creator, label, m, u.get(label, 1e-8 if "exact" in label else 1e-7), **fix)

    levels = [cll.NullLevel(col)]
    if valid_col:
        valid = cll.CustomLevel(f'"{valid_col}_l" AND "{valid_col}_r"', base_dialect_str="duckdb")
        levels.append(lvl(cll.And(cll.ExactMatchLevel(col), valid), "exact", 0.85))
        levels.append(lvl(cll.ExactMatchLevel(col), "exact_invalid", 0.03))
        one_edit = cll.DamerauLevenshteinLevel(col, 1)
        levels.append(lvl(cll.And(one_edit, cll.Not(valid)), "one_edit_invalid", 0.1))
    else:
        # another country's number: one per person, so two people share it about as
        # rarely as two share a valid IIN and its birth date; fixed, since random pairs
        # of a small file count its own duplicates and make the ID look common
        levels.append(_level(cll.ExactMatchLevel(col), "exact", 0.88, 1e-4,
                             fix_u_probability=True))  # fmt: skip
    if near_serial:  # before one_edit: a valid slip keeping the check digit is one edit too
        levels.append(_near_serial(col))
        consistent = cll.CustomLevel('"iin_consistent_l" AND "iin_consistent_r"',
                                     base_dialect_str="duckdb")  # fmt: skip
        levels.append(_level(consistent, "different_valid", 5e-4, 0.9, fix_m_probability=True))
        levels.append(lvl(cll.DamerauLevenshteinLevel(col, 1), "one_edit", 0.04))
    else:
        levels.append(_level(cll.DamerauLevenshteinLevel(col, 1), "one_edit", 0.04))
    # a duplicate registration rarely carries a wholly different ID: m fixed, as for names
    levels.append(_level(cll.ElseLevel(), "different", 0.05, fix_m_probability=True))
    return _custom(col, levels, "National ID")


def near_serial_match(col: str = "iin"):
    """The same birth part, a serial one edit away and the same name (an IIN serial typo
    with a recomputed check digit)."""
    return cll.And(
        cll.ExactMatchLevel(f"{col}_head"), cll.DamerauLevenshteinLevel(f"{col}_serial", 1),
        cll.ExactMatchLevel("name_sorted"),
    )


def two_issued_ids(col: str = "iin"):
    """The ID comparison's 'different_valid' condition: two different valid IINs, each
    telling its own record's birth date, that are not a serial typo (``near_serial``)."""
    consistent = cll.CustomLevel(
        f'"{col}_consistent_l" AND "{col}_consistent_r" AND "{col}_l" <> "{col}_r"',
        base_dialect_str="duckdb",
    )
    # NOT near_serial, spelt so that a missing name reads as "not near_serial" (the level
    # does not hold then) instead of NULL
    not_near = cll.Or(
        cll.Not(cll.ExactMatchLevel(f"{col}_head")),
        cll.Not(cll.DamerauLevenshteinLevel(f"{col}_serial", 1)),
        cll.NullLevel("name_sorted"), cll.Not(cll.ExactMatchLevel("name_sorted")),
    )  # fmt: skip
    return cll.And(consistent, not_near)


def _near_serial(col: str):
    return _level(
        near_serial_match(col),
        "near_serial",
        0.04,
        4e-3,
        fix_u_probability=True,
    )


def name_parts_level():
    """Both records hold the name in parts: a surname and a given name each (a placeholder
    or initials only count as none). Only then do the structured tests apply; otherwise
    the pair is compared on the whole name exactly as before."""
    both = " AND ".join(f'"{c}_{s}" IS NOT NULL' for c in ("surname", "given_name")
                        for s in "lr")  # fmt: skip
    return cll.CustomLevel(both, base_dialect_str="duckdb")


GIVEN_NAMES_APART = 0.8  # Jaro-Winkler below this: two given names, not one mistyped


def given_names_differ():
    """Two different given names (the name in parts on both sides): not a typo (Jaro-Winkler
    < 0.8 after normalisation), not initials (pp_name_norm leaves none), and not the same
    words in other fields (a surname and a given name swapped is one name)."""
    return cll.And(name_parts_level(),
                   cll.Not(cll.JaroWinklerLevel("given_name", GIVEN_NAMES_APART)),
                   cll.Not(cll.ExactMatchLevel("name_sorted")))  # fmt: skip


def siblings_level():
    """One surname, two different given names: what sisters and twins look like -- and a
    married name (one given name, a new surname) does not."""
    return cll.And(cll.ExactMatchLevel("surname"), given_names_differ())


def name_comparison() -> ComparisonCreator:
    """Name: as typed, transliteration-equal, same words in any order, the same words
    but for initials (a middle initial left out), Jaro-Winkler, one
    word shared, one word close (a given name lost and the surname mistyped), different.

    The transliteration-equal level is adjusted for the name's frequency (Splink's term
    frequency adjustment): two records of a name borne by one woman in a hundred
    thousand are stronger evidence than two of the commonest name. 'One word shared'
    is a surname changed at marriage or a given name apart (sisters): weak evidence
    on its own, which the ID and the birth date decide (with the name in parts on both
    sides, the parts are compared too). 'different' has a fixed m
    (see :func:`given_name_comparison`).
    """
    shared = cll.CustomLevel(
        '"word_first_l" IN ("word_first_r", "word_last_r") '
        'OR "word_last_l" IN ("word_first_r", "word_last_r")',
        base_dialect_str="duckdb",
    )
    # with the name in parts on both sides, the same surname or the same given name, each
    # part normalised on its own (the whole name's spelling system is read from all its
    # words: a German w in one word changes how another is read)
    shared = cll.Or(shared, cll.And(name_parts_level(), cll.Or(
        cll.ExactMatchLevel("surname"), cll.ExactMatchLevel("given_name"))))  # fmt: skip
    return _custom(
        "name",
        [
            cll.NullLevel("name_norm"),
            _level(cll.ExactMatchLevel("name_raw", term_frequency_adjustments=True),
                   "exact", 0.55),
            _level(cll.ExactMatchLevel("name_norm", term_frequency_adjustments=True),
                   "translit_equal", 0.2),  # fmt: skip
            _level(cll.ExactMatchLevel("name_sorted"), "same_words", 0.1),
            _level(cll.ExactMatchLevel("name_long"), "same_words_but_initials", 0.05),
            _level(cll.JaroWinklerLevel("name_sorted", 0.94), "jw_0.94", 0.08),
            _level(cll.JaroWinklerLevel("name_sorted", 0.85), "jw_0.85", 0.04),
            _level(shared, "one_word_shared", 0.02),
            _level(cll.Or(cll.JaroWinklerLevel("word_first", 0.88),
                          cll.JaroWinklerLevel("word_last", 0.88)),
                   "one_word_close", 0.02),  # fmt: skip
            _level(cll.ElseLevel(), "different", 0.02, fix_m_probability=True),
        ],
        "Name",
    )


def given_name_comparison(col: str, m_different: float = 0.02) -> ComparisonCreator:
    """A single given name. 'different' has a fixed m: a clerk misspells a name but does
    not replace it, while twins and siblings differ exactly there -- left to EM, the
    weight for a different given name is learnt from twins and comes out far too mild.
    """
    return _custom(
        col,
        [
            cll.NullLevel(col),
            _level(cll.ExactMatchLevel(col), "exact", 0.85),
            _level(cll.JaroWinklerLevel(col, 0.92), "jw_0.92", 0.08),
            _level(cll.JaroWinklerLevel(col, 0.8), "jw_0.80", 0.05),
            cll.ElseLevel().configure(
                label_for_charts="different", m_probability=m_different, fix_m_probability=True
            ),
        ],
        f"Given name ({col})",
    )


TWIN_SHARE = 0.03  # chance that two different people of one household share a birth date
TWIN_M = 0.01  # chance that one person's two records share a household and date, not a name


def dob_comparison(
    m_different: float = 0.01,
    *,
    household: str | None = None,
    twin_share: float = TWIN_SHARE,
    id_col: str = "iin",
    near_address: str | None = None,
) -> ComparisonCreator:
    """Birth date: exact, day and month swapped, one typed digit wrong, within a month
    (the near levels only where the two records' IINs do not each confirm their own date).

    'different' has a fixed m: a mother and her daughter of the same name differ only
    there, and EM would otherwise learn a mild weight from such household pairs.

    With ``household`` (a column such as the family id, or a DuckDB SQL condition on the
    pair such as "same phone or same address"), an exact date
    *inside one household* is its own level whose u is fixed at ``twin_share``: among
    strangers a shared birth date is rare (about 1 in 10,000), but among the children of
    one family it is what twins look like. Twins carry two national IDs, so a pair with
    one ``id_col`` value is never read as twins. Counted at the strangers' rate, a shared
    birthday plus a shared household outweighs two different first names, and twins
    were merged (see docs/linkage.md).

    Where both records hold the name in parts (surname, given name), "the names differ"
    reads the given names (:func:`given_names_differ`): sisters of one surname differ
    there, while a married name keeps its given name and is never read as twins. With
    ``near_address`` (a column), an address close to the other (Jaro-Winkler >= 0.9: a
    typo) also counts as one household for two such records of one surname and two
    different given names (:func:`siblings_level`). Without parts on both sides the
    level is exactly the whole-name test.
    """
    levels = [cll.NullLevel("dob_text")]
    if household:
        together = (cll.ExactMatchLevel(household) if household.isidentifier() else
                    cll.CustomLevel(household, base_dialect_str="duckdb"))  # fmt: skip
        if near_address:  # sisters at one address mistyped in one record
            together = cll.Or(together, cll.And(cll.JaroWinklerLevel(near_address, 0.9),
                                                siblings_level()))  # fmt: skip
        # twins differ in their names; one person at one address keeps hers (a typo
        # aside: Jaro-Winkler 0.92 and above is read as the same name); with the name in
        # parts on both sides, twins differ in their given names
        other_name = cll.Or(
            given_names_differ(),
            cll.And(cll.Not(name_parts_level()),
                    cll.Not(cll.JaroWinklerLevel("name_sorted", 0.92))),
        )  # fmt: skip
        # ...and twins carry two national IDs: one ID and one birth date are one person
        # whatever the names say (a married name, a name replaced in the record)
        other_id = cll.CustomLevel(f'NOT coalesce("{id_col}_l" = "{id_col}_r", false)',
                                   base_dialect_str="duckdb")  # fmt: skip
        same = cll.And(cll.ExactMatchLevel("dob_text"), together, other_name, other_id)
        # m fixed too: one woman recorded twice in one household under two different
        # names is rare (a typo, a new surname), and EM sessions blocked on the name
        # never see such pairs, so they cannot estimate it
        levels.append(_level(same, "exact_same_household", TWIN_M, twin_share,
                             fix_u_probability=True, fix_m_probability=True))  # fmt: skip
    # a near date is read as a slip -- unless each record's own valid IIN tells its own
    # date and the IINs differ: then both dates are confirmed, and sisters born on 7 April
    # and 4 July are not one woman with a day and month swapped
    unconfirmed = cll.CustomLevel(
        f'NOT coalesce("{id_col}_consistent_l" AND "{id_col}_consistent_r" '
        f'AND "{id_col}_l" <> "{id_col}_r", false)',
        base_dialect_str="duckdb",
    )
    levels += [
        _level(cll.ExactMatchLevel("dob_text"), "exact", 0.9),
        _level(
            # written in DuckDB SQL: Splink transpiles it (Spark quotes names with ``)
            cll.And(cll.CustomLevel('"dob_swapped_l" = "dob_text_r"', base_dialect_str="duckdb"),
                    unconfirmed),  # fmt: skip
            "day_month_swapped",
            0.03,
        ),
        _level(cll.And(cll.DamerauLevenshteinLevel("dob_text", 1), unconfirmed), "one_digit", 0.03),
        _level(
            cll.And(cll.AbsoluteDateDifferenceLevel(
                "dob", input_is_string=False, threshold=31, metric="day"
            ), unconfirmed),  # fmt: skip
            "within_month",
            0.02,
        ),
        cll.ElseLevel().configure(
            label_for_charts="different", m_probability=m_different, fix_m_probability=True
        ),
    ]
    return _custom("dob", levels, "Birth date")


def household_comparison(
    columns: list[str], description: str = "Household", name: str = "household"
) -> ComparisonCreator:
    """Surname, address and postcode as *one* comparison: all, two, one or none agree.

    They are not independent evidence: every member of a household shares them, so
    three separate comparisons count "same household" three times, and mother and
    child, or twins, reach a match on household evidence alone. One comparison counts
    it once, and EM learns how often a person's own records disagree on part of it.
    """
    # starting u values stand where random pairs never agree (a million records with
    # unique phones); random sampling replaces them wherever agreement is seen
    exact = [cll.ExactMatchLevel(c) for c in columns]
    levels = [cll.And(*[cll.NullLevel(c) for c in columns]).configure(is_null_level=True)]
    levels.append(_level(cll.And(*exact), "all_same", 0.8, 1e-6))
    if len(columns) >= 3:
        two = [cll.And(cll.ExactMatchLevel(a), cll.ExactMatchLevel(b))
               for a, b in itertools.combinations(columns, 2)]  # fmt: skip
        levels.append(_level(cll.Or(*two), "most_same", 0.1, 1e-6))
    levels.append(_level(cll.Or(*exact), "some_same", 0.05, 1e-5))
    levels.append(_level(cll.ElseLevel(), "different", 0.05))
    return _custom(name, levels, f"{description} ({', '.join(columns)})")


def contact_comparison() -> ComparisonCreator:
    """Phone, bank account, address, postcode and settlement as *one* household
    comparison: contact and address, contact, address, address close (Jaro-Winkler 0.9),
    area (postcode or settlement), different. A shared phone or account is household
    evidence -- a husband's phone, one family account -- and a clerk's own phone on his
    ghosts; counted once, and the
    sharing itself is a red flag of its own (flags.py)."""
    def same(*cols: str):
        return cll.Or(*[cll.ExactMatchLevel(c) for c in cols]) if len(cols) > 1 else \
            cll.ExactMatchLevel(cols[0])

    cols = ["phone", "account", "address", "postcode", "settlement"]
    levels = [cll.And(*[cll.NullLevel(c) for c in cols]).configure(is_null_level=True)]
    levels.append(_level(cll.And(same("phone", "account"), same("address")),
                         "contact_and_address", 0.5, 1e-7))  # fmt: skip
    levels.append(_level(same("phone", "account"), "contact", 0.1, 1e-6))
    levels.append(_level(same("address"), "address", 0.2, 1e-5))
    # a house number left out or a street mistyped
    levels.append(_level(cll.JaroWinklerLevel("address", 0.9), "address_close", 0.1, 1e-4))
    levels.append(_level(same("postcode", "settlement"), "area", 0.1, 1e-3))
    levels.append(_level(cll.ElseLevel(), "different", 0.1))
    return _custom("contact", levels, f"Household ({', '.join(cols)})")


# A child shared by two different women (a grandmother, an aunt or a sister raising it,
# the father's record, a borrowed child) is counted at this rate, not at the random-pair
# rate: see children_comparison
CHILD_SHARED_U = {"two_or_more_shared": 1e-4, "one_shared": 1e-3}
CHILD_NONE_SHARED_M = 0.5  # one woman's two records, both listing children, none in common


def children_comparison(*, iin: bool = True) -> ComparisonCreator:
    """The children two mother records list (``child_ids``, ``child_names``: one key list
    per kind, from :func:`payproof.linkage.prepare.child_keys_sql`): two or more shared,
    one shared, none shared although both list children. Splink's array-intersection level
    on each list; a child matched by its ID and by its name counts once.

    A shared child says "one family", not "one woman": the different women who share a
    child -- a grandmother, an aunt or a sister with custody, the father's record, a
    fraudster's borrowed child -- are relatives who also share a surname and a home, so
    the evidence is not independent of the rest. It is therefore counted only where the
    two records already look like one woman, and weighs nothing ('not_counted', m = u)
    where they do not:

    * two issued IINs each telling its own birth date (the ID comparison's
      'different_valid': the hard negative stays a hard negative -- such a pair is
      ``child_in_two_families``, a red flag, not a duplicate);
    * names more than one edit apart (sorted, patronymic dropped: a sister, a
      grandmother, a married name too);
    * birth dates more than a year apart (a mother and a daughter; a date missing on
      either side is no contradiction).

    The u values are fixed, not counted: random pairs almost never share a child (at
    200,600 records, 1.5e-7 of pairs share a child key, most of them duplicates), so
    sampling sees none, and that rate (+22 bits) would let one shared child outweigh
    everything else. ``CHILD_SHARED_U`` is an upper bound for look-alike relatives; with m
    learnt by EM, one shared child adds about +8.6 bits and two or more about +13.3 (the
    generated 200,600 families), about what a birth date adds.
    'none_shared' has m fixed at 0.5 (about -1 bit): a second registration made for a
    child born later, or a ghost record with invented children, lists other children, and
    EM on generated data (where every duplicate lists the same children) would learn a
    weight that hides exactly those.
    """
    null = cll.And(cll.NullLevel("child_ids"), cll.NullLevel("child_names"))
    apart = [
        cll.Not(cll.DamerauLevenshteinLevel("name_sorted", 1)),
        cll.Not(cll.AbsoluteDateDifferenceLevel("dob", input_is_string=False, threshold=366,
                                                metric="day")),
    ]  # fmt: skip
    if iin:
        apart.insert(0, two_issued_ids("iin"))

    def shared(n: int):
        return cll.Or(cll.ArrayIntersectLevel("child_ids", n),
                      cll.ArrayIntersectLevel("child_names", n))  # fmt: skip

    fixed_u = {"fix_u_probability": True}
    return _custom(
        "children",
        [
            null.configure(is_null_level=True),
            _level(cll.Or(*apart), "not_counted", 0.5, 0.5, fix_m_probability=True, **fixed_u),
            _level(shared(2), "two_or_more_shared", 0.5, CHILD_SHARED_U["two_or_more_shared"],
                   **fixed_u),  # fmt: skip
            _level(shared(1), "one_shared", 0.4, CHILD_SHARED_U["one_shared"], **fixed_u),
            _level(cll.ElseLevel(), "none_shared", CHILD_NONE_SHARED_M,
                   1 - sum(CHILD_SHARED_U.values()), fix_m_probability=True, **fixed_u),
        ],
        "Children listed (national ID, or name and birth date)",
    )


def exact_comparison(
    col: str, description: str, m_exact: float = 0.7, *, fixed: bool = False
) -> ComparisonCreator:
    """Same or different; ``fixed`` keeps the m values out of EM (e.g. sex, which twins
    confound just as they confound given names)."""
    return _custom(
        col,
        [
            cll.NullLevel(col),
            cll.ExactMatchLevel(col).configure(
                label_for_charts="same",
                m_probability=m_exact,
                fix_m_probability=fixed,
                u_probability=1e-6,
            ),
            cll.ElseLevel().configure(
                label_for_charts="different", m_probability=1 - m_exact, fix_m_probability=fixed
            ),
        ],
        description,
    )


def _custom(name: str, levels: list, description: str) -> ComparisonCreator:
    from splink.comparison_library import CustomComparison

    return CustomComparison(
        comparison_levels=levels, output_column_name=name, comparison_description=description
    )


@dataclass
class ModelSpec:
    """What one dedupe model compares and how it blocks and trains."""

    name: str
    comparisons: list[ComparisonCreator]
    blocking: list[BlockingRuleCreator]
    deterministic: list[BlockingRuleCreator]  # near-certain matches, for the prior
    em_blocks: list[BlockingRuleCreator]
    recall: float = 0.8
    extra_columns: list[str] = field(default_factory=list)


def invalid_share(quality: dict) -> float:
    """Share of present IINs that fail validation, from :func:`prepare.quality` counts."""
    reasons = quality.get("iin", {})
    present = sum(v for k, v in reasons.items() if k != "missing")
    return (present - reasons.get("valid", 0)) / present if present else INVALID_SHARE


# same household: a shared phone, bank account or address (a condition on the pair)
SAME_HOUSEHOLD = " OR ".join(f'coalesce("{c}_l" = "{c}_r", false)'
                             for c in ("phone", "account", "address"))  # fmt: skip
MOTHER_KEYS = [*KEYS, *WINDOW_KEYS]
# EM sessions, each leaving some comparisons free: the birth date (names, ID, contact
# learnt on pairs that did not have to agree on them), the name (birth date, ID), the ID
EM_BLOCKS = [block_on("dob_text"), block_on("name_norm"), block_on("iin_block")]
# near-certain matches, counted for the prior: one ID or one name with one birth date,
# and one ID with one name -- without the last, records that lack a birth date (a bad
# export; a file that never held one) add none of their duplicates to the count and
# the prior comes out far too low: 4.7e-7 (-21 bits) where 7e-5 of the pairs of
# pseudopeople's census + W-2 file are one person, so an exact name and address
# without ID or date (+21 bits) stayed below the threshold
DETERMINISTIC = [block_on("iin_block", "dob_text"), block_on("name_norm", "dob_text"),
                 block_on("iin_block", "name_norm")]  # fmt: skip


# a child key shared (capped like every key, in prepare): last, since Splink excludes the
# pairs of the rules before an exploding rule but not the other way round
CHILD_BLOCK = block_on("child_block", arrays_to_explode=["child_block"])


def mother_spec(quality: dict | None = None) -> ModelSpec:
    """Mothers: ID, name, birth date, district, the household as one comparison, and --
    when the registry lists children -- the children two records share.

    Phone, account and address say "same household": one cause, counted once; and a
    birth date shared inside a household is counted at the twins' rate, because there
    it is what twin sisters look like.
    """
    quality = quality or {}
    plain = quality.get("id_scheme") == "plain"
    ids = (id_comparison(valid_col=None, near_serial=False) if plain
           else id_comparison(invalid_share=invalid_share(quality)))  # fmt: skip
    comparisons = [
        ids,
        name_comparison(),
        dob_comparison(household=SAME_HOUSEHOLD, near_address="address"),
        exact_comparison("district", "District", 0.7),
        contact_comparison(),
    ]
    blocking = blocking_rules(MOTHER_KEYS)
    if quality.get("children_listed"):  # the registry lists children (prepare counted them)
        comparisons.append(children_comparison(iin=not plain))
        blocking.append(CHILD_BLOCK)
    return ModelSpec(
        name="mothers",
        comparisons=comparisons,
        blocking=blocking,
        deterministic=DETERMINISTIC,
        em_blocks=EM_BLOCKS,
    )


CHILD_KEYS = ["iin_block", *WINDOW_KEYS, "name_dob_block", "name_year_block", "iin_initials_block",
              "end_dob_block", "end_dob2_block", "initials_dob_block", "name_key_block",
              "id_front_block", "id_back_block"]  # fmt: skip


def child_spec(quality: dict | None = None) -> ModelSpec:
    quality = quality or {}
    plain = quality.get("id_scheme") == "plain"
    ids = (id_comparison(valid_col=None, near_serial=False) if plain
           else id_comparison(invalid_share=invalid_share(quality)))  # fmt: skip
    return ModelSpec(
        name="children",
        comparisons=[ids, name_comparison(), dob_comparison(household="family_id")],
        blocking=blocking_rules(CHILD_KEYS),
        deterministic=DETERMINISTIC,
        em_blocks=[block_on("name_key", "dob_unordered"), block_on("iin_block")],
        extra_columns=["family_id"],
    )


def settings_for(spec: ModelSpec, *, link_type: str = "dedupe_only") -> SettingsCreator:
    """Splink settings for ``spec``; intermediate columns are kept for the waterfall."""
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="unique_id",
        comparisons=spec.comparisons,
        blocking_rules_to_generate_predictions=spec.blocking,
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        additional_columns_to_retain=spec.extra_columns,
        probability_two_random_records_match=1e-6,
    )
