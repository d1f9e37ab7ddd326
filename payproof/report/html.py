"""``report.html``: one self-contained, printable file from an audit output folder.

Inline CSS and SVG only — no scripts, fonts or links to the network — so it
opens offline years later and prints the same. All text from the data is
escaped; beneficiaries never appear (only staff and office identifiers).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from importlib import resources
from pathlib import Path

from payproof.atomic import write_text
from payproof.i18n import EN, N_, Translator
from payproof.report import charts
from payproof.report.charts import Series
from payproof.report.data import (
    BIN_WIDTH,
    TOP_CLERK_HISTOGRAMS,
    TOP_DISTRICTS,
    WITHHELD,
    ReportData,
    consistency_warnings,
    load_report_data,
)
from payproof.report.fmt import (
    axis_format,
    count,
    fixed,
    money,
    money_words,
    period,
    q_clause,
    q_value,
    ratio,
    share,
)
from payproof.report.wording import (
    STATUS_ORDER,
    clerk_caption,
    headline_findings,
    status_definition,
    status_label,
    unit_explanation,
)

DEFAULT_TITLE = N_("Where the benefit money went")


@dataclass(frozen=True)
class Section:
    """An extra report section. ``html`` is a trusted fragment: its author escapes its text."""

    title: str
    html: str
    anchor: str | None = None


class Html(str):
    """A string that is already HTML (so table cells are not escaped twice)."""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _cell(value: object) -> str:
    return value if isinstance(value, Html) else _e(value)


def table(
    headers: Sequence[tuple[str, bool | str]],
    rows: Sequence[Sequence[object]],
    *,
    caption: str | None = None,
    total: Sequence[object] | None = None,
) -> str:
    """An HTML table; ``headers`` are (text, kind): True for numbers, or a CSS class."""
    cls = [
        ' class="n"' if kind is True else (f' class="{kind}"' if kind else "")
        for _, kind in headers
    ]
    out = ["<table>"]
    if caption:
        out.append(f"<caption>{_e(caption)}</caption>")
    out.append(
        "<thead><tr>"
        + "".join(
            f'<th scope="col"{c}>{_e(h)}</th>' for (h, _), c in zip(headers, cls, strict=True)
        )
        + "</tr></thead><tbody>"
    )
    for row in rows:
        out.append(
            "<tr>"
            + "".join(f"<td{c}>{_cell(v)}</td>" for v, c in zip(row, cls, strict=True))
            + "</tr>"
        )
    if total is not None:
        out.append(
            '<tr class="total">'
            + "".join(f"<td{c}>{_cell(v)}</td>" for v, c in zip(total, cls, strict=True))
            + "</tr>"
        )
    out.append("</tbody></table>")
    return "\n".join(out)


def figure(svg: str, caption: str) -> str:
    return f"<figure>\n{svg}\n<figcaption>{_e(caption)}</figcaption>\n</figure>"


def _f(value: Decimal) -> float:
    """Decimal -> float for chart geometry only."""
    return float(value)


def _section(anchor: str, title: str, body: str, lede: str | None = None) -> str:
    lede_html = f'<p class="lede">{_e(lede)}</p>' if lede else ""
    return f'<section id="{_e(anchor)}">\n<h2>{_e(title)}</h2>\n{lede_html}\n{body}\n</section>'


def key_findings(d: ReportData, tr: Translator = EN) -> str:
    _, L = tr._, tr.lang
    t, cur = d.totals, d.currency
    of = _("{part} of {whole}")
    tiles = [
        (money_words(t["owed"], cur, L), _("still owed to families"), "warn"),
        (of.format(part=count(d.families_owed, L), whole=count(d.families_total, L)),
         _("families still owed"), ""),
        (money_words(t["lost_in_delivery"], cur, L), _("paid out but not received"), "warn"),
        (of.format(part=count(d.staff_flagged, L), whole=count(d.staff_total, L)),
         _("staff flagged for review"), ""),
    ]  # fmt: skip
    tiles_html = "".join(
        f'<div class="tile {cls}"><div class="v">{_e(v)}</div><div class="k">{_e(k)}</div></div>'
        for v, k, cls in tiles
    )
    items = "".join(f"<li>{_e(s)}</li>" for s in headline_findings(d, tr))
    body = (
        f'<div class="tiles">{tiles_html}</div>\n<ul class="findings">{items}</ul>\n'
        '<p class="caution">'
        + _esc_quotes(_("These findings describe what the payment records and the families' "
               "evidence show. A flagged staff member is statistically unusual and needs "
               "investigation; the figures alone do not prove that any individual did wrong."))
        + "</p>"
    )  # fmt: skip
    return _section("findings", _("Key findings"), body)


def _para(text: str) -> str:
    return f"<p>{_e(text)}</p>"


def _esc_quotes(text: str) -> str:
    """Escape like the report always has: quotes in prose stay as typed (HTML text nodes)."""
    return escape(text, quote=False)


def money_by_status(d: ReportData, tr: Translator = EN) -> str:
    _, L = tr._, tr.lang
    cur = d.currency
    shown = [s for s in d.statuses if s.money["owed"] or s.money["excess"]]
    body = ""
    if shown:
        svg = charts.bar_chart(
            title=_("Money still owed and paid beyond entitlement, by status ({cur})").format(
                cur=cur),
            desc="; ".join(
                _("{status}: owed {owed}, beyond entitlement {excess}").format(
                    status=status_label(s.status, tr), owed=money(s.money["owed"], L),
                    excess=money(s.money["excess"], L))
                for s in shown
            ),
            labels=[status_label(s.status, tr) for s in shown],
            series=[
                Series(
                    _("Still owed to families"),
                    [_f(s.money["owed"]) for s in shown],
                    charts.VERMILLION,
                ),
                Series(
                    _("Paid beyond entitlement"), [_f(s.money["excess"]) for s in shown],
                    charts.ORANGE
                ),
            ],
            value_labels=[(money(s.money["owed"], L), money(s.money["excess"], L)) for s in shown],
            uid="status-chart",
            tick_format=axis_format(L),
        )  # fmt: skip
        body += figure(
            svg,
            _("Amounts in {cur}. Each family-month gets exactly one status (see Methodology).")
            .format(cur=cur),
        )  # fmt: skip
    heads = [(_("Status"), False), (_("Family-months"), True), (_("Families"), True),
             (_("Entitled ({cur})").format(cur=cur), True),
             (_("Paid out ({cur})").format(cur=cur), True),
             (_("Received, evidence ({cur})").format(cur=cur), True),
             (_("Still owed ({cur})").format(cur=cur), True),
             (_("Beyond entitlement ({cur})").format(cur=cur), True)]  # fmt: skip
    rows = [
        [Html(f"{_e(status_label(s.status, tr))}<br><code>{_e(s.status)}</code>"),
         count(s.family_periods, L), count(s.families, L), money(s.money["entitled"], L),
         money(s.money["disbursed"], L), money(s.money["received"], L),
         money(s.money["owed"], L), money(s.money["excess"], L)]
        for s in d.statuses
    ]  # fmt: skip
    t = d.totals
    total = [_("All"), count(sum(s.family_periods for s in d.statuses), L), "",
             money(t["entitled"], L), money(t["disbursed"], L), money(t["received"], L),
             money(t["owed"], L), money(t["excess"], L)]  # fmt: skip
    body += table(heads, rows, total=total)
    body += (
        '<p class="note">'
        + _esc_quotes(_('"Received" counts only family-months with evidence from the family '
                        "(bank statement, confirmation or survey); families are counted once per "
                        "status, so a family can appear under several statuses."))
        + "</p>"
    )  # fmt: skip
    return _section(
        "status",
        _("Money by status"),
        body,
        _("What happened to each family's money, month by month, sorted from the most to the "
          "least serious."),
    )  # fmt: skip


def losses_by_district(d: ReportData, tr: Translator = EN) -> str:
    _, L = tr._, tr.lang
    cur = d.currency
    rows = d.districts
    if not rows:
        return _section("districts", _("Losses by district"), _para(_("No findings.")))
    svg = charts.bar_chart(
        title=_("Money still owed to families, by district ({cur})").format(cur=cur),
        desc="; ".join(
            # English reads the same for every count (as it always has); kk and ru get their forms.
            tr.ngettext("{district}: {owed} owed to {n} families",
                        "{district}: {owed} owed to {n} families", r.families_owed).format(
                district=r.district, owed=money(r.owed, L), n=r.families_owed)
            for r in rows
        ),
        labels=[r.district for r in rows],
        series=[
            Series(_("Never paid out"), [_f(r.not_disbursed) for r in rows], charts.ORANGE),
            Series(
                _("Paid out, not received"), [_f(r.lost_in_delivery) for r in rows],
                charts.VERMILLION
            ),
        ],
        value_labels=[money(r.owed, L) for r in rows],
        stacked=True,
        uid="district-chart",
        tick_format=axis_format(L),
    )  # fmt: skip
    more = (
        _(" Showing the {shown} districts with most owed, of {total}.").format(
            shown=len(rows), total=d.districts_total)
        if d.districts_total > TOP_DISTRICTS
        else ""
    )  # fmt: skip
    body = figure(
        svg,
        _("The bar shows where the money stopped; the number is what families are still owed "
          "({cur}).{more}").format(cur=cur, more=more),
    )  # fmt: skip
    body += table(
        [(_("District"), False), (_("Families owed"), True),
         (_("Still owed ({cur})").format(cur=cur), True),
         (_("Never paid out ({cur})").format(cur=cur), True),
         (_("Paid out, not received ({cur})").format(cur=cur), True),
         (_("Beyond entitlement ({cur})").format(cur=cur), True), (_("Share of all owed"), True)],
        [[r.district, count(r.families_owed, L), money(r.owed, L), money(r.not_disbursed, L),
          money(r.lost_in_delivery, L), money(r.excess, L), share(r.owed, d.totals["owed"], L)]
         for r in rows],
    )  # fmt: skip
    return _section(
        "districts",
        _("Losses by district"),
        body,
        _("Where families are owed the most. A district's figure follows the family's "
          "registered district (or the paying office's, for families missing from the "
          "registry)."),
    )  # fmt: skip


def month_by_month(d: ReportData, tr: Translator = EN) -> str:
    _, L = tr._, tr.lang
    cur = d.currency
    months = d.months
    if not months:
        return _section("months", _("Month by month"), _para(_("No findings.")))
    cats = [period(m.period, L, short=True) for m in months]
    lines = charts.line_chart(
        title=_("Entitled, paid out and delivered, by month ({cur})").format(cur=cur),
        desc="; ".join(
            _("{period}: entitled {entitled}, paid out {disbursed}, delivered {delivered}").format(
                period=period(m.period, L), entitled=money(m.money["entitled"], L),
                disbursed=money(m.money["disbursed"], L), delivered=money(m.money["delivered"], L))
            for m in months
        ),
        categories=cats,
        series=[
            Series(_("Entitled"), [_f(m.money["entitled"]) for m in months], charts.BLACK),
            Series(_("Paid out"), [_f(m.money["disbursed"]) for m in months], charts.BLUE),
            Series(_("Delivered"), [_f(m.money["delivered"]) for m in months], charts.GREEN),
        ],
        uid="month-lines",
        tick_format=axis_format(L),
    )  # fmt: skip
    cols = charts.column_chart(
        title=_("Losses by month ({cur})").format(cur=cur),
        desc="; ".join(
            _("{period}: never paid out {not_disbursed}, paid out but not received {lost}").format(
                period=period(m.period, L), not_disbursed=money(m.money["not_disbursed"], L),
                lost=money(m.money["lost_in_delivery"], L))
            for m in months
        ),
        categories=cats,
        series=[
            Series(_("Never paid out"), [_f(m.money["not_disbursed"]) for m in months],
                   charts.ORANGE),
            Series(_("Paid out, not received"), [_f(m.money["lost_in_delivery"]) for m in months],
                   charts.VERMILLION),
        ],
        uid="month-losses",
        tick_format=axis_format(L),
    )  # fmt: skip
    body = figure(
        lines,
        _('"Delivered" is what the family\'s evidence shows it received, or what was paid out '
          "where there is no evidence either way."),
    )  # fmt: skip
    body += figure(cols, _("Amounts in {cur}.").format(cur=cur))
    body += table(
        [(_("Month"), False), (_("Entitled ({cur})").format(cur=cur), True),
         (_("Paid out ({cur})").format(cur=cur), True),
         (_("Delivered ({cur})").format(cur=cur), True),
         (_("Still owed ({cur})").format(cur=cur), True),
         (_("Never paid out ({cur})").format(cur=cur), True),
         (_("Paid out, not received ({cur})").format(cur=cur), True)],
        [[period(m.period, L), money(m.money["entitled"], L), money(m.money["disbursed"], L),
          money(m.money["delivered"], L), money(m.money["owed"], L),
          money(m.money["not_disbursed"], L), money(m.money["lost_in_delivery"], L)]
         for m in months],
    )  # fmt: skip
    return _section(
        "months",
        _("Month by month"),
        body,
        _("How much families were entitled to each month, how much was paid out and how much "
          "reached them."),
    )  # fmt: skip


def flagged_clerks(d: ReportData, tr: Translator = EN) -> str:
    _, L = tr._, tr.lang
    intro = _(
        "For each flagged staff member: what the family received divided by what was paid out "
        "in its name, over every family-month with receipt evidence where this staff member made "
        "the (largest) payment. A clerk who pays families in full sits at 1.00; one who keeps 30 % "
        "sits at 0.70. Flagged means statistically unusual, needing investigation — not proven "
        "wrongdoing."
    )
    title = _("Received ÷ paid out, per flagged staff member")
    if not d.clerks:
        return _section(
            "clerks", title, _para(_("No staff member was flagged.")), intro
        )
    dots = charts.ratio_dot_plot(
        title=_("Received ÷ paid out per flagged staff member"),
        desc="; ".join(
            _("{staff} (office {office}): median {median}, middle half {p25}–{p75}, office median "
              "{office_median}").format(
                staff=c.staff_id, office=c.office_id, median=fixed(c.median, 2, L),
                p25=fixed(c.p25, 2, L), p75=fixed(c.p75, 2, L),
                office_median=ratio(c.office_median, L))
            for c in d.clerks
        ),
        rows=[
            charts.RatioRow(
                f"{c.staff_id} · {c.office_id}", c.p25, c.median, c.p75, c.office_median
            )
            for c in d.clerks
        ],
        uid="clerk-dots",
        tr=tr,
    )  # fmt: skip
    body = figure(
        dots,
        _("Staff members ordered by money lost in delivery; {shown} of {flagged} flagged "
          "shown.").format(shown=len(d.clerks), flagged=count(d.staff_flagged, L)),
    )  # fmt: skip
    cells = []
    for c in d.clerks[:TOP_CLERK_HISTOGRAMS]:
        svg = charts.ratio_histogram(
            title=_("Staff {staff}, office {office}: received ÷ paid out").format(
                staff=c.staff_id, office=c.office_id),
            desc=_("Counts per bin of {width} from 0: {counts}. Office median {median}.").format(
                width=fixed(BIN_WIDTH, 2, L), counts=", ".join(str(x) for x in c.counts),
                median=ratio(c.office_median, L)),
            counts=c.counts,
            bin_width=BIN_WIDTH,
            median=c.office_median,
            uid=f"clerk-hist-{charts.slug(c.staff_id)}",
            tr=tr,
        )  # fmt: skip
        head = _("Staff {staff} · office {office}").format(staff=c.staff_id, office=c.office_id)
        lost = _("Lost in delivery: {amount} {cur}; {q}.").format(
            amount=money(c.lost, L), cur=d.currency, q=q_clause(c.q_value, L))
        cells.append(
            f"<figure><h4>{_e(head)}</h4>\n{svg}\n"
            f"<figcaption>{_e(clerk_caption(c.lines, c.median, c.office_median, tr))} "
            f"{_e(lost)}</figcaption></figure>"
        )  # fmt: skip
    body += '<div class="grid">' + "\n".join(cells) + "</div>"
    return _section("clerks", title, body, intro)


def flagged_offices(d: ReportData, tr: Translator = EN) -> str:
    """Each flagged office and region in plain words (offices flagged as a whole first)."""
    _ = tr._
    intro = _(
        "Offices are tested against the other offices of their region and of the programme, "
        "and regions against each other, so that an office whose every clerk is in on it is "
        "seen even though none of its clerks stands out from colleagues."
    )
    if not d.flagged_units:
        return _section("offices", _("Flagged offices and regions"),
                        _para(_("No office or region was flagged.")), intro)  # fmt: skip
    units = sorted(d.flagged_units, key=lambda u: (u.kind != "region", not u.office_wide))
    flag = _e(_("flagged"))
    body = "".join(
        f'<p class="unit"><span class="flag">{flag}</span> '
        f"{_e(unit_explanation(u, d.currency, tr))}</p>"
        for u in units
    )
    return _section("offices", _("Flagged offices and regions"), body, intro)


def top_tables(d: ReportData, tr: Translator = EN) -> str:
    _, L = tr._, tr.lang
    cur = d.currency
    of = _("{part} of {whole}")
    flag = _e(_("flagged"))
    offices = table(
        [(_("Office"), False), (_("District"), False), (_("Families"), True),
         (_("Entitled ({cur})").format(cur=cur), True),
         (_("Paid out ({cur})").format(cur=cur), True),
         (_("Still owed ({cur})").format(cur=cur), True),
         (_("Paid out, not received ({cur})").format(cur=cur), True), (_("Staff flagged"), True)],
        [[Html(f"{_e(o.office_id)}<br>{_e(o.name)}"), o.district, count(o.families, L),
          money(o.entitled, L), money(o.disbursed, L), money(o.owed, L),
          money(o.lost_in_delivery, L), of.format(part=o.flagged_staff, whole=o.staff)]
         for o in d.offices],
        caption=_("The {shown} offices whose families are owed the most, of {total}.").format(
            shown=len(d.offices), total=count(d.offices_total, L)),
    )  # fmt: skip
    heads = (_("Offices"), _("Staff"))
    staff = table(
        [(_("Staff"), False), (_("Office"), False), (_("Lines with evidence"), True),
         (_("Short lines"), True), (_("Peers' short rate"), True),
         (_("Lost ({cur})").format(cur=cur), True),
         (_("Median ratio"), True), (_("q-value"), True), (_("Complaints (bribe)"), True),
         (_("Flag"), "wide")],
        [[s.staff_id, s.office_id, count(s.verified_lines, L), count(s.short_lines, L),
          "–" if s.peer_short_rate is None else _peer_rate(s.peer_short_rate, L),
          money(s.lost, L), ratio(s.median_ratio, L), q_value(s.q_value, L),
          f"{s.complaints} ({s.bribe_complaints})",
          Html(f'<span class="flag">{flag}</span>: {_e(s.flag_reason)}') if s.flagged else "–"]
         for s in d.staff],
        caption=_("Flagged staff first, then by money lost in delivery. Staff are identified by "
                  "their staff number and office only."),
    )  # fmt: skip
    note = (
        '<p class="note">'
        + _esc_quotes(_('"Short lines" are payments with receipt evidence where the family '
                        "received less than was paid out. The q-value is the chance-adjusted "
                        "significance of the staff member having more short lines than peers "
                        "(smaller is stronger; flagged below 0.01 with a large enough "
                        "difference)."))
        + "</p>"
    )  # fmt: skip
    return _section(
        "top",
        _("Offices and staff"),
        f"<h3>{_e(heads[0])}</h3>\n{offices}\n<h3>{_e(heads[1])}</h3>\n{staff}\n{note}",
        _("Where the losses concentrate."),
    )


def _peer_rate(rate: float, lang: str) -> str:
    return f"{rate:.1%}" if lang == "en" else fixed(100 * rate, 1, lang) + "\u202f%"


def data_quality(d: ReportData, tr: Translator = EN) -> str:
    _, L = tr._, tr.lang
    rows = [
        [i.table, i.file, count(i.rows_read, L), count(i.rows_accepted, L),
         count(i.rows_rejected, L), share(i.rows_rejected, i.rows_read, L) if i.rows_read else "–"]
        for i in d.inputs
    ]  # fmt: skip
    body = table(
        [(_("Table"), False), (_("File"), False), (_("Rows read"), True), (_("Accepted"), True),
         (_("Rejected"), True), (_("Rejected share"), True)],
        rows,
        caption=_("Every input row is either accepted or rejected with a reason; none is "
                  "dropped silently."),
    )  # fmt: skip
    warnings = d.warnings if L == "en" else consistency_warnings(d, tr)
    if warnings:
        body += "".join(f'<p class="caution">{_e(w)}</p>' for w in warnings)
    if d.rejects_total:
        body += table(
            [(_("Table"), False), (_("Column"), False), (_("Reason"), False),
             (_("Problems"), True)],
            [[t, c, r, count(n, L)] for t, c, r, n in d.reject_reasons],
            caption=_("Reasons for rejection ({n} problems in all).").format(
                n=count(d.rejects_total, L)),
        )  # fmt: skip
        body += table(
            [(_("Table"), False), (_("File"), False), (_("Line"), True), (_("Column"), False),
             (_("Value"), False), (_("Reason"), False)],
            [[*r[:4], _(WITHHELD) if r[4] == WITHHELD else r[4], r[5]] for r in d.first_rejects],
            caption=_("The first {n} problems, in file order. Values that could identify a "
                      "family are withheld; see rejects.csv.").format(n=len(d.first_rejects)),
        )  # fmt: skip
    else:
        body += _para(_("No input row was rejected."))
    return _section("quality", _("Data quality"), body,
                    _("What was read, and what could not be used."))  # fmt: skip


# The methodology's paragraphs are trusted HTML from the catalogs (translators keep the tags).
METHOD_AMOUNTS = N_("""For every family and month the audit computes <b>E</b>, what the family was entitled to;
<b>D</b>, what the payment records show was paid out in its name; and <b>R</b>, what the family's
own evidence (bank statements, signed confirmations, surveys) shows it received, where such
evidence exists. <b>Delivered</b> is R where known, else D. <b>Still owed</b> is E − delivered
when positive; <b>never paid out</b> is E − D when positive; <b>paid out, not received</b> is
D − R when R is known and positive; <b>beyond entitlement</b> is D − E when positive. All sums
are exact to the tiyn; no amount is rounded before it is printed.""")  # noqa: E501
METHOD_FLAGS = N_("""For each staff member who paid out benefits, the audit counts the payments with receipt
evidence ("lines") and how many of them came up short (the family received less than was paid
out). Each level is compared with the right yardstick: a staff member with the other staff of
the same office <em>and</em> with the staff of the region's other offices; an office with the
other offices of its region and of the programme; a region with the other regions. A staff
member's or office's worst run of consecutive months is tested too, so that someone who takes
money for three months and behaves the rest of the year is seen. Honest records are not all
alike — banks and districts differ — so the test allows for that honest spread (a
beta-binomial model whose spread is estimated from the records themselves, robustly, so a few
cheats cannot widen it), and a peer that stands out is left out of everyone else's yardstick.
Because many tests are run at once, all p-values are adjusted together with the
Benjamini–Hochberg procedure; the adjusted value is the q-value. A flag needs a q-value below
0.01 <em>and</em> a large difference (at least 5 lines and 2 percentage points beyond the
yardstick). An office is flagged <em>as a whole</em> when it is unusual beyond its individually
flagged staff; its staff are then listed as working in a flagged office, not as individuals.
Complaints naming staff are shown beside each flag but are not counted in the test: few
victims complain, and complaints can be routed away or made up. A second test counts the
families a staff member paid into bank accounts that received money for several families — the
mark of payments to ghost families.""")  # noqa: E501
METHOD_CAUTION = N_("""A flag says a pattern is very unlikely to be chance. It does not say who took
the money or why: a staff member may be flagged because of problems upstream, a bank error or a
colleague working under their number. Every flag needs investigation before anyone is named.""")
METHOD_LIMITS = N_("""Where there is no evidence from the family, the audit cannot tell whether money arrived, and
counts what was paid out as delivered (status "{unverified}"), so losses are
if anything understated. Receipt evidence can be wrong too; where several staff paid one
family-month the histograms use the staff member who made the largest payment.""")  # noqa: E501


def methodology(d: ReportData, tr: Translator = EN) -> str:
    _ = tr._
    defs = "".join(
        f"<dt>{_e(status_label(s, tr))} <code>{_e(s)}</code></dt>"
        f"<dd>{_e(status_definition(s, tr))}</dd>"
        for s in STATUS_ORDER
    )
    h = [_e(x) for x in (
        _("Amounts"), _("Statuses"),
        _("Each family-month gets the first status that applies, in this order:"),
        _("Which staff, offices and regions are flagged"), _("Limits"))]  # fmt: skip
    limits = _(METHOD_LIMITS).format(unverified=_e(status_label("unverified", tr)))
    body = f"""
