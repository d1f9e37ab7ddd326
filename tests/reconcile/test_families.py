"""The families test (families with a materially short payment) and the detection limit."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from payproof.reconcile.hierarchy import detectable, tail
from payproof.reconcile.significance import flag_units


def _clerk(sid, office, families, short, material_families, material_lines, lost_per_line=1000):
    """One clerk: ``families`` families with 10 verified lines each (one a month, Jan–Oct)."""
    v = families * 10
    return {
        "staff_id": sid, "office_id": office, "region": "South",
        "verified_lines": v, "short_lines": short, "material_lines": material_lines,
        "lost": (short + material_lines) * lost_per_line, "verified_disbursed": v * 10_000,
        "families": families, "verified_families": families,
        "material_families": material_families, "shared_account_families": 0,
        "median_ratio": 1.0, "nothing_lines": 0, "complaints": 0, "bribe_complaints": 0,
        "not_paid_complaints": 0, "short_bank_lines": 0,
    }  # fmt: skip


def _months(staff: list[dict]) -> pa.Table:
    rows = []
    for c in staff:
        per = c["verified_lines"] // 10
        shorts = [c["short_lines"] // 10 + (m < c["short_lines"] % 10) for m in range(10)]
        rows += [{"staff_id": c["staff_id"], "period": f"2022-{m + 1:02d}", "verified": per,
                  "short": shorts[m]} for m in range(10)]  # fmt: skip
    return pa.Table.from_pylist(rows)


def _honest(n_offices=6, clerks=8):
    """Honest clerks: a tenth of lines a little short (a fee), almost never materially."""
    rng = np.random.default_rng(7)
    out = []
    for o in range(n_offices):
        for c in range(clerks):
            fam = int(rng.integers(20, 60))
            short = int(rng.binomial(fam * 10, 0.1))
            mat = int(rng.random() < 0.2)  # a stray material line (a misreported survey)
            out.append(_clerk(f"S{o}-{c}", f"O{o}", fam, short, mat, mat))
    return out


def _clean_region():
    """Honest clerks whose families are never materially short (a tenth of lines a fee)."""
    rng = np.random.default_rng(7)
    staff = []
    for o in range(6):
        for c in range(8):
            fam = int(rng.integers(20, 60))
            staff.append(_clerk(f"S{o}-{c}", f"O{o}", fam, int(rng.binomial(fam * 10, 0.1)), 0, 0))
    return staff


def _flags(staff: list[dict]) -> dict[str, dict]:
    result = flag_units(pa.Table.from_pylist(staff), _months(staff))
    return {r["staff_id"]: r for r in result.staff.to_pylist()}


def test_small_clerk_skimming_a_few_families_every_month_is_found_by_families():
    staff = _honest()
    # 20 families, 4 of them skimmed 10 % every month: 40 material lines; the short rate
    # over all lines (honest fees included) is not far above the office's
    staff[2] = _clerk("SUB", "O0", 20, 20 + 40, 4, 40, lost_per_line=1000)
    out = _flags(staff)
    assert out["SUB"]["flagged"]
    assert "material_families" in out["SUB"]["flagged_by"]
    assert "families with evidence lacked more than 5%" in out["SUB"]["flag_reason"]
    assert [s for s, r in out.items() if r["flagged"]] == ["SUB"]


def test_one_family_short_every_month_never_flags_a_clerk():
    staff = _honest()
    # one family's account keeps failing: 10 material lines, but one family (a test on
    # lines, not families, would flag it)
    staff[2] = _clerk("ONE", "O0", 20, 20 + 10, 1, 10, lost_per_line=10_000)
    out = _flags(staff)
    assert "material_families" not in (out["ONE"]["flagged_by"] or "")


def test_material_noise_everywhere_is_the_yardstick_not_a_flag():
    rng = np.random.default_rng(11)
    staff = []
    for o in range(6):
        rate = 0.3 * rng.gamma(4, 0.25)  # some offices' banks take more than 5 % often
        for c in range(8):
            fam = int(rng.integers(20, 60))
            mf = int(rng.binomial(fam, min(rate, 0.9)))
            staff.append(_clerk(f"S{o}-{c}", f"O{o}", fam, mf * 2, mf, mf * 2))
    out = _flags(staff)
    assert not any(r["flagged"] for r in out.values())


def test_detectable_is_the_least_count_that_flags():
    n = np.array([50.0, 200.0, 1000.0, 4.0])
    p0 = np.full(4, 0.1)
    rho = np.full(4, 0.01)
    cut = 1e-4
    d = detectable(n, p0, rho, np.ones(4, bool), cut, min_lines=5, min_excess=0.02)
    assert math.isnan(d[3])  # four lines: never five beyond the yardstick
    for i in range(3):
        k = round(d[i] * n[i])
        assert tail(np.array([k]), n[i : i + 1], p0[:1], rho[:1])[0] <= cut
        below = tail(np.array([k - 1]), n[i : i + 1], p0[:1], rho[:1])[0]
        rules = k - 1 - n[i] * p0[0] >= max(5, 0.02 * n[i])
        assert below > cut or not rules
    assert d[0] > d[1] > d[2]  # fewer lines need a larger share short


def test_staff_get_a_detection_limit_and_the_flagged_are_above_it():
    staff = _honest()
    staff[5] = _clerk("SK", "O0", 40, 200, 20, 100)
    out = _flags(staff)
    assert out["SK"]["flagged"]
    rate = out["SK"]["short_lines"] / out["SK"]["verified_lines"]
    assert rate >= out["SK"]["detectable_short_rate"]
    limits = [r["detectable_short_rate"] for r in out.values()]
    assert all(x is None or 0 < x <= 1 for x in limits)
    assert sum(x is not None for x in limits) > len(limits) // 2


def test_detectable_fast_path_matches_a_search_with_the_exact_tail():
    from payproof.reconcile.hierarchy import _bisect_first

    rng = np.random.default_rng(5)
    m = 400
    n = rng.integers(5, 2000, m).astype(float)
    p0 = rng.uniform(0.005, 0.4, m)
    rho = np.where(rng.random(m) < 0.3, 0.0, rng.uniform(0, 0.08, m))
    cut = 3e-5
    d = detectable(n, p0, rho, np.ones(m, bool), cut, min_lines=5, min_excess=0.02)
    lo = np.maximum(np.ceil(n * p0 + np.maximum(5, 0.02 * n) - 1e-9), 0)
    ok = lo <= n
    exact = _bisect_first(n[ok], p0[ok], rho[ok], lo[ok], cut)
    got = d[ok] * n[ok]
    both_nan = np.isnan(got) & np.isnan(exact)
    assert (both_nan | np.isclose(got, exact)).all()
    assert np.isnan(d[~ok]).all()


def test_diverter_short_once_in_each_of_four_families_is_found_by_families():
    staff = _honest()
    # a diverter of a few months: four of its 20 families materially short once each — four
    # materially short lines, as many as families (the test's unit is the family: a rule of
    # five materially short lines would have hidden it, while one family's failing account
    # makes ten)
    staff[2] = _clerk("DIV", "O0", 20, 20 + 4, 4, 4, lost_per_line=3500)
    out = _flags(staff)
    assert "material_families" in (out["DIV"]["flagged_by"] or "")
    assert [s for s, r in out.items() if r["flagged"]] == ["DIV"]


def test_columns_keep_their_types_when_no_one_is_flagged():
    # an honest programme: every label and window empty — still string columns (Arrow's
    # null type broke the audit's merge with the application flags)
    staff = _honest()
    result = flag_units(pa.Table.from_pylist(staff), _months(staff))
    assert not any(result.staff.column("flagged").to_pylist())
    for table, name in ((result.staff, "flagged_by"), (result.staff, "flag_months"),
                        (result.offices, "office_flagged_by"), (result.offices, "flag_months")):
        assert table.schema.field(name).type == pa.string(), name


def test_two_clerks_skimming_a_few_families_in_one_office_do_not_hide_each_other():
    """Two clerks of one office each skim 4 of their 20 families. Regression: the families
    test took its suspects (left out of the others' yardstick) by the line tests' minimum
    of 5, so a clerk 4 families beyond its peers was never one, and each of the two was
    the other's yardstick (q 0.07 for both). Its suspects now need its own minimum, in
    families: each is judged against honest colleagues, and both are flagged."""
    staff = _honest()
    staff[2] = _clerk("A", "O0", 20, 24, 4, 4, lost_per_line=3000)
    staff[3] = _clerk("B", "O0", 20, 24, 4, 4, lost_per_line=3000)
    out = _flags(staff)
    assert all("material_families" in (out[s]["flagged_by"] or "") for s in ("A", "B"))
    assert sorted(s for s, r in out.items() if r["flagged"]) == ["A", "B"]


def test_clerks_of_an_office_where_most_cheat_are_found_against_the_region():
    """Four of seven clerks of O0 each skim 7 of their 40 families; O1's ten clerks are
    honest. Every clerk's short lines are alike (honest fees on 30 % of the lines hide the
    skim in the count), and with two offices there is no office-level test. Against its
    office's other clerks no skimmer stands out (three cheating colleagues of four make
    its yardstick 8.75 %: q 0.87); against the region's other office (one family in 400
    materially short) each does: the families test against the region flags them, says
    so in ``flagged_by``, and values their money against the region. Before the region
    families test, none was flagged."""
    staff = [_clerk(f"H{c}", "O1", 40, 120, int(c == 3), int(c == 3)) for c in range(10)]
    cheats = ["A", "B", "C", "D"]
    staff += [_clerk(sid, "O0", 40, 120, 7, 70) for sid in cheats]
    staff += [_clerk(f"HO{c}", "O0", 40, 120, 0, 0) for c in range(3)]
    out = _flags(staff)
    for sid in cheats:
        by = (out[sid]["flagged_by"] or "").split(";")
        assert by == ["material_families_region"], (sid, out[sid])
        assert out[sid]["material_families_q_value"] > 0.5  # the contaminated yardstick
        assert out[sid]["region_material_families_q_value"] < 0.01
        assert out[sid]["excess_vs"] == "region" and out[sid]["excess_lost"] > 0
        assert "the region's other offices" in out[sid]["flag_reason"]
    assert sorted(s for s, r in out.items() if r["flagged"]) == cheats
    assert not any(r["in_flagged_office"] for r in out.values())


def test_region_families_test_is_not_run_twice_where_the_office_is_too_small():
    """A clerk whose office's other clerks have too few families is already judged by the
    region in its families test: the region test is left empty, not counted twice."""
    staff = _honest()
    staff.append(_clerk("LONE", "O9", 20, 20, 0, 0))
    staff.append(_clerk("MATE", "O9", 5, 5, 0, 0))
    out = _flags(staff)
    assert out["LONE"]["region_material_families_q_value"] is None
    assert out["LONE"]["material_families_q_value"] is not None
    assert out["S0-0"]["region_material_families_q_value"] is not None


def test_an_office_whose_bank_takes_a_material_fee_is_an_office_finding():
    """One office's bank takes more than 5 % from a third of its families every month; the
    other offices' families are almost never materially short. Against the region every
    clerk of that office stands out on families — but so does the office, as a whole: it
    is flagged as an office and its clerks are listed in it, not flagged one by one by the
    region's families test (the rule of the short-line region test)."""
    rng = np.random.default_rng(3)
    staff = [s for s in _honest() if s["office_id"] != "O5"]
    for c in range(8):
        fam = int(rng.integers(20, 60))
        mf = int(rng.binomial(fam, 0.33))
        short = int(rng.binomial(fam * 10, 0.1)) + 10 * mf
        staff.append(_clerk(f"S5-{c}", "O5", fam, short, mf, 10 * mf, lost_per_line=600))
    out = _flags(staff)
    o5 = [r for s, r in out.items() if s.startswith("S5-")]
    assert all(r["in_flagged_office"] for r in o5)
    assert sum(r["region_material_families_q_value"] < 0.01 for r in o5) >= 6
    assert not any("material_families_region" in (r["flagged_by"] or "") for r in out.values())
    assert not any(r["flagged"] for s, r in out.items() if not s.startswith("S5-"))


