"""Over-dispersed one-sided tests of units (clerks, offices, regions) against a yardstick.

A verified line comes up short with some probability. Honest units do not share one
probability: banks in one district report fees, some clerks serve families whose
confirmations are sloppier. So a unit's count of short lines is not binomial but
over-dispersed. We use the beta-binomial: with ``n`` lines and yardstick rate ``p0``,
the count has mean ``n p0`` and variance ``p0 (1 - p0) (n + rho (ss - n))``, where ``ss``
is the sum of squared sizes of the unit's parts (``n**2`` for a single unit, whose lines
are all correlated with each other; the sum over offices for a region made of offices).

``rho`` — the correlation of two lines of the same unit — is estimated from the units
themselves, robustly: the median of the Pearson residuals, so that a handful of cheats
cannot inflate it (a mean would, and would hide them). The yardstick is estimated from
finite peers too; its own variance is added, so a unit compared with few peers needs
a larger difference. Everything is numpy over arrays of units, never over lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import betabinom, binom, norm

# Median of a chi-square with one degree of freedom: the median squared Pearson residual
# of a unit that follows the model.
CHI2_1_MEDIAN = 0.45493642311957283
MIN_UNITS_FOR_RHO = 5


@dataclass(frozen=True)
class Test:
    """One test of every unit against its yardstick (NaN where a unit is not tested)."""

    p: np.ndarray  # one-sided p-value P(X >= short)
    p0: np.ndarray  # yardstick rate, smoothed by half a line
    rate: np.ndarray  # yardstick rate, raw (peer short / peer verified)
    rho: float | np.ndarray  # estimated (or given) dispersion of this level
    excess: np.ndarray  # short - n * p0: short lines beyond the yardstick
    sd: np.ndarray  # standard deviation of the short count under the null
    rho_eff: np.ndarray | None = None  # per unit: the dispersion of its own count's tail


def group_sums(group: np.ndarray, *values: np.ndarray) -> list[np.ndarray]:
    """Per-unit totals of each value over the unit's group (the unit included)."""
    size = int(group.max()) + 1 if len(group) else 0
    return [np.bincount(group, weights=v, minlength=size)[group] for v in values]


