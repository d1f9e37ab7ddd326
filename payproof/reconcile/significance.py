"""Who stands out, at every level: clerks, offices and regions, each against its yardstick.

For each clerk we count verified lines (the family-month has receipt evidence) and short
lines (the family received less than was paid out). The tests (docs/audit.md):

- clerk against the other clerks of the office (``office``), and against the clerks of the
  region's other offices — or the programme's when the region has no other office
  (``region``): when a whole office is in on it, only the second sees it;
- clerk's worst run of consecutive months against the office peers in those months
  (``months``): a clerk who diverts for three months and behaves the other nine;
- families paid into accounts shared by several families, against all other clerks
  (``shared_accounts``);
- the clerk's bank-statement lines alone, against the same yardsticks as its own
  whole-year test (``bank``): the strongest evidence, not diluted by what confirmations
  and surveys get wrong;
- families with a materially short payment (more than 5 % missing), against the office's
  other clerks (``material_families``): a skimmer takes from the same few families month
  after month, which a clerk's count of all short lines, diluted by honest fees, can hide;
  and the same count against the clerks of the region's other offices
  (``material_families_region``) and of the programme's (``material_families_programme``),
  for the clerk whose narrower yardstick is mostly cheats;
- office against the other offices of its region (``region``) and of the programme
  (``programme``), and its worst run of months (``months``);
- region against the other regions (``programme``).

Counts are over-dispersed (beta-binomial, dispersion estimated robustly per level, see
:mod:`payproof.reconcile.hierarchy`). All p-values of a run, every level and test, are
adjusted together with Benjamini–Hochberg. A test flags only when q is small *and* the
excess is large enough to matter (lines and percentage points). Each clerk also gets the
short-line rate at which its own test would have flagged it (``detectable_short_rate``):
an unflagged clerk below it is not cleared. Complaints are shown
beside each flag but do not enter the tests: few victims complain, complaints can be
routed away or orchestrated, and the receipts already measure the loss.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from payproof.reconcile.hierarchy import (
    Test,
    detectable,
    group_median,
    group_sums,
    money_interval,
    scan,
    versus,
)
from payproof.reconcile.reasons import staff_reasons


@dataclass(frozen=True)
class FlagSettings:
    alpha: float = 0.01  # BH-adjusted q below this
    min_excess: float = 0.02  # the unit's rate at least 2 percentage points above the yardstick
    min_lines: int = 5  # and at least this many short lines (families) beyond the yardstick
    min_peer_lines: int = 100  # a yardstick needs this many lines (families)
    min_peers: int = 2  # and this many other units
    # and, for the short-line tests, money lost beyond the median peer's loss rate at least this
    # share of the verified money paid out (not for the shared-account test; a clerk's months
    # test holds it on the months it found, and against the region's yardstick a clerk's
    # tests hold it without the clerk's largest-losing family); a
    # clerk's families tests hold the upper end of that money's 95 % interval to it instead
    # (they count only materially short families, so fee noise never reaches them: the line
    # there only keeps a large clerk's tiny loss out, and a large clerk's interval is narrow)
    min_excess_loss: float = 0.005
    # the families test: at least this many materially short families, and more than this
    # many minus one beyond the yardstick (one family's trouble never flags a clerk; two
    # beside a yardstick near zero can); it counts families, so its minimum is in families, not
    # lines (a diverter makes many families short once each; a failing account one family
    # short every month)
    min_families: int = 2


# A unit whose unadjusted p is below this (with a large excess) is left out of the others'
# yardsticks while they are tested.
SUSPECT_P = 1e-3


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """BH-adjusted q-values (monotone, capped at 1); NaN p-values stay NaN and are not counted."""
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return q
    pv = p[ok]
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(ranked, 1.0)
    q[ok] = adjusted
    return q


def col(table: pa.Table, name: str, dtype=float) -> np.ndarray:
    values = table.column(name).to_numpy(zero_copy_only=False)
    if dtype is object:
        return np.asarray(values, dtype=object)
    return np.nan_to_num(np.asarray(values, dtype=float)).astype(dtype)


def codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of string keys (NULL is its own key, '')."""
    keys = np.array(["" if v is None else str(v) for v in values], dtype=object)
    names, inverse = np.unique(keys.astype(str), return_inverse=True)
    return names, inverse.astype(np.int64)


def int_group_sums(group: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Exact integer sums per group (money stays integer: no float accumulation)."""
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, group, np.asarray(values, dtype=np.int64))
    return out


@dataclass
class Units:
    """One level's units with their counts and money, and the tests run on them."""

    ids: np.ndarray
    k: np.ndarray  # short lines
    n: np.ndarray  # verified lines
    lost: np.ndarray  # int64 minor units
    vd: np.ndarray  # verified disbursed, int64 minor units


def peer_totals(k, n, group, exclude=None, drop=None):
    """Peer totals of each unit's group minus the unit itself (and its ``exclude`` group).

    Units in ``drop`` (suspects from an earlier round) count for no one's yardstick: one
    skimming colleague must not raise the bar for the honest clerks beside it.
    """
    keep = np.ones(len(k), bool) if drop is None else ~drop
    kk, nn, one = np.where(keep, k, 0.0), np.where(keep, n, 0.0), keep.astype(float)
    kg, ng, ssg, cg = group_sums(group, kk, nn, nn**2, one)
    if exclude is None:
        return kg - kk, ng - nn, ssg - nn**2, cg - one
    ke, ne, sse, ce = group_sums(exclude, kk, nn, nn**2, one)
    return kg - ke, ng - ne, ssg - sse, cg - ce


def region_peers_ok(k, n, region, office, s: FlagSettings) -> np.ndarray:
    """Whether each unit's region has enough other offices' units to be its yardstick
    (else the programme's are used)."""
    _, pn, _, pc = peer_totals(k, n, region, exclude=office)
    return (pc >= s.min_peers) & (pn >= s.min_peer_lines)


def robust_versus(k, n, peers, s: FlagSettings, median_group: np.ndarray, rounds: int = 3, **kw):
    """:func:`versus` with a yardstick cleaned of suspects.

    First the yardstick is the median short rate of the units in ``median_group`` — not
    moved by a minority of cheats, however large — and units far above it (unadjusted p
    below 0.001, large excess) become suspects. Then, in up to ``rounds`` rounds, the
    pooled rate of the peers without the suspects is the yardstick and suspects are found
    again. The dispersion is always estimated from every unit (its median estimate needs no
    cleaning; leaving honest extremes out of it would make the next one look guilty).
    ``peers(drop)`` returns the peer totals (k, n, ss, count) without the dropped units.
    """

    def suspects(t: Test) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            lift = np.where(n > 0, t.excess / n, 0.0)
        found = (np.nan_to_num(t.p, nan=1.0) < SUSPECT_P) & (t.excess >= s.min_lines)
        return found & (lift >= s.min_excess)

    pk, pn, pss, pc = peers(np.zeros(len(k), bool))
    ok = (pc >= s.min_peers) & (pn >= s.min_peer_lines)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n >= kw.get("min_rho_lines", 30), k / n, np.nan)
    median = np.nan_to_num(group_median(median_group, rate), nan=0.0)
    drop = suspects(versus(k, n, median * pn, pn, pss, ok, **kw))
    for _ in range(rounds):
        pk, pn, pss, pc = peers(drop)
        ok = (pc >= s.min_peers) & (pn >= s.min_peer_lines)
        t = versus(k, n, pk, pn, pss, ok, **kw)
        again = suspects(t)
        if (again == drop).all():
            break
        drop = again
    return t, (pk, pn, pss, pc), ok, drop


