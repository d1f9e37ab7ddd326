"""The three-way reconciliation as a chain of portable SQL steps.

Each step is ``(table name, SELECT)``; an engine materialises them in order.
Only the spellings in :mod:`payproof.engine.dialect` differ between engines, so
the same chain can later run on Spark. Money stays in integer minor units
(BIGINT) throughout; conversion to major units happens only when writing.

Inputs are the typed tables made by :func:`payproof.ingest.load_input`
(families, children, offices, disbursements, receipts) and an entitlements
table with ``family_id, period, amount`` (given, or computed from rules).
"""

from __future__ import annotations

from dataclasses import dataclass

from payproof.engine.dialect import DUCKDB, Dialect
from payproof.statuses import STATUSES

# Receipt evidence, most authoritative first: a bank's own statement line beats
# the family's confirmation, which beats a survey answer. Sources are alternative
# evidence of the same money, so R is the sum over the best source present; if
# two sources disagree the family-month carries the ``conflicting_evidence`` flag.
EVIDENCE_SOURCES = ("bank_statement", "beneficiary_confirmation", "survey")

# "join": aggregate disbursements and receipts apart, then full outer joins;
# "union": one aggregation over the union of the three tables. Measured in
# docs/performance.md; both give the same findings.
RECONCILE_SHAPE = "join"

FLAGS = (
    "family_not_in_registry",
    "before_registration",
    "after_children_aged_out",
    "shared_account",
    "shared_phone",
    "conflicting_evidence",
)


@dataclass(frozen=True)
class ChildRules:
    """Ages at which a child stops counting (from the rules file)."""

    minor_age: int = 18
    student_age: int | None = 23


def shared_accounts_sql() -> str:
    """Accounts that payment lines sent money to for more than one family."""
    return (
        "SELECT account FROM disbursements WHERE account IS NOT NULL\n"
        "GROUP BY account HAVING count(DISTINCT family_id) > 1"
    )


def shared_registry_sql(column: str) -> str:
    """Registry accounts or phones that several families give as their own."""
    return (
        f"SELECT {column} AS value FROM families WHERE {column} IS NOT NULL\n"
        f"GROUP BY {column} HAVING count(DISTINCT family_id) > 1"
    )


def shared_lines_sql(shared_accounts: str) -> str:
    """Family-months with a line paid into a shared account (few: a filter, not a join)."""
    return (
        f"SELECT family_id, period FROM disbursements "
        f"WHERE account IN (SELECT account FROM {shared_accounts}) GROUP BY family_id, period"
    )


def children_span_sql(d: Dialect, rules: ChildRules) -> str:
    """Per family, the first day on which no child counts any more.

    A child counts on a month's first day while under ``minor_age`` (or a
    full-time student under ``student_age``) and alive — the same test as the
    rules engine — so the span ends at the latest such day over all children.
    """
    minor_end = d.add_years("birth_date", rules.minor_age)
    end = minor_end
    if rules.student_age is not None:
        student_limit = d.add_years("birth_date", rules.student_age)
        student_end = f"least({d.add_days('student_until', 1)}, {student_limit})"
        # LEAST and GREATEST skip NULLs in both engines, so test for NULL explicitly.
        end = (
            f"CASE WHEN student_until IS NULL THEN {minor_end} "
            f"ELSE greatest({minor_end}, {student_end}) END"
        )
    alive_end = (
        f"CASE WHEN death_date IS NULL THEN {end} "
        f"ELSE least({end}, {d.add_days('death_date', 1)}) END"
    )
    return f"SELECT family_id, max({alive_end}) AS counts_until FROM children GROUP BY family_id"


def status_sql(e: str = "e", d: str = "d", r: str = "r") -> str:
    """The first-match status rule of docs/outputs.md as one CASE expression."""
    conditions = [
        f"{e} = 0 AND {d} > 0",
        f"{d} = 0 AND {r} > 0",
        f"{e} > 0 AND {d} = 0",
        f"{d} > 0 AND {r} = 0",
        f"{r} > 0 AND {r} < {d}",
        f"{d} > 0 AND {d} < {e}",
        f"{e} > 0 AND {d} > {e}",
        f"{r} IS NULL",
    ]
    whens = "\n    ".join(
        f"WHEN {c} THEN '{s}'" for c, s in zip(conditions, STATUSES[:-1], strict=True)
    )
    return f"CASE\n    {whens}\n    ELSE '{STATUSES[-1]}' END"


