"""c2sp.org/tlog-tiles: tile paths, entry bundles, and reading proofs from stored tiles.

A tile at level L holds up to 256 hashes of tree level 8·L. Any perfect subtree
hash is either one stored hash or is computed from at most 128 hashes of one
tile, so a proof reads O(log n) hashes from about ⌈log2 n / 8⌉ tiles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from payproof.errors import VerificationError
from payproof.ledger.merkle import EMPTY_ROOT, HASH_SIZE, range_hash

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_ENTRY_SIZE = 0xFFFF

#: fetch(relative_path) -> bytes, or None when the file does not exist.
Fetch = Callable[[str], bytes | None]


def tile_path(level: int | str, n: int, width: int | None = None) -> str:
    """``tile/<L>/<N>[.p/<W>]`` with N as 3-digit groups, all but the last prefixed by x."""
    if width is not None and not 0 < width < TILE_WIDTH:
        raise ValueError(f"partial tile width {width} is outside 1..255")
    groups = []
    while n >= 1000:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
    groups.append(f"{n:03d}")
    groups.reverse()
    digits = "/".join([f"x{g}" for g in groups[:-1]] + groups[-1:])
    name = f"tile/{level}/{digits}"
    return name if width is None else f"{name}.p/{width}"


def full_tiles(level: int, size: int) -> int:
    """Number of full tiles at ``level`` (8·level tree height) for a tree of ``size``."""
    return size >> (TILE_HEIGHT * (level + 1))


def partial_width(level: int, size: int) -> int:
    """Width of the partial tile at ``level`` for ``size`` (0: there is none)."""
    return (size >> (TILE_HEIGHT * level)) % TILE_WIDTH


def tile_levels(size: int) -> int:
    """How many tile levels a tree of ``size`` has (0 for the empty tree)."""
    levels = 0
    while size >> (TILE_HEIGHT * levels):
        levels += 1
    return levels


def tiles_for_size(level: int | str, size: int) -> list[tuple[int, int | None]]:
    """(N, width or None) of every tile a checkpoint of ``size`` implies at a level."""
    lvl = 0 if level == "entries" else int(level)
    out: list[tuple[int, int | None]] = [(n, None) for n in range(full_tiles(lvl, size))]
    w = partial_width(lvl, size)
    if w:
        out.append((full_tiles(lvl, size), w))
    return out


def encode_bundle(entries: list[bytes]) -> bytes:
    """An entry bundle: each entry as uint16 big-endian length || bytes."""
    out = []
    for e in entries:
        if len(e) > MAX_ENTRY_SIZE:
            raise ValueError(f"entry of {len(e)} bytes exceeds the 65,535-byte limit")
        out.append(len(e).to_bytes(2, "big"))
        out.append(e)
    return b"".join(out)


def decode_bundle(data: bytes, count: int, where: str = "entry bundle") -> list[bytes]:
    """Decode exactly ``count`` entries; truncation or trailing bytes are errors."""
    entries: list[bytes] = []
    pos, n = 0, len(data)
    for _ in range(count):
        if pos + 2 > n:
            break
        length = int.from_bytes(data[pos : pos + 2], "big")
        pos += 2
        if pos + length > n:
            break
        entries.append(data[pos : pos + length])
        pos += length
    if len(entries) != count or pos != n:
        raise VerificationError(
            f"{where} is truncated or corrupted: expected {count} entries, "
            f"decoded {len(entries)} using {pos} of {n} bytes",
            where=where,
        )
    return entries


def dir_fetch(root: Path) -> Fetch:
    """Fetch tiles from a local tlog-tiles directory."""

    def fetch(rel: str) -> bytes | None:
        try:
            return (root / rel).read_bytes()
        except FileNotFoundError:
            return None

    return fetch


class TileReader:
    """Reads the hashes of a tree of a given size from tiles, caching what it read.

    ``node(level, index)`` is a merkle.NodeSource. Full tiles are preferred; a
    missing partial tile falls back to the full tile (logs may prune partials).
    """

    def __init__(self, fetch: Fetch, size: int, preload: dict[str, bytes] | None = None):
        self.fetch = fetch
        self.size = size
        self._tiles: dict[tuple[int, int], bytes] = {}
        self._preload = preload or {}
        self.tiles_read = 0

    def tile(self, level: int, n: int) -> bytes:
        key = (level, n)
        if key in self._tiles:
            return self._tiles[key]
        full = full_tiles(level, self.size)
        if n < full:
            width, paths = TILE_WIDTH, [tile_path(level, n)]
        elif n == full and partial_width(level, self.size):
            width = partial_width(level, self.size)
            paths = [tile_path(level, n, width), tile_path(level, n)]
        else:
            raise VerificationError(f"tile {level}/{n} is beyond a tree of size {self.size}")
        data = None
        for p in paths:
            data = self._preload.get(p)
            if data is None:
                data = self.fetch(p)
            if data is not None:
                break
        if data is None:
            raise VerificationError(
                f"tile {paths[0]} is missing", where=paths[0], fix="restore it from a mirror"
            )
        need = width * HASH_SIZE
        if len(data) < need or (len(data) != need and len(data) != TILE_WIDTH * HASH_SIZE):
            raise VerificationError(
                f"tile {paths[0]} is truncated or corrupted: {len(data)} bytes, expected {need}",
                where=paths[0],
            )
        data = data[:need]
        self.tiles_read += 1
        self._tiles[key] = data
        return data

    def node(self, level: int, index: int) -> bytes:
        """Hash of the perfect subtree at tree ``level``, ``index``."""
        tl, k = divmod(level, TILE_HEIGHT)
        first = index << k
        data = self.tile(tl, first >> TILE_HEIGHT)
        off = (first & (TILE_WIDTH - 1)) * HASH_SIZE
        hashes = [data[off + i * HASH_SIZE : off + (i + 1) * HASH_SIZE] for i in range(1 << k)]
        if len(hashes[-1]) != HASH_SIZE:
            raise VerificationError(f"tile {tile_path(tl, first >> TILE_HEIGHT)} is too short")
        sha = hashlib.sha256
        while len(hashes) > 1:
            hashes = [
                sha(b"\x01" + hashes[i] + hashes[i + 1]).digest() for i in range(0, len(hashes), 2)
            ]
        return hashes[0]

    def root(self) -> bytes:
        return EMPTY_ROOT if self.size == 0 else range_hash(0, self.size, self.node)

    def leaf_hash(self, index: int) -> bytes:
        return self.node(0, index)
