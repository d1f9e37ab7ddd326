"""What the report reads from an audit folder (payproof.report.data)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.report.data import clerk_ratios, open_outputs


def _with_application_flags(outputs: Path, tmp_path: Path) -> Path:
    """The fixture's folder, with S-03 flagged on applications only and S-01 on both."""
    out = tmp_path / "out"
    shutil.copytree(outputs, out)
    staff = out / "staff.csv"
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT *,
              CASE staff_id WHEN 'S-03' THEN 'late_vs_office'
                            WHEN 'S-01' THEN 'office;rejected_eligible_vs_region'
                   END AS flagged_by,
              CASE staff_id WHEN 'S-03' THEN 'late_vs_office'
                            WHEN 'S-01' THEN 'rejected_eligible_vs_region'
                   END AS application_flagged_by
            FROM read_csv('{staff}', all_varchar = true))
            TO '{staff}.new' (HEADER)"""
    )
    con.close()
    Path(f"{staff}.new").replace(staff)
    return out


def test_received_over_disbursed_shows_clerks_with_a_payment_flag_only(outputs, tmp_path):
    with DuckDBEngine() as db:
        open_outputs(outputs, db)
        before = {c.staff_id for c in clerk_ratios(db)}
    assert before == {"S-01", "S-03"}
    folder = _with_application_flags(outputs, tmp_path)
    with DuckDBEngine() as db:
        open_outputs(folder, db)
        after = {c.staff_id for c in clerk_ratios(db)}
    assert after == {"S-01"}  # S-03 stands out on applications alone: no payment to chart
