"""Hard negatives: two people whose records look like one (truth/hard_negatives.csv).

A dedupe that merges them stops paying a real family, so the ground truth lists
them as pairs that must not be merged: sisters (same surname, district and phone,
birth dates months or years apart), namesakes (same full name, another birth date
and IIN) and twins (one mother, one birth date, consecutive IIN serials, one
surname). Everything here draws from the names stream (fraud.NAMES_STREAM), so a
programme without --hard-negatives is unchanged.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from payproof.scenario.fraud import share_count
from payproof.scenario.identity import iin_check

SISTER_GAP_DAYS = (200, 4 * 365)  # sisters' birth dates: at least this far apart, at most


def mother_pairs(w, n_base: int, rng: np.random.Generator) -> None:
    """Make sisters and namesakes among genuine mothers; set ``w.hard_pairs``.

    Only mothers with no duplicate registration are used, so a pair is never also
    one person. A sister is the next mother of the district born at least
    SISTER_GAP_DAYS[0] later (and at most SISTER_GAP_DAYS[1]); the younger takes the
    elder's surname and phone. A namesake takes another mother's full name.
    """
    k = share_count(n_base, w.cfg.hard_negative_rate)
    fams = w.fams
    free = np.setdiff1d(np.arange(n_base), w.dups.original)
    birth, district, latin = fams.mother_birth, fams.district, w.latin
    order = free[np.lexsort((birth[free], district[free]))]
    key = district[order].astype(np.int64) * 10**7 + birth[order]  # (district, birth) order
    nxt = np.minimum(np.searchsorted(key, key + SISTER_GAP_DAYS[0]), len(order) - 1)
    a, b = order, order[nxt]  # each mother and the next one born at least the gap later
    gap = birth[b] - birth[a]
    ok = (district[a] == district[b]) & (gap >= SISTER_GAP_DAYS[0]) & (gap <= SISTER_GAP_DAYS[1])
    ok &= latin[a] == latin[b]
    at = rng.permutation(np.nonzero(ok)[0])
    # keep pairs whose mothers are in no earlier pair: a mother has at most one sister here
    seen = np.concatenate([a[at], b[at]])
    _, first = np.unique(seen, return_index=True)
    once = np.zeros(len(seen), bool)
    once[first] = True
    at = at[once[: len(at)] & once[len(at) :]][:k]
    sis_a, sis_b = a[at], b[at]
    names = w.mother_names.to_pylist()
    for x, y in zip(sis_a, sis_b, strict=True):
        names[y] = names[x].split(" ", 1)[0] + " " + names[y].split(" ", 1)[1]
    # the sisters give one phone (the elder's, or the younger's where the elder has none)
    phone_a, phone_b = w.phone_of[sis_a], w.phone_of[sis_b]
    shared = np.where(phone_a >= 0, phone_a, phone_b)
    w.phone_of[sis_a] = shared
    w.phone_of[sis_b] = shared
    has = shared >= 0
    w.relatives_phone = np.concatenate([w.relatives_phone,
                                        np.stack([sis_b[has], sis_a[has]], axis=1)])  # fmt: skip
    # namesakes: other mothers, in pairs written in the same script, born on other days
    rest = rng.permutation(np.setdiff1d(free, np.concatenate([sis_a, sis_b])))[: 2 * k]
    half = len(rest) // 2
    nam_a, nam_b = rest[:half], rest[half : 2 * half]
    keep = (latin[nam_a] == latin[nam_b]) & (birth[nam_a] != birth[nam_b])
    nam_a, nam_b = nam_a[keep], nam_b[keep]
    for x, y in zip(nam_a, nam_b, strict=True):
        names[y] = names[x]
    w.mother_names = pa.array(names, pa.string())
    w.hard_pairs = {"sisters": (sis_a, sis_b), "namesakes": (nam_a, nam_b)}


def twin_iins(iin: np.ndarray, family: np.ndarray, birth: np.ndarray, taken: np.ndarray):
    """Give the second of each pair of twins the serial after the first's (each keeps its own
    century/sex digit), as a registry office numbers twins registered together.

    ``iin`` holds the original children's IINs (changed in place); returns the twin pairs'
    row indices. A serial whose check digit would be 10, or that is taken, is skipped.
    """
    first = np.nonzero((family[:-1] == family[1:]) & (birth[:-1] == birth[1:]))[0]
    first = first[np.isin(first - 1, first, invert=True)]  # triplets: the first two only
    used = set(np.concatenate([iin, taken]).tolist())
    for i in first:
        head = int(iin[i + 1]) // 100_000 * 10_000  # YYMMDD + century/sex digit, x 10^4
        serial = int(iin[i]) // 10 % 10_000
        used.discard(int(iin[i + 1]))
        while True:
            serial = serial % 9999 + 1
            body = head + serial
            check = int(iin_check(np.array([body]))[0])
            if check != 10 and body * 10 + check not in used:
                break
        iin[i + 1] = body * 10 + check
        used.add(int(iin[i + 1]))
    return first, first + 1
