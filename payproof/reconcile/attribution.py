"""Who the losses run through: per-line attribution, staff statistics and office totals.

Money lost in delivery on a family-month is split across its disbursement
lines in proportion to their amounts, exactly (largest-remainder rounding), and
attributed to each line's clerk and office. Money never disbursed is attributed
to the family's own office. The SQL steps are portable like the reconciliation;
the significance test runs in numpy over one row per staff member.
"""

from __future__ import annotations

from payproof.engine.dialect import DUCKDB, Dialect

# Receipt sources, strongest first, and the short names of their columns.
EVIDENCE_NAMES = (
    ("bank_statement", "bank"),
    ("beneficiary_confirmation", "confirmation"),
    ("survey", "survey"),
)


def lines_sql(d: Dialect, findings: str, shared_accounts: str, shared_lines: str) -> str:
    """Each disbursement line with its family-month's outcome and its floor share of the loss.

    Most family-months have one line, whose clerk, office and loss are already on
    the finding; only family-months with several lines are joined back to the
    disbursements, so the large join is avoided.
    """
    wide = d.wide_int()
    share = d.int_div(f"CAST(f.lost_in_delivery AS {wide}) * p.amount", "f.disbursed")
    return f"""SELECT f.staff_id, f.office_id, f.family_id, f.period,
  CAST(NULL AS {d.text()}) AS payment_id, f.disbursed AS amount, f.received IS NOT NULL AS verified,
  f.disbursed AS fp_disbursed, f.received AS fp_received, 1 AS n_disbursements,
  f.lost_in_delivery AS lost_floor, sl.family_id IS NOT NULL AS to_shared_account, f.evidence
FROM {findings} f
LEFT JOIN {shared_lines} sl ON sl.family_id = f.family_id AND sl.period = f.period
WHERE f.n_disbursements = 1
UNION ALL
SELECT p.staff_id, p.office_id, p.family_id, p.period, p.payment_id, p.amount,
  f.received IS NOT NULL, f.disbursed, f.received, f.n_disbursements,
  CASE WHEN f.received IS NULL OR f.lost_in_delivery = 0 THEN 0
       ELSE CAST({share} AS BIGINT) END,
  s.account IS NOT NULL, f.evidence
FROM disbursements p
JOIN (SELECT family_id, period, disbursed, received, lost_in_delivery, n_disbursements, evidence
      FROM {findings} WHERE n_disbursements > 1) f
  ON f.family_id = p.family_id AND f.period = p.period
LEFT JOIN {shared_accounts} s ON s.account = p.account"""


def remainders_sql(d: Dialect, lines: str) -> str:
    """The tiyn left over by flooring, given one each to the lines with the largest remainders.

    Only family-months with several lines and a loss have a remainder, so this
    window runs over a small subset.
    """
    wide = d.wide_int()
    return f"""SELECT payment_id, staff_id, office_id, 1 AS extra FROM (
  SELECT payment_id, staff_id, office_id,
    row_number() OVER (PARTITION BY family_id, period
      ORDER BY (CAST(fp_disbursed - fp_received AS {wide}) * amount) % fp_disbursed DESC,
               payment_id) AS rank_in_month,
    (fp_disbursed - fp_received) - sum(lost_floor) OVER (PARTITION BY family_id, period) AS rest
  FROM {lines}
  WHERE verified AND n_disbursements > 1 AND fp_received < fp_disbursed
) x WHERE rank_in_month <= rest"""


SHORT = "verified AND fp_received < fp_disbursed"
# Materially short: more than 5 % of the payment missing (integer test: 20 × loss > paid).
# A bank fee or a rounding never is; a skim of a tenth always is.
MATERIAL = "verified AND 20 * (fp_disbursed - fp_received) > fp_disbursed"


