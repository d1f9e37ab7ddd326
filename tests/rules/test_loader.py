"""Every way a rules file can be wrong gives a RulesError naming the file, key path and fix."""

from __future__ import annotations

import copy

import pytest
import yaml

from payproof.errors import EXIT_RULES, RulesError
from payproof.rules import builtin_names, load_rules, parse_rules


@pytest.fixture(scope="module")
def base(kz) -> dict:
    return copy.deepcopy(kz.raw)


def bad(doc: dict) -> str:
    with pytest.raises(RulesError) as err:
        parse_rules(yaml.safe_dump(doc, sort_keys=False).encode(), source="t.yaml")
    assert err.value.exit_code == EXIT_RULES
    assert err.value.where.startswith("t.yaml")
    assert err.value.fix
    return str(err.value)


def edit(base: dict, change) -> dict:
    doc = copy.deepcopy(base)
    change(doc)
    return doc


def test_builtin_round_trips(base):
    rules = parse_rules(yaml.safe_dump(base).encode(), source="t.yaml")
    assert rules.label == "kz-large-family@2026-01"
    assert builtin_names() == ["kz-large-family"]


def test_load_by_path_and_name(tmp_path, kz):
    path = tmp_path / "r.yaml"
    path.write_bytes(b"# a comment changes the bytes\n" + yaml.safe_dump(kz.raw).encode())
    rules = load_rules(path)
    assert rules.source == str(path)
    assert rules.label == kz.label
    assert rules.sha256 != kz.sha256  # the hash is of the exact file text
    assert load_rules("kz-large-family").sha256 == kz.sha256


def test_file_not_found():
    with pytest.raises(RulesError, match="Rules file not found: nope.yaml") as err:
        load_rules("nope.yaml")
    assert "kz-large-family" in err.value.fix


def test_not_yaml():
    with pytest.raises(RulesError, match="not valid YAML") as err:
        parse_rules(b"id: [unclosed\nversion: 1\n", source="t.yaml")
    assert err.value.where.startswith("t.yaml, line ")


def test_not_utf8():
    with pytest.raises(RulesError, match="not UTF-8"):
        parse_rules(b"id: \xff\xfe", source="t.yaml")


def test_not_a_mapping():
    with pytest.raises(RulesError, match="not a mapping"):
        parse_rules(b"- a\n- b\n", source="t.yaml")


def test_missing_key(base):
    msg = bad(edit(base, lambda d: d.pop("formula")))
    assert "required key 'formula' is missing" in msg
    assert "Where: t.yaml: formula" in msg


def test_missing_nested_key(base):
    msg = bad(edit(base, lambda d: d["parameters"]["mci"]["values"][2].pop("value")))
    assert "Where: t.yaml: parameters.mci.values[2].value" in msg


def test_unknown_key(base):
    msg = bad(edit(base, lambda d: d.update(formla={})))
    assert "'formla' was unexpected" in msg
    assert "remove or rename the key" in msg


def test_wrong_type(base):
    msg = bad(edit(base, lambda d: d["eligibility"].update(min_children="four")))
    assert "Where: t.yaml: eligibility.min_children" in msg
    assert "'four' is not of type 'integer'" in msg


def test_bad_date(base):
    msg = bad(edit(base, lambda d: d["parameters"]["mci"]["values"][1].update({"from": "2020-13"})))
    assert "'2020-13' is not a date" in msg
    assert "parameters.mci.values[1].from" in msg


def test_month_date_means_first_day(base):
    doc = edit(base, lambda d: d["parameters"]["mci"]["values"][1].update({"from": "2020-04"}))
    rules = parse_rules(yaml.safe_dump(doc).encode())
    assert rules.parameters["mci"].entries[1].start.isoformat() == "2020-04-01"


def test_duplicate_date(base):
    msg = bad(
        edit(base, lambda d: d["parameters"]["mci"]["values"][2].update({"from": "2020-04-01"}))
    )
    assert "duplicate date 2020-04-01 for parameter 'mci'" in msg
    assert "parameters.mci.values[2].from" in msg


def test_unsorted_dates(base):
    def swap(d):
        v = d["parameters"]["mci"]["values"]
        v[3], v[4] = v[4], v[3]

    msg = bad(edit(base, swap))
    assert "not in increasing order" in msg
    assert "parameters.mci.values[4].from" in msg


def test_float_is_not_exact(base):
    msg = bad(
        edit(base, lambda d: d["parameters"]["allowance_per_child"]["values"][0].update(value=4.5))
    )
    assert "4.5 is a floating-point number, which is not exact" in msg
    assert 'value: "4.5"' in msg


