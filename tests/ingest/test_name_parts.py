"""The name in parts: a Kazakh 1C export holds ФИО in three columns (Фамилия, Имя,
Отчество / Тегі, Аты, Әкесінің аты). They are read under their Russian, Kazakh and
English headers; the full name is built from them when the file has none; a bad part
is a warning at its file, line and column, and the record is kept."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from payproof.engine import DuckDBEngine
from payproof.errors import InputError
from payproof.ingest import load_input
from payproof.ingest.encoding import MOJIBAKE_REASON

TODAY = date(2026, 11, 25)
KEPT = "; the record is kept with this value left empty"


def _write(folder: Path, header: list[str], rows: list[list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "families.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return folder


def _load(folder: Path):
    engine = DuckDBEngine()
    load_input(folder, engine, today=TODAY, registry_only=True)
    return engine


def _names(engine):
    return engine.rows(
        "SELECT family_id, mother_name, mother_surname, mother_given_name, mother_patronymic "
        "FROM families ORDER BY family_id"
    )


def _rejects(engine):
    return engine.rows(
        "SELECT line, column_name, value, reason, severity FROM rejects "
        "WHERE table_name = 'families' AND column_name <> 'mother_id' ORDER BY line, column_name"
    )


@pytest.mark.parametrize(
    "header",
    [
        ["Фамилия", "Имя", "Отчество"],
        ["Тегі", "Аты", "Әкесінің аты"],
        ["Surname", "First name", "Patronymic"],
        ["mother_surname", "mother_given_name", "mother_patronymic"],
    ],
)
def test_parts_alone_make_the_full_name(tmp_path, header):
    folder = _write(
        tmp_path / "in",
        ["family_id", "ИИН", *header, "Дата рождения"],
        [["F1", "880101400123", "Ахметова", "Айгуль", "Серикқызы", "1988-01-01"],
         ["F2", "", " Ахметова ", "Динара", "", "1989-02-02"]],
    )  # fmt: skip
    engine = _load(folder)
    assert _names(engine) == [
        ("F1", "Ахметова Айгуль Серикқызы", "Ахметова", "Айгуль", "Серикқызы"),
        ("F2", "Ахметова Динара", "Ахметова", "Динара", None),
    ]
    assert _rejects(engine) == []  # no 'column absent' for mother_name: it is built


def test_full_name_and_parts_are_both_kept(tmp_path):
    """Both given: the full name stays as typed (for display), the parts as typed (the
    linkage compares them and counts the records where they disagree)."""
    folder = _write(
        tmp_path / "in",
        ["family_id", "ФИО", "Фамилия", "Имя", "Отчество", "Дата рождения"],
        [["F1", "Ахметова Айгуль", "Сейтова", "Айгуль", "", "1988-01-01"]],
    )
    engine = _load(folder)
    assert _names(engine) == [("F1", "Ахметова Айгуль", "Сейтова", "Айгуль", None)]


def test_a_bad_part_is_a_warning_at_its_line_and_column(tmp_path):
    garbled = "Сауле".encode().decode("cp1251")  # UTF-8 read as cp1251
    folder = _write(
        tmp_path / "in",
        ["family_id", "Фамилия", "Имя", "Отчество", "Дата рождения"],
        [["F1", "Ахметова", "Айгуль", "", "1988-01-01"],
         ["F2", "Омарова", garbled, "Ерлановна", "1990-03-03"],
         ["F3", "", "", "", "1991-04-04"]],
    )  # fmt: skip
    engine = _load(folder)
    assert _names(engine) == [
        ("F1", "Ахметова Айгуль", "Ахметова", "Айгуль", None),
        ("F2", "Омарова Ерлановна", "Омарова", None, "Ерлановна"),  # the good parts
        ("F3", None, None, None, None),
    ]
    assert _rejects(engine) == [
        (3, "mother_given_name", garbled, MOJIBAKE_REASON + KEPT, "warning"),
        (4, "mother_name", None, "missing value" + KEPT, "warning"),  # nothing to build from
    ]


def test_two_headers_for_one_part_are_refused(tmp_path):
    folder = _write(
        tmp_path / "in",
        ["family_id", "Фамилия", "Тегі", "Имя", "Дата рождения"],
        [["F1", "Ахметова", "Ахметова", "Айгуль", "1988-01-01"]],
    )
    with pytest.raises(InputError, match="could each be mother_surname"):
        _load(folder)
