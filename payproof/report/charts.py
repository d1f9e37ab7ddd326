"""A tiny inline-SVG chart kit: no JavaScript, no fonts, no network.

Why not a plotting library: the report must open offline from one file and
print well, and its output must be byte-for-byte deterministic so it can be
golden-tested. Every chart is an ``<svg role="img">`` with ``<title>`` and
``<desc>``, text labels on the values, a colour-blind-safe palette (Okabe–Ito)
and all text escaped. Numbers here are floats because they are geometry only;
money *text* is formatted by the caller from Decimal and passed in as labels.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from payproof.i18n import EN, N_, Translator
from payproof.report.fmt import fixed

# Okabe & Ito (2008), "Color Universal Design": distinguishable with any common colour-vision
# deficiency, and distinct in greyscale print when paired with the dash/marker variations below.
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
SKY = "#56B4E9"
YELLOW = "#F0E442"
BLACK = "#000000"
GREY = "#6b6b6b"
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, YELLOW, BLACK)
DASHES = ("", "6 3", "2 2", "8 3 2 3")
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"

Number = float | int | Decimal


@dataclass(frozen=True)
class Series:
    """One named series of values, aligned with the chart's categories."""

    name: str
    values: Sequence[Number]
    color: str | None = None


def _t(text: object) -> str:
    """Escape text for an SVG text node or attribute."""
    return escape(str(text), quote=True)


def _n(x: float) -> str:
    """Deterministic coordinate text: one decimal, no '-0.0'."""
    s = f"{x:.1f}"
    if s == "-0.0":
        s = "0.0"
    return s[:-2] if s.endswith(".0") else s