def test_float_in_scale(base):
    msg = bad(
        edit(
            base,
            lambda d: d["parameters"]["allowance_scale"]["values"][0]["value"].update({4: 16.03}),
        )
    )
    assert "16.03 is a floating-point number" in msg
    assert "parameters.allowance_scale.values[0].value.4" in msg


def test_too_many_decimals(base):
    msg = bad(
        edit(
            base,
            lambda d: d["parameters"]["allowance_scale"]["values"][0]["value"].update(
                {5: "20.045"}
            ),
        )
    )
    assert "20.045 has 3 decimals but the parameter declares decimals: 2" in msg


@pytest.mark.parametrize("value", ["-5", "abc", "1e3", True])
def test_not_a_number(base, value):
    msg = bad(edit(base, lambda d: d["parameters"]["mci"]["values"][0].update(value=value)))
    assert "parameters.mci.values[0].value" in msg


def test_mixed_number_and_scale(base):
    msg = bad(edit(base, lambda d: d["parameters"]["mci"]["values"][1].update(value={4: 1})))
    assert "parameter 'mci' mixes single values and scales" in msg


def test_scale_key_not_a_count(base):
    msg = bad(
        edit(
            base,
            lambda d: d["parameters"]["allowance_scale"]["values"][0]["value"].update({"x": "1"}),
        )
    )
    assert "scale key 'x' is not a number of children" in msg


def test_empty_scale(base):
    msg = bad(
        edit(base, lambda d: d["parameters"]["allowance_scale"]["values"][0].update(value={}))
    )
    assert "the scale is empty" in msg


def test_unknown_formula_kind(base):
    msg = bad(edit(base, lambda d: d["formula"].update(kind="progressive")))
    assert "unknown formula kind 'progressive'" in msg
    assert "fixed, per_child, scale_by_count" in msg
    assert "Where: t.yaml: formula.kind" in msg


def test_kind_needs_key(base):
    msg = bad(edit(base, lambda d: d["formula"].pop("scale")))
    assert "formula kind 'scale_by_count' needs 'scale'" in msg


def test_kind_forbids_key(base):
    msg = bad(edit(base, lambda d: d["formula"].update(kind="fixed", coefficient="mci")))
    assert "formula kind 'fixed' does not use 'scale'" in msg


def test_per_child_pair(base):
    msg = bad(edit(base, lambda d: d["formula"].pop("per_child")))
    assert "per_child_from and per_child must be given together" in msg
    assert "formula.per_child" in msg


def test_missing_parameter(base):
    msg = bad(edit(base, lambda d: d["formula"].update(base="mrp")))
    assert "formula.base names parameter 'mrp', which is not defined" in msg
    assert "define parameters.mrp" in msg


def test_parameter_of_wrong_kind(base):
    msg = bad(edit(base, lambda d: d["formula"].update(base="allowance_scale")))
    assert "parameter 'allowance_scale' is a scale but formula.base needs a number" in msg


def test_scale_with_a_hole(base):
    msg = bad(edit(base, lambda d: d["parameters"]["allowance_scale"]["values"][0]["value"].pop(6)))
    assert "the scale has no value for 6 children" in msg


def test_scale_key_outside_range(base):
    msg = bad(
        edit(
            base,
            lambda d: d["parameters"]["allowance_scale"]["values"][0]["value"].update({8: "32"}),
        )
    )
    assert "scale keys 4..8 fall outside the counts it is used for (4..7" in msg


def test_student_limit_below_age_limit(base):
    msg = bad(edit(base, lambda d: d["eligibility"].update(student_age_limit=16)))
    assert "student_age_limit 16 is below age_limit 18" in msg


def test_decision_term_default_and_set(base, kz):
    assert kz.applications.decision_term_days == 30  # the documented default
    doc = edit(base, lambda d: d.update(applications={"decision_term_days": 15}))
    rules = parse_rules(yaml.safe_dump(doc).encode(), source="t.yaml")
    assert rules.applications.decision_term_days == 15


@pytest.mark.parametrize("term", [0, -3, "30", 30.5, 400])
def test_decision_term_invalid(base, term):
    msg = bad(edit(base, lambda d: d.update(applications={"decision_term_days": term})))
    assert "applications.decision_term_days" in msg


def test_applications_unknown_key(base):
    msg = bad(edit(base, lambda d: d.update(applications={"term": 30})))
    assert "applications" in msg
