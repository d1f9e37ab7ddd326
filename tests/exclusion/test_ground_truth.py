"""On a generated programme (the demo's size) the audit finds every family left out, with
the exact amount due, and flags every clerk who rejects or delays eligible mothers and
no honest one; nothing from the register reaches a public artefact."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from payproof.audit import run_audit
from payproof.cli import main
from payproof.scenario.config import ScenarioConfig
from payproof.scenario.generate import generate_scenario


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    root = tmp_path_factory.mktemp("excluded-truth")
    generate_scenario(root / "input", ScenarioConfig())
    run_audit(root / "input", root / "out", ghosts=False)
    return root / "input", root / "out"


def _one(sql: str):
    return duckdb.sql(sql).fetchall()


def test_every_excluded_family_found_with_the_exact_amount(audited):
    data, out = audited
    truth, missed, extra, wrong = _one(
        f"""SELECT count(t.mother_id), count(*) FILTER (WHERE a.mother_id IS NULL),
          count(*) FILTER (WHERE t.mother_id IS NULL),
          count(*) FILTER (WHERE t.kind <> a.kind OR t.months <> a.months
                           OR CAST(t.amount_due AS DECIMAL(18,2)) <> a.amount_due)
        FROM read_csv('{data}/truth/excluded.csv', all_varchar = true) t
        FULL JOIN read_csv('{out}/excluded.csv', types = {{'amount_due': 'DECIMAL(18,2)',
          'months': 'VARCHAR'}}) a USING (mother_id)"""
    )[0]
    assert truth > 300  # every kind is there
    assert (missed, extra, wrong) == (0, 0, 0)
    kinds = {k for (k,) in _one(f"SELECT DISTINCT kind FROM '{out}/excluded.csv'")}
    assert kinds == {"rejected", "pending", "late_approval", "never_applied"}


def test_clerks_who_reject_or_delay_are_flagged_and_honest_ones_are_not(audited):
    data, out = audited
    rows = dict(_one(
        f"""SELECT t.application_role, list(coalesce(s.application_flagged, false))
        FROM '{data}/truth/application_clerks.csv' t
        LEFT JOIN '{out}/staff.csv' s USING (staff_id) GROUP BY 1"""
    ))  # fmt: skip
    assert rows["rejecter"] and all(rows["rejecter"])
    assert rows["delayer"] and all(rows["delayer"])
    honest = rows["honest"]
    assert sum(honest) <= 0.01 * len(honest)  # the documented false-flag rate (alpha)


def test_every_deciding_clerk_has_a_staff_row_and_one_flag(audited):
    """Every clerk of the applications is in staff.csv; its application flag is part of
    ``flagged`` / ``flagged_by`` (and its office-wide one of ``in_flagged_office``)."""
    data, out = audited
    missing = _one(
        f"""SELECT count(*) FROM (SELECT DISTINCT staff_id FROM '{data}/applications.csv'
          WHERE staff_id IS NOT NULL) a
        WHERE staff_id NOT IN (SELECT staff_id FROM '{out}/staff.csv')"""
    )[0][0]
    assert missing == 0
    (inconsistent,) = _one(
        f"""SELECT count(*) FROM '{out}/staff.csv' WHERE
          (coalesce(application_flagged, false) AND NOT (flagged AND
            contains(flagged_by, application_flagged_by)))
          OR (coalesce(application_in_flagged_office, false) AND NOT in_flagged_office)"""
    )[0]
    assert inconsistent == 0
    (flagged, summary_flagged) = _one(
        f"""SELECT count(*) FILTER (WHERE flagged), any_value(s.n)
        FROM '{out}/staff.csv', (SELECT CAST(json_extract(j, '$.staff.flagged') AS INTEGER) n
          FROM (SELECT CAST(content AS JSON) j FROM read_text('{out}/summary.json'))) s"""
    )[0]
    assert flagged == summary_flagged


def test_bribe_takers_carry_the_signature(audited):
    """Clerks who approve late after a bribe: short first payments through them and bribe
    complaints stand beside them (corroboration), and the payment tests flag them."""
    data, out = audited
    for shorts, complaints, flagged in _one(
        f"""SELECT s.approvals_short_first, s.bribe_complaints, s.flagged
        FROM '{data}/truth/application_clerks.csv' t JOIN '{out}/staff.csv' s USING (staff_id)
        WHERE t.application_role = 'bribe_taker'"""
    ):
        assert shorts > 0 and complaints > 0 and flagged


def test_report_section_and_summary(audited):
    _, out = audited
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Who was left out" in html and "excluded-coverage-chart" in html
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["excluded"]["families_owed"] > 0
    assert summary["excluded"]["coverage_by_district"]


def test_no_register_data_in_public_artefacts(audited, tmp_path):
    data, out = audited
    register_only = {
        p for (p,) in _one(
            f"""SELECT person_id FROM read_csv('{data}/population.csv', all_varchar = true)
              WHERE person_id NOT IN (SELECT mother_id FROM read_csv('{data}/families.csv',
                all_varchar = true) WHERE mother_id IS NOT NULL)""")
    }  # fmt: skip
    assert len(register_only) > 1000
    for public in ("report.html", "summary.json"):
        text = (out / public).read_text(encoding="utf-8")
        assert not any(p in text for p in register_only), public
    # the ledger logs payments, receipts, grievances and entitlements, never the register
    small = tmp_path / "programme"
    generate_scenario(small, ScenarioConfig(families=300))
    keys, log = tmp_path / "keys", tmp_path / "log"
    assert main(["ledger", "keygen", "example.org/payproof/test", "--out", str(keys)]) == 0
    key = str(next(keys.glob("*.key")))
    assert main(["ledger", "init", str(log), "--key", key]) == 0
    assert main(["ledger", "append", str(log), str(small), "--key", key]) == 0
    assert main(["ledger", "append", str(log), str(small), "--key", key,
                 "--tables", "population"]) == 2  # fmt: skip
    people = {p for (p,) in _one(
        f"SELECT person_id FROM read_csv('{small}/population.csv', all_varchar = true)")}
    for path in Path(log).rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            assert not any(p.encode() in blob for p in people), path
