"""An independently written programme, audited through the product's own command.

An outside verifier's check of the attribution (issue 10): this generator does NOT use
``payproof.scenario``; it was written from the data contract (docs/data-contract.md)
alone, and its structure and noise are deliberately unlike the product's generator:

* geography from a *profile* (one region of 3–8 offices; many regions of 1–8 small
  offices; few offices of clerks with 80–300 families; a mix): offices of 2 to 40 clerks,
  15 to 300 families per clerk, 2,500 to 20,000 families in all;
* each region its own evidence coverage (40–95 %), its own mix of sources (bank statement,
  confirmation, survey) and its own share of bank-paid families; a family has a preferred
  source and its own propensity to report; some family-months have a second source;
* honest noise of several kinds: a fixed 0.5 % fee on every bank line in one region;
  confirmations and survey answers rounded down to 100 tenge in another; survey answers
  rounded to the nearest 1,000 tenge anywhere (so a survey can be a little short *or*
  over); random small shortfalls (0–4 % of the line) on 2–15 % of the receipts, each
  office its own rate; a few families whose account fails for 3–6 consecutive months
  (nothing arrives, the family complains);
* structure: entitlements that change in the year (a child born or aged out), some
  family-months paid in two tranches, some families handed over to a colleague mid-year,
  grievances (a few naming cheats, a few false accusations naming honest clerks);
* cheats: one collusive office (every clerk keeps 20–30 % of every payment), subtle
  skimmers (10 % from 15 % of their families, all year), intermittent diverters (3
  consecutive months: either 35 % of their payments diverted whole, or 35 % kept of every
  payment), plain skimmers (10–30 % of every payment).

Money is integer tiyn throughout and written with 2 decimals. The audit is the product's
default path: ``python -m payproof audit IN --out OUT --no-ghosts --no-report``. Scoring:
a cheat is found when a payment (loss) test flags it (a ``flagged_by`` label without
``_vs_``) or its office is flagged as a whole (``in_flagged_office``); an honest office is
falsely flagged when a payment test flags it. Each missed cheat is classed by its
evidence: how many of the families it took from had a receipt (the source the audit
uses: the most authoritative present) showing more than 5 % missing.

    PYTHONPATH=. nice -n 5 python bench/independent_programme.py --seeds 1-6 --work /tmp/indep/prog
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
YEAR = 2023
MONTHS = [f"{YEAR}-{m:02d}" for m in range(1, 13)]
SOURCES = ("bank_statement", "beneficiary_confirmation", "survey")
RANK = {s: i for i, s in enumerate(SOURCES)}

# geography profiles: (regions, offices per region, clerks per office, families per clerk)
PROFILES = {
    "single": ((1, 1), (3, 8), (2, 40), (15, 120)),
    "wide": ((4, 6), (1, 8), (2, 12), (15, 80)),
    "deep": ((2, 3), (1, 3), (2, 8), (80, 300)),
    "mixed": ((2, 4), (1, 8), (2, 40), (15, 300)),
}
ROLES = ("honest", "colluder", "subtle_skimmer", "intermittent_diverter", "skimmer")


@dataclass
class Clerk:
    staff_id: str
    office: str
    region: str
    role: str = "honest"
    rate: float = 0.0  # share kept (colluder, skimmer, subtle skimmer, diverter in keep mode)
    months: tuple[int, ...] = ()  # an intermittent diverter's months (0-based)
    mode: str = ""  # intermittent: "whole" (35 % of payments diverted whole) or "keep"
    targets: set[str] = field(default_factory=set)  # a subtle skimmer's families


def _loguniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _money(tiyn: int) -> str:
    return f"{tiyn // 100}.{tiyn % 100:02d}"


def _structure(rng: random.Random, profile: str, lo: int, hi: int):
    """Regions → offices → (clerks, families per clerk), 2,500–20,000 families in all."""
    (r0, r1), (o0, o1), (c0, c1), (f0, f1) = PROFILES[profile]
    for _ in range(10_000):
        regions = []
        for _r in range(rng.randint(r0, r1)):
            offices = []
            for _o in range(rng.randint(o0, o1)):
                clerks = round(_loguniform(rng, c0, c1 + 0.49))
                mean = _loguniform(rng, f0, f1)
                offices.append(
                    [
                        max(f0, min(f1, round(mean * rng.uniform(0.6, 1.4))))
                        for _ in range(max(2, clerks))
                    ]
                )
            regions.append(offices)
        total = sum(sum(o) for offices in regions for o in offices)
        if lo <= total <= hi:
            return regions
    raise RuntimeError(f"no structure of {lo}-{hi} families for profile {profile}")


def generate(folder: Path, seed: int, profile: str, lo: int = 2500, hi: int = 20000) -> dict:
    """Write an input folder (and ``truth/``) for one programme; return its summary."""
    rng = random.Random(seed * 7919 + 17)
    regions = _structure(rng, profile, lo, hi)
    region_names = [f"Oblys-{chr(65 + i)}" for i in range(len(regions))]
    # per region: coverage, source mix, bank-paid share
    reg = {}
    for name in region_names:
        mix = [rng.uniform(0.2, 1.0), rng.uniform(0.1, 1.0), rng.uniform(0.05, 0.8)]
        reg[name] = {
            "coverage": rng.uniform(0.40, 0.95),
            "bank_share": rng.uniform(0.5, 0.97),
            "mix": [m / sum(mix) for m in mix],
        }
    fee_region = rng.choice(region_names)
    rounding_region = rng.choice([r for r in region_names if r != fee_region] or region_names)

    offices, clerks, fam_rows = [], [], []
    office_noise, office_clerks = {}, defaultdict(list)
    fam_clerk: dict[str, list[str]] = {}  # family -> clerk per month
    fam_region, fam_office = {}, {}
    n_f = 0
    for ri, offs in enumerate(regions):
        rname = region_names[ri]
        for oi, sizes in enumerate(offs):
            oid = f"KZ{ri + 1:02d}-{oi + 1:02d}"
            offices.append(
                {
                    "office_id": oid,
                    "name": f"Bolim {oid}",
                    "region": rname,
                    "district": f"{rname}/d{oi + 1}",
                    "parent_office_id": "",
                }
            )
            office_noise[oid] = rng.uniform(0.02, 0.15)
            for ci, nfam in enumerate(sizes):
                sid = f"u{ri + 1}{oi + 1:02d}{ci + 1:02d}"
                clerks.append(Clerk(sid, oid, rname))
                office_clerks[oid].append(sid)
                for _ in range(nfam):
                    n_f += 1
                    fid = f"F{n_f:06d}"
                    fam_clerk[fid] = [sid] * 12
                    fam_region[fid], fam_office[fid] = rname, oid
    by_id = {c.staff_id: c for c in clerks}
    # handovers: 4 % of families move to a colleague from some month on
    for fid, months in fam_clerk.items():
        mates = office_clerks[fam_office[fid]]
        if len(mates) > 1 and rng.random() < 0.04:
            start, new = rng.randint(1, 11), rng.choice([m for m in mates if m != months[0]])
            for m in range(start, 12):
                months[m] = new

    # cheats
    big = [o for o, cs in office_clerks.items() if 3 <= len(cs) <= 20] or list(office_clerks)
    collusive = rng.choice(big)
    for sid in office_clerks[collusive]:
        by_id[sid].role, by_id[sid].rate = "colluder", rng.uniform(0.20, 0.30)
    pool = [c for c in clerks if c.role == "honest"]
    rng.shuffle(pool)
    n = len(clerks)
    k_sub, k_int, k_sk = max(2, round(0.05 * n)), max(2, round(0.05 * n)), max(1, round(0.02 * n))
    served: dict[str, list[str]] = defaultdict(list)
    for fid, months in fam_clerk.items():
        served[months[0]].append(fid)
    for c in pool[:k_sub]:
        c.role, c.rate = "subtle_skimmer", 0.10
        fams = served[c.staff_id]
        c.targets = set(rng.sample(fams, max(1, round(0.15 * len(fams)))))
    for c in pool[k_sub : k_sub + k_int]:
        start = rng.randint(0, 9)
        c.role, c.rate, c.months = "intermittent_diverter", 0.35, (start, start + 1, start + 2)
        c.mode = rng.choice(["whole", "keep"])
    for c in pool[k_sub + k_int : k_sub + k_int + k_sk]:
        c.role, c.rate = "skimmer", rng.uniform(0.10, 0.30)

    # families, entitlements
    failing = set(rng.sample(sorted(fam_clerk), max(1, len(fam_clerk) // 1500)))
    fail_months = {f: (s := rng.randint(0, 8), s + rng.randint(3, 6)) for f in sorted(failing)}
    ent_rows, disb_rows, rec_rows, grv_rows = [], [], [], []
    ent = {}
    fam_meta = {}
    district = {o["office_id"]: o["district"] for o in offices}
    for i, fid in enumerate(fam_clerk):
        rname = fam_region[fid]
        r = reg[rname]
        bank = rng.random() < r["bank_share"] or fid in failing
        mix = r["mix"] if bank else [0.0, r["mix"][1], r["mix"][2]]
        pref = rng.choices(SOURCES, weights=mix)[0]
        prop = min(1.0, r["coverage"] * rng.uniform(0.7, 1.3))
        fam_meta[fid] = (bank, pref, prop)
        birth = f"{rng.randint(1972, 1998)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        fam_rows.append(
            {
                "family_id": fid,
                "mother_id": f"{rng.randint(72, 98)}{rng.randint(10**9, 10**10 - 1)}",
                "mother_name": f"Ana {i} Qyzy",
                "mother_birth_date": birth,
                "district": district[fam_office[fid]],
                "office_id": fam_office[fid],
                "registered_on": f"{rng.randint(2015, 2022)}-{rng.randint(1, 12):02d}-01",
                "bank_account": f"KZ{rng.randint(10**15, 10**16 - 1)}" if bank else "",
                "phone": f"+7701{rng.randint(10**6, 10**7 - 1)}",
            }
        )
        children = rng.randint(4, 9)
        change = rng.randint(1, 11) if rng.random() < 0.15 else None
        for m in range(12):
            k = children + (1 if change is not None and m >= change else 0)
            # 3,692 tenge (a monthly index) × a coefficient per child; not a round sum
            amount = 3692 * (1603 + 160 * (k - 4))  # tiyn: 3,692 × 16.03 tenge, …
            ent[fid, m] = amount
            ent_rows.append({"family_id": fid, "period": MONTHS[m], "amount": _money(amount)})

    # payments, what arrived, receipts
    pid = rid = 0
    truth_lines = defaultdict(Counter)  # staff -> counters
    skimmed_fams = defaultdict(set)
    visible = defaultdict(set)  # staff -> families with a receipt > 5 % short (of the source used)
    any_visible = defaultdict(set)  # the same, any cause (noise too)
    for fid in fam_clerk:
        bank, pref, prop = fam_meta[fid]
        oid, rname = fam_office[fid], fam_region[fid]
        for m in range(12):
            sid = fam_clerk[fid][m]
            c = by_id[sid]
            amount = ent[fid, m]
            tranches = [amount]
            if rng.random() < 0.05:
                first = amount * rng.randint(40, 70) // 100
                tranches = [first, amount - first]
            kept = []
            for t in tranches:
                keep = 0
                if c.role in ("colluder", "skimmer"):
                    keep = int(t * c.rate)
                elif c.role == "subtle_skimmer" and fid in c.targets:
                    keep = t // 10
                elif c.role == "intermittent_diverter" and m in c.months:
                    if c.mode == "keep":
                        keep = t * 35 // 100
                    elif rng.random() < 0.35:
                        keep = t
                kept.append(keep)
            day = rng.randint(1, 24)
            channel = "bank" if bank else rng.choice(["cash", "post"])
            for t in tranches:
                pid += 1
                day += 2  # a second tranche two days later
                disb_rows.append(
                    {
                        "payment_id": f"P{pid:08d}",
                        "family_id": fid,
                        "period": MONTHS[m],
                        "amount": _money(t),
                        "paid_on": f"{MONTHS[m]}-{day:02d}",
                        "office_id": oid,
                        "staff_id": sid,
                        "channel": channel,
                        "account": fam_rows[int(fid[1:]) - 1]["bank_account"],
                    }
                )
            arrived = [t - k for t, k in zip(tranches, kept, strict=True)]
            failed = fid in fail_months and fail_months[fid][0] <= m < fail_months[fid][1]
            if failed:
                arrived = [0 for _ in arrived]
            if sum(kept):
                skimmed_fams[sid].add(fid)
            truth_lines[sid]["skimmed_tiyn"] += sum(kept)
            # evidence: the preferred source, sometimes a second one; a failing account
            # always reported (the family complains)
            present = []
            if failed or rng.random() < prop:
                present.append(pref)
                if rng.random() < 0.08:
                    other = [s for s in SOURCES if s != pref and (bank or s != "bank_statement")]
                    present.append(rng.choice(other))
            reported = {}
            for src in present:
                lines = arrived if src == "bank_statement" else [sum(arrived)]
                out = []
                for a in lines:
                    if a > 0 and src == "bank_statement" and rname == fee_region:
                        a -= a * 5 // 1000  # a 0.5 % fee on every bank line
                    if a > 0 and rng.random() < office_noise[oid]:
                        a -= int(a * rng.uniform(0.0, 0.04))  # a small honest shortfall
                    if src == "survey" and a > 0 and rng.random() < 0.3:
                        a = (a + 50_000) // 100_000 * 100_000  # to the nearest 1,000 tenge
                    if src != "bank_statement" and rname == rounding_region:
                        a = a // 10_000 * 10_000  # down to 100 tenge
                    out.append(a)
                reported[src] = out
                for a in out:
                    rid += 1
                    after = MONTHS[m + 1] if m < 11 else f"{YEAR + 1}-01"
                    rec_rows.append(
                        {
                            "receipt_id": f"R{rid:08d}",
                            "family_id": fid,
                            "period": MONTHS[m],
                            "amount": _money(a),
                            "source": src,
                            "reported_on": f"{after}-{rng.randint(1, 28):02d}",
                        }
                    )
            if reported:
                best = min(reported, key=RANK.get)
                got, paid = sum(reported[best]), amount
                if 20 * (paid - got) > paid:
                    any_visible[sid].add(fid)
                    if sum(kept):
                        visible[sid].add(fid)
            # grievances
            if sum(kept) and rng.random() < 0.02:
                grv_rows.append(
                    {
                        "family_id": fid,
                        "category": rng.choice(["partial_payment", "bribe_demanded"]),
                        "period": MONTHS[m],
                        "staff_id": sid,
                    }
                )
            elif failed and m == fail_months[fid][0] + 1:
                grv_rows.append(
                    {"family_id": fid, "category": "not_paid", "period": MONTHS[m], "staff_id": ""}
                )
            elif rng.random() < 0.0004:  # a false accusation
                grv_rows.append(
                    {
                        "family_id": fid,
                        "category": "bribe_demanded",
                        "period": MONTHS[m],
                        "staff_id": sid,
                    }
                )
    for i, g in enumerate(grv_rows):
        g.update(
            {
                "grievance_id": f"G{i + 1:06d}",
                "filed_on": f"{YEAR + 1}-02-{1 + i % 28:02d}",
                "amount_claimed": "",
                "description": "",
            }
        )

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "truth").mkdir(exist_ok=True)

    def write(name: str, rows: list[dict], cols: list[str]) -> None:
        with open(folder / name, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)

    write("offices.csv", offices, ["office_id", "name", "region", "district", "parent_office_id"])
    write(
        "staff.csv",
        [
            {
                "staff_id": c.staff_id,
                "office_id": c.office,
                "name": f"Clerk {c.staff_id}",
                "role": "clerk",
            }
            for c in clerks
        ],
        ["staff_id", "office_id", "name", "role"],
    )
    write("families.csv", fam_rows, list(fam_rows[0]))
    write("entitlements.csv", ent_rows, ["family_id", "period", "amount"])
    write("disbursements.csv", disb_rows, list(disb_rows[0]))
    write(
        "receipts.csv",
        rec_rows,
        ["receipt_id", "family_id", "period", "amount", "reported_on", "source"],
    )
    write(
        "grievances.csv",
        grv_rows,
        [
            "grievance_id",
            "family_id",
            "filed_on",
            "category",
            "period",
            "amount_claimed",
            "staff_id",
            "description",
        ],
    )
    cheats_in = Counter(c.office for c in clerks if c.role != "honest")
    truth_staff = [
        {
            "staff_id": c.staff_id,
            "office_id": c.office,
            "region": c.region,
            "role": c.role,
            "rate": f"{c.rate:.3f}",
            "mode": c.mode,
            "months": ";".join(MONTHS[m] for m in c.months),
            "families_served": sum(1 for f in fam_clerk if c.staff_id in fam_clerk[f]),
            "skimmed_families": len(skimmed_fams[c.staff_id]),
            "visible_material_families": len(visible[c.staff_id]),
            "material_families_any_cause": len(any_visible[c.staff_id]),
            "skimmed": _money(truth_lines[c.staff_id]["skimmed_tiyn"]),
        }
        for c in clerks
    ]
    write("truth/staff.csv", truth_staff, list(truth_staff[0]))
    truth_off = [
        {
            "office_id": o["office_id"],
            "region": o["region"],
            "clerks": len(office_clerks[o["office_id"]]),
            "collusive": o["office_id"] == collusive,
            "cheats": cheats_in[o["office_id"]],
            "noise_rate": f"{office_noise[o['office_id']]:.3f}",
        }
        for o in offices
    ]
    write("truth/offices.csv", truth_off, list(truth_off[0]))
    summary = {
        "seed": seed,
        "profile": profile,
        "families": len(fam_clerk),
        "clerks": len(clerks),
        "offices": len(offices),
        "regions": len(regions),
        "fee_region": fee_region,
        "rounding_region": rounding_region,
        "collusive_office": collusive,
        "failing_families": len(failing),
        "regions_detail": {
            k: {
                kk: (round(vv, 3) if isinstance(vv, float) else [round(x, 3) for x in vv])
                for kk, vv in v.items()
            }
            for k, v in reg.items()
        },
        "clerks_per_office": sorted(len(v) for v in office_clerks.values()),
    }
    (folder / "truth" / "programme.json").write_text(json.dumps(summary, indent=1))
    return summary


def audit(folder: Path, out: Path) -> float:
    """The product's own command, defaults but for --no-ghosts --no-report."""
    t = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "payproof",
            "audit",
            str(folder),
            "--out",
            str(out),
            "--no-ghosts",
            "--no-report",
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - t


