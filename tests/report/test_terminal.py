"""The terminal summary."""

from __future__ import annotations

from rich.console import Console

from payproof.report import print_summary, write_report
from payproof.report.fmt import NNBSP


def test_print_summary(outputs):
    console = Console(record=True, width=140)
    print_summary(outputs, console)
    text = console.export_text()
    assert "Received less than paid out (skimmed)" in text
    assert f"785{NNBSP}568 tenge" in text and "7 of 12 families" in text
    assert "2 of 4" in text and "not proof" in text
    assert "report.html (not written yet)" in text or str(outputs / "report.html") in text
    write_report(outputs)
    console = Console(record=True, width=300)
    print_summary(outputs, console)
    assert "not written yet" not in console.export_text()


def test_cli_command(outputs, capsys):
    import typer
    from typer.testing import CliRunner

    from payproof.report.cli import report

    app = typer.Typer()
    app.command()(report)
    result = CliRunner().invoke(app, [str(outputs), "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("report.html")
