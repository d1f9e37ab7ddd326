"""Plain-language wording: status names, definitions and the headline findings.

The text must be quotable by a journalist and fair to the people it describes:
it says what the *records show*, and a flagged clerk is "statistically unusual
and needs investigation" — never an accusation the numbers cannot carry.
"""

from __future__ import annotations

from payproof.i18n import EN, N_, Translator
from payproof.report.fmt import count, fixed, money_words, period, q_clause, share
from payproof.statuses import STATUSES

STATUS_ORDER = STATUSES

# (short label, definition). E = entitled, D = disbursed, R = received (evidence).
STATUS_TEXT = {
    "paid_not_entitled": (
        N_("Paid without entitlement"),
        N_("Money was paid out for a month in which the family was not entitled to anything "
        "(E = 0, D > 0)."),
    ),
    "undocumented_receipt": (
        N_("Received, no payment on record"),
        N_("The family's evidence shows money received, but no payment was recorded "
           "(D = 0, R > 0)."),
    ),
    "unpaid": (
        N_("Never paid"),
        N_("The family was entitled, but the records show no payment at all (E > 0, D = 0)."),
    ),
    "diverted": (
        N_("Paid out, nothing received"),
        N_("A payment was recorded, but the family's evidence shows nothing received "
           "(D > 0, R = 0)."),
    ),
    "skimmed": (
        N_("Received less than paid out"),
        N_("The family received part of what was recorded as paid to it (0 < R < D)."),
    ),
    "underpaid": (
        N_("Paid less than entitled"),
        N_("Less was paid out than the family was entitled to (D < E), and what was paid "
           "arrived."),
    ),
    "overpaid": (
        N_("Paid more than entitled"),
        N_("More was paid out than the family was entitled to (D > E)."),
    ),
    "unverified": (
        N_("Paid, no receipt evidence"),
        N_("Paid in full according to the payment records, but there is no evidence from the "
        "family either way (R unknown)."),
    ),
    "ok": (N_("Paid and received in full"), N_("Entitled amount paid out and confirmed received.")),
}  # fmt: skip


def status_label(status: str, tr: Translator = EN) -> str:
    return tr._(STATUS_TEXT[status][0]) if status in STATUS_TEXT else status


def status_definition(status: str, tr: Translator = EN) -> str:
    return tr._(STATUS_TEXT[status][1] if status in STATUS_TEXT else "Status defined by the audit.")


def counted(tr: Translator, n: int, singular: str, plural: str) -> str:
    """ "1 family", "2 families" (and Russian's three forms): ``singular`` holds ``{n}``."""
    return tr.ngettext(singular, plural, n).format(n=count(n, tr.lang))