def slug(text: str) -> str:
    """An id-safe slug, used to make unique, deterministic element ids."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "chart"


def _open_svg(uid: str, width: float, height: float, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'aria-labelledby="{uid}-t {uid}-d" font-family="{_t(FONT)}" font-size="12">',
        f'<title id="{uid}-t">{_t(title)}</title>',
        f'<desc id="{uid}-d">{_t(desc)}</desc>',
    ]


def _text(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str = "start",
    size: float | None = None,
    fill: str = "#222",
    weight: str | None = None,
) -> str:
    extra = f' font-size="{_n(size)}"' if size else ""
    if weight:
        extra += f' font-weight="{weight}"'
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" fill="{fill}"{extra}>'
        f"{_t(text)}</text>"
    )


def _label(text: str, max_chars: int) -> str:
    """A category label cut to fit, with the full text as a tooltip."""
    if len(text) <= max_chars:
        return _t(text)
    return f"<title>{_t(text)}</title>{_t(text[: max_chars - 1])}…"


def nice_ticks(maximum: float, count: int = 5) -> list[Decimal]:
    """Round axis ticks (1, 2, 2.5 or 5 × 10^k) from 0 to at least ``maximum``.

    Computed in Decimal so tick labels are exact numbers, not float noise.
    """
    if not maximum or maximum <= 0 or not math.isfinite(maximum):
        return [Decimal(0), Decimal(1)]
    raw = Decimal(repr(maximum)) / count
    exp = raw.adjusted()
    base = Decimal(10) ** exp
    step = next(
        m * base
        for m in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
        if m * base >= raw
    )
    ticks = [Decimal(0)]
    while ticks[-1] < Decimal(repr(maximum)):
        ticks.append(ticks[-1] + step)
    return ticks


def compact(value: Decimal | float | int) -> str:
    """Short axis text: 0, 500, 2.5 k, 40 M, 1.2 bn (exact for Decimal ticks)."""
    v = Decimal(str(value))
    for size, unit in (
        (Decimal(10) ** 9, " bn"),
        (Decimal(10) ** 6, " M"),
        (Decimal(10) ** 3, " k"),
    ):
        if abs(v) >= size:
            return f"{(v / size).normalize():f}{unit}"
    return f"{v.normalize():f}"


def legend(series: Sequence[Series], x: float, y: float, *, lines: bool = False) -> list[str]:
    """A one-line legend: swatch (or dashed line) plus the series name, left to right."""
    out: list[str] = []
    cx = x
    for i, s in enumerate(series):
        color = s.color or PALETTE[i % len(PALETTE)]
        if lines:
            dash = DASHES[i % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<line x1="{_n(cx)}" y1="{_n(y - 4)}" x2="{_n(cx + 22)}" y2="{_n(y - 4)}" '
                f'stroke="{color}" stroke-width="2.5"{dash_attr}/>'
            )
            cx += 28
        else:
            out.append(
                f'<rect x="{_n(cx)}" y="{_n(y - 10)}" width="12" height="12" fill="{color}"/>'
            )
            cx += 17
        out.append(_text(cx, y, s.name))
        cx += 7.0 * len(s.name) + 18
    return out


def bar_chart(
    *,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    value_labels: Sequence[str | Sequence[str]] | None = None,
    stacked: bool = False,
    width: float = 900,
    uid: str | None = None,
    tick_format: Callable[[Decimal], str] = compact,
) -> str:
    """Horizontal bars, one row per label: single, stacked or grouped series.

    ``value_labels`` (one per row, or for grouped bars one tuple per row with a label
    per series) are printed at the bar ends; pass exact money text formatted from
    Decimal. Without them the row total is shown.
    """
    uid = uid or slug(title)
    n = len(labels)
    label_chars = min(34, max((len(x) for x in labels), default=4))
    left = 12 + 6.6 * label_chars
    right = 118
    plot_w = max(120.0, width - left - right)
    grouped = not stacked and len(series) > 1
    bar_h = 11.0 if grouped else 18.0
    row_h = (bar_h * len(series) + 10) if grouped else 28.0
    top = 30.0 if len(series) > 1 else 8.0
    height = top + row_h * n + 30
    values = [[float(v) for v in s.values] for s in series]
    totals = [sum(col) for col in zip(*values, strict=True)] if values else []
    vmax = max(totals if stacked else [v for row in values for v in row] or [0.0], default=0.0)
    ticks = nice_ticks(vmax)
    scale = plot_w / float(ticks[-1])
    out = _open_svg(uid, width, height, title, desc)
    if len(series) > 1:
        out += legend(series, left, 16)
    base_y = top + row_h * n
    for t in ticks:
        x = left + float(t) * scale
        out.append(
            f'<line x1="{_n(x)}" y1="{_n(top - 2)}" x2="{_n(x)}" y2="{_n(base_y)}" '
            f'stroke="#d0d0d0" stroke-width="1"/>'
        )
        out.append(_text(x, base_y + 16, tick_format(t), anchor="middle", size=11, fill=GREY))
    for r, name in enumerate(labels):
        y0 = top + r * row_h
        out.append(
            f'<text x="{_n(left - 8)}" y="{_n(y0 + row_h / 2 + 4)}" text-anchor="end" '
            f'fill="#222">{_label(name, label_chars)}</text>'
        )
        x = left
        end = left
        for i, s in enumerate(series):
            color = s.color or PALETTE[i % len(PALETTE)]
            w = max(0.0, values[i][r]) * scale
            if stacked:
                y, h = y0 + (row_h - bar_h) / 2, bar_h
                bx = x
                x += w
            else:
                y, h = y0 + 5 + i * bar_h, bar_h - 1
                bx = left
            out.append(
                f'<rect x="{_n(bx)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" '
                f'fill="{color}"><title>{_t(s.name)}: '
                f"{_t(tick_format(_round3(values[i][r])))}</title></rect>"
            )
            end = max(end, bx + w)
        text = value_labels[r] if value_labels is not None else tick_format(_round3(totals[r]))
        if isinstance(text, str):
            out.append(_text(end + 6, y0 + row_h / 2 + 4, text, size=11.5))
        else:  # one label per sub-bar of a grouped row
            for i, sub in enumerate(text):
                w = max(0.0, values[i][r]) * scale
                if values[i][r] <= 0:
                    continue
                out.append(_text(left + w + 5, y0 + 5 + i * bar_h + bar_h - 2.5, sub, size=10.5))
    out.append(
        f'<line x1="{_n(left)}" y1="{_n(top - 2)}" x2="{_n(left)}" y2="{_n(base_y)}" '
        f'stroke="#555" stroke-width="1"/>'
    )
    out.append("</svg>")
    return "\n".join(out)


def _x_labels(categories: Sequence[str], left: float, step_w: float, y: float) -> list[str]:
    """Category labels under the axis, thinned so they never overlap."""
    every = max(1, math.ceil(54 / step_w)) if step_w > 0 else 1
    out = []
    for i, c in enumerate(categories):
        if i % every == 0 or i == len(categories) - 1 and (len(categories) - 1) % every == 0:
            out.append(_text(left + (i + 0.5) * step_w, y, c, anchor="middle", size=11, fill=GREY))
    return out


def _y_axis(
    ticks: Sequence[Decimal],
    left: float,
    right: float,
    top: float,
    bottom: float,
    tick_format: Callable[[Decimal], str],
) -> tuple[list[str], float]:
    scale = (bottom - top) / float(ticks[-1])
    out = []
    for t in ticks:
        y = bottom - float(t) * scale
        out.append(
            f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(right)}" y2="{_n(y)}" '
            f'stroke="#d0d0d0" stroke-width="1"/>'
        )
        out.append(_text(left - 6, y + 4, tick_format(t), anchor="end", size=11, fill=GREY))
    return out, scale


def line_chart(
    *,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    width: float = 900,
    height: float = 300,
    uid: str | None = None,
    tick_format: Callable[[Decimal], str] = compact,
) -> str:
    """Lines over ordered categories (months), each with its own dash and marker.

    Dash patterns and markers differ per series so the lines stay apart when
    printed in black and white; the last value of each line is labelled.
    """
    uid = uid or slug(title)
    left, right, top, bottom = 64.0, width - 70, 34.0, height - 30
    n = max(1, len(categories))
    step_w = (right - left) / n
    vmax = max((float(v) for s in series for v in s.values), default=0.0)
    ticks = nice_ticks(vmax)
    out = _open_svg(uid, width, height, title, desc)
    out += legend(series, left, 16, lines=True)
    grid, scale = _y_axis(ticks, left, right, top, bottom, tick_format)
    out += grid
    out += _x_labels(categories, left, step_w, bottom + 18)
    last_ys: list[float] = []
    for i, s in enumerate(series):
        color = s.color or PALETTE[i % len(PALETTE)]
        dash = DASHES[i % len(DASHES)]
        pts = [
            (left + (j + 0.5) * step_w, bottom - float(v) * scale) for j, v in enumerate(s.values)
        ]
        if not pts:
            continue
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        path = " ".join(f"{_n(x)},{_n(y)}" for x, y in pts)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.5"'
            f"{dash_attr}/>"
        )
        if len(pts) <= 40:
            for (x, y), v in zip(pts, s.values, strict=True):
                out.append(_marker(i, x, y, color, f"{s.name}: {tick_format(_round3(float(v)))}"))
        y_last = pts[-1][1]
        while any(abs(y_last - o) < 12 for o in last_ys):
            y_last += 12
        last_ys.append(y_last)
        out.append(
            _text(
                pts[-1][0] + 8,
                y_last + 4,
                tick_format(_round3(float(s.values[-1]))),
                size=11,
                fill=color if color != YELLOW else "#222",
                weight="600",
            )
        )
    out.append(
        f'<line x1="{_n(left)}" y1="{_n(bottom)}" x2="{_n(right)}" y2="{_n(bottom)}" '
        f'stroke="#555" stroke-width="1"/>'
    )
    out.append("</svg>")
    return "\n".join(out)


def _marker(i: int, x: float, y: float, color: str, tip: str) -> str:
    """Circle, square, triangle or diamond, so series differ without colour."""
    kind = i % 4
    tip_el = f"<title>{_t(tip)}</title>"
    if kind == 0:
        return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{color}">{tip_el}</circle>'
    if kind == 1:
        return (
            f'<rect x="{_n(x - 3.5)}" y="{_n(y - 3.5)}" width="7" height="7" fill="{color}">'
            f"{tip_el}</rect>"
        )
    if kind == 2:
        pts = f"{_n(x)},{_n(y - 4.5)} {_n(x + 4.5)},{_n(y + 3.5)} {_n(x - 4.5)},{_n(y + 3.5)}"
    else:
        pts = (
            f"{_n(x)},{_n(y - 4.5)} {_n(x + 4.5)},{_n(y)} "
            f"{_n(x)},{_n(y + 4.5)} {_n(x - 4.5)},{_n(y)}"
        )
    return f'<polygon points="{pts}" fill="{color}">{tip_el}</polygon>'


def column_chart(
    *,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    width: float = 900,
    height: float = 260,
    uid: str | None = None,
    tick_format: Callable[[Decimal], str] = compact,
) -> str:
    """Stacked vertical columns per category (month), with the column total on top."""
    uid = uid or slug(title)
    left, right, top, bottom = 64.0, width - 16, 34.0, height - 30
    n = max(1, len(categories))
    step_w = (right - left) / n
    values = [[max(0.0, float(v)) for v in s.values] for s in series]
    totals = [sum(col) for col in zip(*values, strict=True)] if values else []
    ticks = nice_ticks(max(totals, default=0.0))
    out = _open_svg(uid, width, height, title, desc)
    out += legend(series, left, 16)
    grid, scale = _y_axis(ticks, left, right, top, bottom, tick_format)
    out += grid
    out += _x_labels(categories, left, step_w, bottom + 18)
    bar_w = step_w * 0.7
    for j in range(len(categories)):
        x = left + j * step_w + (step_w - bar_w) / 2
        y = bottom
        for i, s in enumerate(series):
            h = values[i][j] * scale
            y -= h
            color = s.color or PALETTE[i % len(PALETTE)]
            out.append(
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(bar_w)}" height="{_n(h)}" '
                f'fill="{color}"><title>{_t(categories[j])} · {_t(s.name)}: '
                f"{_t(tick_format(_round3(values[i][j])))}</title></rect>"
            )
        if totals[j] > 0 and step_w >= 30:
            out.append(_text(x + bar_w / 2, y - 4, tick_format(_round3(totals[j])), anchor="middle",
                             size=10))  # fmt: skip
    out.append(
        f'<line x1="{_n(left)}" y1="{_n(bottom)}" x2="{_n(right)}" y2="{_n(bottom)}" '
        f'stroke="#555" stroke-width="1"/>'
    )
    out.append("</svg>")
    return "\n".join(out)


def _short(x: float) -> str:
    """Three significant figures in compact form, for labels computed from floats."""
    return compact(_round3(x))


def _round3(x: float) -> Decimal:
    """Three significant figures, for the short labels on top of columns."""
    if x == 0:
        return Decimal(0)
    d = Decimal(repr(x))
    return d.quantize(Decimal(1).scaleb(d.adjusted() - 2)).normalize()


@dataclass(frozen=True)
class Mark:
    """A labelled vertical reference line on a ratio axis."""

    value: float
    label: str
    color: str = GREY
    dash: str = "4 3"


RATIO_MARKS = (
    Mark(0.70, N_("0.70: 30 % kept"), VERMILLION),
    Mark(1.00, N_("1.00: paid in full"), GREEN),
)


def ratio_histogram(
    *,
    title: str,
    desc: str,
    counts: Sequence[int],
    bin_width: float = 0.05,
    median: float | None = None,
    median_label: str = N_("office median"),
    marks: Sequence[Mark] = RATIO_MARKS,
    width: float = 360,
    height: float = 200,
    uid: str | None = None,
    tr: Translator = EN,
) -> str:
    """Histogram of received ÷ disbursed: bin ``i`` covers [i·w, (i+1)·w); the last is open.

    Reference lines mark 0.70 (a 30 % cut) and 1.00 (paid in full); the dashed
    blue line is the office median, so a clerk's shift away from peers is visible.
    """
    uid = uid or slug(title)
    lines = [Mark(m.value, tr._(m.label), m.color, m.dash) for m in marks]
    if median is not None:
        lines.append(Mark(median, f"{tr._(median_label)} {fixed(median, 2, tr.lang)}", BLUE, ""))
    left, right, bottom = 34.0, width - 10, height - 28
    top = 16.0 + 11 * len(lines)
    nb = max(1, len(counts))
    x_max = nb * bin_width
    sx = (right - left) / x_max
    cmax = max(counts, default=0)
    ticks = nice_ticks(cmax or 1, 3)
    out = _open_svg(uid, width, height, title, desc)
    grid, scale = _y_axis(ticks, left, right, top, bottom, lambda t: f"{t.normalize():f}")
    out += grid
    for i, c in enumerate(counts):
        x = left + i * bin_width * sx
        h = c * scale
        out.append(
            f'<rect x="{_n(x + 0.5)}" y="{_n(bottom - h)}" width="{_n(bin_width * sx - 1)}" '
            f'height="{_n(h)}" fill="{SKY}">'
            f"<title>{_bin_text(i, bin_width, nb)}: {c}</title></rect>"
        )
        if c and c == cmax:
            out.append(
                _text(
                    x + bin_width * sx / 2,
                    bottom - h - 3,
                    str(c),
                    anchor="middle",
                    size=10,
                    weight="600",
                )
            )
    for v in (0.0, 0.5, 1.0):
        if v <= x_max:
            out.append(
                _text(left + v * sx, bottom + 14, fixed(v, 1, tr.lang), anchor="middle", size=10,
                      fill=GREY)  # fmt: skip
            )
    for k, m in enumerate(lines):
        x = left + min(m.value, x_max) * sx
        dash_attr = f' stroke-dasharray="{m.dash}"' if m.dash else ""
        out.append(
            f'<line x1="{_n(x)}" y1="{_n(12 + 11 * k)}" x2="{_n(x)}" y2="{_n(bottom)}" '
            f'stroke="{m.color}" stroke-width="1.8"{dash_attr}/>'
        )
        anchor = "end" if x > (left + right) / 2 else "start"
        dx = -3 if anchor == "end" else 3
        out.append(
            _text(
                x + dx,
                20 + 11 * k,
                m.label,
                anchor=anchor,
                size=9.5,
                fill=m.color if m.color != GREY else "#222",
            )
        )
    out.append(
        f'<line x1="{_n(left)}" y1="{_n(bottom)}" x2="{_n(right)}" y2="{_n(bottom)}" '
        f'stroke="#555" stroke-width="1"/>'
    )
    out.append(
        _text(
            (left + right) / 2,
            height - 2,
            tr._("received ÷ disbursed"),
            anchor="middle",
            size=10,
            fill=GREY,
        )
    )
    out.append("</svg>")
    return "\n".join(out)


def _bin_text(i: int, w: float, nb: int) -> str:
    lo = i * w
    return f"≥ {lo:.2f}" if i == nb - 1 else f"{lo:.2f}–{lo + w:.2f}"


@dataclass(frozen=True)
class RatioRow:
    """One clerk's ratio summary for the dot plot."""

    label: str
    p25: float
    median: float
    p75: float
    office_median: float | None = None


