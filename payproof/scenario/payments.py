"""Month by month: entitlements, disbursement lines, receipt evidence and the truth.

For each month the honest process pays every entitled family exactly E through
its office; the injected fraud then changes who gets paid (unpaid families,
ghosts) and what actually arrives (skimmed, diverted). Evidence is written for a
share of lines, as banks, confirmations and surveys would produce it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from payproof.scenario.entitlement import counted_children, mci_for, monthly_amount
from payproof.scenario.fraud import COLLUDER, DIVERTER, INTERMITTENT, SKIMMER, SUBTLE_SKIMMER
from payproof.scenario.identity import zero_padded
from payproof.scenario.status import owed_evidenced, status_codes
from payproof.scenario.writer import constant, dates, money, money_or_null
from payproof.statuses import STATUSES

CHANNELS = ("bank", "cash", "post")
SOURCES = ("bank_statement", "beneficiary_confirmation", "survey")
ROLE_LABELS = ("honest", "skimmer", "diverter", "ghost_maker")


@dataclass
class Victims:
    """Per family: first month of each harm (-1 if none), the amount and the clerk."""

    unpaid_m: np.ndarray
    unpaid_amount: np.ndarray
    skim_m: np.ndarray
    skim_amount: np.ndarray
    skim_clerk: np.ndarray
    divert_m: np.ndarray
    divert_amount: np.ndarray
    divert_clerk: np.ndarray

    @classmethod
    def empty(cls, n: int) -> Victims:
        def neg():
            return np.full(n, -1, dtype=np.int64)

        def zero():
            return np.zeros(n, dtype=np.int64)

        return cls(neg(), zero(), neg(), zero(), neg(), neg(), zero(), neg())


@dataclass
class Ledger:
    """Running totals over the months (tenge), per family and per clerk."""

    n: int
    n_clerks: int
    entitled: np.ndarray = field(init=False)
    disbursed: np.ndarray = field(init=False)
    received_true: np.ndarray = field(init=False)
    owed_true: np.ndarray = field(init=False)
    owed_evidenced: np.ndarray = field(init=False)
    clerk_lines: np.ndarray = field(init=False)
    clerk_short: np.ndarray = field(init=False)
    ghost_paid: np.ndarray | None = None
    ghost_months: np.ndarray | None = None
    ghost_first: np.ndarray | None = None
    status_counts: dict[str, int] = field(default_factory=dict)
    diverted_to: list = field(default_factory=list)  # (family idx, clerk idx) of diverted bank

    def __post_init__(self) -> None:
        z = np.zeros
        self.entitled, self.disbursed = z(self.n, np.int64), z(self.n, np.int64)
        self.received_true, self.owed_true = z(self.n, np.int64), z(self.n, np.int64)
        self.owed_evidenced = z(self.n, np.int64)
        self.clerk_lines, self.clerk_short = z(self.n_clerks, np.int64), z(self.n_clerks, np.int64)


def _ids(counter: list[int], k: int, width: int, prefix: str) -> pa.Array:
    first = counter[0]
    counter[0] += k
    return zero_padded(np.arange(first + 1, first + k + 1), width, prefix)


def run_months(w, sinks: dict, rng) -> tuple[Ledger, Victims]:
    """Generate every month's lines into ``sinks``; return totals and victims for grievances."""
    cfg, fams, geo = w.cfg, w.fams, w.geo
    n = fams.n
    ledger = Ledger(n, len(geo.clerk_office))
    g = len(w.ghosts.maker)
    ledger.ghost_paid = np.zeros(g, np.int64)
    ledger.ghost_months = np.zeros(g, np.int64)
    ledger.ghost_first = np.full(g, -1, np.int64)
    victims = Victims.empty(n)
    skim_bp = round(cfg.skim_rate * 10_000)
    reg_ym = _year_month(fams.registered_on)
    bank_share = cfg.bank_channel_share
    # banks report more reliably than surveys: 85 % overall -> 95 % of bank lines
    cov_bank = min(1.0, cfg.evidence_coverage / 0.895)
    cov_other = (cfg.evidence_coverage - cov_bank * bank_share) / max(1e-9, 1 - bank_share)
    coverage = np.array([cov_bank, max(0.0, min(1.0, cov_other)), max(0.0, min(1.0, cov_other))])
    pay_counter, rec_counter = [0], [0]
    status_totals = np.zeros(len(STATUSES), np.int64)
    for m in range(cfg.months):
        fd, next_fd = w.month_starts[m], w.month_starts[m + 1]
        period = w.periods[m]
        mci = mci_for(cfg.year, m + 1)
        counted = counted_children(
            fd, fams.child_birth, fams.child_death, fams.child_student_until, w.t18, w.t23
        )
        count = np.bincount(fams.child_family[counted], minlength=n)
        e = monthly_amount(count, mci) * (reg_ym <= cfg.year * 12 + m)
        stopped = w.never & (m >= w.stop)
        pay = (e > 0) & ~stopped
        idx = np.nonzero(pay)[0]
        k = len(idx)
        # who pays: the family's clerk, sometimes a colleague of the same office
        office = fams.office[idx]
        colleague = geo.office_clerk_start[office] + (
            rng.random(k) * geo.office_clerk_count[office]
        ).astype(np.int64)
        clerk = np.where(rng.random(k) < 0.9, fams.clerk[idx], colleague)
        role = w.role[clerk]
        d = e[idx]
        a = d.copy()
        skim = role == SKIMMER
        a[skim] = d[skim] - (d[skim] * skim_bp + 5_000) // 10_000
        divert = (role == DIVERTER) & (rng.random(k) < cfg.divert_rate)
        a[divert] = 0
        channel = w.channel[idx]
        account_idx = w.account_of[idx]  # index into w.accounts; -1 none
        bank = channel == 0
        div_bank = divert & bank
        account_idx = np.where(div_bank, w.diverter_account[clerk], account_idx)
        account_idx = np.where(bank, account_idx, -1)
        if w.extra is not None:
            skim, divert = _extra_fraud(w, m, idx, clerk, role, d, a, skim, divert)
        paid_on = _paid_on(fd, next_fd, k, cfg.late_payment_rate, rng)
        # ghosts active this month
        gi = np.nonzero(w.ghosts.start <= m)[0]
        gk = len(gi)
        gd = monthly_amount(w.ghosts.children[gi], mci)
        gclerk = w.ghosts.maker[gi]
        g_paid_on = _paid_on(fd, next_fd, gk, cfg.late_payment_rate, rng)
        ledger.ghost_paid[gi] += gd
        ledger.ghost_months[gi] += 1
        ledger.ghost_first[gi] = np.where(ledger.ghost_first[gi] < 0, m, ledger.ghost_first[gi])
        # disbursement lines: registry families, then ghosts
        fam_all = np.concatenate([idx, n + gi])  # ghost ids follow the registry's
        clerk_all = np.concatenate([clerk, gclerk])
        acc_all = np.concatenate([account_idx, w.ghost_account_base + w.ghosts.account[gi]])
        total = k + gk
        sinks["disbursements"].write(
            {
                "payment_id": _ids(pay_counter, total, w.pay_width, "P"),
                "family_id": w.family_ids.take(pa.array(fam_all)),
                "period": constant(period, total),
                "amount": money(np.concatenate([d, gd])),
                "paid_on": dates(np.concatenate([paid_on, g_paid_on])),
                "office_id": geo.office_ids.take(pa.array(geo.clerk_office[clerk_all])),
                "staff_id": geo.clerk_ids.take(pa.array(clerk_all)),
                "channel": w.channel_names.take(
                    pa.array(np.concatenate([channel, np.zeros(gk, np.int64)]))
                ),
                "account": w.accounts.take(pa.array(acc_all, mask=acc_all < 0)),
            }
        )
        # receipt evidence
        ch_all = np.concatenate([channel, np.zeros(gk, np.int64)])
        amt_all = np.concatenate([a, gd])
        paid_all = np.concatenate([paid_on, g_paid_on])
        has = rng.random(total) < coverage[ch_all]
        source = np.where(ch_all == 0, 0, np.where(rng.random(total) < 0.6, 1, 2))
        r = amt_all.copy()
        mis = has & (source == 2) & (rng.random(total) < cfg.survey_misreport_rate)
        mis &= (r >= 1000) & (r % 1000 != 0)
        r[mis] = r[mis] // 1000 * 1000
        if w.extra is not None and cfg.receipt_noise_rate > 0:
            _receipt_noise(w, r, has, source, geo.clerk_office[clerk_all])
        reported = np.where(
            source == 0,
            paid_all + rng.integers(1, 4, size=total),
            np.where(
                source == 1,
                paid_all + rng.integers(2, 41, size=total),
                fd + rng.integers(45, 150, size=total),
            ),
        )
        reported = np.minimum(reported, w.export_date)
        ev = np.nonzero(has)[0]
        sinks["receipts"].write(
            {
                "receipt_id": _ids(rec_counter, len(ev), w.rec_width, "R"),
                "family_id": w.family_ids.take(pa.array(fam_all[ev])),
                "period": constant(period, len(ev)),
                "amount": money(r[ev]),
                "reported_on": dates(reported[ev]),
                "source": w.source_names.take(pa.array(source[ev])),
            }
        )
        if "entitlements" in sinks:
            ent = np.nonzero(e > 0)[0]
            sinks["entitlements"].write(
                {
                    "family_id": w.family_ids.take(pa.array(ent)),
                    "period": constant(period, len(ent)),
                    "amount": money(e[ent]),
                }
            )
        # truth for the registry families
        d_full = np.zeros(n, np.int64)
        d_full[idx] = d
        a_full = np.zeros(n, np.int64)
        a_full[idx] = a
        r_full = np.zeros(n, np.int64)
        known = np.zeros(n, bool)
        r_full[idx[has[:k]]] = r[:k][has[:k]]
        known[idx[has[:k]]] = True
        c_full = np.full(n, -1, np.int64)
        c_full[idx] = clerk
        # A duplicate registration is not a family: the audit treats it as entitled to
        # nothing, so everything paid to it is excess.
        e = e.copy()
        e[w.n_genuine :] = 0
        ledger.entitled += e
        ledger.disbursed += d_full
        ledger.received_true += a_full
        ledger.owed_true += np.maximum(e - a_full, 0)
        ledger.owed_evidenced += owed_evidenced(e, d_full, r_full, known)
        short = has & (r < np.concatenate([d, gd]))  # verified lines where R < D
        np.add.at(ledger.clerk_lines, clerk_all, 1)
        np.add.at(ledger.clerk_short, clerk_all[short], 1)
        rows = np.nonzero((e > 0) | (d_full > 0) | known)[0]
        st = status_codes(e[rows], d_full[rows], r_full[rows], known[rows])
        # ghost truth rows: E = 0, evidence as written
        g_has = has[k:]
        g_st = status_codes(np.zeros(gk, np.int64), gd, r[k:], g_has)
        status_totals += np.bincount(np.concatenate([st, g_st]), minlength=len(STATUSES))
        fam_rows = np.concatenate([rows, n + gi])
        clerk_rows = np.concatenate([c_full[rows], gclerk])
        sinks["truth_family_periods"].write(
            {
                "family_id": w.family_ids.take(pa.array(fam_rows)),
                "period": constant(period, len(fam_rows)),
                "E": money(np.concatenate([e[rows], np.zeros(gk, np.int64)])),
                "D": money(np.concatenate([d_full[rows], gd])),
                "R_evidence": money_or_null(
                    np.concatenate([r_full[rows], r[k:]]), np.concatenate([known[rows], g_has])
                ),
                "actual_received": money_or_null(
                    np.concatenate([a_full[rows], np.zeros(gk, np.int64)]),
                    np.concatenate([np.ones(len(rows), bool), np.zeros(gk, bool)]),
                ),
                "status": w.status_names.take(pa.array(np.concatenate([st, g_st]))),
                "staff_id": w.clerk_ids_or_null(clerk_rows),
                "staff_role": w.role_names.take(
                    pa.array(np.where(clerk_rows >= 0, w.role[clerk_rows], 0), mask=clerk_rows < 0)
                ),
            }
        )
        _track_victims(victims, m, e, stopped, idx, d, a, clerk, skim, divert)
        ledger.diverted_to.append(np.stack([idx[div_bank], clerk[div_bank]], axis=1))
    ledger.status_counts = {s: int(c) for s, c in zip(STATUSES, status_totals, strict=True)}
    w.payment_count = pay_counter[0]
    return ledger, victims