def clerk_tests(k, n, office, region, everyone, s: FlagSettings):
    """Each clerk against its office's other clerks and against the region's other offices
    (the programme's where the region has no other office): :func:`robust_versus` of each,
    as (test, peer totals, testable, left out).

    The office yardstick leaves out the colleagues who are suspects on their own test, and
    a colleague whose own test is the region's — its office's other clerks have too few
    lines to judge it — is judged there: a suspect of its region test stays out of its
    colleagues' office yardstick too. Otherwise two cheats of a small office hide each
    other: the one too large for its colleagues to judge is the bar of the other, which
    then looks ordinary. Dropping them can leave the other too few peers as well; then its
    region test is its own. Up to three rounds, each adding to those left out (never taking
    one back), as the yardstick's own cleaning. Shared by the loss and application tests.
    """
    r_ok = region_peers_ok(k, n, region, office, s)
    by_region = robust_versus(
        k, n,
        lambda d: choose(r_ok, peer_totals(k, n, region, exclude=office, drop=d),
                         peer_totals(k, n, everyone, exclude=office, drop=d)),
        s, np.where(r_ok, region, -1) + 1,
    )  # fmt: skip
    away = np.zeros(len(k), bool)
    for _ in range(3):
        by_office = robust_versus(
            k, n, lambda d, away=away: peer_totals(k, n, office, drop=d | away), s, office
        )
        again = away | (by_region[3] & ~np.isfinite(by_office[0].p))
        if (again == away).all():
            break
        away = again
    return (*by_office[:3], by_office[3] | away), by_region, r_ok


def own_clerk_flag(
    by_office: np.ndarray, by_region: np.ndarray, office_testable: np.ndarray
) -> np.ndarray:
    """The clerk's own whole-year test flags it: the test against its office's other clerks,
    or — where its office is too small to be its yardstick — the test against the region's.

    One rule for the loss and the application tests (docs/audit.md, "Who is flagged as
    what"). Where the office cannot judge the clerk, the region test is the clerk's own
    test (its detection limit, its months and families tests use the region too), so a
    flag there speaks for the clerk; the office is flagged as a whole only when what
    remains of it without such clerks is still unusual.
    """
    return by_office | (by_region & ~np.asarray(office_testable, bool))


def region_flag_shown(
    by_region: np.ndarray, office_testable: np.ndarray, in_flagged_office: np.ndarray
) -> np.ndarray:
    """A region flag flags the clerk where its office is not flagged as a whole, or where
    its office is too small to be its yardstick (then it is the clerk's own test)."""
    return by_region & (~in_flagged_office | ~np.asarray(office_testable, bool))


def detection_limit(
    n: np.ndarray, by_office: np.ndarray, t_office: Test, t_region: Test, p_cut: float,
    q_all: np.ndarray, s: FlagSettings,
) -> np.ndarray:
    """Per clerk, the rate at which its own test (against its office, or against the region
    where ``by_office`` is false) would have flagged it in this run (NaN: no rate could).

    The p-value must reach the run's Benjamini–Hochberg cut-off ``p_cut`` — or, in a run
    that flagged nothing, ``alpha`` over the number of tests (what a lone flag needs) — with
    the same excess rules as :func:`significant`. Shared by the loss and application tests.
    """
    p_flag = max(p_cut, s.alpha / max(int(np.isfinite(q_all).sum()), 1))
    return detectable(
        n, np.where(by_office, t_office.p0, t_region.p0),
        np.where(by_office, t_office.rho_eff, t_region.rho_eff),
        np.where(by_office, np.isfinite(t_office.p), np.isfinite(t_region.p)),
        p_flag, s.min_lines, s.min_excess,
    )


def choose(use_a: np.ndarray, a: tuple, b: tuple) -> tuple:
    return tuple(np.where(use_a, x, y) for x, y in zip(a, b, strict=True))


def _money(units: Units, group_of_peer: np.ndarray, test: Test, exclude=None, drop=None):
    """Exact excess loss beyond the median peer's loss rate (the same peers as the test,
    suspects left out), and its 95 % interval (rounded to the tiyn)."""
    pl, pv = median_peer_rate(units.lost, units.vd, group_of_peer, exclude, drop)
    return exact_excess(units.lost, units.vd, pl, pv, units.k, test)


