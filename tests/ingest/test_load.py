"""Ingest: every bad row is reported with file, line, column and reason; nothing silently lost."""

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest

from payproof.engine import DuckDBEngine
from payproof.errors import InputError
from payproof.ingest import load_input
from payproof.scenario.config import ScenarioConfig
from payproof.scenario.generate import generate_scenario

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scenario")
    generate_scenario(out, ScenarioConfig(families=400, bad_rows=20))
    return out


def _load(folder: Path):
    engine = DuckDBEngine()
    return engine, load_input(folder, engine, today=TODAY)


def test_every_injected_bad_row_is_rejected_at_its_line(scenario):
    engine, report = _load(scenario)
    with (scenario / "truth" / "bad_rows.csv").open() as fh:
        truth = {(r["table"], int(r["line"]), r["column"]) for r in csv.DictReader(fh)}
    got = {
        (t, line, c)
        for t, line, c in engine.rows(
            "SELECT table_name, line, column_name FROM rejects WHERE severity = 'error'"
        )
    }
    assert truth <= got
    # The only extra rejection is the genuine line whose payment_id the bad rows repeat.
    assert {(t, line) for t, line, _ in got - truth} == {("disbursements", 2)}
    d = report.tables["disbursements"]
    assert d.rows_read == d.rows_accepted + d.rows_rejected
    assert engine.scalar("SELECT count(*) FROM disbursements") == d.rows_accepted


def test_money_is_exact_minor_units(scenario):
    engine, _ = _load(scenario)
    assert engine.scalar("SELECT typeof(amount) FROM disbursements LIMIT 1") == "BIGINT"
    with (scenario / "disbursements.csv").open() as fh:
        first = next(csv.DictReader(fh))
    amount = engine.scalar(
        "SELECT amount FROM disbursements WHERE payment_id = ?", [first["payment_id"]]
    )
    assert amount is None or amount % 100 == 0  # whole tenge in the scenario


def test_payments_to_unknown_families_are_kept_as_warnings(scenario):
    engine, _ = _load(scenario)
    warned = engine.scalar(
        "SELECT count(*) FROM rejects WHERE table_name = 'disbursements' AND severity = 'warning'"
    )
    kept = engine.scalar(
        "SELECT count(*) FROM disbursements d WHERE NOT EXISTS "
        "(SELECT 1 FROM families f WHERE f.family_id = d.family_id)"
    )
    assert warned == kept > 0


def _copy(scenario: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "in"
    shutil.copytree(scenario, dst, ignore=shutil.ignore_patterns("truth"))
    return dst


def test_missing_required_table(scenario, tmp_path):
    folder = _copy(scenario, tmp_path)
    (folder / "disbursements.csv").unlink()
    with pytest.raises(InputError, match="Required table.*disbursements"):
        _load(folder)


def test_missing_column(scenario, tmp_path):
    folder = _copy(scenario, tmp_path)
    path = folder / "families.csv"
    lines = path.read_text().splitlines()
    lines[0] = lines[0].replace("mother_id", "mother")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="lacks required column.*mother_id"):
        _load(folder)


def test_empty_file(scenario, tmp_path):
    folder = _copy(scenario, tmp_path)
    (folder / "receipts.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        _load(folder)


def test_wrong_encoding(scenario, tmp_path):
    folder = _copy(scenario, tmp_path)
    path = folder / "families.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1251", errors="replace"))
    with pytest.raises(InputError, match="not UTF-8"):
        _load(folder)


def test_malformed_record_is_rejected_and_later_lines_stay_right(scenario, tmp_path):
    folder = _copy(scenario, tmp_path)
    path = folder / "grievances.csv"
    lines = path.read_text().splitlines()
    lines.insert(2, "only,three,fields")
    path.write_text("\n".join(lines) + "\n")
    engine, _ = _load(folder)
    assert engine.rows(
        "SELECT DISTINCT line FROM rejects WHERE table_name = 'grievances' AND severity = 'error'"
    ) == [(3,)]
    # The record now on line 4 is the file's third data line.
    assert engine.scalar("SELECT max(_line) FROM grievances") == len(lines)


def test_reingest_is_idempotent(scenario):
    e1, _ = _load(scenario)
    e2, _ = _load(scenario)
    q = "SELECT * FROM disbursements ORDER BY _line"
    assert e1.rows(q) == e2.rows(q)
