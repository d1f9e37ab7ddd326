"""The commands: payproof portal load / export, payproof serve (SQLite in the data folder)."""

from __future__ import annotations

import csv
import urllib.request

from tests.portal.conftest import write_audit
from tests.portal.served import run_cli, serving


def test_load_then_export_from_the_command_line(tmp_path):
    folder = tmp_path / "programme"
    write_audit(folder / "audit")
    r = run_cli("portal", "load", str(folder / "audit"), "--dir", str(folder))
    assert r.returncode == 0, r.stderr
    assert "6 statements of 3 families" in r.stdout and "grievances kept" in r.stdout
    assert (folder / "portal" / "portal.sqlite3").exists()
    r = run_cli("portal", "export", str(tmp_path / "next"), "--dir", str(folder))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader((tmp_path / "next" / "grievances.csv").open()))
    assert rows == []


def test_load_of_a_folder_without_an_audit_fails_clearly(tmp_path):
    r = run_cli("portal", "load", str(tmp_path), "--dir", str(tmp_path / "p"))
    assert r.returncode == 3 and "findings.parquet" in r.stderr  # EXIT_INPUT


def test_serve_loads_the_demo_audit_and_answers(tmp_path):
    folder = tmp_path / "demo"
    write_audit(folder / "audit")
    with serving(folder) as (base, _):
        page = urllib.request.urlopen(base + "/", timeout=10).read().decode()
        assert 'lang="kk"' in page
    out = (folder / "serve.log").read_text()
    assert "loaded 6 statements of 3 families" in out
    assert "sign in as a demo mother: IIN 900101300111" in out
    assert (folder / "portal" / "ledger" / "public" / "checkpoint").exists()
