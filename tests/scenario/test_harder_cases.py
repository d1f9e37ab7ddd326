"""The generator's harder cases: collusive offices, subtle skimmers, intermittent diverters,
honest receipt noise — in the data as in the truth, and nothing else changed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from payproof.scenario.config import ScenarioConfig
from payproof.scenario.generate import generate_scenario

PLAIN = ScenarioConfig(families=1500, months=6, clerks_min=3, clerks_max=6)
HARD = ScenarioConfig(
    families=1500, months=6, clerks_min=3, clerks_max=6, collusive_offices=1,
    subtle_skimmer_share=0.05, intermittent_share=0.05, intermittent_months=2,
    receipt_noise_rate=0.10,
)  # fmt: skip


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("harder")
    generate_scenario(root / "plain", PLAIN)
    generate_scenario(root / "hard", HARD)
    return root / "plain", root / "hard"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _q(sql: str) -> list[tuple]:
    return duckdb.sql(sql).fetchall()


def test_only_what_reaches_families_changes(pair):
    plain, hard = pair
    for name in ("offices.csv", "staff.csv", "families.csv", "children.csv",
                 "disbursements.csv"):  # fmt: skip
        assert _sha(plain / name) == _sha(hard / name), name
    assert _sha(plain / "receipts.csv") != _sha(hard / "receipts.csv")


def test_collusive_office_every_clerk_skims(pair):
    _, hard = pair
    offices = _q(f"SELECT office_id, clerks FROM '{hard}/truth/offices.csv' WHERE collusive")
    assert len(offices) == 1
    office, clerks = offices[0]
    roles = _q(
        f"SELECT role, count(*) FROM '{hard}/truth/staff.csv' WHERE office_id = '{office}' "
        "AND staff_id IN (SELECT staff_id FROM '{hard}/staff.csv' WHERE role = 'clerk') "
        "GROUP BY 1".replace("{hard}", str(hard))
    )
    assert roles == [("colluder", clerks)]
    short = _q(
        f"""SELECT count(*), count(*) FILTER (WHERE R_evidence < D)
        FROM '{hard}/truth/family_periods.parquet'
        WHERE staff_role = 'colluder' AND R_evidence IS NOT NULL"""
    )[0]
    assert short[0] > 0 and short[0] == short[1]


def test_subtle_skimmers_take_from_some_families_only(pair):
    _, hard = pair
    rows = _q(
        f"""SELECT staff_id, count(DISTINCT family_id),
          count(DISTINCT family_id) FILTER (WHERE R_evidence < D AND R_evidence > 0.85 * D)
        FROM '{hard}/truth/family_periods.parquet' WHERE staff_role = 'subtle_skimmer'
        GROUP BY 1"""
    )
    assert rows
    families = sum(r[1] for r in rows)
    skimmed = sum(r[2] for r in rows)
    assert 0.05 * families < skimmed < 0.45 * families  # 15 % skimmed, plus receipt noise


def test_intermittent_diverters_divert_only_in_their_months(pair):
    _, hard = pair
    staff = _q(
        f"""SELECT staff_id, active_months FROM '{hard}/truth/staff.csv'
        WHERE role = 'intermittent_diverter'"""
    )
    assert staff
    for staff_id, months in staff:
        active = months.split(";")
        assert len(active) == 2
        zero = {p for (p,) in _q(
            f"""SELECT DISTINCT period FROM '{hard}/truth/family_periods.parquet'
            WHERE staff_id = '{staff_id}' AND actual_received = 0 AND D > 0"""
        )}  # fmt: skip
        assert zero and zero <= set(active)


def test_receipt_noise_is_honest_and_small(pair):
    _, hard = pair
    noisy = _q(
        f"""SELECT count(*), max(1 - t.R_evidence / t.D)
        FROM '{hard}/truth/family_periods.parquet' t
        WHERE t.staff_role = 'honest' AND t.R_evidence < t.D AND t.R_evidence > 0"""
    )[0]
    assert noisy[0] > 50 and noisy[1] <= 0.03 + 1e-9
    changed = _q(  # noise is in the evidence only: what honest clerks' families got is intact
        f"""SELECT count(*) FROM '{hard}/truth/family_periods.parquet'
        WHERE staff_role = 'honest' AND D > 0 AND actual_received <> D"""
    )
    assert changed == [(0,)]
    scenario = json.loads((hard / "truth/scenario.json").read_text(encoding="utf-8"))
    truth = scenario["summary"]["truth"]
    assert truth["collusive_offices"] == 1 and truth["subtle_skimmers"] >= 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"collusive_offices": 500}, "collusive-offices 500"),
        ({"intermittent_months": 13}, "intermittent-months"),
        ({"subtle_skim_rate": 1.0}, "subtle_skim_rate"),
    ],
)
def test_impossible_settings_refused(tmp_path, change, message):
    cfg = ScenarioConfig(**{**PLAIN.to_dict(), **change})
    with pytest.raises(ValueError, match=message):
        generate_scenario(tmp_path, cfg)


def test_cli_options(tmp_path):
    from payproof.cli import main

    args = ["generate", str(tmp_path / "x"), "--families", "300", "--months", "3",
            "--collusive-offices", "1", "--receipt-noise-rate", "0.1",
            "--intermittent-share", "0.05", "--intermittent-months", "2"]  # fmt: skip
    assert main(args) == 0
    params = json.loads((tmp_path / "x/truth/scenario.json").read_text())["parameters"]
    assert params["collusive_offices"] == 1 and params["intermittent_months"] == 2
    assert main(["generate", str(tmp_path / "y"), "--collusive-offices", "999"]) == 2
