"""payproof.linkage: duplicate and fictitious beneficiaries (ghosts).

Names are imported lazily so that light modules of this package (red flags,
money at stake) do not pay for importing Splink.
"""

from __future__ import annotations

from payproof.lazy import lazy_getattr

_EXPORTS = {
    "DedupeResult": "payproof.linkage.dedupe",
    "dedupe_mothers": "payproof.linkage.dedupe",
    "dedupe_children": "payproof.linkage.dedupe",
    "explain_pair": "payproof.linkage.explain",
    "GhostsResult": "payproof.linkage.run",
    "run_ghosts": "payproof.linkage.run",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_getattr(__name__, _EXPORTS)
