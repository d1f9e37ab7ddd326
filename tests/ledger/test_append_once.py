"""Issue 9 on the ledger: each record logged once, keys never overwritten, entitlements from
the rules logged with their rules hash, rejects written, interruptions leave a whole log."""

from __future__ import annotations

import csv
import json
import shutil
from importlib import resources
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from payproof.cli import app, main
from payproof.ledger.audit import audit_log
from payproof.ledger.entries import decode_entry
from payproof.ledger.storage import Log
from payproof.rules import load_rules
from payproof.scenario.config import ScenarioConfig
from payproof.scenario.generate import generate_scenario

ORIGIN = "example.org/payproof/once"


@pytest.fixture(scope="module")
def programme(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("once") / "programme"
    generate_scenario(data, ScenarioConfig(families=120, bad_rows=6))
    return data


@pytest.fixture
def setup(tmp_path, programme):
    data = tmp_path / "programme"
    shutil.copytree(programme, data)
    keys, log = tmp_path / "keys", tmp_path / "log"
    assert main(["ledger", "keygen", ORIGIN, "--out", str(keys)]) == 0
    key = str(next(keys.glob("*.key")))
    assert main(["ledger", "init", str(log), "--key", key]) == 0
    return data, log, key


def _append(log, data, key, *extra) -> int:
    return main(["ledger", "append", str(log), str(data), "--key", key, *extra])


def _size(log: Path) -> int:
    return Log.open(log).size


def test_reappending_the_same_export_logs_nothing_twice(setup, capsys):
    data, log, key = setup
    assert _append(log, data, key) == 0
    first = capsys.readouterr().out
    size = _size(log)
    paid = int(first.split("disbursements: ")[1].split()[0])
    assert paid > 0 and size > paid
    # The exit-7 message and a crash both advise running the same append again.
    assert _append(log, data, key) == 0
    out = capsys.readouterr().out
    assert f"disbursements: 0 new, {paid} already logged" in out
    assert "0 batch(es), 0 entries appended" in out
    assert _size(log) == size
    assert main(["ledger", "audit", str(log)]) == 0
    assert "no record is logged twice" in capsys.readouterr().out


def test_a_new_payment_is_appended_and_the_rest_skipped(setup, capsys):
    data, log, key = setup
    path = data / "disbursements.csv"
    rows = path.read_text(encoding="utf-8").splitlines()
    held_back = rows.pop(5)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert _append(log, data, key) == 0
    size = _size(log)
    path.write_text("\n".join(rows + [held_back]) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert _append(log, data, key) == 0
    out = capsys.readouterr().out
    assert "disbursements: 1 new, " in out
    assert _size(log) == size + 1
    assert audit_log(log).ok


def test_a_changed_record_is_refused_with_its_entry(setup, capsys):
    data, log, key = setup
    assert _append(log, data, key) == 0
    size = _size(log)
    path = data / "disbursements.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    payment_id = decode_entry(Log.open(log).entry(_first(log, "payment")))["payment_id"]
    row = next(r for r in rows if r[0] == payment_id)
    row[3] = "99999.00"  # the same payment, another amount
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    capsys.readouterr()
    assert _append(log, data, key) == 3
    err = capsys.readouterr().err
    assert "already in the log with different content" in err
    assert f"disbursements {payment_id}: logged at entry" in err
    assert _size(log) == size  # nothing appended, not even the unchanged rest
    conflicts = (log / "private" / "conflicts.csv").read_text(encoding="utf-8")
    assert payment_id in conflicts


def test_conflicts_csv_neutralises_an_id_that_starts_a_formula(setup, capsys):
    """The private conflicts.csv is opened in a spreadsheet like any output (issue 9, #11)."""
    data, log, key = setup
    path = data / "disbursements.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    evil = '=HYPERLINK("http://evil.example/","x")'
    rows[1][0] = evil
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    assert _append(log, data, key) == 0
    rows[1][3] = "99999.00"  # the same payment, another amount
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    assert _append(log, data, key) == 3
    conflicts = log / "private" / "conflicts.csv"
    with conflicts.open(encoding="utf-8", newline="") as fh:
        cells = [r["record_id"] for r in csv.DictReader(fh)]
    assert cells == ["'" + evil]
    assert not list(conflicts.parent.glob(".*"))  # written atomically, no temporary left


def test_audit_names_records_logged_twice(setup, capsys):
    """A log doubled by the old append (every record twice) must not pass the audit."""
    data, log, key = setup
    assert _append(log, data, key) == 0
    size = _size(log)
    # Re-create the defect: the same batches appended again, bypassing the record index.
    s = Log.open(log)
    dup = [(f, s.entries(*map(int, f.stem.split("-")))) for f in sorted(_openings(log))]
    from payproof.ledger.note import parse_private_key

    with Log.open(log, signer=parse_private_key(Path(key).read_text()), write=True) as w:
        for f, entries in dup:
            w.append(entries, pq.read_table(f).drop_columns(["index"]))
    assert _size(log) == 2 * size
    capsys.readouterr()
    assert main(["ledger", "audit", str(log)]) == 6
    out = capsys.readouterr().out
    assert "nothing was altered" not in out
    assert f"{size} record(s): " in out  # every record, of every kind
    assert f"is logged 2 times (entries 0, {size})" in out
    assert "an entitlement for period" in out  # only the private sidecar shows these
    assert "F0" not in out  # family ids never reach the audit's output
    # A public mirror (no private sidecar) still sees the clear ids.
    mirror = log.parent / "mirror"
    shutil.copytree(log / "public", mirror)
    vkey = json.loads((log / "private/log.json").read_text())["vkey"]
    rep = audit_log(mirror, vkey)
    paid = sum(decode_entry(e)["type"] == "payment" for e in Log.open(log).entries(0, size))
    assert not rep.ok and f"{paid} payment(s)" in rep.duplicates[0]
    assert not any("entitlement" in d for d in rep.duplicates)
    first = decode_entry(Log.open(log).entry(_first(log, "payment")))["payment_id"]
    assert f"payment {first} is logged 2 times" in rep.duplicates[1]
    # The record index is rebuilt from the sidecar, and a retry still adds nothing.
    shutil.rmtree(log / "private" / "index")
    assert _append(log, data, key) == 0
    assert _size(log) == 2 * size
    assert len(list((log / "private" / "index").glob("*.parquet"))) == 2 * len(dup)


def _openings(log: Path) -> list[Path]:
    return list((log / "private" / "openings").glob("*.parquet"))


def _first(log: Path, type_: str) -> int:
    entries = Log.open(log).entries(0, _size(log))
    return next(i for i, e in enumerate(entries) if decode_entry(e)["type"] == type_)


@pytest.mark.parametrize("name", ["families.csv", "rejects.csv"])
def test_rejects_inside_the_export_folder_are_refused(setup, capsys, name):
    """--rejects export/families.csv overwrote the families export with exit 0 (issue 9, #3)."""
    data, log, key = setup
    before = {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()}
    assert _append(log, data, key, "--rejects", str(data / "sub" / ".." / name)) == 2
    assert "lies inside the input folder" in " ".join(capsys.readouterr().err.split())
    assert {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()} == before
    assert _size(log) == 0


def test_unknown_table_is_refused_before_reading(setup, capsys):
    data, log, key = setup
    assert _append(log, data, key, "--tables", "payments") == 2
    assert "unknown ledger table(s) payments" in capsys.readouterr().err
    assert not (log / "private" / "rejects.csv").exists()


def test_keygen_never_overwrites_a_key(tmp_path, capsys):
    keys = tmp_path / "keys"
    assert main(["ledger", "keygen", ORIGIN, "--out", str(keys)]) == 0
    key = keys / "example.org_payproof_once.key"
    before = key.read_text()
    capsys.readouterr()
    assert main(["ledger", "keygen", ORIGIN, "--out", str(keys)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert key.read_text() == before
    assert main(["ledger", "keygen", ORIGIN, "--out", str(keys), "--rotate"]) == 0
    kept = sorted(keys.glob("*.key.replaced-*"))
    assert len(kept) == 1 and kept[0].read_text() == before
    assert len(list(keys.glob("*.vkey.replaced-*"))) == 1
    assert key.read_text() != before and "kept the previous" in capsys.readouterr().out
    # A second rotation in the same second keeps both old pairs.
    assert main(["ledger", "keygen", ORIGIN, "--out", str(keys), "--rotate"]) == 0
    assert len(list(keys.glob("*.key.replaced-*"))) == 2


def test_keygen_into_a_file_is_a_usage_error(tmp_path, capsys):
    """--out naming a file ended in a FileExistsError traceback."""
    afile = tmp_path / "notes.txt"
    afile.write_text("mine")
    assert main(["ledger", "keygen", ORIGIN, "--out", str(afile)]) == 2
    assert "is a file, not a folder" in " ".join(capsys.readouterr().err.split())
    assert afile.read_text() == "mine" and sorted(tmp_path.iterdir()) == [afile]


def test_entitlements_computed_from_rules_are_logged_with_the_rules_hash(setup, capsys):
    data, log, key = setup
    assert not (data / "entitlements.csv").exists()
    assert _append(log, data, key) == 0
    out = capsys.readouterr().out
    rules = load_rules(None)
    assert f"computed with rules {rules.label}, sha256 {rules.sha256})" in out
    n = int(out.split("entitlements: ")[1].split()[0])
    assert n > 0
    e = decode_entry(Log.open(log).entry(_first(log, "entitlement")))
    assert e["v"] == 2 and e["rules"] == rules.label and e["rules_sha256"] == rules.sha256
    assert list(e)[:6] == ["v", "type", "period", "amount", "rules", "rules_sha256"]
    # A v2 entitlement's receipt verifies offline like any other.
    from payproof.ledger.receipt import make_receipt, verify_receipt

    opened = Log.open(log)
    record_id = next(
        r["record_id"]
        for f in sorted(_openings(log))
        for r in pq.read_table(f).to_pylist()
        if r["type"] == "entitlement"
    )
    verdict = verify_receipt(make_receipt(opened, record_id), opened.verifier)
    assert verdict.entry["rules_sha256"] == rules.sha256 and "VALID" in verdict.explain()


def test_rejects_are_written_and_counted(setup, capsys):
    data, log, key = setup
    assert _append(log, data, key) == 0
    out = capsys.readouterr().out
    rejects = log / "private" / "rejects.csv"
    lines = rejects.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("table,file,line,column")
    assert len(lines) > 1 and f"details in {rejects}" in out
    assert "disbursements: " in out and "rejected at ingest)" in out
    assert " 0 rejected at ingest)" not in next(x for x in out.split("\n") if "disburse" in x)
    other = data.parent / "elsewhere" / "rej.csv"
    assert _append(log, data, key, "--rejects", str(other)) == 0
    assert other.read_text(encoding="utf-8") == rejects.read_text(encoding="utf-8")


def test_rejects_are_written_when_ingest_stops(setup, monkeypatch, capsys):
    """A wholly rejected table stops ingest (exit 3); its rejects are still written."""
    data, log, key = setup
    import payproof.ingest
    from payproof.errors import InputError

    real = payproof.ingest.load_input

    def stops(input_dir, engine, **kw):
        real(input_dir, engine, **kw)
        raise InputError("every row of disbursements.csv was rejected")

    monkeypatch.setattr(payproof.ingest, "load_input", stops)
    assert _append(log, data, key) == 3
    err = capsys.readouterr().err
    rejects = log / "private" / "rejects.csv"
    assert rejects.exists() and f"details in {rejects}" in err
    assert _size(log) == 0


def test_interrupted_append_says_what_landed_and_a_rerun_completes(setup, monkeypatch, capsys):
    data, log, key = setup
    assert main(["ledger", "append", str(log), str(data), "--key", key]) == 0
    total = _size(log)
    shutil.rmtree(log)
    assert main(["ledger", "init", str(log), "--key", key]) == 0
    real = Log.append
    calls = []

    def interrupted(self, entries, private_rows=None):
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C (or SIGTERM, turned into one) between batches
        calls.append(len(entries))
        return real(self, entries, private_rows)

    monkeypatch.setattr(Log, "append", interrupted)
    capsys.readouterr()
    # The command itself ends as interrupted (130), never as a success; ``main`` passes the
    # code on (payproof.cli, the run lifecycle).
    args = ["ledger", "append", str(log), str(data), "--key", key, "--batch-rows", "500"]
    assert app(args=args, standalone_mode=False) == 130
    err = capsys.readouterr().err
    landed = sum(calls)
    assert f"2 batch(es), {landed} entries were appended and signed" in err
    assert _size(log) == landed < total
    monkeypatch.setattr(Log, "append", real)
    assert _append(log, data, key, "--batch-rows", "500") == 0
    out = capsys.readouterr().out
    assert f"{total - landed} entries appended; log size {total}" in out
    rep = audit_log(log)
    assert rep.ok and not rep.duplicates


def test_entitlements_under_a_newer_rules_file_with_the_same_amounts_are_already_logged(
    setup, tmp_path, capsys
):
    data, log, key = setup
    assert _append(log, data, key) == 0
    rules = load_rules(None)
    newer = tmp_path / "rules.yaml"
    text = (resources.files("payproof.rules") / "builtin" / "kz-large-family.yaml").read_text()
    newer.write_text(text + "\n# a newer copy: same amounts, another sha256\n", encoding="utf-8")
    assert load_rules(newer).sha256 != rules.sha256
    capsys.readouterr()
    assert _append(log, data, key, "--rules", str(newer)) == 0
    out = capsys.readouterr().out
    assert "entitlements: 0 new, " in out and "0 batch(es), 0 entries appended" in out
