"""Money at stake: what was paid to duplicate or suspect records, by office and by clerk.

Joins the red flags (:mod:`payproof.linkage.flags`) and the mother clusters of
the record linkage with the disbursement lines. A mother registered more than
once has one *primary* record — the earliest registered, ties broken by the
smallest family_id — and every other record of her cluster is a *duplicate*:
money paid to a duplicate record is money the programme paid twice.

For the audit's attribution, :func:`duplicate_entitlement_filter_sql` rewrites an
entitlements table so that a duplicate record is entitled to nothing; the
reconciliation then classifies its payments as excess (``paid_not_entitled``)
and attributes them like any other overpayment. All money is BIGINT minor units.

Tables created by :func:`money_at_stake`:

- ``duplicate_records(family_id, cluster_id, canonical_family_id)``
- ``duplicate_payments(family_id, period, canonical_family_id, amount)``
- ``ghost_money_by_flag(flag, rule, records, families, amount_paid)``
- ``ghost_money_by_office(office_id, families_flagged, amount_paid, amount_duplicate,
  paid_total)``
- ``ghost_money_by_staff(staff_id, office_id, families_flagged, amount_paid,
  amount_duplicate, paid_total)``
"""

from __future__ import annotations

from payproof.linkage.flags import compute_red_flags

EMPTY_DUPLICATES = (
    "SELECT CAST(NULL AS VARCHAR) AS family_id, CAST(NULL AS VARCHAR) AS cluster_id, "
    "CAST(NULL AS VARCHAR) AS canonical_family_id WHERE 1 = 0"
)

EMPTY_LINES = (
    "SELECT CAST(NULL AS VARCHAR) AS payment_id, CAST(NULL AS VARCHAR) AS family_id, "
    "CAST(NULL AS VARCHAR) AS period, CAST(NULL AS BIGINT) AS amount, "
    "CAST(NULL AS VARCHAR) AS office_id, CAST(NULL AS VARCHAR) AS staff_id WHERE 1 = 0"
)
EMPTY_STAFF = (
    "SELECT CAST(NULL AS VARCHAR) AS staff_id, CAST(NULL AS VARCHAR) AS office_id WHERE 1 = 0"
)


def duplicate_records_sql(clusters: str = "mother_clusters", families: str = "families") -> str:
    """Every non-primary record of a mother cluster, with its cluster's primary record."""
    return f"""SELECT family_id, cluster_id, canonical_family_id FROM (
  SELECT m.family_id, CAST(m.cluster_id AS VARCHAR) AS cluster_id,
    first_value(m.family_id) OVER (PARTITION BY m.cluster_id
      ORDER BY f.registered_on NULLS LAST, m.family_id
      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS canonical_family_id
  FROM {clusters} m LEFT JOIN {families} f ON f.family_id = m.family_id
  WHERE m.cluster_size > 1
) x WHERE family_id <> canonical_family_id"""


def duplicate_payments_sql(
    duplicates: str = "duplicate_records", disbursements: str = "disbursements"
) -> str:
    """Payments to duplicate records, per record and month: paid twice, so all excess."""
    return f"""SELECT p.family_id, p.period, d.canonical_family_id, sum(p.amount) AS amount
FROM {disbursements} p JOIN {duplicates} d ON d.family_id = p.family_id
GROUP BY p.family_id, p.period, d.canonical_family_id"""


def duplicate_entitlement_filter_sql(
    entitlements: str,
    columns: list[str],
    *,
    amount: str = "amount",
    duplicates: str = "duplicate_records",
) -> str:
    """``entitlements`` with the amount set to 0 for every duplicate record.

    ``columns`` are the table's columns in order (all are kept, so the rules
    version or source column still reaches the findings). Rows are kept with a
    zero amount rather than dropped, so the findings still show the month and
    where its entitlement came from. Use it in the audit as::

        engine.materialise("entitlements_dedup",
                           duplicate_entitlement_filter_sql(ent_table, cols))
        reconcile(engine, entitlements="entitlements_dedup", ...)
    """
    select = ", ".join(
        f"CASE WHEN d.family_id IS NULL THEN e.{c} ELSE 0 END AS {c}" if c == amount else f"e.{c}"
        for c in columns
    )
    return (
        f"SELECT {select}\nFROM {entitlements} e\n"
        f"LEFT JOIN (SELECT DISTINCT family_id FROM {duplicates}) d ON d.family_id = e.family_id"
    )


