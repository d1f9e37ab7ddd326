"""Bad input, end to end through ``payproof audit``: every case gets a plain message, the
documented exit code and no traceback; bad rows are listed with file, line, column and reason.

Row-level problems reject the row and the audit goes on (exit 0), unless ``--strict`` is
given (exit 4, rejects.csv still written). File-level problems stop the run (exit 3, 5 or 7).
"""

from __future__ import annotations

import csv
import json
import tracemalloc
from pathlib import Path

import openpyxl
import pytest

from payproof.audit import run
from payproof.cli import main
from payproof.errors import EXIT_BUSY, EXIT_INPUT, EXIT_REJECTS, EXIT_RULES, EXIT_USAGE
from payproof.ingest import load_input, sources
from payproof.lifecycle import folder_lock
from tests.audit.conftest import TABLES, append_line

DISBURSEMENT = "P99,F1,{period},{amount},2024-01-20,O1,S1,cash,"


def audit(input_dir: Path, out: Path, *extra: str) -> int:
    return main(["audit", str(input_dir), "--out", str(out), "--no-report", *extra])


def rejects(out: Path) -> list[dict]:
    with (out / "rejects.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def assert_user_error(capfd, *words: str) -> str:
    """The message names the problem, where it is and how to fix it; no traceback."""
    captured = capfd.readouterr()
    text = " ".join((captured.out + captured.err).split())  # undo console line wrapping
    assert "Traceback" not in text
    assert "Error:" in text
    for word in words:
        assert word in text, f"{word!r} not in {text!r}"
    return text


# ---------------------------------------------------------------------------------------
# Row-level problems: (table, raw line appended, expected rejects as (column, value, reason)).
ROW_CASES = [
    pytest.param(
        "disbursements",
        DISBURSEMENT.format(period="2024-01", amount="59183.123"),
        [("amount", "59183.123", "more than 2 decimals")],
        id="amount-with-3-decimals",
    ),
    pytest.param(
        "disbursements",
        DISBURSEMENT.format(period="2024-01", amount="-59183"),
        # rejects.csv is opened in spreadsheets: a text cell starting with "-" gets a "'"
        [("amount", "'-59183", "negative amount")],
        id="negative-amount",
    ),
    pytest.param(
        "disbursements",
        DISBURSEMENT.format(period="2024-13", amount="59183"),
        [("period", "2024-13", "not a valid period")],
        id="period-2024-13",
    ),
    pytest.param(  # once aborted the whole run ("could not be read as CSV")
        "disbursements",
        DISBURSEMENT.format(period="Jan-2024", amount="59183"),
        [("period", "Jan-2024", "not a valid period")],
        id="period-Jan-2024",
    ),
    pytest.param(
        "disbursements",
        DISBURSEMENT.format(period="\uff12\uff10\uff12\uff14-01", amount="59183"),
        [("period", "\uff12\uff10\uff12\uff14-01", "not a valid period")],
        id="period-full-width-digits",
    ),
    pytest.param(
        "disbursements",
        "P99,F1,2024-01,59183",
        [("paid_on", "P99,F1,2024-01,59183", "too few fields: expected 9, found 4")],
        id="malformed-too-few-fields",
    ),
    pytest.param(
        "disbursements",
        DISBURSEMENT.format(period="2024-01", amount="59,183") + "KZ01",
        [("", DISBURSEMENT.format(period="2024-01", amount="59,183") + "KZ01", "too many fields")],
        id="malformed-too-many-fields",
    ),
    pytest.param(
        "children",
        "C99,F9,,Child,2015-01-01,,",
        [("family_id", "F9", "unknown families.family_id")],
        id="unknown-reference",
    ),
]


@pytest.mark.parametrize(("table", "line", "expected"), ROW_CASES)
def test_bad_row_is_rejected_at_its_line_and_the_audit_goes_on(
    valid_input, tmp_path, capfd, table, line, expected
):
    line_no = append_line(valid_input / f"{table}.csv", line)
    out = tmp_path / "out"
    assert audit(valid_input, out) == 0
    got = [
        (r["file"], int(r["line"]), r["column"], r["value"], r["severity"]) for r in rejects(out)
    ]
    assert got == [(f"{table}.csv", line_no, c, v, "error") for c, v, _ in expected]
    for row, (_, _, reason) in zip(rejects(out), expected, strict=True):
        assert reason in row["reason"]
    inputs = summary(out)["inputs"][table]
    assert (inputs["rows_rejected"], inputs["rows_accepted"]) == (1, len(TABLES[table][1]))
    assert "rejects.csv" in " ".join(capfd.readouterr().out.split())


@pytest.mark.parametrize(("table", "line", "expected"), ROW_CASES)
def test_bad_row_under_strict_exits_4_and_still_lists_it(
    valid_input, tmp_path, capfd, table, line, expected
):
    line_no = append_line(valid_input / f"{table}.csv", line)
    out = tmp_path / "out"
    assert audit(valid_input, out, "--strict") == EXIT_REJECTS
    assert [(int(r["line"]), r["column"]) for r in rejects(out)] == [
        (line_no, c) for c, _, _ in expected
    ]
    assert_user_error(capfd, "1 input row(s) were rejected", "rejects.csv", "without --strict")
    assert not (out / "findings.parquet").exists()
    assert not (out / "payproof.duckdb").exists()


def test_duplicate_key_rejects_every_conflicting_row(valid_input, tmp_path, capfd):
    line_no = append_line(
        valid_input / "disbursements.csv", "P11,F2,2024-01,59183,2024-01-20,O1,S1,cash,"
    )
    out = tmp_path / "out"
    assert audit(valid_input, out) == 0
    got = [(int(r["line"]), r["column"], r["value"]) for r in rejects(out)]
    assert got == [(2, "payment_id", "P11"), (line_no, "payment_id", "P11")]
    assert all("duplicate key payment_id = P11" in r["reason"] for r in rejects(out))
    assert audit(valid_input, tmp_path / "strict", "--strict") == EXIT_REJECTS
    assert_user_error(capfd, "2 input row(s) were rejected")


def test_exact_duplicate_row_rejects_only_the_copy(valid_input, tmp_path):
    line_no = append_line(
        valid_input / "disbursements.csv", "P11,F1,2024-01,59183,2024-01-20,O1,S1,cash,"
    )
    out = tmp_path / "out"
    assert audit(valid_input, out) == 0
    [row] = rejects(out)
    assert (int(row["line"]), row["column"], row["reason"]) == (
        line_no,
        "payment_id",
        "exact duplicate of line 2",
    )
    assert summary(out)["totals"]["disbursed"] == "532647.00"  # 9 lines, the copy not counted


def test_payment_to_unknown_family_is_kept_as_a_warning_even_under_strict(valid_input, tmp_path):
    line_no = append_line(
        valid_input / "disbursements.csv", "P99,F9,2024-01,100,2024-01-20,O1,S1,cash,"
    )
    out = tmp_path / "out"
    assert audit(valid_input, out, "--strict") == 0
    [row] = rejects(out)
    assert (int(row["line"]), row["column"], row["value"], row["severity"]) == (
        line_no,
        "family_id",
        "F9",
        "warning",
    )
    assert summary(out)["flags"]["family_not_in_registry"]["amount"] == "100.00"


def test_one_line_in_another_encoding_is_a_rejected_row(valid_input, tmp_path):
    path = valid_input / "children.csv"
    path.write_bytes(path.read_bytes() + "C99,F1,,Дочь,2015-01-01,,\n".encode("cp1251"))
    out = tmp_path / "out"
    assert audit(valid_input, out) == 0
    [row] = rejects(out)
    assert (row["file"], int(row["line"])) == ("children.csv", len(TABLES["children"][1]) + 2)
    assert "invalid encoding" in row["reason"]


def test_lines_stay_exact_after_blank_lines_and_multi_line_values(valid_input, tmp_path):
    """A quoted value may span lines and exports may hold blank lines: both count as lines."""
    path = valid_input / "disbursements.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    text[2] += '"account\nwith a line break"'  # record 3 spans lines 3-4
    text.insert(4, "")  # a blank line 6
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    bad = append_line(path, "P99,F1,2024-01,59183")
    negative = append_line(path, DISBURSEMENT.format(period="2024-02", amount="-5"))
    out = tmp_path / "out"
    assert audit(valid_input, out) == 0
    assert [(int(r["line"]), r["column"]) for r in rejects(out)] == [
        (bad, "paid_on"),
        (negative, "amount"),
    ]
    assert bad == len(text) + 2
    assert summary(out)["inputs"]["disbursements"]["rows_accepted"] == 9


# ---------------------------------------------------------------------------------------
# File-level problems stop the run with a message.


def _write_cp1251(folder: Path) -> None:
    path = folder / "families.csv"
    path.write_bytes(path.read_text(encoding="utf-8").replace("Mother", "Мать").encode("cp1251"))


def _rename_column(folder: Path) -> None:
    path = folder / "disbursements.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("amount", "amt", 1), encoding="utf-8")


def _header_only(folder: Path) -> None:
    path = folder / "disbursements.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")


