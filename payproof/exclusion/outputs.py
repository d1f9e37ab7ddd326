"""excluded.csv, the application columns of staff.csv and offices.csv, and the summary.

excluded.csv is an investigator's file (like families.csv): per excluded mother her id,
the months, the amount due and the evidence (the register's children and their ages).
Nothing else from the register leaves the store: summary.json and the report carry
counts and money only.
"""

from __future__ import annotations

from pathlib import Path

from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.engine.export import copy_csv
from payproof.exclusion.excluded import ARREARS_KINDS, EXCLUDED_KINDS, evidence_sql
from payproof.i18n import N_
from payproof.money import format_amount, sql_major_units

# What the register-based amounts rest on: written to summary.json as is (English, for
# machines and re-computation); the report shows it in the reader's language.
PROXIES = N_(
    "children count with the mother the register names (living together is not in "
    "the register); a child registered in another district is counted and flagged "
    "child_elsewhere; students are those with student_until in the register, and a "
    "family with an 18-22-year-old not shown as a student is flagged student_unknown"
)

EXCLUDED_FILE = "excluded.csv"
# staff.csv / offices.csv columns added when the input has applications (docs/outputs.md)
APPLICATION_COLUMNS = (
    "applications", "approved", "rejected", "pending", "median_decision_days", "late",
    "pending_overdue", "eligible_applications", "rejected_eligible", "overturned",
)  # fmt: skip
STAFF_TESTS = ("late_vs_office", "late_vs_region", "rejected_eligible_vs_office",
               "rejected_eligible_vs_region", "overturned_vs_office", "overturned_vs_region")
OFFICE_TESTS = ("late_vs_region", "late_vs_programme", "rejected_eligible_vs_region",
                "rejected_eligible_vs_programme", "overturned_vs_region",
                "overturned_vs_programme")  # fmt: skip
# per clerk, the rate at which its own test would have flagged it (docs/outputs.md)
DETECTABLE_COLUMNS = ("detectable_late_rate", "detectable_rejected_eligible_rate")
SIGNATURE_COLUMNS = ("approvals_short_first", "delayed_approvals_short_first",
                     "exclusion_complaints")  # fmt: skip


def _test_columns(tests: tuple[str, ...]) -> list[str]:
    return [f"{t}_{x}" for t in tests for x in ("rate", "q")]


def signature_sql(term: int) -> str:
    """Per clerk, the bribe-for-approval signature (corroboration, never a test): approvals
    whose family's first payment went through the same clerk and came up short, those of
    them decided after the legal term, and complaints of wrongful exclusion naming the clerk."""
    return f"""WITH first_pay AS (
      SELECT family_id, min(period) AS period FROM findings WHERE disbursed > 0
      GROUP BY family_id),
    first_line AS (
      SELECT f.family_id, f.staff_id,
        f.received IS NOT NULL AND f.received < f.disbursed AS short
      FROM findings f JOIN first_pay p ON p.family_id = f.family_id AND p.period = f.period),
    approvals AS (
      SELECT a.staff_id, a.days_open > {int(term)} AS late,
        coalesce(l.short AND l.staff_id = a.staff_id, false) AS short_same
      FROM application_facts a LEFT JOIN first_line l ON l.family_id = a.family_id
      WHERE a.decision = 'approved' AND a.staff_id IS NOT NULL)
    SELECT s.staff_id,
      CAST(coalesce(x.short_first, 0) AS BIGINT) AS approvals_short_first,
      CAST(coalesce(x.delayed_short, 0) AS BIGINT) AS delayed_approvals_short_first,
      CAST(coalesce(g.n, 0) AS BIGINT) AS exclusion_complaints
    FROM (SELECT staff_id FROM application_staff) s
    LEFT JOIN (SELECT staff_id, count(CASE WHEN short_same THEN 1 END) AS short_first,
                 count(CASE WHEN short_same AND late THEN 1 END) AS delayed_short
               FROM approvals GROUP BY staff_id) x ON x.staff_id = s.staff_id
    LEFT JOIN (SELECT staff_id, count(*) AS n FROM grievances
               WHERE category = 'wrongly_excluded' AND staff_id IS NOT NULL
               GROUP BY staff_id) g ON g.staff_id = s.staff_id"""


