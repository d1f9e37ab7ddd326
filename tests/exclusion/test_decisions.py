"""Who is flagged as what on applications: an office where every clerk delays is flagged
as a whole (its clerks listed in a flagged office, not as proven individuals); a lone
delayer is flagged individually, and its office is not flagged as a whole for it."""

from __future__ import annotations

import pytest

from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.exclusion.decisions import DecisionSettings, decide_applications

REGIONS, OFFICES, CLERKS, APPS = 4, 6, 5, 80
WHOLE, LONE = "R0-O0", "R1-O0"  # every clerk delays 45 %; one clerk delays 60 %


def _late(office: str, clerk: int) -> int:
    """Late applications of a clerk: honest ones 6–10 of 80 (a spread, as in life)."""
    if office == WHOLE:
        return 36 + clerk
    if office == LONE and clerk == 0:
        return 48
    return 6 + (clerk + int(office[1]) + int(office[-1])) % 5


@pytest.fixture(scope="module")
def decided():
    engine = DuckDBEngine()
    offices = [(f"R{r}-O{o}", f"R{r}") for r in range(REGIONS) for o in range(OFFICES)]
    clerks = [(f"{o}-S{c}", o, _late(o, c)) for o, _ in offices for c in range(CLERKS)]
    engine.execute("CREATE TABLE offices (office_id VARCHAR, region VARCHAR)")
    engine.con.executemany("INSERT INTO offices VALUES (?, ?)", offices)
    engine.execute("CREATE TABLE staff (staff_id VARCHAR, office_id VARCHAR)")
    engine.con.executemany("INSERT INTO staff VALUES (?, ?)", [c[:2] for c in clerks])
    engine.execute("CREATE TABLE clerks (staff_id VARCHAR, office_id VARCHAR, late INTEGER)")
    engine.con.executemany("INSERT INTO clerks VALUES (?, ?, ?)", clerks)
    engine.materialise(
        "application_facts",
        f"""SELECT c.staff_id, c.office_id, 'approved' AS decision,
          CASE WHEN i < c.late THEN 45 ELSE 10 END AS days_open, true AS eligible,
          false AS overturned
        FROM clerks c, range({APPS}) r(i)""",
    )
    staff, offices_t = decide_applications(engine, DecisionSettings())
    return staff.to_pylist(), offices_t.to_pylist()


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