def _extra_fraud(w, m, idx, clerk, role, d, a, skim, divert):
    """Collusive offices and subtle skimmers keep a share; intermittent diverters divert.

    ``a`` (what reaches the family) is changed in place; returns the widened skim and
    divert masks for the complaints. Draws only from the extra stream.
    """
    cfg, x = w.cfg, w.extra
    for mask, rate in (
        (role == COLLUDER, cfg.collusive_skim_rate),
        ((role == SUBTLE_SKIMMER) & x.subtle_victim[idx], cfg.subtle_skim_rate),
    ):
        bp = round(rate * 10_000)
        a[mask] = d[mask] - (d[mask] * bp + 5_000) // 10_000
        skim = skim | (mask & (a < d))
    first = x.intermittent_first[clerk]
    span = min(cfg.intermittent_months, cfg.months)
    active = (role == INTERMITTENT) & (first >= 0) & (m >= first) & (m < first + span)
    if active.any():
        hit = active & (x.rng.random(len(idx)) < cfg.intermittent_rate)
        a[hit] = 0
        divert = divert | hit
    return skim, divert


def _receipt_noise(w, r, has, source, office) -> None:
    """Honest noise: some bank statements and confirmations report a little less.

    A fee or a rounding, never more than ``receipt_noise_max`` of the amount and
    never all of it; how often depends on the office (banks differ by district).
    """
    x, cfg = w.extra, w.cfg
    total = len(r)
    u, size = x.rng.random(total), x.rng.random(total)
    hit = has & (source <= 1) & (r > 1) & (u < x.noise_rate[office])
    fee = np.maximum(1, np.floor(r * cfg.receipt_noise_max * size)).astype(np.int64)
    r[hit] = r[hit] - np.minimum(fee[hit], r[hit] - 1)


