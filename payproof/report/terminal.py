"""A short Rich summary of an audit for the terminal, next to the HTML report.

Runs only the cheap aggregates (one grouped scan of the findings), so it adds
little to an audit's run time.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from payproof.engine import DuckDBEngine
from payproof.report.data import headline_counts, open_outputs, status_rows
from payproof.report.fmt import count, money, money_words
from payproof.report.wording import status_label

# The money that matters for each status: what is owed, overpaid or was paid out.
_STATUS_MONEY = {"paid_not_entitled": "excess", "overpaid": "excess", "ok": "disbursed",
                 "unverified": "disbursed", "undocumented_receipt": "received"}  # fmt: skip


def print_summary(out_dir: Path, console: Console) -> None:
    """Print status totals, the owed total, flagged staff and where report.html is."""
    out_dir = Path(out_dir)
    with DuckDBEngine() as db:
        summary = open_outputs(out_dir, db)
        statuses = status_rows(db)
        counts = headline_counts(db)
    currency = str(summary.get("currency") or "KZT")
    tbl = Table(title="Audit summary", title_justify="left", header_style="bold")
    tbl.add_column("Status")
    tbl.add_column("Family-months", justify="right")
    tbl.add_column("Families", justify="right")
    tbl.add_column(f"Money ({currency})", justify="right")
    tbl.add_column("Measure", style="dim")
    for s in statuses:
        measure = _STATUS_MONEY.get(s.status, "owed")
        tbl.add_row(
            f"{status_label(s.status)} ({s.status})",
            count(s.family_periods),
            count(s.families),
            money(s.money[measure]),
            measure.replace("_", " "),
        )
    console.print(tbl)
    owed = sum((s.money["owed"] for s in statuses), Decimal(0))
    console.print(
        f"[bold]Still owed to families:[/] {money_words(owed, currency)} "
        f"({count(counts['families_owed'])} of {count(counts['families_total'])} families)",
        highlight=False,
    )
    console.print(
        f"[bold]Staff flagged for investigation:[/] {count(counts['staff_flagged'])} of "
        f"{count(counts['staff_total'])} (statistically unusual; not proof of wrongdoing)",
        highlight=False,
    )
    offices = summary.get("offices") or {}
    if "flagged" in offices:  # outputs from before offices had tests of their own lack it
        console.print(
            f"[bold]Offices flagged:[/] {count(offices['flagged'])} of "
            f"{count(offices.get('total', 0))}{_as_a_whole(offices)}; regions flagged: "
            f"{count((summary.get('regions') or {}).get('flagged', 0))} (see report.html)",
            highlight=False,
        )
    excluded = summary.get("excluded")
    if excluded:  # the input had a population register or applications
        unclaimed = money_words(excluded["never_applied_would_be_due"], currency)
        console.print(
            f"[bold]Left out (never enrolled, or enrolled late):[/] "
            f"{money_words(excluded['owed'], currency)} owed to "
            f"{count(excluded['families_owed'])} families who applied; eligible mothers who "
            f"never applied would be due {unclaimed}; "
            f"{count(excluded['staff_flagged'])} clerks' decisions stand out (excluded.csv)",
            highlight=False,
        )
    report = out_dir / "report.html"
    where = str(report) if report.is_file() else f"{report} (not written yet)"
    console.print(f"[bold]Report:[/] {where}", highlight=False, soft_wrap=True)


def _as_a_whole(offices: dict) -> str:
    """How many flagged offices are unusual as a whole (every clerk together), not only
    through the losses of their flagged staff: the two call for different investigations."""
    if "flagged_as_a_whole" not in offices or not offices["flagged"]:
        return ""
    return f" ({offices['flagged_as_a_whole']:,} of them as a whole)"
