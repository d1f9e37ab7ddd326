"""The "Who was left out" section of the audit report (payproof.exclusion).

Public like the rest of the report: counts, money, districts, offices and staff numbers
only — never a mother, child or register record (those stay in excluded.csv and the
store, for investigators). Its text goes through the reader's translator (``tr``), its
figures through payproof.report.fmt with the reader's language.
"""

from __future__ import annotations

import csv
import json
import re
from html import escape
from pathlib import Path

from payproof.exclusion.outputs import PROXIES
from payproof.i18n import EN, N_, Translator
from payproof.money import parse_amount
from payproof.report import charts
from payproof.report.charts import Series
from payproof.report.fmt import CURRENCY_WORDS, axis_format, count, money, money_words, share
from payproof.report.html import Section, figure, table

TITLE = N_("Who was left out")
ANCHOR = "excluded"
TOP = 10
KIND_LABELS = {
    "rejected": N_("Rejected"),
    "pending": N_("Still pending"),
    "approved_not_enrolled": N_("Approved, not enrolled"),
    "late_approval": N_("Approved late"),
    "never_applied": N_("Never applied (would be due)"),
}
TEST_LABELS = {"late": N_("late"), "rejected_eligible": N_("eligible rejected"),
               "overturned": N_("overturned")}  # fmt: skip
# The peers a test compares against (the ``_vs_`` part of staff.csv's application_flagged_by).
LEVEL_LABELS = {"office": N_("office"), "region": N_("region"), "programme": N_("programme")}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _safe(template: str) -> str:
    """A translated prose template, safe to put in HTML (its fields are filled escaped)."""
    return escape(template, quote=False)


def restored(cell: str | None) -> str:
    """A text cell read back from a payproof CSV, less the ``'`` the one CSV writer puts
    before a cell a spreadsheet would run (payproof.engine.export)."""
    text = cell or ""
    return text[1:] if re.match(r"^'+[=+\-@\t\r]", text) else text


