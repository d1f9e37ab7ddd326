"""Write the audit's output files (docs/outputs.md) from the engine's result tables.

Files are written into the run's staging folder and appear in ``OUT`` together
(payproof.lifecycle). CSVs go through the one CSV writer, which neutralises
text a spreadsheet would run as a formula. Money leaves the engine here,
converted from BIGINT minor units to exact DECIMAL(18,2) major units; nothing
is ever a float.
"""

from __future__ import annotations

from pathlib import Path

from payproof.atomic import write_json
from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.engine.export import copy_csv
from payproof.ingest.rejects import REJECTS_FILE, rejects_select
from payproof.money import format_amount, sql_major_units
from payproof.reconcile import FLAGS, MONEY_COLUMNS
from payproof.statuses import STATUSES

MONEY = MONEY_COLUMNS
STORE_FILE = "payproof.duckdb"
FINDINGS_FILE = "findings.parquet"
FAMILIES_FILE = "families.csv"
STAFF_FILE = "staff.csv"
OFFICES_FILE = "offices.csv"
REGIONS_FILE = "regions.csv"
SUMMARY_FILE = "summary.json"


def _m(column: str, alias: str | None = None) -> str:
    return f"{sql_major_units(column)} AS {alias or column}"


def _g(column: str) -> str:
    """A p- or q-value to 6 significant digits (as text, so 1e-196 stays readable)."""
    return f"format('{{:.6g}}', {column}) AS {column}"


FAMILY_TOTALS = """SELECT family_id, min(district) AS district, min(office_id) AS office_id,
  sum(entitled) AS entitled_total, sum(delivered) AS delivered_total,
  sum(owed) AS owed_total, CAST(count(CASE WHEN owed > 0 THEN 1 END) AS INTEGER) AS periods_owed,
  min(CASE WHEN owed > 0 THEN period END) AS first_period_owed,
  max(CASE WHEN owed > 0 THEN period END) AS last_period_owed
FROM findings GROUP BY family_id"""


def families_select() -> str:
    return f"""SELECT x.family_id, f.mother_id, coalesce(f.district, x.district) AS district,
  coalesce(f.office_id, x.office_id) AS office_id,
  {_m("x.entitled_total", "entitled_total")}, {_m("x.delivered_total", "delivered_total")},
  {_m("x.owed_total", "owed_total")}, x.periods_owed, x.first_period_owed, x.last_period_owed
FROM family_totals x LEFT JOIN families f ON f.family_id = x.family_id
ORDER BY x.family_id"""


def _rate(column: str) -> str:
    return f"round({column}, 6) AS {column}"


Extra = tuple[str, list[str]] | None  # (join, columns) an optional step adds to a file


def _extra(extra: Extra) -> tuple[str, str]:
    return ("", "") if extra is None else (" " + extra[0], ", " + ", ".join(extra[1]))


def staff_select(extra: Extra = None) -> str:
    join, more = _extra(extra)
    return f"""SELECT staff_id, office_id, region, district, lines, verified_lines,
  {_m("disbursed")}, {_m("verified_disbursed - lost", "confirmed")}, {_m("lost")},
  round(CASE WHEN verified_disbursed > 0
    THEN CAST(lost AS DOUBLE) / CAST(verified_disbursed AS DOUBLE) END, 4) AS loss_rate,
  short_lines, material_lines, short_bank_lines, short_confirmation_lines, short_survey_lines,
  verified_bank_lines, verified_confirmation_lines, verified_survey_lines,
  nothing_lines, round(median_ratio, 4) AS median_ratio,
  {_rate("peer_short_rate")}, peer_group, {_g("p_value")}, {_g("q_value")},
  region_group, {_rate("region_short_rate")}, {_g("region_q_value")},
  flag_months, {_rate("months_short_rate")}, {_rate("months_peer_rate")}, {_g("months_q_value")},
  families, shared_account_families, {_rate("peer_shared_account_rate")},
  {_g("shared_account_q_value")}, verified_families, material_families,
  {_rate("peer_material_family_rate")}, {_g("material_families_q_value")},
  {_rate("region_material_family_rate")}, {_g("region_material_families_q_value")},
  {_rate("programme_material_family_rate")}, {_g("programme_material_families_q_value")},
  {_rate("peer_bank_short_rate")}, {_g("bank_q_value")}, {_rate("detectable_short_rate")},
  excess_vs, {_m("excess_lost")}, {_m("excess_lost_low")}, {_m("excess_lost_high")},
  complaints, bribe_complaints, not_paid_complaints,
  flagged, flagged_by, in_flagged_office, flag_reason{more}
FROM staff_results{join} ORDER BY staff_id"""


def offices_select(extra: Extra = None) -> str:
    join, more = _extra(extra)
    money = ", ".join(
        _m(c) for c in ("entitled", "disbursed", "delivered", "not_disbursed",
                        "lost_in_delivery", "owed", "excess")
    )  # fmt: skip
    return f"""SELECT office_id, name, region, district, families, {money}, staff, flagged_staff,
  verified_lines, short_lines, {_rate("region_short_rate")}, {_g("region_q_value")},
  {_rate("programme_short_rate")}, {_g("programme_q_value")}, flag_months, {_g("months_q_value")},
  material_lines, {_g("material_region_q_value")}, {_g("material_programme_q_value")},
  {_m("excess_lost")}, {_m("excess_lost_low")}, {_m("excess_lost_high")},
  bribe_complaints, not_paid_complaints, flagged, office_wide, flagged_by{more}
FROM office_results{join} ORDER BY office_id"""


