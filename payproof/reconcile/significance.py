"""Is a clerk's record worse than their peers'? A one-sided binomial test with BH correction.

For each clerk we count verified lines (the family-month has receipt evidence)
and short lines (the family received less than was paid out). Under the null
hypothesis the clerk's lines come up short at the same rate as their peers':
the other clerks of the same office, or of the region when the office has too
few, or of the whole programme. The one-sided p-value is P(X >= short) for
X ~ Binomial(verified, peer rate). A second test counts lines paid into
accounts shared by several families (counted in families, since one
family's lines are not independent). All p-values of a run are adjusted
together with Benjamini–Hochberg (false discovery rate).

A clerk is flagged only when the adjusted q-value is small *and* the effect is
large enough to matter: with a quarter of a million lines even a tiny
difference is "significant", and an auditor needs clerks whose records are
grossly different, not slightly unlucky. See docs/attribution.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from scipy.stats import binom


@dataclass(frozen=True)
class FlagSettings:
    alpha: float = 0.01  # BH-adjusted q below this
    min_excess: float = 0.05  # rate at least 5 percentage points above peers'
    min_ratio: float = 2.0  # and at least twice the peers' rate
    min_lines: int = 5  # and at least this many short lines (or shared-account families)
    min_peer_lines: int = 100  # a peer group needs this many lines (families) as a baseline
    min_peers: int = 2


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """BH-adjusted q-values (monotone, capped at 1); NaN p-values stay NaN and are not counted."""
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return q
    pv = p[ok]
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(ranked, 1.0)
    q[ok] = adjusted
    return q


def _col(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False)


def _peer_choice(t: pa.Table, count: str, settings: FlagSettings):
    """Pick each clerk's peer group: office, else region, else programme."""
    n = t.num_rows
    scope = np.full(n, "all", dtype=object)
    peer_n = _col(t, f"all_{count}").astype(float)
    for name in ("region", "office"):
        enough = (_col(t, f"{name}_peers") >= settings.min_peers) & (
            np.nan_to_num(_col(t, f"{name}_{count}").astype(float)) >= settings.min_peer_lines
        )
        scope = np.where(enough, name, scope)
    peer_n = np.select(
        [scope == "office", scope == "region"],
        [_col(t, f"office_{count}").astype(float), _col(t, f"region_{count}").astype(float)],
        peer_n,
    )
    return scope, peer_n


def _peer_hits(t: pa.Table, hits: str, scope: np.ndarray) -> np.ndarray:
    return np.select(
        [scope == "office", scope == "region"],
        [_col(t, f"office_{hits}").astype(float), _col(t, f"region_{hits}").astype(float)],
        _col(t, f"all_{hits}").astype(float),
    )


def _one_sided(hits: np.ndarray, n: np.ndarray, peer_hits: np.ndarray, peer_n: np.ndarray):
    """p = P(X >= hits), X ~ Bin(n, p0); p0 is the peers' rate with a half-line of smoothing.

    The smoothing keeps a peer group with no short lines at all from making a
    single short line look impossible.
    """
    p0 = (np.nan_to_num(peer_hits) + 0.5) / (np.nan_to_num(peer_n) + 1.0)
    p0 = np.clip(p0, 1e-12, 1 - 1e-12)
    with np.errstate(invalid="ignore"):
        p = binom.sf(hits - 1, n, p0)
    p = np.where(n > 0, p, np.nan)
    raw_rate = np.divide(peer_hits, peer_n, out=np.full(n.shape, np.nan), where=peer_n > 0)
    return p, p0, raw_rate


def _large(hits, n, p0, settings: FlagSettings) -> np.ndarray:
    rate = np.divide(hits, n, out=np.zeros(n.shape), where=n > 0)
    return (
        (hits >= settings.min_lines)
        & (rate - p0 >= settings.min_excess)
        & (rate >= settings.min_ratio * p0)
    )


