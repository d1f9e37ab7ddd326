"""Run ``payproof`` with one function made to pause, so a test can signal it at that point.

    python -m tests.lifecycle.pausing MODULE:FUNCTION MARKER MODE -- payproof arguments…

When FUNCTION is called it creates MARKER and then, by MODE:

- ``sleep``: waits (in Python) until the test deletes MARKER, at most 60 s, then runs
  FUNCTION as usual — a signal arrives while Python code runs;
- ``duckdb``: runs a DuckDB query that takes minutes and wraps what it raises as an
  InputError, as code that reports a failed query as an input problem does — a signal
  arrives inside DuckDB and surfaces as DuckDB's "Query interrupted", then as exit 3
  unless the interruption is recorded (the query is stopped after 20 s in any case).
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
from pathlib import Path

LONGEST_PAUSE_S = 60


def _paused(original, marker: Path, mode: str):
    def paused(*args, **kwargs):
        marker.touch()
        if mode == "duckdb":
            import duckdb

            from payproof.errors import InputError

            con = duckdb.connect()
            # Bounded: DuckDB can take a signal's Python handler at a moment where it
            # does not stop the query; the recorded signal must still give exit 130.
            stop = threading.Timer(LONGEST_PAUSE_S / 3, con.interrupt)
            stop.start()
            try:
                con.execute("SELECT sum(hash(range)) FROM range(10000000000000)")
            except Exception as exc:
                raise InputError("The table could not be read.") from exc
            finally:
                stop.cancel()
        deadline = time.monotonic() + LONGEST_PAUSE_S
        while marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        return original(*args, **kwargs)

    return paused


def main() -> int:
    target, marker, mode, sep, *argv = sys.argv[1:]
    assert sep == "--" and mode in ("sleep", "duckdb")
    module_name, name = target.split(":")
    module = importlib.import_module(module_name)
    setattr(module, name, _paused(getattr(module, name), Path(marker), mode))
    from payproof.cli import main as payproof_main

    return payproof_main(argv)


if __name__ == "__main__":
    sys.exit(main())