def headline_findings(data, tr: Translator = EN) -> list[str]:
    """The key findings as plain sentences (text, to be escaped by the caller)."""
    _, L = tr._, tr.lang
    cur = data.currency
    t = data.totals
    out: list[str] = []
    period_ = data.summary.get("periods") or {}
    span = ""
    if period_.get("first") and period_.get("last"):
        span = _(" between {first} and {last}").format(
            first=period(period_["first"], L), last=period(period_["last"], L))  # fmt: skip
    if data.families_owed:
        out.append(
            # English reads the same for every count (as it always has); kk and ru get their forms.
            tr.ngettext(
                "Records show that {owed} of {total} families are still owed money{span}: "
                "{amount} in total, {share} of what they were entitled to.",
                "Records show that {owed} of {total} families are still owed money{span}: "
                "{amount} in total, {share} of what they were entitled to.",
                data.families_total,
            ).format(owed=count(data.families_owed, L), total=count(data.families_total, L),
                     span=span, amount=money_words(t["owed"], cur, L),
                     share=share(t["owed"], t["entitled"], L))
        )  # fmt: skip
    else:
        out.append(_("Records show no family still owed money{span}.").format(span=span))
    by = {s.status: s for s in data.statuses}
    months = lambda n: counted(tr, n, "{n} family-month", "{n} family-months")  # noqa: E731
    families = lambda n: counted(tr, n, "{n} family", "{n} families")  # noqa: E731
    if "unpaid" in by and by["unpaid"].family_periods:
        s = by["unpaid"]
        out.append(
            _("In {months} ({families}) the records show no payment at all, although the family "
              "was entitled: {amount}.").format(
                months=months(s.family_periods), families=families(s.families),
                amount=money_words(s.money["owed"], cur, L))
        )  # fmt: skip
    lost = t["lost_in_delivery"]
    if lost:
        out.append(
            _("Evidence from families (bank statements, confirmations, surveys) shows {amount} "
              "recorded as paid out that did not reach them.").format(
                amount=money_words(lost, cur, L))
        )  # fmt: skip
    for key in ("skimmed", "diverted"):
        s = by.get(key)
        if s and s.family_periods:
            what = (
                _("In {months} ({families}) the family received only part of the payment "
                  "recorded in their name.")
                if key == "skimmed"
                else _("In {months} ({families}) the family received nothing of a payment "
                       "recorded in their name.")
            )  # fmt: skip
            out.append(what.format(months=months(s.family_periods), families=families(s.families)))
    if data.staff_flagged:
        out.append(
            _("{flagged} of {total} staff members who paid out benefits were flagged: their "
              "payments came up short — over the year, in a run of months, or by more than "
              "5\u202f% for more of their families — or went into accounts shared by several "
              "families, far more often than their peers' (one-sided binomial test, widened for "
              "the honest spread between peers; Benjamini–Hochberg adjusted). This is "
              "statistically unusual and needs investigation; it is not proof of wrongdoing by "
              "any individual.").format(
                flagged=count(data.staff_flagged, L), total=count(data.staff_total, L))
        )  # fmt: skip
    else:
        out.append(_("No staff member's payments were statistically unusual compared with peers."))
    if data.staff_total:
        out.append(
            _("A staff member who is not flagged is not cleared: one who paid few families "
              "could not have stood out whatever it took. staff.csv gives, for each, the "
              "share of short payments at which it would have been flagged "
              "(detectable_short_rate).")
        )  # fmt: skip
    if data.offices and data.offices[0].owed > 0:
        o = data.offices[0]
        where = f"{o.office_id}" + (f" ({o.name}, {o.district})" if o.name else "")
        out.append(
            _("The largest losses run through office {where}: families it serves are owed "
              "{amount}, {share} of the total.").format(
                where=where, amount=money_words(o.owed, cur, L), share=share(o.owed, t["owed"], L))
        )  # fmt: skip
    if t["excess"]:
        out.append(
            _("Records also show {amount} paid out beyond what families were entitled to "
              "(including payments with no entitlement at all).").format(
                amount=money_words(t["excess"], cur, L))
        )  # fmt: skip
    return out


def clerk_caption(
    lines: int, median: float, office_median: float | None, tr: Translator = EN
) -> str:
    """One sentence under a clerk's histogram, comparing it with the office."""
    _, L = tr._, tr.lang
    office = (
        "" if office_median is None
        else _("; office median {median}").format(median=fixed(office_median, 2, L))
    )  # fmt: skip
    # English reads the same for every count (as it always has); kk and ru get their forms.
    return tr.ngettext(
        "{n} family-months with receipt evidence; median received ÷ disbursed {median}{office}.",
        "{n} family-months with receipt evidence; median received ÷ disbursed {median}{office}.",
        lines,
    ).format(n=count(lines, L), median=fixed(median, 2, L), office=office)


YARDSTICK_WORDS = {
    "region": N_("the other offices of its region"),
    "programme": N_("the other offices of the programme"),
}


def _pct(x: float | None, lang: str = "en") -> str:
    return "–" if x is None else fixed(100 * x, 1, lang) + "\u202f%"


