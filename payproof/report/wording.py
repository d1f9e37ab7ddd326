"""Plain-language wording: status names, definitions and the headline findings.

The text must be quotable by a journalist and fair to the people it describes:
it says what the *records show*, and a flagged clerk is "statistically unusual
and needs investigation" — never an accusation the numbers cannot carry.
"""

from __future__ import annotations

from payproof.report.fmt import count, money_words, plural, q_clause, share
from payproof.statuses import STATUSES

STATUS_ORDER = STATUSES

# (short label, definition). E = entitled, D = disbursed, R = received (evidence).
STATUS_TEXT = {
    "paid_not_entitled": (
        "Paid without entitlement",
        "Money was paid out for a month in which the family was not entitled to anything "
        "(E = 0, D > 0).",
    ),
    "undocumented_receipt": (
        "Received, no payment on record",
        "The family's evidence shows money received, but no payment was recorded (D = 0, R > 0).",
    ),
    "unpaid": (
        "Never paid",
        "The family was entitled, but the records show no payment at all (E > 0, D = 0).",
    ),
    "diverted": (
        "Paid out, nothing received",
        "A payment was recorded, but the family's evidence shows nothing received (D > 0, R = 0).",
    ),
    "skimmed": (
        "Received less than paid out",
        "The family received part of what was recorded as paid to it (0 < R < D).",
    ),
    "underpaid": (
        "Paid less than entitled",
        "Less was paid out than the family was entitled to (D < E), and what was paid arrived.",
    ),
    "overpaid": (
        "Paid more than entitled",
        "More was paid out than the family was entitled to (D > E).",
    ),
    "unverified": (
        "Paid, no receipt evidence",
        "Paid in full according to the payment records, but there is no evidence from the "
        "family either way (R unknown).",
    ),
    "ok": ("Paid and received in full", "Entitled amount paid out and confirmed received."),
}


def status_label(status: str) -> str:
    return STATUS_TEXT.get(status, (status, ""))[0]


def status_definition(status: str) -> str:
    return STATUS_TEXT.get(status, ("", "Status defined by the audit."))[1]


def headline_findings(data) -> list[str]:
    """The key findings as plain sentences (text, to be escaped by the caller)."""
    cur = data.currency
    t = data.totals
    out: list[str] = []
    period = data.summary.get("periods") or {}
    span = ""
    if period.get("first") and period.get("last"):
        span = f" between {period['first']} and {period['last']}"
    if data.families_owed:
        out.append(
            f"Records show that {count(data.families_owed)} of {count(data.families_total)} "
            f"families are still owed money{span}: {money_words(t['owed'], cur)} in total, "
            f"{share(t['owed'], t['entitled'])} of what they were entitled to."
        )
    else:
        out.append(f"Records show no family still owed money{span}.")
    by = {s.status: s for s in data.statuses}
    if "unpaid" in by and by["unpaid"].family_periods:
        s = by["unpaid"]
        out.append(
            f"In {plural(s.family_periods, 'family-month')} "
            f"({plural(s.families, 'family', 'families')}) the records show "
            "no payment at all, although the family was entitled: "
            f"{money_words(s.money['owed'], cur)}."
        )
    lost = t["lost_in_delivery"]
    if lost:
        out.append(
            f"Evidence from families (bank statements, confirmations, surveys) shows "
            f"{money_words(lost, cur)} recorded as paid out that did not reach them."
        )
    for key in ("skimmed", "diverted"):
        s = by.get(key)
        if s and s.family_periods:
            what = (
                "received only part of the payment recorded in their name"
                if key == "skimmed"
                else "received nothing of a payment recorded in their name"
            )
            out.append(
                f"In {plural(s.family_periods, 'family-month')} "
                f"({plural(s.families, 'family', 'families')}) the family {what}."
            )
    if data.staff_flagged:
        out.append(
            f"{count(data.staff_flagged)} of {count(data.staff_total)} staff members who paid "
            "out benefits were flagged: their payments came up short — over the year, in a "
            "run of months, or by more than 5\u202f% for more of their families — or went "
            "into accounts shared by several families, far more often than their peers' "
            "(one-sided binomial test, widened for the honest spread between peers; "
            "Benjamini–Hochberg adjusted). This is "
            "statistically unusual and needs investigation; it is not proof of wrongdoing by "
            "any individual."
        )
    else:
        out.append("No staff member's payments were statistically unusual compared with peers.")
    if data.staff_total:
        out.append(
            "A staff member who is not flagged is not cleared: one who paid few families "
            "could not have stood out whatever it took. staff.csv gives, for each, the "
            "share of short payments at which it would have been flagged "
            "(detectable_short_rate)."
        )
    if data.offices and data.offices[0].owed > 0:
        o = data.offices[0]
        where = f"{o.office_id}" + (f" ({o.name}, {o.district})" if o.name else "")
        out.append(
            f"The largest losses run through office {where}: families it serves are owed "
            f"{money_words(o.owed, cur)}, {share(o.owed, t['owed'])} of the total."
        )
    if t["excess"]:
        out.append(
            f"Records also show {money_words(t['excess'], cur)} paid out beyond what families "
            "were entitled to (including payments with no entitlement at all)."
        )
    return out


