"""Injected red-flag cases: records a registry check should catch, with their truth.

A few families per kind are altered after the registry is built and before
any money moves, so entitlements, payments and the audit's ground truth follow
the altered records exactly. The cases use their own random stream (derived
from the seed), so asking for more or fewer of them leaves the rest of the
programme as it was. Families touched by a duplicate registration are left
alone, so each case shows one thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from payproof.scenario.families import DEATH_NONE, YEAR, Families, snap_day

RED_FLAG_KINDS = (
    "child_in_two_families",
    "siblings_too_close",
    "implausible_mother_age",
    "registered_after_death",
    "registration_burst",
)
STREAM = 0x6F57  # mixed with the seed for the cases' own random stream


@dataclass
class RedFlagCases:
    """One row per injected case: kind, family index, child row (-1 if none), a note."""

    kind: list[str] = field(default_factory=list)
    family: list[int] = field(default_factory=list)
    child: list[int] = field(default_factory=list)
    note: list[str] = field(default_factory=list)
    copied_children: int = 0  # child rows appended at the end (copies in a second family)

    def add(self, kind: str, family: int, child: int, note: str) -> None:
        self.kind.append(kind)
        self.family.append(int(family))
        self.child.append(int(child))
        self.note.append(note)


def _day(d: int) -> str:
    return str(np.datetime64(int(d), "D"))


def inject_red_flags(
    fams: Families, exclude: np.ndarray, n_genuine: int, start: int, cfg
) -> tuple[Families, RedFlagCases]:
    """Alter ``cfg.red_flag_cases`` families per kind (and one office's registrations)."""
    cases = RedFlagCases()
    k = cfg.red_flag_cases
    if k <= 0:
        return fams, cases
    rng = np.random.default_rng([cfg.seed, STREAM])
    free = np.ones(fams.n, bool)
    free[n_genuine:] = False
    free[exclude] = False
    n_kids = np.bincount(fams.child_family, minlength=fams.n)
    first = np.concatenate([[0], np.cumsum(n_kids)[:-1]])
    order = rng.permutation(n_genuine)

    def take(count: int, ok) -> list[int]:
        out = []
        for f in order:
            if len(out) == count:
                break
            if free[f] and ok(int(f)):
                free[f] = False
                out.append(int(f))
        return out

    _siblings(fams, take(k, lambda f: n_kids[f] >= 2), first, n_kids, rng, cases)
    _mother_age(fams, take(k, lambda f: True), first, n_kids, rng, cases)
    _after_death(fams, take(k, lambda f: n_kids[f] >= 5), first, n_kids, rng, cases)
    _burst(fams, free, start, cfg.burst_size, rng, cases)
    pairs = take(2 * k, lambda f: True)
    fams = _child_in_two(fams, pairs, first, n_kids, rng, cases)
    return fams, cases


def _siblings(fams, chosen, first, n_kids, rng, cases) -> None:
    """A younger sibling moved to 5-8 months after the elder one."""
    for f in chosen:
        rows = np.arange(first[f] + 1, first[f] + n_kids[f])
        c = int(rows[rng.integers(len(rows))])
        prev = fams.child_birth[c - 1]
        new = int(snap_day(np.array([prev + rng.integers(150, 240)]))[0])
        if new >= fams.child_birth[c]:
            continue
        fams.child_birth[c] = new
        if fams.child_death[c] != DEATH_NONE and fams.child_death[c] <= new + 30:
            fams.child_death[c] = DEATH_NONE
        cases.add("siblings_too_close", f, c, f"born {new - prev} days after the elder sibling")


def _mother_age(fams, chosen, first, n_kids, rng, cases) -> None:
    """A mother 12-13 years old at her first birth, or 56-60 at her last."""
    for i, f in enumerate(chosen):
        if i % 2 == 0:
            c = int(first[f])
            years = rng.uniform(12.2, 13.6)
            fams.mother_birth[f] = snap_day(np.array([fams.child_birth[c] - int(years * YEAR)]))[0]
            note = "mother under 14 at the first birth"
        else:
            c = int(first[f] + n_kids[f] - 1)
            years = rng.uniform(56.6, 60.0)
            fams.mother_birth[f] = snap_day(np.array([fams.child_birth[c] - int(years * YEAR)]))[0]
            note = "mother over 55 at the last birth"
        cases.add("implausible_mother_age", f, c, note)


def _after_death(fams, chosen, first, n_kids, rng, cases) -> None:
    """A child whose recorded death falls before the family's registration."""
    for f in chosen:
        reg = fams.registered_on[f]
        rows = np.arange(first[f], first[f] + n_kids[f])
        ok = rows[fams.child_birth[rows] + 90 < reg]
        if not len(ok):
            continue
        c = int(ok[rng.integers(len(ok))])
        b = fams.child_birth[c]
        death = int(snap_day(np.array([b + 31 + rng.integers(0, reg - b - 60)]), 2, 28)[0])
        if not b < death < reg:
            continue
        fams.child_death[c] = death
        fams.child_student_until[c] = np.iinfo(np.int64).min // 2
        cases.add("registered_after_death", f, c, f"died {_day(death)}, registered {_day(reg)}")


def _burst(fams, free, start, size, rng, cases) -> None:
    """Many of one office's families re-dated into one week, before the audited year."""
    if size <= 0:
        return
    office = int(np.bincount(fams.office[: len(free)][free]).argmax()) if free.any() else -1
    window = start - int(rng.integers(150, 600))
    cands = np.nonzero(free & (fams.office == office) & (fams.registered_on < window - 30))[0]
    if len(cands) < 10:
        return
    chosen = np.sort(rng.choice(cands, size=min(size, len(cands)), replace=False))
    fams.registered_on[chosen] = window + rng.integers(0, 7, size=len(chosen))
    free[chosen] = False
    for f in chosen:
        cases.add(
            "registration_burst", f, -1, f"one of {len(chosen)} in the week of {_day(window)}"
        )


def _child_in_two(fams, pairs, first, n_kids, rng, cases) -> Families:
    """A child of one family copied (same national ID) into another family's record."""
    src, dst = [], []
    for a, b in zip(pairs[0::2], pairs[1::2], strict=False):
        c = int(first[a] + rng.integers(n_kids[a]))
        src.append(c)
        dst.append(b)
    if not src:
        return fams
    s, d = np.array(src, np.int64), np.array(dst, np.int64)
    at = len(fams.child_family)
    for i, (c, b) in enumerate(zip(s, d, strict=True)):
        note = f"copy of a child of family #{int(fams.child_family[c]) + 1}"
        cases.add("child_in_two_families", int(b), at + i, note)
    cases.copied_children = len(s)

    def cat(arr, extra):
        return np.concatenate([arr, extra])

    return Families(
        n=fams.n,
        mother_birth=fams.mother_birth,
        registered_on=fams.registered_on,
        district=fams.district,
        office=fams.office,
        clerk=fams.clerk,
        surname_idx=fams.surname_idx,
        child_family=cat(fams.child_family, d),
        child_birth=cat(fams.child_birth, fams.child_birth[s]),
        child_female=cat(fams.child_female, fams.child_female[s]),
        child_death=cat(fams.child_death, fams.child_death[s]),
        child_student_until=cat(fams.child_student_until, fams.child_student_until[s]),
        child_source=cat(fams.child_source, s),
    )
