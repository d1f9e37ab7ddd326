"""Audit outputs on a small hand-made programme: golden files, idempotency, atomicity.

Regenerate the golden files after an intended change with
``PAYPROOF_UPDATE_GOLDEN=1 python -m pytest tests/audit/test_outputs.py``
and review the diff.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from payproof.audit import run as run_module
from payproof.audit import run_audit
from payproof.lifecycle import folder_lock

DATA = Path(__file__).parent / "data" / "small"
GOLDEN = Path(__file__).parent / "golden"
TODAY = date(2026, 1, 1)
VOLATILE_RUN_KEYS = ("started_at", "finished_at", "input_dir", "engine_version")


def _stable_summary(path: Path) -> dict:
    summary = json.loads(path.read_text(encoding="utf-8"))
    for key in VOLATILE_RUN_KEYS:
        summary["run"].pop(key)
    summary.pop("payproof_version")
    return summary


def _findings_csv(out: Path) -> str:
    rows = duckdb.sql(f"SELECT * FROM '{out}/findings.parquet' ORDER BY family_id, period")
    header = ",".join(rows.columns)
    lines = [",".join("" if v is None else str(v) for v in r) for r in rows.fetchall()]
    return "\n".join([header, *lines]) + "\n"


def _outputs(out: Path) -> dict[str, str]:
    files = {n: (out / n).read_text(encoding="utf-8") for n in (
        "families.csv", "staff.csv", "offices.csv", "regions.csv", "rejects.csv")}  # fmt: skip
    files["findings.csv"] = _findings_csv(out)
    files["summary.json"] = json.dumps(_stable_summary(out / "summary.json"), indent=2) + "\n"
    return files


@pytest.fixture(scope="module")
def small_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("small") / "out"
    run_audit(DATA, out, today=TODAY)
    return out


@pytest.mark.parametrize(
    "name",
    ["findings.csv", "families.csv", "staff.csv", "offices.csv", "regions.csv", "rejects.csv",
     "summary.json"],
)
def test_golden(small_out, name):
    actual = _outputs(small_out)[name]
    golden = GOLDEN / name
    if os.environ.get("PAYPROOF_UPDATE_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text(encoding="utf-8")


def test_findings_parquet_types(small_out):
    described = f"DESCRIBE '{small_out}/findings.parquet'"
    types = dict(duckdb.sql(f"SELECT column_name, column_type FROM ({described})").fetchall())
    for money in ("entitled", "disbursed", "received", "owed", "lost_in_delivery", "excess"):
        assert types[money] == "DECIMAL(18,2)"
    assert types["flags"] == "VARCHAR[]"


def test_rerun_is_idempotent(small_out, tmp_path):
    out = tmp_path / "again"
    run_audit(DATA, out, today=TODAY)
    first = _outputs(small_out)
    run_audit(DATA, out, today=TODAY)
    assert _outputs(out) == first
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "duplicates.csv", "families.csv", "findings.parquet", "ghosts_by_office.csv",
        "ghosts_by_staff.csv", "mothers_model.json", "offices.csv", "payproof.duckdb",
        "red_flags.csv", "regions.csv", "rejects.csv", "report.html", "staff.csv", "summary.json",
    ]  # fmt: skip


def test_explain_weighs_two_mothers_of_an_audit(small_out):
    from payproof.linkage.explain import explain_saved

    con = duckdb.connect(str(small_out / "payproof.duckdb"), read_only=True)
    a, b = (r[0] for r in con.execute("SELECT unique_id FROM mother_records LIMIT 2").fetchall())
    con.close()
    rows = explain_saved(small_out, a, b)
    assert rows[0]["column_name"] == "Prior" and rows[-1]["column_name"] == "Final score"
    total = sum(r["log2_bayes_factor"] for r in rows[:-1])
    assert abs(total - rows[-1]["log2_bayes_factor"]) < 1e-6


def test_store_holds_typed_tables_and_results(small_out):
    con = duckdb.connect(str(small_out / "payproof.duckdb"), read_only=True)
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert {"families", "disbursements", "receipts", "rejects", "staff_results",
            "office_results"} <= tables  # fmt: skip
    assert "findings" not in tables  # findings live in findings.parquet
    assert not [t for t in tables if t.startswith(("rc_", "at_", "_"))]
    assert (
        con.execute("SELECT sum(amount) FROM disbursements").fetchone()[0] == 44_283_200
    )  # lines P1-P8 in tiyn
    con.close()


def test_interrupted_run_keeps_previous_results(tmp_path, monkeypatch):
    out = tmp_path / "out"
    run_audit(DATA, out, today=TODAY)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "attribute", boom)
    with pytest.raises(KeyboardInterrupt):
        run_audit(DATA, out, today=TODAY)
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before  # no partial store, no half-written output


def test_strict_stops_and_still_lists_rejects(tmp_path):
    from payproof.errors import RejectedRowsError

    with pytest.raises(RejectedRowsError) as err:
        run_audit(DATA, tmp_path / "out", today=TODAY, strict=True)
    assert "2 input row(s) were rejected" in err.value.message
    assert (tmp_path / "out" / "rejects.csv").read_text().count("\n") == 4
    assert not (tmp_path / "out" / "payproof.duckdb").exists()


def test_second_audit_into_same_folder_is_refused(tmp_path):
    from payproof.errors import BusyError

    out = tmp_path / "out"
    out.mkdir()
    with folder_lock(out), pytest.raises(BusyError):
        run_audit(DATA, out, today=TODAY)


def test_given_entitlements_versus_rules(tmp_path):
    """Without entitlements.csv and without children, the audit says what is missing."""
    from payproof.errors import InputError

    data = tmp_path / "in"
    shutil.copytree(DATA, data)
    (data / "entitlements.csv").unlink()
    with pytest.raises(InputError) as err:
        run_audit(data, tmp_path / "out", today=TODAY)
    assert "entitlements (or children" in err.value.message
