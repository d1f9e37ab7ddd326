"""``payproof portal export OUT``: the portal's grievances and the mothers' confirmations as
input-contract tables (``grievances.csv``, ``receipts.csv``) for the next audit.

Money is written in major units with two decimals, as the contract reads it; the CSVs go
through the engine's writer (atomic, spreadsheet formulas neutralised). The files carry
family ids, the staff members mothers named and their own words: before they are written,
each family whose data leaves gets an access record naming the operator
(payproof.portal.access).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

GRIEVANCES_FILE = "grievances.csv"
RECEIPTS_FILE = "receipts.csv"


def _money(tiyn: int | None) -> str | None:
    return None if tiyn is None else f"{tiyn // 100}.{tiyn % 100:02d}"


EXPORT_WHAT = "export"  # the access log's name for this command


def grievance_table(families: set[int] | None = None) -> pa.Table:
    """The grievances in the contract's layout; adds the families they name to ``families``."""
    from payproof.portal.models import Grievance

    rows = Grievance.objects.select_related("family").order_by("filed_at", "id")
    cols: dict[str, list] = {
        c: []
        for c in (
            "grievance_id",
            "family_id",
            "filed_on",
            "category",
            "period",
            "amount_claimed",
            "staff_id",
            "description",
        )
    }
    for g in rows.iterator(chunk_size=2000):
        if families is not None and g.family_id is not None:
            families.add(g.family_id)
        cols["grievance_id"].append(g.tracking)
        cols["family_id"].append(g.family.family_id if g.family else None)
        cols["filed_on"].append(g.filed_at.date())
        cols["category"].append(g.category)
        cols["period"].append(g.period or None)
        cols["amount_claimed"].append(_money(g.amount_claimed))
        cols["staff_id"].append(g.staff_named or None)
        cols["description"].append(g.description or None)
    return pa.table(
        cols, schema=pa.schema([(c, pa.date32() if c == "filed_on" else pa.string()) for c in cols])
    )


def confirmation_table(families: set[int] | None = None) -> pa.Table:
    """The mothers' confirmations as receipts; adds their families to ``families``."""
    from payproof.portal.models import Confirmation

    rows = Confirmation.objects.select_related("family").order_by("id")
    cols: dict[str, list] = {
        c: []
        for c in (
            "receipt_id",
            "family_id",
            "period",
            "amount",
            "reported_on",
            "source",
        )
    }
    for c in rows.iterator(chunk_size=2000):
        if families is not None:
            families.add(c.family_id)
        cols["receipt_id"].append(f"PC-{c.pk:08d}")
        cols["family_id"].append(c.family.family_id)
        cols["period"].append(c.period)
        cols["amount"].append(_money(c.amount))
        cols["reported_on"].append(c.confirmed_at.date())
        cols["source"].append("beneficiary_confirmation")
    return pa.table(
        cols,
        schema=pa.schema([(c, pa.date32() if c == "reported_on" else pa.string()) for c in cols]),
    )


def export(out: Path, operator: str | None = None) -> tuple[int, int]:
    """Write OUT/grievances.csv and OUT/receipts.csv; return their row counts.

    The tables are read and the access records written in one transaction, so a family's
    data never leaves without a record that ``operator`` (default: the login name) took it.
    """
    from django.db import transaction

    from payproof.engine.duckdb_engine import DuckDBEngine
    from payproof.engine.export import copy_csv
    from payproof.portal.access import operator_name, record_operator_access

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    families: set[int] = set()
    with transaction.atomic():
        grievances, receipts = grievance_table(families), confirmation_table(families)
        record_operator_access(operator_name(operator), EXPORT_WHAT, families)
    with DuckDBEngine() as engine:
        engine.con.register("portal_grievances", grievances)
        engine.con.register("portal_receipts", receipts)
        copy_csv(engine, "SELECT * FROM portal_grievances", out / GRIEVANCES_FILE)
        copy_csv(engine, "SELECT * FROM portal_receipts", out / RECEIPTS_FILE)
    return grievances.num_rows, receipts.num_rows
