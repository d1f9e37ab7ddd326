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
from tests.csv_rows import read_rows, write_rows

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
    lines[0] = lines[0].replace("office_id", "office")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="lacks required column.*office_id"):
        _load(folder)


def test_absent_identity_column_keeps_every_record_with_one_warning(scenario, tmp_path):
    """Duplicate detection compares what there is: a registry without names is still a
    registry (the linkage counts the absent column), reported once, not once per row."""
    folder = _copy(scenario, tmp_path)
    path = folder / "families.csv"
    rows = read_rows(path)
    name = ("mother_name", "mother_surname", "mother_given_name", "mother_patronymic")
    write_rows(path, rows, columns=[c for c in rows[0] if c not in name])
    engine, report = _load(folder)
    assert report.tables["families"].rows_accepted == len(rows)
    assert engine.rows(
        "SELECT line, column_name, reason FROM rejects WHERE table_name = 'families'"
    ) == [(1, "mother_name", "column absent: every record is kept with this value empty")]
    assert engine.scalar("SELECT count(mother_name) FROM families") == 0


def test_bad_identity_values_are_warnings_and_left_empty(scenario, tmp_path):
    """One empty name or impossible birth date must not drop a family and its children
    (and make a registered family look like a ghost): kept, value empty, reported."""
    folder = _copy(scenario, tmp_path)
    path = folder / "families.csv"
    rows = read_rows(path)
    rows[0]["mother_name"] = "  "
    rows[1]["mother_birth_date"] = "1988-02-31"
    rows[2]["mother_birth_date"] = "2099-01-01"
    rows[3]["mother_id"] = ""
    write_rows(path, rows)
    engine, report = _load(folder)
    got = engine.rows(
        "SELECT line, column_name, value, reason, severity FROM rejects "
        "WHERE table_name = 'families' ORDER BY line"
    )
    kept = "; the record is kept with this value left empty"
    assert got == [
        (2, "mother_name", "  ", "missing value" + kept, "warning"),
        (3, "mother_birth_date", "1988-02-31",
         "not a valid date: write it as YYYY-MM-DD (ISO 8601)" + kept, "warning"),
        (4, "mother_birth_date", "2099-01-01",
         f"date in the future (after {TODAY.isoformat()})" + kept, "warning"),
        # empty IDs: one line with their count (issue 11), not one per record
        (5, "mother_id", None, "missing value in 1 record(s), the first at this line; they "
         "are kept with this value empty", "warning"),
    ]  # fmt: skip
    assert report.tables["families"].rows_rejected == 0
    assert report.tables["families"].warnings == 4
    f = {r[0]: r[1:] for r in engine.rows(
        "SELECT family_id, mother_name, mother_birth_date, mother_id FROM families")}  # fmt: skip
    assert f[rows[0]["family_id"]][0] is None
    assert f[rows[1]["family_id"]][1] is None and f[rows[2]["family_id"]][1] is None
    assert f[rows[3]["family_id"]][2] is None
    children = report.tables["children"]
    assert children.rows_rejected == 0 and children.rows_accepted == children.rows_read


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


def _families_to_parquet(folder: Path, replace: str) -> None:
    """families.csv becomes families.parquet with columns replaced as pandas or Spark
    would type them; ``{first}`` in ``replace`` is the first family_id."""
    src = folder / "families.csv"
    csv_sql = f"read_csv('{src}', all_varchar=true)"
    replace = replace.format(first=f"(SELECT min(family_id) FROM {csv_sql})")
    DuckDBEngine().execute(
        f"COPY (SELECT * REPLACE ({replace}) FROM {csv_sql}) "
        f"TO '{folder / 'families.parquet'}' (FORMAT parquet)"
    )
    src.unlink()


def test_parquet_dates_written_as_midnight_timestamps_are_dates(scenario, tmp_path):
    """pandas and Spark store a date column as TIMESTAMP: midnight is that day (as an
    XLSX date cell is); a real time of day is not a date and is reported."""
    folder = _copy(scenario, tmp_path)
    rows = read_rows(folder / "families.csv")
    _families_to_parquet(
        folder,
        "CAST(mother_birth_date AS TIMESTAMP) AS mother_birth_date, "
        "CASE WHEN family_id = {first} THEN CAST(registered_on AS TIMESTAMP) + INTERVAL 13 HOUR "
        "ELSE CAST(registered_on AS TIMESTAMP) END AS registered_on",
    )
    engine, report = _load(folder)
    first = min(r["family_id"] for r in rows)
    assert engine.rows(
        "SELECT column_name, value, severity FROM rejects WHERE table_name = 'families'"
    ) == [("registered_on", next(r["registered_on"] for r in rows if r["family_id"] == first)
           + " 13:00:00", "error")]  # fmt: skip
    assert report.tables["families"].rows_accepted == len(rows) - 1
    want = {r["family_id"]: r["mother_birth_date"] for r in rows}
    got = dict(
        engine.rows("SELECT family_id, strftime(mother_birth_date, '%Y-%m-%d') FROM families")
    )
    assert got == {k: v for k, v in want.items() if k != first}


