"""Benjamini–Hochberg and the per-clerk test on hand-made peer tables."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
from scipy.stats import binom

from payproof.reconcile.significance import FlagSettings, benjamini_hochberg, flag_staff


def test_bh_matches_hand_computation():
    # sorted p: .005 .01 .03 .04 -> p*m/rank: .02 .02 .04 .04 (already monotone)
    q = benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.005]))
    assert np.allclose(q, [0.02, 0.04, 0.04, 0.02])


def test_bh_is_monotone_capped_and_skips_nan():
    q = benjamini_hochberg(np.array([0.9, np.nan, 0.5, 0.95]))
    assert math.isnan(q[1])
    assert np.allclose(q[[0, 2, 3]], [0.95, 0.95, 0.95])  # m = 3, not 4
    assert (benjamini_hochberg(np.array([0.8, 0.9])) <= 1).all()


def _peers(rows: list[dict]) -> pa.Table:
    """Build the peer table the SQL step makes, with peer totals over one office."""
    keys = ("verified_lines", "short_lines", "families", "shared_account_families")
    n = len(rows)
    for r in rows:
        r.setdefault("families", r["verified_lines"] // 12)
        r.setdefault("shared_account_families", 0)
    for r in rows:
        r.setdefault("families", r["verified_lines"] // 12)
        r.setdefault("shared_account_families", 0)
        r.setdefault("lines", r["verified_lines"])
        r.setdefault("nothing_lines", 0)
        r.setdefault("median_ratio", 1.0)
        r.setdefault("complaints", 0)
        r.setdefault("bribe_complaints", 0)
        r["office_id"], r["region"] = "O1", "South"
        for scope in ("office", "region", "all"):
            r[f"{scope}_peers"] = n - 1
            for k in keys:
                r[f"{scope}_{k}"] = sum(x[k] for x in rows) - r[k]
    return pa.Table.from_pylist(rows)


def test_skimmer_flagged_honest_clerks_not():
    rows = [
        {"staff_id": "S1", "verified_lines": 1000, "short_lines": 2},
        {"staff_id": "S2", "verified_lines": 900, "short_lines": 3},
        {"staff_id": "S3", "verified_lines": 1100, "short_lines": 1},
        {"staff_id": "SK", "verified_lines": 400, "short_lines": 400, "median_ratio": 0.7},
    ]
    out = flag_staff(_peers(rows)).to_pylist()
    flagged = {r["staff_id"]: r["flagged"] for r in out}
    assert flagged == {"S1": False, "S2": False, "S3": False, "SK": True}
    sk = next(r for r in out if r["staff_id"] == "SK")
    assert "400 of 400 verified lines came up short" in sk["flag_reason"]
    assert "0.70" in sk["flag_reason"]
    assert sk["peer_group"] == "office:O1"
    # p-value is the exact binomial tail against the smoothed peer rate
    s1 = next(r for r in out if r["staff_id"] == "S1")
    p0 = (3 + 1 + 400 + 0.5) / (900 + 1100 + 400 + 1)
    assert math.isclose(s1["p_value"], binom.sf(1, 1000, p0), rel_tol=1e-9)


def test_small_but_significant_difference_is_not_flagged():
    # 3 % short against peers' 1 %: significant with this many lines, but too small to flag.
    rows = [
        {"staff_id": "A", "verified_lines": 10000, "short_lines": 300},
        {"staff_id": "B", "verified_lines": 10000, "short_lines": 100},
        {"staff_id": "C", "verified_lines": 10000, "short_lines": 100},
    ]
    out = flag_staff(_peers(rows)).to_pylist()
    a = out[0]
    assert a["q_value"] < 1e-10
    assert not a["flagged"]
    assert flag_staff(_peers(rows), FlagSettings(min_excess=0.01)).to_pylist()[0]["flagged"]


def test_shared_account_families_flagged():
    rows = [
        {"staff_id": "A", "verified_lines": 1200, "short_lines": 0, "families": 100},
        {"staff_id": "B", "verified_lines": 1200, "short_lines": 0, "families": 100,
         "shared_account_families": 1},
        {"staff_id": "G", "verified_lines": 600, "short_lines": 0, "families": 80,
         "shared_account_families": 30},
    ]  # fmt: skip
    out = {r["staff_id"]: r for r in flag_staff(_peers(rows)).to_pylist()}
    assert [out[k]["flagged"] for k in "ABG"] == [False, False, True]
    assert "paid 30 of 80 families into accounts shared" in out["G"]["flag_reason"]


def test_no_verified_lines_gives_no_p_value():
    rows = [
        {"staff_id": "A", "verified_lines": 0, "short_lines": 0},
        {"staff_id": "B", "verified_lines": 500, "short_lines": 1},
    ]
    out = flag_staff(_peers(rows)).to_pylist()
    assert out[0]["p_value"] is None and not out[0]["flagged"]
