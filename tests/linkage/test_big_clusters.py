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
