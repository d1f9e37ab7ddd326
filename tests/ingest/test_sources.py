"""Reading input files: true line numbers, encodings, odd files and table file names."""

from __future__ import annotations

import csv
import os
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest

from payproof.engine import DuckDBEngine
from payproof.errors import InputError
from payproof.ingest import load, load_input
from payproof.ingest.sources import SourceFile, locate, stage_into
from payproof.scenario.config import ScenarioConfig
from payproof.scenario.generate import generate_scenario
from tests.csv_rows import read_rows

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scenario")
    generate_scenario(out, ScenarioConfig(families=300, months=3))
    shutil.rmtree(out / "truth")
    return out


@pytest.fixture
def folder(scenario, tmp_path) -> Path:
    dst = tmp_path / "in"
    shutil.copytree(scenario, dst)
    return dst


def _load(folder: Path):
    engine = DuckDBEngine()
    return engine, load_input(folder, engine, today=TODAY)


def _rejects(engine, table: str, severity: str = "error") -> list[tuple]:
    return engine.rows(
        "SELECT line, column_name, reason FROM rejects WHERE table_name = ? AND severity = ? "
        "ORDER BY line",
        [table, severity],
    )


def _fields(line: str) -> list[str]:
    return next(csv.reader([line]))


# --- defect 1: rejected records in a row -------------------------------------------


def test_a_run_of_malformed_records_keeps_every_good_record_after_it(folder):
    """31 adjacent records with an extra field: each is rejected at its own line, and the
    good records after the run are all kept at their lines (they used to vanish)."""
    path = folder / "disbursements.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    for i in range(11, 42):  # lines 12..42
        lines[i] += ",EXTRA"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    engine, report = _load(folder)
    got = _rejects(engine, "disbursements")
    assert [line for line, _, _ in got] == list(range(12, 43))
    assert all(reason.startswith("too many fields") for _, _, reason in got)
    d = report.tables["disbursements"]
    assert (d.rows_accepted, d.rows_rejected) == (len(lines) - 1 - 31, 31)
    stored = dict(engine.rows("SELECT payment_id, _line FROM disbursements"))
    want = {_fields(line)[0]: n for n, line in enumerate(lines[1:], start=2)}
    assert stored == {k: n for k, n in want.items() if not 12 <= n <= 42}


def test_first_and_last_records_bad_blank_lines_crlf_and_no_final_newline(folder):
    path = folder / "grievances.csv"
    header, *records = path.read_text(encoding="utf-8").splitlines()
    ids = [_fields(r)[0] for r in records]
    body = [header, "", records[0] + ",EXTRA", *records[1:3], "", "", *records[3:-1]]
    body.append(",".join(_fields(records[-1])[:-2]))  # two fields short
    path.write_bytes("\r\n".join(body).encode())
    engine, report = _load(folder)
    last = len(body)
    assert [(line, reason.split(":")[0]) for line, _, reason in _rejects(engine, "grievances")] == [
        (3, "too many fields"), (last, "too few fields")]  # fmt: skip
    # the rejected record is quoted as it is, without the line break of a CRLF file
    assert engine.scalar("SELECT value FROM rejects WHERE line = 3") == records[0] + ",EXTRA"
    stored = dict(engine.rows("SELECT grievance_id, _line FROM grievances"))
    assert stored[ids[1]] == 4 and stored[ids[3]] == 8 and stored[ids[-2]] == last - 1
    g = report.tables["grievances"]
    assert g.rows_accepted + g.rows_rejected == len(records)


def test_a_value_that_spans_lines_moves_later_lines_and_rejects(folder):
    path = folder / "offices.csv"
    header, *records = path.read_text(encoding="utf-8").splitlines()
    fields = _fields(records[0])
    fields[1] = '"Office\nwith a long\nname"'
    body = [header, ",".join(fields), records[1] + ",EXTRA", *records[2:]]
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    engine, _ = _load(folder)
    assert [line for line, _, _ in _rejects(engine, "offices")] == [5]
    stored = dict(engine.rows("SELECT office_id, _line FROM offices"))
    assert stored[fields[0]] == 2 and stored[_fields(records[2])[0]] == 6
    assert engine.scalar("SELECT name FROM offices WHERE _line = 2") == "Office\nwith a long\nname"


