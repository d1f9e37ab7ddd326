"""Big clusters are checked too: the split rescores distinct records, not every record.

A household's tax forms chain: a form filed under a spouse's ID joins the two
spouses' histories, each a hundred forms long, into one cluster of hundreds of
records. Every pair of such a cluster is tens of thousands of pairs, but its records
are a handful of distinct ones (one person's forms differ in nothing the model
reads), and the check scores only pairs of distinct records.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from payproof.engine import DuckDBEngine
from payproof.linkage.dedupe import dedupe_mothers
from payproof.linkage.split import split_contradicted
from tests.linkage.test_hard_cases import iin

FORMS = 120  # records per woman: together more than the old limit of 200 records
ADDRESS = "ул. Абая 10"
A_BORN, B_BORN = date(1975, 3, 14), date(1981, 11, 2)
A_ID = iin(A_BORN, 4211) or iin(A_BORN, 4212)
B_ID = iin(B_BORN, 4511) or iin(B_BORN, 4512)
A_NAME, B_NAME = "Жумабаева Гульнара", "Жумабаева Сауле"


def _engine(registry, rows: list[dict]) -> DuckDBEngine:
    table, _ = registry
    base = table.to_pylist()
    cols = [*table.column_names, "address"]
    data = {c: [r.get(c) for r in base + rows] for c in cols}
    data["mother_birth_date"] = pa.array(data["mother_birth_date"], pa.date32())
    engine = DuckDBEngine()
    engine.register_arrow("families_arrow", pa.table(data))
    engine.materialise("families", "SELECT * FROM families_arrow")
    return engine


def _form(fid, mid, name, born=None) -> dict:
    return {"family_id": fid, "mother_id": mid, "mother_name": name,
            "mother_birth_date": born, "address": ADDRESS}  # fmt: skip


def household_rows() -> list[dict]:
    """Two sisters-in-law at one address, 120 forms each under her own ID, and three
    forms of the second filed under the first one's ID."""
    rows = [_form(f"A{k:03d}", A_ID, A_NAME, A_BORN if k % 2 else None) for k in range(FORMS)]
    rows += [_form(f"B{k:03d}", B_ID, B_NAME, B_BORN if k % 2 else None) for k in range(FORMS)]
    return rows + [_form(f"C{k}", A_ID, B_NAME) for k in range(3)]


@pytest.fixture(scope="module")
def household(registry):
    """Two sisters-in-law at one address, 120 forms each under her own ID, three forms
    of the second filed under the first one's ID -- and a cluster that chained all of
    them (as a noisier file's chain of matches does): ``chain`` (node, label)."""
    engine = _engine(registry, household_rows())
    res = dedupe_mothers(engine)
    engine.execute(
        "CREATE TEMP TABLE chain AS SELECT unique_id AS node, CASE WHEN "
        "regexp_matches(unique_id, '^[ABC]') THEN 'A000' ELSE unique_id END AS label "
        "FROM mother_records"
    )
    return engine, res


def test_a_big_chained_cluster_is_split_into_its_people(household):
    engine, res = household
    args = (engine, res.linker, res.records_table, "chain", res.threshold)
    relabel, split, unchecked = split_contradicted(*args)
    assert (split, unchecked) == (1, 0)  # 243 records: over the old limit of 200, checked
    label = dict(zip(*relabel.to_pydict().values(), strict=True))
    a = {label[f"A{k:03d}"] for k in range(FORMS)} | {label[f"C{k}"] for k in range(3)}
    b = {label[f"B{k:03d}"] for k in range(FORMS)}
    assert a == {"A000"} and b == {"B000"}  # the chain forms go with the ID they share
    # a handful of distinct records was scored: each woman's forms with and without
    # the birth date she was given, and the chain's form
    units = engine.rows("SELECT count(DISTINCT unit), count(*) FROM lk_split_units "
                        "WHERE pp_cluster = 'A000'")[0]  # fmt: skip
    assert units[1] == 2 * FORMS + 3 and units[0] <= 5
    # the run itself: the two women are two clusters, nothing left unchecked
    cluster = dict(engine.rows("SELECT family_id, cluster_id FROM mother_clusters"))
    assert cluster["A000"] != cluster["B000"]
    assert res.counts["clusters_not_checked"] == 0


def test_the_batches_do_not_change_the_clusters(household):
    """Scoring a cluster at a time (a batch of one pair) gives what one batch gives;
    a cluster of more distinct records than the limit is left unchecked and counted."""
    engine, res = household
    args = (engine, res.linker, res.records_table, "chain", res.threshold)
    whole, split, _ = split_contradicted(*args)
    small, split_small, _ = split_contradicted(*args, batch_pairs=1)
    assert sorted(zip(*whole.to_pydict().values(), strict=True)) == sorted(
        zip(*small.to_pydict().values(), strict=True)
    )
    assert split == split_small == 1
    none, split_none, unchecked = split_contradicted(*args, max_size=1)
    assert (none.num_rows, split_none) == (0, 0) and unchecked >= 1


