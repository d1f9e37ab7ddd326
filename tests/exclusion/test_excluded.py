"""Excluded families and arrears on a hand-made programme, against the rules' reference."""

from __future__ import annotations

import csv
import json
from datetime import date

from payproof.audit import run_audit
from payproof.money import format_amount
from payproof.rules import child_counts, entitlement_amount, load_rules

PERIODS = ("2024-01", "2024-02", "2024-03")


def _due(children: list[tuple], periods=PERIODS) -> dict[str, int]:
    """Per month, the amount the rules' one-case reference gives (0 when not eligible)."""
    rules = load_rules(None)
    out = {}
    for p in periods:
        n = sum(
            child_counts(rules, p, date.fromisoformat(b),
                         date.fromisoformat(d) if d else None,
                         date.fromisoformat(s) if s else None)
            for b, d, s in ((*c, "", "")[:3] for c in children)
        )  # fmt: skip
        if n >= rules.eligibility.min_children:
            out[p] = entitlement_amount(rules, n, p)
    return out


def _rows(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["mother_id"]: r for r in csv.DictReader(fh)}


def test_excluded_families_months_and_exact_amounts(exclusion_input, tmp_path):
    from tests.exclusion.conftest import REGISTER_ONLY, YOUNG

    out = tmp_path / "out"
    run_audit(exclusion_input, out, ghosts=False)
    rows = _rows(out / "excluded.csv")
    assert set(rows) == {"M7", "M8", "M9", "M4"}  # enrolled M1-M3 and ineligible M6 are not
    expected = {
        "M7": ("rejected", _due(REGISTER_ONLY["M7"])),  # January only: the 4th child turns 18
        "M8": ("pending", _due(REGISTER_ONLY["M8"])),
        "M9": ("never_applied", _due(REGISTER_ONLY["M9"])),
        # approved on 10 March, applied on 20 January: owed from January, not from March
        "M4": ("late_approval", _due([(d,) for d in YOUNG], PERIODS[:2])),
    }
    assert list(expected["M7"][1]) == ["2024-01"]
    assert list(expected["M8"][1]) == list(PERIODS)
    for mother, (kind, due) in expected.items():
        row = rows[mother]
        assert row["kind"] == kind
        assert row["periods"].split() == list(due)
        assert row["amount_due"] == format_amount(sum(due.values()))
    assert rows["M4"]["family_id"] == "F4" and rows["M4"]["staff_id"] == "S1"
    assert rows["M4"]["applied_on"] == "2024-01-20" and rows["M9"]["proxies"] == ""
    assert rows["M7"]["office_id"] == "O1" and rows["M8"]["staff_id"] == "S2"
    assert "M8-3 born 2006-02-01 (age 17) student until 2024-06-30" in rows["M8"]["evidence"]
    assert "died 2024-02-15" in rows["M8"]["evidence"]
    summary = json.loads((out / "summary.json").read_text())["excluded"]
    arrears = sum(sum(expected[m][1].values()) for m in ("M7", "M8", "M4"))
    assert summary["owed"] == format_amount(arrears)
    assert summary["never_applied_would_be_due"] == format_amount(sum(expected["M9"][1].values()))
    assert summary["applications"]["rejected_eligible"] == 1  # M7; M6 was rightly rejected
    assert summary["applications"]["pending_overdue"] == 1
    assert "totals" in json.loads((out / "summary.json").read_text())  # enrolled arrears beside


def test_student_status_unknown_is_a_flagged_proxy(exclusion_input, tmp_path):
    """An 18-year-old the register does not show studying is not counted, and said so."""
    pop = exclusion_input / "population.csv"
    text = pop.read_text(encoding="utf-8").replace(
        "M9-3,2018-01-01,M9,,Kentau,,", "M9-3,2005-06-01,M9,,Kentau,,"
    )
    pop.write_text(text + "M9-4,2019-01-01,M9,,Kentau,,\n", encoding="utf-8")
    out = tmp_path / "out"
    run_audit(exclusion_input, out, ghosts=False)
    row = _rows(out / "excluded.csv")["M9"]
    assert row["children_counted"].split() == [f"{p}:4" for p in PERIODS]
    assert row["proxies"] == "student_unknown"


def test_staff_and_offices_carry_application_figures(exclusion_input, tmp_path):
    out = tmp_path / "out"
    run_audit(exclusion_input, out, ghosts=False)
    with (out / "staff.csv").open(encoding="utf-8") as fh:
        staff = {r["staff_id"]: r for r in csv.DictReader(fh)}
    assert staff["S1"]["applications"] == "4"
    assert staff["S1"]["rejected_eligible"] == "1"
    assert staff["S1"]["overturned"] == "0"
    # four applications: no rate of them could have flagged S1 (five beyond the yardstick)
    assert staff["S1"]["detectable_late_rate"] == ""
    assert staff["S1"]["detectable_rejected_eligible_rate"] == ""
    assert staff["S1"]["late"] == "1"  # A4: 50 days
    with (out / "offices.csv").open(encoding="utf-8") as fh:
        offices = {r["office_id"]: r for r in csv.DictReader(fh)}
    assert offices["O2"]["pending_overdue"] == "1"
    assert offices["O1"]["excluded_families"] == "2"  # M7 and M4