FILE_CASES = [
    pytest.param(_write_cp1251, ["families.csv is not UTF-8", "iconv"], id="wrong-encoding"),
    pytest.param(
        _rename_column,
        ["disbursements.csv lacks required column(s): amount", "columns found:", "Rename"],
        id="missing-column",
    ),
    pytest.param(
        lambda folder: (folder / "families.csv").unlink(),
        ["Required table(s) missing: families", "data-contract.md"],
        id="missing-table",
    ),
    pytest.param(
        lambda folder: (folder / "receipts.csv").write_bytes(b""),
        ["receipts.csv is empty (0 bytes)", "header row"],
        id="empty-file",
    ),
    pytest.param(
        _header_only, ["disbursements.csv has a header but no rows"], id="required-table-no-rows"
    ),
    pytest.param(
        lambda folder: (folder / "disbursements.csv").write_bytes(bytes(range(256)) * 64),
        ["disbursements.csv is not a text file", "CSV UTF-8"],
        id="binary-file",
    ),
    pytest.param(
        lambda folder: (folder / "receipts.parquet").write_bytes(b"PAR1 truncated"),
        ["Table 'receipts' is given twice", "Keep one file"],
        id="two-files-for-one-table",
    ),
]


@pytest.mark.parametrize(("mutate", "words"), FILE_CASES)
def test_file_level_problem_exits_3_with_a_message(valid_input, tmp_path, capfd, mutate, words):
    mutate(valid_input)
    out = tmp_path / "out"
    assert audit(valid_input, out) == EXIT_INPUT
    assert_user_error(capfd, *words, "How to fix:")
    assert not (out / "payproof.duckdb").exists()
    assert not list(out.glob(".payproof.duckdb.partial-*"))