def test_a_stray_quote_that_fools_the_sniffer_rejects_only_its_record(folder):
    """With a stray quote in the first record of an unquoted file, DuckDB's sniffer takes
    '|' for the separator (one column); the header's dialect is used instead."""
    path = folder / "offices.csv"
    rows = [_fields(line) for line in path.read_text(encoding="utf-8").splitlines()]
    rows[1][1] = '"ab"c'
    path.write_text("\n".join(",".join(r) for r in rows), encoding="utf-8")
    engine, report = _load(folder)
    [(line, column, reason)] = _rejects(engine, "offices")
    assert (line, column) == (2, "name") and reason.startswith("stray double quote")
    assert report.tables["offices"].rows_accepted == len(rows) - 2


# --- defect 2: a few lines in another encoding ---------------------------------------


def _recode_lines(path: Path, lines: range, encoding: str = "cp1251") -> None:
    raw = path.read_bytes().split(b"\n")
    for i in lines:
        raw[i] = raw[i].decode("utf-8").encode(encoding, errors="replace")
    path.write_bytes(b"\n".join(raw))


def test_a_few_cp1251_lines_keep_their_families_and_children(folder):
    path = folder / "families.csv"
    n_families = len(read_rows(path))
    _recode_lines(path, range(20, 66))  # lines 21..66
    engine, report = _load(folder)
    f = report.tables["families"]
    assert (f.rows_accepted, f.rows_rejected) == (n_families, 0)
    warned = _rejects(engine, "families", "warning")
    assert warned and all(21 <= line <= 66 for line, _, _ in warned)
    # the name, and its parts in their own columns (the generator writes both)
    name = {"mother_name", "mother_surname", "mother_given_name", "mother_patronymic"}
    assert {"mother_name", "mother_surname"} <= {column for _, column, _ in warned} <= name
    reason = warned[0][2]
    assert reason.startswith("invalid encoding: not UTF-8 (the bytes look like cp1251")
    assert reason.endswith("the record is kept with this value left empty")
    c = report.tables["children"]
    assert c.rows_rejected == 0 and c.rows_accepted == c.rows_read
    assert engine.scalar("SELECT count(*) FROM families WHERE _line IN (20, 67)") == 2


def test_a_cp1251_id_rejects_only_its_row_at_its_line(folder):
    path = folder / "staff.csv"
    raw = path.read_bytes().split(b"\n")
    fields = raw[5].split(b",")
    fields[0] = "СТ-5".encode("cp1251")
    raw[5] = b",".join(fields)
    path.write_bytes(b"\n".join(raw))
    engine, report = _load(folder)
    got = _rejects(engine, "staff")
    assert [(line, column) for line, column, _ in got] == [(6, "staff_id")]
    assert got[0][2].startswith("invalid encoding: not UTF-8")
    assert report.tables["staff"].rows_accepted == len(raw) - 3  # header, this, final ""


def test_a_file_mostly_in_cp1251_is_one_error_that_names_the_encoding(folder):
    path = folder / "families.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1251", errors="replace"))
    with pytest.raises(InputError) as err:
        _load(folder)
    msg = str(err.value)
    assert "not UTF-8" in msg and "reads as cp1251/Windows-1251" in msg
    assert "encoding: cp1251" in msg and "iconv -f WINDOWS-1251" in msg


