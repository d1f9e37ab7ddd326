"""The audit finds the harder cases of issue 10 on a small generated programme.

A collusive office (every clerk skims), subtle skimmers (10 % from 15 % of their
families), intermittent diverters (three months only) and honest receipt noise (some
bank statements and confirmations report a little less, more often in some offices):
every cheat is flagged or works in an office flagged as a whole, no honest clerk and
no honest office is flagged, and every family's owed amount is exact to the tiyn.
"""

from __future__ import annotations

import re
from decimal import Decimal

import duckdb
import pytest

from payproof.audit import run_audit
from payproof.scenario.config import ScenarioConfig
from payproof.scenario.generate import generate_scenario
from tests.audit.conftest import loss_flag

HARD = ScenarioConfig(
    families=5000,
    clerks_min=3,
    clerks_max=6,
    collusive_offices=1,
    subtle_skimmer_share=0.02,
    intermittent_share=0.02,
    receipt_noise_rate=0.05,
)


@pytest.fixture(scope="module")
def hard(tmp_path_factory):
    root = tmp_path_factory.mktemp("hard")
    generate_scenario(root / "input", HARD)
    run_audit(root / "input", root / "out")
    return root / "input", root / "out"


def _rows(sql: str) -> list[tuple]:
    return duckdb.sql(sql).fetchall()


def _staff(input_dir, out) -> list[tuple]:
    return _rows(
        f"""SELECT t.role, {loss_flag("s.flagged_by")},
          s.in_flagged_office AND NOT coalesce(s.application_in_flagged_office, false),
          s.flagged_by, s.flag_months,
          t.active_months, s.excess_lost_low, s.excess_lost, s.excess_lost_high
        FROM '{input_dir}/truth/staff.csv' t JOIN '{out}/staff.csv' s USING (staff_id)"""
    )


def test_every_cheat_or_its_office_is_flagged(hard):
    rows = _staff(*hard)
    roles = {r[0] for r in rows}
    assert {"colluder", "subtle_skimmer", "intermittent_diverter", "skimmer"} <= roles
    missed = [r for r in rows if r[0] != "honest" and not (r[1] or r[2])]
    assert missed == []


def test_no_honest_clerk_or_office_flagged(hard):
    input_dir, out = hard
    rows = _staff(input_dir, out)
    assert [r for r in rows if r[0] == "honest" and (r[1] or r[2])] == []
    honest_offices = _rows(
        f"""SELECT o.office_id FROM '{input_dir}/truth/offices.csv' t
        JOIN '{out}/offices.csv' o USING (office_id)
        WHERE t.dishonest_clerks = 0 AND {loss_flag("o.flagged_by")}"""
    )
    assert honest_offices == []


def test_collusive_office_flagged_as_a_whole_not_its_clerks(hard):
    input_dir, out = hard
    offices = _rows(
        f"""SELECT o.flagged, o.office_wide, o.flagged_by FROM '{input_dir}/truth/offices.csv' t
        JOIN '{out}/offices.csv' o USING (office_id) WHERE t.collusive"""
    )
    assert offices and all(f and wide and by for f, wide, by in offices)
    colluders = [r for r in _staff(input_dir, out) if r[0] == "colluder"]
    assert colluders and all(r[2] and not r[1] for r in colluders)


def test_intermittent_diverters_found_in_their_months(hard):
    for role, flagged, _, by, months, active, *_ in _staff(*hard):
        if role != "intermittent_diverter":
            continue
        assert flagged and months
        if "months" in by:
            first, _, last = months.partition("..")
            window = {first, last or first}
            assert any(min(active.split(";")) <= m <= max(active.split(";")) for m in window)


def test_effects_in_money_with_intervals(hard):
    rows = _staff(*hard)
    assert all(r[-2] is not None for r in rows if r[1])  # every flagged clerk has its amount
    for role, flagged, _, by, *_, low, point, high in rows:
        if point is None:  # no yardstick to measure against
            continue
        assert Decimal(str(low)) <= Decimal(str(point)) <= Decimal(str(high))
        if flagged and by != "shared_accounts":  # ghost families receive what is paid
            assert point > 0, role


def test_owed_amounts_exact_and_regions_written(hard):
    input_dir, out = hard
    n, mismatches = _rows(
        f"""SELECT count(*), count(*) FILTER (WHERE coalesce(a.owed_total, 0) <> t.owed_evidenced)
        FROM '{input_dir}/truth/families.csv' t
        LEFT JOIN '{out}/families.csv' a USING (family_id)"""
    )[0]
    assert n >= 5000 and mismatches == 0
    diff = _rows(
        f"""SELECT count(*) FROM '{out}/findings.parquet' a
        FULL JOIN '{input_dir}/truth/family_periods.parquet' t USING (family_id, period)
        WHERE a.status IS DISTINCT FROM t.status"""
    )
    assert diff == [(0,)]
    regions = _rows(f"SELECT region, flagged, q_value FROM '{out}/regions.csv' ORDER BY 1")
    assert [r[0] for r in regions] == ["Shymkent city", "Turkistan region"]


def test_report_explains_the_flagged_office(hard):
    input_dir, out = hard
    html = (out / "report.html").read_text(encoding="utf-8")
    office = _rows(f"SELECT office_id FROM '{input_dir}/truth/offices.csv' WHERE collusive")[0][0]
    assert f"Office {office} (" in html and "is flagged as a whole" in html
    assert "listed as working in a flagged office, not as individuals" in html
    assert "A flag is a reason to investigate, not proof of wrongdoing." in html


def test_terminal_summary_counts_flagged_offices(hard):
    from rich.console import Console

    from payproof.report import print_summary

    _, out = hard
    console = Console(record=True, width=200)
    print_summary(out, console)
    found = re.search(r"Offices flagged: (\d+) of (\d+)", console.export_text())
    assert found and 1 <= int(found[1]) < int(found[2])