def staff_lines_sql(d: Dialect, lines: str, remainders: str) -> str:
    """Per clerk: lines, verified lines, money disbursed / confirmed / lost, short lines, ratio.

    Verified and short lines are also counted by the evidence that shows them (bank
    statement, beneficiary confirmation, survey): the report shows how strong the evidence
    is, and a reader can compare each source's short rate with the peers'.
    """
    ratio = "CAST(fp_received AS DOUBLE) / CAST(fp_disbursed AS DOUBLE)"
    by_source = ",\n  ".join(
        f"CAST(count(CASE WHEN {cond} AND evidence = '{src}' THEN 1 END) AS BIGINT) "
        f"AS {kind}_{name}_lines"
        for kind, cond in (("verified", "verified"), ("short", SHORT))
        for src, name in EVIDENCE_NAMES
    )
    return f"""SELECT l.staff_id,
  CAST(count(*) AS BIGINT) AS lines,
  CAST(count(CASE WHEN verified THEN 1 END) AS BIGINT) AS verified_lines,
  sum(amount) AS disbursed,
  sum(CASE WHEN verified THEN amount ELSE 0 END) AS verified_disbursed,
  sum(lost_floor) + coalesce(max(x.extra), 0) AS lost,
  CAST(count(CASE WHEN {SHORT} THEN 1 END) AS BIGINT) AS short_lines,
  CAST(count(CASE WHEN {MATERIAL} THEN 1 END) AS BIGINT) AS material_lines,
  {by_source},
  CAST(count(CASE WHEN verified AND fp_received = 0 THEN 1 END) AS BIGINT) AS nothing_lines,
  {d.median(f"CASE WHEN verified AND fp_disbursed > 0 THEN {ratio} END")} AS median_ratio,
  CAST(count(CASE WHEN to_shared_account THEN 1 END) AS BIGINT) AS shared_account_lines,
  min(fm.families) AS families, min(fm.shared_account_families) AS shared_account_families,
  min(fm.verified_families) AS verified_families,
  min(fm.material_families) AS material_families,
  coalesce(min(fm.top_family_lost), 0) AS top_family_lost,
  min(l.office_id) AS line_office_id
FROM {lines} l
LEFT JOIN (SELECT staff_id, sum(extra) AS extra FROM {remainders} GROUP BY staff_id) x
  ON x.staff_id = l.staff_id
LEFT JOIN ({_families_sql(lines)}) fm ON fm.staff_id = l.staff_id
WHERE l.staff_id IS NOT NULL
GROUP BY l.staff_id"""


def _families_sql(lines: str) -> str:
    """Per clerk: the families it paid, and those with a line to a shared account, with a
    verified line, and with a materially short line — one grouping by (clerk, family)
    instead of a distinct count per column (each distinct count is a hash table of its own:
    four of them doubled the cost of this step); and the most money one family lost (the
    short-line tests hold their money line without it: docs/audit.md)."""
    return f"""SELECT staff_id, CAST(count(*) AS BIGINT) AS families,
    CAST(sum(sh) AS BIGINT) AS shared_account_families,
    CAST(sum(v) AS BIGINT) AS verified_families, CAST(sum(m) AS BIGINT) AS material_families,
    CAST(max(fl) AS BIGINT) AS top_family_lost
  FROM (SELECT staff_id, family_id,
      max(CASE WHEN to_shared_account THEN 1 ELSE 0 END) AS sh,
      max(CASE WHEN verified THEN 1 ELSE 0 END) AS v,
      max(CASE WHEN {MATERIAL} THEN 1 ELSE 0 END) AS m,
      sum(lost_floor) AS fl
    FROM {lines} WHERE staff_id IS NOT NULL AND family_id IS NOT NULL
    GROUP BY staff_id, family_id) f
  GROUP BY staff_id"""


