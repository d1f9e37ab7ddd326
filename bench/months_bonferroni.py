"""How conservative is the months test's Bonferroni factor? (issue 10, next step (a))

The months test (``payproof.reconcile.hierarchy.scan``) takes each clerk's smallest
p-value over the 78 runs of consecutive months of a year (runs whose excess is too small
to flag are skipped) and multiplies it by 78. That bound is valid for the maximum over
overlapping runs, but how far from the truth is it? Here an honest clerk's monthly short
counts are simulated under the null (binomial, the yardstick rate known), the product's
own scan rules and tail are applied, and the share of honest clerks whose Bonferroni
p-value falls at or below x is compared with x: a ratio of 1 would be exact, 0.25 means
the bound is four times too strict (the effective number of runs is a quarter of 78).

    python bench/months_bonferroni.py            # ~1 minute
"""

from __future__ import annotations

import argparse

import numpy as np

from payproof.reconcile.hierarchy import tail

MONTHS = 12


def simulate(lines_per_month: int, p0: float, clerks: int, rng, min_lines=5, min_excess=0.02):
    runs = [(a, b) for a in range(MONTHS) for b in range(a, MONTHS)]
    k = rng.binomial(lines_per_month, p0, size=(clerks, MONTHS))
    cum = np.concatenate([np.zeros((clerks, 1)), np.cumsum(k, 1)], 1)
    best = np.ones(clerks)
    for a, b in runs:
        kk = cum[:, b + 1] - cum[:, a]
        nn = np.full(clerks, float(lines_per_month * (b - a + 1)))
        ok = (kk - nn * p0 >= min_lines) & (kk / nn - p0 >= min_excess)
        if ok.any():
            p = tail(kk[ok], nn[ok], np.full(ok.sum(), p0), np.zeros(ok.sum()))
            best[ok] = np.minimum(best[ok], p)
    return np.minimum(best * len(runs), 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clerks", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    print("lines/month  yardstick  P(bonferroni p <= x) / x  for x = 1e-2, 1e-3, 1e-4")
    for lines in (10, 30, 100):
        p = simulate(lines, 0.09, args.clerks, rng)
        ratios = [(p <= x).mean() / x for x in (1e-2, 1e-3, 1e-4)]
        print(f"{lines:11d}  {0.09:9.2f}  " + "  ".join(f"{r:.2f}" for r in ratios))


if __name__ == "__main__":
    main()
