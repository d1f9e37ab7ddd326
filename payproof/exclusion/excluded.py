"""Who should have been paid but was not enrolled, per month and with the exact amount.

Eligibility comes from the population register through the very SQL that computes the
enrolled families' entitlements (:func:`payproof.rules.compute_entitlements`): each mother
in the register is a would-be family whose children are the persons naming her as their
mother, so an amount here is identical to what the same family would be owed enrolled.

What is *due* follows the rules' date: the allowance is owed from the month of the
application (the ``registered_on`` gate of the rules, set to the first application made
while the register shows the mother eligible), never from a later approval. So:

- ``rejected``, ``pending``, ``approved_not_enrolled``: applied while eligible, never
  enrolled; every eligible audited month from the application on is due;
- ``late_approval``: enrolled, but after applying: the months from the application to the
  month before registration are arrears (computed on the registry's own children);
- ``never_applied``: eligible in the register, never applied (the coverage gap); the
  amount is what would have been due had she applied, reported apart from arrears.

Proxies (the register cannot show them): a child "lives with" the mother the register
names; a child whose registered district differs from the mother's is still counted and
flagged (``child_elsewhere``); a full-time student is one with ``student_until`` in the
register (an education-register link), otherwise an 18–22-year-old is not counted and the
family is flagged (``student_unknown``) when such a child exists.
"""

from __future__ import annotations

from payproof.engine.duckdb_engine import DuckDBEngine, sql_literal
from payproof.periods import add_months, period_start
from payproof.rules import compute_entitlements
from payproof.rules.model import Rules

EXCLUDED_KINDS = ("rejected", "pending", "approved_not_enrolled", "late_approval",
                  "never_applied")  # fmt: skip
ARREARS_KINDS = EXCLUDED_KINDS[:4]  # owed: she applied while eligible
FAR_PAST = "DATE '1900-01-01'"


def _earliest_period(rules: Rules, first: str) -> str:
    """The earliest month every parameter of the rules covers (eligibility at an
    application made before the audited months is computed from then on)."""
    starts = [p.entries[0].start for p in rules.used_parameters()]
    day = max(starts)
    period = f"{day.year:04d}-{day.month:02d}"
    if day.day != 1:
        period = add_months(period, 1)
    return min(period, first)


def find_excluded(
    engine: DuckDBEngine, rules: Rules, first: str, last: str, *, has_population: bool
) -> None:
    """Materialise ``excluded_months`` (mother, family, period, kind, amount, office,
    clerk) and ``application_facts`` (one row per application with what the tests need)."""
    earliest = first
    if engine.scalar("SELECT count(*) FROM applications"):
        sub = engine.scalar("SELECT strftime(min(submitted_on), '%Y-%m') FROM applications")
        earliest = max(min(sub, first), _earliest_period(rules, first))
    if has_population:
        _register_eligibility(engine, rules, earliest, first, last)
    else:
        engine.materialise(
            "ex_eligible",
            "SELECT CAST(NULL AS VARCHAR) AS family_id, CAST(NULL AS VARCHAR) AS period, "
            "CAST(NULL AS INTEGER) AS n_children, CAST(NULL AS BIGINT) AS amount WHERE false",
            temp=True,
        )
    _applications(engine, last)
    _late_approvals(engine, rules, first, last, has_population)
    p_first, p_last = sql_literal(first), sql_literal(last)
    engine.execute(
        "CREATE OR REPLACE TEMP VIEW ex_eligible_audited AS SELECT * FROM ex_eligible "
        f"WHERE period BETWEEN {p_first} AND {p_last}"
    )
    months = f"""
    SELECT e.family_id AS mother_id, a.family_id, e.period, e.n_children, e.amount,
      CASE WHEN c.claim_from IS NULL THEN 'never_applied'
           WHEN c.last_decision = 'approved' THEN 'approved_not_enrolled'
           ELSE c.last_decision END AS kind,
      coalesce(c.office_id, r.office_id) AS office_id, c.staff_id, c.application_id,
      c.claim_from AS applied_on, c.decided_on
    FROM ex_eligible e
    LEFT JOIN ex_claims c ON c.mother_id = e.family_id
    LEFT JOIN (SELECT mother_id, max(family_id) AS family_id FROM applications
               GROUP BY mother_id) a ON a.mother_id = e.family_id
    LEFT JOIN ex_residence r ON r.mother_id = e.family_id
    WHERE e.period BETWEEN {p_first} AND {p_last}
      AND e.family_id NOT IN (SELECT mother_id FROM ex_enrolled)
      AND (c.claim_from IS NULL OR e.period >= strftime(c.claim_from, '%Y-%m'))
    UNION ALL
    SELECT f.mother_id, l.family_id, l.period, l.n_children, l.amount, 'late_approval',
      c.office_id, c.approver_id, c.approval_id, c.first_submitted, c.approved_on
    FROM ex_late_due l JOIN families f ON f.family_id = l.family_id
    JOIN ex_claims c ON c.mother_id = f.mother_id
    WHERE l.period BETWEEN {p_first} AND {p_last}
      AND l.period < strftime(f.registered_on, '%Y-%m')"""
    engine.materialise("excluded_months", months)


