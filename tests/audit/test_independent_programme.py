"""The independently written programme of bench/independent_programme.py passes the audit.

The bench's generator was written from the data contract alone (not payproof.scenario);
on a tiny programme its files must be read without a single reject or warning, and the
audit must score against its truth (a collusive office flagged, no money lost in ingest).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location(
        "independent_programme", ROOT / "bench" / "independent_programme.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


def test_independent_programme_passes_the_audit_without_rejects(tmp_path):
    bench = _bench()
    folder, out = tmp_path / "input", tmp_path / "out"
    summary = bench.generate(folder, seed=3, profile="wide", lo=300, hi=900)
    assert 300 <= summary["families"] <= 900
    bench.audit(folder, out)
    result = bench.score(folder, out)
    assert result["rejects"] == 0, result["reject_examples"]
    assert result["found"]["collusive office"] == result["total"]["collusive office"] == 1
    # every line the generator wrote reached the audit: disbursed money adds up to the tiyn
    paid = sum(int(r["amount"].replace(".", "")) for r in bench._read(folder / "disbursements.csv"))
    audited = sum(int(r["disbursed"].replace(".", "")) for r in bench._read(out / "offices.csv"))
    assert audited == paid
