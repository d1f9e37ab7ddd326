"""The demo programme exported the Russian-locale way audits, with the mapping `inspect`
proposes, to exactly the same owed amounts as the clean files."""

from __future__ import annotations

import copy
import csv
import json
import shutil
from pathlib import Path

import pytest
import yaml

from payproof.audit import run_audit
from payproof.cli import main
from payproof.ingest.inspect import inspect_folder, proposed_mapping
from payproof.ingest.mapping import parse_mapping
from payproof.scenario.config import ScenarioConfig
from payproof.scenario.generate import generate_scenario
from payproof.scenario.locale import RU_FILES, export_ru

SAME = ("totals", "by_status", "families", "staff", "offices", "flags", "findings", "periods")


@pytest.fixture(scope="module", params=[False, True], ids=["rules", "entitlements-file"])
def programme(request, tmp_path_factory) -> tuple[Path, Path]:
    """(clean folder, Russian-locale folder) of one generated programme: entitlements
    computed from the children's birth dates by the rules, or given as a table."""
    root = tmp_path_factory.mktemp("ru")
    clean = root / "clean"
    config = ScenarioConfig(families=300, months=6, with_entitlements=request.param)
    generate_scenario(clean, config)
    ru = root / "ru"
    shutil.copytree(clean, ru)
    export_ru(ru)
    return clean, ru


@pytest.fixture(scope="module")
def clean_audit(programme, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clean_audit")
    run_audit(programme[0], out, ghosts=False, report=False)
    return out


def test_the_export_looks_like_an_office_export(programme):
    _, ru = programme
    assert not list(ru.glob("disbursements.*"))
    raw = (ru / "Выплаты.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    header, first = raw.decode("cp1251").splitlines()[:2]
    assert header.startswith("Номер платежа;ID семьи;Период;Сумма;Дата выплаты")
    fields = first.split(";")
    assert fields[2].startswith("01.") and len(fields[2]) == 10  # the period as a date
    assert "," in fields[3] and "\u00a0" in fields[3]  # 61 383,00


def test_inspect_proposes_the_mapping(programme):
    _, ru = programme
    guesses = inspect_folder(ru)
    expected = set(RU_FILES) - ({"entitlements"} if not (ru / "Начисления.csv").exists() else set())
    assert sorted(g.table for g in guesses) == sorted(expected)
    assert all(not g.missing and not g.warnings for g in guesses), [
        (g.path.name, g.missing, g.warnings) for g in guesses
    ]
    m = proposed_mapping(guesses)
    assert m["defaults"] == {
        "encoding": "cp1251", "delimiter": ";", "decimal_mark": ",", "thousands": ["nbsp"],
        "currency": [], "date_format": "%d.%m.%Y", "period_format": "date",
    }  # fmt: skip
    assert m["tables"]["disbursements"]["files"] == ["Выплаты.csv"]
    assert m["tables"]["disbursements"]["columns"]["channel"]["values"] == {
        "банк": "bank", "почта": "post", "наличные": "cash"
    }  # fmt: skip
    parse_mapping(yaml.safe_dump(m, allow_unicode=True))  # it loads as written


def _same_audit(a: Path, b: Path) -> None:
    def rows(folder: Path) -> list[dict]:
        with (folder / "families.csv").open(encoding="utf-8") as fh:
            return sorted(csv.DictReader(fh), key=lambda r: r["family_id"])

    left, right = rows(a), rows(b)
    assert len(left) > 250 and left == right  # owed amounts per family, to the tiyn
    s1, s2 = (json.loads((f / "summary.json").read_text()) for f in (a, b))
    for key in SAME:
        assert s1[key] == s2[key], key
    assert s1["rejects"] == s2["rejects"]


def test_russian_export_audits_to_the_same_figures_transcoded(programme, clean_audit, tmp_path):
    """Reads the Russian-locale files after transcoding them to UTF-8 and giving them the
    contract's names: proves the value conversion and header mapping on this branch.
    (Reading cp1251 and the Russian file names is helper A's reader; the test below
    covers it end to end.)"""
    _, ru = programme
    m = proposed_mapping(inspect_folder(ru))
    utf8 = tmp_path / "utf8"
    utf8.mkdir()
    for table, body in m["tables"].items():
        [name] = body.pop("files")
        text = (ru / name).read_text(encoding="cp1251")
        (utf8 / f"{table}.csv").write_text(text, encoding="utf-8")
    stripped = copy.deepcopy(m)
    stripped["defaults"].pop("encoding")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(yaml.safe_dump(stripped, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    code = main(["audit", str(utf8), "--out", str(out), "--no-report", "--no-ghosts",
                 "--mapping", str(mapping)])  # fmt: skip
    assert code == 0
    _same_audit(clean_audit, out)


def test_russian_export_audits_to_the_same_figures(programme, clean_audit, tmp_path):
    """The real thing: the cp1251 files as exported, the mapping as `inspect` writes it."""
    _, ru = programme
    mapping = tmp_path / "mapping.yaml"
    assert main(["inspect", str(ru), "--out", str(mapping)]) == 0
    out = tmp_path / "out"
    code = main(["audit", str(ru), "--out", str(out), "--no-report", "--no-ghosts",
                 "--mapping", str(mapping)])  # fmt: skip
    assert code == 0
    _same_audit(clean_audit, out)
