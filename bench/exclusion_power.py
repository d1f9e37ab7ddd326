"""Exclusion error on generated programmes: exact amounts, and clerks flagged by role.

    PYTHONPATH=. python bench/exclusion_power.py --families 20000 --seeds 5
    PYTHONPATH=. python bench/exclusion_power.py --families 20000 --seeds 20 --honest

For each seed: generate the programme (population register and applications included),
audit it (no ghosts, no report), and compare with the truth: excluded mothers found with
the exact kind, months and amount; rejecting and delaying clerks flagged; honest clerks
flagged (false flags). Prints one ``bench exclusion`` line per seed and a total, and one
``bench exclusion.missed`` line per unflagged rejecter or delayer: its observed rate on its
role's test and its detection limit (staff.csv's ``detectable_*_rate``).

Per role, ``<role>_flagged`` counts clerks flagged individually on applications
(``application_flagged``) and ``<role>_found`` those flagged individually *or* listed in
an office flagged as a whole on applications (``application_in_flagged_office``: issue
10's "the cheat or its office is flagged"); for honest clerks the second is the false
flags counted the attribution's way (flagged or listed in a flagged office).
``honest_offices_flagged`` counts offices flagged on applications none of whose deciding
clerks rejects, delays or takes bribes. ``--honest`` generates honest programmes: no
rejecting, delaying or payment-fraud clerk (so no bribe taker either), the false-flag
study of docs/audit.md.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import duckdb

from payproof.audit import run_audit
from payproof.scenario.config import ScenarioConfig
from payproof.scenario.generate import generate_scenario

HONEST = {"rejecter_share": 0.0, "delayer_share": 0.0, "skimmer_share": 0.0,
          "diverter_share": 0.0, "ghost_maker_share": 0.0}


def one(folder: Path, families: int, seed: int, honest: bool = False) -> dict:
    data, out = folder / "input", folder / "out"
    shutil.rmtree(folder, ignore_errors=True)
    generate_scenario(data, ScenarioConfig(families=families, seed=seed,
                                           **(HONEST if honest else {})))  # fmt: skip
    t0 = time.perf_counter()
    run_audit(data, out, ghosts=False, report=False)
    seconds = time.perf_counter() - t0
    truth, exact = duckdb.sql(
        f"""SELECT count(t.mother_id), count(*) FILTER (WHERE t.kind = a.kind
              AND CAST(t.months AS INTEGER) = a.months
              AND CAST(t.amount_due AS DECIMAL(18,2)) = a.amount_due)
        FROM read_csv('{data}/truth/excluded.csv', all_varchar = true) t
        LEFT JOIN read_csv('{out}/excluded.csv', types = {{'amount_due': 'DECIMAL(18,2)',
          'months': 'INTEGER', 'mother_id': 'VARCHAR'}}) a USING (mother_id)"""
    ).fetchall()[0]
    extra = duckdb.sql(
        f"""SELECT count(*) FROM read_csv('{out}/excluded.csv', all_varchar = true)
        WHERE mother_id NOT IN (SELECT mother_id FROM
          read_csv('{data}/truth/excluded.csv', all_varchar = true))"""
    ).fetchall()[0][0]
    roles, found = {}, {}
    # deciding clerks only (a clerk who decided no application cannot be judged on them)
    for r, n, f, w in duckdb.sql(
        f"""SELECT t.application_role, count(*),
          count(*) FILTER (WHERE coalesce(s.application_flagged, false)),
          count(*) FILTER (WHERE coalesce(s.application_flagged, false)
                           OR coalesce(s.application_in_flagged_office, false))
        FROM '{data}/truth/application_clerks.csv' t
        JOIN '{out}/staff.csv' s USING (staff_id) WHERE s.applications > 0 GROUP BY 1"""
    ).fetchall():
        roles[r], found[r] = (int(n), int(f)), (int(n), int(w))
    # each missed rejecter / delayer: its observed rate on its role's test and its limit
    limits = (
        f"""SELECT t.application_role, s.staff_id,
          CASE WHEN t.application_role = 'rejecter' THEN s.eligible_applications
               ELSE s.applications END AS n,
          CASE WHEN t.application_role = 'rejecter'
               THEN s.rejected_eligible / nullif(s.eligible_applications, 0)
               ELSE s.late / nullif(s.applications, 0) END AS rate,
          CASE WHEN t.application_role = 'rejecter' THEN s.detectable_rejected_eligible_rate
               ELSE s.detectable_late_rate END AS lim
        FROM '{data}/truth/application_clerks.csv' t
        LEFT JOIN '{out}/staff.csv' s USING (staff_id)
        WHERE t.application_role IN ('rejecter', 'delayer')"""
    )
    duckdb.sql(f"CREATE OR REPLACE TEMP VIEW role_limits AS {limits}")
    missed = duckdb.sql(
        f"""SELECT application_role, staff_id, n, rate, lim FROM role_limits
        WHERE staff_id NOT IN (SELECT staff_id FROM '{out}/staff.csv'
                               WHERE application_flagged) ORDER BY 1, 2"""
    ).fetchall()
    # flagged rejecters / delayers whose rate is below their own test's limit (flagged by
    # the region test, or by a cut-off their own second rejection loosened)
    below = duckdb.sql(
        f"""SELECT count(*) FROM role_limits WHERE rate < lim AND staff_id IN
          (SELECT staff_id FROM '{out}/staff.csv' WHERE application_flagged)"""
    ).fetchall()[0][0]
    offices = duckdb.sql(
        f"""SELECT count(*) FILTER (WHERE application_flagged),
          count(*) FILTER (WHERE application_office_wide),
          count(*) FILTER (WHERE application_flagged AND office_id NOT IN (
            SELECT s.office_id FROM '{out}/staff.csv' s
            JOIN '{data}/truth/application_clerks.csv' t USING (staff_id)
            WHERE t.application_role <> 'honest' AND s.applications > 0)),
          count(*) FILTER (WHERE applications > 0 AND office_id NOT IN (
            SELECT s.office_id FROM '{out}/staff.csv' s
            JOIN '{data}/truth/application_clerks.csv' t USING (staff_id)
            WHERE t.application_role <> 'honest' AND s.applications > 0))
        FROM '{out}/offices.csv'"""
    ).fetchall()[0]
    return {"seed": seed, "excluded": truth, "exact": exact, "extra": extra,
            "audit_seconds": round(seconds, 1), **{f"{r}_flagged": f"{f}/{n}"
                                                   for r, (n, f) in sorted(roles.items())},
            **{f"{r}_found": f"{f}/{n}" for r, (n, f) in sorted(found.items())},
            "offices_flagged": offices[0], "offices_as_a_whole": offices[1],
            "honest_offices_flagged": f"{offices[2]}/{offices[3]}",
            "flagged_below_limit": below, "_roles": roles, "_found": found,
            "_offices": offices, "_missed": missed}  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--families", type=int, default=20_000)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--first-seed", type=int, default=1)
    p.add_argument("--workdir", type=Path, default=Path("/tmp/bench-exclusion"))
    p.add_argument("--honest", action="store_true",
                   help="honest programmes: no rejecting, delaying or payment-fraud clerks")
    args = p.parse_args()
    total: dict[str, list[int]] = {}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        r = one(args.workdir / f"seed-{seed}", args.families, seed, args.honest)
        for role, staff_id, n, rate, lim in r.pop("_missed"):
            below = "" if lim is None or rate is None else (
                " below_limit" if rate < lim else " AT_OR_ABOVE_LIMIT")
            print(f"bench exclusion.missed seed={seed} role={role} staff={staff_id} n={n} "
                  f"rate={'' if rate is None else round(rate, 4)} limit={lim}{below}",
                  flush=True)  # fmt: skip
        for suffix, counts in (("flagged", r.pop("_roles")), ("found", r.pop("_found"))):
            for role, (n, f) in counts.items():
                acc = total.setdefault(f"{role}_{suffix}", [0, 0])
                acc[0] += n
                acc[1] += f
        o = r.pop("_offices")
        acc = total.setdefault("honest_offices_flagged", [0, 0])
        acc[0] += o[3]
        acc[1] += o[2]
        for k in ("excluded", "exact", "extra", "flagged_below_limit",
                  "offices_flagged", "offices_as_a_whole"):
            total.setdefault(k, [0])[0] += r[k]
        print("bench exclusion " + " ".join(f"{k}={v}" for k, v in r.items()), flush=True)
    print("bench exclusion.total " + " ".join(
        f"{k}={'/'.join(str(x) for x in v[::-1]) if len(v) == 2 else v[0]}"
        for k, v in total.items()), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
