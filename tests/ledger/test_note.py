"""Signed notes, keys, checkpoints and cosignatures (TV-7, 8, 9, 10, 12, 13, 15)."""

from __future__ import annotations

import base64

import pytest

from payproof.errors import VerificationError
from payproof.ledger import note as N
from payproof.ledger.checkpoint import Checkpoint, open_checkpoint, parse_body
from tests.ledger.conftest import VECTORS, load_json

V = load_json("note_vectors.json")


def test_tv7_spec_example():
    v = N.parse_vkey(V["tv7"]["vkey"])
    assert v.public.hex() == "e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4"
    note = N.open_note(V["tv7"]["note"], [v])
    assert note.text == V["tv7"]["text"]
    assert v.vkey == V["tv7"]["vkey"]


def test_tv8_sign_byte_identical_and_keys_roundtrip():
    tv = V["tv8"]
    peter = N.parse_private_key(tv["private"])
    enoch = N.parse_private_key(tv["enoch_private"])
    assert peter.vkey == tv["vkey"] and enoch.vkey == tv["enoch_vkey"]
    assert peter.private_key_string == tv["private"]
    assert N.sign_note(tv["text"], [peter, enoch]) == tv["signed_both"]
    note = N.open_note(tv["signed_both"], [N.parse_vkey(tv["vkey"])])
    assert [s.name for s in note.sigs] == ["PeterNeumann"]
    assert [s.name for s in note.unverified] == ["EnochRoot"]


def _peter_signed():
    tv = V["tv8"]
    return tv["text"], N.sign_note(tv["text"], [N.parse_private_key(tv["private"])])


def test_tv8_negative_cases():
    tv = V["tv8"]
    text, signed = _peter_signed()
    peter = N.parse_vkey(tv["vkey"])
    sigline = signed[len(text) + 1 :]
    bad = [
        text + "\n" + sigline * 101,  # 101 signatures
        text,  # no signature block
        text + "\n",  # blank line only
        signed[:-1],  # missing final newline
        "\x01" + signed,  # control character
        text + "\n" + sigline.replace("PeterNeumann", "Bad Name"),
        signed + "Unexpected line.\n",
        "a\tb\n\n" + sigline,
    ]
    for msg in bad:
        with pytest.raises(VerificationError):
            N.open_note(msg, [peter])
    with pytest.raises(VerificationError):
        N.open_note(b"\xff" + signed.encode(), [peter])
    tampered = text + "\n" + sigline[:60] + "ABCD" + sigline[60:]
    with pytest.raises(VerificationError, match="invalid signature for key PeterNeumann"):
        N.open_note(tampered, [peter])
    # 100 identical signatures are accepted (duplicates ignored).
    N.open_note(text + "\n" + sigline * 100, [peter])
    enoch = N.parse_vkey(tv["enoch_vkey"])
    with pytest.raises(VerificationError, match="ambiguous"):
        N.open_note(signed, [enoch, enoch])
    with pytest.raises(VerificationError, match="not signed by any trusted key"):
        N.open_note(signed, [enoch])


def test_tv8_bad_vkeys_and_mutations():
    for bad in V["tv8"]["bad_vkeys"]:
        with pytest.raises(VerificationError):
            N.parse_vkey(bad)
    good = V["tv8"]["vkey"]
    for i in range(len(good)):
        with pytest.raises(VerificationError):
            N.parse_vkey(good[:i])
        mutated = good[:i] + chr(ord(good[i]) + 1) + good[i + 1 :]
        with pytest.raises(VerificationError):
            N.parse_vkey(mutated)


def test_tv9_key_pairs():
    pairs = V["tv9"]["key_pairs"]
    for vkey, skey in zip(pairs[::2], pairs[1::2], strict=True):
        assert N.parse_private_key(skey).vkey == vkey


def test_tv9_checkpoint_bodies():
    for origin, size, h, body in V["tv9"]["checkpoints"]:
        cp = Checkpoint(origin, size, h.encode())
        assert cp.body() == body
        assert parse_body(body) == cp
    for bad in V["tv9"]["bad_checkpoints"]:
        with pytest.raises(VerificationError):
            parse_body(bad)
    assert parse_body("Log\n1\nYmFuYW5hcw==\next one\n").extensions == ("ext one",)