def ratio_dot_plot(
    *,
    title: str,
    desc: str,
    rows: Sequence[RatioRow],
    x_max: float = 1.25,
    marks: Sequence[Mark] = RATIO_MARKS,
    width: float = 900,
    uid: str | None = None,
    tr: Translator = EN,
) -> str:
    """One row per clerk: median ratio (dot), middle half (bar) and office median (tick).

    Lets a reader compare many flagged clerks at once against the 0.70 and 1.00
    lines; the per-clerk histograms show the full shape.
    """
    uid = uid or slug(title)
    label_chars = min(34, max((len(r.label) for r in rows), default=4))
    left, right = 12 + 6.6 * label_chars, width - 70
    top, row_h = 42.0, 20.0
    bottom = top + row_h * len(rows)
    height = bottom + 30
    sx = (right - left) / x_max
    out = _open_svg(uid, width, height, title, desc)
    keys = (tr._("clerk median"), tr._("middle half of lines"), tr._("office median"))
    # Legend positions fit the English words; other languages are spaced by their length
    # (about 7.6 px a character at 12 px for Cyrillic).
    bar_x, tick_x = left + 110, left + 290
    if tr.lang != "en":
        bar_x = left + 14 + 7.6 * len(keys[0]) + 14
        tick_x = bar_x + 30 + 7.6 * len(keys[1]) + 14
    out.append(
        f'<circle cx="{_n(left + 5)}" cy="12" r="4.5" fill="{VERMILLION}"/>'
        + _text(left + 14, 16, keys[0])
        + f'<rect x="{_n(bar_x)}" y="8" width="24" height="8" fill="{SKY}"/>'
        + _text(bar_x + 30, 16, keys[1])
        + f'<line x1="{_n(tick_x)}" y1="5" x2="{_n(tick_x)}" y2="19" stroke="{BLUE}" '
        f'stroke-width="2.5"/>' + _text(tick_x + 7, 16, keys[2])
    )
    for v in (0.0, 0.25, 0.5, 0.75, 1.0, 1.25):
        if v <= x_max:
            x = left + v * sx
            out.append(
                f'<line x1="{_n(x)}" y1="{_n(top - 4)}" x2="{_n(x)}" y2="{_n(bottom)}" '
                f'stroke="#e0e0e0" stroke-width="1"/>'
            )
            out.append(_text(x, bottom + 15, fixed(v, 2, tr.lang), anchor="middle", size=10.5,
                             fill=GREY))  # fmt: skip
    for m in marks:
        x = left + m.value * sx
        out.append(
            f'<line x1="{_n(x)}" y1="{_n(top - 10)}" x2="{_n(x)}" y2="{_n(bottom)}" '
            f'stroke="{m.color}" stroke-width="1.6" stroke-dasharray="{m.dash}"/>'
        )
        out.append(_text(x, top - 14, tr._(m.label), anchor="middle", size=10, fill=m.color))
    for r, row in enumerate(rows):
        yc = top + r * row_h + row_h / 2
        if r % 2:
            out.append(
                f'<rect x="{_n(left)}" y="{_n(yc - row_h / 2)}" width="{_n(right - left)}" '
                f'height="{_n(row_h)}" fill="#f4f4f4"/>'
            )
        out.append(
            f'<text x="{_n(left - 8)}" y="{_n(yc + 4)}" text-anchor="end" fill="#222">'
            f"{_label(row.label, label_chars)}</text>"
        )
        x25, x75 = (left + min(v, x_max) * sx for v in (row.p25, row.p75))
        out.append(
            f'<rect x="{_n(x25)}" y="{_n(yc - 4)}" width="{_n(max(1.0, x75 - x25))}" height="8" '
            f'fill="{SKY}"/>'
        )
        if row.office_median is not None:
            xo = left + min(row.office_median, x_max) * sx
            out.append(
                f'<line x1="{_n(xo)}" y1="{_n(yc - 7)}" x2="{_n(xo)}" y2="{_n(yc + 7)}" '
                f'stroke="{BLUE}" stroke-width="2.5"/>'
            )
        xm = left + min(row.median, x_max) * sx
        office = "" if row.office_median is None else tr._("; office median {median}").format(
            median=fixed(row.office_median, 2, tr.lang))
        tip = tr._("{label}: median {median}{office}").format(
            label=row.label, median=fixed(row.median, 2, tr.lang), office=office)
        out.append(
            f'<circle cx="{_n(xm)}" cy="{_n(yc)}" r="4.5" fill="{VERMILLION}"><title>'
            f"{_t(tip)}</title></circle>"
        )  # fmt: skip
        out.append(_text(right + 8, yc + 4, fixed(row.median, 2, tr.lang), size=11, weight="600"))
    out.append("</svg>")
    return "\n".join(out)
