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
from payproof.report import charts
from payproof.report.charts import Series
from payproof.report.data import (
    BIN_WIDTH,
    TOP_CLERK_HISTOGRAMS,
    TOP_DISTRICTS,
    ReportData,
    load_report_data,
)
from payproof.report.fmt import count, money, money_words, q_clause, q_value, ratio, share
from payproof.report.wording import (
    STATUS_ORDER,
    clerk_caption,
    headline_findings,
    status_definition,
    status_label,
    unit_explanation,
)

DEFAULT_TITLE = "Where the benefit money went"


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


def key_findings(d: ReportData) -> str:
    t, cur = d.totals, d.currency
    tiles = [
        (money_words(t["owed"], cur), "still owed to families", "warn"),
        (f"{count(d.families_owed)} of {count(d.families_total)}", "families still owed", ""),
        (money_words(t["lost_in_delivery"], cur), "paid out but not received", "warn"),
        (f"{count(d.staff_flagged)} of {count(d.staff_total)}", "staff flagged for review", ""),
    ]
    tiles_html = "".join(
        f'<div class="tile {cls}"><div class="v">{_e(v)}</div><div class="k">{_e(k)}</div></div>'
        for v, k, cls in tiles
    )
    items = "".join(f"<li>{_e(s)}</li>" for s in headline_findings(d))
    body = (
        f'<div class="tiles">{tiles_html}</div>\n<ul class="findings">{items}</ul>\n'
        '<p class="caution">These findings describe what the payment records and the families\' '
        "evidence show. A flagged staff member is statistically unusual and needs "
        "investigation; the figures alone do not prove that any individual did wrong.</p>"
    )
    return _section("findings", "Key findings", body)


def money_by_status(d: ReportData) -> str:
    cur = d.currency
    shown = [s for s in d.statuses if s.money["owed"] or s.money["excess"]]
    body = ""
    if shown:
        svg = charts.bar_chart(
            title=f"Money still owed and paid beyond entitlement, by status ({cur})",
            desc="; ".join(
                f"{status_label(s.status)}: owed {money(s.money['owed'])}, "
                f"beyond entitlement {money(s.money['excess'])}"
                for s in shown
            ),
            labels=[status_label(s.status) for s in shown],
            series=[
                Series(
                    "Still owed to families",
                    [_f(s.money["owed"]) for s in shown],
                    charts.VERMILLION,
                ),
                Series(
                    "Paid beyond entitlement", [_f(s.money["excess"]) for s in shown], charts.ORANGE
                ),
            ],
            value_labels=[(money(s.money["owed"]), money(s.money["excess"])) for s in shown],
            uid="status-chart",
        )
        body += figure(
            svg,
            f"Amounts in {cur}. Each family-month gets exactly one status (see Methodology).",
        )
    heads = [("Status", False), ("Family-months", True), ("Families", True),
             (f"Entitled ({cur})", True), (f"Paid out ({cur})", True),
             (f"Received, evidence ({cur})", True), (f"Still owed ({cur})", True),
             (f"Beyond entitlement ({cur})", True)]  # fmt: skip
    rows = [
        [Html(f"{_e(status_label(s.status))}<br><code>{_e(s.status)}</code>"),
         count(s.family_periods), count(s.families), money(s.money["entitled"]),
         money(s.money["disbursed"]), money(s.money["received"]), money(s.money["owed"]),
         money(s.money["excess"])]
        for s in d.statuses
    ]  # fmt: skip
    t = d.totals
    total = ["All", count(sum(s.family_periods for s in d.statuses)), "",
             money(t["entitled"]), money(t["disbursed"]), money(t["received"]), money(t["owed"]),
             money(t["excess"])]  # fmt: skip
    body += table(heads, rows, total=total)
    body += (
        '<p class="note">"Received" counts only family-months with evidence from the family '
        "(bank statement, confirmation or survey); families are counted once per status, so a "
        "family can appear under several statuses.</p>"
    )
    return _section(
        "status",
        "Money by status",
        body,
        "What happened to each family's money, month by month, sorted from the most to the least "
        "serious.",
    )


