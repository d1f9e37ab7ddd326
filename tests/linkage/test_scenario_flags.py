"""On a generated programme every injected red-flag case is found, and nothing else breaks."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from payproof.engine import DuckDBEngine
from payproof.ingest import load_input
from payproof.linkage.flags import compute_red_flags
from payproof.linkage.report import ghost_section
from payproof.linkage.stake import money_at_stake
from payproof.scenario.config import ScenarioConfig
from payproof.scenario.fraud import DUPLICATE_KINDS
from payproof.scenario.generate import generate_scenario
from payproof.scenario.redflags import RED_FLAG_KINDS


@pytest.fixture(scope="module")
def flagged(tmp_path_factory):
    root = tmp_path_factory.mktemp("ghosts")
    generate_scenario(root, ScenarioConfig(families=3000, seed=7))
    engine = DuckDBEngine(memory_limit="1GB")
    load_input(root, engine, today=date.today())
    compute_red_flags(engine, findings=None)
    money_at_stake(engine)
    yield root, engine
    engine.close()


def test_every_injected_case_is_flagged(flagged):
    root, engine = flagged
    truth = duckdb.read_csv(str(root / "truth/red_flags.csv"), all_varchar=True).fetchall()
    kinds = {t[0] for t in truth}
    assert kinds == set(RED_FLAG_KINDS)
    found = set(engine.rows("SELECT flag, family_id, coalesce(child_id, '') FROM red_flags"))
    missed = [t for t in truth if (t[0], t[1], t[2] or "") not in found]
    assert missed == []


def test_honest_records_rarely_raise_registry_flags(flagged):
    root, engine = flagged
    truth = duckdb.read_csv(str(root / "truth/red_flags.csv"), all_varchar=True).fetchall()
    injected = {(t[0], t[1]) for t in truth}
    extra = engine.rows(
        "SELECT flag, family_id FROM red_flags WHERE flag IN ('implausible_mother_age', "
        "'registered_after_death', 'too_many_children')"
    )
    assert [x for x in extra if x not in injected] == []


def test_duplicate_truth_records_the_variant(flagged):
    root, _ = flagged
    rows = duckdb.read_csv(str(root / "truth/duplicate_mothers.csv"), all_varchar=True)
    cols = rows.columns
    assert {"kind", "same_mother_id", "same_name", "same_birth_date", "same_district",
            "same_phone"} <= set(cols)  # fmt: skip
    kinds = [r[cols.index("kind")] for r in rows.fetchall()]
    assert kinds and set(kinds) <= set(DUPLICATE_KINDS)


def test_money_at_stake_adds_up_and_section_renders(flagged):
    _, engine = flagged
    by_office = engine.scalar("SELECT sum(amount_paid) FROM ghost_money_by_office")
    direct = engine.scalar(
        "SELECT sum(amount) FROM disbursements WHERE family_id IN (SELECT family_id FROM red_flags)"
    )
    assert by_office == direct > 0
    html = ghost_section(engine).html
    assert "Burst of registrations at one office" in html and "F00" not in html
