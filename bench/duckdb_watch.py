"""Peak DuckDB memory and spill of every payproof engine opened inside a ``with`` block.

A bench measures code it does not own (``run_audit`` opens its own engine), so the
watch wraps ``DuckDBEngine.__init__``/``close`` for the duration and samples each
open engine from a second connection (a cursor), a few times a second:
``duckdb_memory()`` for buffer memory and ``duckdb_temporary_files()`` for bytes
spilled to the temp directory. Sampling can miss a short spike: the figures are
lower bounds, good to ~the sampling interval. A CHECKPOINT fails while another
transaction is open, so ``execute`` is wrapped too: a CHECKPOINT waits for the
sample in flight, and no sample starts until it is done.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import duckdb

from payproof.engine.duckdb_engine import DuckDBEngine

SAMPLE_SQL = """SELECT
    (SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()),
    (SELECT coalesce(sum(temporary_storage_bytes), 0) FROM duckdb_memory()),
    (SELECT coalesce(sum(size), 0) FROM duckdb_temporary_files())"""


@dataclass
class Peaks:
    memory_bytes: int = 0
    temp_bytes: int = 0
    samples: int = 0


class DuckDBWatch:
    """Context manager; ``peaks`` holds the highest values seen over all engines."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peaks = Peaks()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._cursors: dict[int, duckdb.DuckDBPyConnection] = {}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._orig = (DuckDBEngine.__init__, DuckDBEngine.close, DuckDBEngine.execute)

    def watch(self, engine: DuckDBEngine) -> None:
        """Sample an engine opened before the block (or by the bench itself)."""
        with self._lock:
            self._cursors[id(engine)] = engine.con.cursor()

    def __enter__(self) -> DuckDBWatch:
        orig_init, orig_close, orig_execute = self._orig
        watch = self

        def init(engine, *args, **kwargs):
            orig_init(engine, *args, **kwargs)
            watch.watch(engine)

        def close(engine):
            with watch._lock:
                cursor = watch._cursors.pop(id(engine), None)
            if cursor is not None:
                watch._sample_one(cursor)  # last look before the store goes away
                cursor.close()
            orig_close(engine)

        def execute(engine, sql, params=None):
            if sql.lstrip().upper().startswith(("CHECKPOINT", "FORCE CHECKPOINT")):
                with watch._lock:
                    return orig_execute(engine, sql, params)
            return orig_execute(engine, sql, params)

        DuckDBEngine.__init__ = init
        DuckDBEngine.close = close
        DuckDBEngine.execute = execute
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        DuckDBEngine.__init__, DuckDBEngine.close, DuckDBEngine.execute = self._orig
        with self._lock:
            for cursor in self._cursors.values():
                self._sample_one(cursor)
            self._cursors.clear()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                for key, cursor in list(self._cursors.items()):
                    if not self._sample_one(cursor):
                        self._cursors.pop(key, None)

    def _sample_one(self, cursor: duckdb.DuckDBPyConnection) -> bool:
        try:
            memory, temp, files = cursor.execute(SAMPLE_SQL).fetchall()[0]
        except duckdb.Error:  # the engine was closed behind our back
            return False
        self.peaks.memory_bytes = max(self.peaks.memory_bytes, int(memory))
        self.peaks.temp_bytes = max(self.peaks.temp_bytes, int(temp), int(files))
        self.peaks.samples += 1
        return True
