"""The ground truth written beside the data (truth/*.csv, family_periods.parquet)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from payproof.scenario.fraud import (
    COLLUDER,
    DIVERTER,
    DUPLICATE_KINDS,
    GHOST_MAKER,
    INTERMITTENT,
    ROLE_NAMES,
    SKIMMER,
    SUBTLE_SKIMMER,
)
from payproof.scenario.identity import iin_valid_array
from payproof.scenario.writer import CSV_OPTIONS, money


def _csv(path: Path, columns: dict) -> None:
    pacsv.write_csv(pa.table(columns), str(path), write_options=CSV_OPTIONS)


def write_truth(folder: Path, w, ledger, bad_rows: list[dict]) -> dict[str, int]:
    """Write every truth file; return the counts that scenario.json reports."""
    n, g = w.fams.n, len(w.ghosts.maker)
    cfg = w.cfg
    fid = w.family_ids
    dup_of = np.full(n, -1, np.int64)
    dup_of[w.n_genuine :] = w.dups.original
    owed_true = ledger.owed_true.copy()
    owed_true[w.n_genuine :] = 0  # a duplicate record is not a family: nothing is owed to it
    _csv(
        folder / "families.csv",
        {
            "family_id": fid.slice(0, n),
            "office_id": w.geo.office_ids.take(pa.array(w.fams.office)),
            "entitled": money(ledger.entitled),
            "disbursed": money(ledger.disbursed),
            "received_true": money(ledger.received_true),
            "owed_true": money(owed_true),
            "owed_evidenced": money(ledger.owed_evidenced),
            "never_paid": pa.array(w.never & (ledger.entitled > 0)),
            "duplicate_of": fid.take(pa.array(np.maximum(dup_of, 0), mask=dup_of < 0)),
        },
    )
    # staff: clerks with their role, then heads of office (they pay nobody)
    n_clerks = len(w.geo.clerk_office)
    n_staff = w.geo.staff.num_rows
    role = np.concatenate([w.role, np.zeros(n_staff - n_clerks, np.int64)])
    ghosts_by = np.bincount(w.ghosts.maker, minlength=n_clerks)
    _csv(
        folder / "staff.csv",
        {
            "staff_id": w.geo.staff.column("staff_id"),
            "office_id": w.geo.staff.column("office_id"),
            "role": pa.array(np.array(ROLE_NAMES, dtype=object)[role], type=pa.string()),
            "skim_share": _per_role(
                role,
                {SKIMMER: cfg.skim_rate, COLLUDER: cfg.collusive_skim_rate,
                 SUBTLE_SKIMMER: cfg.subtle_skim_rate},
            ),  # fmt: skip
            "divert_rate": _per_role(role, {DIVERTER: cfg.divert_rate,
                                            INTERMITTENT: cfg.intermittent_rate}),
            "family_share": _per_role(role, {SKIMMER: 1.0, COLLUDER: 1.0,
                                             SUBTLE_SKIMMER: cfg.subtle_family_share}),
            "active_months": pa.array(_active_months(w, role), pa.string()),
            "ghost_families": np.concatenate([ghosts_by, np.zeros(n_staff - n_clerks, np.int64)]),
            "lines": np.concatenate([ledger.clerk_lines, np.zeros(n_staff - n_clerks, np.int64)]),
            "short_verified_lines": np.concatenate(
                [ledger.clerk_short, np.zeros(n_staff - n_clerks, np.int64)]
            ),
        },
    )
    _write_offices(folder, w, role[:n_clerks])
    maker = w.ghosts.maker
    ghost_acc = w.ghost_account_base + w.ghosts.account
    _csv(
        folder / "ghosts.csv",
        {
            "family_id": fid.slice(n, g),
            "staff_id": w.geo.clerk_ids.take(pa.array(maker)),
            "office_id": w.geo.office_ids.take(pa.array(w.geo.clerk_office[maker])),
            "account": w.accounts.take(pa.array(ghost_acc)),
            "first_period": pa.array(w.periods, pa.string()).take(
                pa.array(np.maximum(ledger.ghost_first, 0), mask=ledger.ghost_first < 0)
            ),
            "months_paid": ledger.ghost_months,
            "total_paid": money(ledger.ghost_paid),
        },
    )
    dup = np.arange(w.n_genuine, n)
    orig = w.dups.original
    _csv(
        folder / "duplicate_mothers.csv",
        {
            "family_id": fid.take(pa.array(orig)),
            "duplicate_family_id": fid.take(pa.array(dup)),
            "kind": pa.array(np.array(DUPLICATE_KINDS, dtype=object)[w.dups.kind], pa.string()),
            "same_mother_id": pc.equal(
                w.mother_id.take(pa.array(orig)), w.mother_id.take(pa.array(dup))
            ),
            "mother_id_valid": pa.array(iin_valid_array(w.mother_id.take(pa.array(dup)))),
            "same_name": pa.array(
                [
                    a == b
                    for a, b in zip(
                        w.mother_names.take(pa.array(orig)).to_pylist(),
                        w.dup_mother_names,
                        strict=True,
                    )
                ]
            ),  # fmt: skip
            "same_birth_date": pa.array(w.fams.mother_birth[orig] == w.fams.mother_birth[dup]),
            "same_district": pa.array(w.fams.district[orig] == w.fams.district[dup]),
            "same_phone": pa.array((w.phone_of[orig] == w.phone_of[dup]) & (w.phone_of[orig] >= 0)),
            "duplicate_office_id": w.geo.office_ids.take(pa.array(w.fams.office[dup])),
            "excess_paid": money(ledger.disbursed[dup]),
        },
    )
    hard = _hard_negatives(w)
    _csv(folder / "hard_negatives.csv", hard)
    rf = w.red_flags
    child = np.array(rf.child, np.int64)
    _csv(
        folder / "red_flags.csv",
        {
            "flag": pa.array(rf.kind, pa.string()),
            "family_id": fid.take(pa.array(np.array(rf.family, np.int64))),
            "child_id": w.child_ids.take(pa.array(np.maximum(child, 0), mask=child < 0)),
            "note": pa.array(rf.note, pa.string()),
        },
    )
    shared = _shared(w, ledger)
    _csv(folder / "shared_accounts.csv", shared)
    _csv(
        folder / "bad_rows.csv",
        {
            k: pa.array([str(r[k]) for r in bad_rows], pa.string())
            for k in ("table", "file", "line", "kind", "column", "value", "id")
        },
    )
    return {
        "skimmers": int((w.role == SKIMMER).sum()),
        "diverters": int((w.role == DIVERTER).sum()),
        "colluders": int((w.role == COLLUDER).sum()),
        "collusive_offices": int(w.extra.collusive_office.sum()) if w.extra else 0,
        "subtle_skimmers": int((w.role == SUBTLE_SKIMMER).sum()),
        "intermittent_diverters": int((w.role == INTERMITTENT).sum()),
        "ghost_makers": int((w.role == GHOST_MAKER).sum()),
        "ghost_families": g,
        "duplicate_mothers": len(orig),
        "hard_negative_pairs": len(hard["kind"]),
        "never_paid_families": int((w.never & (ledger.entitled > 0)).sum()),
        "families_owed_true": int((owed_true > 0).sum()),
        "families_owed_evidenced": int((ledger.owed_evidenced > 0).sum()),
        "shared_accounts": len(shared["value"]),
        "red_flag_cases": len(rf.kind),
        "bad_rows": len(bad_rows),
    }


def _hard_negatives(w) -> dict:
    """Pairs of different people whose records look alike: must not be merged."""
    parts = [(kind, "mothers", w.family_ids, a, b) for kind, (a, b) in w.hard_pairs.items()]
    parts.append(("twins", "children", w.child_ids, *w.twin_pairs))
    cols: dict[str, list] = {"kind": [], "record_type": [], "record_id": [], "other_record_id": []}
    for kind, record, ids, a, b in parts:
        cols["kind"] += [kind] * len(a)
        cols["record_type"] += [record] * len(a)
        cols["record_id"] += ids.take(pa.array(a, pa.int64())).to_pylist()
        cols["other_record_id"] += ids.take(pa.array(b, pa.int64())).to_pylist()
    return {k: pa.array(v, pa.string()) for k, v in cols.items()}


def _per_role(role: np.ndarray, values: dict[int, float]) -> pa.Array:
    """A rate for the roles that have one, empty for the others (per staff member: small)."""
    return pa.array([f"{values[r]:.4f}" if r in values else None for r in role], pa.string())


def _active_months(w, role: np.ndarray) -> list[str | None]:
    """The months an intermittent diverter diverts ('2022-04;2022-05;2022-06')."""
    out: list[str | None] = [None] * len(role)
    if w.extra is None:
        return out
    span = min(w.cfg.intermittent_months, w.cfg.months)
    for i in np.nonzero(role == INTERMITTENT)[0]:
        first = int(w.extra.intermittent_first[i])
        out[i] = ";".join(w.periods[first : first + span])
    return out


def _write_offices(folder: Path, w, clerk_role: np.ndarray) -> None:
    """truth/offices.csv: per paying office, its clerks, cheats, collusion and receipt noise."""
    n_off = len(w.geo.office_ids)
    office = w.geo.clerk_office
    x = w.extra
    _csv(
        folder / "offices.csv",
        {
            "office_id": w.geo.office_ids,
            "clerks": np.bincount(office, minlength=n_off),
            "dishonest_clerks": np.bincount(office, weights=clerk_role != 0, minlength=n_off)
            .astype(np.int64),
            "collusive": pa.array(x.collusive_office if x else np.zeros(n_off, bool)),
            "receipt_noise_rate": pa.array(
                [f"{v:.4f}" for v in (x.noise_rate if x else np.zeros(n_off))], pa.string()
            ),
        },
    )  # fmt: skip


def _shared(w, ledger) -> dict:
    """Accounts and phones used by more than one family, and why (small: per group)."""
    fid = w.family_ids
    rows: list[tuple[str, str, str, str, list[int]]] = []  # what, value, kind, staff, families
    n = w.fams.n
    # ghost accounts: every ghost paid into one, grouped by account
    ghost_acc = w.ghost_account_base + w.ghosts.account
    for acc in np.unique(ghost_acc):
        members = np.nonzero(ghost_acc == acc)[0]
        staff = w.geo.clerk_ids[int(w.ghosts.maker[members[0]])].as_py()
        rows.append(("account", w.accounts[int(acc)].as_py(), "ghost", staff,
                     list(n + members)))  # fmt: skip
    diverted = np.concatenate(ledger.diverted_to) if ledger.diverted_to else np.zeros((0, 2))
    for clerk in np.unique(diverted[:, 1]).astype(np.int64):
        fams = np.unique(diverted[diverted[:, 1] == clerk, 0]).astype(np.int64)
        acc = int(w.diverter_account[clerk])
        rows.append(("account", w.accounts[acc].as_py(), "diverted",
                     w.geo.clerk_ids[int(clerk)].as_py(), list(fams)))  # fmt: skip
    for what, pairs, values, index in (
        ("account", w.relatives_account, w.family_accounts, w.account_of),
        ("phone", w.relatives_phone, w.phones, w.phone_of),
    ):
        for value in np.unique(index[pairs[:, 0]]) if len(pairs) else []:
            members = np.nonzero(index == value)[0]
            rows.append((what, values[int(value)].as_py(), "relatives", "", list(members)))
    return {
        "what": pa.array([r[0] for r in rows], pa.string()),
        "value": pa.array([r[1] for r in rows], pa.string()),
        "kind": pa.array([r[2] for r in rows], pa.string()),
        "staff_id": pa.array([r[3] or None for r in rows], pa.string()),
        "families": pa.array([len(r[4]) for r in rows], pa.int64()),
        "family_ids": pa.array(
            [";".join(fid.take(pa.array(r[4])).to_pylist()) for r in rows], pa.string()
        ),
    }
