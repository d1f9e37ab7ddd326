"""payproof ghosts on a folder: files written, duplicates found, bad input reported."""

import csv
import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from payproof.linkage.cli import explain, ghosts
from payproof.linkage.run import run_ghosts
from payproof.scenario.config import ScenarioConfig
from payproof.scenario.generate import generate_scenario
from tests.csv_rows import read_rows, write_rows


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scenario")
    generate_scenario(out, ScenarioConfig(families=250, duplicate_mother_rate=0.03, seed=9))
    return out


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("ghosts")(ghosts)
    app.command("explain")(explain)
    app.command("noop")(lambda: None)  # keeps 'ghosts' a named sub-command
    return app


def test_cli_writes_the_files_and_finds_the_duplicates(scenario, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(_app(), ["ghosts", str(scenario), "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("duplicates.csv", "clusters.csv", "ghosts_summary.json", "ghosts.duckdb",
                 "mothers_model.json", "children_model.json"):  # fmt: skip
        assert (out / name).is_file(), name
    assert not list(out.glob("*.partial*"))
    with (scenario / "truth" / "duplicate_mothers.csv").open() as fh:
        truth = {
            tuple(sorted((r["family_id"], r["duplicate_family_id"]))) for r in csv.DictReader(fh)
        }
    with (out / "duplicates.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    found = {tuple(sorted((r["record_id_l"], r["record_id_r"])))
             for r in rows if r["record_type"] == "mothers"}  # fmt: skip
    assert found == truth
    assert {"match_probability", "iin", "name", "dob", "name_weight"} <= set(rows[0])
    assert not {"mother_name", "name_raw", "mother_id", "phone_number"} & set(rows[0])
    summary = json.loads((out / "ghosts_summary.json").read_text())
    assert summary["mothers"]["counts"]["matched_pairs"] == len(truth)
    assert summary["run"]["engine"] == "duckdb"
    assert summary["children"]["counts"]["matched_pairs"] > 0
    assert "Duplicates found" in result.output

    # the waterfall of a matched pair, from the saved model, adds up to its weight
    a, b = found.pop()
    pair = next(r for r in rows if {r["record_id_l"], r["record_id_r"]} == {a, b})
    shown = CliRunner().invoke(
        _app(), ["explain", str(out), pair["record_id_l"], pair["record_id_r"]],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert f"Match weight {float(pair['match_weight']):+.2f} bits" in shown.output
    assert "iin" in shown.output and "Prior" in shown.output
    missing = CliRunner().invoke(_app(), ["explain", str(out), a, "NO-SUCH-ID"])
    assert missing.exit_code != 0 and "No mothers record NO-SUCH-ID" in str(missing.exception)
    padded = CliRunner().invoke(_app(), ["explain", str(out), f" {a} ", b])
    assert padded.exit_code == 0, padded.output  # IDs are trimmed, as ingest trims them
    same = CliRunner().invoke(_app(), ["explain", str(out), a, a])
    assert same.exit_code != 0 and "a record always matches itself" in str(same.exception)


def test_bad_names_ids_and_dates_do_not_crash(scenario, tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(scenario, folder, ignore=shutil.ignore_patterns("truth"))
    path = folder / "families.csv"
    rows = read_rows(path)
    for col in ("mother_name", "mother_surname", "mother_given_name", "mother_patronymic"):
        rows[0][col] = ""  # the name and its parts
    rows[1]["mother_name"] = "Ахметова Aigerim"
    rows[2]["mother_id"] = "12345"
    rows[3]["mother_id"] = "88013141234X"
    rows[4]["mother_birth_date"] = "1988-02-31"
    write_rows(path, rows)
    res = run_ghosts(folder, tmp_path / "out", threshold=0.95)
    q = res.summary["mothers"]["data_quality"]
    assert q["name_mixed_script"] >= 1
    assert q["iin"]["wrong_length"] >= 1 and q["iin"]["not_digits"] >= 1
    assert res.summary["threshold"] == 0.95
    # the empty name and the impossible date are warnings: the families are kept and
    # compared on what they have, and every problem is in rejects.csv
    assert res.summary["rows_rejected_at_ingest"] == 0
    assert res.summary["mothers"]["counts"]["records"] == len(rows)
    assert q["name_missing"] >= 1
    with (tmp_path / "out" / "rejects.csv").open(encoding="utf-8") as fh:
        rejects = list(csv.DictReader(fh))
    assert res.summary["ingest_warnings"] == len(rejects)  # (with payments to ghost families)
    assert [(r["line"], r["column"], r["severity"]) for r in rejects
            if r["table"] == "families"] == [
        ("2", "mother_name", "warning"), ("6", "mother_birth_date", "warning")]  # fmt: skip


def test_a_bad_memory_limit_stops_before_any_output(scenario, tmp_path):
    from payproof.errors import UsageError

    with pytest.raises(UsageError, match="not a memory size"):
        run_ghosts(scenario, tmp_path / "out", memory_limit="lots")
    assert not (tmp_path / "out").exists()


def test_running_out_of_memory_is_a_message_not_a_traceback(scenario, tmp_path, capsys):
    """Not blamed on an input file either: DuckDB's failure names the option to change."""
    from payproof.cli import main

    out = str(tmp_path / "out")
    assert main(["ghosts", str(scenario), "--out", out, "--memory-limit", "1KB"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "DuckDB ran out of memory" in err and "larger --memory-limit" in err
    assert "Traceback" not in err and "could not be read" not in err


def test_threshold_must_be_a_probability(scenario, tmp_path):
    result = CliRunner().invoke(
        _app(), ["ghosts", str(scenario), "--out", str(tmp_path / "o"), "--threshold", "2"]
    )
    assert result.exit_code != 0


def test_a_rejected_registry_record_is_said_so_not_called_absent(scenario, tmp_path):
    """Two conflicting rows under one family_id are rejected at ingest; the family's
    payments are flagged with that reason, and the console says rows were left out."""
    folder = tmp_path / "conflict"
    shutil.copytree(scenario, folder, ignore=shutil.ignore_patterns("truth"))
    path = folder / "families.csv"
    rows = read_rows(path)
    paid = {r["family_id"] for r in csv.DictReader((folder / "disbursements.csv").open())}
    twin = dict(next(r for r in rows if r["family_id"] in paid))
    twin["mother_name"] = "Другая Женщина"
    write_rows(path, [*rows, twin])
    out = tmp_path / "out"
    result = CliRunner().invoke(_app(), ["ghosts", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "rows rejected and left out: 2 families" in " ".join(result.output.split())
    with (out / "red_flags.csv").open(encoding="utf-8") as fh:
        flags = [r for r in csv.DictReader(fh) if r["flag"] == "not_in_registry"]
    flag = next(r for r in flags if r["family_id"] == twin["family_id"])
    assert "registry record rejected at ingest (duplicate key family_id" in flag["evidence"]
    assert int(flag["amount_paid"]) > 0


def test_flags_quote_any_rejection_and_ignore_placeholder_child_iins(scenario, tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(scenario, folder, ignore=shutil.ignore_patterns("truth"))
    paid = {r["family_id"] for r in csv.DictReader((folder / "disbursements.csv").open())}
    path = folder / "families.csv"
    rows = read_rows(path)
    victim = next(r for r in rows if r["family_id"] in paid)
    victim["registered_on"] = "2021-13-45"  # not a date: the record is rejected
    write_rows(path, rows)
    kids = folder / "children.csv"
    children = read_rows(kids)
    seen: set[str] = set()
    for child in children:  # one child in each of three families: "no IIN"
        if len(seen) < 3 and child["family_id"] not in seen | {victim["family_id"]}:
            seen.add(child["family_id"])
            child["child_national_id"] = "000000000000"
    write_rows(kids, children)
    run_ghosts(folder, tmp_path / "out")
    with (tmp_path / "out" / "red_flags.csv").open(encoding="utf-8") as fh:
        flags = list(csv.DictReader(fh))
    absent = [f for f in flags if f["flag"] == "not_in_registry"]
    absent = next(f for f in absent if f["family_id"] == victim["family_id"])
    assert (
        "registry record rejected at ingest (not a valid date: write it as YYYY-MM-DD "
        "(ISO 8601), families.csv"
        in (absent["evidence"])
    )
    assert not [f for f in flags if "000000000000" in f["evidence"]]
