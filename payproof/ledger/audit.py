"""Audit a whole log from its public files: every entry, every tile, the root, the signatures.

The audit trusts nothing but the log's verifier key (and a witness policy):
it recomputes every leaf hash from the entry bundles, every tile from the level
below, and the root, and names exactly which entry or tile file disagrees.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from payproof.errors import VerificationError
from payproof.ledger import merkle
from payproof.ledger.checkpoint import open_checkpoint
from payproof.ledger.note import Verifier, open_note, parse_vkey
from payproof.ledger.policy import Policy
from payproof.ledger.tiles import (
    TILE_WIDTH,
    TileReader,
    decode_bundle,
    tile_levels,
    tile_path,
    tiles_for_size,
)

HS = merkle.HASH_SIZE


@dataclass
class AuditReport:
    origin: str = ""
    size: int = 0
    root: bytes = b""
    entries_checked: int = 0
    tiles_checked: int = 0
    cosigners: list[str] = field(default_factory=list)
    quorum_met: bool | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.quorum_met is not False

    def summary(self) -> str:
        head = (
            f"log {self.origin}: {self.size} entries, root {self.root.hex()[:16]}..., "
            f"{self.entries_checked} entries and {self.tiles_checked} tiles recomputed"
        )
        wit = f"cosigned by: {', '.join(self.cosigners) or 'no trusted witness'}"
        if self.quorum_met is not None:
            wit += f" (witness quorum {'met' if self.quorum_met else 'NOT met'})"
        verdict = (
            "OK: nothing was altered." if self.ok else "FAILED:\n  " + "\n  ".join(self.problems)
        )
        return f"{head}\n{wit}\n{verdict}"


def _public_and_vkey(path: Path, vkey: str | None) -> tuple[Path, Verifier]:
    path = Path(path)
    meta = path / "private" / "log.json"
    public = path / "public" if (path / "public").is_dir() else path
    if vkey is None:
        if not meta.exists():
            raise VerificationError(
                "the log's verifier key is needed", fix="pass --vkey <key string or file>"
            )
        vkey = json.loads(meta.read_text(encoding="utf-8"))["vkey"]
    return public, parse_vkey(vkey)


def audit_log(path: Path, vkey: str | None = None, policy: Policy | None = None) -> AuditReport:
    """Recompute the whole log; never raises for tampering: it reports it."""
    public, log_v = _public_and_vkey(path, vkey)
    rep = AuditReport(origin=log_v.name)
    raw = (public / "checkpoint").read_bytes() if (public / "checkpoint").exists() else None
    if raw is None:
        rep.problems.append("checkpoint is missing")
        return rep
    try:
        sc = open_checkpoint(raw, [log_v], origin=log_v.name)
    except VerificationError as exc:
        rep.problems.append(f"checkpoint: {exc.what}")
        return rep
    rep.size, rep.root = sc.checkpoint.size, sc.checkpoint.root
    if policy is not None:
        try:
            note = open_note(raw, [log_v, *policy.witness_verifiers()])
            signed = {(s.name, s.key_id) for s in note.sigs}
            rep.cosigners = sorted(n for n, _ in signed if n != log_v.name)
            rep.quorum_met = policy.satisfied(signed)
        except VerificationError as exc:
            rep.problems.append(f"checkpoint cosignature: {exc.what}")
    size = rep.size
    recomputed_edges: dict[str, bytes] = {}
    parents = _audit_level0(public, size, rep, recomputed_edges)
    for level in range(1, tile_levels(size)):
        parents = _audit_level(public, level, size, parents, rep, recomputed_edges)
    rep.entries_checked = size

    def no_fetch(_rel: str) -> bytes | None:
        return None

    root = TileReader(no_fetch, size, recomputed_edges).root()
    if root != rep.root:
        rep.problems.append(
            "the root recomputed from the entries does not match the signed checkpoint: "
            "entries were altered, added or removed (see the entry problems above)"
        )
    return rep


def _read(public: Path, rel: str, rep: AuditReport) -> bytes | None:
    try:
        return (public / rel).read_bytes()
    except FileNotFoundError:
        rep.problems.append(f"{rel} is missing")
        return None


def _audit_level0(public: Path, size: int, rep: AuditReport, edges: dict[str, bytes]) -> list:
    parents: list[bytes] = []
    for n, width in tiles_for_size(0, size):
        count = width or TILE_WIDTH
        brel = tile_path("entries", n, width)
        trel = tile_path(0, n, width)
        data = _read(public, brel, rep)
        hashes: list[bytes] | None = None
        if data is not None:
            try:
                hashes = merkle.leaf_hashes(decode_bundle(data, count, brel))
            except VerificationError as exc:
                rep.problems.append(exc.what)
        stored = _read(public, trel, rep)
        rep.tiles_checked += 1
        if stored is not None and len(stored) != count * HS:
            rep.problems.append(f"{trel} is truncated or corrupted ({len(stored)} bytes)")
            stored = None
        if hashes is None:
            hashes = (
                [stored[i : i + HS] for i in range(0, len(stored), HS)]
                if stored
                else [b"\x00" * HS] * count
            )
        elif stored is not None:
            for i, h in enumerate(hashes):
                if stored[i * HS : (i + 1) * HS] != h:
                    rep.problems.append(
                        f"entry {n * TILE_WIDTH + i} (in {brel}) does not match its leaf hash "
                        f"in {trel}: the entry or the tile was altered"
                    )
        blob = b"".join(hashes)
        _check_old_partials(public, 0, n, blob, rep)
        _check_old_bundle_partials(public, n, data, rep)
        if width is None:
            parents.append(merkle.root_of_perfect(hashes))
        else:
            edges[trel] = blob
    return parents


def _audit_level(
    public: Path, level: int, size: int, below: list[bytes], rep: AuditReport, edges: dict
) -> list[bytes]:
    parents: list[bytes] = []
    for n, width in tiles_for_size(level, size):
        count = width or TILE_WIDTH
        hashes = below[n * TILE_WIDTH : n * TILE_WIDTH + count]
        blob = b"".join(hashes)
        rel = tile_path(level, n, width)
        stored = _read(public, rel, rep)
        rep.tiles_checked += 1
        if stored is not None and stored != blob:
            if len(stored) != len(blob):
                rep.problems.append(f"{rel} is truncated or corrupted ({len(stored)} bytes)")
            else:
                bad = [i for i in range(count) if stored[i * HS : (i + 1) * HS] != hashes[i]]
                rep.problems.append(f"{rel} was altered (hash positions {bad[:10]})")
        _check_old_partials(public, level, n, blob, rep)
        if width is None:
            parents.append(merkle.root_of_perfect(hashes))
        else:
            edges[rel] = blob
    return parents


def _check_old_partials(public: Path, level: int, n: int, blob: bytes, rep: AuditReport) -> None:
    """Superseded partial tiles must be prefixes of the current data (history unchanged)."""
    pdir = public / (tile_path(level, n) + ".p")
    if not pdir.is_dir():
        return
    for f in pdir.iterdir():
        if f.name.isdigit():
            w = int(f.name)
            if w * HS <= len(blob) and f.read_bytes() != blob[: w * HS]:
                rep.problems.append(f"{tile_path(level, n, w)} (an older partial tile) was altered")


def _check_old_bundle_partials(public: Path, n: int, data: bytes | None, rep: AuditReport) -> None:
    pdir = public / (tile_path("entries", n) + ".p")
    if data is None or not pdir.is_dir():
        return
    for f in pdir.iterdir():
        if f.name.isdigit() and not data.startswith(f.read_bytes()):
            rep.problems.append(
                f"{tile_path('entries', n, int(f.name))} (an older entry bundle) was altered"
            )
