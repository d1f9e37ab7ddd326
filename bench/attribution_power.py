"""Power study of the attribution: who is found, and how often an honest unit is flagged.

Each simulated programme is generated line by line in numpy (one row per family-month
with its payment, its receipt evidence if any and the source of that evidence), loaded
into an in-memory DuckDB as the ``findings`` the reconciliation would have made, and
attributed with the product's own :func:`payproof.reconcile.attribute` at its default
settings — the same SQL steps and tests as ``payproof audit``, without ingest and the
reconciliation (which the ground-truth tests cover), so hundreds of programmes fit in
minutes on a small machine.

Every programme has 2 regions, 40 offices of 5-15 clerks (unless the office size is
the variable), 60 families per clerk, 12 months, 85 % receipt coverage and honest
receipt noise (5 % of bank statements and confirmations on average, each office its own
rate, report up to 3 % less). Into it go the cheats of one point of one curve, each in
an office of its own; honest programmes (no cheat) give the false-flag rate.

    python bench/attribution_power.py                 # the published run (~4 minutes)
    python bench/attribution_power.py --reps 1 --quick  # a smoke run

Writes docs/attribution-power.svg and prints the tables quoted in docs/audit.md.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from payproof.engine import DuckDBEngine
from payproof.reconcile import attribute
from payproof.report import charts

AMOUNTS = np.array([4_910_000, 6_138_300, 7_366_600])  # tiyn: 4, 5, 6 counted children
EVIDENCE = ("bank_statement", "beneficiary_confirmation", "survey")


@dataclass(frozen=True)
class Cheat:
    """One planted cheat: a clerk (or, ``office=True``, every clerk of an office)."""

    family_share: float = 1.0  # share of its families it takes from
    rate: float = 0.30  # share of each such payment kept (1.0: diverted, nothing arrives)
    months: int = 12  # consecutive months active
    office: bool = False


@dataclass(frozen=True)
class World:
    offices: int = 40
    clerks: tuple[int, int] = (5, 15)
    families_per_clerk: int = 60
    months: int = 12
    coverage: float = 0.85
    noise: float = 0.05
    noise_max: float = 0.03


def _ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(numbers), pa.string()), "")


def programme(rng: np.random.Generator, world: World, cheats: list[Cheat]):
    """Line-level findings of one programme and the truth: which clerks and offices cheat."""
    w = world
    size = rng.integers(w.clerks[0], w.clerks[1] + 1, w.offices)
    clerk_office = np.repeat(np.arange(w.offices), size)
    n_clerks = len(clerk_office)
    fams = np.maximum(rng.poisson(w.families_per_clerk, n_clerks), 5)
    fam_clerk = np.repeat(np.arange(n_clerks), fams)
    n_fam = len(fam_clerk)
    fam_amount = AMOUNTS[rng.integers(0, 3, n_fam)]
    # cheats: each in an office of its own (offices in random order)
    cheat_clerk = np.full(n_clerks, -1)
    office_order = rng.permutation(w.offices)
    for i, c in enumerate(cheats):
        o = office_order[i]
        members = np.nonzero(clerk_office == o)[0]
        chosen = members if c.office else members[rng.integers(0, len(members), 1)]
        cheat_clerk[chosen] = i
    first = np.array([rng.integers(0, w.months - c.months + 1) for c in cheats], dtype=np.int64)
    # lines: family x month
    fam = np.repeat(np.arange(n_fam), w.months)
    month = np.tile(np.arange(w.months), n_fam)
    clerk = fam_clerk[fam]
    d = fam_amount[fam]
    verified = rng.random(len(fam)) < w.coverage
    source = np.where(rng.random(len(fam)) < 0.7, 0, np.where(rng.random(len(fam)) < 0.6, 1, 2))
    r = d.copy()
    office_noise = np.minimum(w.noise * rng.gamma(4.0, 0.25, w.offices), 1.0)
    noisy = (source <= 1) & (rng.random(len(fam)) < office_noise[clerk_office[clerk]])
    fee = np.maximum(100, (d * w.noise_max * rng.random(len(fam))).astype(np.int64) // 100 * 100)
    r = np.where(noisy, d - fee, r)
    who = cheat_clerk[clerk]
    if cheats:
        share = np.array([c.family_share for c in cheats])
        rate = np.array([c.rate for c in cheats])
        span = np.array([c.months for c in cheats])
        fam_u = rng.random(n_fam)[fam]
        k = np.maximum(who, 0)
        in_months = (month >= first[k]) & (month < first[k] + span[k])
        active = (who >= 0) & (fam_u < share[k]) & in_months
        kept = (d * np.round(rate[k] * 10_000).astype(np.int64) + 5_000) // 10_000
        r = np.where(active, d - kept, r)
    received = pa.array(np.where(verified, r, 0), mask=~verified)
    staff_ids = _ids("S", np.arange(n_clerks))
    office_ids = _ids("O", np.arange(w.offices))
    periods = pa.array([f"2022-{m + 1:02d}" for m in range(w.months)])
    lost = np.where(verified, np.maximum(d - r, 0), 0)
    findings = pa.table(
        {
            "family_id": _ids("F", fam),
            "period": periods.take(pa.array(month)),
            "office_id": office_ids.take(pa.array(clerk_office[clerk])),
            "staff_id": staff_ids.take(pa.array(clerk)),
            "n_disbursements": pa.array(np.ones(len(fam), np.int32)),
            "entitled": d, "disbursed": d, "received": received,
            "delivered": np.where(verified, r, d), "owed": np.where(verified, d - r, 0),
            "not_disbursed": np.zeros(len(fam), np.int64), "lost_in_delivery": lost,
            "excess": np.zeros(len(fam), np.int64),
            "evidence": pa.array(np.array(EVIDENCE, dtype=object)[source], mask=~verified),
        }
    )  # fmt: skip
    truth = {
        "clerk_cheat": cheat_clerk,
        "office_cheat": np.array([(cheat_clerk[clerk_office == o] >= 0).any()
                                  for o in range(w.offices)]),  # fmt: skip
        "office_collusive": np.array(
            [bool(cheats) and any(c.office for c in cheats) and
             (cheat_clerk[clerk_office == o] >= 0).all() for o in range(w.offices)]
        ),  # fmt: skip
        "staff_ids": staff_ids.to_pylist(),
        "office_ids": office_ids.to_pylist(),
        "clerk_office": clerk_office,
        "fam_office": clerk_office[fam_clerk],
        "office_noise": office_noise,
    }
    return findings, truth


def attribute_programme(findings: pa.Table, truth: dict, world: World):
    """Run the product's attribution on the programme; return per-clerk and per-office flags."""
    with DuckDBEngine() as db:
        n_off = world.offices
        db.register_arrow("findings", findings)
        db.register_arrow("offices", pa.table({
            "office_id": truth["office_ids"],
            "region": ["North" if i < n_off // 2 else "South" for i in range(n_off)],
            "district": truth["office_ids"],
            "name": truth["office_ids"],
        }))  # fmt: skip
        db.register_arrow("staff", pa.table({
            "staff_id": truth["staff_ids"],
            "office_id": [truth["office_ids"][o] for o in truth["clerk_office"]],
        }))  # fmt: skip
        db.execute(
            "CREATE TABLE families AS SELECT DISTINCT family_id, office_id FROM findings;"
            "CREATE TABLE disbursements (payment_id VARCHAR, family_id VARCHAR, period VARCHAR,"
            " amount BIGINT, office_id VARCHAR, staff_id VARCHAR, account VARCHAR);"
            "CREATE TABLE grievances (grievance_id VARCHAR, family_id VARCHAR, category VARCHAR,"
            " period VARCHAR, staff_id VARCHAR);"
            "CREATE TABLE rc_shared_accounts (account VARCHAR);"
            "CREATE TABLE rc_shared_lines (family_id VARCHAR, period VARCHAR);"
        )
        attribute(db)
        staff = dict(
            (s, (bool(f), bool(i)))
            for s, f, i in db.rows("SELECT staff_id, flagged, in_flagged_office FROM staff_results")
        )
        offices = dict(db.rows("SELECT office_id, flagged FROM office_results"))
    clerk_flag = np.array([staff.get(s, (False, False)) for s in truth["staff_ids"]])
    office_flag = np.array([bool(offices.get(o, False)) for o in truth["office_ids"]])
    return clerk_flag, office_flag


@dataclass
class Tally:
    cheats: int = 0
    found: int = 0
    honest: int = 0
    false: int = 0
    offices_cheat: int = 0
    offices_found: int = 0
    offices_honest: int = 0
    offices_false: int = 0

    def add(self, truth, clerk_flag, office_flag) -> None:
        cheat = truth["clerk_cheat"] >= 0
        found = clerk_flag[:, 0] | clerk_flag[:, 1]
        self.cheats += int(cheat.sum())
        self.found += int((cheat & found).sum())
        honest_office = ~truth["office_cheat"]
        honest = ~cheat & honest_office[truth["clerk_office"]]
        self.honest += int(honest.sum())
        self.false += int((honest & found).sum())
        self.offices_cheat += int(truth["office_cheat"].sum())
        self.offices_found += int((truth["office_cheat"] & office_flag).sum())
        self.offices_honest += int(honest_office.sum())
        self.offices_false += int((honest_office & office_flag).sum())

    def rate(self) -> float:
        return self.found / self.cheats if self.cheats else float("nan")

    def office_rate(self) -> float:
        return self.offices_found / self.offices_cheat if self.offices_cheat else float("nan")


def run_point(rng, world: World, cheats: list[Cheat], reps: int, total: Tally) -> Tally:
    t = Tally()
    for _ in range(reps):
        findings, truth = programme(rng, world, cheats)
        clerk_flag, office_flag = attribute_programme(findings, truth, world)
        t.add(truth, clerk_flag, office_flag)
        total.add(truth, clerk_flag, office_flag)
    return t


SUBTLE = Cheat(family_share=0.15, rate=0.10)
CURVES = {
    # name: (x label, values, make(world, x) -> (world, cheats), which rate to plot)
    "share of families skimmed": (
        "share of the clerk's families skimmed (10 % kept)",
        [0.02, 0.05, 0.10, 0.15, 0.25],
        lambda w, x: (w, [replace(SUBTLE, family_share=x)] * 8),
        "clerk",
    ),
    "skim rate": (
        "share of each payment kept (15 % of families)",
        [0.01, 0.02, 0.05, 0.10, 0.30],
        lambda w, x: (w, [replace(SUBTLE, rate=x)] * 8),
        "clerk",
    ),
    "honest noise": (
        "share of receipts honestly reporting less (subtle skimmer)",
        [0.0, 0.05, 0.10, 0.20, 0.40],
        lambda w, x: (replace(w, noise=x), [SUBTLE] * 8),
        "clerk",
    ),
    "office size": (
        "clerks per office (subtle skimmer)",
        [3, 6, 12, 24, 48],
        lambda w, x: (replace(w, clerks=(x, x), offices=max(12, 400 // x)), [SUBTLE] * 8),
        "clerk",
    ),
    "months active": (
        "months an intermittent diverter diverts 35 % of payments",
        [1, 2, 3, 6, 12],
        lambda w, x: (w, [Cheat(family_share=0.35, rate=1.0, months=x)] * 8),
        "clerk",
    ),
    "collusive office": (
        "share of families every clerk of an office skims (10 % kept)",
        [0.02, 0.05, 0.10, 0.15, 0.25],
        lambda w, x: (w, [Cheat(family_share=x, rate=0.10, office=True)] * 2),
        "office",
    ),
    "collusive office size": (
        "clerks per office, every one skimming 10 % from 10 % of families",
        [2, 3, 6, 12, 24],
        lambda w, x: (replace(w, clerks=(x, x), offices=max(12, 400 // x)),
                      [Cheat(family_share=0.10, rate=0.10, office=True)] * 2),
        "office",
    ),
}


def svg(results: dict) -> str:
    """All curves as small multiples in one hand-built SVG (the report's chart kit)."""
    panels = []
    for i, (name, (label, xs, _, level)) in enumerate(CURVES.items()):
        rates = results[name]
        chart = charts.line_chart(
            title=f"Detection rate vs {name}",
            desc=f"{label}: " + ", ".join(f"{x}: {r:.0%}" for x, r in zip(xs, rates, strict=True)),
            categories=[str(x) for x in xs],
            series=[charts.Series(f"{level}s found (%)", [100 * r for r in rates])],
            width=440,
            height=230,
            uid=f"power-{charts.slug(name)}",
            tick_format=lambda d: f"{d.normalize():f}",
        )
        x, y = (i % 2) * 450, 30 + (i // 2) * 270
        panels.append(chart.replace("<svg ", f'<svg x="{x}" y="{y + 20}" ', 1))
        panels.append(
            f'<text x="{x + 10}" y="{y + 14}" font-size="13" font-weight="600">'
            f"{charts._t(label)}</text>"
        )
    height = 30 + ((len(CURVES) + 1) // 2) * 270
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="900" height="{height}" '
        f'viewBox="0 0 900 {height}" font-family="{charts._t(charts.FONT)}" font-size="12">'
        '<title>Attribution power study</title>'
        '<rect width="100%" height="100%" fill="white"/>'
        '<text x="10" y="20" font-size="15" font-weight="700">payproof attribution: share of '
        "planted cheats found (flagged, or in an office flagged as a whole), default settings"
        "</text>"
    )
    return head + "\n".join(panels) + "</svg>\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=6, help="programmes per point")
    ap.add_argument("--honest", type=int, default=40, help="honest programmes")
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--quick", action="store_true", help="small programmes (smoke test)")
    ap.add_argument("--svg", type=Path, default=Path("docs/attribution-power.svg"))
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    base = World(offices=16 if args.quick else 40)
    t0 = time.perf_counter()
    total = Tally()
    results: dict[str, list[float]] = {}
    for name, (label, xs, make, level) in CURVES.items():
        rates = []
        for x in xs:
            world, cheats = make(base, x)
            t = run_point(rng, world, cheats, args.reps, total)
            rates.append(t.rate() if level == "clerk" else t.office_rate())
        results[name] = rates
        print(f"{label:<66} " + "  ".join(f"{x}:{r:5.0%}" for x, r in zip(xs, rates, strict=True)),
              flush=True)  # fmt: skip
    honest = Tally()
    for noise in (0.05, 0.20):
        for _ in range(args.honest // 2):
            run_point(rng, replace(base, noise=noise), [], 1, honest)
    big = Tally()  # very large honest offices
    for _ in range(max(1, args.honest // 4)):
        run_point(rng, replace(base, clerks=(40, 60), offices=12), [], 1, big)
    for t, what in ((honest, "honest programmes (noise 5 % and 20 %)"),
                    (big, "honest programmes of very large offices (40-60 clerks)"),
                    (total, "honest clerks/offices beside the planted cheats")):  # fmt: skip
        print(
            f"false flags, {what}: {t.false} of {t.honest:,} honest clerks "
            f"({1000 * t.false / max(t.honest, 1):.2f} per 1,000), "
            f"{t.offices_false} of {t.offices_honest:,} honest offices"
        )
    seconds = time.perf_counter() - t0
    print(f"{seconds:.0f} s")
    args.svg.write_text(svg(results), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({
            "curves": {n: dict(zip(map(str, CURVES[n][1]), r, strict=True))
                       for n, r in results.items()},
            "false_flags": {w: [t.false, t.honest, t.offices_false, t.offices_honest]
                            for w, t in (("honest", honest), ("large", big), ("beside", total))},
            "seconds": seconds,
        }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