def clerk_caption(lines: int, median: float, office_median: float | None) -> str:
    """One sentence under a clerk's histogram, comparing it with the office."""
    office = "" if office_median is None else f"; office median {office_median:.2f}"
    return (
        f"{count(lines)} family-months with receipt evidence; median received ÷ disbursed "
        f"{median:.2f}{office}."
    )


YARDSTICK_WORDS = {
    "region": "the other offices of its region",
    "programme": "the other offices of the programme",
}


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}\u202f%"


def unit_explanation(u, currency: str) -> str:
    """Plain words for one flagged office or region: what stands out, against what,
    how much money, what corroborates it — and that it is a reason to investigate."""
    name = u.unit_id + (f" ({u.name}, {u.where})" if u.kind == "office" and u.name else "")
    rate = u.short_lines / u.verified_lines if u.verified_lines else None
    head = f"{'Office' if u.kind == 'office' else 'Region'} {name} is flagged"
    if u.kind == "office":
        head += " as a whole" if u.office_wide else ""
    parts = [
        f"{head}: {count(u.short_lines)} of {count(u.verified_lines)} payments with receipt "
        f"evidence came up short ({_pct(rate)})"
    ]
    against = []
    for key in ("region", "programme"):
        if key in u.rates and u.rates[key] is not None:
            what = YARDSTICK_WORDS.get(key, "the other regions") if u.kind == "office" else (
                "the other regions")
            against.append(f"{_pct(u.rates[key])} in {what} ({q_clause(u.q_values.get(key))})")
    if against:
        parts[0] += ", against " + " and ".join(against) + "."
    else:
        parts[0] += "."
    if "material" in u.flagged_by:
        q = min((v for k, v in u.q_values.items() if k.endswith("material") and v is not None),
                default=None)  # fmt: skip
        parts.append(
            f"{count(u.material_lines)} of its payments with evidence lacked more than 5\u202f% "
            f"of the amount — more than an ordinary bank fee or a rounding takes — far more "
            f"often than at comparable offices ({q_clause(q)})."
        )
    if u.flag_months and "months" in u.flagged_by.split(";"):
        parts.append(
            f"The losses concentrate in {u.flag_months} ({q_clause(u.q_values.get('months'))})."
        )
    if u.excess_lost > 0:
        low = max(u.excess_low, 0)
        parts.append(
            f"Families it paid lost {money_words(u.excess_lost, currency)} more than its "
            f"yardstick's loss rate would explain (95\u202f% interval "
            f"{money_words(low, currency)} to {money_words(u.excess_high, currency)})."
        )
    if u.kind == "office":
        if u.office_wide and u.flagged_staff == 0:
            parts.append(
                f"None of its {plural(u.staff, 'staff member')} stands out from the others: "
                "they are listed as working in a flagged office, not as individuals."
            )
        elif u.office_wide:
            parts.append(
                f"{count(u.flagged_staff)} of its {plural(u.staff, 'staff member')} also stand "
                "out individually, and the rest of the office is unusual too."
            )
        else:
            parts.append(
                f"{count(u.flagged_staff)} of its {plural(u.staff, 'staff member')} are flagged "
                "individually and account for it; the rest of the office is not unusual."
            )
        if u.bribe_complaints or u.not_paid_complaints:
            parts.append(
                f"Complaints corroborate it: {plural(u.bribe_complaints, 'bribe complaint')} "
                f"naming its staff, {plural(u.not_paid_complaints, '“not paid” complaint')} "
                "for months its records show as paid (complaints are shown, not counted in "
                "the test)."
            )
    parts.append("A flag is a reason to investigate, not proof of wrongdoing.")
    return " ".join(parts)
