"""Import mappings are checked strictly; headers are found by mapping or built-in alias."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from payproof.cli import main
from payproof.contract import header_aliases, header_key, load_contract
from payproof.engine import DuckDBEngine
from payproof.errors import EXIT_INPUT, InputError
from payproof.ingest import load_input
from payproof.ingest.load import _match_columns
from payproof.ingest.mapping import MappingError, load_mapping, parse_mapping
from payproof.ingest.sources import SourceFile
from tests.audit.conftest import TABLES, write_input

TODAY = date(2026, 11, 25)


def fails(text: str) -> MappingError:
    with pytest.raises(MappingError) as info:
        parse_mapping(text, source="m.yaml")
    assert info.value.exit_code == EXIT_INPUT
    return info.value


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("version: [1", "(file)", "not valid YAML"),
        ("- 1", "(file)", "must be a YAML mapping"),
        ("defaults: {}", "(top level)", "'version' is a required property"),
        ("version: 2", "version", "1 was expected"),
        ("version: 1\ndefaults: {colour: red}", "defaults", "'colour' was unexpected"),
        ("version: 1\ntables: {payments: {}}", "tables", "'payments'"),
        ("version: 1\ndefaults: {decimal_mark: ';'}", "defaults.decimal_mark", "is not one of"),
        ("version: 1\ndefaults: {delimiter: ';;'}", "defaults.delimiter", "too long"),
        ("version: 1\ndefaults: {period_format: MMYYYY}", "defaults.period_format", "not one of"),
    ],
)
def test_shape_errors_name_the_key(text, key, words):
    err = fails(text)
    assert err.where == f"m.yaml: {key}", err.message
    assert words in err.message


@pytest.mark.parametrize(
    ("text", "key", "words", "fix"),
    [
        ("defaults: {encoding: win-9999}", "defaults.encoding", "Unknown encoding", "cp1251"),
        ("defaults: {delimiter: '\"'}", "defaults.delimiter", "cannot separate", "';'"),
        (
            "defaults: {decimal_mark: ',', thousands: [',']}",
            "defaults.thousands",
            "both the decimal mark and a thousands separator",
            "ambiguous",
        ),
        ("defaults: {date_format: '%d.%m.%y'}", "defaults.date_format", "not supported", "%y"),
        ("defaults: {date_format: '%d %B %Y'}", "defaults.date_format", "not supported", "%d"),
        (
            "tables: {families: {columns: {mother: ФИО}}}",
            "tables.families.columns.mother",
            "families has no column 'mother'",
            "mother_name",
        ),
        (
            "tables: {families: {columns: {mother_name: ФИО, district: ' фио '}}}",
            "tables.families.columns.district",
            "mapped to both mother_name and district",
            "one contract column",
        ),
        (
            "tables: {disbursements: {columns: {amount: {header: Сумма, values: {a: b}}}}}",
            "tables.disbursements.columns.amount",
            "'values' does not apply",
            "channel",
        ),
        (
            "tables: {disbursements: {columns: {channel: {header: Канал, values: {карта: card}}}}}",
            "tables.disbursements.columns.channel.values",
            "card is not a value of channel",
            "cash, bank, post",
        ),
        (
            "tables: {disbursements: {columns: {amount: {header: Сумма, date_format: excel}}}}",
            "tables.disbursements.columns.amount",
            "not a date column",
            "Remove",
        ),
        ("tables: {families: {files: ['a/b.csv']}}", "tables.families.files", "folder", "Выплаты"),
        ("defaults: {columns: {a: b}}", "defaults", "'columns' was unexpected", "docs"),
        # regression: a sign with a digit swallowed part of the amount ('14 000,00' read as
        # 4000 with currency '1'), and '-' hid a negative amount; exit 0, owed doubled
        ("defaults: {currency: ['₸', '1']}", "defaults.currency", "'1' cannot be a", "₸"),
        ("tables: {receipts: {currency: ['1тг']}}", "tables.receipts.currency", "digit", "тг"),
        ("defaults: {currency: ['-']}", "defaults.currency", "minus sign", "KZT"),
        ("defaults: {decimal_mark: ',', currency: [',']}", "defaults.currency", "only the", "₸"),
        ("defaults: {thousands: [nbsp], currency: ['\u00a0']}", "defaults.currency", "only", "₸"),
    ],
)
def test_meaning_errors_name_the_key_and_the_fix(text, key, words, fix):
    err = fails("version: 1\n" + text)
    assert err.where == f"m.yaml: {key}", err.message
    assert words in err.what
    assert fix in err.fix


def test_currency_signs_with_the_decimal_point_are_allowed():
    m = parse_mapping("version: 1\ndefaults: {currency: ['тг.', '₸', 'KZT']}")
    assert m.table("receipts").base.currency == ("тг.", "₸", "KZT")


def test_defaults_apply_to_every_table_and_tables_override_them():
    m = parse_mapping(
        "version: 1\ndefaults: {encoding: windows-1251, delimiter: ';', decimal_mark: ','}\n"
        "tables:\n  receipts: {encoding: utf-16, decimal_mark: '.', files: ['Получение*.csv']}\n"
    )
    assert (m.table("families").encoding, m.table("families").delimiter) == ("cp1251", ";")
    assert m.table("families").base.decimal_mark == ","
    assert m.table("receipts").encoding == "utf-16"
    assert m.table("receipts").base.decimal_mark == "."
    assert m.table("receipts").files == ("Получение*.csv",)


def test_a_missing_mapping_file(tmp_path):
    with pytest.raises(MappingError, match="Cannot read the mapping file"):
        load_mapping(tmp_path / "nope.yaml")


def test_cli_refuses_a_bad_mapping_with_exit_3(tmp_path, capsys):
    bad = tmp_path / "m.yaml"
    bad.write_text("version: 1\ndefaults: {decimal_mark: ';'}\n", encoding="utf-8")
    src = write_input(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["audit", str(src), "--out", str(out), "--mapping", str(bad)]) == EXIT_INPUT
    assert "defaults.decimal_mark" in capsys.readouterr().err
    assert not out.exists()  # refused before anything was created


def test_aliases_are_unique_within_each_table():
    for table in load_contract().tables:
        seen: dict[str, str] = {}
        for column, names in header_aliases(table).items():
            for name in names:
                assert seen.setdefault(header_key(name), column) == column, (table, name)


def _rewrite(path: Path, header: list[str], delimiter: str = ",") -> None:
    rows = list(csv.reader(path.open(encoding="utf-8")))[1:]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


RU_FAMILIES = ["ID семьи", "ИИН", "ФИО матери", "Дата  рождения", "РАЙОН", "Отделение",
               "Дата регистрации", "Счёт", "телефон"]  # fmt: skip


def test_russian_headers_are_read_without_a_mapping(tmp_path):
    src = write_input(tmp_path / "in")
    _rewrite(src / "families.csv", RU_FAMILIES)
    with DuckDBEngine() as engine:
        report = load_input(src, engine, today=TODAY)
        assert report.tables["families"].rows_accepted == len(TABLES["families"][1])
        assert engine.scalar("SELECT mother_name FROM families WHERE family_id = 'F1'") == (
            "Mother 1"
        )


def test_two_headers_for_one_column_is_an_error(tmp_path):
    src = write_input(tmp_path / "in")
    header = list(TABLES["disbursements"][0])
    header[header.index("amount")] = "Сумма"
    header[header.index("account")] = "Сумма выплаты"
    _rewrite(src / "disbursements.csv", header)
    with DuckDBEngine() as engine, pytest.raises(InputError) as info:
        load_input(src, engine, today=TODAY)
    assert "2 columns that could each be amount: 'Сумма', 'Сумма выплаты'" in info.value.what
    assert "tables.disbursements.columns.amount" in info.value.fix
    # the mapping settles it
    m = parse_mapping("version: 1\ntables: {disbursements: {columns: {amount: Сумма}}}")
    with DuckDBEngine() as engine:
        load_input(src, engine, today=TODAY, mapping=m)
        assert engine.scalar("SELECT sum(amount) FROM disbursements") == 9 * 5918300


def test_a_mapped_header_the_file_lacks(tmp_path):
    src = write_input(tmp_path / "in")
    m = parse_mapping("version: 1\ntables: {receipts: {columns: {amount: Получено}}}")
    with DuckDBEngine() as engine, pytest.raises(MappingError) as info:
        load_input(src, engine, today=TODAY, mapping=m)
    assert "names 'Получено' as the header of receipts.amount" in info.value.what
    assert "receipt_id" in info.value.where


def test_a_header_split_on_another_delimiter_is_named(tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text("staff_id;office_id;name;role\nS1;O1;Clerk A;clerk\n")
    src = SourceFile("staff", path, "csv", header=["staff_id;office_id;name;role"])
    with pytest.raises(InputError) as info:
        _match_columns(load_contract().table("staff"), ["staff_id;office_id;name;role"], src)
    assert "lacks required column(s)" in info.value.what
    assert "delimiter is probably ';'" in info.value.what
    assert "payproof inspect" in info.value.fix


def test_files_the_mapping_names_must_be_there(tmp_path):
    """A table the mapping declares is never silently absent (receipts hide skimmers)."""
    src = write_input(tmp_path / "in")
    (src / "receipts.csv").unlink()
    m = parse_mapping("version: 1\ntables: {receipts: {files: ['Подтверждения*.csv']}}")
    with DuckDBEngine() as engine, pytest.raises(MappingError) as info:
        load_input(src, engine, today=TODAY, mapping=m)
    assert "names files for receipts (Подтверждения*.csv) but no file in" in info.value.what
    assert "tables.<table>.files" in info.value.fix


def test_one_file_matched_by_two_tables_is_an_error(tmp_path):
    """Regression: a receipts pattern that also matched the payments file read it as both
    tables, exit 0, every payment 'received' -- skimming hidden."""
    src = write_input(tmp_path / "in")
    (src / "receipts.csv").unlink()
    m = parse_mapping("version: 1\ntables: {receipts: {files: ['disb*.csv']}}")
    with DuckDBEngine() as engine, pytest.raises(MappingError) as info:
        load_input(src, engine, today=TODAY, mapping=m)
    assert info.value.exit_code == EXIT_INPUT
    assert "disbursements.csv would be read as disbursements and as receipts" in info.value.what
    assert "tables.receipts.files" in info.value.fix
    (src / "receipts.csv").symlink_to(src / "disbursements.csv")  # a link is the same file
    with DuckDBEngine() as engine, pytest.raises(MappingError, match="and as receipts"):
        load_input(src, engine, today=TODAY)


def test_kazakh_headers_are_read_without_a_mapping(tmp_path):
    src = write_input(tmp_path / "in")
    _rewrite(src / "disbursements.csv", ["Төлем нөмірі", "Отбасы ID", "Кезең", "Сома",
             "Төлем күні", "Бөлімше", "Қызметкер", "Төлем тәсілі", "Шот"])  # fmt: skip
    _rewrite(src / "families.csv", ["Отбасы нөмірі", "ЖСН", "Аты-жөні", "Туған күні", "Аудан",
             "Бөлімше коды", "Тіркелген күні", "Шот нөмірі", "Телефон нөмірі"])  # fmt: skip
    with DuckDBEngine() as engine:
        report = load_input(src, engine, today=TODAY)
        assert report.rejected == 0
        assert engine.scalar("SELECT sum(amount) FROM disbursements") == 9 * 5918300
        assert engine.scalar("SELECT count(mother_id) FROM families") == 3


def test_a_table_saved_as_txt_is_named_when_missing(tmp_path):
    """Excel's "Unicode text" saves disbursements.txt: 'missing' alone sent users hunting."""
    src = write_input(tmp_path / "in")
    (src / "disbursements.csv").rename(src / "disbursements.txt")
    with DuckDBEngine() as engine, pytest.raises(InputError) as info:
        load_input(src, engine, today=TODAY)
    assert info.value.exit_code == EXIT_INPUT
    assert "Required table(s) missing: disbursements. disbursements.txt is there, but" in (
        info.value.what
    )
    m = parse_mapping("version: 1\ntables: {disbursements: {files: [disbursements.txt]}}")
    with DuckDBEngine() as engine:
        assert load_input(src, engine, today=TODAY, mapping=m).rejected == 0


