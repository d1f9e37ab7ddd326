"""The demo programme exported the way a Kazakh district office exports it.

1C and Excel in a Russian locale write Windows-1251 text, ';' between fields, a
decimal comma with thousands grouped by no-break spaces ("63 030,00"), dates as
DD.MM.YYYY, the period as the first day of its month, Russian headers and
Russian words for coded values, under Russian file names. ``export_ru`` rewrites
the clean CSV files of a generated programme that way (the money and every value
stay the same, only their spelling changes), so tests and users can check that
``payproof inspect`` and ``--mapping`` read such an export to the same figures.
Windows-1251 has no Kazakh letters (ә, ғ, қ, ң, ө, ұ, ү, һ): as in a Russian-locale
export they are written as the nearest Russian letter.
"""

from __future__ import annotations

import codecs
import csv
import os
from pathlib import Path

from payproof.contract import header_aliases, load_contract, value_aliases
from payproof.engine.duckdb_engine import DuckDBEngine, sql_literal

RU_FILES = {
    "offices": "Отделения",
    "staff": "Сотрудники",
    "families": "Семьи",
    "children": "Дети",
    "entitlements": "Начисления",
    "disbursements": "Выплаты",
    "receipts": "Подтверждения получения",
    "grievances": "Обращения",
    "population": "Население",
    "applications": "Заявления",
}
KAZAKH = "ӘәҒғҚқҢңӨөҰұҮүҺһ"
RUSSIAN = "АаГгКкНнОоУуУуХх"
NBSP = "\u00a0"
CHUNK_CHARS = 1 << 20  # characters transcoded at a time


def ru_header(table: str, column: str) -> str:
    """The Russian header an office gives a contract column: its first built-in alias."""
    return header_aliases(table)[column][1]


def _header(path: Path) -> set[str]:
    """The column names of a generated (UTF-8, comma-separated) CSV file."""
    with path.open(encoding="utf-8", newline="") as fh:
        return set(next(csv.reader(fh)))


def ru_value(column: str, value: str) -> str:
    """The Russian word for a coded (enum) value."""
    return value_aliases(column)[value][0]


def export_ru(folder: Path, encoding: str = "cp1251") -> list[Path]:
    """Rewrite every ``<table>.csv`` in ``folder`` as a Russian-locale export; returns the
    new files. The clean files are removed (an office has only its own export)."""
    folder = Path(folder)
    written = []
    contract = load_contract()
    with DuckDBEngine() as engine:
        for table, name in RU_FILES.items():
            src = folder / f"{table}.csv"
            if not src.is_file():
                continue
            spec = contract.table(table)
            present = _header(src)
            cols = ", ".join(
                f"{_value_sql(table, c, s.type)} AS {_q(ru_header(table, c))}"
                for c, s in spec.columns.items()
                if c in present  # an optional column the generator does not write
            )
            tmp = folder / f".{name}.utf8"
            engine.execute(
                f"COPY (SELECT {cols} FROM read_csv({sql_literal(str(src))}, all_varchar = true,"
                f" header = true)) TO {sql_literal(str(tmp))} (HEADER, DELIMITER ';')"
            )
            target = folder / f"{name}.csv"
            _transcode(tmp, target, encoding)
            tmp.unlink()
            src.unlink()
            written.append(target)
    return written


def _value_sql(table: str, column: str, kind: str) -> str:
    c = _q(column)
    if kind == "date":
        return f"strftime(TRY_CAST({c} AS DATE), '%d.%m.%Y')"
    if kind == "period":
        return f"'01.' || substr({c}, 6, 2) || '.' || substr({c}, 1, 4)"
    if kind == "money":  # exact: the text's own digits, grouped by no-break spaces
        whole = f"replace(format('{{:,}}', CAST(split_part({c}, '.', 1) AS BIGINT)), ',', '{NBSP}')"
        cents = f"rpad(split_part({c}, '.', 2), 2, '0')"
        return f"CASE WHEN {c} IS NOT NULL THEN {whole} || ',' || {cents} END"
    if kind == "enum":
        cases = " ".join(
            f"WHEN {sql_literal(v)} THEN {sql_literal(ru_value(column, v))}"
            for v in load_contract().table(table).columns[column].values
        )
        return f"CASE {c} {cases} ELSE {c} END"
    return f"translate({c}, '{KAZAKH}', '{RUSSIAN}')"


def _transcode(src: Path, dst: Path, encoding: str) -> None:
    """Stream UTF-8 text into ``encoding`` (a temporary file renamed into place)."""
    tmp = dst.with_name(f".{dst.name}.partial-{os.getpid()}")
    decoder = codecs.getincrementaldecoder("utf-8")()
    encoder = codecs.getincrementalencoder(encoding)()
    with src.open("rb") as fin, tmp.open("wb") as fout:
        while block := fin.read(CHUNK_CHARS):
            fout.write(encoder.encode(decoder.decode(block)))
        fout.write(encoder.encode(decoder.decode(b"", final=True), final=True))
    os.replace(tmp, dst)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