def family_sql(d: Dialect, shared_accounts: str, shared_phones: str, span: str | None) -> str:
    """One row per registered family with what the flags need, so findings join it once."""
    span_join = f"LEFT JOIN {span} c ON c.family_id = f.family_id" if span else ""
    counts_until = "c.counts_until" if span else "CAST(NULL AS DATE)"
    return f"""SELECT f.family_id, f.district, f.office_id,
  {d.period_of("f.registered_on")} AS registered_period,
  sa.value IS NOT NULL AS account_shared, sp.value IS NOT NULL AS phone_shared,
  {counts_until} AS counts_until
FROM families f
LEFT JOIN {shared_accounts} sa ON sa.value = f.bank_account
LEFT JOIN {shared_phones} sp ON sp.value = f.phone
{span_join}"""


def aggregate_sql(d: Dialect, entitlements: str, source: str | None) -> str:
    """E, D and R for every family-month in one aggregation over the three tables.

    One hash aggregation over a UNION ALL instead of three aggregations and two
    full outer joins: the same result with one pass and one hash table, which
    matters when there are tens of millions of family-months.
    """
    n = len(EVIDENCE_SOURCES)
    null_r = ", ".join(f"CAST(NULL AS BIGINT) AS r_{i}" for i in range(n))
    rec_r = ", ".join(
        f"CASE WHEN source = '{s}' THEN amount END AS r_{i}" for i, s in enumerate(EVIDENCE_SOURCES)
    )
    src = source if source else "'input'"
    none = f"CAST(NULL AS {d.text()})"
    largest = d.max_by(
        d.struct(office_id="office_id", staff_id="staff_id"),
        f"CASE WHEN d IS NOT NULL THEN {d.struct(a='d', p='payment_id')} END",
    )
    sums = ",\n  ".join(f"sum(r_{i}) AS r_{i}" for i in range(n))
    return f"""SELECT family_id, period, sum(e) AS e, min(entitlement_source) AS entitlement_source,
  sum(d) AS d, CAST(count(d) AS INTEGER) AS n_disbursements, {largest} AS largest,
  {sums}
FROM (
  SELECT family_id, period, amount AS e, {src} AS entitlement_source,
    CAST(NULL AS BIGINT) AS d, {none} AS office_id, {none} AS staff_id, {none} AS payment_id,
    {null_r}
  FROM {entitlements}
  UNION ALL
  SELECT family_id, period, NULL, NULL, amount, office_id, staff_id, payment_id, {null_r}
  FROM disbursements
  UNION ALL
  SELECT family_id, period, NULL, NULL, NULL, NULL, NULL, NULL, {rec_r}
  FROM receipts
) u
GROUP BY family_id, period"""


def joined_sql(d: Dialect, entitlements: str, source: str | None) -> str:
    """E, D and R for every family-month: disbursements and receipts aggregated apart,
    then full outer joins — the same columns as :func:`aggregate_sql`.

    Each aggregation keeps a small state, so under a memory limit this shape
    spills less than one aggregation over the union of the three tables.
    """
    n = len(EVIDENCE_SOURCES)
    src = source if source else "'input'"
    largest = d.max_by(
        d.struct(office_id="office_id", staff_id="staff_id"),
        d.struct(a="amount", p="payment_id"),
    )
    rec = ",\n    ".join(
        f"sum(CASE WHEN source = '{s}' THEN amount END) AS r_{i}"
        for i, s in enumerate(EVIDENCE_SOURCES)
    )
    rcols = ", ".join(f"r.r_{i}" for i in range(n))
    return f"""SELECT coalesce(e.family_id, p.family_id, r.family_id) AS family_id,
  coalesce(e.period, p.period, r.period) AS period,
  e.amount AS e, e.entitlement_source, p.d, coalesce(p.n_disbursements, 0) AS n_disbursements,
  p.largest, {rcols}
FROM (SELECT family_id, period, amount, {src} AS entitlement_source FROM {entitlements}) e
FULL OUTER JOIN (
  SELECT family_id, period, sum(amount) AS d, CAST(count(*) AS INTEGER) AS n_disbursements,
    {largest} AS largest
  FROM disbursements GROUP BY family_id, period
) p ON p.family_id = e.family_id AND p.period = e.period
FULL OUTER JOIN (
  SELECT family_id, period,
    {rec}
  FROM receipts GROUP BY family_id, period
) r ON r.family_id = coalesce(e.family_id, p.family_id)
  AND r.period = coalesce(e.period, p.period)"""


