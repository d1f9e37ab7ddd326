"""payproof.report: the self-contained HTML report and the terminal summary.

Reads an audit output folder (docs/outputs.md) with DuckDB, aggregates in SQL,
and renders inline SVG charts and plain-language findings.
"""

from payproof.report.html import Section, write_report
from payproof.report.terminal import print_summary

__all__ = ["Section", "print_summary", "write_report"]
