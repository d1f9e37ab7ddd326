"""The folder locks: one run writes into an output folder at a time; readers never
see a swap half-way.

Advisory ``flock`` locks, released by the kernel if the process dies, so a
crashed run never leaves a stale lock. ``OUT/.payproof.lock`` is held by a run
for its whole length (a second run gets exit 7). ``OUT/.payproof-swap.lock`` is
held only while a finished run is swapped in (milliseconds): a reader (the
portal, a viewer) holds it shared with :func:`reading` while it reads, and so
reads the previous complete run or the new one — also while a run is working.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from payproof.errors import BusyError

LOCK_NAME = ".payproof.lock"
SWAP_LOCK_NAME = ".payproof-swap.lock"


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the run lock on ``folder``, or fail at once with BusyError (exit 7)."""
    path = Path(folder) / LOCK_NAME
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
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


@contextmanager
def swap_lock(folder: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold the swap lock (waits: a swap takes milliseconds)."""
    with open(Path(folder) / SWAP_LOCK_NAME, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def reading(folder: Path) -> Iterator[None]:
    """Read an output folder's files inside this block: never half of a swap."""
    with swap_lock(folder, shared=True):
        yield