def tail(k: np.ndarray, n: np.ndarray, p0: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """P(X >= k) for X beta-binomial(n, mean p0, intra-class correlation rho); binomial at 0.

    Exact where k is above the mean — the only p-values that can ever be small enough
    to flag. At or below the mean (p of about one half or more) the normal
    approximation is used: SciPy's beta-binomial tail is a sum per unit, and half the
    units need no precision there.
    """
    k, n, p0 = (np.asarray(x, float) for x in (k, n, p0))
    rho = np.broadcast_to(np.asarray(rho, float), k.shape)
    out = np.full(k.shape, np.nan)
    ok = (n > 0) & np.isfinite(p0) & np.isfinite(rho)
    below = ok & (k <= n * p0)
    if below.any():
        var = n[below] * p0[below] * (1 - p0[below]) * (1 + (n[below] - 1) * rho[below])
        z = (k[below] - 0.5 - n[below] * p0[below]) / np.sqrt(np.maximum(var, 1e-300))
        out[below] = norm.sf(z)
    ok &= ~below
    plain = ok & (rho <= 1e-12)
    out[plain] = binom.sf(k[plain] - 1, n[plain], p0[plain])
    over = ok & ~plain
    if over.any():
        r = np.minimum(rho[over], 1 - 1e-9)
        s = 1.0 / r - 1.0
        with np.errstate(all="ignore"):
            out[over] = betabinom.sf(k[over] - 1, n[over], p0[over] * s, (1 - p0[over]) * s)
    return np.clip(out, 0.0, 1.0)


def _variance_factor(n, ss, peer_n, peer_ss, rho):
    """Null variance of (short - n p0_hat) in units of p0 (1 - p0)."""
    own = n + rho * (ss - n)
    with np.errstate(divide="ignore", invalid="ignore"):
        v0 = (peer_n + rho * (peer_ss - peer_n)) / peer_n**2
    return own + n**2 * v0


def estimate_rho(k, n, p0, ss, peer_n, peer_ss, use: np.ndarray) -> float:
    """The dispersion at which the median squared residual is that of a chi-square(1).

    Zero when the units vary no more than binomially; found by bisection (the
    scaled residuals fall monotonically as rho grows).
    """
    use = use & (n > 0) & (p0 > 0) & (p0 < 1) & (peer_n > 0)
    if use.sum() < MIN_UNITS_FOR_RHO:
        return 0.0
    k, n, p0, ss, pn, pss = (np.asarray(x, float)[use] for x in (k, n, p0, ss, peer_n, peer_ss))
    x = (k - n * p0) ** 2 / (p0 * (1 - p0))

    def excess_median(rho: float) -> float:
        return float(np.median(x / _variance_factor(n, ss, pn, pss, rho))) - CHI2_1_MEDIAN

    if excess_median(0.0) <= 0:
        return 0.0
    lo, hi = 0.0, 1.0
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if excess_median(mid) > 0 else (lo, mid)
    return hi


def versus(
    k: np.ndarray,
    n: np.ndarray,
    peer_k: np.ndarray,
    peer_n: np.ndarray,
    peer_ss: np.ndarray,
    testable: np.ndarray,
    *,
    ss: np.ndarray | None = None,
    rho: float | np.ndarray | None = None,
    min_rho_lines: int = 30,
    fit: np.ndarray | None = None,
    need: np.ndarray | None = None,
) -> Test:
    """Each unit's short count against its peers' pooled rate, over-dispersion included.

    ``peer_ss`` is the sum of squared sizes of the peer units (the yardstick's own
    noise); ``ss`` that of the unit's parts (default: the unit is one part). ``rho``
    is estimated from the testable units (those in ``fit``, when given) unless given
    (a level with too few units to estimate it, such as two regions, takes it from the
    level below). ``need`` limits the p-values computed (the scan's large runs).
    """
    k, n, peer_k, peer_n, peer_ss = (np.asarray(x, float) for x in (k, n, peer_k, peer_n, peer_ss))
    ss = n**2 if ss is None else np.asarray(ss, float)
    p0 = (np.nan_to_num(peer_k) + 0.5) / (np.nan_to_num(peer_n) + 1.0)
    p0 = np.clip(p0, 1e-12, 1 - 1e-12)
    raw = np.divide(peer_k, peer_n, out=np.full(k.shape, np.nan), where=peer_n > 0)
    testable = testable & (n > 0) & (peer_n > 0)
    if rho is None:
        use = testable & (n >= min_rho_lines) & (True if fit is None else fit)
        rho = estimate_rho(k, n, p0, ss, peer_n, peer_ss, use)
    factor = _variance_factor(n, ss, peer_n, peer_ss, rho)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho_eff = np.where(n > 1, (factor / n - 1) / (n - 1), 0.0)
    want = testable if need is None else testable & need
    p = np.full(k.shape, np.nan)
    p[want] = tail(k[want], n[want], p0[want], np.maximum(rho_eff, 0.0)[want])
    sd = np.sqrt(np.maximum(factor, 0) * p0 * (1 - p0))
    rho_out = rho if np.ndim(rho) else float(rho)
    return Test(p=p, p0=p0, rate=raw, rho=rho_out, excess=k - n * p0, sd=sd,
                rho_eff=np.maximum(rho_eff, 0.0))  # fmt: skip


def detectable(
    n: np.ndarray, p0: np.ndarray, rho_eff: np.ndarray, testable: np.ndarray, p_cut: float,
    min_lines: float, min_excess: float,
) -> np.ndarray:
    """The smallest short count each unit could have been flagged with, as a rate of its lines.

    The least k with tail p-value at most ``p_cut`` (the run's Benjamini–Hochberg cut-off)
    and an excess over the yardstick of at least ``min_lines`` lines and ``min_excess`` of
    the unit's lines, against the same yardstick and dispersion as the test. NaN where
    no count up to all its lines could have been flagged (too few lines), or the unit
    was not tested: an unflagged unit there is not cleared.

    SciPy's tail costs a sum per unit and call, too slow to search with for tens of
    thousands of clerks; so the whole tail of every unit is computed at once from the
    log-pmf (numpy, units in chunks), and the count found is checked against
    :func:`tail` at k and k - 1 — units where floating point disagrees are searched
    again by bisection with :func:`tail` itself.
    """
    n = np.asarray(n, float)
    p0 = np.asarray(p0, float)
    rho = np.asarray(rho_eff, float)
    lo = np.ceil(n * p0 + np.maximum(min_lines, min_excess * n) - 1e-9)
    ok = testable & (n > 0) & (lo <= n) & np.isfinite(p0) & np.isfinite(rho)
    out = np.full(n.shape, np.nan)
    idx = np.flatnonzero(ok)
    if not len(idx):
        return out
    k = _grid_first(n[idx], p0[idx], rho[idx], np.maximum(lo[idx], 0.0), p_cut)
    found = np.isfinite(k)
    kk = np.where(found, k, n[idx])
    at_k = tail(kk, n[idx], p0[idx], rho[idx]) <= p_cut
    before = np.where(kk - 1 >= lo[idx], tail(kk - 1, n[idx], p0[idx], rho[idx]) > p_cut, True)
    agree = np.where(found, at_k & before, ~at_k)
    redo = ~agree
    if redo.any():
        r = idx[redo]
        k[redo] = _bisect_first(n[r], p0[r], rho[r], np.maximum(lo[r], 0.0), p_cut)
    out[idx] = k / n[idx]
    return out


def _grid_first(n, p0, rho, lo, p_cut, cells: int = 2_000_000) -> np.ndarray:
    """Per unit the least k >= lo whose beta-binomial tail is at most p_cut (NaN: none).

    The pmf from k = lo on (to n, or ten standard deviations past the count where a
    normal tail would reach p_cut) by its ratio recurrence, in logs (one logarithm per count:
    pmf(j + 1) / pmf(j) = (n - j) (j + a) / ((j + 1) (n - j - 1 + b)); binomial:
    (n - j) p / ((j + 1) (1 - p))), its tail by a reversed cumulative sum; units sorted
    by the counts they need and taken in chunks.
    """
    from scipy.special import betaln, gammaln

    out = np.full(n.shape, np.nan)
    # counts above lo, up to well past where a normal tail would reach p_cut (the terms
    # beyond are negligible; a unit for which they are not is caught by the exact check)
    sd = np.sqrt(n * p0 * (1 - p0) * (1 + (n - 1) * rho))
    reach = n * p0 + float(norm.isf(p_cut)) * sd
    span = np.minimum(n - lo, np.ceil(np.maximum(reach - lo, 0) + 10 * sd + 20))
    order = np.argsort(span, kind="stable")
    at = 0
    while at < len(order):
        rows = max(1, cells // (int(span[order[at]]) + 1))
        chunk = order[at : at + rows]
        width = int(span[chunk].max()) + 1
        at += len(chunk)
        nn, pp, rr, ll, ss = (x[chunk][:, None] for x in (n, p0, rho, lo, span))
        plain = rr <= 1e-12
        r = np.minimum(np.where(plain, 0.5, rr), 1 - 1e-9)
        a = pp * (1.0 / r - 1.0)
        b = (1 - pp) * (1.0 / r - 1.0)
        comb = gammaln(nn + 1) - gammaln(ll + 1) - gammaln(nn - ll + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            start = np.where(plain, comb + ll * np.log(pp) + (nn - ll) * np.log1p(-pp),
                             comb + betaln(ll + a, nn - ll + b) - betaln(a, b))  # fmt: skip
            j = ll + np.arange(width - 1)[None, :]  # the step from j to j + 1
            ratio = np.where(plain, (nn - j) * pp / ((j + 1) * (1 - pp)),
                             (nn - j) * (j + a) / ((j + 1) * (nn - j - 1 + b)))  # fmt: skip
            steps = np.log(np.where(j < nn, ratio, 1.0))
        logpmf = np.concatenate([start, start + np.cumsum(steps, axis=1)], axis=1)
        inside = np.arange(width)[None, :] <= ss
        pmf = np.where(inside, np.exp(logpmf), 0.0)
        sf = np.cumsum(pmf[:, ::-1], axis=1)[:, ::-1]  # P(X >= lo + i)
        good = inside & (sf <= p_cut)
        first = np.argmax(good, axis=1).astype(float)
        out[chunk] = np.where(good.any(axis=1), ll[:, 0] + first, np.nan)
    return out


def _bisect_first(n, p0, rho, lo, p_cut) -> np.ndarray:
    """The same as :func:`_grid_first`, by bisection with :func:`tail` (slow, exact)."""
    reach = tail(n, n, p0, rho) <= p_cut
    a, b = lo - 1, n.copy()  # tail(a) > p_cut (or a below the rules' minimum), tail(b) <= p_cut
    while True:
        open_ = reach & (b - a > 1)
        if not open_.any():
            break
        mid = np.floor((a + b) / 2)
        good = tail(mid, n, p0, rho) <= p_cut
        b = np.where(open_ & good, mid, b)
        a = np.where(open_ & ~good, mid, a)
    return np.where(reach, b, np.nan)


def group_median(group: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Each unit's group median of ``x`` (NaN ignored), by one sort: no loop over groups."""
    ok = np.isfinite(x)
    size = int(group.max(initial=0)) + 1
    g, v = group[ok], x[ok]
    order = np.lexsort((v, g))
    g, v = g[order], v[order]
    counts = np.bincount(g, minlength=size)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    med = np.full(size, np.nan)
    has = counts > 0
    lo = starts[has] + (counts[has] - 1) // 2
    hi = starts[has] + counts[has] // 2
    med[has] = (v[lo] + v[hi]) / 2
    return med[group]


@dataclass(frozen=True)
class Scan:
    """The most unusual run of consecutive periods per unit (Bonferroni over the runs)."""

    p: np.ndarray
    first: np.ndarray  # index of the run's first period (-1 if none)
    last: np.ndarray
    excess: np.ndarray  # excess short lines in the run
    rate: np.ndarray  # the unit's short rate in the run
    p0: np.ndarray  # the yardstick's in the run


def scan(
    k: np.ndarray,
    n: np.ndarray,
    peer_k: np.ndarray,
    peer_n: np.ndarray,
    peer_units: np.ndarray,
    testable: np.ndarray,
    rho: float | np.ndarray,
    *,
    min_lines: int,
    min_excess: float,
) -> Scan:
    """Each unit's worst run of months against its peers in the same months.

    ``k``, ``n``, ``peer_k``, ``peer_n`` are (units, periods). Every run of
    consecutive periods is tested with :func:`versus`'s model (the level's rho;
    peers taken as equal-sized, so their own noise is ``peer_n**2 / peer_units``);
    runs whose excess is too small to flag are skipped; the smallest p-value is
    multiplied by the number of runs (Bonferroni: a valid, slightly conservative
    bound for the maximum over overlapping runs).
    """
    units, periods = k.shape
    runs = [(a, b) for a in range(periods) for b in range(a, periods)]
    best_p = np.full(units, np.nan)
    first = np.full(units, -1)
    last = np.full(units, -1)
    ex = np.zeros(units)
    rate = np.full(units, np.nan)
    base = np.full(units, np.nan)
    if not runs or not units:
        return Scan(best_p, first, last, ex, rate, base)
    cum = [np.concatenate([np.zeros((units, 1)), np.cumsum(x, axis=1)], axis=1)
           for x in (k, n, peer_k, peer_n)]  # fmt: skip
    a_idx = np.array([a for a, _ in runs])
    b_idx = np.array([b for _, b in runs]) + 1
    kk, nn, pk, pn = (c[:, b_idx] - c[:, a_idx] for c in cum)  # (units, runs)
    m = np.maximum(np.asarray(peer_units, float), 1.0)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        p0_run = (pk + 0.5) / (pn + 1.0)
        need = ((kk - nn * p0_run) >= min_lines) & (kk / nn - p0_run >= min_excess)
    test = versus(
        kk.ravel(), nn.ravel(), pk.ravel(), pn.ravel(), (pn**2 / m).ravel(),
        np.repeat(testable, len(runs)),
        rho=np.repeat(np.broadcast_to(np.asarray(rho, float), (units,)), len(runs)),
        need=need.ravel(),
    )  # fmt: skip
    p = test.p.reshape(kk.shape)
    excess = test.excess.reshape(kk.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = kk / nn - test.p0.reshape(kk.shape)
    big = (excess >= min_lines) & (lift >= min_excess)
    p = np.where(big & np.isfinite(p), p, np.inf)
    j = np.argmin(p, axis=1)
    rows = np.arange(units)
    found = np.isfinite(p[rows, j])
    best_p = np.where(found, np.minimum(p[rows, j] * len(runs), 1.0), np.nan)
    best_p = np.where(testable & ~found, 1.0, best_p)
    first = np.where(found, a_idx[j], -1)
    last = np.where(found, b_idx[j] - 1, -1)
    ex = np.where(found, excess[rows, j], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(found, kk[rows, j] / nn[rows, j], np.nan)
    base = np.where(found, test.p0.reshape(kk.shape)[rows, j], np.nan)
    return Scan(best_p, first, last, ex, rate, base)


def money_interval(
    lost: np.ndarray, short: np.ndarray, test: Test, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Half-width pair for the excess loss: the null sd of the short count, in money.

    Each short line is valued at the unit's own average loss per short line, so the
    interval is (excess lines ± z sd) × lost ÷ short. Floating point, rounded to the tiyn:
    the point amount is computed exactly elsewhere; the upper end is shown, and a clerk's
    families tests hold it to the money line (``significance._material``).
    """
    z = float(norm.ppf(0.5 + level / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        per_line = np.where(short > 0, np.asarray(lost, float) / short, 0.0)
    half = z * np.nan_to_num(test.sd) * per_line
    return half, per_line
