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
from payproof.reconcile.hierarchy import versus
from payproof.reconcile.significance import (
    FlagSettings,
    benjamini_hochberg,
    choose,
    clerk_tests,
    codes,
    col,
    detection_limit,
    own_clerk_flag,
    peer_totals,
    region_flag_shown,
    robust_versus,
    significant,
)
from payproof.rules.model import DEFAULT_DECISION_TERM_DAYS

TESTS = ("late", "rejected_eligible", "overturned")
# tests whose detection limit each clerk gets in staff.csv (``detectable_<test>_rate``)
DETECTABLE = ("late", "rejected_eligible")


@dataclass(frozen=True)
class DecisionSettings:
    # the term to decide an application: the rules file's (docs/rules.md), 30 days if unset
    legal_term_days: int = DEFAULT_DECISION_TERM_DAYS
    # the unit is one family's application: the families test's minimum excess (two families,
    # never one) in place of the loss tests' five payment lines (docs/audit.md)
    flags: FlagSettings = field(default_factory=lambda: FlagSettings(
        min_peer_lines=50, min_lines=FlagSettings.min_families))  # fmt: skip


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
    tests = []  # (table, label, Test, n)
    office_yardsticks = {}  # test name -> the office test's region / programme peers
    office_testable = {}  # test name -> per clerk, whether its office could be its yardstick
    own = {}  # test name -> per level, the clerks' test (for the detection limits)
    _, office = codes(col(staff, "office_id", object))
    _, region = codes(col(staff, "region", object))
    _, o_region = codes(col(offices, "region", object))
    everyone = np.zeros(staff.num_rows, np.int64)
    o_all = np.zeros(offices.num_rows, np.int64)
    for name in TESTS:
        k, n = col(staff, name), col(staff, _denominator(name))
        (t_office, *_), (t_region, *_), _ = clerk_tests(k, n, office, region, everyone, s.flags)
        for level, test in (("office", t_office), ("region", t_region)):
            tests.append(("staff", f"{name}_vs_{level}", test, n))
            own.setdefault(name, {})[level] = test
        # where the office is too small, the region is the yardstick
        office_testable[name] = np.isfinite(t_office.p)
        k, n = col(offices, name), col(offices, _denominator(name))
        by_region = robust_versus(
            k, n, lambda d, k=k, n=n: peer_totals(k, n, o_region, drop=d), s.flags, o_region
        )
        by_prog = robust_versus(
            k, n, lambda d, k=k, n=n: peer_totals(k, n, o_all, drop=d), s.flags, o_all
        )
        tests.append(("offices", f"{name}_vs_region", by_region[0], n))
        tests.append(("offices", f"{name}_vs_programme", by_prog[0], n))
        office_yardsticks[name] = (by_region, by_prog)
    ps = np.concatenate([t.p for _, _, t, _ in tests])
    q = benjamini_hochberg(ps)
    rejected = ps[np.nan_to_num(q, nan=1.0) < s.flags.alpha]
    p_cut = float(rejected.max()) if len(rejected) else 0.0
    cols: dict[str, dict[str, np.ndarray]] = {"staff": {}, "offices": {}}
    flags: dict[str, dict[str, np.ndarray]] = {"staff": {}, "offices": {}}
    at = 0
    for table, label, test, n in tests:
        qs = q[at : at + len(test.p)]
        at += len(test.p)
        cols[table][f"{label}_rate"] = test.rate
        cols[table][f"{label}_q"] = qs
        flags[table][label] = significant(qs, test, n, s.flags)
    # what this run could have seen: the rate at which each clerk's own test (office, or
    # region where the office is too small) would have flagged it
    for name in DETECTABLE:
        cols["staff"][f"detectable_{name}_rate"] = detection_limit(
            col(staff, _denominator(name)), office_testable[name], own[name]["office"],
            own[name]["region"], p_cut, q, s.flags,
        )
    wide, in_flagged_office = _who_is_flagged_as_what(
        staff, offices, flags, office_yardsticks, office_testable, p_cut, s.flags
    )
    # a clerk's region test speaks for the clerk alone when its office is not flagged as a
    # whole, or when its office is too small to be its yardstick (as in the loss attribution)
    for name in TESTS:
        flags["staff"][f"{name}_vs_region"] = region_flag_shown(
            flags["staff"][f"{name}_vs_region"], office_testable[name], in_flagged_office
        )
    out = []
    for table, base in (("staff", staff), ("offices", offices)):
        by = np.full(base.num_rows, "", dtype=object)
        for label, mask in flags[table].items():
            by = np.where(mask, np.where(by == "", label, by + ";" + label), by)
        for label, values in cols[table].items():
            base = base.append_column(label, pa.array(_floats(values), pa.float64()))
        base = base.append_column("application_flagged", pa.array(by != "", pa.bool_()))
        base = base.append_column(
            "application_flagged_by", pa.array([v or None for v in by], pa.string())
        )
        extra = ("application_in_flagged_office", in_flagged_office) if table == "staff" else (
            "application_office_wide", wide)  # fmt: skip
        base = base.append_column(extra[0], pa.array(extra[1], pa.bool_()))
        out.append(base)
    engine.register_arrow("application_staff_arrow", out[0])
    engine.register_arrow("application_offices_arrow", out[1])
    engine.materialise("application_staff", "SELECT * FROM application_staff_arrow")
    engine.materialise("application_offices", "SELECT * FROM application_offices_arrow")
    engine.con.unregister("application_staff_arrow")
    engine.con.unregister("application_offices_arrow")
    return out[0], out[1]