def test_a_header_not_in_utf8_is_named_not_skipped(folder):
    """DuckDB would skip such a header as a bad record and read the first data line as
    the header; the file is in another encoding, and the message says which."""
    path = folder / "families.csv"
    header, rest = path.read_text(encoding="utf-8").split("\n", 1)
    path.write_bytes(header.replace('"district"', '"Район"').encode("cp1251") + b"\n"
                     + rest.encode("utf-8"))  # fmt: skip
    with pytest.raises(InputError) as err:
        _load(folder)
    msg = str(err.value)
    assert "the header line is not UTF-8 (it reads as cp1251/Windows-1251" in msg
    assert "encoding: cp1251" in msg


# --- item 3: a declared encoding and delimiter ---------------------------------------


def _declare(monkeypatch, table: str, encoding: str | None, delimiter: str | None) -> None:
    """What an import mapping does: set the encoding and delimiter after locate."""
    real = load.locate

    def declared(input_dir, name, patterns=None):
        src = real(input_dir, name, patterns)
        if src is not None and name == table:
            src.encoding, src.delimiter = encoding, delimiter
        return src

    monkeypatch.setattr(load, "locate", declared)


def test_a_declared_encoding_and_delimiter_are_read_with_true_lines(folder, monkeypatch):
    path = folder / "families.csv"
    rows = read_rows(path)
    text = path.read_text(encoding="utf-8").replace(",", ";")  # no commas in the values
    lines = text.splitlines()
    lines.insert(3, "")
    raw = ("\r\n".join(lines) + "\r\n").encode("kz1048", errors="replace").split(b"\r\n")
    raw[6] = b'"\x98' + raw[6][1:]  # line 7's family_id starts with a byte kz1048 lacks
    path.write_bytes(b"\r\n".join(raw))
    _declare(monkeypatch, "families", "kz1048", ";")
    engine, report = _load(folder)
    got = _rejects(engine, "families")
    assert [(line, column) for line, column, _ in got] == [(7, "family_id")]
    assert got[0][2].startswith("invalid encoding: not valid kz1048")
    f = report.tables["families"]
    assert (f.rows_accepted, f.rows_rejected) == (len(rows) - 1, 1)
    names = dict(engine.rows("SELECT family_id, mother_name FROM families"))
    assert names[rows[0]["family_id"]] == rows[0]["mother_name"]
    assert engine.scalar("SELECT _line FROM families WHERE family_id = ?",
                         [rows[3]["family_id"]]) == 6  # fmt: skip


def test_stage_into_honours_a_declared_encoding_without_guessing(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("a;b\r\n1;Гүлназ\r\n\r\n2;Әлия\r\n".encode("kz1048"))
    src = SourceFile("t", path, "csv", size=path.stat().st_size, encoding="kz1048",
                     delimiter=";")  # fmt: skip
    engine = DuckDBEngine(temp_directory=tmp_path / "spill")
    assert stage_into(engine, src, "t", lambda rel, cols: f"SELECT * FROM {rel}") is None
    assert engine.rows("SELECT _line, a, b FROM t ORDER BY _line") == [
        (2, "1", "Гүлназ"), (4, "2", "Әлия")]  # fmt: skip
    assert not list((tmp_path / "spill").glob("*.csv"))  # the UTF-8 copy is deleted


# --- defect 12: UTF-16, binary files, NUL bytes --------------------------------------


def test_utf16_with_a_byte_order_mark_is_read(folder):
    path = folder / "families.csv"
    n = len(read_rows(path))
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    engine, report = _load(folder)
    assert report.tables["families"].rows_accepted == n
    assert report.tables["children"].rows_rejected == 0


def test_utf16_without_a_byte_order_mark_says_so_and_how_to_declare_it(folder):
    path = folder / "families.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16-le"))
    with pytest.raises(InputError, match="(?s)UTF-16 little-endian.*encoding: utf-16-le"):
        _load(folder)


def test_a_zip_named_csv_is_named_and_no_binary_reaches_the_terminal(folder):
    path = folder / "receipts.csv"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("sheet.xml", "\x00\x01\x02 binary \x1b[31m")
    with pytest.raises(InputError) as err:
        _load(folder)
    assert "receipts.csv is a ZIP archive" in str(err.value)
    assert not any(ord(c) < 32 and c != "\n" for c in str(err.value))


