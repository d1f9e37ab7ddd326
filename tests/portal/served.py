"""Run ``payproof serve`` in a subprocess on a free port (SQLite, file outbox) for tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def portal_env() -> dict:
    """The environment without the test session's Django settings (the server has its own)."""
    drop = {
        "DJANGO_SETTINGS_MODULE",
        "PAYPROOF_PORTAL_DIR",
        "PAYPROOF_DATABASE_URL",
        "PAYPROOF_PORTAL_HTTP",
        "PAYPROOF_SMS",
    }
    return {k: v for k, v in os.environ.items() if k not in drop}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "payproof", *args],
        cwd=ROOT,
        env=portal_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


@contextmanager
def serving(folder: Path, *extra: str):
    """Yield (base URL, process) of a running portal on ``folder``; stop it afterwards."""
    port = free_port()
    log = (folder / "serve.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "payproof",
            "serve",
            str(folder),
            "--port",
            str(port),
            "--sms",
            "file",
            *extra,
        ],
        cwd=ROOT,
        env=portal_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((folder / "serve.log").read_text()) from None
                time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
