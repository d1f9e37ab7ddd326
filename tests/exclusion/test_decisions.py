"""Who is flagged as what on applications: an office where every clerk delays is flagged
as a whole (its clerks listed in a flagged office, not as proven individuals); a lone
delayer is flagged individually, and its office is not flagged as a whole for it."""

from __future__ import annotations

import pytest

from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.exclusion.decisions import DecisionSettings, decide_applications
from payproof.reconcile.significance import FlagSettings

REGIONS, OFFICES, CLERKS, APPS = 4, 6, 5, 80
WHOLE, LONE = "R0-O0", "R1-O0"  # every clerk delays 45 %; one clerk delays 60 %


def _late(office: str, clerk: int) -> int:
    """Late applications of a clerk: honest ones 6–10 of 80 (a spread, as in life)."""
    if office == WHOLE:
        return 36 + clerk
    if office == LONE and clerk == 0:
        return 48
    return 6 + (clerk + int(office[1]) + int(office[-1])) % 5


def _decide(clerks: list[tuple], settings: DecisionSettings | None = None
            ) -> tuple[list[dict], list[dict]]:
    """Decide APPS eligible applications per clerk (staff_id, office R<r>-O<o>, late,
    rejected[, applications]): the first ``late`` of them after the term, the last
    ``rejected`` rejected."""
    clerks = [(*c, APPS) if len(c) == 4 else tuple(c) for c in clerks]
    engine = DuckDBEngine()
    offices = sorted({(c[1], c[1].split("-")[0]) for c in clerks})
    engine.execute("CREATE TABLE offices (office_id VARCHAR, region VARCHAR)")
    engine.con.executemany("INSERT INTO offices VALUES (?, ?)", offices)
    engine.execute("CREATE TABLE staff (staff_id VARCHAR, office_id VARCHAR)")
    engine.con.executemany("INSERT INTO staff VALUES (?, ?)", [c[:2] for c in clerks])
    engine.execute("CREATE TABLE clerks (staff_id VARCHAR, office_id VARCHAR, late INTEGER, "
                   "rejected INTEGER, apps INTEGER)")  # fmt: skip
    engine.con.executemany("INSERT INTO clerks VALUES (?, ?, ?, ?, ?)", clerks)
    engine.materialise(
        "application_facts",
        """SELECT c.staff_id, c.office_id,
          CASE WHEN i >= c.apps - c.rejected THEN 'rejected' ELSE 'approved' END AS decision,
          CASE WHEN i < c.late THEN 45 ELSE 10 END AS days_open, true AS eligible,
          false AS overturned
        FROM clerks c, range(c.apps) r(i)""",
    )
    staff, offices_t = decide_applications(engine, settings or DecisionSettings())
    return staff.to_pylist(), offices_t.to_pylist()


@pytest.fixture(scope="module")
def decided():
    return _decide([(f"R{r}-O{o}-S{c}", f"R{r}-O{o}", _late(f"R{r}-O{o}", c), 0)
                    for r in range(REGIONS) for o in range(OFFICES) for c in range(CLERKS)])


def test_an_office_where_everyone_delays_is_flagged_as_a_whole(decided):
    staff, offices = decided
    office = next(o for o in offices if o["office_id"] == WHOLE)
    assert office["application_flagged"] and office["application_office_wide"]
    mine = [s for s in staff if s["office_id"] == WHOLE]
    assert all(s["application_in_flagged_office"] for s in mine)
    # not proven individuals: the region test alone does not single them out
    assert not any(s["application_flagged"] for s in mine)


def test_a_lone_delayer_is_flagged_individually_not_its_office_as_a_whole(decided):
    staff, offices = decided
    lone = next(s for s in staff if s["staff_id"] == f"{LONE}-S0")
    assert lone["application_flagged"] and "late_vs_office" in lone["application_flagged_by"]
    assert not lone["application_in_flagged_office"]
    office = next(o for o in offices if o["office_id"] == LONE)
    assert not office["application_office_wide"]
    others = [s for s in staff if s["office_id"] == LONE and s["staff_id"] != lone["staff_id"]]
    assert not any(s["application_flagged"] or s["application_in_flagged_office"]
                   for s in others)  # fmt: skip


def test_honest_clerks_and_offices_are_not_flagged(decided):
    staff, offices = decided
    honest = [s for s in staff if s["office_id"] not in (WHOLE, LONE)]
    assert not any(s["application_flagged"] or s["application_in_flagged_office"]
                   for s in honest)  # fmt: skip
    assert not any(o["application_flagged"] for o in offices
                   if o["office_id"] not in (WHOLE, LONE))  # fmt: skip


# -- detection limits: the rate at which a clerk's own test would have flagged it
SMALL = "R2-O5"  # two clerks: too small to be its clerks' yardstick (the region's is)


def _honest() -> list[tuple[str, str, int, int]]:
    return [(f"R{r}-O{o}-S{c}", f"R{r}-O{o}", 6 + (c + r + o) % 5, 2 + (c + 2 * r + o) % 3)
            for r in range(REGIONS) for o in range(OFFICES)
            for c in range(2 if f"R{r}-O{o}" == SMALL else CLERKS)]  # fmt: skip