def unit_explanation(u, currency: str, tr: Translator = EN) -> str:
    """Plain words for one flagged office or region: what stands out, against what,
    how much money, what corroborates it — and that it is a reason to investigate."""
    _, L = tr._, tr.lang
    name = u.unit_id + (f" ({u.name}, {u.where})" if u.kind == "office" and u.name else "")
    rate = u.short_lines / u.verified_lines if u.verified_lines else None
    if u.kind == "office":
        head = (_("Office {name} is flagged as a whole") if u.office_wide
                else _("Office {name} is flagged")).format(name=name)  # fmt: skip
    else:
        head = _("Region {name} is flagged").format(name=name)
    parts = [
        _("{head}: {short} of {lines} payments with receipt evidence came up short ({rate})")
        .format(head=head, short=count(u.short_lines, L), lines=count(u.verified_lines, L),
            rate=_pct(rate, L))
    ]  # fmt: skip
    against = []
    for key in ("region", "programme"):
        if key in u.rates and u.rates[key] is not None:
            what = _(YARDSTICK_WORDS.get(key, "the other regions")) if u.kind == "office" else (
                _("the other regions"))
            against.append(_("{rate} in {what} ({q})").format(
                rate=_pct(u.rates[key], L), what=what, q=q_clause(u.q_values.get(key), L)))
    if against:
        parts[0] += _(", against {what}.").format(what=_(" and ").join(against))
    else:
        parts[0] += "."
    if "material" in u.flagged_by:
        q = min((v for k, v in u.q_values.items() if k.endswith("material") and v is not None),
                default=None)  # fmt: skip
        parts.append(
            _("{n} of its payments with evidence lacked more than 5\u202f% of the amount — more "
              "than an ordinary bank fee or a rounding takes — far more often than at comparable "
              "offices ({q}).").format(n=count(u.material_lines, L), q=q_clause(q, L))
        )  # fmt: skip
    if u.flag_months and "months" in u.flagged_by.split(";"):
        parts.append(
            _("The losses concentrate in {months} ({q}).").format(
                months=_window(u.flag_months, tr),
                q=q_clause(u.q_values.get("months"), L))
        )  # fmt: skip
    if u.excess_lost > 0:
        low = max(u.excess_low, 0)
        parts.append(
            _("Families it paid lost {amount} more than its yardstick's loss rate would explain "
              "(95\u202f% interval {low} to {high}).").format(
                amount=money_words(u.excess_lost, currency, L), low=money_words(low, currency, L),
                high=money_words(u.excess_high, currency, L))
        )  # fmt: skip
    if u.kind == "office":
        staff = counted(tr, u.staff, "{n} staff member", "{n} staff members")
        if u.office_wide and u.flagged_staff == 0:
            parts.append(
                _("None of its {staff} stands out from the others: they are listed as working "
                  "in a flagged office, not as individuals.").format(staff=staff)
            )  # fmt: skip
        elif u.office_wide:
            parts.append(
                _("{flagged} of its {staff} also stand out individually, and the rest of the "
                  "office is unusual too.").format(flagged=count(u.flagged_staff, L), staff=staff)
            )  # fmt: skip
        else:
            parts.append(
                _("{flagged} of its {staff} are flagged individually and account for it; the "
                  "rest of the office is not unusual.").format(
                    flagged=count(u.flagged_staff, L), staff=staff)
            )  # fmt: skip
        if u.bribe_complaints or u.not_paid_complaints:
            parts.append(
                _("Complaints corroborate it: {bribe} naming its staff, {not_paid} for months "
                  "its records show as paid (complaints are shown, not counted in the test).")
                .format(
                    bribe=counted(tr, u.bribe_complaints, "{n} bribe complaint",
                                  "{n} bribe complaints"),
                    not_paid=counted(tr, u.not_paid_complaints, "{n} “not paid” complaint",
                                     "{n} “not paid” complaints"))
            )  # fmt: skip
    parts.append(_("A flag is a reason to investigate, not proof of wrongdoing."))
    return " ".join(parts)


def _window(text: str, tr: Translator) -> str:
    """A scan's run of months ('2022-04..2022-06', one period or 'all months') in words."""
    if tr.lang == "en":
        return text
    if text == "all months":
        return tr._("all months")
    first, sep, last = text.partition("..")
    if not sep:
        return period(text, tr.lang)
    first, last = period(first, tr.lang), period(last, tr.lang)
    return tr._("{first} to {last}").format(first=first, last=last)