def losses_by_district(d: ReportData) -> str:
    cur = d.currency
    rows = d.districts
    if not rows:
        return _section("districts", "Losses by district", "<p>No findings.</p>")
    svg = charts.bar_chart(
        title=f"Money still owed to families, by district ({cur})",
        desc="; ".join(
            f"{r.district}: {money(r.owed)} owed to {r.families_owed} families" for r in rows
        ),
        labels=[r.district for r in rows],
        series=[
            Series("Never paid out", [_f(r.not_disbursed) for r in rows], charts.ORANGE),
            Series(
                "Paid out, not received", [_f(r.lost_in_delivery) for r in rows], charts.VERMILLION
            ),
        ],
        value_labels=[money(r.owed) for r in rows],
        stacked=True,
        uid="district-chart",
    )
    more = (
        f" Showing the {len(rows)} districts with most owed, of {d.districts_total}."
        if d.districts_total > TOP_DISTRICTS
        else ""
    )
    body = figure(
        svg,
        f"The bar shows where the money stopped; the number is what families are still owed "
        f"({cur}).{more}",
    )
    body += table(
        [("District", False), ("Families owed", True), (f"Still owed ({cur})", True),
         (f"Never paid out ({cur})", True), (f"Paid out, not received ({cur})", True),
         (f"Beyond entitlement ({cur})", True), ("Share of all owed", True)],
        [[r.district, count(r.families_owed), money(r.owed), money(r.not_disbursed),
          money(r.lost_in_delivery), money(r.excess), share(r.owed, d.totals["owed"])]
         for r in rows],
    )  # fmt: skip
    return _section(
        "districts",
        "Losses by district",
        body,
        "Where families are owed the most. A district's figure follows the family's registered "
        "district (or the paying office's, for families missing from the registry).",
    )


def month_by_month(d: ReportData) -> str:
    cur = d.currency
    months = d.months
    if not months:
        return _section("months", "Month by month", "<p>No findings.</p>")
    cats = [m.period for m in months]
    lines = charts.line_chart(
        title=f"Entitled, paid out and delivered, by month ({cur})",
        desc="; ".join(
            f"{m.period}: entitled {money(m.money['entitled'])}, paid out "
            f"{money(m.money['disbursed'])}, delivered {money(m.money['delivered'])}"
            for m in months
        ),
        categories=cats,
        series=[
            Series("Entitled", [_f(m.money["entitled"]) for m in months], charts.BLACK),
            Series("Paid out", [_f(m.money["disbursed"]) for m in months], charts.BLUE),
            Series("Delivered", [_f(m.money["delivered"]) for m in months], charts.GREEN),
        ],
        uid="month-lines",
    )
    cols = charts.column_chart(
        title=f"Losses by month ({cur})",
        desc="; ".join(
            f"{m.period}: never paid out {money(m.money['not_disbursed'])}, paid out but not "
            f"received {money(m.money['lost_in_delivery'])}"
            for m in months
        ),
        categories=cats,
        series=[
            Series("Never paid out", [_f(m.money["not_disbursed"]) for m in months], charts.ORANGE),
            Series("Paid out, not received", [_f(m.money["lost_in_delivery"]) for m in months],
                   charts.VERMILLION),
        ],
        uid="month-losses",
    )  # fmt: skip
    body = figure(
        lines,
        '"Delivered" is what the family\'s evidence shows it received, or what was paid out '
        "where there is no evidence either way.",
    )
    body += figure(cols, f"Amounts in {cur}.")
    body += table(
        [("Month", False), (f"Entitled ({cur})", True), (f"Paid out ({cur})", True),
         (f"Delivered ({cur})", True), (f"Still owed ({cur})", True),
         (f"Never paid out ({cur})", True), (f"Paid out, not received ({cur})", True)],
        [[m.period, money(m.money["entitled"]), money(m.money["disbursed"]),
          money(m.money["delivered"]), money(m.money["owed"]), money(m.money["not_disbursed"]),
          money(m.money["lost_in_delivery"])] for m in months],
    )  # fmt: skip
    return _section(
        "months",
        "Month by month",
        body,
        "How much families were entitled to each month, how much was paid out and how much "
        "reached them.",
    )


