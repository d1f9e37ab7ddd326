"""Entries, receipts, witnesses and audit end to end, with the issue's attacks."""

from __future__ import annotations

import json
import threading

import pytest

from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.errors import VerificationError
from payproof.ledger import entries as E
from payproof.ledger import note
from payproof.ledger.append import append_from_engine
from payproof.ledger.audit import audit_log
from payproof.ledger.policy import parse_policy
from payproof.ledger.receipt import make_receipt, parse_tlog_proof, verify_receipt
from payproof.ledger.storage import Log
from payproof.ledger.witness import Witness, cosign_with, gather_cosignatures, serve
from tests.ledger.conftest import VECTORS


@pytest.fixture
def engine():
    eng = DuckDBEngine()
    cur = eng.con.cursor()
    cur.execute(
        """CREATE TABLE disbursements AS SELECT 'P' || range AS payment_id,
        'F' || (range % 97) AS family_id, '2024-0' || (1 + range % 9) AS period,
        CAST(4676000 + range AS BIGINT) AS amount, DATE '2024-01-05' AS paid_on,
        'OF' || (range % 5) AS office_id,
        CASE WHEN range % 3 = 0 THEN NULL ELSE 'S' || (range % 7) END AS staff_id,
        'bank' AS channel, CASE WHEN range % 2 = 0 THEN NULL ELSE 'KZ' || range END AS account
        FROM range(700)"""
    )
    cur.execute(
        """CREATE TABLE receipts AS SELECT 'R1' receipt_id, 'F1' family_id, '2024-01' period,
        CAST(100 AS BIGINT) amount, DATE '2024-02-01' reported_on, 'survey' source"""
    )
    cur.execute(
        """CREATE TABLE entitlements AS SELECT 'F1' family_id, '2024-01' period,
        CAST(4676000 AS BIGINT) amount, 'kz@1' rules, repeat('ab', 32) rules_sha256"""
    )
    cur.execute(
        """CREATE TABLE grievances AS SELECT 'G1' grievance_id, 'F1' family_id,
        DATE '2024-02-01' filed_on, 'bribe_demanded' category, '2024-01' period,
        CAST(500000 AS BIGINT) amount_claimed, 'S"3' staff_id,
        'Clerk S3 kept 30% of my allowance' description"""
    )
    return eng


@pytest.fixture
def log(tmp_path, engine):
    signer = note.generate_key("gov.example/payproof/allowance")
    lg = Log.create(tmp_path / "log", signer, fsync=False)
    done = append_from_engine(lg, engine, batch_rows=300)
    counts = {t: p.appended for t, p in done.plans.items()}
    assert counts == {"entitlements": 1, "disbursements": 700, "receipts": 1, "grievances": 1}
    return lg


def test_entries_are_canonical_and_private(log):
    public = b"".join(p.read_bytes() for p in (log.public).rglob("*") if p.is_file())
    assert b"KZ1" not in public and b'"F1"' not in public and b"Clerk" not in public
    e = E.decode_entry(log.entry(1))
    assert e["type"] == "payment" and e["amount"] == 4676000 and "family_id" not in e
    assert len(e["family_id_commitment"]) == 64
    g = E.decode_entry(log.entry(log.size - 1))
    assert g["staff_id"] == 'S"3' and len(g["narrative_sha256"]) == 64
    op = log.find_opening("G1")
    blob = (log.private / "blobs" / f"{op['narrative_sha256']}.bin").read_bytes()
    assert E.open_narrative(blob, op["narrative_key"]).startswith("Clerk S3")
    with pytest.raises(VerificationError):
        E.decode_entry(log.entry(1).replace(b'","', b'", "', 1))


def test_commitments_use_fresh_salts():
    import pyarrow as pa

    t = pa.table(
        {
            "family_id": ["F1", "F1"],
            "period": ["2024-01"] * 2,
            "amount": [1, 1],
            "rules": ["kz@1"] * 2,
            "rules_sha256": [None, None],
        }
    )
    enc = E.encode_batch(E.KINDS["entitlements"], t)
    assert enc.entries[0] != enc.entries[1]
    fixed = E.encode_batch(E.KINDS["entitlements"], t, salts=b"\x01" * 64)
    assert fixed.entries[0] == fixed.entries[1]
    assert E.commitment("family_id", b"\x01" * 32, "F1") in fixed.entries[0].decode()