def test_two_families_beyond_a_clean_yardstick_can_flag_one_never_does():
    """The families test's minimum: at least two materially short families and more than
    one beyond the yardstick. A diverter who took most of the payment of two of its 12
    families once each, where no honest family of the region is materially short, is
    flagged — against the region, whose yardstick is the larger (its office's: q 0.3).
    Before, the minimum was two families *beyond* a yardstick smoothed above zero (three
    in practice) and it was not. One family, however short, never flags."""
    staff = _clean_region()
    staff[2] = _clerk("TWO", "O0", 12, 12 + 2, 2, 2, lost_per_line=40_000)
    staff[3] = _clerk("ONE", "O0", 12, 12 + 1, 1, 1, lost_per_line=80_000)
    out = _flags(staff)
    assert (out["TWO"]["flagged_by"] or "").split(";") == ["material_families_region"]
    assert not out["ONE"]["flagged"]
    assert [s for s, r in out.items() if r["flagged"]] == ["TWO"]


def test_families_money_line_on_the_upper_end_keeps_a_large_clerks_tiny_loss_out():
    """The families tests hold the 0.5 % money line on the upper end of the money's 95 %
    interval (docs/audit.md, "The money line, measured"). A clerk of 30 families, 3 of them
    materially short once, lost about 0.2 % of its money beyond the region's rate — under
    the line at the point, over it at the upper end: the evidence cannot rule out a
    material loss, and it is flagged (not before). A clerk of 400 families with 10 such
    families is as significant against the region, but its interval is narrow and ends
    near 0.2 %: the line keeps it out, as it did before."""
    staff = _clean_region()
    staff[2] = _clerk("SMALL", "O0", 30, 30 + 3, 3, 3)
    staff[3] = _clerk("LARGE", "O0", 400, 400 + 10, 10, 10)
    out = _flags(staff)
    small, large = out["SMALL"], out["LARGE"]
    vd_small, vd_large = staff[2]["verified_disbursed"], staff[3]["verified_disbursed"]
    assert small["excess_lost"] * 200 < vd_small <= small["excess_lost_high"] * 200
    assert (small["flagged_by"] or "").split(";") == ["material_families_region"]
    assert large["region_material_families_q_value"] < 0.01
    assert large["excess_lost_high"] * 200 < vd_large
    assert not large["flagged"]
    assert [s for s, r in out.items() if r["flagged"]] == ["SMALL"]


