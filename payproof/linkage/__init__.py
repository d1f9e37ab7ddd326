"""payproof.linkage: duplicate and fictitious beneficiaries (ghosts).

Names are imported lazily so that light modules of this package (red flags,
money at stake) do not pay for importing Splink.
"""

from __future__ import annotations

_EXPORTS = {
    "DedupeResult": "payproof.linkage.dedupe",
    "dedupe_mothers": "payproof.linkage.dedupe",
    "dedupe_children": "payproof.linkage.dedupe",
    "explain_pair": "payproof.linkage.explain",
    "GhostsResult": "payproof.linkage.run",
    "run_ghosts": "payproof.linkage.run",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'payproof.linkage' has no attribute {name!r}")
