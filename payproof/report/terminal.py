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
from payproof.i18n import EN, N_, Translator
from payproof.report.data import headline_counts, open_outputs, status_rows
from payproof.report.fmt import count, money, money_words
from payproof.report.wording import status_label

# The money that matters for each status: what is owed, overpaid or was paid out.
MEASURES = {"excess": N_("excess"), "disbursed": N_("disbursed"), "received": N_("received"),
            "owed": N_("owed")}  # fmt: skip
_STATUS_MONEY = {"paid_not_entitled": "excess", "overpaid": "excess", "ok": "disbursed",
                 "unverified": "disbursed", "undocumented_receipt": "received"}  # fmt: skip


def print_summary(out_dir: Path, console: Console, tr: Translator = EN) -> None:
    """Print status totals, the owed total, flagged staff and where report.html is."""
    _, L = tr._, tr.lang
    out_dir = Path(out_dir)
    with DuckDBEngine() as db:
        summary = open_outputs(out_dir, db)
        statuses = status_rows(db)
        counts = headline_counts(db)
    currency = str(summary.get("currency") or "KZT")
    tbl = Table(title=_("Audit summary"), title_justify="left", header_style="bold")
    tbl.add_column(_("Status"))
    tbl.add_column(_("Family-months"), justify="right")
    tbl.add_column(_("Families"), justify="right")
    tbl.add_column(_("Money ({currency})").format(currency=currency), justify="right")
    tbl.add_column(_("Measure"), style="dim")
    for s in statuses:
        measure = _STATUS_MONEY.get(s.status, "owed")
        tbl.add_row(
            f"{status_label(s.status, tr)} ({s.status})",
            count(s.family_periods, L),
            count(s.families, L),
            money(s.money[measure], L),
            _(MEASURES[measure]),
        )
    console.print(tbl)
    owed = sum((s.money["owed"] for s in statuses), Decimal(0))
    console.print(
        "[bold]" + _("Still owed to families:") + "[/] "
        # English reads the same for every count (as it always has); kk and ru get their forms.
        + tr.ngettext("{amount} ({owed} of {total} families)",
                      "{amount} ({owed} of {total} families)", counts["families_total"]).format(
            amount=money_words(owed, currency, L), owed=count(counts["families_owed"], L),
            total=count(counts["families_total"], L)),
        highlight=False,
    )  # fmt: skip
    console.print(
        "[bold]" + _("Staff flagged for investigation:") + "[/] "
        + _("{flagged} of {total} (statistically unusual; not proof of wrongdoing)").format(
            flagged=count(counts["staff_flagged"], L), total=count(counts["staff_total"], L)),
        highlight=False,
    )  # fmt: skip
    offices = summary.get("offices") or {}
    if "flagged" in offices:  # outputs from before offices had tests of their own lack it
        console.print(
            "[bold]" + _("Offices flagged:") + "[/] "
            + _("{flagged} of {total}{as_a_whole}; regions flagged: {regions} (see report.html)")
            .format(flagged=count(offices["flagged"], L), total=count(offices.get("total", 0), L),
                    as_a_whole=_as_a_whole(offices, tr),
                    regions=count((summary.get("regions") or {}).get("flagged", 0), L)),
            highlight=False,
        )  # fmt: skip
    excluded = summary.get("excluded")
    if excluded:  # the input had a population register or applications
        console.print(
            "[bold]" + _("Left out (never enrolled, or enrolled late):") + "[/] "
            + _("{owed} owed to {families} families who applied; eligible mothers who never "
                "applied would be due {unclaimed}; {staff} clerks' decisions stand out "
                "(excluded.csv)").format(
                owed=money_words(excluded["owed"], currency, L),
                families=count(excluded["families_owed"], L),
                unclaimed=money_words(excluded["never_applied_would_be_due"], currency, L),
                staff=count(excluded["staff_flagged"], L)),
            highlight=False,
        )  # fmt: skip
    report = out_dir / "report.html"
    where = str(report) if report.is_file() else _("{path} (not written yet)").format(path=report)
    console.print("[bold]" + _("Report:") + f"[/] {where}", highlight=False, soft_wrap=True)


def _as_a_whole(offices: dict, tr: Translator = EN) -> str:
    """How many flagged offices are unusual as a whole (every clerk together), not only
    through the losses of their flagged staff: the two call for different investigations."""
    if "flagged_as_a_whole" not in offices or not offices["flagged"]:
        return ""
    n = offices["flagged_as_a_whole"]
    if tr.lang == "en":
        return f" ({n:,} of them as a whole)"
    return tr._(" ({n} of them as a whole)").format(n=count(n, tr.lang))