def test_receipt_roundtrip_and_tampering(log):
    r = make_receipt(log, "P5")
    v = verify_receipt(json.loads(json.dumps(r)), log.verifier)
    assert (
        v.entry["payment_id"] == "P5"
        and "VALID" in v.explain()
        and v.opened == ["family_id", "account"]
    )
    bad_entry = dict(r, entry=r["entry"].replace("4676005", "4676006"))
    with pytest.raises(VerificationError, match="does not lead to the tree's root"):
        verify_receipt(bad_entry, log.verifier)
    bad_opening = dict(r, opening=dict(r["opening"], family_id="F2"))
    with pytest.raises(VerificationError, match="family_id"):
        verify_receipt(bad_opening, log.verifier)
    lines = r["tlog_proof"].split("\n")
    short = dict(r, tlog_proof="\n".join(lines[:2] + lines[3:]))
    with pytest.raises(VerificationError, match="expected exactly"):
        verify_receipt(short, log.verifier)
    with pytest.raises(VerificationError, match="not signed by any trusted key"):
        verify_receipt(r, note.generate_key(log.origin).verifier)


def test_tv14_tlog_proof_parses():
    p = parse_tlog_proof((VECTORS / "tv14_tlog_proof.txt").read_text(encoding="utf-8"))
    assert p.index == 4 and len(p.hashes) == 4
    assert p.serialize() == (VECTORS / "tv14_tlog_proof.txt").read_text(encoding="utf-8")
    assert parse_tlog_proof("c2sp.org/tlog-proof@v1\nindex 0\n\ncheckpoint\n").hashes == []


def _witness(tmp_path, log, name="ngo.example/w1"):
    seed = bytes(range(32)) if name.endswith("1") else bytes(32)
    signer = note.CosignatureSigner(name, seed)
    return Witness(tmp_path / name.replace("/", "_"), signer, [log.verifier]), signer


def test_witness_cosigns_and_refuses_fork_and_rollback(tmp_path, log):
    w, wsigner = _witness(tmp_path, log)
    sig, msg = cosign_with(log, w.add_checkpoint)
    assert msg == "cosigned" and sig.startswith("\u2014 ngo.example/w1 ")
    old_cp = (log.public / "checkpoint").read_text()
    log.append([b"later entry"])
    sig, msg = cosign_with(log, w.add_checkpoint, known_size=0)  # follows the 409
    assert msg == "cosigned"
    assert w.latest(log.origin)[0] == log.size
    # Rollback: present the older, smaller checkpoint.
    from payproof.ledger.witness import request_body

    r = w.add_checkpoint(request_body(log.size, [], old_cp))
    assert r.status == 400
    r = w.add_checkpoint(request_body(log.size - 1, [], old_cp))
    assert r.status == 409
    # Fork: the same key signs a different tree of the same and of a larger size.
    from payproof.ledger.checkpoint import Checkpoint

    forked = Checkpoint(log.origin, log.size, b"\x07" * 32).sign([log.signer])
    assert w.add_checkpoint(request_body(log.size, [], forked)).status == 422
    bigger = Checkpoint(log.origin, log.size + 1, b"\x07" * 32).sign([log.signer])
    proof = log.consistency_proof(log.size - 1)
    assert w.add_checkpoint(request_body(log.size, proof, bigger)).status == 422
    unknown = Checkpoint(log.origin, log.size + 1, b"\x07" * 32).sign(
        [note.generate_key(log.origin)]
    )
    assert w.add_checkpoint(request_body(log.size, [], unknown)).status == 403
    other = Checkpoint("other.example/log", 1, b"\x07" * 32).sign([note.generate_key("x.y")])
    assert w.add_checkpoint(request_body(0, [], other)).status == 404
    assert w.add_checkpoint(b"garbage").status == 400


