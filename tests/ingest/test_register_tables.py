"""The population register and applications: contract checks and rejects like any table."""

from __future__ import annotations

from payproof.contract import row_json_schema
from payproof.engine import DuckDBEngine
from payproof.ingest import load_input
from tests.audit.conftest import append_line
from tests.exclusion.conftest import write_exclusion_input


def _rejects(engine, table):
    return {
        (line, column): (reason, severity)
        for line, column, reason, severity in engine.rows(
            "SELECT line, column_name, reason, severity FROM rejects WHERE table_name = ?",
            [table],
        )
    }


def test_bad_application_rows_are_rejected_at_their_line(tmp_path):
    folder = write_exclusion_input(tmp_path / "input")
    apps = folder / "applications.csv"
    lines = {
        "before": append_line(apps, "B1,M7,,O1,S1,2024-02-10,2024-02-01,rejected,,"),
        "pending": append_line(apps, "B2,M7,,O1,S1,2024-02-10,2024-02-11,pending,,"),
        "undated": append_line(apps, "B3,M7,,O1,S1,2024-02-10,,approved,,"),
        "enum": append_line(apps, "B4,M7,,O1,S1,2024-02-10,2024-02-11,refused,,"),
        "count": append_line(apps, "B5,M7,,O1,S1,2024-02-10,2024-02-11,rejected,,four"),
        "staff": append_line(apps, "B6,M7,,O1,S99,2024-02-10,2024-02-11,rejected,,4"),
        "mother": append_line(apps, "B7,,,O1,S1,2024-02-10,2024-02-11,rejected,,4"),
    }
    with DuckDBEngine() as engine:
        report = load_input(folder, engine)
        got = _rejects(engine, "applications")
        assert report.tables["applications"].rows_rejected == 6
        assert report.tables["applications"].rows_accepted == 5 + 1  # B6 kept with a warning
    assert got[(lines["before"], "decided_on")][0] == "decided before it was submitted"
    assert got[(lines["pending"], "decided_on")][0] == "a pending application has no decision date"
    assert got[(lines["undated"], "decided_on")][0].startswith("missing value")
    assert got[(lines["enum"], "decision")][0].startswith("unknown value")
    assert got[(lines["count"], "children_declared")][0].startswith("not a whole number")
    assert got[(lines["staff"], "staff_id")] == ("unknown staff.staff_id (no such row)", "warning")
    assert got[(lines["mother"], "mother_id")][0] == "missing value (required)"


def test_bad_register_rows_are_rejected_at_their_line(tmp_path):
    folder = write_exclusion_input(tmp_path / "input")
    pop = folder / "population.csv"
    dead = append_line(pop, "X1,2015-01-01,M9,2014-01-01,Kentau,,")
    dup = append_line(pop, "M9-0,2015-02-02,M9,,Kentau,,")
    date = append_line(pop, "X2,01.02.2015,M9,,Kentau,,")
    with DuckDBEngine() as engine:
        load_input(folder, engine)
        got = _rejects(engine, "population")
        kept = engine.scalar("SELECT count(*) FROM population WHERE person_id = 'M9-0'")
    assert got[(dead, "death_date")][0] == "death date is before the birth date"
    assert got[(dup, "person_id")][0].startswith("duplicate key person_id = M9-0")
    assert got[(date, "birth_date")][0].startswith("not a valid date")
    assert kept == 0  # two different rows share the key: both are left out


def test_json_schema_of_the_new_tables():
    apps = row_json_schema("applications")
    assert apps["properties"]["decision"]["enum"] == ["approved", "rejected", "pending"]
    assert "decided_on" not in apps["required"] and "submitted_on" in apps["required"]
    pop = row_json_schema("population")
    assert set(pop["required"]) == {"person_id", "birth_date"}
