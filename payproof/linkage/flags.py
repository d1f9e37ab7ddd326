"""Red flags on the registry and the payroll, as portable SQL steps.

Each rule is a SELECT giving ``flag, rule, family_id, child_id, entity,
evidence`` for every record it flags; the rules are run like the audit's
reconciliation (``(table, SELECT)`` pairs materialised by the engine) and
gathered into one table::

    red_flags(flag, rule, family_id, child_id, entity, evidence, amount_paid)

``entity`` is what the flagged records share or break (an account, a phone, a
child's national ID, an office, a cluster); ``amount_paid`` is every
disbursement to the flagged family (for a child, to the child's family), in
minor units. A flag is a reason to look, not proof: honest relatives share
phones, and registries hold typing errors. The thresholds below are the
documented defaults (docs/ghosts.md explains each).

Optional inputs are used when present and skipped when not: ``children``,
the audit's ``findings``, and the Splink clusters ``mother_clusters`` and
``child_clusters`` of :mod:`payproof.linkage`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from scipy import stats

from payproof.engine.dialect import Dialect, dialect_of

# Two births of one mother less than ~9 months apart cannot both be real...
SIBLING_MIN_DAYS = 270
# ...unless they are twins or other multiples (a birth over midnight, or a late entry).
TWIN_MAX_DAYS = 2
# A mother's age in full years at a child's birth outside [14, 55] is implausible.
MOTHER_MIN_AGE = 14
MOTHER_MAX_AGE = 55
# More children than this in one family is implausible for a single registration.
MAX_CHILDREN = 15
# An account or phone given or paid for this many families or more is shared.
SHARED_MIN_FAMILIES = 2
# Registration bursts: a window of this many days, compared with the office's own rate
# in the weeks before and after it (and over its whole history), must hold at least
# BURST_MIN_COUNT registrations, BURST_MIN_RATIO times the expected count, and be
# that unlikely under a Poisson model (the threshold allows for testing every window).
BURST_WINDOW_DAYS = 7
BURST_CONTEXT_WEEKS = 13
BURST_MIN_COUNT = 10
BURST_MIN_RATIO = 3.0
BURST_MAX_P = 1e-6

PREFIX = "rf_"


@dataclass(frozen=True)
class Rule:
    code: str
    text: str


RULES = {
    r.code: r
    for r in (
        Rule("shared_account", "One bank account is given in the registry or paid into for "
             f"{SHARED_MIN_FAMILIES} or more families."),
        Rule("shared_phone", f"One phone number is given for {SHARED_MIN_FAMILIES} or more "
             "families in the registry."),
        Rule("child_in_two_families", "The same child (same national ID, or the same person "
             "by record linkage) is counted in more than one family."),
        Rule("siblings_too_close", f"A child born less than {SIBLING_MIN_DAYS} days (about 9 "
             f"months) after a sibling, and not a twin (births within {TWIN_MAX_DAYS} days)."),
        Rule("implausible_mother_age", f"The mother was under {MOTHER_MIN_AGE} or over "
             f"{MOTHER_MAX_AGE} years old at a child's birth."),
        Rule("registered_after_death", "A child's recorded death comes before the family's "
             "registration for the allowance."),
        Rule("paid_after_death", "The family was paid more than its entitlement in months "
             "that begin after a child's recorded death."),
        Rule("too_many_children", f"More than {MAX_CHILDREN} children in one family."),
        Rule("registration_burst", f"Registered in a {BURST_WINDOW_DAYS}-day window in which "
             f"the office registered at least {BURST_MIN_COUNT} families and at least "
             f"{BURST_MIN_RATIO:g} times its usual rate (Poisson p < {BURST_MAX_P:g})."),
        Rule("not_in_registry", "Paid, but the family is not in the registry."),
        Rule("mother_registered_twice", "The mother is registered in more than one family "
             "record (record linkage cluster)."),
    )
}  # fmt: skip


# -- engine spellings not in payproof.engine.dialect --------------------------------------


def day_number(d: Dialect, day: str) -> str:
    """Days since 1970-01-01 as an integer (for RANGE window frames)."""
    if d.name == "duckdb":
        return f"CAST(date_diff('day', DATE '1970-01-01', {day}) AS BIGINT)"
    return f"CAST(datediff({day}, DATE '1970-01-01') AS BIGINT)"


def days_between(d: Dialect, first: str, later: str) -> str:
    """Whole days from ``first`` to ``later``."""
    if d.name == "duckdb":
        return f"date_diff('day', {first}, {later})"
    return f"datediff({later}, {first})"


def full_years(d: Dialect, birth: str, day: str) -> str:
    """Age in completed years on ``day`` of someone born on ``birth``."""
    if d.name == "duckdb":
        return f"date_sub('year', {birth}, {day})"
    return f"CAST(floor(months_between({day}, {birth}) / 12) AS INT)"


JOINED_IDS_MAX = 20  # ids written out in one evidence text; a big cluster says how many more


def joined_ids(d: Dialect, column: str) -> str:
    """The first distinct values of ``column`` in a group, sorted, as 'a, b, c (and N more)'.

    Bounded, because every member of a group carries the text: a cluster of k records
    with all k ids written out costs k² characters (a 5,000-record cluster: hundreds of MB).
    """
    n = JOINED_IDS_MAX
    if d.name == "duckdb":
        ids = f"list(DISTINCT {column} ORDER BY {column})"
        head = f"array_to_string(list_slice({ids}, 1, {n}), ', ')"
    else:
        ids = f"array_sort(collect_set({column}))"
        head = f"array_join(slice({ids}, 1, {n}), ', ')"
    more = f"count(DISTINCT {column})"
    return (f"{head} || CASE WHEN {more} > {n} THEN ' (and ' || CAST({more} - {n} AS STRING)"
            " || ' more)' ELSE '' END")


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _head(code: str) -> str:
    return f"{_lit(code)} AS flag, {_lit(RULES[code].text)} AS rule"


# -- one SELECT per rule ------------------------------------------------------------------


def shared_value_sql(code: str, uses: str, what: str) -> str:
    """Every family using a value (account or phone) that several families use."""
    return f"""WITH uses AS ({uses}),
