"""The folder lock: one run writes into an output folder at a time.

An advisory ``flock`` on ``OUT/.payproof.lock``, held for the whole run and
released by the kernel if the process dies, so a crashed run never leaves a
stale lock. Readers that must not see a swap half-way (the portal) take it shared.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from payproof.errors import BusyError

LOCK_NAME = ".payproof.lock"


@contextmanager
def folder_lock(folder: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold the lock on ``folder`` (exclusive for a run, ``shared`` for a reader)."""
    path = Path(folder) / LOCK_NAME
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BusyError(
                "Another payproof run (audit, ghosts or generate) is writing into this folder.",
                where=str(folder),
                fix="Wait for it to finish, or give a different --out folder.",
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
