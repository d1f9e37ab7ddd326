"""payproof.lifecycle: the one run lifecycle every command uses.

A run locks its output folder, stages every output in a hidden folder inside it,
times its steps, and swaps the complete result into place at the end — never
after an interruption, never half. See docs/architecture.md.

- :class:`Run` — lock, staging, store, steps, commit (payproof.lifecycle.run)
- :func:`publish` — add or rewrite one file of a finished run (``payproof report``)
- :func:`folder_lock`, :func:`reading` — the run lock, and the readers' view of a
  folder that is never half of a swap (payproof.lifecycle.lock)
- :mod:`payproof.lifecycle.interrupt` — SIGINT/SIGTERM handling and exit 130
- :mod:`payproof.lifecycle.folder` — manifest, clash checks and the swap

Names are imported lazily: the CLI installs the signal handlers
(``interrupt``) before any command, and should not pay for DuckDB to do so.
"""

from __future__ import annotations

from payproof.lazy import lazy_getattr

_EXPORTS = {
    "Interrupted": "payproof.lifecycle.interrupt",
    "LOCK_NAME": "payproof.lifecycle.lock",
    "folder_lock": "payproof.lifecycle.lock",
    "reading": "payproof.lifecycle.lock",
    "Progress": "payproof.lifecycle.run",
    "Run": "payproof.lifecycle.run",
    "publish": "payproof.lifecycle.run",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_getattr(__name__, _EXPORTS)
