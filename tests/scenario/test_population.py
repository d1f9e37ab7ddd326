"""The register and applications come from their own random stream: the rest of the
programme is the same with or without them."""

from __future__ import annotations

import csv
import dataclasses

from payproof.scenario.config import ScenarioConfig
from payproof.scenario.generate import generate_scenario

CONFIG = ScenarioConfig(families=1500)


def test_the_register_changes_nothing_else(tmp_path):
    with_register = tmp_path / "with"
    without = tmp_path / "without"
    summary = generate_scenario(with_register, CONFIG)
    generate_scenario(without, dataclasses.replace(CONFIG, population=False))
    for table in ("families", "children", "disbursements", "receipts", "offices", "staff"):
        a = (with_register / f"{table}.csv").read_bytes()
        assert a == (without / f"{table}.csv").read_bytes(), table
    assert not (without / "population.csv").exists()
    old = (without / "grievances.csv").read_text(encoding="utf-8").splitlines()
    new = (with_register / "grievances.csv").read_text(encoding="utf-8").splitlines()
    assert new[: len(old)] == old  # the register's complaints are appended after
    assert summary.rows["applications"] > 0 and summary.rows["population"] > 0


def test_register_holds_every_genuine_mother_and_the_truth_is_consistent(tmp_path):
    generate_scenario(tmp_path, CONFIG)
    with (tmp_path / "population.csv").open(encoding="utf-8") as fh:
        people = list(csv.DictReader(fh))
    persons = {p["person_id"] for p in people}
    assert len(persons) == len(people)  # one row per person
    with (tmp_path / "families.csv").open(encoding="utf-8") as fh:
        mothers = [r["mother_id"] for r in csv.DictReader(fh)][:CONFIG.families]
    assert set(mothers) <= persons
    with (tmp_path / "truth" / "excluded.csv").open(encoding="utf-8") as fh:
        truth = list(csv.DictReader(fh))
    assert {r["mother_id"] for r in truth} <= persons
    assert all(int(r["amount_due"]) > 0 and int(r["months"]) > 0 for r in truth)
    with (tmp_path / "applications.csv").open(encoding="utf-8") as fh:
        apps = list(csv.DictReader(fh))
    assert {a["decision"] for a in apps} == {"approved", "rejected", "pending"}
    assert all(a["decided_on"] == "" for a in apps if a["decision"] == "pending")
    assert all(a["submitted_on"] <= a["decided_on"] for a in apps if a["decided_on"])
