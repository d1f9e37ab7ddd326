"""Who cheats and how: clerk roles, unpaid families, ghosts and duplicate registrations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from payproof.scenario.families import Families

HONEST, SKIMMER, DIVERTER, GHOST_MAKER = 0, 1, 2, 3
# Harder cases (off by default): every clerk of a collusive office skims; a subtle skimmer
# keeps a smaller share from a minority of its families; an intermittent diverter diverts
# only for a few consecutive months.
COLLUDER, SUBTLE_SKIMMER, INTERMITTENT = 4, 5, 6
ROLE_NAMES = ("honest", "skimmer", "diverter", "ghost_maker", "colluder", "subtle_skimmer",
              "intermittent_diverter")  # fmt: skip
# The generator's second random stream: the harder cases draw only from it, so turning
# them on leaves every other row of a scenario as it was.
EXTRA_STREAM = 1010
# How a duplicate registration differs from the mother's first one (truth/duplicate_mothers.csv):
# a Latin transliteration, Russian look-alike letters, no patronymic, a mistyped IIN, Zh written
# J, -ova/-eva, a Russian-style patronymic, day and month of birth swapped, or a move to another
# district with a new phone. IIN slips: most break the check digit (a wrong digit anywhere, two
# neighbours swapped, a digit dropped or typed twice); a few give another valid number (one
# serial digit, or two serial digits swapped, with the check digit recomputed).
# With --name-variants, a share of duplicates is written instead in one of NAME_VARIANT_KINDS:
# Latin look-alike letters typed inside the Cyrillic name, one of the transliteration systems
# (names.ROMANISATIONS), or a married surname (same IIN and birth date, another surname).
NAME_VARIANT_KINDS = ("homoglyph", "icao", "bgn", "german", "french", "scientific", "kz2017",
                      "kz2018", "kz2021", "married")  # fmt: skip
DUPLICATE_KINDS = ("translit", "russian_letters", "no_patronymic", "iin_typo", "zh_j", "ova_eva",
                   "russian_patronymic", "iin_swap", "date_swap", "moved", "iin_wrong_digit",
                   "iin_swap_invalid", "iin_dropped_digit", "iin_extra_digit",
                   *NAME_VARIANT_KINDS)  # fmt: skip
# Relative frequency of each kind: ID slips are a third, three in four of them fail the check.
# The name-variant kinds are never drawn here (weight 0), so the default programme is unchanged.
DUPLICATE_WEIGHTS = np.array([1, 1, 1, 0.5, 1, 1, 1, 0.5, 1, 1, 0.75, 0.75, 0.75, 0.75]
                             + [0] * len(NAME_VARIANT_KINDS))  # fmt: skip
# The generator's third random stream: name variants and hard negatives draw only from it.
NAMES_STREAM = 1011
# The slips that leave the IIN failing its check, in identity.iin_broken's order.
BROKEN_IIN_KINDS = ("iin_wrong_digit", "iin_swap_invalid", "iin_dropped_digit", "iin_extra_digit")
NAME_KINDS = ("zh_j", "ova_eva", "russian_patronymic")


def share_count(total: int, share: float) -> int:
    """round(total * share), but at least one when the share is positive."""
    if share <= 0 or total <= 0:
        return 0
    return min(total, max(1, round(total * share)))


def assign_roles(n_clerks: int, cfg, rng) -> np.ndarray:
    """Disjoint sets of skimming, diverting and ghost-making clerks; the rest are honest."""
    role = np.zeros(n_clerks, dtype=np.int64)
    order = rng.permutation(n_clerks)
    at = 0
    for code, share in ((SKIMMER, cfg.skimmer_share), (DIVERTER, cfg.diverter_share),
                        (GHOST_MAKER, cfg.ghost_maker_share)):  # fmt: skip
        k = share_count(n_clerks, share)
        role[order[at : at + k]] = code
        at += k
    return role


@dataclass
class ExtraFraud:
    """The harder cases: collusive offices, subtle skimmers, intermittent diverters, noise."""

    collusive_office: np.ndarray  # bool per paying office
    subtle_victim: np.ndarray  # bool per family: a subtle skimmer skims it when it pays it
    intermittent_first: np.ndarray  # per clerk: first month diverting (-1 if not)
    noise_rate: np.ndarray  # per paying office: share of bank/confirmation lines reported short
    rng: np.random.Generator


def assign_extra_roles(role: np.ndarray, geo, n_families: int, cfg) -> ExtraFraud | None:
    """Collusive offices (all-honest offices only), then subtle and intermittent clerks.

    Returns None when every harder case is off, so the default scenario is unchanged.
    """
    on = (cfg.collusive_offices or cfg.subtle_skimmer_share or cfg.intermittent_share
          or cfg.receipt_noise_rate)  # fmt: skip
    if not on:
        return None
    rng = np.random.default_rng([cfg.seed, EXTRA_STREAM])
    n_off = len(geo.office_ids)
    clean = np.bincount(geo.clerk_office, weights=role != HONEST, minlength=n_off) == 0
    candidates = rng.permutation(np.nonzero(clean)[0])
    if cfg.collusive_offices > len(candidates):
        raise ValueError(
            f"--collusive-offices {cfg.collusive_offices}: only {len(candidates)} offices have "
            "no other dishonest clerk; use fewer or more --families"
        )
    collusive = np.zeros(n_off, bool)
    collusive[candidates[: cfg.collusive_offices]] = True
    role[collusive[geo.clerk_office]] = COLLUDER
    honest = rng.permutation(np.nonzero(role == HONEST)[0])
    at = 0
    for code, share in ((SUBTLE_SKIMMER, cfg.subtle_skimmer_share),
                        (INTERMITTENT, cfg.intermittent_share)):  # fmt: skip
        k = share_count(len(role), share)
        role[honest[at : at + k]] = code
        at += k
    span = min(cfg.intermittent_months, cfg.months)
    first = np.where(role == INTERMITTENT, rng.integers(0, cfg.months - span + 1, len(role)), -1)
    return ExtraFraud(
        collusive_office=collusive,
        subtle_victim=rng.random(n_families) < cfg.subtle_family_share,
        intermittent_first=first,
        noise_rate=np.minimum(cfg.receipt_noise_rate * rng.gamma(4.0, 0.25, n_off), 1.0),
        rng=rng,
    )


def never_paid(n: int, office: np.ndarray, n_offices: int, months: int, cfg, rng):
    """Families an office never pays (from month ``stop`` on; 0 = never at all).

    Negligence is an office habit: each office gets its own rate, averaging
    ``never_paid_rate`` (a few offices leave a quarter or more of mothers unpaid).
    """
    w = rng.gamma(0.6, 1.0, size=n_offices)
    w = w / max(w.mean(), 1e-9)
    rate = np.minimum(cfg.never_paid_rate * w, 0.9)
    flag = rng.random(n) < rate[office]
    stop = np.zeros(n, dtype=np.int64)
    partial = flag & (rng.random(n) < cfg.never_paid_partial)
    if months > 1:
        stop[partial] = rng.integers(1, months, size=int(partial.sum()))
    return flag, stop


@dataclass
class Duplicates:
    original: np.ndarray  # family index of the genuine record
    kind: np.ndarray  # index into DUPLICATE_KINDS


def add_duplicates(fams: Families, geo, cfg, end: int, rng) -> tuple[Families, Duplicates]:
    """Append a second registration for some mothers (same children, new IDs)."""
    n = fams.n
    d = round(n * cfg.duplicate_mother_rate) if cfg.duplicate_mother_rate > 0 else 0
    orig = np.sort(rng.choice(n, size=d, replace=False)) if d else np.zeros(0, np.int64)
    p = DUPLICATE_WEIGHTS / DUPLICATE_WEIGHTS.sum()
    kind = rng.choice(len(DUPLICATE_KINDS), size=d, p=p)
    if cfg.name_variant_share > 0:  # drawn from their own stream: the rest stays as it was
        extra = np.random.default_rng([cfg.seed, NAMES_STREAM])
        pick = np.nonzero(extra.random(d) < cfg.name_variant_share)[0]
        codes = [DUPLICATE_KINDS.index(k) for k in NAME_VARIANT_KINDS]
        kind[pick] = extra.choice(codes, size=len(pick))
    moved = rng.random(d) < 0.3
    n_off = len(geo.office_district)
    office = np.where(moved, rng.integers(0, n_off, size=d), fams.office[orig])
    # a "moved" duplicate is always registered in another district
    elsewhere = kind == DUPLICATE_KINDS.index("moved")
    home = geo.office_district[fams.office[orig]]
    shift = rng.integers(1, max(n_off, 2), size=d)
    for _ in range(n_off):
        same = elsewhere & (geo.office_district[office] == home)
        if not same.any():
            break
        office = np.where(same, (fams.office[orig] + shift) % n_off, office)
        shift = np.where(same, shift + 1, shift)
    clerk = geo.office_clerk_start[office] + (
        rng.random(d) * geo.office_clerk_count[office]
    ).astype(np.int64)
    reg = np.minimum(fams.registered_on[orig] + rng.integers(30, 400, size=d), end - 1)
    to_dup = np.full(n, -1, dtype=np.int64)
    to_dup[orig] = n + np.arange(d)
    sel = np.nonzero(to_dup[fams.child_family] >= 0)[0]

    def cat(a, b):
        return np.concatenate([a, b])

    out = Families(
        n=n + d,
        mother_birth=cat(fams.mother_birth, fams.mother_birth[orig]),
        registered_on=cat(fams.registered_on, reg),
        district=cat(fams.district, geo.office_district[office]),
        office=cat(fams.office, office),
        clerk=cat(fams.clerk, clerk),
        surname_idx=cat(fams.surname_idx, fams.surname_idx[orig]),
        child_family=cat(fams.child_family, to_dup[fams.child_family[sel]]),
        child_birth=cat(fams.child_birth, fams.child_birth[sel]),
        child_female=cat(fams.child_female, fams.child_female[sel]),
        child_death=cat(fams.child_death, fams.child_death[sel]),
        child_student_until=cat(fams.child_student_until, fams.child_student_until[sel]),
        child_source=cat(np.arange(len(fams.child_family)), sel),
    )
    return out, Duplicates(original=orig, kind=kind)


@dataclass
class Ghosts:
    maker: np.ndarray  # clerk index
    start: np.ndarray  # first month paid (0-based)
    children: np.ndarray  # claimed number of children (4..7)
    account: np.ndarray  # index into the controlled-accounts list


def make_ghosts(n_families: int, role: np.ndarray, cfg, months: int, rng) -> tuple[Ghosts, int]:
    """Ghost families and the accounts their makers control (1-3 per maker)."""
    makers = np.nonzero(role == GHOST_MAKER)[0]
    g = round(n_families * cfg.ghost_rate) if len(makers) and cfg.ghost_rate > 0 else 0
    maker = makers[rng.integers(0, len(makers), size=g)] if g else np.zeros(0, np.int64)
    n_acc = rng.integers(1, 4, size=len(makers))
    acc_start = np.concatenate([[0], np.cumsum(n_acc)[:-1]]).astype(np.int64)
    pos = np.searchsorted(makers, maker)
    account = acc_start[pos] + (rng.random(g) * n_acc[pos]).astype(np.int64)
    ghosts = Ghosts(
        maker=maker,
        start=rng.integers(0, max(1, months // 2), size=g),
        children=rng.integers(4, 8, size=g),
        account=account,
    )
    return ghosts, int(n_acc.sum())