def staff_months_sql(lines: str, remainders: str) -> str:
    """Per clerk and period: verified and short lines, and the money lost and verified
    money paid out (exact: the floor shares and the remainder tiyn, as per clerk), for the
    months test's money rule (a clerk-month is small: 12 per clerk)."""
    return f"""SELECT l.staff_id, l.period,
  CAST(count(CASE WHEN verified THEN 1 END) AS BIGINT) AS verified,
  CAST(count(CASE WHEN {SHORT} THEN 1 END) AS BIGINT) AS short,
  CAST(count(CASE WHEN {MATERIAL} THEN 1 END) AS BIGINT) AS material,
  CAST(sum(lost_floor) + count(x.payment_id) AS BIGINT) AS lost,
  CAST(sum(CASE WHEN verified THEN amount ELSE 0 END) AS BIGINT) AS verified_disbursed
FROM {lines} l LEFT JOIN {remainders} x ON x.payment_id = l.payment_id
WHERE l.staff_id IS NOT NULL GROUP BY l.staff_id, l.period"""


# complaints naming each staff member (all / about bribes): beside paying clerks here, and
# beside clerks who only decided applications (payproof.exclusion.fold)
COMPLAINTS_SQL = """SELECT staff_id, CAST(count(*) AS BIGINT) AS complaints,
    CAST(count(CASE WHEN category = 'bribe_demanded' THEN 1 END) AS BIGINT) AS bribe_complaints
  FROM grievances WHERE staff_id IS NOT NULL GROUP BY staff_id"""


def staff_units_sql(staff_lines: str, lines: str) -> str:
    """Each clerk with office, region and the complaints that corroborate (or not) a flag.

    ``not_paid_complaints`` counts complaints that a family was not paid for a month in
    which this clerk is recorded as having paid it.
    """
    return f"""SELECT l.*, coalesce(st.office_id, l.line_office_id) AS office_id, o.region,
  o.district, coalesce(g.complaints, 0) AS complaints,
  coalesce(g.bribe_complaints, 0) AS bribe_complaints,
  coalesce(np.not_paid_complaints, 0) AS not_paid_complaints
FROM {staff_lines} l
LEFT JOIN staff st ON st.staff_id = l.staff_id
LEFT JOIN offices o ON o.office_id = coalesce(st.office_id, l.line_office_id)
LEFT JOIN ({COMPLAINTS_SQL}) g ON g.staff_id = l.staff_id
LEFT JOIN (SELECT x.staff_id, CAST(count(DISTINCT gr.grievance_id) AS BIGINT)
    AS not_paid_complaints
  FROM grievances gr JOIN {lines} x ON x.family_id = gr.family_id AND x.period = gr.period
  WHERE gr.category = 'not_paid' AND x.staff_id IS NOT NULL GROUP BY x.staff_id) np
  ON np.staff_id = l.staff_id"""


OFFICE_TEST_COLUMNS = (
    "verified_lines", "short_lines", "region_short_rate", "region_q_value",
    "programme_short_rate", "programme_q_value", "months_q_value", "flag_months",
    "excess_lost", "excess_lost_low", "excess_lost_high", "material_lines",
    "material_region_q_value", "material_programme_q_value",
)  # fmt: skip


