"""C2SP signed-note (golang.org/x/mod/sumdb/note compatible) with Ed25519 keys.

Keys use Go's string formats so payproof keys work with Go tooling and the
public witness network: verifier key ``<name>+<hex8 id>+<b64(type||pub)>`` and
private key ``PRIVATE+KEY+<name>+<hex8 id>+<b64(0x01||seed)>``. Opening a note
ignores signatures from unknown keys (that is what makes witness cosigning and
key rotation possible) but rejects the whole note if a known key's signature fails.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import struct
import unicodedata
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from payproof.errors import VerificationError

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
ALG_MLDSA44_SUBTREE = 0x06
MAX_SIGNATURES = 100
SIG_PREFIX = "\u2014 "  # EM DASH + space
_MLDSA44_PUBLIC_SIZE = 1312
_MLDSA44_SIG_SIZE = 2420


def _malformed(detail: str) -> VerificationError:
    return VerificationError(
        f"malformed signed note: {detail}",
        fix="use the note exactly as the log or witness published it (c2sp.org/signed-note)",
    )


def key_id(name: str, type_and_key: bytes) -> int:
    """SHA-256(name || 0x0A || type || key)[:4] as a big-endian uint32."""
    digest = hashlib.sha256(name.encode() + b"\n" + type_and_key).digest()
    return int.from_bytes(digest[:4], "big")


def is_valid_name(name: str) -> bool:
    """Non-empty, no Unicode whitespace, no '+' (Go's isValidName)."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _malformed(f"not valid base64: {text[:20]!r}") from exc


def check_text(text: str) -> None:
    """Reject ASCII control characters other than newline (and DEL), as the spec requires."""
    for ch in text:
        if (ch < " " and ch != "\n") or ch == "\x7f" or unicodedata.category(ch) == "Cs":
            raise _malformed(f"control character {ch!r} in note")


# --- verifiers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verifier:
    """Checks one key's signatures over a note's text."""

    name: str
    key_id: int
    alg: int
    public: bytes

    def verify(self, text: bytes, sig: bytes) -> bool:
        if self.alg != ALG_ED25519:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(sig, text)
            return True
        except InvalidSignature:
            return False

    @property
    def vkey(self) -> str:
        raw = base64.b64encode(bytes([self.alg]) + self.public).decode()
        return f"{self.name}+{self.key_id:08x}+{raw}"


@dataclass(frozen=True)
class CosignatureVerifier(Verifier):
    """c2sp.org/tlog-cosignature ``cosignature/v1`` (type 0x04): timestamp || Ed25519 sig."""

    def verify(self, text: bytes, sig: bytes) -> bool:
        if len(sig) != 72:
            return False
        (ts,) = struct.unpack(">Q", sig[:8])
        if ts >= 1 << 63:
            return False
        msg = cosignature_message(text, ts)
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(sig[8:], msg)
            return True
        except InvalidSignature:
            return False


@dataclass(frozen=True)
class SubtreeVerifier(Verifier):
    """c2sp.org/tlog-cosignature ``subtree/v1`` (type 0x06): timestamp || ML-DSA-44 sig."""

    def verify(self, text: bytes, sig: bytes) -> bool:
        from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA44PublicKey

        if len(sig) != 8 + _MLDSA44_SIG_SIZE:
            return False
        lines = text.split(b"\n")
        if len(lines) < 4:
            return False
        origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2])
        name = self.name.encode()
        msg = (
            b"subtree/v1\n\x00"
            + bytes([len(name)])
            + name
            + sig[:8]
            + bytes([len(origin)])
            + origin
            + struct.pack(">QQ", 0, size)
            + root
        )
        try:
            MLDSA44PublicKey.from_public_bytes(self.public).verify(sig[8:], msg)
            return True
        except (InvalidSignature, ValueError):
            return False


def cosignature_message(text: bytes, timestamp: int) -> bytes:
    return b"cosignature/v1\ntime %d\n" % timestamp + text