def test_input_folder_that_does_not_exist(tmp_path, capfd):
    assert audit(tmp_path / "nowhere", tmp_path / "out") == EXIT_INPUT
    assert_user_error(capfd, "nowhere does not exist", "How to fix:")


def test_out_that_is_a_file(valid_input, tmp_path, capfd):
    (tmp_path / "out.txt").write_text("not a folder")
    assert audit(valid_input, tmp_path / "out.txt") == EXIT_INPUT
    assert_user_error(capfd, "out.txt exists and is not a folder", "--out")


def test_unknown_rules_name(valid_input, tmp_path, capfd):
    assert audit(valid_input, tmp_path / "out", "--rules", "no-such-rules") == EXIT_RULES
    assert_user_error(capfd, "Rules file not found: no-such-rules", "kz-large-family")


def test_bad_memory_limit_is_a_usage_error(valid_input, tmp_path, capfd):
    assert audit(valid_input, tmp_path / "out", "--memory-limit", "lots") == EXIT_USAGE
    assert_user_error(capfd, "--memory-limit", "lots", "4GB")


def test_second_audit_into_the_same_folder_is_busy(valid_input, tmp_path, capfd):
    out = tmp_path / "out"
    out.mkdir()
    with folder_lock(out):
        assert audit(valid_input, out) == EXIT_BUSY
    assert_user_error(
        capfd, "Another payproof run (audit, ghosts or generate) is writing into this folder",
        "--out",
    )
    assert audit(valid_input, out) == 0  # the lock is gone with its holder


def test_exit_codes_are_in_the_help(capfd):
    assert main(["--help"]) == 0
    text = " ".join(capfd.readouterr().out.split())
    for code in ("3 input missing", "4 rows were rejected", "5 invalid rules", "7 another"):
        assert code in text