shared AS (
  SELECT value, count(DISTINCT family_id) AS n,
    count(DISTINCT CASE WHEN src = 'registry' THEN family_id END) AS n_registry,
    count(DISTINCT CASE WHEN src = 'paid' THEN family_id END) AS n_paid
  FROM uses GROUP BY value HAVING count(DISTINCT family_id) >= {SHARED_MIN_FAMILIES}
)
SELECT DISTINCT {_head(code)}, u.family_id, CAST(NULL AS VARCHAR) AS child_id,
  s.value AS entity,
  '{what} ' || s.value || ' is used for ' || CAST(s.n AS VARCHAR) || ' families ('
    || CAST(s.n_registry AS VARCHAR) || ' in the registry, '
    || CAST(s.n_paid AS VARCHAR) || ' in payments)' AS evidence
FROM uses u JOIN shared s ON s.value = u.value"""


def shared_account_sql() -> str:
    uses = (
        "SELECT bank_account AS value, family_id, 'registry' AS src FROM families "
        "WHERE bank_account IS NOT NULL AND bank_account <> '' "
        "UNION ALL SELECT account, family_id, 'paid' FROM disbursements "
        "WHERE account IS NOT NULL AND account <> ''"
    )
    return shared_value_sql("shared_account", uses, "account")


def shared_phone_sql() -> str:
    uses = (
        "SELECT phone AS value, family_id, 'registry' AS src FROM families "
        "WHERE phone IS NOT NULL AND phone <> ''"
    )
    return shared_value_sql("shared_phone", uses, "phone")


def child_in_two_families_sql(d: Dialect, with_clusters: bool) -> str:
    """Children whose national ID (or linkage cluster) appears in several families."""
    keys = [
        "SELECT child_id, family_id, 'national ID ' || child_national_id AS grp, 1 AS pref "
        "FROM children WHERE child_national_id IS NOT NULL AND child_national_id <> '' "
        # one digit repeated ('000000000000') is a clerk's "no IIN", not a shared child
        # (pp_iin_placeholder's rule, spelled in SQL that Spark runs too)
        "AND NOT (length(child_national_id) >= 6 AND "
        "replace(child_national_id, substr(child_national_id, 1, 1), '') = '')"
    ]
    if with_clusters:
        keys.append(
            "SELECT c.child_id, c.family_id, 'child cluster ' || CAST(k.cluster_id AS VARCHAR), 2 "
            "FROM children c JOIN child_clusters k ON k.child_id = c.child_id"
        )
    union = "\n  UNION ALL ".join(keys)
    return f"""WITH keyed AS (
  {union}
), spread AS (
  SELECT grp, count(DISTINCT family_id) AS n, {joined_ids(d, "family_id")} AS families
  FROM keyed GROUP BY grp HAVING count(DISTINCT family_id) > 1
), hits AS (
  SELECT k.child_id, k.family_id, s.grp, s.n, s.families,
    row_number() OVER (PARTITION BY k.child_id ORDER BY k.pref, s.grp) AS pick
  FROM keyed k JOIN spread s ON s.grp = k.grp
)
SELECT {_head("child_in_two_families")}, family_id, child_id, grp AS entity,
  grp || ' is counted in ' || CAST(n AS VARCHAR) || ' families: ' || families AS evidence
