"""The ``payproof ledger`` commands end to end (ingest is stubbed until it lands)."""

from __future__ import annotations

import payproof.ingest
from payproof.cli import main
from payproof.ingest.load import TABLE_ORDER, IngestReport, TableReport


def _fake_load_input(input_dir, engine, **_options):  # e.g. mapping=
    cur = engine.con.cursor()
    cur.execute(
        """CREATE OR REPLACE TABLE disbursements AS SELECT 'P' || range AS payment_id,
        'F1' AS family_id, '2024-01' AS period, CAST(4676000 AS BIGINT) AS amount,
        DATE '2024-01-05' AS paid_on, 'OF1' AS office_id, 'S1' AS staff_id, 'cash' AS channel,
        NULL AS account FROM range(10)"""
    )
    cur.execute(
        """CREATE OR REPLACE TABLE receipts (receipt_id VARCHAR, family_id VARCHAR,
        period VARCHAR, amount BIGINT, reported_on DATE, source VARCHAR)"""
    )
    cur.execute("CREATE OR REPLACE TABLE children (family_id VARCHAR)")
    report = IngestReport({t: TableReport(t) for t in TABLE_ORDER})
    report.tables["disbursements"].file = "disbursements.csv"
    return report


def test_cli_flow(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(payproof.ingest, "load_input", _fake_load_input, raising=False)
    keys = tmp_path / "keys"
    assert main(["ledger", "keygen", "gov.example/payproof/allowance", "--out", str(keys)]) == 0
    key = keys / "gov.example_payproof_allowance.key"
    vkey = keys / "gov.example_payproof_allowance.vkey"
    log = str(tmp_path / "log")
    assert main(["ledger", "init", log, "--key", str(key)]) == 0
    assert main(["ledger", "append", log, str(tmp_path), "--key", str(key)]) == 0
    assert "disbursements: 10 new, 0 already logged" in capsys.readouterr().out
    rec = tmp_path / "r.json"
    assert main(["ledger", "receipt", log, "P3", "--out", str(rec)]) == 0
    assert main(["ledger", "verify-receipt", str(rec), "--vkey", str(vkey)]) == 0
    assert "VALID" in capsys.readouterr().out
    assert main(["ledger", "audit", log]) == 0
    assert main(["ledger", "prove-inclusion", log, "3"]) == 0
    assert main(["ledger", "prove-consistency", log, "4"]) == 0
    assert main(["ledger", "checkpoint", log]) == 0
    # A second writer while the first holds the lock exits with the busy code.
    from payproof.ledger.note import parse_private_key
    from payproof.ledger.storage import Log

    with Log.open(tmp_path / "log", signer=parse_private_key(key.read_text()), write=True):
        assert main(["ledger", "append", log, str(tmp_path), "--key", str(key)]) == 7
    other = tmp_path / "other"
    main(["ledger", "keygen", "gov.example/payproof/allowance", "--out", str(other)])
    bad = main(["ledger", "verify-receipt", str(rec), "--vkey", str(other / vkey.name)])
    assert bad == 6
    (tmp_path / "log/public/tile/entries/000.p/10").write_bytes(b"\x00\x01x")
    assert main(["ledger", "audit", log]) == 6
