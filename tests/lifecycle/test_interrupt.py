"""SIGINT and SIGTERM during ``payproof audit`` and ``ghosts``: exit 130, "Interrupted", and
the output folder holds exactly the previous complete run or exactly the new one.

Each case runs payproof in a subprocess with one function made to pause
(tests/lifecycle/pausing.py), signals it while it waits there, and checks the
exit code, the message and every byte of the folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from payproof.cli import main
from payproof.lifecycle import folder as fs
from tests.audit.conftest import write_input

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 90


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` but the lock files, with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix != ".lock"
    }


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> tuple[Path, Path, dict[str, bytes]]:
    """An input folder and an output folder holding a complete earlier audit (with report)."""
    root = tmp_path_factory.mktemp("interrupt")
    data = write_input(root / "input")
    out = root / "out"
    assert main(["audit", str(data), "--out", str(out), "--no-ghosts"]) == 0
    return data, out, snapshot(out)


def interrupt_at(target: str, sig: int, argv: list[str], tmp_path: Path, mode: str = "sleep"):
    """Run payproof paused at ``target``, send ``sig`` there; return (exit code, stderr)."""
    marker = tmp_path / "paused"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    cmd = [sys.executable, "-m", "tests.lifecycle.pausing", target, str(marker), mode, "--", *argv]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + WAIT_S
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, f"{target} was never reached"
            time.sleep(0.05)
        time.sleep(0.2 if mode == "duckdb" else 0.05)  # let the query start
        proc.send_signal(sig)
        time.sleep(0.3)
        marker.unlink(missing_ok=True)  # a paused swap goes on (signals are deferred there)
        _, err = proc.communicate(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, " ".join(err.split())


def assert_interrupted(code: int, err: str, sig: int) -> None:
    assert code == 130, err
    assert f"Interrupted ({signal.Signals(sig).name})" in err
    assert "Traceback" not in err and "Error:" not in err


def assert_no_working_files(out: Path) -> None:
    assert not list(out.glob(fs.STAGING_PREFIX + "*")) and not (out / fs.SWAP).exists()


CASES = [  # (where it stops, signal, how)
    pytest.param("payproof.audit.run:load_input", signal.SIGINT, "sleep", id="ingest-SIGINT"),
    pytest.param("payproof.audit.run:attribute", signal.SIGTERM, "sleep", id="attribution-SIGTERM"),
    pytest.param("payproof.audit.run:_write_report", signal.SIGTERM, "sleep", id="report-SIGTERM"),
    pytest.param("payproof.audit.run:_write_report", signal.SIGINT, "sleep", id="report-SIGINT"),
    # inside a DuckDB query, whose "Query interrupted" the code wraps as an input error
    pytest.param("payproof.audit.run:attribute", signal.SIGTERM, "duckdb", id="in-duckdb-SIGTERM"),
    pytest.param("payproof.audit.run:attribute", signal.SIGINT, "duckdb", id="in-duckdb-SIGINT"),
]


@pytest.mark.parametrize(("target", "sig", "mode"), CASES)
def test_interrupted_audit_keeps_the_previous_run(previous, tmp_path, target, sig, mode):
    data, prepared, before = previous
    out = tmp_path / "out"
    shutil.copytree(prepared, out)
    code, err = interrupt_at(target, sig, ["audit", str(data), "--out", str(out), "--no-ghosts"],
                             tmp_path, mode)  # fmt: skip
    assert_interrupted(code, err, sig)
    assert "keeps its previous complete run" in err
    assert snapshot(out) == before  # report.html and summary.json of the same, earlier run
    assert_no_working_files(out)


def test_interrupted_during_the_swap_ends_with_the_whole_new_run(previous, tmp_path):
    data, prepared, before = previous
    out = tmp_path / "out"
    shutil.copytree(prepared, out)
    argv = ["audit", str(data), "--out", str(out), "--no-ghosts", "--no-report"]
    code, err = interrupt_at("payproof.lifecycle.folder:swap", signal.SIGTERM, argv, tmp_path)
    assert_interrupted(code, err, signal.SIGTERM)
    assert "holds this run's complete result" in err
    record = json.loads((out / fs.MANIFEST).read_text())
    after = snapshot(out)
    assert set(after) == {fs.MANIFEST, *record["files"]}
    assert "report.html" in before and "report.html" not in after  # the new run: no report
    assert after["summary.json"] != before["summary.json"]
    assert_no_working_files(out)


def test_interrupted_first_run_leaves_no_outputs(previous, tmp_path):
    data, _, _ = previous
    out = tmp_path / "fresh"
    argv = ["audit", str(data), "--out", str(out), "--no-ghosts"]
    code, err = interrupt_at("payproof.audit.run:attribute", signal.SIGINT, argv, tmp_path)
    assert_interrupted(code, err, signal.SIGINT)
    assert snapshot(out) == {}
    assert_no_working_files(out)


def test_interrupted_ghosts_leaves_no_outputs(previous, tmp_path):
    data, _, _ = previous
    out = tmp_path / "ghosts"
    code, err = interrupt_at("payproof.linkage.run:_other_steps", signal.SIGTERM,
                             ["ghosts", str(data), "--out", str(out)], tmp_path)  # fmt: skip
    assert_interrupted(code, err, signal.SIGTERM)
    assert snapshot(out) == {}
    assert_no_working_files(out)


AFTER_MAIN = """
import sys, time
from pathlib import Path
from payproof.cli import main
sys.argv = ["payproof", "--version"]
code = main()
Path({marker!r}).touch()
time.sleep(1)  # as Python shutting down after a real command (DuckDB's threads, ~1 s)
sys.exit(code)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_after_the_command_finished_does_not_kill_it(tmp_path, sig):
    """The command's result is complete and its exit code decided: shutting down is not
    interruptible (it was: exit -15 with no message, after a complete run)."""
    marker = tmp_path / "finished"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", AFTER_MAIN.format(marker=str(marker))],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + WAIT_S
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out.startswith("payproof ")