# ---------------------------------------------------------------------------------------
# Size: CSV and Parquet stream through DuckDB; XLSX is refused above a documented size.
# (The lead measures a real 2 GB CSV in the benchmark; a test cannot write one.)


def test_large_csv_streams_through_duckdb_not_python(valid_input, tmp_path, monkeypatch):
    """200k lines (9 MB) across many scan chunks; Python holds a bounded amount of it."""
    rows = 200_000
    periods = [f"{y}-{m:02d}" for y in range(2020, 2025) for m in range(1, 13)]
    lines = [",".join(TABLES["disbursements"][0])]
    lines += [
        f"L{i},F{i % 3 + 1},{periods[i % 60]},1.25,2024-01-20,O1,S1,bank," for i in range(rows)
    ]
    lines.insert(rows // 2, "")  # a blank line half-way shifts every later line number
    path = valid_input / "disbursements.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bad = append_line(path, DISBURSEMENT.format(period="2024-02", amount="-1"))
    peaks = []

    def traced_load_input(*args, **kwargs):
        tracemalloc.start()
        try:
            return load_input(*args, **kwargs)
        finally:
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()

    monkeypatch.setattr(run, "load_input", traced_load_input)
    out = tmp_path / "out"
    assert audit(valid_input, out, "--memory-limit", "256MB") == 0
    assert peaks[0] < path.stat().st_size / 2  # Python never holds the file
    inputs = summary(out)["inputs"]["disbursements"]
    assert (inputs["rows_read"], inputs["rows_accepted"], inputs["rows_rejected"]) == (
        rows + 1,
        rows,
        1,
    )
    assert summary(out)["totals"]["disbursed"] == f"{rows * 125 // 100}.00"
    assert [(int(r["line"]), r["column"]) for r in rejects(out)] == [(bad, "amount")]
    assert bad == rows + 3


def _write_xlsx(path: Path, header: tuple[str, ...], rows: list[tuple]) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("receipts")
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.save(path)


def test_xlsx_is_read_in_batches(valid_input, tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "XLSX_BATCH_ROWS", 2)
    (valid_input / "receipts.csv").unlink()
    header, rows = TABLES["receipts"]
    rows = [*rows, ("R99", "F1", "2024-01", "-1", "2024-01-25", "survey")]
    _write_xlsx(valid_input / "receipts.xlsx", header, rows)
    out = tmp_path / "out"
    assert audit(valid_input, out) == 0
    assert summary(out)["inputs"]["receipts"]["rows_accepted"] == len(rows) - 1
    [row] = rejects(out)
    assert (row["file"], int(row["line"]), row["column"]) == (
        "receipts.xlsx",
        len(rows) + 1,
        "amount",
    )


def test_xlsx_over_the_size_limit_is_refused(valid_input, tmp_path, capfd, monkeypatch):
    monkeypatch.setattr(sources, "MAX_XLSX_BYTES", 1024)
    (valid_input / "receipts.csv").unlink()
    _write_xlsx(valid_input / "receipts.xlsx", *TABLES["receipts"])
    assert audit(valid_input, tmp_path / "out") == EXIT_INPUT
    assert_user_error(capfd, "receipts.xlsx is", "XLSX files over", "CSV UTF-8 (or Parquet)")


def test_parquet_bad_value_rejected_at_its_row(valid_input, tmp_path):
    """Parquet is read in the same pass as the checks; line = row number + 2."""
    import duckdb

    csv_path = valid_input / "disbursements.csv"
    bad_line = append_line(csv_path, "P-BAD,F1,2024-13,100.00,2022-01-10,O1,S1,bank,")
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_csv('{csv_path}', all_varchar = true)) "
        f"TO '{valid_input / 'disbursements.parquet'}' (FORMAT parquet)"
    )
    con.close()
    csv_path.unlink()
    out = tmp_path / "out"
    assert audit(valid_input, out) == 0
    rows = list(csv.DictReader((out / "rejects.csv").open(encoding="utf-8")))
    bad = [r for r in rows if r["severity"] == "error"]
    assert [(r["file"], r["line"], r["column"], r["value"]) for r in bad] == [
        ("disbursements.parquet", str(bad_line), "period", "2024-13")
    ]
