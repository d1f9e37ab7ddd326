"""The SVG chart kit: golden output, escaping, accessibility, exact ticks."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

from payproof.report import charts
from payproof.report.charts import RatioRow, Series

GOLDEN = Path(__file__).parent / "golden" / "charts.svg.txt"


def _all_charts() -> list[str]:
    return [
        charts.bar_chart(
            title="Owed by status",
            desc="two series, grouped",
            labels=["Never paid", "Received less", "<script>x</script>"],
            series=[Series("Owed", [187040, 224448.5, 0]), Series("Excess", [0, 12960, 5])],
            value_labels=[("187 040", "0"), ("224 448", "12 960"), ("0", "5")],
            uid="g-bar",
        ),
        charts.bar_chart(
            title="By district",
            desc="stacked",
            labels=["Al-Farabi", "Turkestan"],
            series=[Series("Never paid", [1000, 0]), Series("Not received", [2500, 40])],
            value_labels=["3 500", "40"],
            stacked=True,
            uid="g-stack",
        ),
        charts.line_chart(
            title="Monthly",
            desc="three lines",
            categories=["2025-01", "2025-02", "2025-03"],
            series=[
                Series("Entitled", [100, 100, 100]),
                Series("Paid out", [100, 90, 100]),
                Series("Delivered", [70, 63, 70]),
            ],
            uid="g-line",
        ),
        charts.column_chart(
            title="Losses",
            desc="stacked columns",
            categories=["2025-01", "2025-02"],
            series=[Series("A", [10, 0]), Series("B", [20, 35])],
            uid="g-col",
        ),
        charts.ratio_histogram(
            title="Clerk S-1",
            desc="counts",
            counts=[0] * 14 + [16] + [0] * 5 + [3] + [0] * 4,
            median=0.98,
            uid="g-hist",
        ),
        charts.ratio_dot_plot(
            title="Flagged clerks",
            desc="dots",
            rows=[RatioRow("S-1 · O-1", 0.68, 0.70, 0.72, 0.98), RatioRow("S-2 · O-2", 0, 0, 0.1)],
            uid="g-dots",
        ),
    ]


def test_golden_output():
    text = "\n\n".join(_all_charts()) + "\n"
    if os.environ.get("PAYPROOF_UPDATE_GOLDEN") or not GOLDEN.exists():
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8"), (
        "chart output changed; if intended, rerun with PAYPROOF_UPDATE_GOLDEN=1"
    )


def test_every_chart_is_wellformed_accessible_svg():
    for svg in _all_charts():
        root = ElementTree.fromstring(svg)  # well-formed XML, so all text is escaped
        ns = "{http://www.w3.org/2000/svg}"
        assert root.tag == f"{ns}svg"
        assert root.get("role") == "img"
        ids = root.get("aria-labelledby").split()
        assert root.find(f"{ns}title").get("id") == ids[0]
        assert root.find(f"{ns}desc").get("id") == ids[1]
        assert root.findall(f".//{ns}text"), "values and labels are text, not only shapes"


def test_text_is_escaped():
    svg = charts.bar_chart(
        title='<b>"t"</b>',
        desc="a & b",
        labels=["<script>alert(1)</script>"],
        series=[Series("s<", [1])],
    )
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg and "a &amp; b" in svg


def test_histogram_marks_070_and_100():
    svg = charts.ratio_histogram(title="h", desc="d", counts=[1] * 25, median=0.5)
    assert "0.70: 30 % kept" in svg and "1.00: paid in full" in svg
    assert "office median 0.50" in svg
    left, right, nb = 34.0, 360 - 10, 25
    sx = (right - left) / (nb * 0.05)
    for value in (0.70, 1.00):
        assert f'x1="{charts._n(left + value * sx)}"' in svg


def test_nice_ticks_are_exact_decimals():
    assert charts.nice_ticks(0) == [Decimal(0), Decimal(1)]
    assert charts.nice_ticks(785568) == [Decimal(x) for x in (0, 200000, 400000, 600000, 800000)]
    ticks = charts.nice_ticks(0.3)
    assert ticks[-1] >= Decimal("0.3") and all(isinstance(t, Decimal) for t in ticks)
    assert [charts.compact(t) for t in charts.nice_ticks(2.4e9)][:2] == ["0", "500 M"]


def test_deterministic_and_no_float_noise():
    assert _all_charts() == _all_charts()
    for svg in _all_charts():
        assert not re.search(r"\d\.\d{3,}", svg.split("</desc>", 1)[1]), "coordinates are rounded"
