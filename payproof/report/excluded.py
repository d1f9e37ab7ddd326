"""The "Who was left out" section of the audit report (payproof.exclusion).

Public like the rest of the report: counts, money, districts, offices and staff numbers
only — never a mother, child or register record (those stay in excluded.csv and the
store, for investigators).
"""

from __future__ import annotations

import csv
import json
import re
from html import escape
from pathlib import Path

from payproof.i18n import EN, Translator
from payproof.money import parse_amount
from payproof.report import charts
from payproof.report.charts import Series
from payproof.report.fmt import CURRENCY_WORDS, count, money, money_words, share
from payproof.report.html import Section, figure, table

TITLE = "Who was left out"
ANCHOR = "excluded"
TOP = 10
KIND_LABELS = {
    "rejected": "Rejected",
    "pending": "Still pending",
    "approved_not_enrolled": "Approved, not enrolled",
    "late_approval": "Approved late",
    "never_applied": "Never applied (would be due)",
}
TEST_LABELS = {"late": "late", "rejected_eligible": "eligible rejected",
               "overturned": "overturned"}  # fmt: skip


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def restored(cell: str | None) -> str:
    """A text cell read back from a payproof CSV, less the ``'`` the one CSV writer puts
    before a cell a spreadsheet would run (payproof.engine.export)."""
    text = cell or ""
    return text[1:] if re.match(r"^'+[=+\-@\t\r]", text) else text


