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
from payproof.ledger.duplicates import PublicIds, describe, private_duplicates
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
    duplicates: list[str] = field(default_factory=list)  # records logged more than once

    @property
    def ok(self) -> bool:
        return not self.problems and not self.duplicates and self.quorum_met is not False

    def summary(self) -> str:
        head = (
            f"log {self.origin}: {self.size} entries, root {self.root.hex()[:16]}..., "
            f"{self.entries_checked} entries and {self.tiles_checked} tiles recomputed"
        )
        wit = f"cosigned by: {', '.join(self.cosigners) or 'no trusted witness'}"
        if self.quorum_met is not None:
            wit += f" (witness quorum {'met' if self.quorum_met else 'NOT met'})"
        if self.ok:
            return f"{head}\n{wit}\nOK: nothing was altered and no record is logged twice."
        parts = [head, wit, "FAILED:"]
        parts += [f"  {p}" for p in self.problems]
        if self.duplicates:
            parts.append("  records logged more than once (count each once; docs/ledger.md):")
            parts += [f"    {d}" for d in self.duplicates]
        if self.quorum_met is False:
            parts.append("  the witness quorum is not met")
        return "\n".join(parts)


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
    ids = PublicIds()
    chains = _Chains(public, rep.size, rep, ids)
    chains.run()
    chains.verdict(rep.root)
    rep.entries_checked = rep.size
    private = Path(path) / "private"
    private_dups = private_duplicates(private, rep.size) if private.is_dir() else []
    rep.duplicates = describe(ids.duplicates(), private_dups)
    return rep


@dataclass
class _Findings:
    """Disagreements between the entries, the stored tiles and older partial files.

    Which file was altered is only decided at the end: if the root recomputed from the
    entries matches the signed checkpoint, the entries are authentic and the tiles that
    disagree with them were altered; if the stored tiles are consistent with each other
    and with the checkpoint, they are authentic and the entries that disagree were
    altered. Otherwise both sides are named with the ambiguous wording.
    """

    leaf: list[tuple[int, str, str]] = field(default_factory=list)  # (entry, bundle, tile)
    upper: list[tuple[str, list[int], list[int]]] = field(default_factory=list)
    old_tiles: list[tuple[str, bool, bool]] = field(default_factory=list)  # rel, vs C, vs S
    # (rel, entries differing from the stored tile; [-1]: could not be checked)
    old_bundles: list[tuple[str, list[int]]] = field(default_factory=list)
    stored_broken: bool = False