def _in(region: str, clerk: dict) -> dict:
    return {**clerk, "region": region}


def test_a_clerk_whose_regions_other_offices_mostly_cheat_is_found_against_the_programme():
    """The independent programme's seed 3, in small: SKIM skims 7 of its 40 families in a
    two-clerk office (too small a yardstick: its families test uses the region's other
    offices), and 8 of those 10 clerks cheat — a collusive office and an office where 3 of
    5 take from most families. Against its region SKIM looks ordinary (q 1); the clerks of
    the programme's other offices, mostly honest (a second region of 16 honest clerks),
    are the yardstick that is not the cheats: the families test against the programme
    flags it, says so in ``flagged_by``, and values its money against the programme.
    Honest clerks stay unflagged; the collusive office's clerks are listed in it, not
    flagged one by one (``region_flag_shown``). Before the programme families test, SKIM
    was not flagged."""
    staff = [_in("North", c) for c in _clean_region()[:16]]
    staff += [_in("South", _clerk("SKIM", "T", 40, 120, 7, 70)),
              _in("South", _clerk("MATE", "T", 30, 90, 0, 0))]  # fmt: skip
    staff += [_in("South", _clerk(f"C{c}", "C", 40, 400, 40, 400)) for c in range(5)]
    staff += [_in("South", _clerk(f"M{c}", "M", 40, 300 if c < 3 else 90, 30 if c < 3 else 0,
                                  300 if c < 3 else 0)) for c in range(5)]  # fmt: skip
    out = _flags(staff)
    skim = out["SKIM"]
    assert skim["region_material_families_q_value"] is None  # the office test is the region's
    # its region yardstick is the cheats' (or, once the programme's suspects are left out of
    # it, too small to test against)
    assert (skim["material_families_q_value"] or 1.0) > 0.5
    assert skim["programme_material_families_q_value"] < 0.01
    assert (skim["flagged_by"] or "").split(";") == ["material_families_programme"]
    assert skim["excess_vs"] == "programme" and skim["excess_lost"] > 0
    assert "the programme's other offices" in skim["flag_reason"]
    honest = ["MATE", "M3", "M4"] + [s for s in out if s.startswith("S") and s != "SKIM"]
    assert not any(out[s]["flagged"] or out[s]["in_flagged_office"] for s in honest)
    assert all(out[f"C{c}"]["in_flagged_office"] for c in range(5))
    assert not any("material_families_programme" in (out[f"C{c}"]["flagged_by"] or "")
                   for c in range(5))  # fmt: skip


