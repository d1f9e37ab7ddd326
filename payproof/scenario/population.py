"""The population register and the applications of a generated programme, with the
exclusion error injected (docs/scenario.md, "Who was left out").

Drawn from its own random stream after everything else, so the rest of the programme is
the same with or without it. What it adds:

- ``applications``: every registry family registered in the year before the period or
  during it applied; an honest clerk decides within days, in the month she applied;
  a *delayer* sits on half of them (decided 45-200 days later, or still pending); a
  *rejecter* first rejects a third of eligible mothers who then reapply (overturned), and
  rejects more who never get in; a *skimmer* (the payment fraud) approves late — after a
  bribe — and then pays short;
- families never enrolled, all in the register only: eligible mothers rejected by
  rejecters (and rarely by honest clerks), left pending by delayers, never applied; and
  ineligible applicants (three children) rightly rejected by everyone;
- ``population``: every genuine registry mother and her children, and the new families;
- grievances: ``wrongly_excluded`` naming the clerk from some rejected mothers,
  ``bribe_demanded`` from some families approved late by skimmers;
- truth: ``truth/excluded.csv`` (mother, kind, months, amount due: the kz-large-family
  rules re-implemented in numpy, owed from the month of the first application made while
  eligible), ``truth/application_clerks.csv`` (each clerk's application role).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from payproof.scenario.entitlement import (
    AGE_LIMIT,
    STUDENT_AGE_LIMIT,
    add_years,
    counted_children,
    mci_for,
    monthly_amount,
)
from payproof.scenario.families import DEATH_NONE, STUDENT_NONE, build_families
from payproof.scenario.fraud import HONEST, SKIMMER, share_count
from payproof.scenario.identity import iin_numbers, zero_padded
from payproof.scenario.names import SURNAMES
from payproof.scenario.writer import S, dates

STREAM = 1313
APP_ROLES = ("honest", "rejecter", "delayer", "bribe_taker")
HONEST_APP, REJECTER, DELAYER, BRIBE = range(4)
SCHEMAS = {
    "population": pa.schema([("person_id", S), ("birth_date", pa.date32()), ("mother_id", S),
                             ("death_date", pa.date32()), ("district", S), ("address", S),
                             ("student_until", pa.date32())]),
    "applications": pa.schema([("application_id", S), ("mother_id", S), ("family_id", S),
                               ("office_id", S), ("staff_id", S), ("submitted_on", pa.date32()),
                               ("decided_on", pa.date32()), ("decision", S),
                               ("reason_code", S), ("children_declared", pa.int32())]),
}  # fmt: skip


@dataclass
class Register:
    population: pa.Table
    applications: pa.Table
    grievances: pa.Table  # rows to append to the programme's grievances
    truth_excluded: pa.Table
    truth_clerks: pa.Table


def _deciders(geo) -> np.ndarray:
    """Mask of the clerks who decide applications: the first third of each office's clerks
    (at least three, so each has two peers in the office)."""
    start = geo.office_clerk_start[geo.clerk_office]
    count = geo.office_clerk_count[geo.clerk_office]
    return np.arange(len(geo.clerk_office)) - start < np.maximum(3, count // 3)


def _decider_of(geo, clerk: np.ndarray, deciders: np.ndarray) -> np.ndarray:
    """The family's own clerk where that clerk decides, else one of the office's deciders."""
    office = geo.clerk_office[clerk]
    n_dec = np.maximum(3, geo.office_clerk_count[office] // 3)
    other = geo.office_clerk_start[office] + (clerk - geo.office_clerk_start[office]) % n_dec
    return np.where(deciders[clerk], clerk, other)


def _roles(w, rng, deciders: np.ndarray) -> np.ndarray:
    """Each deciding clerk's way of deciding: payment skimmers take bribes to approve;
    among honest payers, ``rejecter_share`` reject and ``delayer_share`` delay (shares of
    all clerks)."""
    role = np.full(len(w.role), HONEST_APP)
    role[(w.role == SKIMMER) & deciders] = BRIBE
    honest = np.nonzero((w.role == HONEST) & deciders)[0]
    k = [share_count(len(w.role), s) for s in (w.cfg.rejecter_share, w.cfg.delayer_share)]
    pick = rng.choice(honest, size=min(len(honest), sum(k)), replace=False)
    role[pick[: k[0]]] = REJECTER
    role[pick[k[0] :]] = DELAYER
    return role


def build_register(w, rng: np.random.Generator) -> Register:
    """Everything above, from the world ``w`` of payproof.scenario.generate."""
    cfg, fams, geo = w.cfg, w.fams, w.geo
    start, end = w.month_starts[0], w.month_starts[-1]
    deciders = _deciders(geo)
    role = _roles(w, rng, deciders)
    n = w.n_genuine
    # -- registry families that applied: registered in the two years before the period or in it
    window = (fams.registered_on[:n] >= start - 730) & (fams.registered_on[:n] < end)
    applied = np.nonzero(window)[0]
    reg = fams.registered_on[applied]
    clerk = _decider_of(geo, fams.clerk[applied], deciders)
    r = role[clerk]
    dom = (reg - reg.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]")
           .astype(np.int64))  # fmt: skip
    on_time = reg - np.minimum(rng.integers(0, 26, size=len(reg)), dom)  # same month
    late = ((r == DELAYER) & (rng.random(len(reg)) < 0.5)) | (
        (r == BRIBE) & (rng.random(len(reg)) < 0.5)) | (rng.random(len(reg)) < 0.005)
    submitted = np.where(late, reg - rng.integers(45, 200, size=len(reg)), on_time)
    overturned = (r == REJECTER) & ~late & (rng.random(len(reg)) < 0.35)
    first_sub = np.where(overturned, reg - rng.integers(60, 200, size=len(reg)), submitted)
    apps = {
        "mother": [w.mother_id.take(pa.array(applied)).to_numpy(zero_copy_only=False)],
        "family": [w.family_ids.take(pa.array(applied)).to_numpy(zero_copy_only=False)],
        "clerk": [clerk], "submitted": [submitted], "decided": [reg],
        "decision": [np.full(len(reg), "approved", dtype=object)],
    }  # fmt: skip
    rej_first = np.nonzero(overturned)[0]
    apps["mother"].append(apps["mother"][0][rej_first])
    apps["family"].append(np.full(len(rej_first), None, dtype=object))
    apps["clerk"].append(clerk[rej_first])
    apps["submitted"].append(first_sub[rej_first])
    apps["decided"].append(first_sub[rej_first] + rng.integers(3, 20, size=len(rej_first)))
    apps["decision"].append(np.full(len(rej_first), "rejected", dtype=object))
    # -- families never enrolled, per clerk, in proportion to the clerk's approvals
    approvals = np.bincount(clerk, minlength=len(role)).astype(float)
    rate_rej = np.select([role == REJECTER, role == HONEST_APP], [0.8, 0.03], 0.01)
    rate_pend = np.where(role == DELAYER, 0.4, 0.0)
    rate_inel = np.full(len(role), 0.10)
    n_rej = rng.poisson(approvals * rate_rej)
    n_pend = rng.poisson(approvals * rate_pend)
    n_inel = rng.poisson(approvals * rate_inel)
    n_never = round(n * cfg.never_applied_rate)
    # 0 rejected while eligible, 1 pending, 2 ineligible (rightly rejected), 3 never applied
    kinds = np.concatenate([np.zeros(n_rej.sum(), np.int64), np.full(n_pend.sum(), 1),
                            np.full(n_inel.sum(), 2), np.full(n_never, 3)])  # fmt: skip
    new_clerk = np.concatenate([np.repeat(np.arange(len(role)), n_rej),
                                np.repeat(np.arange(len(role)), n_pend),
                                np.repeat(np.arange(len(role)), n_inel),
                                np.full(n_never, -1)])  # fmt: skip
    m = len(kinds)
    new = build_families(m, start, end, geo, len(SURNAMES), rng)
    office = np.where(new_clerk >= 0, geo.clerk_office[np.maximum(new_clerk, 0)], new.office)
    district = geo.office_district[office]
    # ineligible applicants keep only their three youngest children
    keep = _drop_to_three(new, kinds == 2)
    mother_iin = iin_numbers(new.mother_birth, np.ones(m, bool), rng, taken=w.mother_iin)
    new_mother = np.asarray(zero_padded(mother_iin, 12).to_pylist(), dtype=object)
    # applications within the audited months (pending ones early enough to be overdue)
    sub_new = np.clip(new.registered_on, start, end - 5)
    sub_new = np.where(kinds == 1, np.maximum(np.minimum(sub_new, end - 90), start), sub_new)
    is_app = kinds < 3
    dec_new = np.where(kinds == 1, DEATH_NONE, sub_new + rng.integers(3, 25, size=m))
    dec_new = np.minimum(dec_new, np.where(kinds == 1, DEATH_NONE, end - 1))
    apps["mother"].append(new_mother[is_app])
    apps["family"].append(np.full(int(is_app.sum()), None, dtype=object))
    apps["clerk"].append(new_clerk[is_app])
    apps["submitted"].append(sub_new[is_app])
    apps["decided"].append(dec_new[is_app])
    apps["decision"].append(np.where(kinds[is_app] == 1, "pending", "rejected").astype(object))
    applications = _applications_table(w, apps, rng)
    population = _population_table(w, new, keep, new_mother, district, rng)
    truth = _truth(w, applied, first_sub, submitted, late | overturned, new, keep,
                                new_mother, kinds, sub_new)  # fmt: skip
    grievances = _grievances(w, rng, new_mother, new_clerk, kinds, sub_new, applied, clerk,
                             late & (r == BRIBE))  # fmt: skip
    clerks = pa.table({"staff_id": geo.clerk_ids,
                       "application_role": pa.array(np.array(APP_ROLES, dtype=object)[role],
                                                    pa.string())})  # fmt: skip
    return Register(population, applications, grievances, truth, clerks)


def _drop_to_three(f, ineligible: np.ndarray) -> np.ndarray:
    """Mask of children kept: all of them, except the elder ones of ineligible mothers."""
    c = len(f.child_family)
    count = np.bincount(f.child_family, minlength=f.n)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    ordinal = np.arange(c) - first[f.child_family]
    return ~ineligible[f.child_family] | (ordinal >= count[f.child_family] - 3)


def _applications_table(w, apps: dict, rng) -> pa.Table:
    cat = {k: np.concatenate(v) for k, v in apps.items()}
    k = len(cat["clerk"])
    order = np.lexsort((np.arange(k), cat["submitted"]))
    cat = {key: v[order] for key, v in cat.items()}
    decided = cat["decided"]
    pending = cat["decision"] == "pending"
    reason = np.where(cat["decision"] == "rejected", "documents", None)
    clerk = cat["clerk"]
    office = w.geo.clerk_office[np.maximum(clerk, 0)]
    return pa.table({
        "application_id": zero_padded(np.arange(1, k + 1), max(7, len(str(k))), "A"),
        "mother_id": pa.array(cat["mother"], pa.string()),
        "family_id": pa.array(cat["family"], pa.string()),
        "office_id": w.geo.office_ids.take(pa.array(office)),
        "staff_id": w.clerk_ids_or_null(clerk),
        "submitted_on": dates(cat["submitted"]),
        "decided_on": dates(np.where(pending, 0, decided), ~pending),
        "decision": pa.array(cat["decision"], pa.string()),
        "reason_code": pa.array(reason, pa.string()),
        "children_declared": pa.nulls(k, pa.int32()),
    }, schema=SCHEMAS["applications"])  # fmt: skip


def _population_table(w, new, keep, new_mother, district, rng) -> pa.Table:
    """Genuine registry mothers and their own children, then the new families."""
    f, n, geo = w.fams, w.n_genuine, w.geo
    c = len(f.child_family)
    src = f.child_source if f.child_source is not None else np.arange(c)
    own = (src == np.arange(c)) & (f.child_family < n)
    names = np.array(geo.district_names, dtype=object)
    reg_mothers = w.mother_id.slice(0, n).to_numpy(zero_copy_only=False)
    ck = np.nonzero(keep)[0]
    births = np.concatenate([f.mother_birth[:n], f.child_birth[own], new.mother_birth,
                             new.child_birth[ck]])  # fmt: skip
    deaths = np.concatenate([np.full(n, DEATH_NONE), f.child_death[own], np.full(new.n, DEATH_NONE),
                             new.child_death[ck]])  # fmt: skip
    student = np.concatenate([np.full(n, STUDENT_NONE), f.child_student_until[own],
                              np.full(new.n, STUDENT_NONE), new.child_student_until[ck]])
    mother = np.concatenate([np.full(n, None, dtype=object), reg_mothers[f.child_family[own]],
                             np.full(new.n, None, dtype=object),
                             new_mother[new.child_family[ck]]])  # fmt: skip
    dist = np.concatenate([names[f.district[:n]], names[f.district[f.child_family[own]]],
                           names[district], names[district[new.child_family[ck]]]])
    k_children = int(own.sum()) + len(ck)
    child_ids = zero_padded(np.arange(1, k_children + 1), 9, "R").to_numpy(zero_copy_only=False)
    person = np.concatenate([reg_mothers, child_ids[: int(own.sum())], new_mother,
                             child_ids[int(own.sum()):]])  # fmt: skip
    return pa.table({
        "person_id": pa.array(person, pa.string()),
        "birth_date": dates(births),
        "mother_id": pa.array(mother, pa.string()),
        "death_date": dates(deaths, deaths != DEATH_NONE),
        "district": pa.array(dist, pa.string()),
        "address": pa.nulls(len(person), pa.string()),
        "student_until": dates(student, student != STUDENT_NONE),
    }, schema=SCHEMAS["population"])  # fmt: skip


def _monthly(w, birth, death, student, fam, n_fam) -> np.ndarray:
    """(families, months) amounts in whole tenge, by the rules re-implemented in numpy."""
    t18, t23 = add_years(birth, AGE_LIMIT), add_years(birth, STUDENT_AGE_LIMIT)
    out = np.zeros((n_fam, len(w.periods)), np.int64)
    for m, period in enumerate(w.periods):
        counted = counted_children(w.month_starts[m], birth, death, student, t18, t23)
        k = np.bincount(fam[counted], minlength=n_fam)
        year, month = int(period[:4]), int(period[5:])
        out[:, m] = np.where(k >= 4, monthly_amount(k, mci_for(year, month)), 0)
    return out


def _month_of(day: np.ndarray, w) -> np.ndarray:
    """Index of the audited month holding each day (-1 before, len after)."""
    return np.searchsorted(np.asarray(w.month_starts), day, side="right") - 1


def _truth(w, applied, first_sub, submitted, delayed, new, keep, new_mother, kinds, sub_new):
    """truth/excluded.csv rows: every mother owed (or, never applied, would be due)."""
    f = w.fams
    rows = {"mother_id": [], "kind": [], "months": [], "amount_due": []}
    # late approvals: every registry child row (children.csv), owed from the first
    # application's month
    amounts = _monthly(w, f.child_birth, f.child_death, f.child_student_until,
                       f.child_family, f.n)  # fmt: skip
    reg_month = _month_of(f.registered_on[applied], w)
    claim = _month_of(first_sub, w)
    mothers = w.mother_id.take(pa.array(applied)).to_pylist()
    for i in np.nonzero(delayed)[0]:
        lo, hi = max(claim[i], 0), min(reg_month[i], len(w.periods))
        if hi <= lo:
            continue
        due = amounts[applied[i], lo:hi]
        if due.sum():
            rows["mother_id"].append(mothers[i])
            rows["kind"].append("late_approval")
            rows["months"].append(int((due > 0).sum()))
            rows["amount_due"].append(int(due.sum()))
    # never enrolled: register children, owed from the application (all months if never)
    ck = np.nonzero(keep)[0]
    amounts = _monthly(w, new.child_birth[ck], new.child_death[ck], new.child_student_until[ck],
                       new.child_family[ck], new.n)  # fmt: skip
    names = ("rejected", "pending", "rejected", "never_applied")
    start_month = np.where(kinds == 3, 0, _month_of(sub_new, w))
    for i in range(new.n):
        lo = int(start_month[i])
        kind = names[kinds[i]]
        if amounts[i, lo] == 0:  # not eligible when she applied: the application claims nothing
            lo, kind = 0, "never_applied"
        due = amounts[i, lo:]
        if due.sum():
            rows["mother_id"].append(new_mother[i])
            rows["kind"].append(kind)
            rows["months"].append(int((due > 0).sum()))
            rows["amount_due"].append(int(due.sum()))
    table = pa.table({"mother_id": pa.array(rows["mother_id"], pa.string()),
                      "kind": pa.array(rows["kind"], pa.string()),
                      "months": pa.array(rows["months"], pa.int64()),
                      "amount_due": pa.array(rows["amount_due"], pa.int64())})  # fmt: skip
    return table


def _grievances(w, rng, new_mother, new_clerk, kinds, sub_new, applied, clerk, bribed):
    """Complaints naming the clerk: some rejected mothers, some bribed families."""
    rej = np.nonzero((kinds == 0) & (rng.random(len(kinds)) < 0.3))[0]
    bri = np.nonzero(bribed & (rng.random(len(bribed)) < 0.4))[0]
    k = len(rej) + len(bri)
    filed = np.concatenate([sub_new[rej] + rng.integers(20, 120, size=len(rej)),
                            w.fams.registered_on[applied[bri]] + rng.integers(20, 120,
                                                                              size=len(bri))])
    filed = np.minimum(filed, w.export_date)
    fam = np.concatenate([np.full(len(rej), None, dtype=object),
                          w.family_ids.take(pa.array(applied[bri])).to_numpy(
                              zero_copy_only=False)])  # fmt: skip
    cat = np.array(["wrongly_excluded"] * len(rej) + ["bribe_demanded"] * len(bri), dtype=object)
    who = np.concatenate([new_clerk[rej], clerk[bri]])
    return pa.table({
        "grievance_id": zero_padded(np.arange(1, k + 1), 6, "GX"),
        "family_id": pa.array(fam, pa.string()),
        "filed_on": dates(filed),
        "category": pa.array(cat, pa.string()),
        "period": pa.nulls(k, pa.string()),
        "amount_claimed": pa.nulls(k, pa.decimal128(18, 2)),
        "staff_id": w.clerk_ids_or_null(who),
        "description": pa.nulls(k, pa.string()),
    })  # fmt: skip


def write_register(out: Path, reg: Register, formats, write_table) -> list[Path]:
    """population, applications (inputs) and the two truth files."""
    import pyarrow.csv as pacsv

    from payproof.scenario.writer import CSV_OPTIONS

    files = write_table(out, "population", reg.population, formats)
    files += write_table(out, "applications", reg.applications, formats)
    pacsv.write_csv(reg.truth_excluded, str(out / "truth" / "excluded.csv"),
                    write_options=CSV_OPTIONS)  # fmt: skip
    pacsv.write_csv(reg.truth_clerks, str(out / "truth" / "application_clerks.csv"),
                    write_options=CSV_OPTIONS)  # fmt: skip
    return files
