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
    r = run_cli(
        "portal", "export", str(tmp_path / "next"), "--dir", str(folder), "--operator", "auditor"
    )
    assert r.returncode == 0, r.stderr
    assert "access: operator auditor ran export on 0 families" in r.stderr
    rows = list(csv.DictReader((tmp_path / "next" / "grievances.csv").open()))
    assert rows == []


def test_add_helper_prints_the_authenticator_key(tmp_path):
    folder = tmp_path / "programme"
    args = ("--dir", str(folder))
    r = run_cli("portal", "add-helper", "clerk1", *args, "--password", "a long pass phrase 42")
    assert r.returncode == 0, r.stderr
    assert "helper clerk1 created" in r.stdout and "otpauth://totp/payproof" in r.stdout
    r = run_cli("portal", "helper-totp", "clerk1", *args)
    assert r.returncode == 0 and "otpauth://totp/" in r.stdout, r.stderr
    assert run_cli("portal", "helper-totp", "nobody", *args).returncode == 3


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


def test_the_cli_loads_django_only_for_portal_commands():
    import subprocess
    import sys

    code = (
        "import sys, payproof.cli as c; c._register(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'babel')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_demo_then_serve_then_a_demo_mother_signs_in(tmp_path):
    """The README's path: payproof demo, payproof serve, sign in as a printed IIN."""
    import http.cookiejar
    import re
    import urllib.parse

    from payproof.portal.sms import latest_code

    folder = tmp_path / "payproof-demo"
    r = run_cli("demo", str(folder), "--families", "150")
    assert r.returncode == 0, r.stderr
    printed = re.search(r"IIN ([0-9, ]+)\)", " ".join(r.stdout.split()))
    iins = printed.group(1).split(", ")
    assert len(iins) >= 2 and all(len(i) == 12 for i in iins)
    with serving(folder) as (base, _):
        jar = http.cookiejar.CookieJar()
        web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def post(path: str, data: dict):
            page = web.open(base + path).read().decode()
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
            return web.open(base + path, body)

        post("/signin/", {"iin": iins[0]})
        phone = _phone_of(folder, iins[0])
        code = latest_code(folder / "portal" / "outbox", phone)
        assert post("/signin/code/", {"code": code}).url.endswith("/statement/")
        req = urllib.request.Request(base + "/statement/", headers={"Accept-Language": "en"})
        html = web.open(req).read().decode()
        assert "Never paid" in html  # the first printed mother is one never paid
        assert "Still owed to you" in html


def _phone_of(folder, iin: str) -> str:
    import duckdb

    con = duckdb.connect(str(folder / "audit" / "payproof.duckdb"), read_only=True)
    phone = con.execute("SELECT phone FROM families WHERE mother_id = ?", [iin]).fetchone()[0]
    con.close()
    return phone
