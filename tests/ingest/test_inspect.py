"""`payproof inspect`: each guess is right on the shapes real exports have, with evidence."""

from __future__ import annotations

import codecs
from datetime import date

import pytest

from payproof.cli import main
from payproof.errors import EXIT_USAGE
from payproof.ingest.inspect import (
    inspect_folder,
    proposed_mapping,
    sniff_delimiter,
    sniff_encoding,
)

TEXT = "Номер платежа;ID семьи;Период;Сумма\nP1;F1;01.2024;59 183,00\n"


@pytest.mark.parametrize(
    ("data", "encoding", "words"),
    [
        (TEXT.encode("utf-8"), None, "valid UTF-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), None, "UTF-8 byte-order mark"),
        (TEXT.encode("utf-16"), "utf-16", "UTF-16 byte-order mark"),
        (TEXT.encode("utf-16-le"), "utf-16-le", "UTF-16 without a BOM"),
        (TEXT.encode("utf-16-be"), "utf-16-be", "UTF-16 without a BOM"),
        (TEXT.encode("cp1251"), "cp1251", "not UTF-8 (byte 0xCD at offset 0)"),
        (TEXT.encode("cp866"), "cp866", "not UTF-8"),
        (TEXT.encode("koi8_r"), "koi8_r", "not UTF-8"),
        ("Аты-жөні;Сома;Кезең\nӘсел Қасымқызы;1,00;01.2024\n".encode("kz1048"), "kz1048", "kz1048"),
    ],
)
def test_encoding(data, encoding, words):
    got, evidence = sniff_encoding(data)
    assert got == encoding
    assert words in evidence


def test_amounts_with_nbsp_do_not_make_cp866_look_russian():
    data = "ID семьи;Сумма\n" + "".join(f"F{i};6\u00a0{i:03d},00\n" for i in range(200))
    assert sniff_encoding(data.encode("cp1251"))[0] == "cp1251"


@pytest.mark.parametrize("d", [";", ",", "\t", "|"])
def test_delimiter(d):
    text = d.join(["a", "b", "c"]) + "\n" + d.join(["1", '"x;y,z|w"', "3"]) + "\n"
    got, evidence = sniff_delimiter(text)
    assert got == d and "3 columns" in evidence


def _write(folder, name, text, encoding="utf-8"):
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(text.encode(encoding))


def test_formats_and_columns_are_read_from_the_values(tmp_path):
    src = tmp_path / "in"
    _write(src, "Оплата.csv",
           "Номер платежа;ID семьи;Период;Сумма выплаты;Дата выплаты;Отделение;Сотрудник;"
           "Способ выплаты;Лишнее\n"
           "P1;F1;01/2024;59 183,50 тг;45310;O1;S1;Наличные;x\n"
           "P2;F2;02/2024;1'000,00 тг;45311;O1;S1;карта;y\n", "cp1251")  # fmt: skip
    _write(src, "Семьи.txt",
           "ID семьи,ИИН,ФИО матери,Дата рождения,Район,Отделение,Дата регистрации\n"
           "F1,850101400123,Айгерим,01/13/1985,Kentau,O1,02/01/2020\n")  # fmt: skip
    [pay, fam] = inspect_folder(src)
    assert (pay.table, fam.table) == ("disbursements", "families")
    assert pay.unmatched == ["Лишнее"]
    by = {c.column: c for c in pay.columns}
    assert by["amount"].settings == {
        "decimal_mark": ",", "thousands": ["space", "apostrophe"], "currency": ["тг"]
    }  # fmt: skip
    assert by["paid_on"].settings == {"date_format": "excel"}
    assert by["period"].settings == {"period_format": "MM/YYYY"}
    assert by["channel"].values == {"Наличные": "cash"}
    assert any("'карта'" in w for w in pay.warnings)  # an unknown word: map it by hand
    assert {c.column: c.settings for c in fam.columns}["registered_on"] == {
        "date_format": "%m/%d/%Y"  # 01/13/1985: the second field is the day
    }
    assert fam.missing == []
    m = proposed_mapping([pay, fam])
    assert m["tables"]["disbursements"]["encoding"] == "cp1251"
    assert m["tables"]["families"]["encoding"] == "utf-8"  # not hoisted: the files differ
    assert m["tables"]["disbursements"]["date_format"] == "excel"
    assert m["tables"]["families"]["date_format"] == "%m/%d/%Y"


def test_missing_and_unrecognised(tmp_path):
    src = tmp_path / "in"
    _write(src, "a.csv", "ID семьи,Период,Сумма,Дата выплаты\nF1,2024-01,1.00,2024-01-20\n")
    _write(src, "notes.csv", "x,y\n1,2\n")
    _write(src, "zip.csv", "PK\x03\x04rest")
    a, notes, z = inspect_folder(src)
    assert a.table == "entitlements" or a.table == "disbursements"
    assert notes.table is None and "no contract table matches" in notes.warnings[0]
    assert "zip archive" in z.warnings[0]


def test_cli_writes_a_mapping_and_never_replaces_one(tmp_path, capsys):
    src = tmp_path / "in"
    _write(src, "Семьи.csv", "ID семьи;ИИН;ФИО;Дата рождения;Район;Отделение;Дата регистрации\n"
           "F1;850101400123;Айгерим;13.01.1985;Kentau;O1;01.02.2020\n", "cp1251")  # fmt: skip
    out = tmp_path / "m.yaml"
    assert main(["inspect", str(src), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "encoding: cp1251" in text and "'%d.%m.%Y'" in text and "mother_name: ФИО" in text
    printed = " ".join(capsys.readouterr().out.split())
    assert "Семьи.csv: families (cp1251" in printed
    assert "No file looks like the required table(s): disbursements, entitlements or" in printed
    assert main(["inspect", str(src), "--out", str(out)]) == EXIT_USAGE
    assert "already exists" in capsys.readouterr().err
    assert main(["inspect", str(src), "--out", str(out), "--force"]) == 0


def test_ambiguous_slash_dates_are_flagged(tmp_path):
    src = tmp_path / "in"
    _write(src, "f.csv", "ID семьи,ИИН,ФИО,Дата рождения,Район,Отделение,Дата регистрации\n"
           "F1,850101400123,Айгерим,02/01/1985,Kentau,O1,03/04/2020\n")  # fmt: skip
    [g] = inspect_folder(src)
    assert {c.column: c.settings for c in g.columns}["registered_on"] == {"date_format": "%d/%m/%Y"}
    assert any("never have a number over 12" in w for w in g.warnings)


def test_xlsx_and_parquet_need_only_headers_and_words(tmp_path):
    import openpyxl
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "in"
    src.mkdir()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Номер платежа", "ID семьи", "Период", "Сумма", "Дата выплаты", "Отделение",
                  "Сотрудник", "Способ выплаты"])  # fmt: skip
    sheet.append(["P1", "F1", "2024-01", 59183.5, date(2024, 1, 20), "O1", "S1", "почта"])
    book.save(src / "Выплаты.xlsx")
    pq.write_table(pa.table({"ID семьи": ["F1"], "ИИН": ["850101400123"], "ФИО": ["А"],
                             "Дата регистрации": [date(2020, 2, 1)], "Район": ["K"],
                             "Отделение": ["O1"]}), src / "Семьи.parquet")  # fmt: skip
    [pay, fam] = inspect_folder(src)
    assert (pay.table, fam.table) == ("disbursements", "families")
    by = {c.column: c for c in pay.columns}
    assert by["paid_on"].settings == {"date_format": "%Y-%m-%d"}
    assert by["amount"].settings["decimal_mark"] == "."
    assert by["channel"].values == {"почта": "post"}
    assert {c.column: c.settings for c in fam.columns}["registered_on"] == {
        "date_format": "%Y-%m-%d"
    }


def test_of_two_files_for_one_table_the_better_fit_is_proposed(tmp_path):
    """Regression: the first file by name was proposed, e.g. an earlier run's findings
    file with 4 of 9 disbursement columns, and the real payments export left out."""
    src = tmp_path / "in"
    _write(src, "a_findings.csv", "family_id,period,office_id,staff_id,owed,status,flags\n"
           "F1,2024-01,O1,S1,0.00,ok,\n")  # fmt: skip
    _write(src, "Выплаты.csv", "Номер платежа;ID семьи;Период;Сумма;Дата выплаты;Отделение;"
           "Сотрудник;Способ выплаты\nP1;F1;01.2024;59 183,00;20.01.2024;O1;S1;банк\n")  # fmt: skip
    guesses = inspect_folder(src)
    assert [g.table for g in guesses] == ["disbursements", "disbursements"]
    m = proposed_mapping(guesses)
    assert m["tables"]["disbursements"]["files"] == ["Выплаты.csv"]
    assert "the mapping proposes Выплаты.csv" in guesses[0].warnings[-1]


def test_a_title_line_above_the_header_and_an_empty_file_are_named(tmp_path):
    src = tmp_path / "in"
    _write(src, "Выплаты.csv", "Выплаты за январь 2024\n\nНомер платежа;ID семьи;Период;Сумма\n"
           "P1;F1;01.2024;59 183,00\n", "cp1251")  # fmt: skip
    _write(src, "Подтверждения.csv", "")
    pay, empty = inspect_folder(src)
    assert pay.table is None
    assert "line 3 looks like a disbursements header (it names payment_id, family_id, " in (
        pay.warnings[-1]
    )
    assert "delete the 2 line(s) above it" in pay.warnings[-1]
    assert empty.warnings == ["the file is empty: export the table again with its header row"]