def parse_vkey(vkey: str) -> Verifier:
    """Parse a verifier key string; Ed25519 (0x01), cosignature/v1 (0x04), ML-DSA-44 (0x06)."""
    bad = VerificationError(
        f"not a valid verifier key: {vkey[:60]!r}",
        fix="expected <name>+<8 hex digits>+<base64 key>, as printed by 'payproof ledger keygen'",
    )
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise bad
    name, hex_id, b64 = parts
    if not is_valid_name(name) or len(hex_id) != 8:
        raise bad
    try:
        kid = int(hex_id, 16)
        raw = base64.b64decode(b64, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise bad from exc
    if not raw:
        raise bad
    alg, pub = raw[0], raw[1:]
    sizes = {
        ALG_ED25519: (32, Verifier),
        ALG_COSIGNATURE_V1: (32, CosignatureVerifier),
        ALG_MLDSA44_SUBTREE: (_MLDSA44_PUBLIC_SIZE, SubtreeVerifier),
    }
    if alg not in sizes or len(pub) != sizes[alg][0]:
        raise bad
    if key_id(name, raw) != kid:
        raise bad
    return sizes[alg][1](name, kid, alg, pub)


def cosignature_verifier(vkey: str) -> Verifier:
    """A cosignature verifier from a 0x04 vkey, or from a 0x01 vkey (key ID recomputed)."""
    v = parse_vkey(vkey)
    if v.alg == ALG_ED25519:
        raw = bytes([ALG_COSIGNATURE_V1]) + v.public
        return CosignatureVerifier(v.name, key_id(v.name, raw), ALG_COSIGNATURE_V1, v.public)
    return v


# --- signers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    """An Ed25519 note signer (type 0x01)."""

    name: str
    seed: bytes

    @property
    def _key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def public(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    alg = ALG_ED25519

    @property
    def key_id(self) -> int:
        return key_id(self.name, bytes([self.alg]) + self.public)

    @property
    def verifier(self) -> Verifier:
        cls = CosignatureVerifier if self.alg == ALG_COSIGNATURE_V1 else Verifier
        return cls(self.name, self.key_id, self.alg, self.public)

    @property
    def vkey(self) -> str:
        return self.verifier.vkey

    @property
    def private_key_string(self) -> str:
        raw = base64.b64encode(bytes([ALG_ED25519]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{raw}"

    def sign(self, text: bytes) -> bytes:
        """Signature bytes (without the key ID) over the note text."""
        return self._key.sign(text)

    def signature_line(self, text: bytes) -> str:
        blob = self.key_id.to_bytes(4, "big") + self.sign(text)
        return f"{SIG_PREFIX}{self.name} {base64.b64encode(blob).decode()}\n"


@dataclass(frozen=True)
class CosignatureSigner(Signer):
    """A witness's cosignature/v1 signer (type 0x04). Use a separate key per cosigner name."""

    alg = ALG_COSIGNATURE_V1
    timestamp: int | None = None

    def sign(self, text: bytes) -> bytes:
        import time

        ts = int(time.time()) if self.timestamp is None else self.timestamp
        return struct.pack(">Q", ts) + self._key.sign(cosignature_message(text, ts))


def parse_private_key(skey: str) -> Signer:
    """Parse Go's ``PRIVATE+KEY+name+id+b64`` string into an Ed25519 signer."""
    bad = VerificationError(
        "not a valid private key string",
        fix="expected PRIVATE+KEY+<name>+<8 hex>+<base64>, as written by 'payproof ledger keygen'",
    )
    parts = skey.strip().split("+", 4)
    if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
        raise bad
    name, hex_id, b64 = parts[2], parts[3], parts[4]
    try:
        raw = base64.b64decode(b64, validate=True)
        kid = int(hex_id, 16)
    except (ValueError, binascii.Error) as exc:
        raise bad from exc
    if not is_valid_name(name) or len(hex_id) != 8 or len(raw) != 33 or raw[0] != ALG_ED25519:
        raise bad
    signer = Signer(name, raw[1:])
    if signer.key_id != kid:
        raise bad
    return signer


def generate_key(name: str) -> Signer:
    """A fresh Ed25519 signer; its key strings are ``private_key_string`` and ``vkey``."""
    if not is_valid_name(name):
        raise VerificationError(
            f"invalid key name {name!r}",
            fix="use a schema-less URL without spaces or '+', e.g. example.gov.kz/payproof/prog",
        )
    return Signer(name, os.urandom(32))


# --- notes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: int
    b64: str

    @property
    def line(self) -> str:
        return f"{SIG_PREFIX}{self.name} {self.b64}\n"

    @property
    def raw(self) -> bytes:
        return base64.b64decode(self.b64)[4:]


@dataclass
class Note:
    text: str
    sigs: list[Signature] = field(default_factory=list)
    unverified: list[Signature] = field(default_factory=list)

    def serialize(self) -> str:
        return self.text + "\n" + "".join(s.line for s in self.sigs + self.unverified)


def sign_note(text: str, signers: list[Signer], extra_lines: list[str] = ()) -> str:
    """Sign ``text`` (ending in a newline) with every signer; keep ``extra_lines`` after."""
    if not text.endswith("\n"):
        raise _malformed("text must end with a newline")
    check_text(text)
    raw = text.encode()
    lines = [s.signature_line(raw) for s in signers]
    return text + "\n" + "".join(lines) + "".join(extra_lines)


def split_note(msg: str | bytes) -> tuple[str, list[Signature]]:
    """Parse a note into its text and raw signature lines (no verification)."""
    if isinstance(msg, bytes):
        try:
            msg = msg.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _malformed("not valid UTF-8") from exc
    check_text(msg)
    split = msg.rfind("\n\n")
    if split < 0:
        raise _malformed("no blank line before the signatures")
    text, block = msg[: split + 1], msg[split + 2 :]
    if not block or not block.endswith("\n"):
        raise _malformed("signature block missing or not ending in a newline")
    sigs: list[Signature] = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise _malformed(f"unexpected line {line[:40]!r}")
        name, _, b64 = line[len(SIG_PREFIX) :].partition(" ")
        if not is_valid_name(name) or not b64:
            raise _malformed(f"bad signature line {line[:40]!r}")
        blob = _b64decode(b64)
        if len(blob) < 5:
            raise _malformed("signature too short")
        sigs.append(Signature(name, int.from_bytes(blob[:4], "big"), b64))
        if len(sigs) > MAX_SIGNATURES:
            raise _malformed(f"more than {MAX_SIGNATURES} signatures")
    return text, sigs


def open_note(msg: str | bytes, verifiers: list[Verifier]) -> Note:
    """Verify a note: at least one known key must sign it; a failing known key is fatal."""
    known: dict[tuple[str, int], Verifier] = {}
    for v in verifiers:
        if (v.name, v.key_id) in known:
            raise VerificationError(f"ambiguous key {v.name}+{v.key_id:08x} given twice")
        known[(v.name, v.key_id)] = v
    text, sigs = split_note(msg)
    raw = text.encode()
    note = Note(text)
    seen: set[tuple[str, int]] = set()
    seen_unverified: set[str] = set()
    for sig in sigs:
        v = known.get((sig.name, sig.key_id))
        if v is None:
            if sig.line not in seen_unverified:
                seen_unverified.add(sig.line)
                note.unverified.append(sig)
            continue
        if (sig.name, sig.key_id) in seen:
            continue
        seen.add((sig.name, sig.key_id))
        if not v.verify(raw, sig.raw):
            raise VerificationError(
                f"invalid signature for key {sig.name}+{sig.key_id:08x}",
                fix="the note was altered after signing, or signed by a different key",
            )
        note.sigs.append(sig)
    if not note.sigs:
        names = ", ".join(f"{v.name}+{v.key_id:08x}" for v in verifiers) or "(none given)"
        raise VerificationError(
            "the note is not signed by any trusted key",
            where=f"trusted keys: {names}",
            fix="check that you were given the right verifier key (vkey) for this log",
        )
    return note


def cosignature_timestamp(sig: Signature) -> int:
    """The timestamp of a cosignature/v1 or subtree/v1 signature line."""
    raw = sig.raw
    if len(raw) not in (72, 8 + _MLDSA44_SIG_SIZE):
        raise VerificationError("not a cosignature (wrong length)")
    return struct.unpack(">Q", raw[:8])[0]