def _track_victims(v: Victims, m, e, stopped, idx, d, a, clerk, skim, divert) -> None:
    unpaid = (e > 0) & stopped & (v.unpaid_m < 0)
    v.unpaid_m[unpaid] = m
    v.unpaid_amount[unpaid] = e[unpaid]
    s = idx[skim & (a < d)]
    new = v.skim_m[s] < 0
    v.skim_m[s[new]] = m
    v.skim_amount[s[new]] = (d - a)[skim & (a < d)][new]
    v.skim_clerk[s[new]] = clerk[skim & (a < d)][new]
    dv = idx[divert]
    new = v.divert_m[dv] < 0
    v.divert_m[dv[new]] = m
    v.divert_amount[dv[new]] = d[divert][new]
    v.divert_clerk[dv[new]] = clerk[divert][new]


def _year_month(day_numbers: np.ndarray) -> np.ndarray:
    """year * 12 + month - 1 of each date."""
    months = np.asarray(day_numbers, np.int64).astype("datetime64[D]").astype("datetime64[M]")
    return months.astype(np.int64) + 1970 * 12


def _paid_on(fd: int, next_fd: int, k: int, late_rate: float, rng) -> np.ndarray:
    """Paid between the 4th and 26th of the month, or early next month when late."""
    on = fd + rng.integers(3, 26, size=k)
    late = rng.random(k) < late_rate
    on[late] = next_fd + rng.integers(0, 12, size=int(late.sum()))
    return on