def test_tv10_checkpoints_resigned_byte_identical():
    tv = V["tv10"]
    signer = N.parse_private_key(tv["private"])
    assert signer.vkey == tv["vkey"] and signer.seed.hex() == tv["seed_hex"]
    v = N.parse_vkey(tv["vkey"])
    for n in range(16):
        raw = (VECTORS / "tessera" / f"checkpoint.{n}").read_text(encoding="utf-8")
        sc = open_checkpoint(raw, [v])
        assert sc.checkpoint.size == n
        assert sc.checkpoint.sign([signer]) == raw


def test_tv10_unknown_key_and_replaced_checkpoint_rejected():
    v = N.parse_vkey(V["tv10"]["vkey"])
    other = N.generate_key("example.com/log/testdata")
    raw = (VECTORS / "tessera" / "checkpoint.15").read_text(encoding="utf-8")
    forged = Checkpoint("example.com/log/testdata", 15, b"\x00" * 32).sign([other])
    with pytest.raises(VerificationError, match="not signed by any trusted key"):
        open_checkpoint(forged, [v])
    edited = raw.replace("\n15\n", "\n16\n")
    with pytest.raises(VerificationError, match="invalid signature"):
        open_checkpoint(edited, [v])


def test_tv12_real_world_cosignatures():
    raw_a = (VECTORS / "tv12_checkpoint_a.txt").read_text(encoding="utf-8")
    log_vkey, witness_vkey = (VECTORS / "tv12_keys_a.txt").read_text().split()
    log = N.parse_vkey(log_vkey)
    assert open_checkpoint(raw_a, [log]).checkpoint.size == 1432088532
    note = N.open_note(raw_a, [log, N.parse_vkey(witness_vkey)])
    assert sorted(s.name for s in note.sigs) == [log.name, "remora.n621.de"]
    raw_b = (VECTORS / "tv12_checkpoint_b.txt").read_text(encoding="utf-8")
    mldsa = N.parse_vkey((VECTORS / "tv12_key_b.txt").read_text().strip())
    note_b = N.open_note(raw_b, [mldsa])
    assert [s.key_id for s in note_b.sigs] == [0x6BC44249]
    assert N.cosignature_timestamp(note_b.sigs[0]) == 1785704691
    with pytest.raises(VerificationError, match="invalid signature"):
        N.open_note(raw_b.replace("185550722", "185550723"), [mldsa])


def test_tv13_cosignature_helpers():
    tv = V["tv13"]
    sig = N.Signature("x", 0x646846B9, tv["cosig_b64"])
    assert N.cosignature_timestamp(sig) == tv["timestamp"]
    with pytest.raises(VerificationError):
        N.cosignature_timestamp(N.Signature("x", 0, tv["wrong_type_b64"]))
    remora, test = (N.cosignature_verifier(k) for k in tv["good_vkeys"])
    assert remora.alg == test.alg == N.ALG_COSIGNATURE_V1
    assert test.key_id != 0x7997405C
    for bad in tv["bad_vkeys"]:
        with pytest.raises(VerificationError):
            N.cosignature_verifier(bad)


def test_tv15_cosignature_byte_identical():
    tv = V["tv15"]
    signer = N.CosignatureSigner(tv["name"], bytes.fromhex(tv["seed_hex"]), tv["timestamp"])
    assert signer.public.hex() == tv["pub_hex"]
    assert signer.vkey == tv["vkey"]
    assert N.Signer(tv["name"], signer.seed).vkey == tv["note_vkey"]
    raw = (VECTORS / "tessera" / "checkpoint.15").read_text(encoding="utf-8")
    body = raw[: raw.index("\n\n") + 1]
    assert N.cosignature_message(body.encode(), tv["timestamp"]).decode() == tv["message"]
    assert signer.signature_line(body.encode()) == tv["line"] + "\n"
    cosigned = raw + tv["line"] + "\n"
    note = N.open_note(cosigned, [N.parse_vkey(tv["vkey"])])
    assert note.sigs[0].name == tv["name"]
    # The same key as a plain note key does not verify the cosignature line.
    with pytest.raises(VerificationError):
        N.open_note(cosigned, [N.parse_vkey(tv["note_vkey"])])


def test_generated_key_roundtrip():
    s = N.generate_key("gov.example/payproof/allowance")
    assert N.parse_private_key(s.private_key_string) == s
    assert N.parse_vkey(s.vkey) == s.verifier
    with pytest.raises(VerificationError):
        N.generate_key("bad name")
    assert base64.b64decode(s.vkey.split("+", 2)[2])[0] == 1
