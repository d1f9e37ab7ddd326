"""RFC 6962 / RFC 9162 Merkle tree hashing, proof generation and strict verification.

Generation works on any ``NodeSource`` (a function giving the hash of a perfect,
aligned subtree), so proofs can be built from stored tiles while reading only
O(log n) hashes. Verification follows RFC 9162 §2.1.3.2 / §2.1.4.2 and, like
transparency-dev/merkle, rejects proofs of the wrong length: a verifier that
tolerates extra or missing hashes accepts forged proofs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from payproof.errors import VerificationError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: ``node(level, index)`` -> hash of leaves [index * 2**level, (index + 1) * 2**level).
NodeSource = Callable[[int, int], bytes]


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry): the leaf prefix blocks second-preimage attacks."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def leaf_hashes(entries: Sequence[bytes]) -> list[bytes]:
    """Leaf hashes of many entries (a tight hashlib loop; hashing is inherent per entry)."""
    sha = hashlib.sha256
    return [sha(b"\x00" + e).digest() for e in entries]


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of_perfect(hashes: Sequence[bytes]) -> bytes:
    """Root of a perfect subtree whose 2**k leaves (or lower nodes) are given."""
    level = list(hashes)
    sha = hashlib.sha256
    while len(level) > 1:
        level = [sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0]


def tree_hash(hashes: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes (not entries): empty tree is SHA-256("")."""
    if not hashes:
        return EMPTY_ROOT
    return range_hash(0, len(hashes), memory_source(hashes))


def memory_source(hashes: Sequence[bytes]) -> NodeSource:
    """A NodeSource over leaf hashes held in memory (tests, small logs)."""

    def node(level: int, index: int) -> bytes:
        lo = index << level
        return root_of_perfect(hashes[lo : lo + (1 << level)])

    return node


def range_hash(lo: int, hi: int, node: NodeSource) -> bytes:
    """MTH of leaves [lo, hi) where lo is aligned as in the RFC recursion.

    The range splits into perfect subtrees by the binary digits of hi - lo,
    largest first; folding them right to left gives the RFC's right-leaning shape.
    """
    parts: list[bytes] = []
    pos = lo
    n = hi - lo
    for level in range(n.bit_length() - 1, -1, -1):
        if n >> level & 1:
            parts.append(node(level, pos >> level))
            pos += 1 << level
    acc = parts[-1]
    for h in reversed(parts[:-1]):
        acc = node_hash(h, acc)
    return acc


def inclusion_proof(index: int, size: int, node: NodeSource) -> list[bytes]:
    """PATH(index, D[size]) of RFC 6962 §2.1.1."""
    if not 0 <= index < size:
        raise VerificationError(f"leaf index {index} is outside a tree of size {size}")
    proof: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            proof.append(range_hash(lo + k, hi, node))
            hi = lo + k
        else:
            proof.append(range_hash(lo, lo + k, node))
            lo = lo + k
    proof.reverse()
    return proof


def consistency_proof(size1: int, size2: int, node: NodeSource) -> list[bytes]:
    """PROOF(size1, D[size2]) of RFC 6962 §2.1.2 (empty when the sizes are equal)."""
    if not 0 < size1 <= size2:
        raise VerificationError(f"no consistency proof from size {size1} to size {size2}")
    proof: list[bytes] = []
    lo, hi, m, whole = 0, size2, size1, True
    while True:
        n = hi - lo
        if m == n:
            if not whole:
                proof.append(range_hash(lo, hi, node))
            break
        k = _split(n)
        if m <= k:
            proof.append(range_hash(lo + k, hi, node))
            hi = lo + k
        else:
            proof.append(range_hash(lo, lo + k, node))
            lo, m, whole = lo + k, m - k, False
    proof.reverse()
    return proof


def inclusion_proof_length(index: int, size: int) -> int:
    inner = (index ^ (size - 1)).bit_length()
    return inner + bin(index >> inner).count("1")


def consistency_proof_length(size1: int, size2: int) -> int:
    if size1 == size2:
        return 0
    inner = ((size1 - 1) ^ (size2 - 1)).bit_length()
    border = bin((size1 - 1) >> inner).count("1")
    shift = (size1 & -size1).bit_length() - 1
    start = 0 if size1 == 1 << shift else 1
    return start + inner - shift + border


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2 with an exact length check. Raises VerificationError."""
    if index >= size or index < 0:
        raise VerificationError(f"leaf index {index} is not below tree size {size}")
    if len(leaf) != HASH_SIZE:
        raise VerificationError(f"leaf hash has {len(leaf)} bytes, expected {HASH_SIZE}")
    want = inclusion_proof_length(index, size)
    if len(proof) != want:
        raise VerificationError(
            f"inclusion proof for leaf {index} in a tree of {size} has {len(proof)} hashes, "
            f"expected exactly {want}"
        )
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise VerificationError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise VerificationError(
            f"inclusion proof for leaf {index} does not lead to the tree's root hash"
        )


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """RFC 9162 §2.1.4.2, strict as transparency-dev/merkle (size1 = 0 is an error).

    Callers that must accept "the empty tree is consistent with anything"
    (tlog-witness old size 0) handle that case themselves.
    """
    if size2 < size1:
        raise VerificationError(f"tree shrank from {size1} to {size2} entries (a rollback)")
    if size1 == 0:
        raise VerificationError("consistency proof from the empty tree is meaningless")
    if size1 == size2:
        if proof:
            raise VerificationError("trees of equal size need an empty consistency proof")
        if root1 != root2:
            raise VerificationError(f"two different trees of the same size {size1}: the log forked")
        return
    want = consistency_proof_length(size1, size2)
    if len(proof) != want:
        raise VerificationError(
            f"consistency proof {size1} -> {size2} has {len(proof)} hashes, expected exactly {want}"
        )
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != root1 or sr != root2:
        raise VerificationError(
            f"consistency proof {size1} -> {size2} does not match the two root hashes: "
            "the newer tree does not extend the older one"
        )
