"""Complaints: some victims complain (few of them), and a trickle of unfounded ones."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from payproof.scenario.identity import zero_padded
from payproof.scenario.writer import dates, money_or_null

CATEGORIES = ("not_paid", "partial_payment", "bribe_demanded", "wrongly_excluded", "other")
NOT_PAID, PARTIAL, BRIBE, EXCLUDED, OTHER = range(5)
DESCRIPTIONS = {
    NOT_PAID: ("Пособие многодетной семье не поступает", "Жәрдемақы түспеді",
               "Allowance not received"),
    PARTIAL: ("Получила меньше положенного", "Жәрдемақы толық түскен жоқ",
              "Received less than the allowance"),
    BRIBE: ("Специалист потребовал 30% от пособия за оформление",
            "Маман жәрдемақының 30 пайызын сұрады", "Clerk asked for a 30% commission"),
    EXCLUDED: ("Отказали в назначении пособия", "Unfairly refused the allowance"),
    OTHER: ("Прошу пересчитать размер пособия", "Изменились реквизиты счёта",
            "Question about the payment date"),
}  # fmt: skip


def build_grievances(w, victims, rng) -> pa.Table:
    """One row per complaint, ordered by filing date; IDs G000001..."""
    cfg, fams = w.cfg, w.fams
    n = fams.n
    parts = []  # (family, category, month, amount, staff)

    def take(mask_m, rate):
        sel = np.nonzero((mask_m >= 0) & (rng.random(n) < rate))[0]
        return sel

    sel = take(victims.unpaid_m, cfg.complaint_rate_unpaid)
    parts.append((sel, np.full(len(sel), NOT_PAID), victims.unpaid_m[sel],
                  victims.unpaid_amount[sel], np.full(len(sel), -1)))  # fmt: skip
    sel = take(victims.skim_m, cfg.complaint_rate_skimmed)
    bribe = rng.random(len(sel)) < cfg.bribe_share
    named = bribe | (rng.random(len(sel)) < 0.5)
    staff = np.where(named, victims.skim_clerk[sel], -1)
    cat = np.where(bribe, BRIBE, PARTIAL)
    parts.append((sel, cat, victims.skim_m[sel], victims.skim_amount[sel], staff))
    sel = take(victims.divert_m, cfg.complaint_rate_diverted)
    named = rng.random(len(sel)) < 0.5
    staff = np.where(named, victims.divert_clerk[sel], -1)
    cat = np.full(len(sel), NOT_PAID)
    parts.append((sel, cat, victims.divert_m[sel], victims.divert_amount[sel], staff))
    clean = (victims.unpaid_m < 0) & (victims.skim_m < 0) & (victims.divert_m < 0)
    sel = np.nonzero(clean & (rng.random(n) < cfg.complaint_rate_noise))[0]
    cat = rng.choice([EXCLUDED, OTHER, PARTIAL, NOT_PAID], size=len(sel), p=[0.4, 0.4, 0.1, 0.1])
    month = np.where(rng.random(len(sel)) < 0.7, rng.integers(0, cfg.months, len(sel)), -1)
    staff = np.where(rng.random(len(sel)) < 0.1, fams.clerk[sel], -1)
    parts.append((sel, cat, month, np.zeros(len(sel), np.int64), staff))
    fam, cat, month, amount, staff = (np.concatenate(x) for x in zip(*parts, strict=True))
    month_start = np.asarray(w.month_starts)
    base = np.where(month >= 0, month_start[np.maximum(month, 0)], month_start[0])
    filed = np.minimum(base + rng.integers(20, 200, size=len(fam)), w.export_date)
    order = np.lexsort((fam, filed))
    fam, cat, month, amount, staff, filed = (x[order] for x in (fam, cat, month, amount,
                                                                  staff, filed))  # fmt: skip
    flat = [t for c in range(len(CATEGORIES)) for t in DESCRIPTIONS[c]]
    count = np.array([len(DESCRIPTIONS[c]) for c in range(len(CATEGORIES))])
    offset = np.concatenate([[0], np.cumsum(count)[:-1]])
    pick = offset[cat] + rng.integers(0, 1 << 30, size=len(cat)) % count[cat]
    descr = pa.array(flat, type=pa.string()).take(pa.array(pick))
    width = max(6, len(str(len(fam))))
    return pa.table(
        {
            "grievance_id": zero_padded(np.arange(1, len(fam) + 1), width, "G"),
            "family_id": w.family_ids.take(pa.array(fam)),
            "filed_on": dates(filed),
            "category": pa.array(np.array(CATEGORIES, dtype=object)[cat], type=pa.string()),
            "period": w.period_names.take(pa.array(month, mask=month < 0)),
            "amount_claimed": money_or_null(amount, amount > 0),
            "staff_id": w.clerk_ids_or_null(staff),
            "description": descr,
        }
    )