def _register_eligibility(
    engine: DuckDBEngine, rules: Rules, earliest: str, first: str, last: str
) -> None:
    """``ex_eligible``: per mother in the register and month, the children counted and the
    amount, by the rules' own SQL (registration gate open: eligibility, not entitlement).

    Every mother over the audited months; before them (``earliest`` to ``first``), only the
    mothers who applied then, whose eligibility at the application decides what is due."""
    columns = "mother_id AS family_id, birth_date, death_date, student_until"
    engine.execute(
        f"CREATE OR REPLACE TEMP VIEW ex_children AS SELECT {columns} FROM population "
        "WHERE mother_id IS NOT NULL"
    )
    engine.execute(
        "CREATE OR REPLACE TEMP VIEW ex_families AS SELECT DISTINCT mother_id AS family_id, "
        f"{FAR_PAST} AS registered_on FROM population WHERE mother_id IS NOT NULL"
    )
    compute_entitlements(engine, rules, first, last, "ex_eligible",
                         families="ex_families", children="ex_children", temp=True)  # fmt: skip
    if earliest < first:
        engine.execute(
            f"CREATE OR REPLACE TEMP VIEW ex_children_before AS SELECT {columns} FROM population "
            "WHERE mother_id IN (SELECT mother_id FROM applications "
            f"WHERE strftime(submitted_on, '%Y-%m') < {sql_literal(first)})"
        )
        before = add_months(first, -1)
        compute_entitlements(engine, rules, earliest, before, "ex_eligible_before",
                             families="ex_families", children="ex_children_before",
                             temp=True)  # fmt: skip
        engine.execute("INSERT INTO ex_eligible SELECT * FROM ex_eligible_before")
    # where each mother lives (her own row, else her children's), and the office there
    engine.materialise(
        "ex_residence",
        """SELECT m.mother_id, m.district, o.office_id FROM (
             SELECT c.mother_id, coalesce(min(p.district), min(c.district)) AS district
             FROM population c LEFT JOIN population p ON p.person_id = c.mother_id
             WHERE c.mother_id IS NOT NULL GROUP BY c.mother_id) m
           LEFT JOIN (SELECT district, min(office_id) AS office_id FROM offices
                      WHERE office_id IN (SELECT office_id FROM families)
                      GROUP BY district) o ON o.district = m.district""",
        temp=True,
    )


def _applications(engine: DuckDBEngine, last: str) -> None:
    """``ex_enrolled`` (mothers in the registry), ``application_facts`` and ``ex_claims``
    (per mother: the first application made while eligible, the last decision)."""
    if not engine.has_table("ex_residence"):
        engine.materialise(
            "ex_residence",
            "SELECT CAST(NULL AS VARCHAR) AS mother_id, CAST(NULL AS VARCHAR) AS district, "
            "CAST(NULL AS VARCHAR) AS office_id WHERE false",
            temp=True,
        )
    engine.materialise(
        "ex_enrolled",
        """SELECT mother_id, min(registered_on) AS registered_on FROM (
             SELECT mother_id, registered_on FROM families WHERE mother_id IS NOT NULL
             UNION ALL
             SELECT a.mother_id, f.registered_on FROM applications a
             JOIN families f ON f.family_id = a.family_id WHERE a.decision = 'approved')
           GROUP BY mother_id""",
        temp=True,
    )
    as_of = period_start(add_months(last, 1)).isoformat()
    engine.materialise(
        "application_facts",
        f"""SELECT a.application_id, a.mother_id, a.family_id, a.office_id, a.staff_id,
          a.submitted_on, a.decided_on, a.decision,
          CAST(coalesce(a.decided_on, DATE '{as_of}') - a.submitted_on AS INTEGER)
            AS days_open,
          e.family_id IS NOT NULL AS eligible,
          a.decision = 'rejected' AND EXISTS (
            SELECT 1 FROM applications b WHERE b.mother_id = a.mother_id
              AND b.decision = 'approved' AND b.submitted_on >= a.submitted_on
              AND b.application_id <> a.application_id) AS overturned
        FROM applications a
        LEFT JOIN ex_eligible e ON e.family_id = a.mother_id
          AND e.period = strftime(a.submitted_on, '%Y-%m')""",
    )
    engine.materialise(
        "ex_claims",
        """SELECT mother_id,
          min(CASE WHEN eligible THEN submitted_on END) AS claim_from,
          arg_max(decision, (submitted_on, application_id)) AS last_decision,
          arg_max(office_id, (submitted_on, application_id)) AS office_id,
          arg_max(staff_id, (submitted_on, application_id)) AS staff_id,
          arg_max(application_id, (submitted_on, application_id)) AS application_id,
          arg_max(decided_on, (submitted_on, application_id)) AS decided_on,
          min(submitted_on) AS first_submitted,
          arg_max(staff_id, CASE WHEN decision = 'approved' THEN decided_on END) AS approver_id,
          arg_max(application_id, CASE WHEN decision = 'approved' THEN decided_on END)
            AS approval_id,
          max(CASE WHEN decision = 'approved' THEN decided_on END) AS approved_on
        FROM application_facts GROUP BY mother_id""",
        temp=True,
    )