<h3>{h[0]}</h3>
<p>{_(METHOD_AMOUNTS)}</p>
<h3>{h[1]}</h3>
<p>{h[2]}</p>
<dl class="defs">{defs}</dl>
<h3>{h[3]}</h3>
<p>{_(METHOD_FLAGS)}</p>
<p class="caution">{_(METHOD_CAUTION)}</p>
<h3>{h[4]}</h3>
<p>{limits}</p>
"""
    return _section("methodology", _("Methodology"), body)


def run_metadata(d: ReportData, tr: Translator = EN) -> str:
    _ = tr._
    s = d.summary
    run = s.get("run") or {}
    period_ = s.get("periods") or {}
    meta = [
        (_("payproof version"), s.get("payproof_version", "")),
        (_("Programme rules"), run.get("rules", "")),
        (_("Currency"), d.currency),
        (_("Periods"), _("{first} to {last}").format(first=period_.get("first", ""),
                                                      last=period_.get("last", ""))),
        (_("Run started"), run.get("started_at", "")),
        (_("Run finished"), run.get("finished_at", "")),
        (_("Engine"), run.get("engine", "")),
        (_("Input folder"), run.get("input_dir", "")),
    ]  # fmt: skip
    body = table([(_("Item"), False), (_("Value"), False)], [[k, v] for k, v in meta])
    body += table(
        [(_("Table"), False), (_("File"), False), ("SHA-256", False)],
        [[i.table, i.file, Html(f'<span class="mono">{_e(i.sha256)}</span>')] for i in d.inputs],
        caption=_("Checksums of the input files: recompute them (sha256sum) to confirm that "
                  "this report was made from the same data."),
    )  # fmt: skip
    return _section("run", _("Run metadata and input checksums"), body)


def _header(d: ReportData, title: str, tr: Translator = EN) -> str:
    _, L = tr._, tr.lang
    run = d.summary.get("run") or {}
    period_ = d.summary.get("periods") or {}
    bits = []
    if run.get("rules"):
        bits.append(_("Programme rules {rules}").format(rules=run["rules"]))
    if period_.get("first"):
        bits.append(_("{first} to {last}").format(
            first=period(period_["first"], L), last=period(period_.get("last", ""), L)))
    if run.get("finished_at"):
        bits.append(_("audit run {when}").format(when=run["finished_at"]))
    kicker = _("payproof audit report")
    return (
        f'<header class="top"><p class="kicker">{_e(kicker)}</p>'
        f'<h1>{_e(title)}</h1><p class="meta">{_e(" · ".join(bits))}</p></header>'
    )  # fmt: skip


def render_report(
    data: ReportData,
    *,
    title: str | None = None,
    extra_sections: Sequence[Section] | None = None,
    tr: Translator = EN,
) -> str:
    """The whole HTML document as a string (deterministic for the same inputs)."""
    _ = tr._
    title = title or _(DEFAULT_TITLE)
    sections = [
        ("findings", _("Key findings"), key_findings(data, tr)),
        ("status", _("By status"), money_by_status(data, tr)),
        ("districts", _("By district"), losses_by_district(data, tr)),
        ("months", _("By month"), month_by_month(data, tr)),
        ("clerks", _("Flagged staff"), flagged_clerks(data, tr)),
        ("offices", _("Flagged offices"), flagged_offices(data, tr)),
        ("top", _("Offices and staff"), top_tables(data, tr)),
    ]
    for i, extra in enumerate(extra_sections or ()):
        anchor = extra.anchor or f"extra-{i + 1}-{charts.slug(extra.title)}"
        sections.append((anchor, extra.title, _section(anchor, extra.title, extra.html)))
    sections += [
        ("quality", _("Data quality"), data_quality(data, tr)),
        ("methodology", _("Methodology"), methodology(data, tr)),
        ("run", _("Run metadata"), run_metadata(data, tr)),
    ]
    toc = "".join(f'<a href="#{_e(a)}">{_e(t)}</a>' for a, t, _x in sections)
    css = resources.files("payproof.report").joinpath("style.css").read_text(encoding="utf-8")
    version = data.summary.get("payproof_version", "")
    contents = _("Contents")
    footer = _("Made with payproof {version} from the audit output in this folder. It names no\n"
               "beneficiary: families appear only in totals, staff only by staff number and "
               "office.").format(version=_e(version))  # fmt: skip
    return f"""<!DOCTYPE html>
