"""A few demo mothers to sign in as: one owed money for each kind of loss, else any.

No Django here: ``payproof demo`` prints these without loading the portal.
"""

from __future__ import annotations

from pathlib import Path

SAMPLE_SQL = """
WITH f AS (SELECT family_id, status, owed FROM read_parquet($findings)),
picked AS (
    SELECT DISTINCT ON (status) f.status, s.mother_id
    FROM f JOIN store.families s USING (family_id)
    WHERE s.phone IS NOT NULL AND s.mother_id IS NOT NULL
      AND f.status IN ('unpaid', 'diverted', 'skimmed', 'ok')
      -- a mother registered in one family only (duplicates sign in to the first family)
      AND s.mother_id IN (SELECT mother_id FROM store.families GROUP BY 1 HAVING count(*) = 1)
    ORDER BY f.status, s.family_id
)
SELECT CAST(mother_id AS VARCHAR) FROM picked
ORDER BY CASE status WHEN 'unpaid' THEN 0 WHEN 'skimmed' THEN 1 WHEN 'diverted' THEN 2 ELSE 3 END
"""


def sample_iins(audit_out: Path, n: int = 3) -> list[str]:
    """Up to ``n`` mothers' IINs from an audit folder (never-paid, skimmed, diverted first)."""
    from payproof.engine.duckdb_engine import DuckDBEngine

    findings, store = Path(audit_out) / "findings.parquet", Path(audit_out) / "payproof.duckdb"
    if not (findings.exists() and store.exists()):
        return []
    with DuckDBEngine() as engine:
        engine.con.execute(f"ATTACH '{store}' AS store (READ_ONLY)")
        rows = engine.con.execute(SAMPLE_SQL, {"findings": str(findings)}).fetchall()
    return [r[0] for r in rows][:n]
