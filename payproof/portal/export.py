"""``payproof portal export OUT``: the portal's grievances and confirmations as input-contract
tables (grievances.csv, receipts.csv) for the next audit."""

from __future__ import annotations

import csv
from pathlib import Path

from payproof.atomic import write_text


def _money(tiyn: int | None) -> str:
    return "" if tiyn is None else f"{tiyn // 100}.{tiyn % 100:02d}"


def export(out: Path) -> tuple[int, int]:
    """Write OUT/grievances.csv and OUT/receipts.csv; return their row counts."""
    from payproof.portal.models import Confirmation, Grievance

    out.mkdir(parents=True, exist_ok=True)
    g_rows = [
        {
            "grievance_id": g.tracking,
            "family_id": g.family.family_id if g.family else "",
            "filed_on": g.filed_at.date().isoformat(),
            "category": g.category,
            "period": g.period,
            "amount_claimed": _money(g.amount_claimed),
            "staff_id": g.staff_named,
            "description": g.description,
        }
        for g in Grievance.objects.select_related("family").order_by("filed_at", "id")
    ]
    r_rows = [
        {
            "receipt_id": f"PC-{c.pk:08d}",
            "family_id": c.family.family_id,
            "period": c.period,
            "amount": _money(c.amount),
            "reported_on": c.confirmed_at.date().isoformat(),
            "source": "beneficiary_confirmation",
        }
        for c in Confirmation.objects.select_related("family").order_by("id")
    ]
    _write(out / "grievances.csv", g_rows, list(_FIELDS["grievances"]))
    _write(out / "receipts.csv", r_rows, list(_FIELDS["receipts"]))
    return len(g_rows), len(r_rows)


_FIELDS = {
    "grievances": (
        "grievance_id",
        "family_id",
        "filed_on",
        "category",
        "period",
        "amount_claimed",
        "staff_id",
        "description",
    ),
    "receipts": ("receipt_id", "family_id", "period", "amount", "reported_on", "source"),
}


def _write(path: Path, rows: list[dict], fields: list[str]) -> None:
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    write_text(path, buf.getvalue())