def _denominator(name: str) -> str:
    return "eligible_applications" if name == "rejected_eligible" else "applications"


def _who_is_flagged_as_what(
    staff, offices, flags, yardsticks, office_testable, p_cut: float, s: FlagSettings
):
    """Offices flagged as a whole, and each clerk's "works in an office flagged as a whole".

    As the loss attribution does (docs/audit.md, "Who is flagged as what"): a clerk stands
    out individually on a test against its office's other clerks (against the region's,
    where the office is too small to be its yardstick). An office flagged on an application
    test is flagged as a whole when none of its clerks stands out, or when what remains
    after removing those who do is still unusual on a test that flagged the office, against
    the same yardstick (p at most the run's BH cut-off, and the same excess rules). A clerk
    counts in the office of the staff table (else of its applications); the remainder is
    floored at zero where a clerk decided elsewhere.
    """
    o_ids = col(offices, "office_id", object)
    where = {v: i for i, v in enumerate(o_ids)}
    at = np.array([where.get(v, -1) for v in col(staff, "office_id", object)], np.int64)
    known = at >= 0
    individual = np.zeros(staff.num_rows, bool)
    for name in TESTS:
        individual |= own_clerk_flag(
            flags["staff"][f"{name}_vs_office"],
            flags["staff"][f"{name}_vs_region"],
            office_testable[name],
        )
    o_flagged = np.zeros(offices.num_rows, bool)
    for mask in flags["offices"].values():
        o_flagged |= mask
    size = offices.num_rows
    has_individual = np.bincount(at[known], weights=individual[known], minlength=size) > 0
    rest_sig = np.zeros(size, bool)
    for name in TESTS:
        k, n = col(staff, name), col(staff, _denominator(name))
        ind_k = np.bincount(at[known], weights=np.where(individual, k, 0)[known], minlength=size)
        ind_n = np.bincount(at[known], weights=np.where(individual, n, 0)[known], minlength=size)
        ok = col(offices, name)
        on = col(offices, _denominator(name))
        rk, rn = np.maximum(ok - ind_k, 0), np.maximum(on - ind_n, 0)
        (t_reg, reg_peers, reg_ok, _), (t_prog, prog_peers, _, _) = yardsticks[name]
        peers = choose(reg_ok, reg_peers[:3], prog_peers[:3])
        rest = versus(rk, rn, *peers, np.ones(size, bool),
                      rho=float(max(t_reg.rho, t_prog.rho)))  # fmt: skip
        flagged_on = (
            flags["offices"][f"{name}_vs_region"] | flags["offices"][f"{name}_vs_programme"]
        )
        rest_sig |= (
            flagged_on
            & (np.nan_to_num(rest.p, nan=1.0) <= p_cut)
            & (rest.excess >= s.min_lines)
            & (rest.excess >= s.min_excess * np.maximum(rn, 1))
        )
    wide = o_flagged & (~has_individual | rest_sig)
    in_flagged_office = np.where(known, wide[np.maximum(at, 0)], False)
    return wide, in_flagged_office


def _floats(values: np.ndarray) -> list:
    return [None if not np.isfinite(v) else round(float(v), 6) for v in np.asarray(values, float)]
