"""tlog-tiles storage: TV-10 reproduced byte for byte, proofs from tiles, locking, attacks."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from payproof.errors import BusyError, VerificationError
from payproof.ledger import merkle, note
from payproof.ledger.storage import CRASH_STEPS, Log
from payproof.ledger.tiles import TileReader, dir_fetch, tile_path
from tests.ledger.conftest import VECTORS, load_json

TV10 = load_json("note_vectors.json")["tv10"]


def test_tile_paths_tv16():
    assert tile_path(0, 0) == "tile/0/000"
    assert tile_path(0, 0, 5) == "tile/0/000.p/5"
    assert tile_path(0, 1000) == "tile/0/x001/000"
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(0, 273, 112) == "tile/0/273.p/112"
    assert tile_path(1, 1, 17) == "tile/1/001.p/17"
    assert tile_path(2, 0, 1) == "tile/2/000.p/1"
    assert tile_path("entries", 0) == "tile/entries/000"
    assert tile_path("entries", 1234067, 200) == "tile/entries/x001/x234/067.p/200"


def test_tv10_tessera_log_reproduced_byte_for_byte(tmp_path):
    signer = note.parse_private_key(TV10["private"])
    log = Log.create(tmp_path / "log", signer, fsync=False)
    pub = tmp_path / "log" / "public"
    assert (pub / "checkpoint").read_text() == (VECTORS / "tessera/checkpoint.0").read_text()
    for i, e in enumerate(TV10["entries"], start=1):
        log.append([e.encode()])
        want = (VECTORS / f"tessera/checkpoint.{i}").read_text(encoding="utf-8")
        assert (pub / "checkpoint").read_text(encoding="utf-8") == want
    bundle = bytes.fromhex((VECTORS / "tessera/entries-000.p-15.hex").read_text().strip())
    assert (pub / "tile/entries/000.p/15").read_bytes() == bundle
    tile0 = (pub / "tile/0/000.p/15").read_bytes()
    assert hashlib.sha256(tile0).hexdigest() == TV10["tile0_sha256"]
    files = sorted(str(p.relative_to(pub)) for p in pub.rglob("*") if p.is_file())
    want_files = ["checkpoint"] + sorted(
        [f"tile/0/000.p/{w}" for w in range(1, 16)]
        + [f"tile/entries/000.p/{w}" for w in range(1, 16)]
    )
    assert files == sorted(want_files)
    # Each earlier partial is the prefix Tessera kept.
    for w in range(1, 16):
        assert (pub / f"tile/0/000.p/{w}").read_bytes() == tile0[: 32 * w]


def test_tv14_proofs_from_tessera_tiles(tmp_path):
    import base64

    signer = note.parse_private_key(TV10["private"])
    log = Log.create(tmp_path / "log", signer, fsync=False)
    log.append([e.encode() for e in TV10["entries"]])
    proof = [base64.b64encode(h).decode() for h in log.inclusion_proof(4)]
    tlog_proof = (VECTORS / "tv14_tlog_proof.txt").read_text().split("\n")
    assert proof == tlog_proof[2:6]
    assert [base64.b64encode(h).decode() for h in log.consistency_proof(8)] == [
        "5jLpqTgjsBDSEX6SgZiRnbTMdTuRd8bQ5tSsAOxe0Ks="
    ]


def test_appends_in_odd_batches_match_in_memory_tree(tmp_path):
    log = Log.create(tmp_path / "log", note.generate_key("t.example/log"), fsync=False)
    entries: list[bytes] = []
    for batch in [1, 255, 1, 512, 3, 65536 - 772, 700]:
        new = [b"e%d" % (len(entries) + i) for i in range(batch)]
        entries += new
        log.append(new)
        assert log.root_hash == merkle.tree_hash(merkle.leaf_hashes(entries))
    hashes = merkle.leaf_hashes(entries)
    reader = TileReader(dir_fetch(tmp_path / "log/public"), log.size)
    for i in [0, 255, 256, 65535, 65536, log.size - 1]:
        proof = merkle.inclusion_proof(i, log.size, reader.node)
        merkle.verify_inclusion(i, log.size, hashes[i], proof, log.root_hash)
    for s1 in [1, 256, 1000, 65536, log.size - 1]:
        proof = log.consistency_proof(s1)
        merkle.verify_consistency(s1, log.size, proof, merkle.tree_hash(hashes[:s1]), log.root_hash)
    small = TileReader(dir_fetch(tmp_path / "log/public"), log.size)
    merkle.inclusion_proof(12345, log.size, small.node)
    assert small.tiles_read <= 6  # O(log n): about one tile per 8 levels plus the edge
    assert Log.open(tmp_path / "log").entries(0, log.size) == entries


def test_second_writer_gets_busy_error(tmp_path):
    signer = note.generate_key("t.example/log")
    log = Log.create(tmp_path / "log", signer, fsync=False)
    with pytest.raises(BusyError):
        Log.open(tmp_path / "log", signer=signer, write=True)
    code = (
        "import sys; from payproof.ledger.storage import Log; from payproof.ledger import note;"
        "from payproof.errors import BusyError\n"
        f"s = note.parse_private_key({signer.private_key_string!r})\n"
        "try:\n"
        f"    Log.open({str(tmp_path / 'log')!r}, signer=s, write=True)\n"
        "except BusyError:\n    sys.exit(7)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], env=_env(), timeout=60)
    assert r.returncode == 7
    log.close()
    Log.open(tmp_path / "log", signer=signer, write=True).close()


def test_never_signs_two_trees_of_same_size(tmp_path):
    signer = note.generate_key("t.example/log")
    log = Log.create(tmp_path / "log", signer, fsync=False)
    log.append([b"a", b"b"])
    with pytest.raises(VerificationError, match="second, different tree"):
        log._sign_tree(2, b"\x00" * 32)
    with pytest.raises(VerificationError, match="refusing"):
        log._sign_tree(1, b"\x00" * 32)


def test_wrong_key_cannot_write(tmp_path):
    Log.create(tmp_path / "log", note.generate_key("t.example/log"), fsync=False).close()
    with pytest.raises(VerificationError, match="does not belong"):
        Log.open(tmp_path / "log", signer=note.generate_key("t.example/log"), write=True)


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


CRASH_SCRIPT = """
import sys
from payproof.ledger.storage import Log
from payproof.ledger import note
s = note.parse_private_key(sys.argv[2])
log = Log.open(sys.argv[1], signer=s, write=True)
start = log.size
log.append([b"batch-%d-%d" % (start, i) for i in range(int(sys.argv[3]))])
print("returned", log.size, flush=True)
"""


@pytest.mark.parametrize("step", CRASH_STEPS)
def test_crash_at_each_step_loses_nothing_returned(tmp_path, step):
    signer = note.generate_key("t.example/log")
    Log.create(tmp_path / "log", signer).close()
    args = [sys.executable, "-c", CRASH_SCRIPT, str(tmp_path / "log"), signer.private_key_string]
    ok = subprocess.run(args + ["300"], env=_env(), capture_output=True, text=True, timeout=60)
    assert "returned 300" in ok.stdout
    env = _env() | {"PAYPROOF_LEDGER_CRASH_AT": step}
    crashed = subprocess.run(args + ["600"], env=env, capture_output=True, text=True, timeout=60)
    assert crashed.returncode == -9 and "returned" not in crashed.stdout
    log = Log.open(tmp_path / "log", signer=signer, write=True)
    assert log.size in (300, 900)  # the batch is all or nothing
    if step in ("after-signed", "after-checkpoint"):
        assert log.size == 900  # its tree was recorded for signing: published on recovery
    entries = log.entries(0, log.size)
    assert entries[:300] == [b"batch-0-%d" % i for i in range(300)]
    assert log.reader().root() == log.root_hash == merkle.tree_hash(merkle.leaf_hashes(entries))
    log.append([b"after-crash"])
    from payproof.ledger.audit import audit_log

    assert audit_log(tmp_path / "log").ok