def exclude_duplicate_entitlements(
    engine, entitlements: str, out: str = "entitlements_dedup"
) -> str:
    """Materialise the filtered entitlements and return the table to reconcile with.

    Without mother clusters there is nothing to exclude and ``entitlements`` is
    returned unchanged.
    """
    if not engine.has_table("mother_clusters"):
        return entitlements
    engine.materialise("duplicate_records", duplicate_records_sql())
    columns = engine.arrow(f"SELECT * FROM {entitlements} LIMIT 0").schema.names
    engine.materialise(out, duplicate_entitlement_filter_sql(entitlements, columns))
    return out


def by_flag_sql() -> str:
    """Records and families per flag, and the money paid to those families (once each)."""
    return """SELECT flag, min(rule) AS rule, CAST(count(*) AS BIGINT) AS records,
  CAST(count(DISTINCT family_id) AS BIGINT) AS families,
  CAST(coalesce(sum(CASE WHEN first_of_family THEN amount_paid END), 0) AS BIGINT) AS amount_paid
FROM (
  SELECT flag, rule, family_id, amount_paid,
    row_number() OVER (PARTITION BY flag, family_id ORDER BY child_id, entity) = 1
      AS first_of_family
  FROM red_flags
) x GROUP BY flag"""


def flagged_lines_sql(disbursements: str = "disbursements") -> str:
    """Every disbursement line, marked when its family is flagged or a duplicate record."""
    return f"""SELECT p.payment_id, p.family_id, p.office_id, p.staff_id, p.amount,
  (f.family_id IS NOT NULL OR d.family_id IS NOT NULL) AS flagged,
  d.family_id IS NOT NULL AS duplicate
FROM {disbursements} p
LEFT JOIN (SELECT DISTINCT family_id FROM red_flags) f ON f.family_id = p.family_id
LEFT JOIN (SELECT DISTINCT family_id FROM duplicate_records) d ON d.family_id = p.family_id"""


def _money_sql(keys: str, lines: str) -> str:
    return f"""SELECT {keys},
  CAST(count(DISTINCT CASE WHEN flagged THEN family_id END) AS BIGINT) AS families_flagged,
  CAST(sum(CASE WHEN flagged THEN amount ELSE 0 END) AS BIGINT) AS amount_paid,
  CAST(sum(CASE WHEN duplicate THEN amount ELSE 0 END) AS BIGINT) AS amount_duplicate,
  CAST(sum(amount) AS BIGINT) AS paid_total
FROM {lines}"""


def by_office_sql(lines: str = "gm_lines") -> str:
    return (
        _money_sql("office_id", lines)
        + "\nWHERE office_id IS NOT NULL GROUP BY office_id"
        + "\nHAVING sum(CASE WHEN flagged THEN 1 ELSE 0 END) > 0"
        + "\nORDER BY amount_paid DESC, office_id"
    )


def by_staff_sql(lines: str = "gm_lines", staff: str = "staff") -> str:
    """Per clerk; the office is the clerk's own (staff table), else the office of most lines."""
    keys = "l.staff_id, max(s.office_id) AS staff_office, min(l.office_id) AS any_office"
    inner = _money_sql(keys, f"{lines} l LEFT JOIN {staff} s ON s.staff_id = l.staff_id")
    return f"""SELECT staff_id, coalesce(staff_office, any_office) AS office_id,
  families_flagged, amount_paid, amount_duplicate, paid_total
FROM ({inner}
  WHERE l.staff_id IS NOT NULL GROUP BY l.staff_id) x
WHERE families_flagged > 0
ORDER BY amount_paid DESC, staff_id"""


def money_at_stake(engine) -> None:
    """Create the money-at-stake tables (computing ``red_flags`` first if it is missing)."""
    if not engine.has_table("red_flags"):
        compute_red_flags(engine)
    if engine.has_table("mother_clusters"):
        engine.materialise("duplicate_records", duplicate_records_sql())
    else:
        engine.materialise("duplicate_records", EMPTY_DUPLICATES)
    engine.materialise("ghost_money_by_flag", by_flag_sql() + " ORDER BY amount_paid DESC, flag")
    disb = "disbursements" if engine.has_table("disbursements") else f"({EMPTY_LINES})"
    staff = "staff" if engine.has_table("staff") else f"({EMPTY_STAFF})"
    engine.materialise("duplicate_payments", duplicate_payments_sql(disbursements=disb))
    engine.materialise("gm_lines", flagged_lines_sql(disbursements=disb))
    engine.materialise("ghost_money_by_office", by_office_sql())
    engine.materialise("ghost_money_by_staff", by_staff_sql(staff=staff))
    engine.execute("DROP TABLE IF EXISTS gm_lines")
