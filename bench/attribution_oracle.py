"""How many of the attribution's misses could any test have found? An oracle bound.

For every cheat the review programmes' audit did not find (``bench/attribution_review.py``:
not flagged by a payment test, not in an office flagged as a whole), the best a test on
its counts could do is to know the *true* honest rate — which the generator's truth gives
and no audit has. So, per missed cheat, the one-sided p-value of

- its short lines against the true honest rate of each of its lines: a bank statement or
  confirmation is honestly short with its office's ``receipt_noise_rate``
  (truth/offices.csv), a survey with ``survey_misreport_rate`` (scenario.json); the count
  is a sum of two binomials, its tail exact (``lines``);
- for an intermittent diverter, the same over its true months only — an oracle told the
  months (``months``; a test that must search for them pays for the search);
- its materially short families (more than 5 % missing) against the true honest rate of
  a family being materially short: 0 where the honest noise never takes more than 5 %
  (``--receipt-noise-max`` at most 0.05), so one such family is proof for the oracle
  (``families``: 0 or 1; with more noise the bench says the rate is unknown and skips it).

Each p is compared with what it would need to be rejected among the run's tests: alpha
over the run's number of tests (Bonferroni) and alpha (R + 1) / m (Benjamini–Hochberg,
the run's R rejections plus this one); m and R are counted from the run's q-values
(staff.csv, offices.csv, regions.csv). Also printed: the honest clerks' observed short
rates beside the true ones (a check that the truth is read right).

    PYTHONPATH=. python bench/attribution_oracle.py --seeds 1-6 --work /tmp/attr/review

Uses the programmes and audits ``attribution_review.py`` leaves in ``--work`` (generated
and audited here if missing, with ``--audit`` audited again with the working copy).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import duckdb
import numpy as np
from scipy.stats import binom

sys.path.insert(0, str(Path(__file__).resolve().parent))
from attribution_review import _loss, _seeds, review  # noqa: E402

ALPHA = 0.01  # FlagSettings.alpha
STAFF_Q = ("region_q_value", "months_q_value", "shared_account_q_value",
           "material_families_q_value", "region_material_families_q_value",
           "bank_q_value")  # fmt: skip
OFFICE_Q = ("region_q_value", "programme_q_value", "months_q_value", "material_region_q_value",
            "material_programme_q_value")  # fmt: skip


def sum_of_binomials_sf(k: int, n1: int, p1: float, n2: int, p2: float) -> float:
    """P(X1 + X2 >= k) for independent binomials, exactly (a convolution)."""
    if k <= 0:
        return 1.0
    a = binom.pmf(np.arange(n1 + 1), n1, p1)
    b = binom.pmf(np.arange(n2 + 1), n2, p2)
    pmf = np.convolve(a, b)
    return float(min(1.0, max(0.0, pmf[k:].sum())))


def run_tests(out: Path) -> tuple[int, int]:
    """(m, R): the p-values in the run's Benjamini–Hochberg family and how many it rejected.

    The clerk's ``q_value`` is its office test's where ``peer_group`` is an office (else it
    repeats the region test's, counted in ``region_q_value``)."""
    qs: list[float] = []
    staff = duckdb.sql(f"SELECT * FROM '{out}/staff.csv'").fetchnumpy()
    office = np.array([str(g).startswith("office:") for g in staff["peer_group"]])
    qs += list(np.asarray(staff["q_value"], float)[office])
    for c in STAFF_Q:
        qs += list(np.asarray(staff[c], float))
    offices = duckdb.sql(f"SELECT * FROM '{out}/offices.csv'").fetchnumpy()
    for c in OFFICE_Q:
        qs += list(np.asarray(offices[c], float))
    qs += list(np.asarray(duckdb.sql(f"SELECT q_value FROM '{out}/regions.csv'").fetchnumpy()
                          ["q_value"], float))  # fmt: skip
    q = np.array(qs, float)
    q = q[np.isfinite(q)]
    return len(q), int((q < ALPHA).sum())


def oracle(seed: int, work: Path, families: int, noise_max: float, audit: bool) -> dict:
    kind = f"cheats-noise{noise_max:g}-f{families}"
    gen, out = work / kind / f"seed{seed}" / "input", work / kind / f"seed{seed}" / "out"
    if audit or not (out / "staff.csv").exists():
        review(seed, work, False, families, False, noise_max)
    params = json.loads((gen / "truth" / "scenario.json").read_text())["parameters"]
    survey_rate = float(params["survey_misreport_rate"])
    fam_rate_known = float(params["receipt_noise_max"]) <= 0.05
    m, rejected = run_tests(out)
    bonf, bh = ALPHA / m, ALPHA * (rejected + 1) / m
    # per clerk: verified / short lines by source group, overall and in the true months
    rows = duckdb.sql(
        f"""WITH t AS (SELECT staff_id, role, active_months FROM '{gen}/truth/staff.csv'),
        o AS (SELECT office_id, CAST(receipt_noise_rate AS DOUBLE) AS noise
              FROM '{gen}/truth/offices.csv'),
        f AS (SELECT staff_id, family_id, period, evidence = 'survey' AS survey,
                received < disbursed AS short,
                20 * (disbursed - received) > disbursed AS material
              FROM '{out}/findings.parquet' WHERE received IS NOT NULL AND staff_id IS NOT NULL),
        x AS (SELECT f.*, list_contains(string_split(coalesce(t.active_months, ''), ';'),
                f.period) AS active FROM f JOIN t USING (staff_id))
        SELECT t.staff_id, t.role, s.office_id, o.noise,
          {_loss("s.flagged_by")} OR (s.in_flagged_office AND NOT
            coalesce(s.application_in_flagged_office, false)) AS found,
          count(*) FILTER (WHERE NOT x.survey), count(*) FILTER (WHERE x.survey),
          count(*) FILTER (WHERE x.short),
          count(*) FILTER (WHERE NOT x.survey AND x.active),
          count(*) FILTER (WHERE x.survey AND x.active),
          count(*) FILTER (WHERE x.short AND x.active),
          count(DISTINCT x.family_id) FILTER (WHERE x.material),
          count(DISTINCT x.family_id), s.p_value, s.q_value, s.material_families_q_value,
          s.months_q_value, s.detectable_short_rate
        FROM t JOIN '{out}/staff.csv' s USING (staff_id) JOIN o USING (office_id)
        LEFT JOIN x USING (staff_id)
        GROUP BY ALL ORDER BY t.staff_id"""
    ).fetchall()
    honest = np.array([r[5:8] + (r[3],) for r in rows if r[1] == "honest"], float)
    check = {
        "honest_short_observed": int(honest[:, 2].sum()) if len(honest) else 0,
        "honest_short_expected": float((honest[:, 0] * honest[:, 3]).sum()
                                       + honest[:, 1].sum() * survey_rate) if len(honest) else 0,
    }  # fmt: skip
    misses = []
    for (sid, role, office, noise, found, n_bc, n_s, k, a_bc, a_s, a_k, mat_f, fams,
         p_own, q_own, q_fam, q_months, detect) in rows:  # fmt: skip
        if role == "honest" or found or role == "ghost_maker":
            continue
        p_lines = sum_of_binomials_sf(int(k), int(n_bc), noise, int(n_s), survey_rate)
        p_months = (sum_of_binomials_sf(int(a_k), int(a_bc), noise, int(a_s), survey_rate)
                    if role == "intermittent_diverter" else None)  # fmt: skip
        p_fam = (0.0 if mat_f else 1.0) if fam_rate_known else None
        misses.append({
            "seed": seed, "staff_id": sid, "role": role, "office": office, "noise": noise,
            "verified": int(n_bc + n_s), "short": int(k),
            "expected": n_bc * noise + n_s * survey_rate,
            "p_lines": p_lines, "p_months": p_months, "material_families": int(mat_f),
            "verified_families": int(fams), "p_families": p_fam, "p_own": p_own, "q_own": q_own,
            "q_families": q_fam, "q_months": q_months, "detectable": detect,
        })  # fmt: skip
    return {"seed": seed, "tests": m, "rejected": rejected, "bonferroni": bonf, "bh": bh,
            "check": check, "misses": misses}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1-6")
    ap.add_argument("--work", type=Path, default=Path("/tmp/attribution-review"))
    ap.add_argument("--families", type=int, default=5000)
    ap.add_argument("--noise-max", type=float, default=0.03)
    ap.add_argument("--audit", action="store_true", help="audit again with the working copy")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    runs = [oracle(s, args.work, args.families, args.noise_max, args.audit)
            for s in _seeds(args.seeds)]  # fmt: skip
    tally: Counter = Counter()
    print(
        "seed staff role                   ver  short  exp   p_lines  p_months  matfam/fam"
        "  q_own   q_fam   q_months  pass(lines:bonf/bh months:bonf/bh)"
    )
    for r in runs:
        c = r["check"]
        print(
            f"# seed {r['seed']}: {r['tests']} tests, {r['rejected']} rejected; cut Bonferroni "
            f"{r['bonferroni']:.2e}, BH {r['bh']:.2e}; honest short lines "
            f"{c['honest_short_observed']} observed, {c['honest_short_expected']:.0f} expected"
        )
        for x in r["misses"]:
            lb, lh = x["p_lines"] <= r["bonferroni"], x["p_lines"] <= r["bh"]
            pm = x["p_months"]
            mb = pm is not None and pm <= r["bonferroni"]
            mh = pm is not None and pm <= r["bh"]
            tally[f"{x['role']}: missed"] += 1
            tally[f"{x['role']}: lines pass Bonferroni"] += lb
            tally[f"{x['role']}: lines pass BH"] += lh
            tally[f"{x['role']}: lines or true months pass BH"] += lh or mh
            tally[f"{x['role']}: >=1 materially short family"] += x["material_families"] >= 1
            tally[f"{x['role']}: >=2 materially short families"] += x["material_families"] >= 2
            print(f"{r['seed']:4d} {x['staff_id']} {x['role']:22s} {x['verified']:4d} "
                  f"{x['short']:5d} {x['expected']:5.1f} {x['p_lines']:9.2e} "
                  f"{'' if pm is None else f'{pm:9.2e}':>9s} {x['material_families']:3d}/"
                  f"{x['verified_families']:<3d} {_g(x['q_own'])} {_g(x['q_families'])} "
                  f"{_g(x['q_months'])}  {int(lb)}/{int(lh)} {int(mb)}/{int(mh)}")  # fmt: skip
    print("\nper role:")
    for key in sorted(tally):
        print(f"  {key:55s} {tally[key]}")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "tally": tally}, indent=1, default=float))


def _g(x) -> str:
    return "     -" if x is None or x != x else f"{x:7.1e}"


if __name__ == "__main__":
    main()