def excluded_section(folder: Path, *, currency: str = "KZT", tr: Translator = EN) -> Section:
    """The section from an audit folder's summary.json and staff.csv."""
    folder = Path(folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    block = summary.get("excluded")
    if not block:
        return Section(TITLE, "<p>The input had no register or applications.</p>", ANCHOR)
    return Section(TITLE, _body(folder, block, summary, currency), ANCHOR)


def _body(folder: Path, block: dict, summary: dict, currency: str) -> str:
    cur = CURRENCY_WORDS.get(currency, currency)
    kinds = block.get("by_kind", {})
    enrolled_owed = summary.get("totals", {}).get("owed", "0")
    lede = (
        f"<p>{count(block['families_owed'])} families applied while the register shows them "
        f"eligible and were not paid for months the rules say they were owed: "
        f"{_e(money_words(block['owed'], currency))}, beside "
        f"{_e(money_words(enrolled_owed, currency))} owed to enrolled "
        "families. The rules owe the allowance from the month of application, never from a "
        "later approval. Families the register shows eligible who never applied would have "
        f"been due {_e(money_words(block['never_applied_would_be_due'], currency))}: a "
        "coverage gap, not "
        "arrears.</p>"
    )
    if block.get("register"):
        lede += (
            "<p>Eligibility comes from the population register and rests on proxies "
            f"({_e(block.get('proxies', ''))}); each family's evidence is in excluded.csv.</p>"
        )
    parts = [lede]
    rows = [(k, v) for k, v in kinds.items() if k in KIND_LABELS]
    if rows:
        svg = charts.bar_chart(
            title=f"Amount due to families left out, by how they were left out ({cur})",
            desc="; ".join(f"{KIND_LABELS[k]}: {money(v['amount_due'])} to {v['families']} families"
                           for k, v in rows),  # fmt: skip
            labels=[KIND_LABELS[k] for k, _ in rows],
            series=[Series("Amount due", [parse_amount(v["amount_due"]) / 100 for _, v in rows],
                           charts.VERMILLION)],  # fmt: skip
            value_labels=[money(v["amount_due"]) for _, v in rows],
            uid="excluded-kinds-chart",
        )
        parts.append(figure(svg, "Money in whole currency units; families counted once."))
        parts.append(table(
            [("How", False), ("Families", True), ("Family-months", True),
             (f"Amount due ({cur})", True)],
            [[KIND_LABELS[k], count(v["families"]), count(v["family_periods"]),
              money(v["amount_due"])]
             for k, v in rows],
            caption="Families left out",
        ))  # fmt: skip
    cover = block.get("coverage_by_district") or []
    if cover:
        svg = charts.bar_chart(
            title="Eligible mothers in the register not enrolled, by district",
            desc="; ".join(f"{c['district']}: {c['eligible_families'] - c['enrolled']} of "
                           f"{c['eligible_families']}" for c in cover),  # fmt: skip
            labels=[c["district"] for c in cover],
            series=[Series("Not enrolled", [c["eligible_families"] - c["enrolled"]
                                            for c in cover], charts.ORANGE)],
            value_labels=[f"{count(c['eligible_families'] - c['enrolled'])} of "
                          f"{count(c['eligible_families'])}" for c in cover],
            uid="excluded-coverage-chart",
        )  # fmt: skip
        parts.append(figure(svg, "Mothers the register shows eligible in an audited month who "
                                 "are not in the registry (any kind, never applied included)."))
        parts.append(table(
            [("District", False), ("Eligible", True), ("Enrolled", True), ("Coverage", True)],
            [[c["district"], count(c["eligible_families"]), count(c["enrolled"]),
              share(c["enrolled"], c["eligible_families"])] for c in cover],
            caption="Coverage by district",
        ))  # fmt: skip
    parts.append(_decisions(folder, block))
    return "\n".join(p for p in parts if p)


def _decisions(folder: Path, block: dict) -> str:
    apps = block.get("applications", {})
    text = (
        f"<p>{count(apps.get('total', 0))} applications: {count(apps.get('rejected', 0))} "
        f"rejected ({count(apps.get('rejected_eligible', 0))} of mothers the register shows "
        f"eligible, {count(apps.get('overturned', 0))} later overturned), "
        f"{count(apps.get('late', 0))} decided after the {block['legal_term_days']}-day term or "
        f"still pending past it. {count(block['staff_flagged'])} clerks and "
        f"{count(block['offices_flagged'])} offices stand out against their peers (the "
        "attribution's tests: beta-binomial, robust yardstick, one Benjamini–Hochberg "
        "correction over every application test). A flag is a reason to look, not proof: "
        "a clerk may be given the hardest files. Short first payments through the approving "
        "clerk and complaints are shown beside each flag as corroboration only.</p>"
    )
    path = folder / "staff.csv"
    if not path.exists():
        return text
    with path.open(encoding="utf-8", newline="") as f:
        flagged = [r for r in csv.DictReader(f) if r.get("application_flagged") == "true"]
    if not flagged:
        return text
    flagged.sort(key=lambda r: (-int(r["applications"] or 0), r["staff_id"]))
    rows = [
        [restored(r["staff_id"]), restored(r["office_id"]), count(int(r["applications"])),
         count(int(r["late"])), count(int(r["rejected_eligible"])),
         _tests(restored(r["application_flagged_by"])),
         count(int(r["approvals_short_first"] or 0)),
         count(int(r["exclusion_complaints"] or 0)) + " / " + count(int(r["bribe_complaints"]))]
        for r in flagged[:TOP]
    ]  # fmt: skip
    return text + table(
        [("Staff", False), ("Office", False), ("Applications", True), ("Late", True),
         ("Eligible rejected", True), ("Stands out on", False),
         ("Approvals then short first payment", True), ("Complaints: excluded / bribe", True)],
        rows,
        caption=f"Clerks whose decisions stand out ({len(flagged)}; top {min(TOP, len(flagged))})",
    )  # fmt: skip


def _tests(flagged_by: str) -> str:
    """'late_vs_office;late_vs_region' -> 'late (office, region)'."""
    levels: dict[str, list[str]] = {}
    for item in filter(None, flagged_by.split(";")):
        test, _, level = item.partition("_vs_")
        levels.setdefault(TEST_LABELS.get(test, test), []).append(level)
    return "; ".join(f"{t} ({', '.join(v)})" for t, v in levels.items())

