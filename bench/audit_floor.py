"""The floor: the audit's reconciliation as one plain hand-written DuckDB query.

It computes only the money columns and the status of docs/outputs.md (no
district, office, staff, flags or attribution), so the ratio audit / floor says
what the audit's extra work and structure cost over the least SQL that answers
"who was owed what". Two shapes are timed, and the faster is the floor:

* ``join``  -- aggregate disbursements and receipts per (family_id, period), then
  FULL OUTER JOIN them with the entitlements (the textbook plan);
* ``union`` -- UNION ALL the three inputs and aggregate once (one hash table).

Each source is a relation of (family_id, period, amount BIGINT minor units).
"""

from __future__ import annotations

from payproof.engine.duckdb_engine import sql_literal
from payproof.money import sql_major_units
from payproof.statuses import STATUSES

VARIANTS = ("join", "union")

# First match wins, in the order of payproof.statuses (checked below).
STATUS_RULES = (
    ("paid_not_entitled", "e = 0 AND d > 0"),
    ("undocumented_receipt", "d = 0 AND r > 0"),
    ("unpaid", "e > 0 AND d = 0"),
    ("diverted", "d > 0 AND r = 0"),
    ("skimmed", "r > 0 AND r < d"),
    ("underpaid", "d > 0 AND d < e"),
    ("overpaid", "d > e AND e > 0"),
    ("unverified", "r IS NULL"),
)
assert tuple(s for s, _ in STATUS_RULES) + ("ok",) == STATUSES, "status order drifted"


def parquet_source(path: str, *, amount_is_major: bool) -> str:
    """A Parquet file as (family_id, period, amount minor); input files carry DECIMAL major."""
    amount = "CAST(amount * 100 AS BIGINT)" if amount_is_major else "CAST(amount AS BIGINT)"
    return f"(SELECT family_id, period, {amount} AS amount FROM read_parquet({sql_literal(path)}))"


def _joined(disbursements: str, receipts: str, entitlements: str) -> str:
    return f"""
    d AS (SELECT family_id, period, sum(amount) AS d FROM {disbursements} GROUP BY ALL),
    r AS (SELECT family_id, period, sum(amount) AS r FROM {receipts} GROUP BY ALL),
    j AS (
      SELECT coalesce(e.family_id, d.family_id, r.family_id) AS family_id,
             coalesce(e.period, d.period, r.period) AS period,
             coalesce(e.amount, 0) AS e, coalesce(d.d, 0) AS d, r.r AS r
      FROM {entitlements} e
      FULL OUTER JOIN d ON d.family_id = e.family_id AND d.period = e.period
      FULL OUTER JOIN r ON r.family_id = coalesce(e.family_id, d.family_id)
                       AND r.period = coalesce(e.period, d.period))"""


def _unioned(disbursements: str, receipts: str, entitlements: str) -> str:
    return f"""
    j AS (
      SELECT family_id, period, coalesce(sum(e), 0) AS e, coalesce(sum(d), 0) AS d,
             sum(r) AS r
      FROM (SELECT family_id, period, amount AS e, NULL::BIGINT AS d, NULL::BIGINT AS r
              FROM {entitlements}
            UNION ALL SELECT family_id, period, NULL, amount, NULL FROM {disbursements}
            UNION ALL SELECT family_id, period, NULL, NULL, amount FROM {receipts})
      GROUP BY ALL)"""


def floor_select(disbursements: str, receipts: str, entitlements: str, variant: str) -> str:
    """The SELECT giving one row per (family_id, period) with E, D, R, the measures and status."""
    build = {"join": _joined, "union": _unioned}[variant]
    status = "\n".join(f"        WHEN {cond} THEN '{name}'" for name, cond in STATUS_RULES)
    measures = {
        "entitled": "e",
        "disbursed": "d",
        "received": "r",
        "delivered": "delivered",
        "owed": "greatest(e - delivered, 0)",
        "not_disbursed": "greatest(e - d, 0)",
        "lost_in_delivery": "CASE WHEN r IS NULL THEN 0 ELSE greatest(d - r, 0) END",
        "excess": "greatest(d - e, 0)",
    }
    money = ",\n      ".join(f"{sql_major_units(f'({x})')} AS {n}" for n, x in measures.items())
    return f"""WITH {build(disbursements, receipts, entitlements)},
    m AS (SELECT *, coalesce(r, d) AS delivered FROM j)
    SELECT family_id, period,
      {money},
      CASE
{status}
        ELSE 'ok' END AS status
    FROM m"""


def floor_copy(
    disbursements: str, receipts: str, entitlements: str, out_path: str, variant: str
) -> str:
    """The whole floor: one COPY statement writing the findings to Parquet."""
    select = floor_select(disbursements, receipts, entitlements, variant)
    return f"COPY ({select}) TO {sql_literal(out_path)} (FORMAT parquet)"
