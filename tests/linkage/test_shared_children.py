"""The children two mother records list, as evidence in the mothers' model.

The 300-mother registry with its children (tests/linkage/children_data.py): a duplicate
that only its children give away is found, and children shared by two women who are two
people (sisters with custody of one child, namesakes with their own IINs) merge nothing.
"""

from __future__ import annotations

import math

import pytest

from payproof.engine import DuckDBEngine
from payproof.linkage.dedupe import dedupe_mothers
from tests.linkage.children_data import families_with_children


def _engine(fams, kids=None) -> DuckDBEngine:
    engine = DuckDBEngine()
    engine.register_arrow("families_arrow", fams)
    engine.materialise("families", "SELECT * FROM families_arrow")
    if kids is not None:
        engine.register_arrow("children_arrow", kids)
        engine.materialise("children", "SELECT * FROM children_arrow")
    return engine


@pytest.fixture(scope="module")
def runs(registry):
    fams, kids, truth = families_with_children(registry, background=3000)
    with_kids = _engine(fams, kids)
    on = dedupe_mothers(with_kids)
    without = _engine(fams, kids)
    off = dedupe_mothers(without, children=None)
    return (with_kids, on), (without, off), truth


def _clusters(engine) -> dict[str, str]:
    return dict(engine.rows("SELECT family_id, cluster_id FROM mother_clusters"))


def _pair(engine, a, b, cols="match_probability, iin, name, dob, children"):
    rows = engine.rows(
        f"SELECT {cols} FROM mother_pairs WHERE (family_id_l, family_id_r) IN ((?, ?), (?, ?))",
        [a, b, b, a],
    )
    return rows[0] if rows else None


def _duplicate_sets(engine) -> set:
    rows = engine.rows(
        "SELECT list(family_id ORDER BY family_id) FROM mother_clusters "
        "WHERE cluster_size > 1 GROUP BY cluster_id"
    )
    return {tuple(r[0]) for r in rows}


def test_serial_typo_of_a_common_name_is_found_by_its_children(runs):
    """The audit benchmark's miss: a valid serial typo, a common name and the same birth
    date, another district and phone -- under the threshold on its own, one woman with the
    two children both records list."""
    (on_engine, _), (off_engine, off), _ = runs
    assert _clusters(on_engine)["K1"] == _clusters(on_engine)["K2"]
    p, iin, name, dob, kids = _pair(on_engine, "K1", "K2")
    assert (iin, name, dob, kids) == ("near_serial", "exact", "exact", "two_or_more_shared")
    assert p >= 0.9
    # without the children the same pair stays under the threshold (the miss)
    assert _clusters(off_engine)["K1"] != _clusters(off_engine)["K2"]
    before = _pair(off_engine, "K1", "K2", "match_probability")
    assert before is None or before[0] < 0.9
    assert "children" not in [c["output_column_name"] for c in off.parameters["comparisons"]]


def test_every_duplicate_found_and_nothing_else(runs):
    (engine, res), _, truth = runs
    assert _duplicate_sets(engine) == truth
    # the relative N01 and the twenty namesakes list no children
    assert res.quality["children_listed"] == res.quality["records"] - 21


def test_sisters_sharing_a_child_in_custody_stay_apart(runs):
    (engine, _), _, _ = runs
    assert _clusters(engine)["S1"] != _clusters(engine)["S2"]
    pair = _pair(engine, "S1", "S2")
    assert pair is None or pair[4] == "not_counted"


def test_two_issued_iins_outweigh_a_shared_child(runs):
    """Namesakes born the same day, each with her own valid IIN, both listing one child:
    the hard negative holds, and the child is a red flag (child in two families), not
    evidence: it weighs nothing."""
    (engine, res), _, _ = runs
    assert _clusters(engine)["Q1"] != _clusters(engine)["Q2"]
    pair = _pair(engine, "Q1", "Q2")
    assert pair is None or (pair[1], pair[4]) == ("different_valid", "not_counted")
    from payproof.linkage.explain import explain_pair

    rows = explain_pair(engine, res, "Q1", "Q2")
    kids = [r for r in rows if r["column_name"] == "children"]
    assert [(r["label_for_charts"], r["log2_bayes_factor"]) for r in kids] == [("not_counted", 0)]


def test_learnt_weights_are_sane(runs):
    (_, res), _, _ = runs
    comp = next(c for c in res.parameters["comparisons"] if c["output_column_name"] == "children")
    w = {lvl["label_for_charts"]: math.log2(lvl["m_probability"] / lvl["u_probability"])
         for lvl in comp["comparison_levels"] if not lvl.get("is_null_level")}  # fmt: skip
    assert w["not_counted"] == 0
    assert 8 <= w["one_shared"] < w["two_or_more_shared"] <= 14  # about a birth date's weight
    assert -2 < w["none_shared"] < 0


def test_child_keys_ignore_placeholders_and_cap_wide_keys():
    """A placeholder child name gives no name key; a child ID listed by more families than
    the blocking cap is dropped (a red flag, not identity evidence)."""
    from datetime import date

    import pyarrow as pa

    from payproof.linkage.blocking import BLOCK_CAP
    from payproof.linkage.prepare import mothers_source, prepare

    n = BLOCK_CAP + 2
    fams = pa.table({"family_id": [f"F{k}" for k in range(n)],
                     "mother_name": [f"Мать{k} Тестова" for k in range(n)],
                     "mother_birth_date": pa.array([date(1980, 1, 1 + k % 28) for k in range(n)],
                                                   pa.date32())})  # fmt: skip
    kids = pa.table({
        "child_id": [f"C{k}" for k in range(n)] + ["P1", "P2"],
        "family_id": [f"F{k}" for k in range(n)] + ["F0", "F1"],
        "child_national_id": ["100405500235"] * n + [None, None],
        "name": ["Беков Арман"] * n + ["Мальчик", "Ахметов Ерлан"],
        "birth_date": pa.array([date(2010, 4, 5)] * n + [date(2011, 1, 1)] * 2, pa.date32()),
    })  # fmt: skip
    engine = _engine(fams, kids)
    q = prepare(engine, mothers_source(), "mother_records", "iin")
    got = dict(engine.rows("SELECT unique_id, child_names FROM mother_records "
                           "WHERE unique_id IN ('F0', 'F1')"))  # fmt: skip
    assert engine.rows("SELECT count(child_ids) FROM mother_records")[0][0] == 0  # capped
    assert got["F0"] is None  # "Беков Арман" too is in 32 families; "Мальчик" is no name
    assert got["F1"] == ["ahmetov erlan|2011-01-01"]
    assert q["children_listed"] == 1