def test_staff(peers: pa.Table, settings: FlagSettings | None = None) -> pa.Table:
    """Add peer_group, peer rates, p/q values, flagged and flag_reason to the peer table."""
    s = settings or FlagSettings()
    scope, peer_n = _peer_choice(peers, "verified_lines", s)
    short = _col(peers, "short_lines").astype(float)
    verified = _col(peers, "verified_lines").astype(float)
    p_short, p0_short, rate_short = _one_sided(
        short, verified, _peer_hits(peers, "short_lines", scope), peer_n
    )
    # Families, not lines: one family's account is paid every month, so its
    # lines are not independent trials.
    scope_sh, peer_families = _peer_choice(peers, "families", s)
    shared = _col(peers, "shared_account_families").astype(float)
    families = _col(peers, "families").astype(float)
    p_shared, p0_shared, rate_shared = _one_sided(
        shared, families, _peer_hits(peers, "shared_account_families", scope_sh), peer_families
    )
    q_all = benjamini_hochberg(np.concatenate([p_short, p_shared]))
    q_short, q_shared = q_all[: len(p_short)], q_all[len(p_short) :]
    flag_short = (np.nan_to_num(q_short, nan=1.0) < s.alpha) & _large(short, verified, p0_short, s)
    flag_shared = (np.nan_to_num(q_shared, nan=1.0) < s.alpha) & _large(
        shared, families, p0_shared, s
    )
    reasons = _reasons(peers, flag_short, flag_shared, rate_short, rate_shared, q_short, q_shared)
    group_ids = np.where(
        scope == "office",
        "office:" + np.asarray(_col(peers, "office_id"), dtype=object).astype(str),
        np.where(
            scope == "region",
            "region:" + np.asarray(_col(peers, "region"), dtype=object).astype(str),
            "all",
        ),
    )
    out = peers
    for name, values, typ in (
        ("peer_group", group_ids.tolist(), pa.string()),
        ("peer_short_rate", rate_short, pa.float64()),
        ("p_value", p_short, pa.float64()),
        ("q_value", q_short, pa.float64()),
        ("peer_shared_account_rate", rate_shared, pa.float64()),
        ("shared_account_q_value", q_shared, pa.float64()),
        ("flagged", flag_short | flag_shared, pa.bool_()),
        ("flag_reason", reasons, pa.string()),
    ):
        arr = pa.array(values, type=typ, from_pandas=True)
        out = out.append_column(name, arr)
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%" if x >= 0.001 or x == 0 else f"{100 * x:.2f}%"


def _reasons(t, flag_short, flag_shared, rate_short, rate_shared, q_short, q_shared) -> list:
    """Plain words for flagged clerks only (a handful), so a Python loop is fine here."""
    reasons: list[str | None] = [None] * t.num_rows
    idx = np.flatnonzero(flag_short | flag_shared)
    if not len(idx):
        return reasons
    sub = t.take(pa.array(idx)).to_pydict()
    for k, i in enumerate(idx):
        parts = []
        if flag_short[i]:
            v, sh = sub["verified_lines"][k], sub["short_lines"][k]
            text = (
                f"{sh} of {v} verified lines came up short ({_pct(sh / v)}; "
                f"peers {_pct(np.nan_to_num(rate_short[i]))})"
            )
            ratio = sub["median_ratio"][k]
            if ratio is not None and ratio < 0.995:
                text += f", typical received÷disbursed {ratio:.2f}"
            if sub["nothing_lines"][k]:
                text += f", nothing received on {sub['nothing_lines'][k]} lines"
            parts.append(text + f" (q={q_short[i]:.1e})")
        if flag_shared[i]:
            parts.append(
                f"paid {sub['shared_account_families'][k]} of {sub['families'][k]} families "
                "into accounts shared with other families "
                f"(peers {_pct(np.nan_to_num(rate_shared[i]))}; "
                f"q={q_shared[i]:.1e})"
            )
        if sub["complaints"][k]:
            bribes = sub["bribe_complaints"][k]
            parts.append(
                f"named in {sub['complaints'][k]} complaints"
                + (f", {bribes} about bribes" if bribes else "")
            )
        reasons[i] = "; ".join(parts)
    return reasons