def prepare_outputs(engine: DuckDBEngine, term: int) -> None:
    """Tables the writers read: ``application_staff_out`` and ``application_offices_out``
    (figures, tests, flags and the bribe signature), ``excluded_offices``."""
    engine.materialise("ex_signature", signature_sql(term), temp=True)
    sig = ", ".join(f"g.{c}" for c in SIGNATURE_COLUMNS)
    cols = ", ".join(f"a.{c}" for c in APPLICATION_COLUMNS)
    tests = ", ".join(f"a.{c}" for c in _test_columns(STAFF_TESTS))
    detect = ", ".join(f"a.{c}" for c in DETECTABLE_COLUMNS)
    engine.materialise(
        "application_staff_out",
        f"""SELECT a.staff_id, {cols}, {tests}, {detect}, a.application_flagged,
          a.application_flagged_by, a.application_in_flagged_office, {sig}
        FROM application_staff a LEFT JOIN ex_signature g ON g.staff_id = a.staff_id""",
    )
    otests = ", ".join(f"a.{c}" for c in _test_columns(OFFICE_TESTS))
    arrears = ", ".join(f"'{k}'" for k in ARREARS_KINDS)
    engine.materialise(
        "application_offices_out",
        f"""SELECT coalesce(a.office_id, x.office_id) AS office_id, {cols}, {otests},
          a.application_flagged, a.application_flagged_by, a.application_office_wide,
          CAST(coalesce(x.excluded_families, 0) AS BIGINT) AS excluded_families,
          CAST(coalesce(x.excluded_due, 0) AS BIGINT) AS excluded_due,
          CAST(coalesce(x.never_applied_families, 0) AS BIGINT) AS never_applied_families
        FROM application_offices a FULL JOIN (
          SELECT office_id,
            count(DISTINCT CASE WHEN kind IN ({arrears}) THEN mother_id END) AS excluded_families,
            sum(CASE WHEN kind IN ({arrears}) THEN amount ELSE 0 END) AS excluded_due,
            count(DISTINCT CASE WHEN kind = 'never_applied' THEN mother_id END)
              AS never_applied_families
          FROM excluded_months WHERE office_id IS NOT NULL GROUP BY office_id) x
        ON x.office_id = a.office_id""",
    )


def staff_extra() -> tuple[str, list[str]]:
    """(join, columns) that staff.csv adds when the input has applications."""
    names = [*APPLICATION_COLUMNS, *_test_columns(STAFF_TESTS), *DETECTABLE_COLUMNS,
             "application_flagged",
             "application_flagged_by", "application_in_flagged_office",
             *SIGNATURE_COLUMNS]  # fmt: skip
    return "LEFT JOIN application_staff_out ax USING (staff_id)", [f"ax.{c}" for c in names]


def office_extra() -> tuple[str, list[str]]:
    """(join, columns) that offices.csv adds when the input has applications or a register."""
    names = [*APPLICATION_COLUMNS, *_test_columns(OFFICE_TESTS), "application_flagged",
             "application_flagged_by", "application_office_wide",
             "excluded_families"]  # fmt: skip
    cols = [f"ax.{c}" for c in names] + [
        f"{sql_major_units('ax.excluded_due')} AS excluded_due", "ax.never_applied_families"
    ]
    return "LEFT JOIN application_offices_out ax USING (office_id)", cols


def excluded_select(has_population: bool) -> str:
    evidence = (
        f"LEFT JOIN ({evidence_sql()}) ev ON ev.mother_id = x.mother_id"
        if has_population
        else "LEFT JOIN (SELECT NULL AS mother_id, NULL AS children, NULL AS proxies) ev "
        "ON false"
    )
    district = (
        "LEFT JOIN ex_residence r ON r.mother_id = x.mother_id"
        if has_population
        else "LEFT JOIN (SELECT NULL AS mother_id, NULL AS district) r ON false"
    )
    order = ", ".join(f"'{k}'" for k in EXCLUDED_KINDS)
    return f"""SELECT x.mother_id, x.family_id, x.kind, x.application_id, x.applied_on,
      x.decided_on, x.office_id, x.staff_id, coalesce(r.district, f.district) AS district,
      x.months, x.periods, x.first_period, x.last_period,
      {sql_major_units("x.amount_due")} AS amount_due, x.children_counted,
      ev.children AS evidence, ev.proxies
    FROM (SELECT mother_id, any_value(family_id) AS family_id, any_value(kind) AS kind,
            any_value(application_id) AS application_id, any_value(applied_on) AS applied_on,
            any_value(decided_on) AS decided_on, any_value(office_id) AS office_id,
            any_value(staff_id) AS staff_id, CAST(count(*) AS INTEGER) AS months,
            string_agg(period, ' ' ORDER BY period) AS periods,
            min(period) AS first_period, max(period) AS last_period,
            sum(amount) AS amount_due,
            string_agg(period || ':' || n_children, ' ' ORDER BY period) AS children_counted
          FROM excluded_months GROUP BY mother_id) x
    {district}
    LEFT JOIN families f ON f.family_id = x.family_id
    {evidence}
    ORDER BY list_position([{order}], x.kind), x.mother_id"""