def median_peer_rate(lost, vd, group, exclude=None, drop=None):
    """Each unit's yardstick loss rate as an exact fraction (numerator, denominator).

    The median of its peers' loss rates (lost ÷ verified disbursed): the units of its
    group other than itself (or than its ``exclude`` group), without the ``drop``
    suspects, that paid anything verified. A median, not the pooled rate: a colleague
    whose diverted lines lose the whole payment is not always a suspect of the count
    tests (a few months, or a small office), yet moves a pooled *money* rate several
    times over and would hide a skimmer beside it. The two middle rates of an even
    number of peers are averaged exactly; denominator 0 where there is no peer.
    Python integers (object arrays): the products outgrow int64.
    """
    lost = np.asarray(lost, dtype=np.int64)
    vd = np.asarray(vd, dtype=np.int64)
    n = len(lost)
    keep = (vd > 0) if drop is None else (vd > 0) & ~np.asarray(drop, bool)
    excl = np.arange(n) if exclude is None else np.asarray(exclude)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(vd > 0, lost / np.maximum(vd, 1), np.inf)
    num = np.zeros(n, dtype=object)
    den = np.zeros(n, dtype=object)
    group = np.asarray(group)
    for g in np.unique(group):
        members = np.nonzero(group == g)[0]
        cand = members[keep[members]]
        cand = cand[np.argsort(rate[cand], kind="stable")]
        for e in np.unique(excl[members]):
            peers = cand[excl[cand] != e]
            target = members[excl[members] == e]
            if not len(peers):
                continue
            a, b = peers[(len(peers) - 1) // 2], peers[len(peers) // 2]
            la, va, lb, vb = int(lost[a]), int(vd[a]), int(lost[b]), int(vd[b])
            if a == b:
                top, bottom = la, va
            else:
                top, bottom = la * vb + lb * va, 2 * va * vb
            for t in target:
                num[t], den[t] = top, bottom
    return num, den


def exact_excess(lost, vd, peer_lost, peer_vd, short, test: Test):
    """lost − round(verified disbursed × peer_lost ÷ peer_vd), in Python integers (exact).

    Returns (point, low, high, has): ``has`` is False where there is no yardstick (no
    peer paid anything verified), and the amounts there are left empty in the outputs.
    """
    lost_o, vd_o, pl_o, pv_o = (np.asarray(x).astype(object)
                                for x in (lost, vd, peer_lost, peer_vd))  # fmt: skip
    safe = np.where(pv_o > 0, pv_o, 1)
    expected = np.where(pv_o > 0, (2 * vd_o * pl_o + safe) // (2 * safe), 0)
    point = (lost_o - expected).astype(np.int64)
    half, _ = money_interval(np.asarray(lost, float), np.asarray(short, float), test)
    low = np.rint(point - half).astype(np.int64)
    high = np.rint(point + half).astype(np.int64)
    return point, low, high, pv_o > 0


@dataclass
class Results:
    staff: pa.Table
    offices: pa.Table
    regions: pa.Table
    dispersion: dict[str, float]


def significant(q, test: Test, n, s: FlagSettings) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = np.where(n > 0, test.excess / n, 0.0)
    return (
        (np.nan_to_num(q, nan=1.0) < s.alpha)
        & (test.excess >= s.min_lines)
        & (lift >= s.min_excess)
    )


def _material(excess_lost: np.ndarray, verified_disbursed: np.ndarray, s: FlagSettings):
    """The money lost beyond the yardstick is at least ``min_excess_loss`` of what was paid.

    ``excess_lost`` is the point amount (exact) for every test but a clerk's families
    tests, which pass the upper end of its 95 % interval (rounded to the tiyn).

    Integer arithmetic (the share is taken in basis points): honest noise — many lines a
    little short — passes the count test in an office whose bank reports fees, but not
    this one.
    """
    bp = round(s.min_excess_loss * 10_000)
    return np.asarray(excess_lost, np.int64) * 10_000 >= np.asarray(verified_disbursed,
                                                                   np.int64) * bp


def _month_matrix(months: pa.Table, staff_ids: np.ndarray):
    """(clerks, periods) matrices of verified and short lines, and the period names."""
    periods = np.array(sorted(set(months.column("period").to_pylist())), dtype=object)
    if not len(periods):
        periods = np.array(["-"], dtype=object)
    pos = {p: i for i, p in enumerate(periods)}
    row = {s: i for i, s in enumerate(staff_ids)}
    ids = months.column("staff_id").to_pylist()
    r = np.array([row.get(s, -1) for s in ids], dtype=np.int64)  # per clerk-month: small
    c = np.array([pos[p] for p in months.column("period").to_pylist()], dtype=np.int64)
    keep = r >= 0
    n = np.zeros((len(staff_ids), len(periods)))
    k = np.zeros_like(n)
    np.add.at(n, (r[keep], c[keep]), col(months, "verified")[keep])
    np.add.at(k, (r[keep], c[keep]), col(months, "short")[keep])
    return k, n, periods


def _clerk_material(excess_lost, top_family_lost, verified_disbursed, s: FlagSettings):
    """The money line of a clerk's short-line tests against the *region's* yardstick (the
    region test; the bank and months tests where the office is too small to be theirs),
    held on the excess without the clerk's one largest-losing family.

    Against its office's other clerks, a clerk's count of short lines is compared with
    lines that share its office's honest noise (a district's bank fee, a local rounding,
    a sloppy office's small shortfalls); against the region's, it is not, and the count
    can be high for that cheap reason alone — then only the money line speaks about the
    clerk. One family whose account failed for a few months takes a material share of a
    small clerk's money, and the two honest causes together passed both rules. As the
    families test never flags one family's trouble, the money must be material without
    that family; a clerk who takes from many families loses a negligible share by it."""
    less = np.asarray(excess_lost, np.int64) - np.asarray(top_family_lost, np.int64)
    return _material(less, verified_disbursed, s)


def _month_money(months: pa.Table, staff: pa.Table, staff_ids, periods, mk, mn):
    """(clerks, periods) integer matrices of money lost and verified money paid out.

    From the clerk-month table's ``lost`` and ``verified_disbursed`` (the attribution's
    SQL); a hand-made table without them gets the clerk's year spread over its months in
    proportion to its short and verified lines (integer, floored)."""
    if "lost" in months.column_names and "verified_disbursed" in months.column_names:
        pos = {p: i for i, p in enumerate(periods)}
        row = {s: i for i, s in enumerate(staff_ids)}
        r = np.array([row.get(x, -1) for x in months.column("staff_id").to_pylist()], np.int64)
        c = np.array([pos[p] for p in months.column("period").to_pylist()], dtype=np.int64)
        keep = r >= 0
        lost = np.zeros(mk.shape, np.int64)
        vd = np.zeros(mk.shape, np.int64)
        np.add.at(lost, (r[keep], c[keep]), col(months, "lost", np.int64)[keep])
        np.add.at(vd, (r[keep], c[keep]), col(months, "verified_disbursed", np.int64)[keep])
        return lost, vd
    year_lost = col(staff, "lost", np.int64)[:, None]
    year_vd = col(staff, "verified_disbursed", np.int64)[:, None]
    ks, ns = mk.sum(axis=1, keepdims=True), mn.sum(axis=1, keepdims=True)
    lost = np.where(ks > 0, year_lost * mk.astype(np.int64) // np.maximum(ks, 1), 0)
    vd = np.where(ns > 0, year_vd * mn.astype(np.int64) // np.maximum(ns, 1), 0)
    return lost.astype(np.int64), vd.astype(np.int64)


def _months_material(t_months, m_lost, m_vd, rate, s: FlagSettings, less) -> np.ndarray:
    """The months test's money rule: in the run of months the test found, the money lost
    beyond the yardstick's loss rate (the median peer rate of the clerk's own test, exact)
    is at least ``min_excess_loss`` of the verified money paid out in those months.

    The materiality line of every other loss test, held on the months the test is about:
    a diverter's three months lose a third of their money; a clerk whose families report
    on an evidence source that is honestly short on nearly every line (a bank's fee, a
    rounding) is short in every month but loses a few hundredths of a per cent. ``less``
    (the clerk's largest loss of one family, over the year) is taken off the run's excess,
    as for the whole-year tests (``_clerk_material``)."""
    n_units, periods = m_lost.shape
    zero = np.zeros((n_units, 1), np.int64)
    cl = np.concatenate([zero, np.cumsum(m_lost, axis=1)], axis=1)
    cv = np.concatenate([zero, np.cumsum(m_vd, axis=1)], axis=1)
    found = t_months.first >= 0
    rows = np.arange(n_units)
    a = np.where(found, t_months.first, 0)
    b = np.where(found, t_months.last + 1, 0)
    run_lost = cl[rows, b] - cl[rows, a] - np.asarray(less, np.int64)
    run_vd = cv[rows, b] - cv[rows, a]
    num, den = rate
    out = np.zeros(n_units, bool)
    for i in np.nonzero(found)[0]:
        vd_i, d = int(run_vd[i]), int(den[i])
        expected = (2 * vd_i * int(num[i]) + d) // (2 * d) if d > 0 else 0
        out[i] = (int(run_lost[i]) - expected) * 10_000 >= vd_i * round(s.min_excess_loss * 10_000)
    return out


def _group_matrix(group: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Per-unit totals over its group, for every column of ``m``."""
    size = int(group.max(initial=0)) + 1
    out = np.zeros((size, m.shape[1]))
    np.add.at(out, group, m)
    return out[group]


def _peer_matrices(group, k, n, drop, exclude=None):
    """Per-unit peer totals by period: the unit's group without the unit (or its ``exclude``
    group) and without the ``drop`` suspects."""
    keep = (~drop).astype(float)[:, None]
    kk, nn = k * keep, n * keep
    own_k, own_n = (kk, nn) if exclude is None else (
        _group_matrix(exclude, kk), _group_matrix(exclude, nn))  # fmt: skip
    return _group_matrix(group, kk) - own_k, _group_matrix(group, nn) - own_n


def _window_names(periods, first, last) -> list[str | None]:
    """'2022-04..2022-06' for the run of months a scan found (flagged units only: few)."""
    out: list[str | None] = []
    for a, b in zip(first, last, strict=True):
        if a < 0:
            out.append(None)
        elif a == 0 and b == len(periods) - 1:
            out.append("all months")
        elif a == b:
            out.append(str(periods[a]))
        else:
            out.append(f"{periods[a]}..{periods[b]}")
    return out


def flag_units(
    staff: pa.Table, months: pa.Table, settings: FlagSettings | None = None
) -> Results:
    """Run every level's tests, adjust them together, and decide the flags.

    ``staff`` has one row per clerk (the ``at_staff`` step); ``months`` one row per
    clerk and period with ``verified`` and ``short`` lines.
    """
    s = settings or FlagSettings()
    staff_ids = np.asarray(staff.column("staff_id").to_pylist(), dtype=object)
    office_names, office = codes(col(staff, "office_id", object))
    region_of_office = {}
    region_raw = col(staff, "region", object)
    region_names, region = codes(region_raw)
    for o, r in zip(office, region, strict=True):
        region_of_office.setdefault(int(o), int(r))
    k = col(staff, "short_lines")
    n = col(staff, "verified_lines")
    clerks = Units(staff_ids, k, n, col(staff, "lost", np.int64),
                   col(staff, "verified_disbursed", np.int64))  # fmt: skip
    everyone = np.zeros(len(k), dtype=np.int64)

    # -- clerks against their office's other clerks, and against the region's other offices
    # (the programme's if the region has none); a colleague judged by the region, and a
    # suspect there, stays out of the office yardstick
    (t_office, (o_pk, o_pn, o_pss, o_pc), by_office_ok, o_drop), (
        t_region, (pk, pn, pss, pc), wide_ok, r_drop), region_ok = clerk_tests(
        k, n, office, region, everyone, s)  # fmt: skip
    # -- clerks' worst run of months against office peers (region's where the office is small)
    # (the suspects of the whole-year tests stay out of the yardstick here too: a colleague
    # short on every line would otherwise hide a diverter's three months; and so, round by
    # round, do the suspects of this test: two diverters of one office in the same months
    # would otherwise each raise the other's bar)
    mk, mn, periods = _month_matrix(months, staff_ids)
    w_units = np.where(by_office_ok, o_pc, pc)
    rho_w = np.where(by_office_ok, t_office.rho, t_region.rho)
    m_drop = np.zeros(len(k), bool)
    for _ in range(3):
        ok_k, ok_n = _peer_matrices(office, mk, mn, o_drop | m_drop)
        reg_k, reg_n = _peer_matrices(region, mk, mn, r_drop | m_drop, exclude=office)
        all_k, all_n = _peer_matrices(everyone, mk, mn, r_drop | m_drop, exclude=office)
        wk = np.where(by_office_ok[:, None], ok_k, np.where(region_ok[:, None], reg_k, all_k))
        wn = np.where(by_office_ok[:, None], ok_n, np.where(region_ok[:, None], reg_n, all_n))
        t_months = scan(mk, mn, wk, wn, w_units, by_office_ok | wide_ok, rho_w,
                        min_lines=s.min_lines, min_excess=s.min_excess)  # fmt: skip
        again = np.nan_to_num(t_months.p, nan=1.0) < SUSPECT_P
        if (again == m_drop).all():
            break
        m_drop = again
    # -- families with a materially short payment (more than 5 % missing), against the
    # office's other clerks (the region's other offices' where the office is too small):
    # a skimmer takes from the same families month after month, a diverter from many
    # families at once; counting families, not lines, keeps one family's persistent honest
    # trouble (an account that keeps failing) to one count
    mat = (col(staff, "material_lines") if "material_lines" in staff.column_names
           else np.zeros_like(k))  # fmt: skip
    t_families, t_fam_region, t_fam_prog = _family_test(staff, office, region, region_ok, s)
    # (the money of the families test against the programme's other offices: beyond the
    # median loss rate of those offices' clerks, the short-line suspects against them left
    # out, its interval from the short-line count against them, as the region's)
    t_line_prog, _, prog_ok, p_drop = robust_versus(
        k, n, lambda d: peer_totals(k, n, everyone, exclude=office, drop=d), s, everyone
    )
    # -- bank-statement lines alone, each clerk against the yardstick of its own test (its
    # office's other clerks' bank lines, the region's where the office is too small)
    kb, nb = _bank_lines(staff, k)
    (tb_office, _, bank_office_ok, _), (tb_region, *_), _ = clerk_tests(
        kb, nb, office, region, everyone, s
    )
    p_bank = np.where(bank_office_ok, tb_office.p, tb_region.p)
    excess_bank = np.where(bank_office_ok, tb_office.excess, tb_region.excess)
    # -- families paid into shared accounts, against all other clerks
    fam = col(staff, "families")
    sh = col(staff, "shared_account_families")
    t_shared = robust_versus(
        sh, fam, lambda drop: peer_totals(sh, fam, everyone, drop=drop), s, everyone
    )[0]

    # -- offices (their clerks' lines), against the region's other offices and the programme's
    n_off = len(office_names)
    ok = np.bincount(office, weights=k, minlength=n_off)
    on = np.bincount(office, weights=n, minlength=n_off)
    offices = Units(office_names, ok, on, int_group_sums(office, clerks.lost, n_off),
                    int_group_sums(office, clerks.vd, n_off))  # fmt: skip
    o_region = np.array([region_of_office[i] for i in range(n_off)], dtype=np.int64)
    o_all = np.zeros(n_off, dtype=np.int64)
    t_o_region, (rk, rn, rss, rc), o_reg_ok, or_drop = robust_versus(
        ok, on, lambda drop: peer_totals(ok, on, o_region, drop=drop), s, o_region
    )
    t_o_prog, (gk, gn, gss, gc), o_prog_ok, og_drop = robust_versus(
        ok, on, lambda drop: peer_totals(ok, on, o_all, drop=drop), s, o_all
    )
    omk = np.zeros((n_off, mk.shape[1]))
    omn = np.zeros_like(omk)
    np.add.at(omk, office, mk)
    np.add.at(omn, office, mn)
    reg_o, prog_o = (_peer_matrices(o_region, omk, omn, or_drop),
                     _peer_matrices(o_all, omk, omn, og_drop))  # fmt: skip
    wk_o = np.where(o_reg_ok[:, None], reg_o[0], prog_o[0])
    wn_o = np.where(o_reg_ok[:, None], reg_o[1], prog_o[1])
    rho_o = np.where(o_reg_ok, t_o_region.rho, t_o_prog.rho)
    t_o_months = scan(omk, omn, wk_o, wn_o, np.where(o_reg_ok, rc, gc),
                      o_reg_ok | o_prog_ok, rho_o,
                      min_lines=s.min_lines, min_excess=s.min_excess)  # fmt: skip

    # -- offices again, counting only materially short lines (more than 5 % missing): honest
    # noise (fees, roundings) varies a lot between offices but is never material
    om = np.bincount(office, weights=mat, minlength=n_off)
    t_om_region, om_reg_peers, _, _ = robust_versus(
        om, on, lambda drop: peer_totals(om, on, o_region, drop=drop), s, o_region
    )
    t_om_prog, om_prog_peers, _, _ = robust_versus(
        om, on, lambda drop: peer_totals(om, on, o_all, drop=drop), s, o_all
    )

    # -- regions (sums of offices), against the other regions; rho from the offices
    n_reg = len(region_names)
    regk = np.bincount(o_region, weights=ok, minlength=n_reg)
    regn = np.bincount(o_region, weights=on, minlength=n_reg)
    regss = np.bincount(o_region, weights=on**2, minlength=n_reg)
    regions = Units(region_names, regk, regn, int_group_sums(o_region, offices.lost, n_reg),
                    int_group_sums(o_region, offices.vd, n_reg))  # fmt: skip
    r_all = np.zeros(n_reg, dtype=np.int64)
    xk, xn, _, xc = peer_totals(regk, regn, r_all)
    xss = regss.sum() - regss
    t_reg = versus(regk, regn, xk, xn, xss, (xc >= 1) & (xn >= s.min_peer_lines),
                   ss=regss, rho=t_o_prog.rho)  # fmt: skip

    # -- one Benjamini–Hochberg family over every test of every level
    ps = [t_office.p, t_region.p, t_months.p, t_shared.p, t_o_region.p, t_o_prog.p,
          t_o_months.p, t_reg.p, t_om_region.p, t_om_prog.p, t_families.p, p_bank,
          t_fam_region.p, t_fam_prog.p]  # fmt: skip
    q_all = benjamini_hochberg(np.concatenate(ps))
    qs, at = [], 0
    for p in ps:
        qs.append(q_all[at : at + len(p)])
        at += len(p)
    (q_office, q_region, q_months, q_shared, qo_region, qo_prog, qo_months, q_reg,
     qm_region, qm_prog, q_families, q_bank, q_fam_region, q_fam_prog) = qs  # fmt: skip
    rejected = np.concatenate(ps)[np.nan_to_num(q_all, nan=1.0) < s.alpha]
    p_cut = float(rejected.max()) if len(rejected) else 0.0
    # what this run could have seen: the short-line rate at which each clerk's own test
    # (office, or region where the office is too small) would have flagged it
    detect = detection_limit(n, by_office_ok, t_office, t_region, p_cut, q_all, s)

    # -- money beyond each yardstick (exact), needed by the effect-size rule
    m_office = _money(clerks, office, t_office, drop=o_drop)
    m_region = choose(
        region_ok,
        _money(clerks, region, t_region, exclude=office, drop=r_drop),
        _money(clerks, everyone, t_region, exclude=office, drop=r_drop),
    )
    m_prog = _money(clerks, everyone, t_line_prog, exclude=office, drop=p_drop)
    prog_money = _peer_money(offices, o_all, og_drop)
    o_peer_money = choose(o_reg_ok, _peer_money(offices, o_region, or_drop), prog_money)
    m_o = exact_excess(offices.lost, offices.vd, *o_peer_money, ok, t_o_region)
    m_o_prog = exact_excess(offices.lost, offices.vd, *prog_money, ok, t_o_prog)
    m_r = exact_excess(regions.lost, regions.vd, *_peer_money(regions, r_all), regk, t_reg)

    # the money line of a test against the region's yardstick is held without the clerk's one
    # largest-losing family (_clerk_material); against its own office's, as it is
    top = (col(staff, "top_family_lost", np.int64) if "top_family_lost" in staff.column_names
           else np.zeros(len(k), np.int64))  # fmt: skip
    no_top = np.zeros(len(k), np.int64)
    by_office = significant(q_office, t_office, n, s) & _material(m_office[0], clerks.vd, s)
    by_region = significant(q_region, t_region, n, s) & _clerk_material(
        m_region[0], top, clerks.vd, s
    )
    # the months test: its money rule on the run of months it found (see _months_material)
    m_lost, m_vd = _month_money(months, staff, staff_ids, periods, mk, mn)
    o_rate = median_peer_rate(clerks.lost, clerks.vd, office, drop=o_drop)
    r_rate = choose(
        region_ok,
        median_peer_rate(clerks.lost, clerks.vd, region, office, r_drop),
        median_peer_rate(clerks.lost, clerks.vd, everyone, office, r_drop),
    )
    w_rate = choose(by_office_ok, o_rate, r_rate)
    by_months = (np.nan_to_num(q_months, nan=1.0) < s.alpha) & _months_material(
        t_months, m_lost, m_vd, w_rate, s, np.where(by_office_ok, no_top, top)
    )
    # -- money: excess over the yardstick that matters for each unit
    use_office = by_office_ok & ~(by_region & ~by_office)
    c_money = tuple(np.where(use_office, a, b) for a, b in zip(m_office, m_region, strict=True))
    c_vs = np.where(use_office, "office", "region")
    # money beyond a yardstick only where that yardstick is good enough to test against
    c_money = (*c_money[:3], c_money[3] & np.where(use_office, by_office_ok, wide_ok))
    by_shared = significant(q_shared, t_shared, fam, s)
    fams_v = (col(staff, "verified_families") if "verified_families" in staff.column_names
              else np.zeros_like(k))  # fmt: skip
    # the families tests: their money rule on the upper end of the interval (c_money[2]) —
    # a material loss that cannot be ruled out, beside a significant count of materially
    # short families (FlagSettings.min_excess_loss; docs/audit.md, the money line)
    by_families = (_families_significant(q_families, t_families, fams_v, s)
                   & c_money[3] & _material(c_money[2], clerks.vd, s))  # fmt: skip
    # the families tests against the region's other offices and the programme's: the same
    # rules, and the money beyond that wider yardstick (the office's is the contaminated one)
    fam_office_ok = np.isfinite(t_families.p)
    by_fam_region = _wide_families(q_fam_region, t_fam_region, fams_v, m_region, wide_ok,
                                   clerks.vd, s)  # fmt: skip
    by_fam_prog = _wide_families(q_fam_prog, t_fam_prog, fams_v, m_prog, prog_ok, clerks.vd, s)
    # the bank test: the same excess rules in its own lines, and the clerk's money (all its
    # verified lines) beyond the yardstick of its own test, as the other short-line tests
    by_bank = (
        _counts_significant(q_bank, excess_bank, nb, s)
        & c_money[3]
        & _clerk_material(c_money[0], np.where(bank_office_ok, no_top, top), clerks.vd, s)
    )
    o_by_region = significant(qo_region, t_o_region, on, s) & _material(m_o[0], offices.vd, s)
    o_by_prog = significant(qo_prog, t_o_prog, on, s) & _material(m_o_prog[0], offices.vd, s)
    # (an office's months need its money too: an honest office whose bank reports small fees
    # on a quarter of the lines is above its region in every month, but loses no money)
    o_by_months = (np.nan_to_num(qo_months, nan=1.0) < s.alpha) & _material(m_o[0], offices.vd, s)
    om_by_region = significant(qm_region, t_om_region, on, s) & _material(m_o[0], offices.vd, s)
    om_by_prog = significant(qm_prog, t_om_prog, on, s) & _material(m_o_prog[0], offices.vd, s)
    o_flagged = o_by_region | o_by_prog | o_by_months | om_by_region | om_by_prog
    individual = (
        own_clerk_flag(by_office, by_region, by_office_ok)
        | by_months
        | by_shared
        | by_families
        | by_bank
        | ((by_fam_region | by_fam_prog) & ~fam_office_ok)
    )
    # Is the office unusual beyond its individually flagged clerks? Test the rest of it.
    ind_k = np.bincount(office, weights=np.where(individual, k, 0), minlength=n_off)
    ind_n = np.bincount(office, weights=np.where(individual, n, 0), minlength=n_off)
    rest_peers = choose(o_reg_ok, (rk, rn, rss), (gk, gn, gss))
    rest = versus(ok - ind_k, on - ind_n, *rest_peers, np.ones(n_off, bool),
                  rho=float(np.where(o_reg_ok, t_o_region.rho, t_o_prog.rho).max(initial=0)))
    rest_sig = (
        (np.nan_to_num(rest.p, nan=1.0) <= p_cut)
        & (rest.excess >= s.min_lines)
        & (rest.excess >= s.min_excess * np.maximum(on - ind_n, 1))
    )
    ind_m = np.bincount(office, weights=np.where(individual, mat, 0), minlength=n_off)
    m_peers = choose(o_reg_ok, om_reg_peers[:3], om_prog_peers[:3])
    rest_m = versus(om - ind_m, on - ind_n, *m_peers, np.ones(n_off, bool),
                    rho=max(t_om_region.rho, t_om_prog.rho))  # fmt: skip
    rest_sig |= (
        (np.nan_to_num(rest_m.p, nan=1.0) <= p_cut)
        & (rest_m.excess >= s.min_lines)
        & (rest_m.excess >= s.min_excess * np.maximum(on - ind_n, 1))
    )
    # ... and the rest must hold the office tests' money line too: the office was flagged
    # on its money, which may be its flagged clerks' alone; a remainder that is unusual only
    # in its count of short lines (an evidence source honestly short on nearly every line,
    # a rounding or a fee) loses no money to investigate, and its clerks are not listed
    ind_lost = int_group_sums(office, np.where(individual, clerks.lost, 0), n_off)
    ind_vd = int_group_sums(office, np.where(individual, clerks.vd, 0), n_off)
    rest_vd = offices.vd - ind_vd
    rest_money = exact_excess(offices.lost - ind_lost, rest_vd, *o_peer_money, ok - ind_k, rest)
    rest_sig &= _material(rest_money[0], rest_vd, s) & (rest_vd > 0)
    office_wide = o_flagged & ((ind_n == 0) | rest_sig)
    in_flagged_office = office_wide[office]
    region_shown = region_flag_shown(by_region, by_office_ok, in_flagged_office)
    fam_region_shown = region_flag_shown(by_fam_region, fam_office_ok, in_flagged_office)
    fam_prog_shown = region_flag_shown(by_fam_prog, fam_office_ok, in_flagged_office)
    flagged = individual | region_shown | fam_region_shown | fam_prog_shown
    # a clerk flagged by the region's families and by no office test: its money beyond the
    # region's yardstick (as for the short-line region test)
    to_region = fam_region_shown & ~by_office & ~by_families
    c_money = tuple(np.where(to_region, b, a) for a, b in zip(c_money, (*m_region[:3],
                    m_region[3] & wide_ok), strict=True))  # fmt: skip
    c_vs = np.where(to_region, "region", c_vs)
    # ... and one flagged by the programme's families alone: beyond the programme's
    to_prog = fam_prog_shown & ~(by_office | by_families | region_shown | fam_region_shown)
    c_money = tuple(np.where(to_prog, b, a) for a, b in zip(c_money, (*m_prog[:3],
                    m_prog[3] & prog_ok), strict=True))  # fmt: skip
    c_vs = np.where(to_prog, "programme", c_vs)
    r_flagged = significant(q_reg, t_reg, regn, s) & _material(m_r[0], regions.vd, s)

    m_o = (*m_o[:3], m_o[3] & (o_reg_ok | o_prog_ok))
    m_r = (*m_r[:3], m_r[3] & np.isfinite(t_reg.p))

    region_group = np.where(
        region_ok, "region:" + region_names[region].astype(object), "all"
    ).astype(object)
    office_group = np.where(by_office_ok, "office:" + office_names[office].astype(object),
                            region_group)  # fmt: skip
    flagged_by = _labels(
        [("office", by_office), ("region", region_shown), ("months", by_months),
         ("shared_accounts", by_shared), ("material_families", by_families),
         ("bank", by_bank), ("material_families_region", fam_region_shown),
         ("material_families_programme", fam_prog_shown)]
    )  # fmt: skip
    staff_cols = {
        "peer_group": office_group,
        "peer_short_rate": np.where(by_office_ok, t_office.rate, t_region.rate),
        "p_value": np.where(by_office_ok, t_office.p, t_region.p),
        "q_value": np.where(by_office_ok, q_office, q_region),
        "region_group": region_group,
        "region_short_rate": t_region.rate,
        "region_q_value": q_region,
        "months_q_value": q_months,
        "flag_months": _window_names(periods, t_months.first, t_months.last),
        "months_short_rate": t_months.rate,
        "months_peer_rate": t_months.p0,
        "peer_shared_account_rate": t_shared.rate,
        "shared_account_q_value": q_shared,
        "peer_material_family_rate": t_families.rate,
        "material_families_q_value": q_families,
        "region_material_family_rate": t_fam_region.rate,
        "region_material_families_q_value": q_fam_region,
        "programme_material_family_rate": t_fam_prog.rate,
        "programme_material_families_q_value": q_fam_prog,
        "peer_bank_short_rate": np.where(bank_office_ok, tb_office.rate, tb_region.rate),
        "bank_q_value": q_bank,
        "detectable_short_rate": detect,
        "excess_vs": c_vs,
        "excess_lost": _optional(c_money[0], c_money[3]),
        "excess_lost_low": _optional(c_money[1], c_money[3]),
        "excess_lost_high": _optional(c_money[2], c_money[3]),
        "flagged": flagged,
        "flagged_by": flagged_by,
        "in_flagged_office": in_flagged_office,
    }
    office_cols = {
        "office_id": office_names,
        "verified_lines": on.astype(np.int64),
        "short_lines": ok.astype(np.int64),
        "region_short_rate": t_o_region.rate,
        "region_q_value": qo_region,
        "programme_short_rate": t_o_prog.rate,
        "programme_q_value": qo_prog,
        "months_q_value": qo_months,
        "flag_months": _window_names(periods, t_o_months.first, t_o_months.last),
        "excess_lost": _optional(m_o[0], m_o[3]),
        "excess_lost_low": _optional(m_o[1], m_o[3]),
        "excess_lost_high": _optional(m_o[2], m_o[3]),
        "office_flagged": o_flagged,
        "office_wide": office_wide,
        "office_flagged_by": _labels(
            [("region", o_by_region), ("programme", o_by_prog), ("months", o_by_months),
             ("region_material", om_by_region), ("programme_material", om_by_prog)]
        ),
        "material_lines": om.astype(np.int64),
        "material_region_q_value": qm_region,
        "material_programme_q_value": qm_prog,
    }  # fmt: skip
    region_cols = {
        "region": region_names,
        "offices": np.bincount(o_region, minlength=n_reg).astype(np.int64),
        "verified_lines": regn.astype(np.int64),
        "short_lines": regk.astype(np.int64),
        "peer_short_rate": t_reg.rate,
        "p_value": t_reg.p,
        "q_value": q_reg,
        "excess_lost": _optional(m_r[0], m_r[3]),
        "excess_lost_low": _optional(m_r[1], m_r[3]),
        "excess_lost_high": _optional(m_r[2], m_r[3]),
        "flagged_offices": np.bincount(o_region, weights=o_flagged, minlength=n_reg)
        .astype(np.int64),
        "flagged": r_flagged,
    }  # fmt: skip
    out_staff = staff
    for name, values in staff_cols.items():
        out_staff = out_staff.append_column(name, _arrow(values))
    shown = flagged | in_flagged_office
    table = out_staff.to_pydict() if shown.any() else {}
    out_staff = out_staff.append_column(
        "flag_reason", pa.array(staff_reasons(table, shown), pa.string())
    )
    offices_t = pa.table({k_: _arrow(v) for k_, v in office_cols.items()})
    regions_t = pa.table({k_: _arrow(v) for k_, v in region_cols.items()})
    dispersion = {
        "clerk_vs_office": t_office.rho,
        "clerk_vs_region": t_region.rho,
        "clerk_shared_accounts": t_shared.rho,
        "clerk_material_families": t_families.rho,
        "clerk_material_families_vs_region": t_fam_region.rho,
        "clerk_material_families_vs_programme": t_fam_prog.rho,
        "clerk_bank_vs_office": tb_office.rho,
        "clerk_bank_vs_region": tb_region.rho,
        "office_vs_region": t_o_region.rho,
        "office_vs_programme": t_o_prog.rho,
        "office_material_vs_region": t_om_region.rho,
        "office_material_vs_programme": t_om_prog.rho,
    }
    return Results(out_staff, offices_t, regions_t, dispersion)


def _bank_lines(staff: pa.Table, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each clerk's short and verified bank-statement lines (zero where not counted)."""
    if {"short_bank_lines", "verified_bank_lines"} <= set(staff.column_names):
        return col(staff, "short_bank_lines"), col(staff, "verified_bank_lines")
    return np.zeros_like(k), np.zeros_like(k)


def _counts_significant(q, excess, n, s: FlagSettings) -> np.ndarray:
    """q small, and the excess large (lines and percentage points): :func:`significant`
    for a test given by its excess."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = np.where(n > 0, excess / n, 0.0)
    return (np.nan_to_num(q, nan=1.0) < s.alpha) & (excess >= s.min_lines) & (lift >= s.min_excess)


def _families_significant(q, test: Test, families, s: FlagSettings):
    """q small, at least ``min_families`` materially short families and more than
    ``min_families - 1`` beyond the yardstick (one family's trouble never flags a clerk;
    two families beside a yardstick near zero can), and the share of families
    ``min_excess`` above it — rules in the test's own unit, the family."""
    short = np.rint(test.excess + families * test.p0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = np.where(families > 0, test.excess / families, 0.0)
    return (
        (np.nan_to_num(q, nan=1.0) < s.alpha)
        & (short >= s.min_families)
        & (test.excess > s.min_families - 1)
        & (lift >= s.min_excess)
    )


def _wide_families(q, test: Test, families, money, testable, vd, s: FlagSettings):
    """A families test against a wider yardstick than the office (the region's other offices,
    the programme's) flags with the families rules (:func:`_families_significant`) and the
    money rule on the upper end of the interval of the money beyond *that* yardstick."""
    return (_families_significant(q, test, families, s) & money[3] & testable
            & _material(money[2], vd, s))  # fmt: skip


def _family_test(staff: pa.Table, office, region, region_ok, s: FlagSettings):
    """Families with a materially short payment, against the office's other clerks, against
    the clerks of the region's other offices (the programme's when the region has no other
    office), and against the clerks of the programme's other offices: (office test, region
    test, programme test).

    Where the office has too few other clerks' families for a yardstick, the region's are
    the office test's yardstick, and the region test is left empty (NaN: it would be the
    same test twice); where the region has no other office (the region test is the
    programme's already) or no other region (the programme is the region), so is the
    programme test. The wider tests exist for the clerk whose narrower yardstick is
    contaminated — colleagues who cheat too but are not suspects raise it, and a whole
    region's other offices can be mostly cheats — and are shown with the same rules as
    the short-line region test (``region_flag_shown``).
    """
    if "material_families" not in staff.column_names:
        zero = np.zeros(staff.num_rows)
        empty = versus(zero, zero, zero, zero, zero, np.zeros(staff.num_rows, bool))
        return empty, empty, empty
    f, mf = col(staff, "verified_families"), col(staff, "material_families")
    everyone = np.zeros(len(f), dtype=np.int64)
    _, o_n, _, o_c = peer_totals(mf, f, office)
    use_office = (o_c >= s.min_peers) & (o_n >= s.min_peer_lines)
    _, x_n, _, x_c = peer_totals(mf, f, everyone, exclude=region)
    elsewhere = (x_c >= 1) & (x_n > 0)  # clerks of other regions: the programme is not the region

    def programme(drop):
        return peer_totals(mf, f, everyone, exclude=office, drop=drop)

    def wide(drop):
        return choose(region_ok, peer_totals(mf, f, region, exclude=office, drop=drop),
                      programme(drop))  # fmt: skip

    # suspects (left out of the others' yardsticks) by the test's own minimum, in families
    in_families = replace(s, min_lines=s.min_families)
    wide_groups = np.where(region_ok, region, -1) + 1
    groups = np.where(use_office, office, office.max(initial=0) + 1 + wide_groups)

    def tests(away):
        """The three tests; ``away`` is left out of the wider yardsticks besides each test's
        own suspects. Returns them and the suspects of each."""

        def peers(drop):
            return choose(use_office, peer_totals(mf, f, office, drop=drop), wide(drop | away))

        out = []
        for peers_of, groups_of, shown in ((peers, groups, True),
                                           (lambda d: wide(d | away), wide_groups, use_office),
                                           (lambda d: programme(d | away), everyone,
                                            region_ok & elsewhere)):  # fmt: skip
            t = robust_versus(mf, f, peers_of, in_families, groups_of,
                              min_rho_lines=MIN_RHO_FAMILIES)  # fmt: skip
            out.append((replace(t[0], p=np.where(shown, t[0].p, np.nan)), t[3]))
        return out

    # a clerk that is a suspect of any of the three tests counts for no one's wider yardstick
    # (its region's other offices', the programme's): a clerk that cannot be tested against
    # one of them (its region's other offices too small) is never a suspect there, and one
    # that stands out from its region need not from its own office, when its colleagues
    # cheat too — yet either would raise every other clerk's wider bar
    first = tests(np.zeros(len(f), bool))
    return tuple(t for t, _ in tests(first[0][1] | first[1][1] | first[2][1]))


# Clerks with at least this many verified families enter the dispersion estimate of the
# families test (a clerk serves a few dozen families: the line tests' 30 lines would be
# a year of two or three families).
MIN_RHO_FAMILIES = 10


def _peer_money(units: Units, group: np.ndarray, drop=None):
    return median_peer_rate(units.lost, units.vd, group, drop=drop)


def _optional(values: np.ndarray, has: np.ndarray) -> pa.Array:
    """Exact minor units, empty where the unit has no yardstick."""
    return pa.array(np.asarray(values, np.int64), mask=~np.asarray(has, bool), type=pa.int64())


def _arrow(values) -> pa.Array:
    """An Arrow column typed by the numpy kind, so that a column with no value at all (no
    clerk flagged: ``flagged_by`` all empty) is still a string (or float) column, not Arrow's
    null type, which SQL downstream cannot concatenate or compare."""
    if isinstance(values, pa.Array):
        return values
    kind = np.asarray(values).dtype.kind
    typ = {"f": pa.float64(), "i": pa.int64(), "u": pa.int64(), "b": pa.bool_()}.get(kind,
                                                                                 pa.string())
    return pa.array(_py(values), type=typ, from_pandas=True)


def _py(values) -> list:
    """Arrow-ready list: numpy scalars to Python, NaN to None."""
    arr = np.asarray(values)
    if arr.dtype.kind == "f":
        return [None if np.isnan(v) else float(v) for v in arr]
    if arr.dtype.kind in "iu":
        return [int(v) for v in arr]
    if arr.dtype.kind == "b":
        return [bool(v) for v in arr]
    return [None if v is None else str(v) for v in arr]


def _labels(pairs: list[tuple[str, np.ndarray]]) -> np.ndarray:
    n = len(pairs[0][1])
    out = np.full(n, "", dtype=object)
    for name, mask in pairs:
        out = np.where(mask, np.where(out == "", name, out + ";" + name), out)
    return np.where(out == "", None, out)
