"""Merkle core against every upstream known-answer vector (TV-1..TV-6, TV-11)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from payproof.errors import VerificationError
from payproof.ledger import merkle
from tests.ledger.conftest import load_json, load_jsonl

MV = load_json("merkle_vectors.json")
LEAVES = [bytes.fromhex(h) for h in MV["tv2_leaves_hex"]]
HASHES = merkle.leaf_hashes(LEAVES)


def b64(s: str) -> bytes:
    return base64.b64decode(s)


def test_tv1_hasher_primitives():
    assert merkle.EMPTY_ROOT.hex().startswith("e3b0c442")
    assert merkle.leaf_hash(b"").hex().startswith("6e340b9c")
    assert merkle.leaf_hash(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert merkle.node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )
    assert base64.b64encode(merkle.leaf_hash(b"hello world")) == (
        b"TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0="
    )


def test_tv2_node_hashes_and_roots():
    for level, row in enumerate(MV["tv2_node_hashes"]):
        src = merkle.memory_source(HASHES)
        assert [src(level, i).hex() for i in range(len(row))] == row
    for n, root in enumerate(MV["tv2_roots"]):
        assert merkle.tree_hash(HASHES[:n]).hex() == root


@pytest.mark.parametrize(
    "vec", MV["tv3_inclusion"] + [v for v in MV["tv11_rfc_examples"] if v["kind"] == "inclusion"]
)
def test_tv3_tv11_inclusion_generated_and_verified(vec):
    idx, size = vec["index"], vec["size"]
    src = merkle.memory_source(HASHES[:size])
    proof = merkle.inclusion_proof(idx, size, src)
    assert [p.hex() for p in proof] == vec["proof"]
    merkle.verify_inclusion(idx, size, HASHES[idx], proof, merkle.tree_hash(HASHES[:size]))


@pytest.mark.parametrize(
    "vec",
    MV["tv4_consistency"] + [v for v in MV["tv11_rfc_examples"] if v["kind"] == "consistency"],
)
def test_tv4_tv11_consistency_generated_and_verified(vec):
    s1, s2 = vec["size1"], vec["size2"]
    src = merkle.memory_source(HASHES[:s2])
    proof = merkle.consistency_proof(s1, s2, src)
    assert [p.hex() for p in proof] == vec["proof"]
    merkle.verify_consistency(
        s1, s2, proof, merkle.tree_hash(HASHES[:s1]), merkle.tree_hash(HASHES[:s2])
    )


def test_tv3_index_beyond_empty_tree_rejected():
    with pytest.raises(VerificationError):
        merkle.verify_inclusion(0, 0, HASHES[0], [], merkle.EMPTY_ROOT)


INCLUSION = load_jsonl("inclusion_probes.jsonl")
CONSISTENCY = load_jsonl("consistency_probes.jsonl")


def test_probe_counts():
    assert len(INCLUSION) == 98 and len(CONSISTENCY) == 98


@pytest.mark.parametrize("p", INCLUSION, ids=[p["file"] for p in INCLUSION])
def test_tv6_inclusion_probe(p):
    proof = [b64(x) for x in (p["proof"] or [])]
    args = (p["leafIdx"], p["treeSize"], b64(p["leafHash"]), proof, b64(p["root"]))
    if p["wantErr"]:
        with pytest.raises(VerificationError):
            merkle.verify_inclusion(*args)
    else:
        merkle.verify_inclusion(*args)


@pytest.mark.parametrize("p", CONSISTENCY, ids=[p["file"] for p in CONSISTENCY])
def test_tv6_consistency_probe(p):
    proof = [b64(x) for x in (p["proof"] or [])]
    args = (p["size1"], p["size2"], proof, b64(p["root1"]), b64(p["root2"]))
    if p["wantErr"]:
        with pytest.raises(VerificationError):
            merkle.verify_consistency(*args)
    else:
        merkle.verify_consistency(*args)


def test_all_proofs_small_trees_roundtrip():
    """Every (index, size) and (size1, size2) up to 40 leaves: generate, verify, mutate."""
    leaves = merkle.leaf_hashes([hashlib.sha256(bytes([i])).digest() for i in range(40)])
    roots = [merkle.tree_hash(leaves[:n]) for n in range(41)]
    src = merkle.memory_source(leaves)
    for size in range(1, 41):
        for idx in range(size):
            proof = merkle.inclusion_proof(idx, size, src)
            merkle.verify_inclusion(idx, size, leaves[idx], proof, roots[size])
            with pytest.raises(VerificationError):
                merkle.verify_inclusion(idx, size, leaves[idx], proof + [roots[0]], roots[size])
        for s1 in range(1, size + 1):
            proof = merkle.consistency_proof(s1, size, src)
            assert len(proof) == merkle.consistency_proof_length(s1, size)
            merkle.verify_consistency(s1, size, proof, roots[s1], roots[size])
            if proof:
                with pytest.raises(VerificationError):
                    merkle.verify_consistency(s1, size, proof[:-1], roots[s1], roots[size])