def flagged_clerks(d: ReportData) -> str:
    intro = (
        "For each flagged staff member: what the family received divided by what was paid out "
        "in its name, over every family-month with receipt evidence where this staff member made "
        "the (largest) payment. A clerk who pays families in full sits at 1.00; one who keeps 30 % "
        "sits at 0.70. Flagged means statistically unusual, needing investigation — not proven "
        "wrongdoing."
    )
    if not d.clerks:
        return _section(
            "clerks",
            "Received ÷ paid out, per flagged staff member",
            "<p>No staff member was flagged.</p>",
            intro,
        )
    dots = charts.ratio_dot_plot(
        title="Received ÷ paid out per flagged staff member",
        desc="; ".join(
            f"{c.staff_id} (office {c.office_id}): median {c.median:.2f}, middle half "
            f"{c.p25:.2f}–{c.p75:.2f}, office median {ratio(c.office_median)}"
            for c in d.clerks
        ),
        rows=[
            charts.RatioRow(
                f"{c.staff_id} · {c.office_id}", c.p25, c.median, c.p75, c.office_median
            )
            for c in d.clerks
        ],
        uid="clerk-dots",
    )
    body = figure(
        dots,
        f"Staff members ordered by money lost in delivery; {len(d.clerks)} of "
        f"{count(d.staff_flagged)} flagged shown.",
    )
    cells = []
    for c in d.clerks[:TOP_CLERK_HISTOGRAMS]:
        svg = charts.ratio_histogram(
            title=f"Staff {c.staff_id}, office {c.office_id}: received ÷ paid out",
            desc=f"Counts per bin of {BIN_WIDTH:.2f} from 0: "
            + ", ".join(str(x) for x in c.counts)
            + f". Office median {ratio(c.office_median)}.",
            counts=c.counts,
            bin_width=BIN_WIDTH,
            median=c.office_median,
            uid=f"clerk-hist-{charts.slug(c.staff_id)}",
        )
        cells.append(
            f"<figure><h4>Staff {_e(c.staff_id)} · office {_e(c.office_id)}</h4>\n{svg}\n"
            f"<figcaption>{_e(clerk_caption(c.lines, c.median, c.office_median))} "
            f"Lost in delivery: {_e(money(c.lost))} {_e(d.currency)}; {_e(q_clause(c.q_value))}."
            "</figcaption></figure>"
        )
    body += '<div class="grid">' + "\n".join(cells) + "</div>"
    return _section("clerks", "Received ÷ paid out, per flagged staff member", body, intro)


def flagged_offices(d: ReportData) -> str:
    """Each flagged office and region in plain words (offices flagged as a whole first)."""
    intro = (
        "Offices are tested against the other offices of their region and of the programme, "
        "and regions against each other, so that an office whose every clerk is in on it is "
        "seen even though none of its clerks stands out from colleagues."
    )
    if not d.flagged_units:
        return _section("offices", "Flagged offices and regions",
                        "<p>No office or region was flagged.</p>", intro)  # fmt: skip
    units = sorted(d.flagged_units, key=lambda u: (u.kind != "region", not u.office_wide))
    body = "".join(
        f'<p class="unit"><span class="flag">flagged</span> {_e(unit_explanation(u, d.currency))}'
        "</p>"
        for u in units
    )
    return _section("offices", "Flagged offices and regions", body, intro)