def test_dates_that_prove_the_declared_day_month_order_wrong_stop_the_table(tmp_path):
    """Regression: under '%m.%d.%Y' a day-first export lost only its dates with a day over
    12 (too few to stop); every other date was kept with day and month swapped, exit 0."""
    from payproof.ingest.diagnose import TableRejectedError

    src = write_input(tmp_path / "in")
    path = src / "families.csv"
    header, *rows = list(csv.reader(path.open(encoding="utf-8")))
    for i, row in enumerate(rows):
        born = date.fromisoformat(row[header.index("mother_birth_date")])
        row[header.index("mother_birth_date")] = born.strftime("%d.%m.%Y")
        row[header.index("registered_on")] = "15.03.2020" if i == 0 else "05.03.2020"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *rows])
    wrong = parse_mapping("version: 1\ntables: {families: {date_format: '%m.%d.%Y'}}")
    with DuckDBEngine() as engine, pytest.raises(TableRejectedError) as info:
        load_input(src, engine, today=TODAY, mapping=wrong)
    assert info.value.exit_code == EXIT_INPUT and info.value.rejects_ready
    assert "are not dates written MM.DD.YYYY but are written DD.MM.YYYY" in info.value.what
    assert "'15.03.2020' at line 2" in info.value.what
    assert "date_format: '%d.%m.%Y'" in info.value.fix
    right = parse_mapping("version: 1\ntables: {families: {date_format: '%d.%m.%Y'}}")
    with DuckDBEngine() as engine:
        assert load_input(src, engine, today=TODAY, mapping=right).rejected == 0
        assert engine.scalar("SELECT max(registered_on) FROM families") == date(2020, 3, 15)
        assert engine.scalar("SELECT min(registered_on) FROM families") == date(2020, 3, 5)