def _late_approvals(
    engine: DuckDBEngine, rules: Rules, first: str, last: str, has_population: bool
) -> None:
    """``ex_late_due``: what enrolled families were owed between their first application and
    their registration, by the rules on the registry's children (the register's where the
    input has no children table): the same SQL as their entitlements, gate moved back."""
    # one registry family per mother who applied: the one an approval names, else her
    # earliest registered (a second registration of the same mother is never owed twice)
    engine.execute(
        f"""CREATE OR REPLACE TEMP VIEW ex_late_families AS
        SELECT family_id, first_submitted AS registered_on FROM (
          SELECT f.family_id, f.registered_on AS enrolled_on, c.first_submitted,
            row_number() OVER (PARTITION BY f.mother_id ORDER BY
              f.family_id IN (SELECT family_id FROM applications WHERE decision = 'approved'
                              AND family_id IS NOT NULL) DESC,
              f.registered_on, f.family_id) AS rank
          FROM families f JOIN ex_claims c ON c.mother_id = f.mother_id) x
        WHERE rank = 1
          AND strftime(first_submitted, '%Y-%m') < strftime(enrolled_on, '%Y-%m')
          AND strftime(enrolled_on, '%Y-%m') > {sql_literal(first)}"""
    )
    # only the late families' children: the rules' heavy step then counts a few thousand
    # children, not the whole registry again
    source = (
        "SELECT family_id, birth_date, death_date, student_until FROM children"
        if engine.scalar("SELECT count(*) FROM children") or not has_population
        else "SELECT f.family_id, p.birth_date, p.death_date, p.student_until "
        "FROM population p JOIN families f ON f.mother_id = p.mother_id"
    )
    engine.execute(
        f"CREATE OR REPLACE TEMP VIEW ex_late_children AS SELECT * FROM ({source}) c "
        "WHERE c.family_id IN (SELECT family_id FROM ex_late_families)"
    )
    compute_entitlements(engine, rules, first, last, "ex_late_due",
                         families="ex_late_families", children="ex_late_children",
                         temp=True)  # fmt: skip


def evidence_sql() -> str:
    """Per excluded mother: the register's children with their ages on the first due
    month's first day, and the proxies her amount rests on."""
    return """SELECT x.mother_id, x.first_period,
      string_agg(p.person_id || ' born ' || strftime(p.birth_date, '%Y-%m-%d')
        || ' (age ' || date_part('year', age(CAST(x.first_period || '-01' AS DATE),
                                              p.birth_date)) || ')'
        || CASE WHEN p.death_date IS NOT NULL
                THEN ' died ' || strftime(p.death_date, '%Y-%m-%d') ELSE '' END
        || CASE WHEN p.student_until IS NOT NULL
                THEN ' student until ' || strftime(p.student_until, '%Y-%m-%d') ELSE '' END,
        '; ' ORDER BY p.birth_date, p.person_id) AS children,
      nullif(concat_ws(';',
        CASE WHEN bool_or(p.district IS DISTINCT FROM r.district AND r.district IS NOT NULL)
             THEN 'child_elsewhere' END,
        CASE WHEN bool_or(p.student_until IS NULL
               AND date_part('year', age(CAST(x.first_period || '-01' AS DATE), p.birth_date))
                   BETWEEN 18 AND 22) THEN 'student_unknown' END), '') AS proxies
    FROM (SELECT mother_id, min(period) AS first_period FROM excluded_months
          GROUP BY mother_id) x
    JOIN population p ON p.mother_id = x.mother_id
    LEFT JOIN ex_residence r ON r.mother_id = x.mother_id
    GROUP BY x.mother_id, x.first_period"""