def regions_select() -> str:
    money = ", ".join(
        _m(c) for c in ("entitled", "disbursed", "not_disbursed", "lost_in_delivery", "owed")
    )
    return f"""SELECT region, offices, families, {money}, staff, flagged_staff, flagged_offices,
  verified_lines, short_lines, {_rate("peer_short_rate")}, {_g("p_value")}, {_g("q_value")},
  {_m("excess_lost")}, {_m("excess_lost_low")}, {_m("excess_lost_high")}, flagged
FROM region_results ORDER BY region"""


def write_files(
    engine: DuckDBEngine,
    folder: Path,
    summary: dict,
    *,
    staff_extra: Extra = None,
    office_extra: Extra = None,
) -> list[Path]:
    """Write families, staff, offices, regions, rejects and summary.json into ``folder``.

    ``folder`` is the run's staging folder, which already holds findings.parquet
    (streamed there by the reconciliation); the run lifecycle swaps it into OUT.
    """
    written = []
    for name, select in (
        (FAMILIES_FILE, families_select()),
        (STAFF_FILE, staff_select(staff_extra)),
        (OFFICES_FILE, offices_select(office_extra)),
        (REGIONS_FILE, regions_select()),
        (REJECTS_FILE, rejects_select()),
    ):
        written.append(copy_csv(engine, select, folder / name))
    engine.execute("DROP VIEW IF EXISTS findings")
    written.append(write_json(folder / SUMMARY_FILE, summary))
    return written


def _money_dict(values) -> dict[str, str]:
    return {m: format_amount(int(v or 0)) for m, v in zip(MONEY, values, strict=True)}


def result_summary(engine: DuckDBEngine) -> dict:
    """Totals, statuses, flags, families, staff and offices, computed in SQL."""
    engine.materialise("family_totals", FAMILY_TOTALS, temp=True)
    sums = ", ".join(f"sum({m})" for m in MONEY)
    inner = ", ".join(f"sum({m}) AS {m}" for m in MONEY)
    # One scan: per status, with per-family counts from a pre-grouped subquery.
    rows = engine.rows(
        f"""SELECT status, sum(n), count(*), {sums}, min(first), max(last) FROM (
          SELECT status, family_id, count(*) AS n, min(period) AS first, max(period) AS last,
            {inner}
          FROM findings GROUP BY status, family_id) x GROUP BY status"""
    )
    totals_minor = [sum(int(r[3 + i] or 0) for r in rows) for i in range(len(MONEY))]
    totals = _money_dict(totals_minor)
    first = min((r[-2] for r in rows), default=None)
    last = max((r[-1] for r in rows), default=None)
    by_status = {}
    rows = [
        (r[0], r[1], r[2], r[3 + MONEY.index("entitled")], r[3 + MONEY.index("disbursed")],
         r[3 + MONEY.index("received")], r[3 + MONEY.index("owed")],
         r[3 + MONEY.index("lost_in_delivery")], r[3 + MONEY.index("excess")])
        for r in rows
    ]  # fmt: skip
    found = {r[0]: r for r in rows}
    for status in STATUSES:
        if status not in found:
            continue
        r = found[status]
        by_status[status] = {
            "family_periods": int(r[1]),
            "families": int(r[2]),
            **{
                k: format_amount(int(v or 0))
                for k, v in zip(
                    ("entitled", "disbursed", "received", "owed", "lost_in_delivery", "excess"),
                    r[3:],
                    strict=True,
                )
            },
        }
    flag_rows = dict(
        (f, (int(n), int(a or 0)))
        for f, n, a in engine.rows(
            "SELECT flag, count(*), sum(disbursed) FROM "
            "(SELECT unnest(flags) AS flag, disbursed FROM findings WHERE len(flags) > 0) "
            "GROUP BY flag"
        )
    )
    flags = {
        f: {"family_periods": flag_rows[f][0], "amount": format_amount(flag_rows[f][1])}
        for f in FLAGS
        if f in flag_rows
    }
    fam_total, fam_owed = engine.rows(
        "SELECT count(*), count(CASE WHEN owed_total > 0 THEN 1 END) FROM family_totals"
    )[0]
    staff_total, staff_flagged = engine.rows(
        "SELECT count(*), count(CASE WHEN flagged THEN 1 END) FROM staff_results"
    )[0]
    return {
        "periods": {"first": first, "last": last},
        "totals": totals,
        "by_status": by_status,
        "families": {"total": int(fam_total), "owed": int(fam_owed)},
        "flags": flags,
        "staff": {"total": int(staff_total), "flagged": int(staff_flagged)},
        "offices": {
            "total": int(engine.scalar("SELECT count(*) FROM office_results")),
            "flagged": int(engine.scalar("SELECT count(*) FROM office_results WHERE flagged")),
            "flagged_as_a_whole": int(
                engine.scalar("SELECT count(*) FROM office_results WHERE flagged AND office_wide")
            ),
        },
        "regions": {
            "total": int(engine.scalar("SELECT count(*) FROM region_results")),
            "flagged": int(engine.scalar("SELECT count(*) FROM region_results WHERE flagged")),
        },
        "dispersion": {
            t: round(float(r), 6) for t, r in engine.rows("SELECT * FROM attribution_dispersion")
        },
        "findings": {"family_periods": sum(int(r[1]) for r in rows)},
    }