def write_excluded(engine: DuckDBEngine, folder: Path, has_population: bool) -> Path:
    return copy_csv(engine, excluded_select(has_population), folder / EXCLUDED_FILE)


def exclusion_summary(engine: DuckDBEngine, term: int, has_population: bool) -> dict:
    """Aggregates only (counts and money): summary.json's ``excluded`` block."""
    kinds = {
        k: {"families": int(f), "family_periods": int(n), "amount_due": format_amount(int(a))}
        for k, f, n, a in engine.rows(
            "SELECT kind, count(DISTINCT mother_id), count(*), sum(amount) FROM excluded_months "
            "GROUP BY kind ORDER BY kind"
        )
    }
    arrears = ", ".join(f"'{k}'" for k in ARREARS_KINDS)
    owed, families = engine.rows(
        f"SELECT coalesce(sum(amount), 0), count(DISTINCT mother_id) FROM excluded_months "
        f"WHERE kind IN ({arrears})"
    )[0]
    unclaimed = engine.scalar(
        "SELECT coalesce(sum(amount), 0) FROM excluded_months WHERE kind = 'never_applied'"
    )
    apps = engine.rows(
        f"SELECT count(*), count(CASE WHEN decision = 'approved' THEN 1 END), "
        f"count(CASE WHEN decision = 'rejected' THEN 1 END), "
        f"count(CASE WHEN decision = 'pending' THEN 1 END), "
        f"count(CASE WHEN days_open > {int(term)} THEN 1 END), "
        f"count(CASE WHEN decision = 'pending' AND days_open > {int(term)} THEN 1 END), "
        "count(CASE WHEN eligible AND decision = 'rejected' THEN 1 END), "
        "count(CASE WHEN overturned THEN 1 END) FROM application_facts"
    )[0]
    out = {
        "owed": format_amount(int(owed)),
        "families_owed": int(families),
        "never_applied_would_be_due": format_amount(int(unclaimed or 0)),
        "by_kind": kinds,
        "applications": dict(zip(
            ("total", "approved", "rejected", "pending", "late", "pending_overdue",
             "rejected_eligible", "overturned"), (int(v) for v in apps), strict=True)),
        "legal_term_days": int(term),
        "staff_flagged": int(engine.scalar(
            "SELECT count(*) FROM application_staff WHERE application_flagged")),
        "offices_flagged": int(engine.scalar(
            "SELECT count(*) FROM application_offices WHERE application_flagged")),
        "offices_flagged_as_a_whole": int(engine.scalar(
            "SELECT count(*) FROM application_offices WHERE application_office_wide")),
        "register": has_population,
    }  # fmt: skip
    if has_population:
        out["coverage_by_district"] = [
            {"district": d, "eligible_families": int(e), "enrolled": int(n)}
            for d, e, n in engine.rows(_coverage_sql())
        ]
        out["proxies"] = PROXIES
    return out


def _coverage_sql() -> str:
    """Per district: mothers the register shows eligible in an audited month, and how
    many of them are enrolled."""
    return """SELECT coalesce(r.district, '(unknown)') AS district,
      count(*) AS eligible, count(n.mother_id) AS enrolled
    FROM (SELECT DISTINCT family_id AS mother_id FROM ex_eligible_audited) e
    LEFT JOIN ex_residence r ON r.mother_id = e.mother_id
    LEFT JOIN ex_enrolled n ON n.mother_id = e.mother_id
    GROUP BY 1 ORDER BY 1"""
