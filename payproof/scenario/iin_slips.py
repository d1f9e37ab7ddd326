"""A duplicate registration's IIN: the original's, or the original as a clerk mistyped it.

Shared by the scenario generator and the linkage benchmark's synthetic registry,
so both inject the same kinds of slip in the same way.
"""

from __future__ import annotations

import numpy as np

from payproof.scenario.fraud import BROKEN_IIN_KINDS, DUPLICATE_KINDS
from payproof.scenario.identity import iin_broken, iin_with_swap, iin_with_typo, repeats

_K = DUPLICATE_KINDS.index
_BROKEN_CODE = np.array(
    [BROKEN_IIN_KINDS.index(x) if x in BROKEN_IIN_KINDS else -1 for x in DUPLICATE_KINDS]
)


def duplicate_iins(
    iin: np.ndarray, original: np.ndarray, kind: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IINs of duplicates of mothers ``original`` (indices into ``iin``), by ``kind``.

    Returns the IINs as numbers (the original's where the slip broke the number),
    the broken ones as typed text ('' elsewhere) and the kinds really applied (a
    swap of equal digits becomes a typo). IINs are unique per person, so a valid
    slip is never another mother's IIN and two broken ones never read the same.
    """
    kind = np.asarray(kind).copy()
    dup = iin[original].copy()
    sw = np.nonzero(kind == _K("iin_swap"))[0]
    dup[sw], ok = iin_with_swap(dup[sw], rng)
    kind[sw[~ok]] = _K("iin_typo")
    typo = np.nonzero(kind == _K("iin_typo"))[0]
    dup[typo] = iin_with_typo(dup[typo], rng)
    idx = np.nonzero(np.isin(kind, [_K("iin_swap"), _K("iin_typo")]))[0]
    for _ in range(100):  # a valid slip that is some other mother's IIN: slip again
        clash = idx[repeats(dup[idx], iin)]
        if not len(clash):
            break
        kind[clash] = _K("iin_typo")
        dup[clash] = iin_with_typo(iin[original[clash]], rng)
    text = np.full(len(kind), "", dtype=object)
    todo = np.nonzero(_BROKEN_CODE[kind] >= 0)[0]
    for _ in range(100):  # two mothers' slips that read the same: slip again
        if not len(todo):
            break
        typed, done = iin_broken(dup[todo], _BROKEN_CODE[kind[todo]], rng)
        text[todo] = typed
        kind[todo] = [_K(BROKEN_IIN_KINDS[c]) for c in done]
        broken = np.nonzero(text != "")[0]
        todo = broken[repeats(text[broken].astype(str))]
    return dup, text.astype(str), kind