def top_tables(d: ReportData) -> str:
    cur = d.currency
    offices = table(
        [("Office", False), ("District", False), ("Families", True),
         (f"Entitled ({cur})", True), (f"Paid out ({cur})", True), (f"Still owed ({cur})", True),
         (f"Paid out, not received ({cur})", True), ("Staff flagged", True)],
        [[Html(f"{_e(o.office_id)}<br>{_e(o.name)}"), o.district, count(o.families),
          money(o.entitled), money(o.disbursed), money(o.owed), money(o.lost_in_delivery),
          f"{o.flagged_staff} of {o.staff}"] for o in d.offices],
        caption=f"The {len(d.offices)} offices whose families are owed the most, of "
        f"{count(d.offices_total)}.",
    )  # fmt: skip
    staff = table(
        [("Staff", False), ("Office", False), ("Lines with evidence", True),
         ("Short lines", True), ("Peers' short rate", True), (f"Lost ({cur})", True),
         ("Median ratio", True), ("q-value", True), ("Complaints (bribe)", True),
         ("Flag", "wide")],
        [[s.staff_id, s.office_id, count(s.verified_lines), count(s.short_lines),
          "–" if s.peer_short_rate is None else f"{s.peer_short_rate:.1%}",
          money(s.lost), ratio(s.median_ratio), q_value(s.q_value),
          f"{s.complaints} ({s.bribe_complaints})",
          Html(f'<span class="flag">flagged</span>: {_e(s.flag_reason)}') if s.flagged else "–"]
         for s in d.staff],
        caption="Flagged staff first, then by money lost in delivery. Staff are identified by "
        "their staff number and office only.",
    )  # fmt: skip
    note = (
        '<p class="note">"Short lines" are payments with receipt evidence where the family '
        "received less than was paid out. The q-value is the chance-adjusted significance of the "
        "staff member having more short lines than peers (smaller is stronger; flagged below "
        "0.01 with a large enough difference).</p>"
    )
    return _section(
        "top",
        "Offices and staff",
        f"<h3>Offices</h3>\n{offices}\n<h3>Staff</h3>\n{staff}\n{note}",
        "Where the losses concentrate.",
    )


def data_quality(d: ReportData) -> str:
    rows = [
        [i.table, i.file, count(i.rows_read), count(i.rows_accepted), count(i.rows_rejected),
         share(i.rows_rejected, i.rows_read) if i.rows_read else "–"]
        for i in d.inputs
    ]  # fmt: skip
    body = table(
        [("Table", False), ("File", False), ("Rows read", True), ("Accepted", True),
         ("Rejected", True), ("Rejected share", True)],
        rows,
        caption="Every input row is either accepted or rejected with a reason; none is dropped "
        "silently.",
    )  # fmt: skip
    if d.warnings:
        body += "".join(f'<p class="caution">{_e(w)}</p>' for w in d.warnings)
    if d.rejects_total:
        body += table(
            [("Table", False), ("Column", False), ("Reason", False), ("Problems", True)],
            [[t, c, r, count(n)] for t, c, r, n in d.reject_reasons],
            caption=f"Reasons for rejection ({count(d.rejects_total)} problems in all).",
        )
        body += table(
            [("Table", False), ("File", False), ("Line", True), ("Column", False),
             ("Value", False), ("Reason", False)],
            [list(r) for r in d.first_rejects],
            caption=f"The first {len(d.first_rejects)} problems, in file order. Values that could "
            "identify a family are withheld; see rejects.csv.",
        )  # fmt: skip
    else:
        body += "<p>No input row was rejected.</p>"
    return _section("quality", "Data quality", body, "What was read, and what could not be used.")


def methodology(d: ReportData) -> str:
    defs = "".join(
        f"<dt>{_e(status_label(s))} <code>{_e(s)}</code></dt><dd>{_e(status_definition(s))}</dd>"
        for s in STATUS_ORDER
    )
    body = f"""
<h3>Amounts</h3>
<p>For every family and month the audit computes <b>E</b>, what the family was entitled to;
<b>D</b>, what the payment records show was paid out in its name; and <b>R</b>, what the family's
own evidence (bank statements, signed confirmations, surveys) shows it received, where such
evidence exists. <b>Delivered</b> is R where known, else D. <b>Still owed</b> is E − delivered
when positive; <b>never paid out</b> is E − D when positive; <b>paid out, not received</b> is
D − R when R is known and positive; <b>beyond entitlement</b> is D − E when positive. All sums
are exact to the tiyn; no amount is rounded before it is printed.</p>
<h3>Statuses</h3>
<p>Each family-month gets the first status that applies, in this order:</p>
<dl class="defs">{defs}</dl>
<h3>Which staff, offices and regions are flagged</h3>
<p>For each staff member who paid out benefits, the audit counts the payments with receipt
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
mark of payments to ghost families.</p>
<p class="caution">A flag says a pattern is very unlikely to be chance. It does not say who took
the money or why: a staff member may be flagged because of problems upstream, a bank error or a
colleague working under their number. Every flag needs investigation before anyone is named.</p>
<h3>Limits</h3>
<p>Where there is no evidence from the family, the audit cannot tell whether money arrived, and
counts what was paid out as delivered (status "{_e(status_label("unverified"))}"), so losses are
if anything understated. Receipt evidence can be wrong too; where several staff paid one
family-month the histograms use the staff member who made the largest payment.</p>
"""
    return _section("methodology", "Methodology", body)


