"""Canonical, versioned entries for payments, receipts, entitlements and grievances.

An entry is one line of canonical JSON (fixed key order, no spaces, UTF-8,
integer minor units) so anyone can read it with ``jq`` and re-encode it byte for
byte. Personal data never appears: family and mother identifiers and accounts
are salted commitments ``SHA-256("payproof/ledger/v1/commit" 0x00 field 0x00
salt value)`` with a fresh 32-byte salt per record; a grievance's narrative is
only the SHA-256 of an AES-256-GCM blob kept off-log. Salts, plaintexts and blob
keys go to the private sidecar and to the person's receipt. See docs/ledger-format.md.

Encoding is vectorised with pyarrow; the only per-row Python is hashing.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from payproof.errors import InputError, VerificationError

ENTRY_VERSION = 1  # the layout of payment, receipt and grievance entries
# Entry layouts a verifier knows: version -> entry types with that layout. Version 2 is the
# entitlement that names the rules which produced its amount (v1 entitlements had no basis).
KNOWN_VERSIONS = {1: {"entitlement", "payment", "receipt", "grievance"}, 2: {"entitlement"}}
COMMIT_DOMAIN = b"payproof/ledger/v1/commit\x00"


@dataclass(frozen=True)
class Kind:
    """How one input-contract table becomes entries."""

    table: str
    type: str
    id_column: str | None
    clear: tuple[tuple[str, str], ...]  # (column, "str" | "int" | "date")
    committed: tuple[str, ...]
    narrative: str | None = None
    version: int = ENTRY_VERSION


KINDS: dict[str, Kind] = {
    "entitlements": Kind(
        "entitlements",
        "entitlement",
        None,
        (("period", "str"), ("amount", "int"), ("rules", "str"), ("rules_sha256", "str")),
        ("family_id",),
        version=2,
    ),
    "disbursements": Kind(
        "disbursements",
        "payment",
        "payment_id",
        (
            ("payment_id", "str"),
            ("period", "str"),
            ("amount", "int"),
            ("paid_on", "date"),
            ("office_id", "str"),
            ("staff_id", "str"),
            ("channel", "str"),
        ),
        ("family_id", "account"),
    ),
    "receipts": Kind(
        "receipts",
        "receipt",
        "receipt_id",
        (
            ("receipt_id", "str"),
            ("period", "str"),
            ("amount", "int"),
            ("reported_on", "date"),
            ("source", "str"),
        ),
        ("family_id",),
    ),
    "grievances": Kind(
        "grievances",
        "grievance",
        "grievance_id",
        (
            ("grievance_id", "str"),
            ("filed_on", "date"),
            ("category", "str"),
            ("period", "str"),
            ("amount_claimed", "int"),
            ("staff_id", "str"),
        ),
        ("family_id",),
        narrative="description",
    ),
}
TYPES = {k.type: k for k in KINDS.values()}
ORDER = ("entitlements", "disbursements", "receipts", "grievances")


def commitment(field: str, salt: bytes, value: str) -> str:
    """Hex commitment to one personal value under a record's salt."""
    return hashlib.sha256(
        COMMIT_DOMAIN + field.encode() + b"\x00" + salt + value.encode()
    ).hexdigest()


