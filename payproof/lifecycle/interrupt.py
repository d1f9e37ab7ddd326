"""Interruption: SIGINT (Ctrl-C) and SIGTERM stop a command reliably, with exit 130.

Without this, an interruption surfaced in whatever form the code running at that
moment gave it — a ``KeyboardInterrupt`` that typer turned into a return value,
DuckDB's ``RuntimeError('Query interrupted')``, or that error wrapped as an input
error — so the exit code depended on timing. Here the handler *records* the
signal before raising :class:`Interrupted`; the CLI's ``main`` then exits 130
whenever a signal was recorded, whatever exception (or none) reached it, and the
run lifecycle refuses to swap a result into place after one.

While a finished result is being moved into place (milliseconds), signals are
deferred (:func:`deferred`) so that a folder never holds half of two runs; the
signal takes effect right after.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread when SIGINT or SIGTERM arrives."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


class _State:
    signum: int | None = None
    deferring: int = 0
    notes: list[str] = []


_state = _State()


def _record(signum: int, frame) -> None:
    if _state.signum is None:
        _state.signum = signum
    if not _state.deferring:
        raise Interrupted(signum)


def received() -> int | None:
    """The signal recorded since :func:`handled` began (None if none arrived)."""
    return _state.signum


def raise_if_interrupted() -> None:
    """Stop here if a signal was recorded but swallowed on its way up (e.g. by a wrapper)."""
    if _state.signum is not None:
        raise Interrupted(_state.signum)


def note(text: str) -> None:
    """Something the user must know if the command ends interrupted (what a folder holds)."""
    _state.notes.append(text)


def notes() -> list[str]:
    return list(_state.notes)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def handled() -> Iterator[None]:
    """Record SIGINT and SIGTERM for one command (used by ``payproof.cli.main``).

    On the way out, signals are only recorded (a late one still makes the command
    exit 130, never a traceback), and the previous handlers are restored.
    """
    _state.signum, _state.deferring, _state.notes = None, 0, []
    if not _main_thread():  # signals reach only the main thread; nothing to install
        yield
        return
    previous = {sig: signal.signal(sig, _record) for sig in SIGNALS}
    try:
        yield
    finally:
        _state.deferring += 1
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _state.deferring -= 1


def ignore_from_now() -> None:
    """Ignore SIGINT and SIGTERM for the rest of the process (its command has finished)."""
    if _main_thread():
        for sig in SIGNALS:
            signal.signal(sig, signal.SIG_IGN)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the block runs, then deliver one that arrived.

    Works with or without :func:`handled`: the handler in force before the block
    (payproof's, Python's default Ctrl-C handler, or the default SIGTERM action)
    receives the signal once the block has finished.
    """
    if not _main_thread():
        yield
        return
    arrived: list[int] = []

    def hold(signum: int, frame) -> None:
        arrived.append(signum)

    previous = {sig: signal.signal(sig, hold) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if arrived:
            signal.raise_signal(arrived[0])