def run_metadata(d: ReportData) -> str:
    s = d.summary
    run = s.get("run") or {}
    period = s.get("periods") or {}
    meta = [
        ("payproof version", s.get("payproof_version", "")),
        ("Programme rules", run.get("rules", "")),
        ("Currency", d.currency),
        ("Periods", f"{period.get('first', '')} to {period.get('last', '')}"),
        ("Run started", run.get("started_at", "")),
        ("Run finished", run.get("finished_at", "")),
        ("Engine", run.get("engine", "")),
        ("Input folder", run.get("input_dir", "")),
    ]
    body = table([("Item", False), ("Value", False)], [[k, v] for k, v in meta])
    body += table(
        [("Table", False), ("File", False), ("SHA-256", False)],
        [[i.table, i.file, Html(f'<span class="mono">{_e(i.sha256)}</span>')] for i in d.inputs],
        caption="Checksums of the input files: recompute them (sha256sum) to confirm that this "
        "report was made from the same data.",
    )
    return _section("run", "Run metadata and input checksums", body)


def _header(d: ReportData, title: str) -> str:
    run = d.summary.get("run") or {}
    period = d.summary.get("periods") or {}
    bits = []
    if run.get("rules"):
        bits.append(f"Programme rules {run['rules']}")
    if period.get("first"):
        bits.append(f"{period['first']} to {period.get('last', '')}")
    if run.get("finished_at"):
        bits.append(f"audit run {run['finished_at']}")
    return (
        '<header class="top"><p class="kicker">payproof audit report</p>'
        f'<h1>{_e(title)}</h1><p class="meta">{_e(" · ".join(bits))}</p></header>'
    )


def render_report(
    data: ReportData, *, title: str | None = None, extra_sections: Sequence[Section] | None = None
) -> str:
    """The whole HTML document as a string (deterministic for the same inputs)."""
    title = title or DEFAULT_TITLE
    sections = [
        ("findings", "Key findings", key_findings(data)),
        ("status", "By status", money_by_status(data)),
        ("districts", "By district", losses_by_district(data)),
        ("months", "By month", month_by_month(data)),
        ("clerks", "Flagged staff", flagged_clerks(data)),
        ("offices", "Flagged offices", flagged_offices(data)),
        ("top", "Offices and staff", top_tables(data)),
    ]
    for i, extra in enumerate(extra_sections or ()):
        anchor = extra.anchor or f"extra-{i + 1}-{charts.slug(extra.title)}"
        sections.append((anchor, extra.title, _section(anchor, extra.title, extra.html)))
    sections += [
        ("quality", "Data quality", data_quality(data)),
        ("methodology", "Methodology", methodology(data)),
        ("run", "Run metadata", run_metadata(data)),
    ]
    toc = "".join(f'<a href="#{_e(a)}">{_e(t)}</a>' for a, t, _ in sections)
    css = resources.files("payproof.report").joinpath("style.css").read_text(encoding="utf-8")
    version = data.summary.get("payproof_version", "")
    return f"""<!DOCTYPE html>
<html lang="en">
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
{_header(data, title)}
<nav class="toc" aria-label="Contents">{toc}</nav>
{chr(10).join(html for _, _, html in sections)}
<footer>Made with payproof {_e(version)} from the audit output in this folder. It names no
beneficiary: families appear only in totals, staff only by staff number and office.</footer>
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
    out_dir: Path, *, title: str | None = None, extra_sections: list[Section] | None = None
) -> Path:
    """Write ``out_dir/report.html`` from the audit outputs in ``out_dir``; return its path."""
    out_dir = Path(out_dir)
    data = load_report_data(out_dir)
    html = render_report(data, title=title, extra_sections=extra_sections)
    bad = external_references(html)
    if bad:
        raise ValueError(f"report would not be self-contained: {bad[:3]}")
    return write_text(out_dir / REPORT_FILE, html)
