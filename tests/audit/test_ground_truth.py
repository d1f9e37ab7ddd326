"""The audit recovers the ground truth the scenario generator wrote beside its data.

At the default settings (the demo's programme): every family's owed amount to
the tiyn, every family-month's status, every skimming clerk flagged and no
honest clerk flagged.
"""

from __future__ import annotations

import json

import duckdb
import pytest

from payproof.audit import run_audit
from payproof.scenario.config import ScenarioConfig
from payproof.scenario.generate import generate_scenario
from tests.audit.conftest import loss_flag


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    root = tmp_path_factory.mktemp("truth")
    generate_scenario(root / "input", ScenarioConfig())
    result = run_audit(root / "input", root / "out")
    return root / "input", root / "out", result


def _one(sql: str):
    return duckdb.sql(sql).fetchall()


def test_owed_amounts_exact_for_every_family(audited):
    input_dir, out, _ = audited
    rows = _one(
        f"""SELECT count(*),
          count(*) FILTER (WHERE coalesce(a.owed_total, 0) <> t.owed_evidenced),
          sum(t.owed_evidenced)
        FROM '{input_dir}/truth/families.csv' t
        LEFT JOIN '{out}/families.csv' a USING (family_id)"""
    )
    n, mismatches, owed = rows[0]
    assert n > 20_000 and owed > 0
    assert mismatches == 0


def test_every_family_month_status_matches(audited):
    input_dir, out, _ = audited
    diff = _one(
        f"""SELECT a.status, t.status, count(*) FROM '{out}/findings.parquet' a
        FULL JOIN '{input_dir}/truth/family_periods.parquet' t USING (family_id, period)
        WHERE a.status IS DISTINCT FROM t.status GROUP BY ALL"""
    )
    assert diff == []


def test_skimmers_flagged_and_no_honest_clerk(audited):
    input_dir, out, _ = audited
    by_role = dict(
        (role, (n, flagged))
        for role, n, flagged in _one(
            f"""SELECT t.role, count(*), count(*) FILTER (WHERE {loss_flag("s.flagged_by")})
            FROM '{input_dir}/truth/staff.csv' t JOIN '{out}/staff.csv' s USING (staff_id)
            GROUP BY t.role"""
        )
    )
    skimmers, flagged_skimmers = by_role["skimmer"]
    assert skimmers >= 5 and flagged_skimmers == skimmers
    assert by_role["honest"][1] == 0
    assert by_role["diverter"][1] == by_role["diverter"][0]
    assert by_role["ghost_maker"][1] == by_role["ghost_maker"][0]


def test_skimmers_show_the_kept_share(audited):
    input_dir, out, _ = audited
    ratios = _one(
        f"""SELECT s.median_ratio, t.skim_share FROM '{input_dir}/truth/staff.csv' t
        JOIN '{out}/staff.csv' s USING (staff_id) WHERE t.role = 'skimmer'"""
    )
    assert ratios and all(abs(r - (1 - share)) < 0.01 for r, share in ratios)


def test_totals_match_truth_and_summary(audited):
    input_dir, out, result = audited
    truth = json.loads((input_dir / "truth" / "scenario.json").read_text())["summary"]["totals"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary == result.summary
    assert summary["totals"]["entitled"] == f"{truth['entitled']}.00"
    assert summary["totals"]["disbursed"] == f"{truth['disbursed']}.00"
    assert summary["totals"]["owed"] == f"{truth['owed_evidenced']}.00"
    assert summary["inputs"]["disbursements"]["sha256"]
    assert summary["run"]["rules"] == "kz-large-family@2026-01"
    assert (
        sum(s["family_periods"] for s in summary["by_status"].values())
        == (summary["findings"]["family_periods"])
    )


def test_report_written_and_free_of_personal_data(audited):
    input_dir, out, _ = audited
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org", "")
    mothers = _one(
        f"SELECT mother_id, mother_name FROM read_csv('{input_dir}/families.csv', "
        "all_varchar = true) LIMIT 50"
    )
    for mother_id, name in mothers:
        assert mother_id not in html and name not in html
