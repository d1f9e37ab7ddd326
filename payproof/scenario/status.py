"""The audit's status of a family-month, computed the same way for the ground truth."""

from __future__ import annotations

import numpy as np


def status_codes(e: np.ndarray, d: np.ndarray, r: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Index into STATUSES: the first rule that matches (E owed, D paid, R received if known)."""
    conditions = [
        (e == 0) & (d > 0),
        (d == 0) & known & (r > 0),
        (e > 0) & (d == 0),
        (d > 0) & known & (r == 0),
        known & (r > 0) & (r < d),
        (d > 0) & (d < e),
        (e > 0) & (d > e),
        ~known,
    ]
    return np.select(conditions, np.arange(len(conditions)), default=len(conditions))


def owed_evidenced(e: np.ndarray, d: np.ndarray, r: np.ndarray, known: np.ndarray) -> np.ndarray:
    """max(E - delivered, 0) with delivered = R when there is evidence, else D."""
    delivered = np.where(known, r, d)
    return np.maximum(e - delivered, 0)