def test_without_the_new_inputs_no_new_file_or_column(tmp_path):
    from tests.audit.conftest import write_input

    out = tmp_path / "out"
    result = run_audit(write_input(tmp_path / "input"), out, ghosts=False)
    assert not (out / "excluded.csv").exists()
    assert "excluded" not in result.summary
    header = (out / "staff.csv").read_text().splitlines()[0].split(",")
    assert "applications" not in header
    assert not any(c.startswith("detectable_") and c != "detectable_short_rate" for c in header)


def test_register_without_applications_lists_the_coverage_gap(exclusion_input, tmp_path):
    (exclusion_input / "applications.csv").unlink()
    out = tmp_path / "out"
    result = run_audit(exclusion_input, out, ghosts=False)
    rows = _rows(out / "excluded.csv")
    assert {r["kind"] for r in rows.values()} == {"never_applied"}
    assert set(rows) == {"M7", "M8", "M9"}  # M4 is enrolled; without applications no arrears
    header = (out / "staff.csv").read_text().splitlines()[0].split(",")
    assert not {"applications", "detectable_late_rate", "application_flagged"} & set(header)
    assert result.summary["excluded"]["owed"] == "0.00"


def test_applications_without_register_still_give_late_approval_arrears(exclusion_input,
                                                                        tmp_path):
    (exclusion_input / "population.csv").unlink()
    out = tmp_path / "out"
    result = run_audit(exclusion_input, out, ghosts=False)
    rows = _rows(out / "excluded.csv")
    assert list(rows) == ["M4"] and rows["M4"]["kind"] == "late_approval"
    assert rows["M4"]["applied_on"] == "2024-01-20"
    block = result.summary["excluded"]
    assert block["register"] is False and "coverage_by_district" not in block
    assert block["applications"]["rejected_eligible"] == 0  # unknown without a register


def test_arrears_without_the_family_named_on_the_approval(exclusion_input, tmp_path):
    """An approval that does not name the registry family still dates her arrears from the
    application: her (earliest) registry family is the one owed."""
    apps = exclusion_input / "applications.csv"
    apps.write_text(apps.read_text(encoding="utf-8").replace("A4,M4,F4,", "A4,M4,,"),
                    encoding="utf-8")  # fmt: skip
    out = tmp_path / "out"
    run_audit(exclusion_input, out, ghosts=False)
    row = _rows(out / "excluded.csv")["M4"]
    assert (row["kind"], row["periods"]) == ("late_approval", "2024-01 2024-02")


def test_a_clerk_who_only_decided_applications_has_a_staff_row(exclusion_input, tmp_path):
    """S2 pays no one (every payment goes through S1) but holds M8's pending application:
    staff.csv lists S2 with empty payment columns and the application figures."""
    out = tmp_path / "out"
    result = run_audit(exclusion_input, out, ghosts=False)
    with (out / "staff.csv").open(encoding="utf-8") as fh:
        staff = {r["staff_id"]: r for r in csv.DictReader(fh)}
    s2 = staff["S2"]
    assert (s2["office_id"], s2["applications"], s2["pending"]) == ("O2", "1", "1")
    assert s2["lines"] == s2["disbursed"] == s2["lost"] == s2["p_value"] == ""
    assert (s2["flagged"], s2["application_flagged"]) == ("false", "false")
    assert s2["application_in_flagged_office"] == "false"
    assert result.summary["staff"]["total"] == len(staff) == 2
    assert result.summary["excluded"]["offices_flagged_as_a_whole"] == 0
    with (out / "offices.csv").open(encoding="utf-8") as fh:
        offices = {r["office_id"]: r for r in csv.DictReader(fh)}
    assert offices["O2"]["staff"] == "1" and offices["O2"]["application_office_wide"] == "false"


def test_decision_term_comes_from_the_rules(exclusion_input, tmp_path):
    """A4 took 50 days: late under the default 30-day term, on time under a 60-day one."""
    import yaml

    rules = load_rules(None).raw | {"applications": {"decision_term_days": 60}}
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(dict(rules), sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    result = run_audit(exclusion_input, out, ghosts=False, rules=path)
    assert result.summary["excluded"]["legal_term_days"] == 60
    with (out / "staff.csv").open(encoding="utf-8") as fh:
        staff = {r["staff_id"]: r for r in csv.DictReader(fh)}
    assert staff["S1"]["late"] == "0"
