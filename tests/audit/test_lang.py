"""``payproof audit --lang``: the report and terminal are translated, the CSV outputs are not."""

from __future__ import annotations

from payproof.cli import main
from tests.audit.test_outputs import DATA, GOLDEN, _outputs


def test_audit_in_russian_keeps_machine_outputs_neutral(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("PAYPROOF_LANG", raising=False)
    out = tmp_path / "out"
    assert main(["audit", str(DATA), "--out", str(out), "--lang", "ru"]) == 0
    printed = capsys.readouterr().out
    assert "Итоги аудита" in printed and "Входные строки" in printed
    assert '<html lang="ru">' in (out / "report.html").read_text(encoding="utf-8")
    files = _outputs(out)
    for name in ("families.csv", "staff.csv", "offices.csv", "regions.csv", "rejects.csv"):
        assert files[name] == (GOLDEN / name).read_text(encoding="utf-8"), name


def test_unknown_language_is_a_usage_error(tmp_path):
    assert main(["audit", str(DATA), "--out", str(tmp_path / "o"), "--lang", "fr"]) == 2
    assert not (tmp_path / "o").exists()
