"""`payproof ledger append` on a real input folder, through the real ingest step."""

from pathlib import Path

from payproof.cli import main
from payproof.ledger.audit import audit_log
from payproof.scenario.config import ScenarioConfig
from payproof.scenario.generate import generate_scenario


def test_append_generated_programme_then_audit(tmp_path: Path, capsys):
    data = tmp_path / "programme"
    generate_scenario(data, ScenarioConfig(families=300, bad_rows=10))
    keys, log = tmp_path / "keys", tmp_path / "log"
    assert main(["ledger", "keygen", "example.org/payproof/test", "--out", str(keys)]) == 0
    key = str(next(keys.glob("*.key")))
    assert main(["ledger", "init", str(log), "--key", key]) == 0
    assert main(["ledger", "append", str(log), str(data), "--key", key]) == 0
    out = capsys.readouterr().out
    lines = sum(1 for _ in (data / "disbursements.csv").open()) - 1
    # Bad rows are rejected by ingest and never reach the public log.
    logged = int(out.split("disbursements: ")[1].split()[0])
    assert 0 < logged < lines
    assert audit_log(log).ok