FROM hits WHERE pick = 1"""


def child_gaps_sql(d: Dialect) -> str:
    """Each child beside the sibling born just before (scratch step for the spacing rules)."""
    return f"""SELECT child_id, family_id, birth_date, prev_child, prev_birth,
  {days_between(d, "prev_birth", "birth_date")} AS gap_days
FROM (
  SELECT child_id, family_id, birth_date,
    lag(child_id) OVER w AS prev_child, lag(birth_date) OVER w AS prev_birth
  FROM children WHERE birth_date IS NOT NULL
  WINDOW w AS (PARTITION BY family_id ORDER BY birth_date, child_id)
) x"""


def siblings_too_close_sql(gaps: str) -> str:
    return f"""SELECT {_head("siblings_too_close")}, family_id, child_id,
  prev_child AS entity,
  'born ' || CAST(birth_date AS VARCHAR) || ', ' || CAST(gap_days AS VARCHAR)
    || ' days after sibling ' || prev_child || ' (born ' || CAST(prev_birth AS VARCHAR) || ')'
    AS evidence
FROM {gaps}
WHERE gap_days > {TWIN_MAX_DAYS} AND gap_days < {SIBLING_MIN_DAYS}"""


def mother_age_sql(d: Dialect) -> str:
    age = full_years(d, "f.mother_birth_date", "c.birth_date")
    return f"""SELECT {_head("implausible_mother_age")}, c.family_id, c.child_id,
  f.mother_id AS entity,
  'mother born ' || CAST(f.mother_birth_date AS VARCHAR) || ' was '
    || CAST({age} AS VARCHAR) || ' at the birth of ' || c.child_id
    || ' (born ' || CAST(c.birth_date AS VARCHAR) || ')' AS evidence
FROM children c JOIN families f ON f.family_id = c.family_id
WHERE c.birth_date < {d.add_years("f.mother_birth_date", MOTHER_MIN_AGE)}
   OR c.birth_date >= {d.add_years("f.mother_birth_date", MOTHER_MAX_AGE + 1)}"""


def registered_after_death_sql(d: Dialect) -> str:
    return f"""SELECT {_head("registered_after_death")}, c.family_id, c.child_id,
  c.child_national_id AS entity,
  'child died ' || CAST(c.death_date AS VARCHAR) || '; family registered '
    || CAST(f.registered_on AS VARCHAR) || ', '
    || CAST({days_between(d, "c.death_date", "f.registered_on")} AS VARCHAR)
    || ' days later' AS evidence
FROM children c JOIN families f ON f.family_id = c.family_id
WHERE c.death_date IS NOT NULL AND c.death_date < f.registered_on"""


def paid_after_death_sql(d: Dialect, findings: str) -> str:
    """Excess payments in months that start after a child's death (needs the audit)."""
    return f"""SELECT {_head("paid_after_death")}, c.family_id, c.child_id,
  c.child_national_id AS entity,
  'child died ' || CAST(c.death_date AS VARCHAR) || '; family paid beyond its entitlement in '
    || CAST(count(*) AS VARCHAR) || ' later month(s), ' || min(p.period) || ' to '
    || max(p.period) AS evidence
FROM children c JOIN {findings} p ON p.family_id = c.family_id
WHERE c.death_date IS NOT NULL AND p.excess > 0
  AND {d.period_start("p.period")} > c.death_date
GROUP BY c.family_id, c.child_id, c.child_national_id, c.death_date"""


