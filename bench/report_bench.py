"""Time `write_report` on a synthetic audit output folder of N findings rows.

    python bench/report_bench.py --rows 200000            # quick check
    python bench/report_bench.py --rows 12000000 --keep   # national scale (lead runs this)

Prints generation time, report time, peak RSS and the report's size. The data
are random but shaped like a real audit: 5 % of clerks keep 30 %.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import duckdb

from payproof.report import write_report


def generate(out: Path, rows: int) -> None:
    """Write the six output files with DuckDB only (no Python loops over rows)."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(
        f"""CREATE TABLE f AS WITH base AS (
          SELECT i, i // 12 AS fam, i % 12 AS m, hash(i // 12) % 2000 AS staff_n
          FROM range({rows}) t(i))
        SELECT 'F' || fam AS family_id, printf('2025-%02d', m + 1) AS period,
          'District ' || (staff_n // 100) AS district, 'O' || (staff_n // 10) AS office_id,
          CASE WHEN hash(i) % 50 = 0 THEN NULL ELSE 'S' || staff_n END AS staff_id,
          1::INTEGER AS n_disbursements, 1::INTEGER AS n_staff,
          46760.00::DECIMAL(18,2) AS entitled,
          CASE WHEN hash(i) % 50 = 0 THEN 0 ELSE 46760.00 END::DECIMAL(18,2) AS disbursed,
          CASE WHEN hash(i) % 50 = 0 OR hash(i) % 3 = 0 THEN NULL
               WHEN staff_n % 20 = 0 THEN 32732.00 ELSE 46760.00 END::DECIMAL(18,2) AS received
        FROM base"""
    )
    con.execute(
        f"""COPY (SELECT *, coalesce(received, disbursed)::DECIMAL(18,2) AS delivered,
          greatest(entitled - coalesce(received, disbursed), 0)::DECIMAL(18,2) AS owed,
          greatest(entitled - disbursed, 0)::DECIMAL(18,2) AS not_disbursed,
          (CASE WHEN received IS NULL THEN 0 ELSE greatest(disbursed - received, 0) END)
            ::DECIMAL(18,2) AS lost_in_delivery,
          greatest(disbursed - entitled, 0)::DECIMAL(18,2) AS excess,
          CASE WHEN disbursed = 0 THEN 'unpaid' WHEN received IS NULL THEN 'unverified'
               WHEN received < disbursed THEN 'skimmed' ELSE 'ok' END AS status,
          []::VARCHAR[] AS flags, 'bench@1' AS entitlement_source FROM f)
        TO '{out / "findings.parquet"}' (FORMAT parquet)"""
    )
    v = f"read_parquet('{out / 'findings.parquet'}')"
    con.execute(
        f"""COPY (SELECT family_id, 'M' || family_id AS mother_id, any_value(district) AS district,
          any_value(office_id) AS office_id, sum(entitled) AS entitled_total,
          sum(delivered) AS delivered_total, sum(owed) AS owed_total,
          count(*) FILTER (WHERE owed > 0) AS periods_owed,
          min(period) FILTER (WHERE owed > 0) AS first_period_owed,
          max(period) FILTER (WHERE owed > 0) AS last_period_owed
        FROM {v} GROUP BY family_id) TO '{out / "families.csv"}' (HEADER)"""
    )
    con.execute(
        f"""COPY (SELECT staff_id, any_value(office_id) AS office_id, 'R' AS region,
          any_value(district) AS district, count(*) AS lines, count(received) AS verified_lines,
          sum(disbursed) AS disbursed, sum(received) AS confirmed, sum(lost_in_delivery) AS lost,
          0.0 AS loss_rate, count(*) FILTER (WHERE received < disbursed) AS short_lines,
          median(received / disbursed) AS median_ratio, 0.01 AS peer_short_rate,
          'office:x' AS peer_group, 0.001 AS p_value, 0.002 AS q_value, 0 AS complaints,
          0 AS bribe_complaints, (sum(lost_in_delivery) > 0)::VARCHAR AS flagged,
          '' AS flag_reason FROM {v} WHERE staff_id IS NOT NULL GROUP BY staff_id)
        TO '{out / "staff.csv"}' (HEADER)"""
    )
    con.execute(
        f"""COPY (SELECT office_id, 'Office ' || office_id AS name, 'R' AS region,
          any_value(district) AS district, count(DISTINCT family_id) AS families,
          sum(entitled) AS entitled, sum(disbursed) AS disbursed, sum(delivered) AS delivered,
          sum(not_disbursed) AS not_disbursed, sum(lost_in_delivery) AS lost_in_delivery,
          sum(owed) AS owed, sum(excess) AS excess, count(DISTINCT staff_id) AS staff,
          0 AS flagged_staff FROM {v} GROUP BY office_id) TO '{out / "offices.csv"}' (HEADER)"""
    )
    (out / "rejects.csv").write_text("table,file,line,column,value,reason\n")
    summary = {"payproof_version": "bench", "currency": "KZT", "run": {}, "inputs": {},
               "periods": {"first": "2025-01", "last": "2025-12"}}  # fmt: skip
    (out / "summary.json").write_text(json.dumps(summary))
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the generated folder")
    args = ap.parse_args()
    out = args.dir or Path(tempfile.mkdtemp(prefix="payproof-report-bench-"))
    t0 = time.perf_counter()
    generate(out, args.rows)
    t1 = time.perf_counter()
    path = write_report(out)
    t2 = time.perf_counter()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size_kib = path.stat().st_size / 1024
    print(
        f"rows={args.rows:,} generate={t1 - t0:.1f}s report={t2 - t1:.1f}s "
        f"peak_rss={rss_mb:.0f}MB html={size_kib:.0f}KiB folder={out}"
    )
    if not args.keep and args.dir is None:
        import shutil

        shutil.rmtree(out)


if __name__ == "__main__":
    main()
