"""Plain words for a flagged clerk: which yardstick, how far off, how much money, what
corroborates it. Written for the few flagged clerks only, so a loop is fine here."""

from __future__ import annotations

import numpy as np

from payproof.money import format_amount


def _pct(x: float | None) -> str:
    if x is None or x != x:
        return "–"
    return f"{100 * x:.1f}%" if x >= 0.001 or x == 0 else f"{100 * x:.2f}%"


def _q(x: float | None) -> str:
    return "q<1e-300" if not x else f"q={x:.1e}"


def staff_reasons(t: dict, show: np.ndarray) -> list:
    """Plain words for flagged clerks and clerks of flagged offices (few): a loop is fine."""
    reasons: list[str | None] = [None] * len(show)
    for i in np.flatnonzero(show):
        parts = []
        by = (t["flagged_by"][i] or "").split(";")
        v, sh = t["verified_lines"][i], t["short_lines"][i]
        if "office" in by or "region" in by:
            peer = "the office's other clerks" if "office" in by else "the region's other offices"
            rate = t["peer_short_rate"][i] if "office" in by else t["region_short_rate"][i]
            q = t["q_value"][i] if "office" in by else t["region_q_value"][i]
            text = f"{sh} of {v} verified lines came up short ({_pct(sh / v)}; {peer} {_pct(rate)}"
            text += f", {_q(q)})"
            ratio = t["median_ratio"][i]
            if ratio is not None and ratio < 0.995:
                text += f", typical received÷disbursed {ratio:.2f}"
            if t["nothing_lines"][i]:
                text += f", nothing received on {t['nothing_lines'][i]} lines"
            parts.append(text)
        if "months" in by:
            parts.append(
                f"in {t['flag_months'][i]} {_pct(t['months_short_rate'][i])} of lines short "
                f"against {_pct(t['months_peer_rate'][i])} for peers in those months "
                f"({_q(t['months_q_value'][i])})"
            )
        if "bank" in by:
            parts.append(
                f"{t['short_bank_lines'][i]} of {t['verified_bank_lines'][i]} lines verified by "
                f"bank statement came up short (peers' bank lines "
                f"{_pct(t['peer_bank_short_rate'][i])}, {_q(t['bank_q_value'][i])})"
            )
        if "material_families" in by:
            parts.append(
                f"{t['material_families'][i]} of {t['verified_families'][i]} families with "
                f"evidence lacked more than 5% of a payment ({t['material_lines'][i]} payments; "
                f"peers {_pct(t['peer_material_family_rate'][i])} of families, "
                f"{_q(t['material_families_q_value'][i])})"
            )
        for level, whose in (("region", "the region's"), ("programme", "the programme's")):
            if f"material_families_{level}" in by:
                parts.append(
                    f"{t['material_families'][i]} of {t['verified_families'][i]} families with "
                    f"evidence lacked more than 5% of a payment; {whose} other offices "
                    f"{_pct(t[f'{level}_material_family_rate'][i])} of families "
                    f"({_q(t[f'{level}_material_families_q_value'][i])})"
                )
        if "shared_accounts" in by:
            parts.append(
                f"paid {t['shared_account_families'][i]} of {t['families'][i]} families into "
                f"accounts shared with other families (peers "
                f"{_pct(t['peer_shared_account_rate'][i])}; {_q(t['shared_account_q_value'][i])})"
            )
        if t["in_flagged_office"][i]:
            parts.append(
                f"works in office {t['office_id'][i]}, flagged as a whole; "
                + ("also unusual individually" if t["flagged"][i] else "not singled out among "
                   "its colleagues, so not individually flagged")
            )  # fmt: skip
        if (t["excess_lost"][i] or 0) > 0 and t["flagged"][i]:
            parts.append(
                f"lost beyond its {t['excess_vs'][i]} yardstick: "
                f"{format_amount(t['excess_lost'][i])} "
                f"(95% interval {format_amount(max(t['excess_lost_low'][i], 0))}–"
                f"{format_amount(t['excess_lost_high'][i])})"
            )
        bank = t.get("short_bank_lines", [0] * len(show))[i]
        if sh and (t["flagged"][i] or t["in_flagged_office"][i]):
            parts.append(f"{bank} of the {sh} short lines are on bank statements")
        if t["complaints"][i]:
            bribes, np_ = t["bribe_complaints"][i], t["not_paid_complaints"][i]
            parts.append(
                f"named in {t['complaints'][i]} complaints"
                + (f", {bribes} about bribes" if bribes else "")
                + (f"; {np_} 'not paid' complaints for months it recorded as paid" if np_ else "")
            )
        reasons[i] = "; ".join(parts)
    return reasons
