"""``payproof rules check`` and ``payproof rules table``."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from payproof.errors import RulesError
from payproof.rules.cli import app

runner = CliRunner()
BUILTIN = "payproof/rules/builtin/kz-large-family.yaml"


def test_check_prints_summary(kz):
    result = runner.invoke(app, ["check", BUILTIN], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "OK kz-large-family@2026-01" in result.output
    assert kz.sha256 in result.output
    assert "scale_by_count" in result.output
    assert "4: 16.03, 5: 20.04, 6: 24.05, 7: 28.06" in result.output
    assert "2022-04-01" in result.output


def test_check_reports_invalid_file(tmp_path, kz):
    doc = dict(kz.raw, formula=dict(kz.raw["formula"], kind="progressive"))
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = runner.invoke(app, ["check", str(path)])
    assert isinstance(result.exception, RulesError)
    assert result.exception.exit_code == 5
    assert "unknown formula kind 'progressive'" in str(result.exception)


def test_table_for_a_period():
    result = runner.invoke(app, ["table", "--period", "2025-01"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for amount in ("63\u202f030", "78\u202f798", "94\u202f565", "110\u202f332", "157\u202f280"):
        assert amount in result.output
    assert "kz-large-family@2026-01, 2025-01" in result.output


def test_table_with_rules_file_and_bad_period():
    result = runner.invoke(app, ["table", "--rules", BUILTIN, "--period", "2025-1"])
    assert isinstance(result.exception, RulesError)
    assert "Not a period" in str(result.exception)