def _limit_and_flags(name: str, who: str, around: range) -> tuple[int, dict[int, set[str]]]:
    """The clerk's limit as a count of its applications, and its flags when it has each
    count in ``around`` (relative to the limit) of late / rejected-eligible applications."""
    clerks = _honest()
    row = next(s for s in _decide(clerks)[0] if s["staff_id"] == who)
    limit = row[f"detectable_{name}_rate"]
    assert limit is not None and 0 < limit < 1
    k = round(limit * APPS)
    assert abs(k - limit * APPS) < 1e-6  # a count of the clerk's applications
    flags = {}
    for d in around:
        changed = [(c[0], c[1], k + d if name == "late" else c[2],
                    k + d if name == "rejected_eligible" else c[3]) if c[0] == who else c
                   for c in clerks]  # fmt: skip
        got = next(s for s in _decide(changed)[0] if s["staff_id"] == who)
        flags[d] = set((got["application_flagged_by"] or "").split(";")) - {""}
    return k, flags


def test_the_detection_limit_is_the_least_rate_its_own_test_flags():
    """A clerk of an office too small to be its yardstick: its test is against the
    region's other offices; one application fewer than the limit is not flagged."""
    _, flags = _limit_and_flags("rejected_eligible", f"{SMALL}-S0", range(-2, 2))
    assert flags[-2] == flags[-1] == set()
    assert flags[0] == flags[1] == {"rejected_eligible_vs_region"}


def test_at_the_limit_the_office_test_flags():
    """Against its office: at and above the limit the clerk's own test flags it. (It may be
    flagged a little below: its test against the region has a larger yardstick, and that
    second rejection loosens the Benjamini–Hochberg cut-off — never unflagged above.)"""
    _, flags = _limit_and_flags("late", "R1-O2-S3", range(0, 3))
    assert all("late_vs_office" in f for f in flags.values())


def test_every_clerk_gets_limits_and_the_flagged_are_above_theirs(decided):
    staff, _ = decided
    for s in staff:
        for name in ("late", "rejected_eligible"):
            assert 0 < s[f"detectable_{name}_rate"] < 1  # 80 applications: enough to flag
        if s["application_flagged"]:
            assert s["late"] / s["applications"] >= s["detectable_late_rate"]
    assert any(s["application_flagged"] for s in staff)


# -- a small office where three of four clerks delay (seed 4 of bench/exclusion_power.py)
SMALL_DELAY = "R3-O1"


def _small_office_delay() -> list[tuple]:
    """Honest clerks everywhere (0 or 1 of 80 applications late, as in a programme that
    keeps its term), except office R3-O1: clerks of 24, 19, 15 and 10 applications; the
    first three delay (15, 12, 10 late), the fourth is honest."""
    mine = [(f"{SMALL_DELAY}-S0", SMALL_DELAY, 15, 0, 24),
            (f"{SMALL_DELAY}-S1", SMALL_DELAY, 12, 0, 19),
            (f"{SMALL_DELAY}-S2", SMALL_DELAY, 10, 0, 15),
            (f"{SMALL_DELAY}-S3", SMALL_DELAY, 0, 0, 10)]  # fmt: skip
    honest = [(c[0], c[1], sum(map(ord, c[0])) % 2, c[3]) for c in _honest()]
    return [c for c in honest if c[1] != SMALL_DELAY] + mine


def test_colleagues_judged_by_the_region_stay_out_of_the_office_yardstick():
    """S0 and S1 have too few colleagues' applications to be tested against the office
    (their region test is their own, and flags them); S2 has just enough. Its office
    yardstick must not be S0 and S1, delayers themselves: without them S2 too is judged by
    the region and flagged individually, the office is not flagged as a whole, and the
    honest S3 is not listed in a flagged office."""
    staff, offices = _decide(_small_office_delay())
    mine = {s["staff_id"][-2:]: s for s in staff if s["office_id"] == SMALL_DELAY}
    assert all(mine[c]["application_flagged"] for c in ("S0", "S1", "S2"))
    assert "late_vs_region" in mine["S2"]["application_flagged_by"]
    # S2 is not compared with S0 and S1 (half their applications late): with them out, its
    # office has too few applications left to judge it, and its region test is its own
    assert mine["S2"]["late_vs_office_q"] is None
    assert not mine["S3"]["application_flagged"]
    assert not any(s["application_in_flagged_office"] for s in mine.values())
    office = next(o for o in offices if o["office_id"] == SMALL_DELAY)
    assert office["application_flagged"] and not office["application_office_wide"]


def test_two_applications_beyond_the_yardstick_can_flag_a_small_clerk():
    """A clerk of a two-clerk office (judged by its region) rejects 5 of its 8 eligible
    mothers where peers reject about 3.5 %: under 5 applications beyond the yardstick, so
    the loss tests' minimum would hide it; the applications' minimum (2, a family's
    decision being the unit) does not."""
    clerks = [c if c[0] != f"{SMALL}-S0" else (c[0], c[1], 0, 5, 8) for c in _honest()]
    staff, _ = _decide(clerks)
    row = next(s for s in staff if s["staff_id"] == f"{SMALL}-S0")
    assert row["application_flagged_by"] == "rejected_eligible_vs_region"
    five = DecisionSettings(flags=FlagSettings(min_peer_lines=50, min_lines=5))
    staff5, _ = _decide(clerks, five)
    assert not next(s for s in staff5 if s["staff_id"] == f"{SMALL}-S0")["application_flagged"]