def test_http_witness_and_policy_quorum(tmp_path, log):
    w1, s1 = _witness(tmp_path, log, "ngo.example/w1")
    w2, s2 = _witness(tmp_path, log, "paper.example/w2")
    servers = [serve(w1), serve(w2)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    try:
        urls = [f"http://127.0.0.1:{s.server_address[1]}" for s in servers]
        policy_text = (
            f"log {log.verifier.vkey}\n"
            f"witness ngo {s1.vkey} {urls[0]}\nwitness paper {s2.vkey} {urls[1]}\n"
            "group both all ngo paper\nquorum both\n"
        )
        policy = parse_policy(policy_text)
        cosigned, results = gather_cosignatures(log, policy)
        assert results == {"ngo": "cosigned", "paper": "cosigned"}
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()
    r = make_receipt(log, "G1")
    v = verify_receipt(r, log.verifier, policy)
    assert v.cosigners == ["ngo.example/w1", "paper.example/w2"]
    rep = audit_log(log.root, policy=policy)
    assert rep.ok and rep.quorum_met
    one = parse_policy(policy_text.replace("all ngo paper", "2 ngo paper"))
    assert one.satisfied({(s1.name, s1.key_id), (s2.name, s2.key_id)})
    assert not one.satisfied({(s1.name, s1.key_id)})
    log.append([b"uncosigned"])
    with pytest.raises(VerificationError, match="witness cosignatures"):
        verify_receipt(make_receipt(log, "G1"), log.verifier, policy)


def test_policy_parser_rejects_bad_lines():
    from payproof.errors import InputError

    for bad in [
        "quorum nobody\n",
        "witness a notakey\nquorum a\n",
        "frobnicate\nquorum none\n",
        "",
    ]:
        with pytest.raises(InputError):
            parse_policy(bad)
    assert parse_policy("# none needed\nquorum none\n").satisfied(set())


def test_audit_finds_exactly_what_was_altered(log):
    assert audit_log(log.root).ok
    pub = log.public
    # Edited entry in a full bundle.
    bundle = pub / "tile/entries/000"
    data = bundle.read_bytes()
    idx = next(i for i, e in enumerate(log.entries(0, 256)) if b"4676003" in e)
    bundle.write_bytes(data.replace(b"4676003", b"4676903", 1))
    rep = audit_log(log.root)
    assert not rep.ok and any(f"entry {idx} (in tile/entries/000)" in p for p in rep.problems)
    bundle.write_bytes(data)
    # Corrupted tile: one flipped byte in a level-0 tile.
    tile = pub / "tile/0/001"
    t = tile.read_bytes()
    tile.write_bytes(t[:40] + bytes([t[40] ^ 1]) + t[41:])
    rep = audit_log(log.root)
    assert any("entry 257" in p and "tile/0/001" in p for p in rep.problems)
    # Truncated tile.
    tile.write_bytes(t[:100])
    rep = audit_log(log.root)
    assert any("tile/0/001 is truncated" in p for p in rep.problems)
    tile.write_bytes(t)
    # Truncated entry bundle.
    bundle.write_bytes(data[:-5])
    assert any("truncated" in p for p in audit_log(log.root).problems)
    bundle.write_bytes(data)
    # Replaced checkpoint (signed by another key).
    cp = (pub / "checkpoint").read_text()
    from payproof.ledger.checkpoint import Checkpoint

    other = Checkpoint(log.origin, log.size, log.root_hash).sign([note.generate_key(log.origin)])
    (pub / "checkpoint").write_text(other)
    assert any("not signed by any trusted key" in p for p in audit_log(log.root).problems)
    (pub / "checkpoint").write_text(cp)
    assert audit_log(log.root).ok


ROOT_MISMATCH = (
    "the root recomputed from the entries does not match the signed checkpoint: "
    "entries were altered, added or removed (see the entry problems above)"
)


def _flip(path, pos: int) -> bytes:
    data = path.read_bytes()
    path.write_bytes(data[:pos] + bytes([data[pos] ^ 1]) + data[pos + 1 :])
    return data


def test_audit_names_exactly_what_changed_and_nothing_else(log):
    """One flipped entry in the partial bundle: older partial tiles and bundles (unchanged)
    are not reported as altered (issue 9, defect 12)."""
    pub, w = log.public, log.size % 256
    assert log.size // 256 == 2 and any((pub / "tile/0/002.p").iterdir())
    rel, trel = f"tile/entries/002.p/{w}", f"tile/0/002.p/{w}"
    entries = log.entries(512, log.size)
    i = next(k for k, e in enumerate(entries) if b'"amount":4676600' in e)
    data = (pub / rel).read_bytes()
    pos = data.index(b'"amount":4676600') + len(b'"amount":467660')
    original = _flip(pub / rel, pos)
    rep = audit_log(log.root)
    assert rep.problems == [
        f"entry {512 + i} (in {rel}) was altered: its leaf hash differs from {trel}, "
        "which the signed root confirms",
        ROOT_MISMATCH,
    ]
    (pub / rel).write_bytes(original)
    # A flipped hash in a full level-0 tile: the tile, not the entry nor the tile above.
    original = _flip(pub / "tile/0/001", 32 + 5)
    rep = audit_log(log.root)
    assert rep.problems == [
        "tile/0/001 was altered: its hash of entry 257 differs from the entry in "
        "tile/entries/001, which the signed root confirms"
    ]
    (pub / "tile/0/001").write_bytes(original)
    # An older partial tile altered: only that file.
    old = sorted((pub / "tile/0/002.p").iterdir(), key=lambda p: int(p.name))[0]
    original = _flip(old, 0)
    assert audit_log(log.root).problems == [
        f"tile/0/002.p/{old.name} (an older partial tile) was altered"
    ]
    old.write_bytes(original)
    assert audit_log(log.root).ok


def test_a_broken_full_bundle_is_named_and_its_older_partial_bundle_is_not(log):
    """A flip in a length prefix makes a full bundle undecodable: that bundle is named, and
    the older partial bundle beside it, which the stored tiles confirm, is not (it was
    reported as altered)."""
    pub = log.public
    older = [p.name for p in (pub / "tile/entries/001.p").iterdir()]
    assert older, "the fixture's second bundle was partial once"
    original = _flip(pub / "tile/entries/001", 0)  # the first entry's length
    problems = audit_log(log.root).problems
    assert len(problems) == 1 and problems[0].startswith(
        "tile/entries/001 is truncated or corrupted"
    ), problems
    (pub / "tile/entries/001").write_bytes(original)
    assert audit_log(log.root).ok


def test_public_duplicates_read_escaped_ids_and_index_digests_are_private(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from payproof.ledger.duplicates import PublicIds

    t = pa.table(
        {
            "payment_id": ['P"1', "П-2", 'P"1'],
            "family_id": ["F1"] * 3,
            "period": ["2024-01"] * 3,
            "amount": pa.array([1, 2, 1], pa.int64()),
            "paid_on": pa.array([None] * 3, pa.date32()),
            "office_id": ["O"] * 3,
            "staff_id": [None] * 3,
            "channel": ["cash"] * 3,
            "account": [None] * 3,
        }
    )
    enc = E.encode_batch(E.KINDS["disbursements"], t)
    ids = PublicIds()
    ids.add(10, enc.entries)
    assert ids.duplicates() == [("payment", 'P"1', [10, 12])]
    # Same record, same content digest, though the salted entries differ.
    digests = enc.private.column("content_sha256").to_pylist()
    assert digests[0] == digests[2] != digests[1] and len(digests[0]) == 32
    assert enc.entries[0] != enc.entries[2]
    log = Log.create(tmp_path / "log", note.generate_key("t.example/log"), fsync=False)
    log.append(enc.entries, enc.private)
    (opening,) = (tmp_path / "log/private/openings").glob("*.parquet")
    assert "content_sha256" not in pq.read_table(opening).column_names
    assert not any(b"content" in p.read_bytes() for p in log.public.rglob("*") if p.is_file())


def test_interrupted_inside_a_batch_rolls_back_and_a_rerun_completes(tmp_path, engine, monkeypatch):
    """Ctrl-C in the middle of a batch: the half-written batch is not in the log after
    recovery, its openings and record index are rolled back, and a rerun adds the rest."""
    from payproof.ledger.append import AppendProgress

    signer = note.generate_key("gov.example/payproof/allowance")
    root = tmp_path / "log"
    lg = Log.create(root, signer, fsync=False)
    real = Log._write_tiles
    calls = []

    def interrupted(self, w, start, hashes):
        if calls:
            raise KeyboardInterrupt  # after the bundles, before the tiles and the checkpoint
        calls.append(start)
        return real(self, w, start, hashes)

    monkeypatch.setattr(Log, "_write_tiles", interrupted)
    progress = AppendProgress()
    with pytest.raises(KeyboardInterrupt):
        append_from_engine(lg, engine, batch_rows=300, progress=progress)
    monkeypatch.setattr(Log, "_write_tiles", real)
    assert (progress.batches, progress.entries, progress.size) == (1, 1, 1)
    assert (root / "private" / "pending.json").exists()
    with pytest.raises(VerificationError, match="stopped part-way"):
        lg.append([b"more"])  # this handle's view of the right edge is stale
    lg.close()
    lg = Log.open(root, signer=signer, write=True)  # recovery rolls the half batch back
    assert lg.size == 1 and Log.open(root).size == 1
    for folder in ("openings", "index"):
        ends = [int(f.stem.split("-")[1]) for f in (root / "private" / folder).glob("*")]
        assert ends == [1]
    done = append_from_engine(lg, engine, batch_rows=300)
    plans = done.plans
    assert plans["entitlements"].already == 1 and plans["disbursements"].new == 700
    assert lg.size == 703
    rep = audit_log(root)
    assert rep.ok and not rep.duplicates


def test_record_index_is_rebuilt_from_the_sidecar(log, engine):
    """A lost index is rebuilt (same digests: nothing is new or changed); a grievance whose
    narrative blob is gone (crypto-shredded) cannot be compared and counts as logged."""
    import shutil

    shutil.rmtree(log.private / "index")
    for blob in (log.private / "blobs").iterdir():
        blob.unlink()
    size = log.size
    done = append_from_engine(log, engine, batch_rows=300)
    assert {t: (p.new, p.changed) for t, p in done.plans.items()} == {
        t: (0, 0) for t in ("entitlements", "disbursements", "receipts", "grievances")
    }
    assert done.plans["grievances"].already == 1 and log.size == size
    engine.execute("UPDATE disbursements SET amount = amount + 1 WHERE payment_id = 'P7'")
    from payproof.ledger.append import ChangedRecordsError

    with pytest.raises(ChangedRecordsError, match="disbursements P7: logged at entry"):
        append_from_engine(log, engine, batch_rows=300)
    assert log.size == size


def test_a_row_stream_that_ends_early_is_an_error_not_a_success(tmp_path, engine):
    """If the database stops the row stream early (an interrupt it swallowed), the append
    fails and says so instead of reporting the part it read as the whole table."""
    from payproof.errors import InputError

    class Stops:
        def __init__(self, cur):
            self.cur = cur

        def __getattr__(self, name):
            return getattr(self.cur, name)

        def sql(self, query):
            rel = self.cur.sql(query)

            class Rel:
                def to_arrow_reader(self, n):
                    return iter(list(rel.to_arrow_reader(n))[:1])

            return Rel() if "content_sha256 FROM disbursements" in query else rel

    class Con:
        def __init__(self, con):
            self.con = con

        def cursor(self):
            return Stops(self.con.cursor())

    class Engine:
        con = Con(engine.con)

    lg = Log.create(tmp_path / "log", note.generate_key("t.example/log"), fsync=False)
    with pytest.raises(InputError, match="300 of 700 new records were read"):
        append_from_engine(lg, Engine(), ["disbursements"], batch_rows=300)
    assert lg.size == 300


def test_content_digest_follows_the_documented_encoding():
    """docs/ledger-format.md, Record index: recomputed here with hashlib, independently of
    the SQL, so a change of the encoding (which would make every logged record look
    changed) cannot pass unnoticed."""
    import hashlib

    import pyarrow as pa

    from payproof.ledger.index import content_digests

    t = pa.table(
        {
            "grievance_id": ["G1"],
            "filed_on": pa.array([19723], pa.date32()),  # 2024-01-01
            "category": ["бюро"],
            "period": pa.array([None], pa.string()),
            "amount_claimed": pa.array([5], pa.int64()),
            "staff_id": pa.array([None], pa.string()),
            "family_id": ["F|1:"],
            "description": [""],
        }
    )
    fields = ["G1", "2024-01-01", "бюро", None, "5", None, "F|1:", None]
    text = b"payproof/ledger/content/v1|grievance"
    for v in fields:
        text += b"|:" if v is None else b"|%d:%s" % (len(v.encode()), v.encode())
    got = content_digests(E.KINDS["grievances"], t).to_pylist()
    assert got == [hashlib.sha256(text).digest()]