def excluded_section(folder: Path, *, currency: str = "KZT", tr: Translator = EN) -> Section:
    """The section from an audit folder's summary.json and staff.csv, in ``tr``'s language."""
    folder = Path(folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    block = summary.get("excluded")
    if not block:
        empty = _safe(tr._("The input had no register or applications."))
        return Section(tr._(TITLE), f"<p>{empty}</p>", ANCHOR)
    return Section(tr._(TITLE), _body(folder, block, summary, currency, tr), ANCHOR)


def _body(folder: Path, block: dict, summary: dict, currency: str, tr: Translator) -> str:
    _, L = tr._, tr.lang
    cur = CURRENCY_WORDS.get(currency, currency) if L == "en" else currency
    kinds = block.get("by_kind", {})
    enrolled_owed = summary.get("totals", {}).get("owed", "0")
    families = block["families_owed"]
    # English reads the same for every count (as it always has); kk and ru get their forms.
    lede = "<p>" + _safe(tr.ngettext(
        "{families} families applied while the register shows them eligible and were not paid "
        "for months the rules say they were owed: {owed}, beside {enrolled} owed to enrolled "
        "families. The rules owe the allowance from the month of application, never from a "
        "later approval. Families the register shows eligible who never applied would have "
        "been due {unclaimed}: a coverage gap, not arrears.",
        "{families} families applied while the register shows them eligible and were not paid "
        "for months the rules say they were owed: {owed}, beside {enrolled} owed to enrolled "
        "families. The rules owe the allowance from the month of application, never from a "
        "later approval. Families the register shows eligible who never applied would have "
        "been due {unclaimed}: a coverage gap, not arrears.",
        families,
    )).format(
        families=count(families, L), owed=_e(money_words(block["owed"], currency, L)),
        enrolled=_e(money_words(enrolled_owed, currency, L)),
        unclaimed=_e(money_words(block["never_applied_would_be_due"], currency, L)),
    ) + "</p>"  # fmt: skip
    if block.get("register"):
        proxies = _safe(_("Eligibility comes from the population register and rests on proxies "
                          "({proxies}); each family's evidence is in excluded.csv."))
        rests_on = block.get("proxies", "")  # this version's text is translated; any other shown
        rests_on = _(PROXIES) if rests_on == PROXIES else rests_on  # as written in summary.json
        lede += "<p>" + proxies.format(proxies=_e(rests_on)) + "</p>"
    parts = [lede]
    rows = [(k, v) for k, v in kinds.items() if k in KIND_LABELS]
    if rows:
        parts += _kinds(rows, cur, tr)
    cover = block.get("coverage_by_district") or []
    if cover:
        parts += _coverage(cover, tr)
    parts.append(_decisions(folder, block, tr))
    return "\n".join(p for p in parts if p)


def _kinds(rows: list[tuple[str, dict]], cur: str, tr: Translator) -> list[str]:
    """The chart and table of money due, by how families were left out."""
    _, L = tr._, tr.lang
    label = lambda k: _(KIND_LABELS[k])  # noqa: E731
    svg = charts.bar_chart(
        title=_("Amount due to families left out, by how they were left out ({cur})")
        .format(cur=cur),
        # English reads the same for every count (as it always has); kk and ru get their forms.
        desc="; ".join(
            tr.ngettext("{flag}: {amount} to {n} families", "{flag}: {amount} to {n} families",
                        v["families"])
            .format(flag=label(k), amount=money(v["amount_due"], L), n=v["families"])
            for k, v in rows),
        labels=[label(k) for k, _v in rows],
        series=[Series(_("Amount due"), [parse_amount(v["amount_due"]) / 100 for _k, v in rows],
                       charts.VERMILLION)],
        value_labels=[money(v["amount_due"], L) for _k, v in rows],
        uid="excluded-kinds-chart",
        tick_format=axis_format(L),
    )  # fmt: skip
    return [
        figure(svg, _("Money in whole currency units; families counted once.")),
        table(
            [(_("How"), False), (_("Families"), True), (_("Family-months"), True),
             (_("Amount due ({cur})").format(cur=cur), True)],
            [[label(k), count(v["families"], L), count(v["family_periods"], L),
              money(v["amount_due"], L)]
             for k, v in rows],
            caption=_("Families left out"),
        ),
    ]  # fmt: skip


def _coverage(cover: list[dict], tr: Translator) -> list[str]:
    """The chart and table of register-eligible mothers not enrolled, by district."""
    _, L = tr._, tr.lang
    of = _("{part} of {whole}")
    svg = charts.bar_chart(
        title=_("Eligible mothers in the register not enrolled, by district"),
        desc="; ".join(f"{c['district']}: " + of.format(part=c["eligible_families"] - c["enrolled"],
                                                        whole=c["eligible_families"])
                       for c in cover),
        labels=[c["district"] for c in cover],
        series=[Series(_("Not enrolled"), [c["eligible_families"] - c["enrolled"]
                                           for c in cover], charts.ORANGE)],
        value_labels=[of.format(part=count(c["eligible_families"] - c["enrolled"], L),
                                whole=count(c["eligible_families"], L)) for c in cover],
        uid="excluded-coverage-chart",
        tick_format=axis_format(L),
    )  # fmt: skip
    return [
        figure(svg, _("Mothers the register shows eligible in an audited month who are not in "
                      "the registry (any kind, never applied included).")),
        table(
            [(_("District"), False), (_("Eligible"), True), (_("Enrolled"), True),
             (_("Coverage"), True)],
            [[c["district"], count(c["eligible_families"], L), count(c["enrolled"], L),
              share(c["enrolled"], c["eligible_families"], L)] for c in cover],
            caption=_("Coverage by district"),
        ),
    ]  # fmt: skip


def _decisions(folder: Path, block: dict, tr: Translator) -> str:
    _, L = tr._, tr.lang
    apps = block.get("applications", {})
    total = apps.get("total", 0)
    # English reads the same for every count (as it always has); kk and ru get their forms.
    text = "<p>" + _safe(tr.ngettext(
        "{total} applications: {rejected} rejected ({rejected_eligible} of mothers the register "
        "shows eligible, {overturned} later overturned), {late} decided after the {days}-day "
        "term or still pending past it.",
        "{total} applications: {rejected} rejected ({rejected_eligible} of mothers the register "
        "shows eligible, {overturned} later overturned), {late} decided after the {days}-day "
        "term or still pending past it.",
        total,
    )).format(
        total=count(total, L), rejected=count(apps.get("rejected", 0), L),
        rejected_eligible=count(apps.get("rejected_eligible", 0), L),
        overturned=count(apps.get("overturned", 0), L), late=count(apps.get("late", 0), L),
        days=block["legal_term_days"],
    ) + " " + _safe(_(
        "{staff} clerks and {offices} offices stand out against their peers (the "
        "attribution's tests: beta-binomial, robust yardstick, one Benjamini–Hochberg "
        "correction over every application test). A flag is a reason to look, not proof: "
        "a clerk may be given the hardest files. Short first payments through the approving "
        "clerk and complaints are shown beside each flag as corroboration only.",
    )).format(staff=count(block["staff_flagged"], L),
             offices=count(block["offices_flagged"], L)) + "</p>"  # fmt: skip
    as_a_whole = block.get("offices_flagged_as_a_whole", 0)
    if as_a_whole:
        text += "<p>" + _safe(_(
            "{offices} of these offices stand out as a whole: their clerks are listed in "
            "staff.csv as in a flagged office (application_in_flagged_office), not as proven "
            "individuals."
        )).format(offices=count(as_a_whole, L)) + "</p>"  # fmt: skip
    path = folder / "staff.csv"
    if not path.exists():
        return text
    with path.open(encoding="utf-8", newline="") as f:
        flagged = [r for r in csv.DictReader(f) if r.get("application_flagged") == "true"]
    if not flagged:
        return text
    flagged.sort(key=lambda r: (-int(r["applications"] or 0), r["staff_id"]))
    rows = [
        [restored(r["staff_id"]), restored(r["office_id"]), count(int(r["applications"]), L),
         count(int(r["late"]), L), count(int(r["rejected_eligible"]), L),
         _tests(restored(r["application_flagged_by"]), tr),
         count(int(r["approvals_short_first"] or 0), L),
         count(int(r["exclusion_complaints"] or 0), L) + " / "
         + count(int(r["bribe_complaints"]), L)]
        for r in flagged[:TOP]
    ]  # fmt: skip
    return text + table(
        [(_("Staff"), False), (_("Office"), False), (_("Applications"), True), (_("Late"), True),
         (_("Eligible rejected"), True), (_("Stands out on"), False),
         (_("Approvals then short first payment"), True),
         (_("Complaints: excluded / bribe"), True)],
        rows,
        caption=_("Clerks whose decisions stand out ({n}; top {top})").format(
            n=len(flagged), top=min(TOP, len(flagged))),
    )  # fmt: skip


def _tests(flagged_by: str, tr: Translator = EN) -> str:
    """'late_vs_office;late_vs_region' -> 'late (office, region)', in the reader's language."""
    levels: dict[str, list[str]] = {}
    for item in filter(None, flagged_by.split(";")):
        test, _, level = item.partition("_vs_")
        name = tr._(TEST_LABELS[test]) if test in TEST_LABELS else test
        levels.setdefault(name, []).append(tr._(LEVEL_LABELS[level]) if level in LEVEL_LABELS
                                           else level)  # fmt: skip
    return "; ".join(f"{t} ({', '.join(v)})" for t, v in levels.items())