def too_many_children_sql() -> str:
    return f"""SELECT {_head("too_many_children")}, family_id, CAST(NULL AS VARCHAR) AS child_id,
  CAST(NULL AS VARCHAR) AS entity,
  CAST(count(*) AS VARCHAR) || ' children registered (more than {MAX_CHILDREN})' AS evidence
FROM children GROUP BY family_id HAVING count(*) > {MAX_CHILDREN}"""


def not_in_registry_sql(with_rejects: bool = False) -> str:
    """Paid families with no accepted registry record. Where ingest rejected the
    family's record itself (conflicting rows under one family_id), the evidence says
    so: two records that disagree are not the same as none."""
    why, join = "'no registry record'", ""
    if with_rejects:
        why = """coalesce('registry record rejected at ingest (' || min(r.reason) || ', '
      || min(r.file) || ' line ' || CAST(min(r.line) AS VARCHAR) || ')', 'no registry record')"""
        join = """LEFT JOIN (SELECT k.key, r.reason, r.file, r.line
           FROM rejected_keys k JOIN rejects r
             ON r.table_name = k.table_name AND r.line = k.line AND r.severity = 'error'
           WHERE k.table_name = 'families') r ON r.key = p.family_id"""
    return f"""SELECT {_head("not_in_registry")}, p.family_id, CAST(NULL AS VARCHAR) AS child_id,
  min(p.office_id) AS entity,
  'paid ' || CAST(count(DISTINCT p.payment_id) AS VARCHAR) || ' time(s), ' || min(p.period)
    || ' to ' || max(p.period) || ', by ' || CAST(count(DISTINCT p.office_id) AS VARCHAR)
    || ' office(s); ' || {why} AS evidence
FROM disbursements p {join}
WHERE NOT EXISTS (SELECT 1 FROM families f WHERE f.family_id = p.family_id)
GROUP BY p.family_id"""


def mother_registered_twice_sql(d: Dialect) -> str:
    return f"""WITH big AS (
  SELECT cluster_id, max(cluster_size) AS size, {joined_ids(d, "family_id")} AS families
  FROM mother_clusters GROUP BY cluster_id HAVING max(cluster_size) > 1
)
SELECT {_head("mother_registered_twice")}, m.family_id, CAST(NULL AS VARCHAR) AS child_id,
  'mother cluster ' || CAST(m.cluster_id AS VARCHAR) AS entity,
  'one of ' || CAST(b.size AS VARCHAR) || ' records of the same mother: ' || b.families
    AS evidence
FROM mother_clusters m JOIN big b ON b.cluster_id = m.cluster_id"""


# -- registration bursts (SQL counts, Poisson tail in numpy) ------------------------------


def burst_windows_sql(d: Dialect) -> str:
    """Every window starting at a registration day, with its count and the context counts."""
    w, ctx = BURST_WINDOW_DAYS, 7 * BURST_CONTEXT_WEEKS
    dn = day_number(d, "registered_on")
    return f"""WITH r AS (
  SELECT office_id, {dn} AS dn FROM families
  WHERE office_id IS NOT NULL AND registered_on IS NOT NULL
), o AS (
  SELECT office_id, count(*) AS total, max(dn) - min(dn) + 1 AS span_days FROM r GROUP BY office_id
), k AS (
  SELECT office_id, dn,
    count(*) OVER (PARTITION BY office_id ORDER BY dn
      RANGE BETWEEN CURRENT ROW AND {w - 1} FOLLOWING) AS n_window,
    count(*) OVER (PARTITION BY office_id ORDER BY dn
      RANGE BETWEEN {ctx} PRECEDING AND 1 PRECEDING) AS n_before,
    count(*) OVER (PARTITION BY office_id ORDER BY dn
      RANGE BETWEEN {w} FOLLOWING AND {w - 1 + ctx} FOLLOWING) AS n_after
  FROM r
)
SELECT DISTINCT k.office_id, k.dn AS start_dn, k.n_window, k.n_before, k.n_after,
  o.total, o.span_days
FROM k JOIN o ON o.office_id = k.office_id
WHERE k.n_window >= {BURST_MIN_COUNT}"""


