"""c2sp.org/tlog-checkpoint: origin, tree size and root hash, as a signed note."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from payproof.errors import VerificationError
from payproof.ledger.note import Note, Signer, Verifier, open_note, sign_note

_SIZE_RE = re.compile(r"^(0|[1-9][0-9]*)$")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = field(default=())

    def body(self) -> str:
        root = base64.b64encode(self.root).decode()
        ext = "".join(line + "\n" for line in self.extensions)
        return f"{self.origin}\n{self.size}\n{root}\n{ext}"

    def sign(self, signers: list[Signer]) -> str:
        return sign_note(self.body(), signers)


def _bad(detail: str) -> VerificationError:
    return VerificationError(
        f"malformed checkpoint: {detail}",
        fix="a checkpoint is '<origin>\\n<size>\\n<base64 root>\\n' (c2sp.org/tlog-checkpoint)",
    )


def parse_body(text: str) -> Checkpoint:
    """Parse a checkpoint body (the note text), strictly."""
    if not text.endswith("\n"):
        raise _bad("body does not end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise _bad("fewer than three lines")
    origin, size, root_b64, *ext = lines
    if not origin:
        raise _bad("empty origin line")
    if not _SIZE_RE.match(size) or int(size) >= 1 << 64:
        raise _bad(f"tree size {size[:30]!r} is not a decimal uint64")
    try:
        root = base64.b64decode(root_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _bad("root hash is not base64") from exc
    if any(not line for line in ext):
        raise _bad("empty extension line")
    return Checkpoint(origin, int(size), root, tuple(ext))


@dataclass
class SignedCheckpoint:
    checkpoint: Checkpoint
    note: Note
    raw: str


def open_checkpoint(
    msg: str | bytes, verifiers: list[Verifier], *, origin: str | None = None
) -> SignedCheckpoint:
    """Verify a checkpoint note against the log's key(s); check origin and root length."""
    note = open_note(msg, verifiers)
    cp = parse_body(note.text)
    if len(cp.root) != 32:
        raise _bad(f"root hash has {len(cp.root)} bytes, expected 32")
    expected = origin or (verifiers[0].name if len(verifiers) == 1 else None)
    if expected is not None and cp.origin != expected:
        raise VerificationError(
            f"checkpoint is for log {cp.origin!r}, expected {expected!r}",
            fix="use the verifier key and checkpoint of the same log",
        )
    raw = msg.decode() if isinstance(msg, bytes) else msg
    return SignedCheckpoint(cp, note, raw)
