"""The lifecycle through the commands: inputs are never overwritten, and a folder holds one
run — files of an earlier run that this one did not produce do not survive beside it."""

from __future__ import annotations

import json

import pytest

from payproof.cli import main
from payproof.errors import EXIT_USAGE
from payproof.lifecycle import folder as fs
from tests.audit.conftest import write_input
from tests.lifecycle.test_run import files

GHOST_FILES = {"duplicates.csv", "red_flags.csv", "ghosts_by_office.csv", "ghosts_by_staff.csv",
               "mothers_model.json"}  # fmt: skip


def said(capfd) -> str:
    captured = capfd.readouterr()
    return " ".join((captured.out + captured.err).split())


@pytest.mark.parametrize("command", ["audit", "ghosts"])
@pytest.mark.parametrize(
    ("out", "inp", "words"),
    [
        ("data", "data", "is the input folder"),
        ("data/results", "data", "lies inside the input folder"),
        ("results", "results/data", "lies inside --out"),
    ],
    ids=["same", "out-inside-input", "input-inside-out"],
)
def test_output_folder_must_be_apart_from_the_input(tmp_path, capfd, command, out, inp, words):
    write_input(tmp_path / inp)
    before = files(tmp_path)
    assert main([command, str(tmp_path / inp), "--out", str(tmp_path / out)]) == EXIT_USAGE
    text = said(capfd)
    assert words in text and "Nothing was written" in text and "Traceback" not in text
    assert files(tmp_path) == before
    assert not list(tmp_path.rglob(".payproof*"))


def test_audit_will_not_overwrite_an_export_in_the_output_folder(tmp_path, capfd):
    data = write_input(tmp_path / "data")
    other = write_input(tmp_path / "other-district")  # someone's exports
    before = files(other)
    assert main(["audit", str(data), "--out", str(other), "--no-ghosts"]) == EXIT_USAGE
    assert "families.csv, offices.csv, staff.csv, which no payproof run wrote" in said(capfd)
    assert files(other) == before


def test_generate_refuses_a_folder_of_exports_and_touches_nothing(tmp_path, capfd):
    exports = write_input(tmp_path / "exports")
    before = files(exports)
    assert main(["generate", str(exports), "--families", "150", "--months", "2"]) == EXIT_USAGE
    assert "which `payproof generate` did not write there" in said(capfd)
    assert files(exports) == before and not list(exports.glob(".*"))
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("mine")
    assert main(["generate", str(tmp_path / "notes"), "--families", "150"]) == EXIT_USAGE
    assert "todo.txt" in said(capfd)


def test_generate_replaces_its_own_programme_only_with_overwrite(tmp_path, capfd):
    out = tmp_path / "gen"
    small = ["--families", "150", "--months", "2"]
    assert main(["generate", str(out), *small]) == 0
    before = files(out)
    assert main(["generate", str(out), *small, "--seed", "2"]) == EXIT_USAGE
    assert "--overwrite" in said(capfd)
    assert files(out) == before
    assert main(["generate", str(out), *small, "--format", "parquet", "--overwrite"]) == 0
    assert not list(out.glob("*.csv")) and (out / "families.parquet").is_file()
    assert json.loads((out / fs.MANIFEST).read_text())["command"] == "generate"


@pytest.mark.parametrize("command", ["audit", "ghosts"])
def test_a_generated_programme_is_never_replaced_by_another_command(tmp_path, capfd, command):
    data = write_input(tmp_path / "data")
    programme = tmp_path / "programme"
    assert main(["generate", str(programme), "--families", "150", "--months", "2"]) == 0
    before = files(programme)
    fast = ["--no-ghosts"] if command == "audit" else []
    assert main([command, str(data), "--out", str(programme), *fast]) == EXIT_USAGE
    text = said(capfd)
    assert "holds the files of `payproof generate`" in text and "Nothing was changed" in text
    assert files(programme) == before


def test_a_run_removes_the_files_of_the_previous_run_it_did_not_produce(tmp_path):
    data = write_input(tmp_path / "data")
    out = tmp_path / "out"
    assert main(["audit", str(data), "--out", str(out)]) == 0
    assert GHOST_FILES | {"report.html"} <= fs.visible_entries(out)
    assert main(["audit", str(data), "--out", str(out), "--no-ghosts", "--no-report"]) == 0
    left = fs.visible_entries(out)
    assert not (GHOST_FILES | {"report.html"}) & left
    assert left == set(json.loads((out / fs.MANIFEST).read_text())["files"])
    assert "ghosts" not in json.loads((out / "summary.json").read_text())


def test_strict_failure_leaves_only_its_rejects(tmp_path):
    data = write_input(tmp_path / "data")
    out = tmp_path / "out"
    assert main(["audit", str(data), "--out", str(out), "--no-ghosts"]) == 0
    with (data / "receipts.csv").open("a") as fh:
        fh.write("R99,F1,2024-13,1.00,2024-01-25,survey\n")
    assert main(["audit", str(data), "--out", str(out), "--no-ghosts", "--strict"]) == 4
    assert fs.visible_entries(out) == {"rejects.csv"}  # no findings of the earlier run beside it
