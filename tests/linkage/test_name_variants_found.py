"""On a generated programme with --name-variants and --hard-negatives, the mothers' dedupe
finds every duplicate written in another script or transliteration even without its IIN,
and merges no namesakes.

Sisters, twins and married names are reported by the benchmark, not asserted here: they
depend on the model's weights (docs/linkage.md), not on normalisation alone.
"""

from __future__ import annotations

from datetime import date

import pytest

from payproof.engine import DuckDBEngine
from payproof.ingest import load_input
from payproof.linkage.dedupe import dedupe_mothers
from payproof.scenario.config import ScenarioConfig
from payproof.scenario.generate import generate_scenario
from payproof.scenario.names import ROMANISATIONS

SPELT = ", ".join(f"'{k}'" for k in [*ROMANISATIONS, "homoglyph"])


@pytest.fixture(scope="module")
def deduped(tmp_path_factory):
    root = tmp_path_factory.mktemp("variants")
    generate_scenario(root, ScenarioConfig(families=4000, months=3, seed=11,
                                           duplicate_mother_rate=0.04, name_variant_share=0.8,
                                           hard_negative_rate=0.01))  # fmt: skip
    engine = DuckDBEngine(memory_limit="1GB")
    load_input(root, engine, today=date.today())
    engine.materialise("dups", f"SELECT * FROM read_csv('{root}/truth/duplicate_mothers.csv')")
    engine.materialise("hard", f"SELECT * FROM read_csv('{root}/truth/hard_negatives.csv')")
    # a Latin-script record without an IIN must still meet its Cyrillic twin: the spelt
    # duplicates lose their IIN, so only the name and birth date can link them
    engine.execute(
        f"""UPDATE families SET mother_id = NULL WHERE family_id IN
            (SELECT duplicate_family_id FROM dups WHERE kind IN ({SPELT}))"""
    )
    dedupe_mothers(engine)
    yield engine
    engine.close()


def test_every_transliterated_or_homoglyph_duplicate_is_found_without_its_iin(deduped):
    kinds = SPELT
    missed = deduped.rows(
        f"""SELECT d.kind, d.family_id, d.duplicate_family_id FROM dups d
            LEFT JOIN mother_clusters a ON a.family_id = d.family_id
            LEFT JOIN mother_clusters b ON b.family_id = d.duplicate_family_id
            WHERE d.kind IN ({kinds}) AND coalesce(a.cluster_id, d.family_id)
                  <> coalesce(b.cluster_id, d.duplicate_family_id)"""
    )
    found = deduped.scalar(f"SELECT count(*) FROM dups WHERE kind IN ({kinds})")
    assert found > 50 and missed == []


def test_no_namesakes_are_merged(deduped):
    merged = deduped.rows(
        """SELECT h.record_id, h.other_record_id FROM hard h
           JOIN mother_clusters a ON a.family_id = h.record_id
           JOIN mother_clusters b ON b.family_id = h.other_record_id
           WHERE h.kind = 'namesakes' AND a.cluster_id = b.cluster_id"""
    )
    assert deduped.scalar("SELECT count(*) FROM hard WHERE kind = 'namesakes'") > 20
    assert merged == []
