"""Load test of the portal: simulated mothers (locust, headless) against gunicorn + PostgreSQL.

Each simulated mother signs in with her IIN and the code from the file outbox, reads her
statement again and again, files grievances and downloads their receipts, with a human's
pauses (1-3 s). At the end every tracking number a mother was given must be in the
database and on the ledger: "lost grievances" counts those that are not.

    python bench/portal_load.py --audit payproof-demo/audit --users 200 --seconds 120

Starts its own PostgreSQL (.ci/postgres.sh, Debian's package) unless --database is given,
and gunicorn on 127.0.0.1 only. Prints the figures quoted in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's payproof, as the subprocesses use
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def mothers(audit: Path, n: int) -> list[tuple[str, str]]:
    """(IIN, phone) of ``n`` registered mothers with a phone."""
    import duckdb

    con = duckdb.connect(str(audit / "payproof.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT DISTINCT ON (mother_id) CAST(mother_id AS VARCHAR), CAST(phone AS VARCHAR) "
        "FROM families WHERE phone IS NOT NULL AND mother_id IS NOT NULL "
        "ORDER BY mother_id LIMIT ?",
        [n],
    ).fetchall()
    con.close()
    return rows


def run_cli(env: dict, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "payproof", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def wait_up(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2)
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start") from None
            time.sleep(0.3)


def make_user(base: str, outbox: Path, pool: list, issued: list):
    from locust import HttpUser, between, task

    from payproof.portal.sms import latest_code

    class Mother(HttpUser):
        host = base
        wait_time = between(1, 3)

        def _token(self, path: str) -> str:
            r = self.client.get(path, name=path.split("?")[0])
            return TOKEN.search(r.text).group(1)

        def on_start(self) -> None:
            self.iin, self.phone = pool.pop()
            token = self._token("/signin/")
            self.client.post(
                "/signin/",
                {"iin": self.iin, "csrfmiddlewaretoken": token},
                allow_redirects=False,
                name="/signin/ POST",
            )
            code = latest_code(outbox, self.phone)
            token = self._token("/signin/code/")
            with self.client.post(
                "/signin/code/",
                {"code": code, "csrfmiddlewaretoken": token},
                allow_redirects=False,
                catch_response=True,
                name="/signin/code/ POST",
            ) as r:
                if r.headers.get("Location") != "/statement/":
                    r.failure("sign-in failed")

        @task(6)
        def statement(self) -> None:
            self.client.get("/statement/")

        @task(2)
        def complaints(self) -> None:
            self.client.get("/grievances/")

        @task(1)
        def file(self) -> None:
            token = self._token("/grievances/new/?period=2022-03&category=not_paid")
            with self.client.post(
                "/grievances/new/",
                {
                    "category": "not_paid",
                    "period": "2022-03",
                    "amount": "46760",
                    "description": "load test",
                    "csrfmiddlewaretoken": token,
                },
                allow_redirects=False,
                catch_response=True,
                name="/grievances/new/ POST",
            ) as r:
                loc = r.headers.get("Location", "")
                if not loc.startswith("/grievances/G-"):
                    r.failure(f"no tracking number (status {r.status_code})")
                    return
            tracking = loc.split("/")[2]
            issued.append(tracking)
            r = self.client.get(
                f"/grievances/{tracking}/receipt.json", name="/grievances/[id]/receipt.json"
            )
            if json.loads(r.text)["entry"].find(tracking) < 0:
                r.failure("receipt of another grievance")

    return Mother


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--audit", type=Path, required=True, help="an audit's --out folder")
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--spawn-rate", type=float, default=10)
    ap.add_argument("--seconds", type=int, default=120)
    ap.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    ap.add_argument("--database", help="postgresql://… (default: a throw-away cluster)")
    args = ap.parse_args()

    import gevent
    from locust.env import Environment

    work = Path(tempfile.mkdtemp(prefix="payproof-portal-load-"))
    db, pg_dir = args.database, Path(tempfile.gettempdir()) / f"payproof-load-pg-{os.getpid()}"
    if not db:
        db = subprocess.run(
            [str(ROOT / ".ci/postgres.sh"), "start", str(pg_dir), "54339"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    env = {
        **os.environ,
        "PAYPROOF_SMS": "file",
        "PAYPROOF_PORTAL_HTTP": "1",
        "PAYPROOF_OTP_COOLDOWN": "0",
    }
    # every simulated mother comes from 127.0.0.1: lift the per-address limits for the test
    env.update(
        {
            f"PAYPROOF_RATE_{k}": "1000000/h"
            for k in ("CODE_IP", "VERIFY_IP", "FILE_IP", "FOLLOW_IP", "HELPER_IP")
        }
    )
    folder = work / "programme"
    gun = None
    try:
        print(run_cli(env, "portal", "init", str(folder), "--database", db).strip())
        print(
            run_cli(
                env, "portal", "load", str(args.audit), "--dir", str(folder), "--database", db
            ).strip()
        )
        genv = {
            **env,
            "PAYPROOF_PORTAL_DIR": str(folder / "portal"),
            "PAYPROOF_DATABASE_URL": db,
            "DJANGO_SETTINGS_MODULE": "payproof.portal.settings",
        }
        port = 8000 + random.randint(100, 900)
        base = f"http://127.0.0.1:{port}"
        gun = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "payproof.portal.wsgi",
                "-w",
                str(args.workers),
                "-b",
                f"127.0.0.1:{port}",
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=genv,
        )
        wait_up(base, gun)
        pool = mothers(args.audit, args.users * 2)
        random.Random(1).shuffle(pool)
        issued: list[str] = []
        user = make_user(base, folder / "portal" / "outbox", pool, issued)
        lenv = Environment(user_classes=[user], host=base)
        runner = lenv.create_local_runner()
        started = time.monotonic()
        runner.start(args.users, spawn_rate=args.spawn_rate)
        gevent.spawn_later(args.seconds, runner.quit)
        runner.greenlet.join()
        elapsed = time.monotonic() - started
        total = lenv.stats.total
        lost = lost_grievances(genv, issued)
        print(
            json.dumps(
                {
                    "users": args.users,
                    "seconds": round(elapsed),
                    "gunicorn_workers": args.workers,
                    "requests": total.num_requests,
                    "failures": total.num_failures,
                    "rps": round(total.num_requests / elapsed, 1),
                    "p50_ms": total.get_response_time_percentile(0.5),
                    "p95_ms": total.get_response_time_percentile(0.95),
                    "p99_ms": total.get_response_time_percentile(0.99),
                    "grievances_filed": len(issued),
                    "lost_grievances": lost,
                    "by_endpoint_p95_ms": {
                        name: s.get_response_time_percentile(0.95)
                        for (name, _), s in sorted(lenv.stats.entries.items())
                    },
                },
                indent=1,
            )
        )
        sys.exit(1 if total.num_failures or lost else 0)
    finally:
        if gun is not None:
            gun.terminate()
            gun.wait(timeout=30)
        if not args.database:
            subprocess.run([str(ROOT / ".ci/postgres.sh"), "stop", str(pg_dir)], check=False)


def lost_grievances(env: dict, issued: list[str]) -> int:
    """Tracking numbers given out but missing from the database or from the ledger."""
    code = (
        "import json,sys;from payproof.portal.setup import configure;"
        "configure(__import__('pathlib').Path(sys.argv[1]));"
        "from payproof.portal.models import Grievance;from django.conf import settings;"
        "from payproof.ledger.storage import Log;log=Log.open(settings.LEDGER_DIR);"
        "on_log={json.loads(e)['grievance_id'] for e in log.entries(0, log.size)};"
        "db=set(Grievance.objects.values_list('tracking',flat=True));"
        "want=set(json.load(sys.stdin));print(len(want-db)+len(want-on_log))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, env["PAYPROOF_PORTAL_DIR"]],
        cwd=ROOT,
        env=env,
        input=json.dumps(issued),
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(out.stderr)
    return int(out.stdout.strip())


if __name__ == "__main__":
    main()