def _json_literals(col: pa.ChunkedArray | pa.Array, kind: str) -> pa.Array:
    """Each value as a JSON literal ("text", 123, null), vectorised."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if kind == "int":
        if not pa.types.is_integer(col.type):
            raise InputError(f"amount column has type {col.type}, expected integer minor units")
        lit = pc.cast(col, pa.string())
    else:
        text = pc.cast(col, pa.string())
        safe = pc.match_substring_regex(text, r'^[^"\\\x00-\x1f\x7f]*$')
        lit = pc.binary_join_element_wise('"', text, '"', "")
        if not pc.all(pc.fill_null(safe, True)).as_py():
            fixed = [
                None if s is None else json.dumps(s, ensure_ascii=False) for s in text.to_pylist()
            ]
            lit = pa.array(fixed, pa.string())
    return pc.fill_null(lit, "null")


def _string_slices(arr: pa.Array) -> list[bytes]:
    """Python bytes for every element of a non-null string array (one buffer copy)."""
    arr = arr.cast(pa.large_string()) if arr.type != pa.large_string() else arr
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[
        arr.offset : arr.offset + len(arr) + 1
    ]
    data = arr.buffers()[2].to_pybytes()
    o = offsets.tolist()
    return [data[o[i] : o[i + 1]] for i in range(len(arr))]


def _hex_array(digests: bytes, n: int, valid: np.ndarray | None) -> pa.Array:
    """n 32-byte digests (concatenated) as a string array of 64-char hex, vectorised."""
    hexed = pa.py_buffer(digests.hex().encode())
    offsets = pa.py_buffer(np.arange(0, 64 * n + 1, 64, dtype=np.int32).tobytes())
    arr = pa.Array.from_buffers(pa.string(), n, [None, offsets, hexed])
    if valid is not None:
        arr = pc.if_else(pa.array(valid), arr, pa.scalar(None, pa.string()))
    return arr


@dataclass
class EncodedBatch:
    entries: list[bytes]
    private: pa.Table  # per entry: kind, record_id, salt, plaintexts, keys, content digest
    blobs: dict[str, bytes]  # narrative blob hash -> encrypted blob


def encode_batch(
    kind: Kind, batch: pa.RecordBatch | pa.Table, salts: bytes | None = None
) -> EncodedBatch:
    """Encode rows of one table. ``salts`` (32 bytes per row) only for deterministic tests."""
    n = batch.num_rows
    cols = {name: batch.column(name) for name in batch.schema.names}
    missing = [c for c, _ in kind.clear if c not in cols] + [
        c for c in kind.committed if c not in cols
    ]
    if missing:
        raise InputError(f"table {kind.table} lacks column(s) {', '.join(missing)}")
    salts = os.urandom(32 * n) if salts is None else salts
    sha = hashlib.sha256
    pieces: list = [f'{{"v":{kind.version},"type":"{kind.type}"']
    for name, typ in kind.clear:
        pieces += [f',"{name}":', _json_literals(cols[name], typ)]
    private: dict[str, pa.Array] = {}
    for name in kind.committed:
        text = pc.cast(cols[name], pa.string())
        values = text.to_pylist()
        prefix = COMMIT_DOMAIN + name.encode() + b"\x00"
        digests = b"".join(
            sha(prefix + salts[i * 32 : i * 32 + 32] + (v or "").encode()).digest()
            for i, v in enumerate(values)
        )
        valid = None if text.null_count == 0 else np.array([v is not None for v in values])
        hexed = _hex_array(digests, n, valid)
        pieces += [f',"{name}_commitment":', _json_literals(hexed, "str")]
        private[name] = text if isinstance(text, pa.Array) else text.combine_chunks()
    blobs: dict[str, bytes] = {}
    if kind.narrative:
        hashes, keys = _seal_narratives(cols[kind.narrative].to_pylist(), blobs)
        pieces += [',"narrative_sha256":', _json_literals(pa.array(hashes, pa.string()), "str")]
        private["narrative_key"] = pa.array(keys, pa.string())
        private["narrative_sha256"] = pa.array(hashes, pa.string())
    pieces.append("}")
    joined = pc.binary_join_element_wise(*pieces, "")
    if joined.null_count:
        raise InputError(f"table {kind.table}: could not encode {joined.null_count} rows")
    entries = _string_slices(joined)
    ids = (
        pc.cast(cols[kind.id_column], pa.string())
        if kind.id_column
        else pc.binary_join_element_wise(
            pc.cast(cols["family_id"], pa.string()), pc.cast(cols["period"], pa.string()), ":"
        )
    )
    if "content_sha256" in cols:
        digests = cols["content_sha256"]
    else:
        from payproof.ledger.index import content_digests

        digests = content_digests(kind, batch)
    table = pa.table(
        {
            "type": pa.array([kind.type] * n, pa.string()),
            "record_id": ids,
            "salt": pa.Array.from_buffers(pa.binary(32), n, [None, pa.py_buffer(salts)]),
            **private,
            "content_sha256": digests,
        }
    )
    return EncodedBatch(entries, table, blobs)


def _seal_narratives(texts: list, blobs: dict[str, bytes]) -> tuple[list, list]:
    """Encrypt each narrative with a fresh AES-256-GCM key; return blob hashes and keys."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    hashes, keys = [], []
    for t in texts:
        if t is None or t == "":
            hashes.append(None)
            keys.append(None)
            continue
        key, nonce = AESGCM.generate_key(256), os.urandom(12)
        blob = nonce + AESGCM(key).encrypt(nonce, t.encode(), b"payproof/narrative/v1")
        digest = hashlib.sha256(blob).hexdigest()
        blobs[digest] = blob
        hashes.append(digest)
        keys.append(key.hex())
    return hashes, keys


def open_narrative(blob: bytes, key_hex: str) -> str:
    """Decrypt a narrative blob with the key from a receipt or the private sidecar."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        plain = AESGCM(bytes.fromhex(key_hex)).decrypt(
            blob[:12], blob[12:], b"payproof/narrative/v1"
        )
    except (InvalidTag, ValueError) as exc:
        raise VerificationError("the narrative blob does not open with this key") from exc
    return plain.decode()


def decode_entry(entry: bytes) -> dict:
    """Parse an entry and check it is canonical (re-encoding gives the same bytes)."""
    try:
        obj = json.loads(entry)
    except (ValueError, UnicodeDecodeError) as exc:
        raise VerificationError("the entry is not valid JSON") from exc
    version = obj.get("v") if isinstance(obj, dict) else None
    if type(version) is not int or obj.get("type") not in KNOWN_VERSIONS.get(version, ()):
        raise VerificationError(
            "the entry is not a payproof entry of a known version",
            fix="entitlements are v1 or v2, payments, receipts and grievances v1",
        )
    if json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() != entry:
        raise VerificationError("the entry is not in canonical form")
    return obj


def check_opening(entry: dict, opening: dict) -> list[str]:
    """Recompute an entry's commitments from its opening; return the fields that match."""
    salt = bytes.fromhex(opening["salt"])
    kind = TYPES[entry["type"]]
    matched = []
    for name in kind.committed:
        want = entry.get(f"{name}_commitment")
        value = opening.get(name)
        if want is None and value is None:
            continue
        if value is None or commitment(name, salt, value) != want:
            raise VerificationError(
                f"the {name} in the receipt does not match the commitment in the log entry",
                fix="the receipt's private part was altered or belongs to another entry",
            )
        matched.append(name)
    return matched
