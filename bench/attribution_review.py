"""Issue 10's review programmes, audited through the product's own command path.

Generates ``payproof generate --families 5000 --collusive-offices 1
--subtle-skimmer-share 0.05 --intermittent-share 0.05 --receipt-noise-rate 0.1 --seed N``
(or an honest-only programme with ``--honest``), audits it with the product's defaults
except ``--no-ghosts``, and counts, per role of the generator's truth, the clerks found
(flagged, or listed in an office flagged as a whole) and the honest offices flagged.
Subtle skimmers and intermittent diverters are also split by the families they serve
(fewer than 25, or more), where the evidence runs out.

    python bench/attribution_review.py --seeds 1-6 --work /tmp/attr/review
    python bench/attribution_review.py --seeds 1-4 --honest --work /tmp/attr/honest
    python bench/attribution_review.py --families 20000 --seeds 31-60  # the default size
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
CHEATS = [
    "--collusive-offices", "1", "--subtle-skimmer-share", "0.05",
    "--intermittent-share", "0.05",
]  # fmt: skip
HONEST = [
    "--collusive-offices", "0", "--subtle-skimmer-share", "0", "--intermittent-share", "0",
    "--skimmer-share", "0", "--diverter-share", "0", "--ghost-maker-share", "0",
]  # fmt: skip
SMALL = 25  # families served: below this a clerk leaves little evidence


def _seeds(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(x) for x in text.split(",")]


def _payproof(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "payproof", *args], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def _loss(flagged_by: str) -> str:
    """SQL: flagged by a payment (loss) test — not only by an application test (``*_vs_*``)."""
    return (f"list_filter(string_split(coalesce({flagged_by}, ''), ';'), "
            "lambda x: x <> '' AND NOT contains(x, '_vs_')) <> []")  # fmt: skip


def review(seed: int, work: Path, honest: bool, families: int, regenerate: bool,
           noise_max: float) -> dict:
    """Generate (unless already there), audit, and count found / all per role."""
    # the folder names the programme's kind and noise, so a reused folder never mixes
    # an honest-only programme with a programme with cheats
    kind = f"{'honest' if honest else 'cheats'}-noise{noise_max:g}-f{families}"
    gen, out = work / kind / f"seed{seed}" / "input", work / kind / f"seed{seed}" / "out"
    if regenerate or not (gen / "truth" / "staff.csv").exists():
        _payproof("generate", str(gen), "--families", str(families), "--seed", str(seed),
                  "--receipt-noise-rate", "0.1", "--receipt-noise-max", str(noise_max),
                  "--overwrite", *(HONEST if honest else CHEATS))
    _payproof("audit", str(gen), "--out", str(out), "--no-ghosts", "--no-report")
    # payment (loss) flags only: ``flagged`` also carries the application tests of the
    # generated applications (labels ``*_vs_*``, payproof.exclusion), checked in tests/exclusion
    rows = duckdb.sql(
        f"""SELECT t.role, {_loss("s.flagged_by")} OR (s.in_flagged_office AND NOT
            coalesce(s.application_in_flagged_office, false)) AS found, s.families,
          array_to_string(list_filter(string_split(coalesce(s.flagged_by, ''), ';'),
            lambda x: NOT contains(x, '_vs_')), ';') AS flagged_by
        FROM '{gen}/truth/staff.csv' t JOIN '{out}/staff.csv' s USING (staff_id)"""
    ).fetchall()
    offices = duckdb.sql(
        f"""SELECT t.dishonest_clerks = 0 AS honest, t.collusive, {_loss("o.flagged_by")}
        FROM '{gen}/truth/offices.csv' t JOIN '{out}/offices.csv' o USING (office_id)"""
    ).fetchall()
    found, total, by = Counter(), Counter(), Counter()
    for role, hit, fam, flagged_by in rows:
        keys = [role]
        if role in ("subtle_skimmer", "intermittent_diverter"):
            keys.append(f"{role} <{SMALL}" if fam < SMALL else f"{role} >={SMALL}")
        for key in keys:
            total[key] += 1
            found[key] += bool(hit)
        if hit:
            for name in (flagged_by or "in_flagged_office").split(";"):
                by[f"{role}:{name}"] += 1
    for honest_office, collusive, flagged in offices:
        key = "honest office" if honest_office else ("collusive office" if collusive else None)
        if key:
            total[key] += 1
            found[key] += bool(flagged)
    return {"found": dict(found), "total": dict(total), "by": dict(by)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1-6")
    ap.add_argument("--work", type=Path, default=Path("/tmp/attribution-review"))
    ap.add_argument("--honest", action="store_true", help="honest-only programmes")
    ap.add_argument("--families", type=int, default=5000)
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--noise-max", type=float, default=0.03,
                    help="largest share of a payment honest noise takes (0.08: some material)")
    ap.add_argument("--json", type=Path, help="write the counts here")
    args = ap.parse_args()
    found, total, by = Counter(), Counter(), Counter()
    per_seed = {}
    for seed in _seeds(args.seeds):
        r = review(seed, args.work, args.honest, args.families, args.regenerate, args.noise_max)
        per_seed[seed] = r
        found.update(r["found"])
        total.update(r["total"])
        by.update(r["by"])
        misses = {k: f"{r['found'].get(k, 0)}/{v}" for k, v in sorted(r["total"].items())}
        print(f"seed {seed}: {misses}", flush=True)
    print("\nrole: found / all (honest: flagged / all)")
    for key in sorted(total):
        print(f"  {key:32s} {found[key]:5d} / {total[key]}")
    print("found by:", dict(sorted(by.items())))
    if args.json:
        args.json.write_text(json.dumps({"found": found, "total": total, "by": by,
                                         "per_seed": per_seed}, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
