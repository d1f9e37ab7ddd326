"""A small, hand-made audit output folder matching docs/outputs.md exactly.

48 findings rows (12 families x 4 months) with known totals, written with
DuckDB COPY so the Parquet types are the real ones (DECIMAL(18,2), VARCHAR[]).
One district is named ``<script>...`` to check escaping; mother ids must never
appear in the report.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

PERIODS = ["2025-01", "2025-02", "2025-03", "2025-04"]
HOSTILE = "<script>alert('x')</script>"
OFFICES = [
    ("O-01", "Al-Farabi District Office", "South Kazakhstan", "Al-Farabi"),
    ("O-02", "Evil & <b>Co</b> office", "South Kazakhstan", HOSTILE),
    ("O-03", "Turkestan Office", "Turkestan", "Turkestan"),
]
# family, office, staff, entitled, disbursed, received (None = no evidence), status
FAMILIES = (
    [(f"F-{i:02d}", "O-01", "S-01", "46760.00", "46760.00", "32732.00", "skimmed") for i in [1, 2, 3, 4]]  # noqa: E501
    + [(f"F-{i:02d}", "O-01", "S-02", "46760.00", "46760.00", "46760.00", "ok") for i in (5, 6)]
    + [(f"F-{i:02d}", "O-02", "S-03", "46760.00", "46760.00", "0.00", "diverted") for i in (7, 8)]
    + [("F-09", "O-02", None, "46760.00", "0.00", None, "unpaid"),
       ("F-10", "O-03", "S-04", "46760.00", "46760.00", None, "unverified"),
       ("F-11", "O-03", "S-04", "0.00", "46760.00", None, "paid_not_entitled"),
       ("F-12", "O-03", "S-04", "46760.00", "50000.00", "50000.00", "overpaid")]
)  # fmt: skip
MOTHER_IDS = {fam[0]: f"MOTHER-9{int(fam[0][2:]):05d}" for fam in FAMILIES}

EXPECTED = {
    "owed": "785568.00",  # 16 x 14028 skimmed + 8 x 46760 diverted + 4 x 46760 unpaid
    "owed_text": "785 568",
    "families_owed": 7,
    "families_total": 12,
    "staff_flagged": 2,
    "staff_total": 4,
    "lost_in_delivery": "598528.00",  # 16 x 14028 + 8 x 46760
}


def _findings_sql() -> str:
    rows = []
    district = {o[0]: o[3] for o in OFFICES}
    for fam, office, staff, e, d, r, status in FAMILIES:
        for p in PERIODS:
            rows.append(
                "("
                + ", ".join(
                    [
                        f"'{fam}'",
                        f"'{p}'",
                        "'" + district[office].replace("'", "''") + "'",
                        f"'{office}'",
                        "NULL" if staff is None else f"'{staff}'",
                        "0" if d == "0.00" else "1",
                        "0" if staff is None else "1",
                        e,
                        d,
                        "NULL" if r is None else r,
                        f"'{status}'",
                    ]
                )
                + ")"
            )
    return (
        "SELECT family_id, period, district, office_id, staff_id, "
        "CAST(n_disb AS INTEGER) AS n_disbursements, CAST(n_staff AS INTEGER) AS n_staff, "
        "CAST(e AS DECIMAL(18,2)) AS entitled, CAST(d AS DECIMAL(18,2)) AS disbursed, "
        "CAST(r AS DECIMAL(18,2)) AS received, "
        "CAST(coalesce(r, d) AS DECIMAL(18,2)) AS delivered, "
        "CAST(greatest(e - coalesce(r, d), 0) AS DECIMAL(18,2)) AS owed, "
        "CAST(greatest(e - d, 0) AS DECIMAL(18,2)) AS not_disbursed, "
        "CAST(CASE WHEN r IS NULL THEN 0 ELSE greatest(d - r, 0) END AS DECIMAL(18,2)) "
        "AS lost_in_delivery, CAST(greatest(d - e, 0) AS DECIMAL(18,2)) AS excess, status, "
        "CASE WHEN family_id = 'F-11' THEN ['after_children_aged_out'] ELSE [] END::VARCHAR[] "
        "AS flags, 'kz-large-family@2026-01' AS entitlement_source FROM (VALUES "
        + ", ".join(rows)
        + ") t(family_id, period, district, office_id, staff_id, n_disb, n_staff, e, d, r, status)"
    )


def build_outputs(out: Path) -> Path:
    """Write findings.parquet, families/staff/offices/rejects.csv and summary.json."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE f AS {_findings_sql()}")
    con.execute(f"COPY f TO '{out / 'findings.parquet'}' (FORMAT parquet)")
    mothers = ", ".join(f"('{k}', '{v}')" for k, v in MOTHER_IDS.items())
    con.execute(f"CREATE TABLE m AS SELECT * FROM (VALUES {mothers}) t(family_id, mother_id)")
    con.execute(
        "COPY (SELECT f.family_id, m.mother_id, any_value(district) AS district, "
        "any_value(office_id) AS office_id, sum(entitled) AS entitled_total, "
        "sum(delivered) AS delivered_total, sum(owed) AS owed_total, "
        "count(*) FILTER (WHERE owed > 0) AS periods_owed, "
        "min(period) FILTER (WHERE owed > 0) AS first_period_owed, "
        "max(period) FILTER (WHERE owed > 0) AS last_period_owed "
        "FROM f JOIN m USING (family_id) GROUP BY ALL ORDER BY 1) "
        f"TO '{out / 'families.csv'}' (HEADER)"
    )
    offices = ", ".join(
        "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in o) + ")" for o in OFFICES
    )
    con.execute(
        f"CREATE TABLE o AS SELECT * FROM (VALUES {offices}) t(office_id, name, region, district)"
    )
    flagged = {"S-01": ("0.0000012", "0.0000048", "true"), "S-03": ("0.0004", "0.0008", "true")}
    staff_vals = ", ".join(
        f"('{s}', '{p}', '{q}', '{fl}')"
        for s, (p, q, fl) in {**{"S-02": ("1", "1", "false"), "S-04": ("1", "1", "false")},
                              **flagged}.items()
    )  # fmt: skip
    con.execute(
        f"CREATE TABLE sf AS SELECT * FROM (VALUES {staff_vals}) t(staff_id, p, q, flagged)"
    )
    con.execute(
        "COPY (SELECT * EXCLUDE (flag_reason), CASE WHEN flagged = 'true' THEN 'short on ' "
        "|| short_lines || ' of ' || verified_lines || ' lines vs peers 2 %' ELSE '' END "
        "AS flag_reason FROM (SELECT staff_id, f.office_id, o.region, o.district, "
        "count(*) AS lines, count(received) AS verified_lines, sum(disbursed) AS disbursed, "
        "coalesce(sum(received), 0) AS confirmed, sum(lost_in_delivery) AS lost, "
        "round(sum(lost_in_delivery) / sum(disbursed), 4) AS loss_rate, "
        "count(*) FILTER (WHERE received < disbursed) AS short_lines, "
        "round(median(received / disbursed), 4) AS median_ratio, 0.02 AS peer_short_rate, "
        "'office:' || f.office_id AS peer_group, sf.p AS p_value, sf.q AS q_value, "
        "CASE staff_id WHEN 'S-01' THEN 3 ELSE 0 END AS complaints, "
        "CASE staff_id WHEN 'S-01' THEN 2 ELSE 0 END AS bribe_complaints, sf.flagged, "
        "'' AS flag_reason "
        "FROM f JOIN o USING (office_id) JOIN sf USING (staff_id) GROUP BY ALL) ORDER BY 1) "
        f"TO '{out / 'staff.csv'}' (HEADER)"
    )
    con.execute(
        "COPY (SELECT o.office_id, o.name, o.region, o.district, "
        "count(DISTINCT family_id) AS families, sum(entitled) AS entitled, "
        "sum(disbursed) AS disbursed, sum(delivered) AS delivered, "
        "sum(not_disbursed) AS not_disbursed, sum(lost_in_delivery) AS lost_in_delivery, "
        "sum(owed) AS owed, sum(excess) AS excess, count(DISTINCT staff_id) AS staff, "
        "CASE o.office_id WHEN 'O-03' THEN 0 ELSE 1 END AS flagged_staff "
        f"FROM f JOIN o USING (office_id) GROUP BY ALL ORDER BY 1) TO '{out / 'offices.csv'}' "
        "(HEADER)"
    )
    (out / "rejects.csv").write_text(
        "table,file,line,column,value,reason\n"
        'disbursements,disbursements.csv,17,amount,"12,5",not a money amount\n'
        f"families,families.csv,4,mother_id,{MOTHER_IDS['F-03']},duplicate mother_id\n"
        f'families,families.csv,9,district,"{HOSTILE}",unknown district\n',
        encoding="utf-8",
    )
    money = ("entitled", "disbursed", "received", "delivered", "owed", "not_disbursed",
             "lost_in_delivery", "excess")  # fmt: skip
    totals = con.execute(
        "SELECT " + ", ".join(f"CAST(coalesce(sum({m}), 0) AS VARCHAR)" for m in money) + " FROM f"
    ).fetchone()
    by_status = {
        r[0]: {"family_periods": r[1], "families": r[2],
               **{m: v for m, v in zip(money, r[3:], strict=True)}}
        for r in con.execute(
            "SELECT status, count(*), count(DISTINCT family_id), "
            + ", ".join(f"CAST(coalesce(sum({m}), 0) AS VARCHAR)" for m in money)
            + " FROM f GROUP BY 1"
        ).fetchall()
    }  # fmt: skip
    con.close()
    inputs = {
        "families": ("families.csv", 14, 12, 2),
        "disbursements": ("disbursements.csv", 45, 44, 1),
        "receipts": ("receipts.csv", 32, 32, 0),
    }
    summary = {
        "payproof_version": "0.1.0",
        "currency": "KZT",
        "run": {
            "started_at": "2026-01-15T10:00:00Z",
            "finished_at": "2026-01-15T10:00:07Z",
            "input_dir": "demo/input",
            "rules": "kz-large-family@2026-01",
            "engine": "duckdb",
        },
        "inputs": {
            t: {
                "file": f,
                "sha256": f"{i:x}" * 64,
                "rows_read": r,
                "rows_accepted": a,
                "rows_rejected": j,
            }
            for i, (t, (f, r, a, j)) in enumerate(inputs.items(), start=10)
        },  # fmt: skip
        "periods": {"first": PERIODS[0], "last": PERIODS[-1]},
        "totals": dict(zip(money, totals, strict=True)),
        "by_status": by_status,
        "families": {"total": 12, "owed": 7},
        "flags": {"after_children_aged_out": {"family_periods": 4, "amount": "0.00"}},
        "staff": {"total": 4, "flagged": 2},
        "offices": {"total": 3},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def outputs(tmp_path_factory) -> Path:
    return build_outputs(tmp_path_factory.mktemp("audit-out"))