def _loss_labels(flagged_by: str | None) -> list[str]:
    return [x for x in (flagged_by or "").split(";") if x and "_vs_" not in x]


def _read(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _true(v: str | None) -> bool:
    return (v or "").strip().lower() in ("true", "1", "yes")


def score(folder: Path, out: Path) -> dict:
    """Found / all per role, honest clerks and offices flagged, each miss classed."""
    truth = {r["staff_id"]: r for r in _read(folder / "truth" / "staff.csv")}
    toff = {r["office_id"]: r for r in _read(folder / "truth" / "offices.csv")}
    staff = {r["staff_id"]: r for r in _read(out / "staff.csv")}
    offices = {r["office_id"]: r for r in _read(out / "offices.csv")}
    rejects = _read(out / "rejects.csv") if (out / "rejects.csv").exists() else []
    found, total, by = Counter(), Counter(), Counter()
    misses, false_flags = [], []
    for sid, t in truth.items():
        s = staff.get(sid)
        labels = _loss_labels(s["flagged_by"]) if s else []
        listed = bool(s) and _true(s.get("in_flagged_office"))
        hit = bool(labels) or listed
        role = t["role"]
        total[role] += 1
        found[role] += hit
        for lab in labels or (["in_flagged_office"] if listed else []):
            by[f"{role}:{lab}"] += 1
        if role == "honest" and hit:
            false_flags.append(
                {
                    "staff_id": sid,
                    "office_id": t["office_id"],
                    "labels": labels,
                    "in_flagged_office": listed,
                }
            )
        if role != "honest" and not hit:
            vis = int(t["visible_material_families"])
            cls = (
                "no material family"
                if vis == 0
                else (
                    "1 material family"
                    if vis == 1
                    else ("2 material families" if vis == 2 else "3+")
                )
            )
            qs = (
                {
                    k: s.get(k)
                    for k in (
                        "q_value",
                        "region_q_value",
                        "months_q_value",
                        "material_families_q_value",
                        "region_material_families_q_value",
                        "bank_q_value",
                    )
                    if s and s.get(k)
                }
                if s
                else {}
            )
            misses.append(
                {
                    "staff_id": sid,
                    "office_id": t["office_id"],
                    "role": role,
                    "families": t["families_served"],
                    "skimmed_families": t["skimmed_families"],
                    "visible_material_families": vis,
                    "class": cls,
                    "material_families": s.get("material_families") if s else None,
                    "verified_lines": s.get("verified_lines") if s else None,
                    "short_lines": s.get("short_lines") if s else None,
                    "detectable_short_rate": s.get("detectable_short_rate") if s else None,
                    "excess_lost": s.get("excess_lost") if s else None,
                    "min_q": min((float(v) for v in qs.values()), default=None),
                    "q": qs,
                }
            )
    honest_off = []
    for oid, t in toff.items():
        o = offices.get(oid, {})
        labels = _loss_labels(o.get("flagged_by"))
        if t["collusive"] == "True":
            total["collusive office"] += 1
            found["collusive office"] += bool(labels)
        if int(t["cheats"]) == 0:
            total["honest office"] += 1
            found["honest office"] += bool(labels)
            if labels:
                honest_off.append(
                    {"office_id": oid, "labels": labels, "office_wide": o.get("office_wide")}
                )
    return {
        "found": dict(found),
        "total": dict(total),
        "by": dict(by),
        "misses": misses,
        "honest_flagged": false_flags,
        "honest_offices_flagged": honest_off,
        "rejects": len(rejects),
        "reject_examples": [
            {k: r.get(k) for k in ("table", "line", "column", "reason", "severity")}
            for r in rejects[:5]
        ],
    }


def _seeds(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(x) for x in text.split(",")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1-4")
    ap.add_argument("--work", type=Path, default=Path("/tmp/independent-programme"))
    ap.add_argument("--profile", choices=sorted(PROFILES), help="default: by seed")
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--json", type=Path, help="write every seed's scores here")
    args = ap.parse_args()
    order = ["single", "wide", "deep", "mixed"]
    found, total, by, per_seed = Counter(), Counter(), Counter(), {}
    for seed in _seeds(args.seeds):
        profile = args.profile or order[(seed - 1) % len(order)]
        folder = args.work / f"seed{seed}-{profile}" / "input"
        out = args.work / f"seed{seed}-{profile}" / "out"
        if args.regenerate or not (folder / "truth" / "programme.json").exists():
            summary = generate(folder, seed, profile)
        else:
            summary = json.loads((folder / "truth" / "programme.json").read_text())
        secs = audit(folder, out)
        r = score(folder, out)
        r["programme"], r["audit_s"] = summary, round(secs, 1)
        per_seed[seed] = r
        found.update(r["found"])
        total.update(r["total"])
        by.update(r["by"])
        print(
            f"seed {seed} ({profile}: {summary['families']} families, {summary['clerks']} clerks, "
            f"{summary['offices']} offices, {summary['regions']} regions; audit {secs:.0f} s, "
            f"{r['rejects']} rejects): "
            + ", ".join(f"{k} {r['found'].get(k, 0)}/{v}" for k, v in sorted(r["total"].items())),
            flush=True,
        )
        for m in r["misses"]:
            print(
                f"   miss {m['staff_id']} {m['role']}: {m['families']} families, "
                f"{m['skimmed_families']} skimmed, {m['visible_material_families']} visibly "
                f"material ({m['class']}); min q {m['min_q']}",
                flush=True,
            )
        for f in r["honest_flagged"] + r["honest_offices_flagged"]:
            print(f"   FALSE {f}", flush=True)
    print("\nrole: found / all (honest: flagged or listed / all)")
    for key in sorted(total):
        print(f"  {key:24s} {found[key]:5d} / {total[key]}")
    miss_cls = Counter(m["class"] for r in per_seed.values() for m in r["misses"])
    print("misses by evidence:", dict(miss_cls))
    print("found by:", dict(sorted(by.items())))
    if args.json:
        args.json.write_text(
            json.dumps(
                {"found": found, "total": total, "by": by, "per_seed": per_seed},
                indent=1,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