def findings_sql(d: Dialect, aggregate: str, family: str, shared_lines: str) -> str:
    """Amounts, status and flags for each family-month, in the output's column order.

    ``aggregate`` is the SELECT of :func:`aggregate_sql` (inlined, so the engine can
    stream it straight into the output file).
    """
    n = len(EVIDENCE_SOURCES)
    best = f"coalesce({', '.join(f'a.r_{i}' for i in range(n))})"
    evidence = (
        "CASE "
        + " ".join(f"WHEN a.r_{i} IS NOT NULL THEN '{s}'" for i, s in enumerate(EVIDENCE_SOURCES))
        + " END"
    )
    conflicting = " OR ".join(
        f"(a.r_{i} IS NOT NULL AND a.r_{j} IS NOT NULL AND a.r_{i} <> a.r_{j})"
        for i in range(n)
        for j in range(i + 1, n)
    )
    flags = d.compact_list(
        [
            "CASE WHEN f.family_id IS NULL THEN 'family_not_in_registry' END",
            "CASE WHEN j.d > 0 AND j.period < f.registered_period THEN 'before_registration' END",
            f"CASE WHEN j.d > 0 AND {d.period_start('j.period')} >= f.counts_until "
            "THEN 'after_children_aged_out' END",
            "CASE WHEN sl.family_id IS NOT NULL OR (j.d > 0 AND f.account_shared) "
            "THEN 'shared_account' END",
            "CASE WHEN j.d > 0 AND f.phone_shared THEN 'shared_phone' END",
            "CASE WHEN j.conflicting THEN 'conflicting_evidence' END",
        ]
    )
    return f"""SELECT j.family_id, j.period,
  coalesce(f.district, po.district) AS district,
  coalesce(j.pay_office_id, f.office_id) AS office_id,
  j.staff_id,
  j.n_disbursements,
  j.e AS entitled, j.d AS disbursed, j.r AS received,
  coalesce(j.r, j.d) AS delivered,
  greatest(j.e - coalesce(j.r, j.d), 0) AS owed,
  greatest(j.e - j.d, 0) AS not_disbursed,
  CASE WHEN j.r IS NULL THEN 0 ELSE greatest(j.d - j.r, 0) END AS lost_in_delivery,
  greatest(j.d - j.e, 0) AS excess,
  {status_sql("j.e", "j.d", "j.r")} AS status,
  {flags} AS flags,
  j.entitlement_source,
  j.evidence
FROM (
  SELECT a.family_id, a.period, coalesce(a.e, 0) AS e, coalesce(a.d, 0) AS d,
    {best} AS r, a.entitlement_source, a.n_disbursements,
    a.largest.office_id AS pay_office_id, a.largest.staff_id AS staff_id,
    {evidence} AS evidence, coalesce({conflicting}, false) AS conflicting
  FROM ({aggregate}) a
) j
LEFT JOIN {family} f ON f.family_id = j.family_id
LEFT JOIN {shared_lines} sl ON sl.family_id = j.family_id AND sl.period = j.period
LEFT JOIN offices po ON po.office_id = j.pay_office_id"""


def reconcile_steps(
    *,
    entitlements: str = "entitlements",
    entitlement_source_column: str | None = None,
    with_children: bool = True,
    child_rules: ChildRules | None = None,
    dialect: Dialect = DUCKDB,
    prefix: str = "rc_",
    findings: str = "findings",
) -> list[tuple[str, str]]:
    """The (table, SELECT) steps that produce ``findings``, in order.

    Every step but the last is small (per account, per family); the last one is
    the only pass over the large tables and may be streamed to a file.
    """
    n = {k: prefix + k for k in (
        "shared_accounts", "shared_lines", "shared_registry_accounts",
        "shared_phones", "children_span", "family",
    )}  # fmt: skip
    steps = [
        (n["shared_accounts"], shared_accounts_sql()),
        (n["shared_lines"], shared_lines_sql(n["shared_accounts"])),
        (n["shared_registry_accounts"], shared_registry_sql("bank_account")),
        (n["shared_phones"], shared_registry_sql("phone")),
    ]
    span = None
    if with_children:
        span = n["children_span"]
        steps.append((span, children_span_sql(dialect, child_rules or ChildRules())))
    steps.append(
        (
            n["family"],
            family_sql(dialect, n["shared_registry_accounts"], n["shared_phones"], span),
        )
    )
    shape = joined_sql if RECONCILE_SHAPE == "join" else aggregate_sql
    aggregate = shape(dialect, entitlements, entitlement_source_column)
    steps.append((findings, findings_sql(dialect, aggregate, n["family"], n["shared_lines"])))
    return steps