def offices_sql(
    findings: str, lines: str, remainders: str, staff_table: str, tested: str | None = None
) -> str:
    """Per office: the family-months it paid (or should have), money by kind, staff, and
    (with ``tested``) the office's own tests from :func:`significance.flag_units`."""
    test_cols, test_join = "", ""
    if tested:
        test_cols = (
            ",\n  coalesce(s.bribe_complaints, 0) AS bribe_complaints, "
            "coalesce(s.not_paid_complaints, 0) AS not_paid_complaints,\n  "
            + ", ".join(f"t.{c}" for c in OFFICE_TEST_COLUMNS)
            + ",\n  coalesce(t.office_flagged, false) AS flagged, "
            "coalesce(t.office_wide, false) AS office_wide, t.office_flagged_by AS flagged_by"
        )
        test_join = f"\nLEFT JOIN {tested} t ON t.office_id = i.office_id"
    return f"""WITH ids AS (
  SELECT office_id FROM offices
  UNION SELECT office_id FROM {findings} WHERE office_id IS NOT NULL
  UNION SELECT office_id FROM families WHERE office_id IS NOT NULL
), paid AS (
  SELECT office_id, CAST(count(DISTINCT family_id) AS BIGINT) AS families,
    sum(entitled) AS entitled, sum(disbursed) AS disbursed, sum(delivered) AS delivered,
    sum(owed) AS owed, sum(excess) AS excess
  FROM {findings} GROUP BY office_id
), undisbursed AS (
  SELECT coalesce(fam.office_id, x.office_id) AS office_id, sum(x.not_disbursed) AS not_disbursed
  FROM {findings} x LEFT JOIN families fam ON fam.family_id = x.family_id
  WHERE x.not_disbursed > 0 GROUP BY coalesce(fam.office_id, x.office_id)
), lost AS (
  SELECT office_id, sum(lost_floor) AS lost FROM {lines} GROUP BY office_id
), extra AS (
  SELECT office_id, sum(extra) AS extra FROM {remainders} GROUP BY office_id
), people AS (
  SELECT office_id, CAST(count(*) AS BIGINT) AS staff,
    CAST(count(CASE WHEN flagged THEN 1 END) AS BIGINT) AS flagged_staff,
    CAST(sum(bribe_complaints) AS BIGINT) AS bribe_complaints,
    CAST(sum(not_paid_complaints) AS BIGINT) AS not_paid_complaints
  FROM {staff_table} GROUP BY office_id
)
SELECT i.office_id, o.name, o.region, o.district,
  coalesce(p.families, 0) AS families, coalesce(p.entitled, 0) AS entitled,
  coalesce(p.disbursed, 0) AS disbursed, coalesce(p.delivered, 0) AS delivered,
  coalesce(u.not_disbursed, 0) AS not_disbursed,
  coalesce(l.lost, 0) + coalesce(x.extra, 0) AS lost_in_delivery,
  coalesce(p.owed, 0) AS owed, coalesce(p.excess, 0) AS excess,
  coalesce(s.staff, 0) AS staff, coalesce(s.flagged_staff, 0) AS flagged_staff{test_cols}
FROM ids i
LEFT JOIN offices o ON o.office_id = i.office_id
LEFT JOIN paid p ON p.office_id = i.office_id
LEFT JOIN undisbursed u ON u.office_id = i.office_id
LEFT JOIN lost l ON l.office_id = i.office_id
LEFT JOIN extra x ON x.office_id = i.office_id
LEFT JOIN people s ON s.office_id = i.office_id{test_join}"""


def regions_sql(office_results: str, tested: str) -> str:
    """Per region: its offices' money and flags beside the region's own test."""
    return f"""SELECT t.region, t.offices, CAST(sum(o.families) AS BIGINT) AS families,
  sum(o.entitled) AS entitled, sum(o.disbursed) AS disbursed,
  sum(o.not_disbursed) AS not_disbursed, sum(o.lost_in_delivery) AS lost_in_delivery,
  sum(o.owed) AS owed, CAST(sum(o.staff) AS BIGINT) AS staff,
  CAST(sum(o.flagged_staff) AS BIGINT) AS flagged_staff, t.flagged_offices,
  t.verified_lines, t.short_lines, t.peer_short_rate, t.p_value, t.q_value,
  t.excess_lost, t.excess_lost_low, t.excess_lost_high, t.flagged
FROM {tested} t LEFT JOIN {office_results} o ON coalesce(o.region, '') = t.region
GROUP BY ALL"""


def attribution_steps(
    *, findings: str = "findings", dialect: Dialect = DUCKDB, prefix: str = "at_"
) -> list[tuple[str, str]]:
    """Steps up to the per-clerk table ``<prefix>staff`` and per clerk-month counts
    ``<prefix>staff_months`` (tested afterwards, in numpy)."""
    lines, rem, staff_lines = prefix + "lines", prefix + "remainders", prefix + "staff_lines"
    return [
        (lines, lines_sql(dialect, findings, "rc_shared_accounts", "rc_shared_lines")),
        (rem, remainders_sql(dialect, lines)),
        (staff_lines, staff_lines_sql(dialect, lines, rem)),
        (prefix + "staff", staff_units_sql(staff_lines, lines)),
        (prefix + "staff_months", staff_months_sql(lines, rem)),
    ]
