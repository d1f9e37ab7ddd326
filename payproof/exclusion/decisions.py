"""How applications were decided: per clerk and office, tested like the loss attribution.

Three counts per unit, each a share of the unit's applications:

- ``late``: decided after the legal term, or still pending past it at the end of the
  audited period (a clerk who sits on applications);
- ``rejected_eligible``: rejections of mothers the register shows eligible in the month
  they applied, out of applications from eligible mothers (needs ``population``);
- ``overturned``: rejections followed by an approval for the same mother.

Each is tested with the attribution's own engine (:mod:`payproof.reconcile.significance`):
a clerk against the office's other clerks and against the clerks of the region's other
offices (the programme's where the region has no other office), an office against its
region and the programme; beta-binomial, yardsticks cleaned of suspects, and one
Benjamini–Hochberg correction over every application test of every level. The same
thresholds decide a flag (q, excess lines, excess rate).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.reconcile.significance import (
    FlagSettings,
    benjamini_hochberg,
    choose,
    codes,
    col,
    peer_totals,
    region_peers_ok,
    robust_versus,
    significant,
)
from payproof.rules.model import DEFAULT_DECISION_TERM_DAYS

TESTS = ("late", "rejected_eligible", "overturned")


@dataclass(frozen=True)
class DecisionSettings:
    # the term to decide an application: the rules file's (docs/rules.md), 30 days if unset
    legal_term_days: int = DEFAULT_DECISION_TERM_DAYS
    flags: FlagSettings = field(default_factory=lambda: FlagSettings(min_peer_lines=50))


FIGURES = """CAST(count(*) AS BIGINT) AS applications,
      CAST(count(CASE WHEN decision = 'approved' THEN 1 END) AS BIGINT) AS approved,
      CAST(count(CASE WHEN decision = 'rejected' THEN 1 END) AS BIGINT) AS rejected,
      CAST(count(CASE WHEN decision = 'pending' THEN 1 END) AS BIGINT) AS pending,
      CAST(median(CASE WHEN decision <> 'pending' THEN days_open END) AS DOUBLE)
        AS median_decision_days,
      CAST(count(CASE WHEN days_open > {term} THEN 1 END) AS BIGINT) AS late,
      CAST(count(CASE WHEN decision = 'pending' AND days_open > {term} THEN 1 END) AS BIGINT)
        AS pending_overdue,
      CAST(count(CASE WHEN eligible THEN 1 END) AS BIGINT) AS eligible_applications,
      CAST(count(CASE WHEN eligible AND decision = 'rejected' THEN 1 END) AS BIGINT)
        AS rejected_eligible,
      CAST(count(CASE WHEN overturned THEN 1 END) AS BIGINT) AS overturned"""


def _staff_sql(term: int) -> str:
    """Per deciding clerk (the office of the staff table, else of the applications)."""
    return f"""SELECT a.staff_id, coalesce(min(s.office_id), min(a.office_id)) AS office_id,
      min(o.region) AS region, {FIGURES.format(term=term)}
    FROM application_facts a LEFT JOIN staff s ON s.staff_id = a.staff_id
    LEFT JOIN offices o ON o.office_id = coalesce(s.office_id, a.office_id)
    WHERE a.staff_id IS NOT NULL GROUP BY a.staff_id ORDER BY a.staff_id"""


def _offices_sql(term: int) -> str:
    return f"""SELECT a.office_id, min(o.region) AS region, {FIGURES.format(term=term)}
    FROM application_facts a LEFT JOIN offices o ON o.office_id = a.office_id
    GROUP BY a.office_id ORDER BY a.office_id"""


def decide_applications(
    engine: DuckDBEngine, settings: DecisionSettings | None = None
) -> tuple[pa.Table, pa.Table]:
    """Per-clerk and per-office application figures, tests and flags (two Arrow tables,
    also registered as ``application_staff`` and ``application_offices``)."""
    s = settings or DecisionSettings()
    term = int(s.legal_term_days)
    staff = engine.arrow(_staff_sql(term))
    offices = engine.arrow(_offices_sql(term))
    tests = []  # (table, name, Test, n, k)
    _, office = codes(col(staff, "office_id", object))
    _, region = codes(col(staff, "region", object))
    _, o_region = codes(col(offices, "region", object))
    everyone = np.zeros(staff.num_rows, np.int64)
    o_all = np.zeros(offices.num_rows, np.int64)
    for name in TESTS:
        denominator = "eligible_applications" if name == "rejected_eligible" else "applications"
        for table in ("staff", "offices"):
            t = staff if table == "staff" else offices
            k, n = col(t, name), col(t, denominator)
            if table == "staff":
                r_ok = region_peers_ok(k, n, region, office, s.flags)
                peers = [
                    ("office", lambda d, k=k, n=n: peer_totals(k, n, office, drop=d), office),
                    (
                        "region",
                        lambda d, k=k, n=n, r_ok=r_ok: choose(
                            r_ok,
                            peer_totals(k, n, region, exclude=office, drop=d),
                            peer_totals(k, n, everyone, exclude=office, drop=d),
                        ),
                        np.where(r_ok, region, -1) + 1,
                    ),
                ]
            else:
                peers = [
                    ("region", lambda d, k=k, n=n: peer_totals(k, n, o_region, drop=d), o_region),
                    ("programme", lambda d, k=k, n=n: peer_totals(k, n, o_all, drop=d), o_all),
                ]
            for level, fn, median_group in peers:
                test = robust_versus(k, n, fn, s.flags, median_group)[0]
                tests.append((table, f"{name}_vs_{level}", test, n))
    q = benjamini_hochberg(np.concatenate([t.p for _, _, t, _ in tests]))
    cols: dict[str, dict[str, np.ndarray]] = {"staff": {}, "offices": {}}
    at = 0
    for table, label, test, n in tests:
        qs = q[at : at + len(test.p)]
        at += len(test.p)
        cols[table][f"{label}_rate"] = test.rate
        cols[table][f"{label}_q"] = qs
        cols[table][f"{label}_flag"] = significant(qs, test, n, s.flags)
    out = []
    for table, base in (("staff", staff), ("offices", offices)):
        flags = {k_: v for k_, v in cols[table].items() if k_.endswith("_flag")}
        by = np.full(base.num_rows, "", dtype=object)
        for label, mask in flags.items():
            by = np.where(mask, np.where(by == "", label[:-5], by + ";" + label[:-5]), by)
        for label, values in cols[table].items():
            if not label.endswith("_flag"):
                base = base.append_column(label, pa.array(_floats(values), pa.float64()))
        base = base.append_column("application_flagged", pa.array(by != "", pa.bool_()))
        base = base.append_column(
            "application_flagged_by", pa.array([v or None for v in by], pa.string())
        )
        out.append(base)
    engine.register_arrow("application_staff_arrow", out[0])
    engine.register_arrow("application_offices_arrow", out[1])
    engine.materialise("application_staff", "SELECT * FROM application_staff_arrow")
    engine.materialise("application_offices", "SELECT * FROM application_offices_arrow")
    engine.con.unregister("application_staff_arrow")
    engine.con.unregister("application_offices_arrow")
    return out[0], out[1]


def _floats(values: np.ndarray) -> list:
    return [None if not np.isfinite(v) else round(float(v), 6) for v in np.asarray(values, float)]
