"""The run lifecycle on its own: staging, the swap, the manifest, clashes and crashes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from payproof.errors import BusyError, InputError, UsageError
from payproof.lifecycle import Run, folder_lock, publish
from payproof.lifecycle import folder as fs


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (but the lock files) with its bytes: a folder's exact state."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix != ".lock"
    }


def run_writing(out: Path, contents: dict[str, str], command: str = "test", **options) -> Run:
    options.setdefault("produces", {name.split("/")[0] for name in contents})
    with Run(out, command, **options) as run:
        for name, text in contents.items():
            path = run.staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        run.commit()
    return run


def test_outputs_appear_only_at_commit_and_staging_is_hidden(tmp_path):
    out = tmp_path / "out"
    with Run(out, "test") as run:
        (run.staging / "a.csv").write_text("a")
        assert run.staging.parent.parent == out and run.staging.parent.name.startswith(".")
        assert not (out / "a.csv").exists()
        assert run.commit() == ["a.csv"]
    assert (out / "a.csv").read_text() == "a"
    assert json.loads((out / fs.MANIFEST).read_text())["files"] == ["a.csv"]
    assert sorted(p.name for p in out.iterdir()) == [
        fs.MANIFEST, ".payproof-swap.lock", ".payproof.lock", "a.csv"]  # fmt: skip


def test_a_run_that_fails_leaves_the_previous_run_untouched(tmp_path):
    out = tmp_path / "out"
    run_writing(out, {"a.csv": "old", "b.csv": "old"})
    before = files(out)
    with pytest.raises(KeyError), Run(out, "test") as run:
        (run.staging / "a.csv").write_text("new")
        raise KeyError("a step failed")
    assert files(out) == before
    assert not list(out.glob(".payproof-run-*"))


def test_files_of_the_previous_run_not_produced_now_are_removed(tmp_path):
    out = tmp_path / "out"
    run_writing(out, {"a.csv": "old", "report.html": "old", "truth/x.json": "old"})
    (out / "notes.txt").write_text("the user's own file")
    run_writing(out, {"a.csv": "new"})
    assert files(out) == {
        fs.MANIFEST: (out / fs.MANIFEST).read_bytes(),
        "a.csv": b"new",
        "notes.txt": b"the user's own file",
    }
    record = json.loads((out / fs.MANIFEST).read_text())
    assert record["files"] == ["a.csv"] and record["replaced"] == ["a.csv", "report.html", "truth"]


def test_commit_of_a_subset_discards_the_rest(tmp_path):
    out = tmp_path / "out"
    run_writing(out, {"a.csv": "old", "store.duckdb": "old"})
    with Run(out, "test") as run:
        (run.staging / "rejects.csv").write_text("r")
        (run.staging / "store.duckdb").write_text("half")
        run.commit(["rejects.csv"])
    assert sorted(fs.visible_entries(out)) == ["rejects.csv"]


def test_a_file_no_run_wrote_is_never_overwritten(tmp_path, capfd):
    out = tmp_path / "out"
    out.mkdir()
    (out / "families.csv").write_text("an export")
    with pytest.raises(UsageError, match="families.csv, which no payproof run wrote"):
        Run(out, "audit", produces=["families.csv"]).__enter__()
    assert sorted(p.name for p in out.iterdir()) == ["families.csv"]  # not even a lock
    # undeclared names are checked again at the swap
    with pytest.raises(UsageError, match="families.csv"), Run(out, "test") as run:
        (run.staging / "families.csv").write_text("out")
        run.commit()
    assert (out / "families.csv").read_text() == "an export"


def test_a_folder_written_before_manifests_is_a_previous_run(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text(json.dumps({"payproof_version": "0.1.0"}))
    (out / "report.html").write_text("old report")
    run_writing(out, {"summary.json": "{}"}, produces=["summary.json", "report.html"])
    assert not (out / "report.html").exists()


@pytest.mark.parametrize(
    ("out", "inp", "words"),
    [
        ("data", "data", "is the input folder"),
        ("data/results", "data", "lies inside the input folder"),
        ("results", "results/data", "lies inside --out"),
    ],
)
def test_output_and_input_folders_must_be_apart(tmp_path, out, inp, words):
    (tmp_path / inp).mkdir(parents=True)
    (tmp_path / inp / "families.csv").write_text("export")
    before = files(tmp_path)
    with pytest.raises(UsageError, match=words) as err:
        Run(tmp_path / out, "audit", inputs=[tmp_path / inp]).__enter__()
    assert err.value.exit_code == 2 and "Nothing was written" in err.value.message
    assert files(tmp_path) == before
    assert not (tmp_path / out / ".payproof.lock").exists()


def test_input_reached_through_a_symlink_is_still_the_input(tmp_path):
    (tmp_path / "data").mkdir()
    os.symlink(tmp_path / "data", tmp_path / "link")
    with pytest.raises(UsageError, match="is the input folder"):
        Run(tmp_path / "link", "audit", inputs=[tmp_path / "data"]).__enter__()


def test_exclusive_run_refuses_a_folder_with_other_files(tmp_path):
    out = tmp_path / "gen"
    out.mkdir()
    (out / "payments.xlsx").write_text("someone's export")
    with pytest.raises(UsageError, match="payments.xlsx"):
        run_writing(out, {"families.csv": "x"}, command="generate", exclusive=True)
    assert sorted(p.name for p in out.iterdir()) == ["payments.xlsx"]


def test_exclusive_run_replaces_its_own_output_only_when_asked(tmp_path):
    out = tmp_path / "gen"
    run_writing(out, {"families.csv": "1", "truth/t.json": "1"}, command="generate",
                exclusive=True, overwrite=False)  # fmt: skip
    before = files(out)
    with pytest.raises(UsageError, match="--overwrite"):
        run_writing(out, {"families.csv": "2"}, command="generate", exclusive=True,
                    overwrite=False)  # fmt: skip
    assert files(out) == before
    run_writing(out, {"families.csv": "2", "truth/t.json": "2"}, command="generate",
                exclusive=True, overwrite=True)  # fmt: skip
    assert (out / "truth/t.json").read_text() == "2"
    (out / "mine.csv").write_text("added by hand")
    with pytest.raises(UsageError, match="mine.csv"):
        run_writing(out, {"families.csv": "3"}, command="generate", exclusive=True)


def test_a_swap_cut_short_is_finished_by_the_next_run(tmp_path):
    """Crash after the decision (rename) at each point: the next run rolls it forward."""
    out = tmp_path / "out"
    run_writing(out, {"a.csv": "old", "b.csv": "old", "d": "old"})
    staging = out / ".payproof-run-999"
    (staging / fs.FILES / "d").mkdir(parents=True)
    (staging / fs.FILES / "a.csv").write_text("new")
    (staging / fs.FILES / "c.csv").write_text("new")
    (staging / fs.FILES / "d" / "x").write_text("new")
    record = fs.new_manifest("test", ["a.csv", "c.csv", "d"], ["a.csv", "b.csv", "d"])
    from payproof.atomic import write_json

    write_json(staging / fs.MANIFEST, record)
    os.replace(staging, out / fs.SWAP)  # the decision ...
    os.replace(out / fs.SWAP / fs.FILES / "a.csv", out / "a.csv")  # ... one file moved, crash
    with Run(out, "test"):  # the next run, before it does anything
        pass
    assert files(out) == {
        fs.MANIFEST: (out / fs.MANIFEST).read_bytes(), "a.csv": b"new", "c.csv": b"new",
        "d/x": b"new",
    }  # fmt: skip
    assert not (out / fs.SWAP).exists()


def test_a_staging_folder_of_a_dead_run_is_cleared(tmp_path):
    out = tmp_path / "out"
    (out / ".payproof-run-12345" / fs.FILES).mkdir(parents=True)
    run_writing(out, {"a.csv": "a"})
    assert not (out / ".payproof-run-12345").exists()


def test_store_is_built_in_staging_and_checkpointed(tmp_path):
    out = tmp_path / "out"
    with Run(out, "test") as run:
        engine = run.open_store("s.duckdb")
        engine.execute("CREATE TABLE t AS SELECT 1 AS x")
        assert not (out / "s.duckdb").exists()
        with run.step("one"):
            pass
        run.commit()
    assert set(run.timings) == {"one"}
    assert sorted(fs.visible_entries(out)) == ["s.duckdb"]
    import duckdb

    with duckdb.connect(str(out / "s.duckdb"), read_only=True) as con:
        assert con.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_bad_memory_limit_and_out_file_are_refused_before_anything_is_written(tmp_path):
    with pytest.raises(UsageError, match="--memory-limit"):
        Run(tmp_path / "out", "test", memory_limit="lots").__enter__()
    assert not (tmp_path / "out").exists()
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="is not a folder"):
        Run(tmp_path / "f", "test").__enter__()


def test_lock_is_exclusive(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with folder_lock(out), pytest.raises(BusyError):
        Run(out, "test").__enter__()


def test_publish_adds_a_file_to_the_run(tmp_path):
    out = tmp_path / "out"
    run_writing(out, {"summary.json": "{}"})
    publish(out, "report.html", lambda: (out / "report.html").write_text("r"))
    assert json.loads((out / fs.MANIFEST).read_text())["files"] == ["report.html", "summary.json"]
    run_writing(out, {"summary.json": "{}"})
    assert not (out / "report.html").exists()  # the next run removes it with the rest


def test_a_reader_never_sees_half_a_swap(tmp_path):
    import threading
    import time

    from payproof.lifecycle import reading

    out = tmp_path / "out"
    run_writing(out, {"a.csv": "old", "b.csv": "old"})
    done = threading.Event()

    def second_run() -> None:
        run_writing(out, {"a.csv": "new"})
        done.set()

    with reading(out):
        worker = threading.Thread(target=second_run)
        worker.start()
        time.sleep(0.5)
        assert not done.is_set()  # staged, waiting for the reader to finish
        assert (out / "a.csv").read_text() == "old" and (out / "b.csv").exists()
    worker.join(10)
    assert done.is_set() and (out / "a.csv").read_text() == "new" and not (out / "b.csv").exists()
