"""Malformed rows appended to the CSVs, to demonstrate the audit's rejects report.

They are extra rows (the genuine rows are untouched) and every one is listed in
truth/bad_rows.csv with its file line (the header is line 1). A
``duplicate_payment_id`` row reuses the ID of a genuine, earlier line: the
earlier line is the real payment, the appended one is the one to reject.
"""

from __future__ import annotations

import csv
from pathlib import Path

# (table, kind, column that is wrong, bad value or None for "derived")
KINDS: tuple[tuple[str, str, str, str | None], ...] = (
    ("disbursements", "amount_3_decimals", "amount", "46760.125"),
    ("disbursements", "negative_amount", "amount", "-46760.00"),
    ("disbursements", "bad_period", "period", "2024-13"),
    ("disbursements", "duplicate_payment_id", "payment_id", None),
    ("disbursements", "unknown_channel", "channel", "crypto"),
    ("disbursements", "bad_date", "paid_on", "2022-02-30"),
    ("disbursements", "non_numeric_amount", "amount", "46 760,00"),
    ("disbursements", "missing_family_id", "family_id", ""),
    ("receipts", "unknown_source", "source", "phone_call"),
    ("receipts", "amount_3_decimals", "amount", "31500.505"),
)


def append_bad_rows(out: Path, count: int, w, rng) -> list[dict]:
    """Append ``count`` malformed rows to disbursements.csv / receipts.csv; return the list."""
    listed: list[dict] = []
    lines = {"disbursements": w.rows["disbursements"] + 1, "receipts": w.rows["receipts"] + 1}
    pending: dict[str, list[list[str]]] = {"disbursements": [], "receipts": []}
    for i in range(count):
        table, kind, column, value = KINDS[i % len(KINDS)]
        fam = int(rng.integers(0, w.fams.n))
        family_id = w.family_ids[fam].as_py()
        period = w.periods[int(rng.integers(0, len(w.periods)))]
        if table == "disbursements":
            row = {
                "payment_id": f"PX{i + 1:06d}",
                "family_id": family_id,
                "period": period,
                "amount": "46760.00",
                "paid_on": f"{period}-15",
                "office_id": w.geo.office_ids[int(w.fams.office[fam])].as_py(),
                "staff_id": w.geo.clerk_ids[int(w.fams.clerk[fam])].as_py(),
                "channel": "cash",
                "account": "",
            }
            if kind == "duplicate_payment_id":
                value = f"P{1:0{w.pay_width}d}"  # the first genuine payment line
            order = list(row)
        else:
            row = {
                "receipt_id": f"RX{i + 1:06d}",
                "family_id": family_id,
                "period": period,
                "amount": "46760.00",
                "reported_on": f"{period}-20",
                "source": "survey",
            }
            order = list(row)
        row[column] = value if value is not None else row[column]
        lines[table] += 1
        pending[table].append([row[c] for c in order])
        listed.append(
            {
                "table": table,
                "file": f"{table}.csv",
                "line": lines[table],
                "kind": kind,
                "column": column,
                "value": row[column],
                "id": row["payment_id" if table == "disbursements" else "receipt_id"],
            }
        )
    for table, rows in pending.items():
        if rows:
            with open(out / f"{table}.csv", "a", newline="", encoding="utf-8") as fh:
                csv.writer(fh, lineterminator="\n").writerows(rows)
    return listed