def score_bursts(windows: pa.Table) -> pa.Table:
    """Expected count, Poisson tail and a verdict for each candidate window.

    The expected count over ``BURST_WINDOW_DAYS`` is the largest of the office's
    rate in the weeks before the window, in the weeks after it, and over its whole
    history: the largest, so that a programme's launch or a seasonal rush (busy on
    one side) is not mistaken for a burst, while a one-week spike stands out.
    """
    n = np.asarray(windows.column("n_window").to_numpy(zero_copy_only=False), np.float64)
    before = np.asarray(windows.column("n_before").to_numpy(zero_copy_only=False), np.float64)
    after = np.asarray(windows.column("n_after").to_numpy(zero_copy_only=False), np.float64)
    total = np.asarray(windows.column("total").to_numpy(zero_copy_only=False), np.float64)
    span = np.asarray(windows.column("span_days").to_numpy(zero_copy_only=False), np.float64)
    w = BURST_WINDOW_DAYS
    history = total / np.maximum(span, w) * w
    expected = np.maximum.reduce([before / BURST_CONTEXT_WEEKS * w / 7,
                                  after / BURST_CONTEXT_WEEKS * w / 7, history])  # fmt: skip
    expected = np.maximum(expected, 1e-9)
    p = stats.poisson.sf(n - 1, expected)
    burst = (n >= BURST_MIN_COUNT) & (n >= BURST_MIN_RATIO * expected) & (p < BURST_MAX_P)
    evidence = [
        f"{int(k)} registrations in {w} days; the office usually registers {e:.2f} "
        f"(Poisson p = {pv:.1e})"
        for k, e, pv in zip(n, expected, p, strict=True)
    ]
    return pa.table(
        {
            "office_id": windows.column("office_id"),
            "start_dn": windows.column("start_dn"),
            "n_window": windows.column("n_window"),
            "expected": pa.array(expected),
            "p_value": pa.array(p),
            "burst": pa.array(burst),
            "evidence": pa.array(evidence, pa.string()),
        }
    )


def burst_families_sql(d: Dialect, tested: str) -> str:
    """Each family registered inside a burst window (the strongest window it falls in)."""
    dn = day_number(d, "f.registered_on")
    start = "DATE '1970-01-01'"
    window_start = (
        f"CAST({start} + INTERVAL (b.start_dn) DAY AS DATE)"
        if d.name == "duckdb"
        else f"date_add({start}, CAST(b.start_dn AS INT))"
    )
    return f"""SELECT {_head("registration_burst")}, family_id, CAST(NULL AS VARCHAR) AS child_id,
  office_id AS entity, evidence
FROM (
  SELECT f.family_id, f.office_id,
    'office ' || f.office_id || ', window from ' || CAST({window_start} AS VARCHAR) || ': '
      || b.evidence AS evidence,
    row_number() OVER (PARTITION BY f.family_id ORDER BY b.p_value, b.start_dn) AS pick
  FROM families f JOIN {tested} b ON b.office_id = f.office_id AND b.burst
    AND {dn} >= b.start_dn AND {dn} < b.start_dn + {BURST_WINDOW_DAYS}
) x WHERE pick = 1"""


# -- the whole chain ----------------------------------------------------------------------


def _nonempty(engine, table: str) -> bool:
    return engine.has_table(table) and bool(engine.scalar(f"SELECT count(*) > 0 FROM {table}"))


def flag_steps(
    d: Dialect,
    *,
    with_families: bool,
    with_children: bool,
    with_disbursements: bool,
    findings: str | None,
    with_mother_clusters: bool,
    with_child_clusters: bool,
    with_rejects: bool = False,
) -> list[tuple[str, str]]:
    """The (table, SELECT) steps of every rule whose inputs exist, in order.

    Registration bursts need one numpy step in the middle and are added by
    :func:`compute_red_flags`.
    """
    steps: list[tuple[str, str]] = []
    if with_families and with_disbursements:
        steps.append(("rf_shared_account", shared_account_sql()))
        steps.append(("rf_not_in_registry", not_in_registry_sql(with_rejects)))
    if with_families:
        steps.append(("rf_shared_phone", shared_phone_sql()))
    if with_children:
        steps.append(("rf_child_gaps", child_gaps_sql(d)))
        steps.append(("rf_siblings_too_close", siblings_too_close_sql("rf_child_gaps")))
        steps.append(("rf_child_in_two_families", child_in_two_families_sql(d,
                      with_child_clusters)))  # fmt: skip
        steps.append(("rf_too_many_children", too_many_children_sql()))
        if with_families:
            steps.append(("rf_implausible_mother_age", mother_age_sql(d)))
            steps.append(("rf_registered_after_death", registered_after_death_sql(d)))
        if findings:
            steps.append(("rf_paid_after_death", paid_after_death_sql(d, findings)))
    if with_mother_clusters:
        steps.append(("rf_mother_registered_twice", mother_registered_twice_sql(d)))
    return steps


