"""The per-clerk SQL counts exactly: figures in staff.csv are not estimates."""

from __future__ import annotations

import duckdb

from payproof.engine.dialect import DUCKDB
from payproof.reconcile.attribution import staff_lines_sql


def test_families_per_clerk_is_an_exact_distinct_count():
    """Regression: ``families`` was a HyperLogLog estimate (approx_count_distinct), published
    in staff.csv as the number of families and used as the shared-account test's
    denominator; with thousands of families it was off by dozens."""
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE lines AS SELECT 'S1' AS staff_id, 'O1' AS office_id,
          'F' || (i % 7919) AS family_id, true AS verified, 100 AS amount, 100 AS fp_disbursed,
          100 AS fp_received, 0 AS lost_floor, false AS to_shared_account,
          'bank_statement' AS evidence
        FROM range(20000) t(i)"""
    )
    con.execute("CREATE TABLE rem AS SELECT 'S1' AS staff_id, 0 AS extra WHERE false")
    families = con.execute(
        f"SELECT families FROM ({staff_lines_sql(DUCKDB, 'lines', 'rem')})"
    ).fetchall()
    assert families == [(7919,)]