class _Chains:
    """Two hash chains over the tree: C from the entries up, S from the stored tiles up."""

    def __init__(self, public: Path, size: int, rep: AuditReport, ids: PublicIds):
        self.public, self.size, self.rep, self.ids = public, size, rep, ids
        self.f = _Findings()
        self.edges_c: dict[str, bytes] = {}
        self.edges_s: dict[str, bytes] = {}

    def run(self) -> None:
        parents = self._level0()
        for level in range(1, tile_levels(self.size)):
            parents = self._level(level, *parents)

    def _level0(self) -> tuple[list[bytes], list[bytes]]:
        pc: list[bytes] = []  # parents of the entries chain
        ps: list[bytes] = []  # parents implied by the stored tiles
        for n, width in tiles_for_size(0, self.size):
            count = width or TILE_WIDTH
            brel, trel = tile_path("entries", n, width), tile_path(0, n, width)
            data = _read(self.public, brel, self.rep)
            he: bytes | None = None
            if data is not None:
                try:
                    entries = decode_bundle(data, count, brel)
                    self.ids.add(n * TILE_WIDTH, entries)
                    he = b"".join(merkle.leaf_hashes(entries))
                except VerificationError as exc:
                    self.rep.problems.append(exc.what)
            ts = self._stored(trel, count)
            self.rep.tiles_checked += 1
            c = he if he is not None else ts if ts is not None else b"\x00" * (count * HS)
            s = ts if ts is not None else c
            if he is not None and ts is not None and he != ts:
                for i in _differing(he, ts):
                    self.f.leaf.append((n * TILE_WIDTH + i, brel, trel))
            self._old_tiles(0, n, c, s)
            self._old_bundles(n, data, ts)
            self._close(0, n, width, trel, c, s, pc, ps)
        return pc, ps

    def _level(self, level: int, below_c: list[bytes], below_s: list[bytes]):
        pc: list[bytes] = []
        ps: list[bytes] = []
        for n, width in tiles_for_size(level, self.size):
            count = width or TILE_WIDTH
            rel = tile_path(level, n, width)
            c = b"".join(below_c[n * TILE_WIDTH : n * TILE_WIDTH + count])
            implied = b"".join(below_s[n * TILE_WIDTH : n * TILE_WIDTH + count])
            ts = self._stored(rel, count)
            self.rep.tiles_checked += 1
            s = ts if ts is not None else implied
            vs_c = _differing(c, s)
            vs_implied = _differing(implied, s)
            if vs_implied:
                self.f.stored_broken = True
            if vs_c or vs_implied:
                self.f.upper.append((rel, vs_c, vs_implied))
            self._old_tiles(level, n, c, s)
            self._close(level, n, width, rel, c, s, pc, ps)
        return pc, ps

    def _close(self, level, n, width, rel, c: bytes, s: bytes, pc: list, ps: list) -> None:
        """Hand a tile's perfect-subtree hash to the level above, or keep it as an edge."""
        if width is None:
            hc = merkle.root_of_perfect(_split(c))
            pc.append(hc)
            ps.append(hc if s == c else merkle.root_of_perfect(_split(s)))
        else:
            self.edges_c[rel], self.edges_s[rel] = c, s

    def _stored(self, rel: str, count: int) -> bytes | None:
        stored = _read(self.public, rel, self.rep)
        if stored is not None and len(stored) != count * HS:
            self.rep.problems.append(f"{rel} is truncated or corrupted ({len(stored)} bytes)")
            stored = None
        if stored is None:
            self.f.stored_broken = True
        return stored

    def _old_tiles(self, level: int, n: int, c: bytes, s: bytes) -> None:
        pdir = self.public / (tile_path(level, n) + ".p")
        if not pdir.is_dir():
            return
        for f in sorted(pdir.iterdir()):
            if f.name.isdigit() and int(f.name) * HS <= len(c):
                old, w = f.read_bytes(), int(f.name) * HS
                self.f.old_tiles.append(
                    (tile_path(level, n, int(f.name)), old != c[:w], old != s[:w])
                )

    def _old_bundles(self, n: int, data: bytes | None, ts: bytes | None) -> None:
        pdir = self.public / (tile_path("entries", n) + ".p")
        if data is None or not pdir.is_dir():
            return
        for f in sorted(pdir.iterdir()):
            if not f.name.isdigit():
                continue
            rel, old = tile_path("entries", n, int(f.name)), f.read_bytes()
            if data.startswith(old):
                continue
            bad: list[int] = []
            if ts is not None:
                try:
                    hs = b"".join(merkle.leaf_hashes(decode_bundle(old, int(f.name), rel)))
                    bad = [n * TILE_WIDTH + i for i in _differing(hs, ts[: len(hs)])]
                except VerificationError:
                    bad = [-1]
            self.f.old_bundles.append((rel, bad if ts is not None else [-1]))

    def verdict(self, signed_root: bytes) -> None:
        """Name what was altered, from the two chains and the signed root."""
        rep, f = self.rep, self.f
        root_c = _root(self.size, self.edges_c)
        root_s = _root(self.size, self.edges_s)
        entries_ok = root_c == signed_root
        tiles_ok = not f.stored_broken and root_s == signed_root
        for entry, brel, trel in f.leaf:
            if entries_ok:
                rep.problems.append(
                    f"{trel} was altered: its hash of entry {entry} differs from the entry "
                    f"in {brel}, which the signed root confirms"
                )
            elif tiles_ok:
                rep.problems.append(
                    f"entry {entry} (in {brel}) was altered: its leaf hash differs from "
                    f"{trel}, which the signed root confirms"
                )
            else:
                rep.problems.append(
                    f"entry {entry} (in {brel}) does not match its leaf hash in {trel}: "
                    "the entry or the tile was altered"
                )
        for rel, vs_c, vs_implied in f.upper:
            # Entries authentic: a tile differing from them was altered. Otherwise only an
            # inconsistency among the stored tiles themselves names an upper tile.
            bad = vs_c if entries_ok else vs_implied
            if bad:
                rep.problems.append(f"{rel} was altered (hash positions {bad[:10]})")
        for rel, vs_c, vs_s in f.old_tiles:
            if vs_c if entries_ok else vs_s:
                rep.problems.append(f"{rel} (an older partial tile) was altered")
        for rel, bad in f.old_bundles:
            if not bad and tiles_ok:
                continue  # it agrees with the authentic tiles: the newer bundle was altered
            if entries_ok or bad == [-1]:
                rep.problems.append(f"{rel} (an older entry bundle) was altered")
            else:
                for entry in bad:
                    rep.problems.append(
                        f"entry {entry} in {rel} (an older entry bundle) was altered"
                    )
        if not entries_ok:
            rep.problems.append(
                "the root recomputed from the entries does not match the signed checkpoint: "
                "entries were altered, added or removed (see the entry problems above)"
            )


def _differing(a: bytes, b: bytes) -> list[int]:
    """Positions of the 32-byte hashes that differ between two equal-length blobs."""
    if a == b:
        return []
    return [i for i in range(len(a) // HS) if a[i * HS : (i + 1) * HS] != b[i * HS : (i + 1) * HS]]


def _split(blob: bytes) -> list[bytes]:
    return [blob[i : i + HS] for i in range(0, len(blob), HS)]


def _root(size: int, edges: dict[str, bytes]) -> bytes:
    def no_fetch(_rel: str) -> bytes | None:
        return None

    try:
        return TileReader(no_fetch, size, edges).root()
    except VerificationError:
        return b""


def _read(public: Path, rel: str, rep: AuditReport) -> bytes | None:
    try:
        return (public / rel).read_bytes()
    except FileNotFoundError:
        rep.problems.append(f"{rel} is missing")
        return None