RULE_COLUMNS = "flag, rule, family_id, child_id, entity, evidence"
EMPTY_FLAGS = (
    "SELECT CAST(NULL AS VARCHAR) AS flag, CAST(NULL AS VARCHAR) AS rule, "
    "CAST(NULL AS VARCHAR) AS family_id, CAST(NULL AS VARCHAR) AS child_id, "
    "CAST(NULL AS VARCHAR) AS entity, CAST(NULL AS VARCHAR) AS evidence WHERE 1 = 0"
)


def red_flags_sql(rule_tables: list[str], with_disbursements: bool) -> str:
    """All rules' rows with the money paid to each flagged family, in a stable order."""
    parts = [f"SELECT {RULE_COLUMNS} FROM {t}" for t in rule_tables] or [EMPTY_FLAGS]
    union = "\n  UNION ALL ".join(parts)
    paid = (
        "LEFT JOIN (SELECT family_id, sum(amount) AS paid FROM disbursements GROUP BY family_id) "
        "p ON p.family_id = a.family_id"
        if with_disbursements
        else "LEFT JOIN (SELECT CAST(NULL AS VARCHAR) AS family_id, CAST(0 AS BIGINT) AS paid "
        "WHERE 1 = 0) p ON p.family_id = a.family_id"
    )
    return f"""SELECT a.flag, a.rule, a.family_id, a.child_id, a.entity, a.evidence,
  CAST(coalesce(p.paid, 0) AS BIGINT) AS amount_paid
FROM (
  {union}
) a
{paid}
ORDER BY a.flag, a.family_id, a.child_id, a.entity"""


def compute_red_flags(engine, *, findings: str | None = "findings") -> None:
    """Create ``red_flags`` from whatever of the registry, payroll, audit and clusters exist."""
    d = dialect_of(engine)
    with_families = engine.has_table("families")
    with_disb = engine.has_table("disbursements")
    steps = flag_steps(
        d,
        with_families=with_families,
        with_children=_nonempty(engine, "children"),
        with_disbursements=with_disb,
        findings=findings if findings and engine.has_table(findings) else None,
        with_mother_clusters=engine.has_table("mother_clusters"),
        with_child_clusters=engine.has_table("child_clusters"),
        with_rejects=engine.has_table("rejects") and engine.has_table("rejected_keys"),
    )
    scratch = {"rf_child_gaps"}
    for name, sql in steps:
        engine.materialise(name, sql)
    rule_tables = [name for name, _ in steps if name not in scratch]
    if with_families and _nonempty(engine, "families"):
        rule_tables.append(_bursts(engine, d))
        scratch |= {"rf_burst_windows", "rf_burst_tested"}
    engine.materialise("red_flags", red_flags_sql(rule_tables, with_disb))
    for name in [*rule_tables, *scratch]:
        engine.execute(f"DROP TABLE IF EXISTS {name}")
    engine.execute("DROP VIEW IF EXISTS rf_burst_tested_arrow")


def _bursts(engine, d: Dialect) -> str:
    engine.materialise("rf_burst_windows", burst_windows_sql(d))
    windows = engine.arrow("SELECT * FROM rf_burst_windows ORDER BY office_id, start_dn")
    engine.register_arrow("rf_burst_tested_arrow", score_bursts(windows))
    engine.materialise("rf_burst_tested", "SELECT * FROM rf_burst_tested_arrow")
    engine.execute("DROP VIEW IF EXISTS rf_burst_tested_arrow")
    engine.materialise("rf_registration_burst", burst_families_sql(d, "rf_burst_tested"))
    return "rf_registration_burst"