def test_one_persons_long_history_stays_one_big_cluster(registry):
    """250 records of one woman -- one ID, moves, a typo in the name, some without a
    birth date -- are one cluster, checked (no longer too big), and not split."""
    streets = ["ул. Абая 10", "мкр Самал 2, д 7", "ул. Сатпаева 3", "пр. Достык 91"]
    rows = []
    for k in range(250):
        name = A_NAME if k % 9 else A_NAME.replace("Гульнара", "Гулнара")
        rows.append({"family_id": f"H{k:03d}", "mother_id": A_ID, "mother_name": name,
                     "mother_birth_date": A_BORN if k % 3 else None,
                     "address": streets[k % 4]})  # fmt: skip
    engine = _engine(registry, rows)
    res = dedupe_mothers(engine)
    cluster = dict(engine.rows("SELECT family_id, cluster_id FROM mother_clusters"))
    assert len({cluster[f"H{k:03d}"] for k in range(250)}) == 1
    assert sum(1 for c in cluster.values() if c == cluster["H000"]) == 250
    assert res.counts["clusters_not_checked"] == 0 and res.counts["clusters_split"] == 0


# -- a cluster of more distinct records than the check affords is cut, then checked --

STREETS = [ADDRESS, "мкр Самал 2, д 7", "ул. Сатпаева 3"]
TYPO = {A_NAME: A_NAME.replace("Гульнара", "Гулнара"), B_NAME: B_NAME.replace("Сауле", "Сауля")}


def varied_rows() -> list[dict]:
    """Each sister-in-law's forms in 6 distinct records (the name with and without a
    typo, at three addresses: a move; with and without the birth date, which her IIN
    gives anyway), three forms of each, and three forms of the second filed under the
    first one's ID: 75 forms, 13 distinct records."""
    rows = []
    for who, mid, name, born in (("A", A_ID, A_NAME, A_BORN), ("B", B_ID, B_NAME, B_BORN)):
        variants = [(n, b, s) for n in (name, TYPO[name]) for b in (born, None) for s in STREETS]
        for k, (n, b, s) in enumerate(v for v in variants for _ in range(3)):
            rows.append({"family_id": f"{who}{k:03d}", "mother_id": mid, "mother_name": n,
                         "mother_birth_date": b, "address": s})  # fmt: skip
    return rows + [_form(f"C{k}", A_ID, B_NAME) for k in range(3)]


STRANGERS = [f"F{k:04d}" for k in range(10)]  # ten registry women, no one's duplicate


@pytest.fixture(scope="module")
def chained(registry):
    """The two women's forms chained into one cluster with ten strangers, and the pairs
    the cluster was made of: the real matched pairs, one weak match (p 0.95, 4 bits)
    between a chain form and the second woman -- the kind of link that chains a
    household's members in a noisy file -- and weaker ones (3 bits) from the first
    woman to each stranger."""
    engine = _engine(registry, varied_rows())
    res = dedupe_mothers(engine)
    strangers = ", ".join(f"'{s}'" for s in STRANGERS)
    engine.execute(
        "CREATE TEMP TABLE chain AS SELECT unique_id AS node, CASE WHEN "
        f"regexp_matches(unique_id, '^[ABC]') OR unique_id IN ({strangers}) THEN 'A000' "
        "ELSE unique_id END AS label FROM mother_records"
    )
    engine.execute(
        f"""CREATE TEMP TABLE chain_pairs AS
            SELECT family_id_l AS unique_id_l, family_id_r AS unique_id_r, match_probability,
                   match_weight FROM mother_pairs
            UNION ALL SELECT 'B000', 'C0', 0.95, 4.0
            UNION ALL SELECT 'A000', s, 0.92, 3.0 FROM unnest([{strangers}]) t(s)"""
    )
    return engine, res


def _split(chained, **kw) -> tuple[dict[str, str], int, int]:
    engine, res = chained
    relabel, split, unchecked = split_contradicted(
        engine, res.linker, res.records_table, "chain", res.threshold, **kw
    )
    return dict(zip(*relabel.to_pydict().values(), strict=True)), split, unchecked


def _people(label: dict[str, str]) -> tuple[set, set, set]:
    a = {label[f"A{k:03d}"] for k in range(36)} | {label[f"C{k}"] for k in range(3)}
    return a, {label[f"B{k:03d}"] for k in range(36)}, {label[s] for s in STRANGERS}


