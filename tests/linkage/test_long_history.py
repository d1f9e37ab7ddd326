"""Records that lack a birth date, and one person's long history under one ID.

A bad export can lose the birth date; a registry can hold a record per year and
employer, or a monthly re-registration, so one ID sits on dozens of records. None of
that may make a pair unreachable, push the prior down to nothing, or break one
person's records apart because two of them share only a name.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from payproof.engine import DuckDBEngine
from payproof.linkage.blocking import BLOCK_CAP, RECORD_CAP, WINDOW_KEYS
from payproof.linkage.dedupe import dedupe_mothers
from payproof.linkage.split import SPLIT_BELOW, kept_apart
from tests.linkage.test_hard_cases import iin

HISTORY = RECORD_CAP + 15  # records under one ID: more than RECORD_CAP
BORN = date(1988, 5, 23)
ID = iin(BORN, 4117) or iin(BORN, 4118)
NAME = "Тлеубердиева Карлыгаш Маратовна"
STREETS = ["ул. Абая 10", "мкр Самал 2, д 7", "ул. Сатпаева 3", "пр. Достык 91",
           "ул. Жибек жолы 40"]  # fmt: skip


def _load(engine: DuckDBEngine, rows: list[dict], cols: list[str]) -> None:
    data = {c: [r.get(c) for r in rows] for c in cols}
    if "mother_birth_date" in data:
        data["mother_birth_date"] = pa.array(data["mother_birth_date"], pa.date32())
    engine.register_arrow("families_arrow", pa.table(data))
    engine.materialise("families", "SELECT * FROM families_arrow")


@pytest.fixture(scope="module")
def history(registry):
    """The 300-mother registry plus one woman's 135 records under one ID, no birth date,
    moving house every 27 records, a typo in some names -- and one more record of
    her with a birth date and no ID (another office's register)."""
    table, _ = registry
    rows = table.to_pylist()
    for k in range(HISTORY):
        name = NAME if k % 7 else NAME.replace("Карлыгаш", "Карлыгащ")
        rows.append({"family_id": f"H{k:03d}", "mother_id": ID, "mother_name": name,
                     "mother_birth_date": None,
                     "address": STREETS[k * len(STREETS) // HISTORY]})  # fmt: skip
    rows.append({"family_id": "H999", "mother_id": None, "mother_name": NAME,
                 "mother_birth_date": BORN, "address": STREETS[0]})  # fmt: skip
    engine = DuckDBEngine()
    _load(engine, rows, [*table.column_names, "address"])
    res = dedupe_mothers(engine)
    cluster = dict(engine.rows("SELECT family_id, cluster_id FROM mother_clusters"))
    return engine, res, cluster


def test_an_id_on_many_records_is_compared_in_windows(history):
    engine, res, _ = history
    assert HISTORY > RECORD_CAP
    rows = engine.rows(
        f"SELECT unique_id, iin_block, {', '.join(WINDOW_KEYS)} FROM mother_records "
        "WHERE unique_id LIKE 'H%' AND iin IS NOT NULL ORDER BY name_sorted, unique_id"
    )
    assert len(rows) == HISTORY
    assert all(r[1] is None for r in rows)  # the plain ID key is capped...
    # ...and every record shares a window with its neighbour in the sort
    for a, b in zip(rows, rows[1:], strict=False):
        assert a[2] == b[2] or a[3] == b[3]
    # windows hold at most BLOCK_CAP records, and only over-capped IDs get them
    for k in WINDOW_KEYS:
        assert engine.rows(f"SELECT max(n) FROM (SELECT count(*) n FROM mother_records "
                           f"WHERE {k} IS NOT NULL GROUP BY {k})")[0][0] <= BLOCK_CAP  # fmt: skip
        assert engine.rows(f"SELECT count(*) FROM mother_records WHERE {k} IS NOT NULL "
                           "AND unique_id NOT LIKE 'H%'")[0][0] == 0  # fmt: skip
    assert res.quality["iin_shared_too_widely"] == HISTORY  # still reported


def test_one_persons_long_history_is_one_cluster(history):
    _, _, cluster = history
    assert len({cluster[f"H{k:03d}"] for k in range(HISTORY)} | {cluster["H999"]}) == 1
    # and nobody else joined her
    assert sum(1 for c in cluster.values() if c == cluster["H000"]) == HISTORY + 1


def test_a_registry_without_birth_dates_still_counts_its_duplicates_for_the_prior(registry):
    """Deterministic rules that need a birth date see none of the duplicates of a file
    without one; one ID with one name does. The IDs are another country's numbers
    (an IIN would give its birth date back)."""
    table, _ = registry
    rows = [
        {**r, "mother_id": f"{100_000_000 + 7919 * k}"}
        for k, r in enumerate(table.to_pylist())
        if r["family_id"].startswith("F")
    ][:300]
    rows += [{**r, "family_id": f"X{k:03d}"} for k, r in enumerate(rows[:30])]
    engine = DuckDBEngine()
    _load(engine, rows, ["family_id", "mother_id", "mother_name"])
    res = dedupe_mothers(engine)
    assert res.quality["id_scheme"] == "plain" and res.quality["birth_date_missing"] == 330
    # counted, not the fallback "no deterministic matches; assumed 0.3 %"
    assert not any(n.startswith("prior:") for n in res.training_notes)
    cluster = dict(engine.rows("SELECT family_id, cluster_id FROM mother_clusters"))
    assert all(cluster[f"X{k:03d}"] == cluster[r["family_id"]] for k, r in enumerate(rows[:30]))


def test_kept_apart_needs_evidence_against_not_a_lack_of_evidence():
    prior = -14.0  # bits: ~7e-5 of pairs are one person
    # a name in common and nothing else known: +7 bits of evidence, p 0.8 %
    assert not kept_apart(0.008, -7.0, prior)
    # twins: two valid IDs and two given names weigh against one person
    assert kept_apart(1e-6, -20.0, prior)
    assert kept_apart(0.005, prior, prior)  # nothing for, nothing against: no evidence
    assert not kept_apart(SPLIT_BELOW, -30.0, prior)  # likely enough: never kept apart