<html lang="{_e(tr.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="payproof {_e(version)}">
<title>{_e(title)}</title>
<style>
{css}</style>
</head>
<body>
<main>
{_header(data, title, tr)}
<nav class="toc" aria-label="{_e(contents)}">{toc}</nav>
{chr(10).join(html for _x, _y, html in sections)}
<footer>{footer}</footer>
</main>
</body>
</html>
"""


_EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?\s*(?:https?:|//|ftp:))"""
    r"""|(?:url\(\s*["']?\s*(?:https?:|//))|(?:@import)|(?:<script\b)|(?:<link\b)|(?:<iframe\b)""",
    re.IGNORECASE,
)


def external_references(html: str) -> list[str]:
    """Anything that would make the page load from the network or run code."""
    return [m.group(0) for m in _EXTERNAL.finditer(html)]


REPORT_FILE = "report.html"


def write_report(
    out_dir: Path,
    *,
    title: str | None = None,
    extra_sections: list[Section] | None = None,
    tr: Translator = EN,
) -> Path:
    """Write ``out_dir/report.html`` from the audit outputs in ``out_dir``; return its path."""
    out_dir = Path(out_dir)
    data = load_report_data(out_dir)
    html = render_report(data, title=title, extra_sections=extra_sections, tr=tr)
    bad = external_references(html)
    if bad:
        raise ValueError(f"report would not be self-contained: {bad[:3]}")
    return write_text(out_dir / REPORT_FILE, html)