def test_a_stray_quote_rejects_its_record_not_the_file(scenario, tmp_path):
    """One unescaped quote can defeat DuckDB's dialect sniffer; the file is then read with
    the dialect of its header, and only that record is rejected, at its line."""
    folder = _copy(scenario, tmp_path)
    path = folder / "families.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[100].split(",")
    fields[2] = '"Талғ"Айка"атова Гүлназ"'
    lines[100] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    engine, report = _load(folder)
    got = engine.rows(
        "SELECT line, reason FROM rejects WHERE table_name = 'families' AND severity = 'error'"
    )
    assert [line for line, _ in got] == [101]
    assert got[0][1].startswith("stray double quote")
    assert report.tables["families"].rows_accepted == len(lines) - 2


def test_two_columns_that_read_as_one_are_refused(scenario, tmp_path):
    folder = _copy(scenario, tmp_path)
    path = folder / "families.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [line + "," + line.split(",")[2] for line in lines]  # the name column again
    lines[0] = lines[0].rsplit(",", 1)[0] + ",MOTHER_NAME"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="2 columns that all read as 'mother_name'"):
        _load(folder)


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_repeated_columns_are_refused_in_xlsx_and_parquet_too(scenario, tmp_path, fmt):
    folder = _copy(scenario, tmp_path)
    src = folder / "families.csv"
    with src.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    src.unlink()
    header = [*rows[0], "Mother_Name"]
    body = [[*r, "junk"] for r in rows[1:]]
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        book.active.append(header)
        for r in body:
            book.active.append(r)
        book.save(folder / "families.xlsx")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        cols = [pa.array([r[i] for r in body]) for i in range(len(header))]
        pq.write_table(pa.Table.from_arrays(cols, names=header), folder / "families.parquet")
    with pytest.raises(InputError, match="2 columns that all read as 'mother_name'"):
        _load(folder)


def test_a_birth_date_after_registration_is_left_empty_not_the_family_dropped(scenario, tmp_path):
    folder = _copy(scenario, tmp_path)
    path = folder / "families.csv"
    rows = read_rows(path)
    rows[0]["mother_birth_date"] = "2025-01-01"  # after any registration in the scenario
    rows[1]["mother_name"] = ""  # a warning on a row then rejected for its key ...
    rows.append(dict(rows[1], district="Другой"))  # ... conflicting with this copy
    write_rows(path, rows)
    engine, report = _load(folder)
    got = engine.rows(
        "SELECT line, column_name, severity FROM rejects WHERE table_name = 'families' "
        "ORDER BY line, severity"
    )
    assert got == [
        (2, "mother_birth_date", "warning"),
        (3, "family_id", "error"),  # no "kept" warning on a row left out
        (len(rows) + 1, "family_id", "error"),
    ]
    assert engine.rows(
        "SELECT mother_birth_date FROM families WHERE family_id = ?", [rows[0]["family_id"]]
    ) == [(None,)]
    assert engine.rows(
        "SELECT line, key FROM rejected_keys WHERE table_name = 'families' ORDER BY line"
    ) == [
        (3, rows[1]["family_id"]), (len(rows) + 1, rows[1]["family_id"])]  # fmt: skip


def test_an_infinite_parquet_timestamp_is_a_rejected_value_not_a_crash(scenario, tmp_path):
    folder = _copy(scenario, tmp_path)
    _families_to_parquet(
        folder,
        "CASE WHEN family_id = {first} THEN 'infinity'::TIMESTAMP "
        "ELSE CAST(registered_on AS TIMESTAMP) END AS registered_on",
    )
    engine, _ = _load(folder)
    got = engine.rows("SELECT column_name, value FROM rejects WHERE table_name = 'families'")
    assert set(got) == {("registered_on", "infinity")}