def test_a_binary_file_is_not_read_as_text(folder):
    (folder / "receipts.csv").write_bytes(bytes(range(256)) * 40)
    with pytest.raises(InputError, match="receipts.csv is not a text file"):
        _load(folder)


def test_nul_bytes_in_an_id_are_rejected_and_in_an_identity_field_left_empty(folder):
    path = folder / "families.csv"
    raw = path.read_bytes().split(b"\n")
    raw[1] = raw[1].replace(b'",', b'\x00",', 1)  # family_id of line 2
    fields = raw[2].split(b",")
    fields[1] = fields[1][:-1] + b'\x00"'  # mother_id of line 3: an identity field
    raw[2] = b",".join(fields)
    path.write_bytes(b"\n".join(raw))
    engine, _ = _load(folder)
    control = "control character (such as NUL, tab or a line break) in an identifier"
    assert _rejects(engine, "families") == [(2, "family_id", control)]
    assert (3, "mother_id", control + "; the record is kept with this value left empty") in (
        _rejects(engine, "families", "warning"))  # fmt: skip


# --- defect 9: finding each table's file ---------------------------------------------


@pytest.mark.parametrize("name", ["RECEIPTS.csv", "Receipts.CSV", "receipts.Csv"])
def test_table_files_match_case_insensitively(folder, name):
    (folder / "receipts.csv").rename(folder / name)
    src = locate(folder, "receipts")
    assert src is not None and src.path.name == name and src.format == "csv"
    _, report = _load(folder)
    assert report.tables["receipts"].rows_accepted > 0


def test_two_files_for_one_table_name_both(folder):
    shutil.copy(folder / "receipts.csv", folder / "RECEIPTS.CSV")
    with pytest.raises(InputError, match=r"given twice: RECEIPTS\.CSV, receipts\.csv"):
        locate(folder, "receipts")


def test_a_broken_link_is_an_error_not_an_absent_table(folder):
    (folder / "receipts.csv").unlink()
    os.symlink(folder / "gone.csv", folder / "receipts.csv")
    with pytest.raises(InputError, match="receipts.csv .table 'receipts'. is a link to"):
        _load(folder)


def test_a_folder_named_like_a_table_is_an_error(folder):
    (folder / "receipts.csv").unlink()
    (folder / "Receipts.csv").mkdir()
    with pytest.raises(InputError, match="is a folder, not a file"):
        locate(folder, "receipts")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_an_error(folder):
    (folder / "receipts.csv").chmod(0)
    with pytest.raises(InputError, match="cannot be read"):
        locate(folder, "receipts")


def test_mapping_patterns_match_case_insensitively_and_skip_lock_files(folder):
    (folder / "receipts.csv").rename(folder / "Поступления_2024.TXT")
    (folder / "~$Поступления_2024.txt").write_bytes(b"lock")
    src = locate(folder, "receipts", ["поступления_*.txt"])
    assert src is not None and src.path.name == "Поступления_2024.TXT" and src.format == "csv"
    assert locate(folder, "receipts") is None
    (folder / "offices.json").write_text("{}")
    with pytest.raises(InputError, match="cannot tell its format"):
        locate(folder, "offices", ["*.JSON"])


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("title", ["Выплаты за 2022 год", "Выплаты за 2022 год,,,,,,,,"])
def test_a_title_line_above_the_header_is_named(folder, title, newline):
    """A 1C/Excel title above the header made every column 'missing', with no word of
    where the header was."""
    path = folder / "disbursements.csv"
    path.write_text(title + newline + path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        _load(folder)
    assert info.value.exit_code == 3
    assert "Line 2 looks like the header (it names payment_id, family_id, period" in (
        info.value.what
    )
    assert "delete the 1 line(s) above it (a title)" in info.value.what