def test_a_cluster_over_the_limit_is_cut_at_its_weak_links_and_checked(chained):
    """23 distinct records over a limit of 20, cut into pieces of at most 8: each woman
    (6 distinct records, 7 with the chain forms) whole in one piece -- her own matches
    are the strongest, joined first -- and the weak links are what is cut. Nothing is
    left unchecked."""
    label, split, unchecked = _split(chained, max_size=20, piece_size=8, pairs="chain_pairs")
    assert (split, unchecked) == (1, 0)
    a, b, strangers = _people(label)
    assert (a, b) == ({"A000"}, {"B000"})  # labels: the smallest record id
    # the first woman's piece had room for one stranger (8 = 7 + 1), whom the check put
    # apart; the nine others are pieces of their own
    assert strangers == set(STRANGERS)
    engine, _ = chained
    assert engine.rows("SELECT units, pieces FROM lk_split_cut") == [(23, 11)]
    # without the pairs it was made of, such a cluster is left as it is, and counted
    assert _split(chained, max_size=20) == ({}, 0, 1)


def test_the_pieces_go_through_the_check(chained):
    """A piece may still hold two people: pieces of up to 20 take both women (joined
    through the chain form) and seven strangers, and the pairwise check splits that
    piece as it splits any cluster -- the chain forms with the ID they share, each
    stranger alone."""
    label, split, unchecked = _split(chained, max_size=20, piece_size=20, pairs="chain_pairs")
    assert (split, unchecked) == (1, 0)
    a, b, strangers = _people(label)
    assert (a, b, strangers) == ({"A000"}, {"B000"}, set(STRANGERS))
    engine, _ = chained
    assert engine.rows("SELECT units, pieces FROM lk_split_cut") == [(23, 4)]


def test_the_cut_is_deterministic(chained):
    """The same labels on every run and in every batching: pairs are joined by weight,
    ties by the units' ids, and a piece is named by its smallest record."""
    runs = [_split(chained, max_size=5, piece_size=3, pairs="chain_pairs", batch_pairs=b)
            for b in (1, 1_000_000, 1_000_000)]  # fmt: skip
    assert runs[0] == runs[1] == runs[2]
    label, split, unchecked = runs[0]
    assert unchecked == 0 and split == 1
    groups: dict[str, set[str]] = {}
    for node, lab in label.items():
        groups.setdefault(lab, set()).add(node)
    assert all(lab == min(nodes) for lab, nodes in groups.items())
    assert len(groups) >= 2 + 2 + 10  # pieces of at most 3 distinct records: each woman cut


def test_capped_single_linkage_cuts_the_weakest_joins():
    from payproof.linkage.split import _capped_single_linkage

    # two triangles (0-1-2, 3-4-5), strong inside, joined by one weak edge 2-3
    edges = [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (2, 3)]  # strongest first
    left, right = [a for a, _ in edges], [b for _, b in edges]
    assert len(set(_capped_single_linkage(6, left, right, 6))) == 1  # no cap: one piece
    root = _capped_single_linkage(6, left, right, 5)
    assert root[0] == root[1] == root[2] != root[3] == root[4] == root[5]
    assert len(set(_capped_single_linkage(6, left, right, 1))) == 6


def test_a_run_checks_every_cluster(registry, monkeypatch):
    """Through dedupe itself with limits small enough to cut (5 distinct records checked
    whole, pieces of 4): nothing is left unchecked, the two cut clusters (each woman's,
    of 6 and 7 distinct records) are counted, and the matches cut lose ``is_match``."""
    from functools import partial

    import payproof.linkage.dedupe as dedupe

    monkeypatch.setattr(dedupe, "split_contradicted",
                        partial(split_contradicted, max_size=5, piece_size=4))  # fmt: skip
    engine = _engine(registry, varied_rows())
    res = dedupe.dedupe_mothers(engine)
    assert res.counts["clusters_not_checked"] == 0 and res.counts["clusters_cut"] == 2
    assert engine.rows(
        """SELECT max(n) FROM (SELECT count(DISTINCT s.unit) AS n FROM lk_split_units s
           JOIN mother_clusters c ON c.family_id = s.node GROUP BY c.cluster_id)"""
    ) == [(4,)]
    assert engine.rows(
        """SELECT count(*) FROM mother_pairs p JOIN mother_clusters l ON l.family_id = p.family_id_l
           JOIN mother_clusters r ON r.family_id = p.family_id_r
           WHERE p.is_match AND l.cluster_id <> r.cluster_id"""
    ) == [(0,)]


def test_the_console_says_when_chains_were_cut():
    from payproof.linkage.cli import _quality_lines

    q = {"iin": {"valid": 5, "missing": 0}, "name_missing": 0, "name_placeholder": 0,
         "name_unusable": 0, "name_mixed_script": 0, "birth_date_missing": 0,
         "columns_missing": []}  # fmt: skip
    said = " ".join(_quality_lines({"mothers": {"data_quality": q, "counts": {"clusters_cut": 1}}}))
    assert "1 chain of matches joined more than 2,000 distinct records" in said
    assert "pieces of at most 200" in said and "not checked" not in said