def test_programme_families_test_is_empty_where_it_would_repeat_the_region_test():
    """One region: the programme's other offices are the region's — the programme families
    test is left empty (not counted twice); so it is where the region has no other office
    (its region test is the programme's already)."""
    out = _flags(_honest())
    assert all(r["programme_material_families_q_value"] is None for r in out.values())
    staff = [_in("North", c) for c in _honest()]
    staff += [_in("Lone", _clerk(f"L{c}", "L", 30, 30, 0, 0)) for c in range(6)]
    out = _flags(staff)
    assert out["L0"]["region_material_families_q_value"] is not None
    assert out["L0"]["programme_material_families_q_value"] is None
    assert out["S0-0"]["programme_material_families_q_value"] is not None


def test_a_cheat_untestable_against_its_region_stays_out_of_the_others_yardsticks():
    """The independent programme's seed 6, in small. Office L is alone in its region, so
    the programme's other offices are its clerks' region yardstick; four of its seven
    clerks skim 6 of their 40 families (their short lines no more than their colleagues':
    an office's fee on a quarter of the lines). DIV, in region Tiny, makes 36 of its 40
    families materially short — but its office's and its region's other clerks have fewer
    than 100 families, so it has no office or region families test and was never a
    suspect there: its families stayed in every wider yardstick (4 % where the honest
    clerks have none; the skimmers' region q 0.04). A suspect of any of the three families
    tests (here DIV's programme test) is now left out of every wider yardstick: against the
    programme's other offices the skimmers stand out (L is flagged as a whole and they are
    listed in it), their honest colleagues do not."""
    staff = [_in("North", c) for c in _clean_region()[:16]]
    staff += [_in("Tiny", _clerk("DIV", "T1", 40, 360, 36, 360))]
    staff += [_in("Tiny", _clerk(f"T1-{c}", "T1", 40, 40, 0, 0)) for c in range(2)]
    staff += [_in("Tiny", _clerk(f"T2-{c}", "T2", 40, 40, 0, 0)) for c in range(2)]
    skimmers = ["L0", "L1", "L2", "L3"]
    staff += [_in("Lone", _clerk(sid, "L", 40, 100, 6, 60)) for sid in skimmers]
    staff += [_in("Lone", _clerk(f"L{c}", "L", 40, 100, 0, 0)) for c in range(4, 7)]
    out = _flags(staff)
    assert out["DIV"]["region_material_families_q_value"] is None
    assert out["DIV"]["material_families_q_value"] is None
    for sid in skimmers:  # (4 % and q 0.04 before)
        assert out[sid]["region_material_family_rate"] < 0.01
        assert out[sid]["region_material_families_q_value"] < 0.01
        assert out[sid]["flagged"] or out[sid]["in_flagged_office"]
    assert sorted(s for s, r in out.items() if r["flagged"]) == ["DIV"]  # L: as an office
    assert all(r["region_material_families_q_value"] == 1.0 for s, r in out.items()
               if s in ("L4", "L5", "L6"))  # fmt: skip
