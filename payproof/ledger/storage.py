"""A tlog-tiles log on local disk: durable batched appends, one checkpoint per batch.

Layout of a log directory::

    public/           serve as static files (c2sp.org/tlog-tiles)
      checkpoint
      tile/<L>/<N>[.p/<W>]
      tile/entries/<N>[.p/<W>]
    private/          never publish: lock, signing record, salts and openings
      log.json  signed.json  pending.json  lock  openings/  blobs/

Crash safety, in write order: ``pending.json`` (intent) -> openings -> entry
bundles -> tiles -> ``signed.json`` (the one tree we will sign at that size) ->
``public/checkpoint``. Every file is written to a temporary name, fsynced, renamed
and its directory fsynced. A crash before ``signed.json`` rolls the batch back on
the next open; a crash after it re-publishes the same tree. Published tiles are
never rewritten, and a checkpoint is only published once its tiles are durable.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from payproof.errors import BusyError, InputError, VerificationError
from payproof.ledger import merkle
from payproof.ledger.checkpoint import Checkpoint, SignedCheckpoint, open_checkpoint
from payproof.ledger.note import Signer, Verifier, parse_vkey, split_note
from payproof.ledger.tiles import (
    TILE_WIDTH,
    TileReader,
    decode_bundle,
    dir_fetch,
    encode_bundle,
    full_tiles,
    partial_width,
    tile_levels,
    tile_path,
)

CRASH_ENV = "PAYPROOF_LEDGER_CRASH_AT"
CRASH_STEPS = ("after-openings", "after-bundles", "after-tiles", "after-signed", "after-checkpoint")


def _crash_point(step: str) -> None:
    """Test hook: kill this process at a named step (PAYPROOF_LEDGER_CRASH_AT=<step>)."""
    if os.environ.get(CRASH_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


class DurableWriter:
    """Writes files atomically (temp + fsync + rename) and fsyncs touched directories once."""

    def __init__(self, root: Path, fsync: bool = True):
        self.root = root
        self.fsync = fsync
        self._dirs: set[Path] = set()

    def write(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if self.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        self._dirs.add(path.parent)

    def sync_dirs(self) -> None:
        if self.fsync:
            for d in sorted(self._dirs, key=lambda p: len(p.parts), reverse=True):
                fd = os.open(d, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        self._dirs.clear()


def write_durably(path: Path, data: bytes) -> None:
    """Atomically replace one file, durably."""
    w = DurableWriter(path.parent)
    w.write(path.name, data)
    w.sync_dirs()


@dataclass(frozen=True)
class AppendResult:
    first_index: int
    count: int
    checkpoint: str

    @property
    def size(self) -> int:
        return self.first_index + self.count


class Log:
    """One payproof log. Open it for reading anywhere; for writing, one process at a time."""

    def __init__(self, root: Path, *, signer: Signer | None = None, fsync: bool = True):
        self.root = Path(root)
        self.public = self.root / "public"
        self.private = self.root / "private"
        self.signer = signer
        self.fsync = fsync
        self._lock_fd: int | None = None
        meta_path = self.private / "log.json"
        if not meta_path.exists():
            raise InputError(
                f"{self.root} is not a payproof log",
                where=str(meta_path),
                fix="create one with 'payproof ledger init'",
            )
        self.meta = json.loads(meta_path.read_text(encoding="utf-8"))
        self.origin: str = self.meta["origin"]
        self.verifier: Verifier = parse_vkey(self.meta["vkey"])
        self.size = 0
        self.root_hash = merkle.EMPTY_ROOT
        self._edges: dict[int, bytes] = {}
        self._bundle_edge: list[bytes] = []
        self._interrupted = False  # an append failed part-way: this handle's edges are stale

    # --- creation and opening --------------------------------------------------------------

    @classmethod
    def create(cls, root: Path, signer: Signer, *, fsync: bool = True) -> Log:
        """Create an empty log whose origin is the signer's key name; signs checkpoint 0."""
        root = Path(root)
        if (root / "private" / "log.json").exists():
            raise InputError(f"a log already exists at {root}", fix="choose another directory")
        (root / "public").mkdir(parents=True, exist_ok=True)
        (root / "private" / "openings").mkdir(parents=True, exist_ok=True)
        meta = {"format": "payproof-ledger/v1", "origin": signer.name, "vkey": signer.vkey}
        write_durably(root / "private" / "log.json", json.dumps(meta, indent=1).encode())
        log = cls(root, signer=signer, fsync=fsync)
        log._lock()
        log._publish(0, merkle.EMPTY_ROOT)
        return log

    @classmethod
    def open(
        cls, root: Path, *, signer: Signer | None = None, write: bool = False, fsync: bool = True
    ) -> Log:
        """Open a log. ``write=True`` takes the lock (BusyError if held) and recovers a crash."""
        log = cls(root, signer=signer, fsync=fsync)
        if signer is not None and signer.vkey != log.meta["vkey"]:
            raise VerificationError(
                "this private key does not belong to the log",
                where=str(root),
                fix=f"use the key whose verifier key is {log.meta['vkey']}",
            )
        if write:
            if signer is None:
                raise VerificationError("writing to a log needs its private key")
            log._lock()
            log._recover()
        else:
            sc = log.signed_checkpoint()
            log.size, log.root_hash = sc.checkpoint.size, sc.checkpoint.root
        return log

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Log:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def lock(self) -> None:
        """Take the writer lock (BusyError if another process holds it)."""
        self._lock()

    def _lock(self) -> None:
        self.private.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.private / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise BusyError(
                "another process is writing to this log",
                where=str(self.private / "lock"),
                fix="wait for the other 'payproof ledger' command to finish, then retry",
            ) from exc
        self._lock_fd = fd

    # --- reading ---------------------------------------------------------------------------

    def signed_checkpoint(self) -> SignedCheckpoint:
        path = self.public / "checkpoint"
        if not path.exists():
            raise VerificationError("the log has no published checkpoint", where=str(path))
        return open_checkpoint(path.read_bytes(), [self.verifier], origin=self.origin)

    def reader(self, size: int | None = None) -> TileReader:
        return TileReader(dir_fetch(self.public), self.size if size is None else size)

    def entries(self, start: int, end: int, size: int | None = None) -> list[bytes]:
        """Entries [start, end) read from the entry bundles of a tree of ``size``."""
        size = self.size if size is None else size
        out: list[bytes] = []
        for n in range(start // TILE_WIDTH, (end + TILE_WIDTH - 1) // TILE_WIDTH):
            width = min(TILE_WIDTH, size - n * TILE_WIDTH)
            rel = tile_path("entries", n, None if width == TILE_WIDTH else width)
            data = _read_or_full(self.public, rel, "entries", n)
            bundle = decode_bundle_prefix(data, width, rel)
            lo = max(start - n * TILE_WIDTH, 0)
            hi = min(end - n * TILE_WIDTH, width)
            out.extend(bundle[lo:hi])
        return out

    def entry(self, index: int) -> bytes:
        if not 0 <= index < self.size:
            raise InputError(f"entry {index} is not in the log (size {self.size})")
        return self.entries(index, index + 1)[0]

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        r = self.reader(size)
        return merkle.inclusion_proof(index, r.size, r.node)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        r = self.reader(size2)
        return merkle.consistency_proof(size1, r.size, r.node)

    # --- writing ---------------------------------------------------------------------------

    def _signed_record(self) -> dict | None:
        path = self.private / "signed.json"
        if not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def _recover(self) -> None:
        """Finish or roll back a batch interrupted by a crash; load the right edge."""
        rec = self._signed_record()
        if rec is None:
            raise VerificationError("the log's signing record is missing", where=str(self.private))
        size, root = rec["size"], bytes.fromhex(rec["root"])
        pending_path = self.private / "pending.json"
        if pending_path.exists():
            pending = json.loads(pending_path.read_text(encoding="utf-8"))
            if pending["target"] != size:
                self._roll_back(size, pending["target"])
        self.size, self.root_hash = size, root
        self._load_edges()
        if self.reader().root() != root:
            raise VerificationError(
                "the stored tiles do not match the last signed tree", where=str(self.public)
            )
        try:
            published = self.signed_checkpoint().checkpoint
        except VerificationError:
            published = None
        if published is None or published.size != size or published.root != root:
            if published is not None and published.size > size:
                raise VerificationError(
                    "the published checkpoint is ahead of the log's signing record",
                    where=str(self.public / "checkpoint"),
                    fix="the log directory was altered; restore it from a backup",
                )
            self._publish(size, root)
        pending_path.unlink(missing_ok=True)

    def _roll_back(self, size: int, target: int) -> None:
        """Delete files an unfinished batch wrote beyond the committed ``size``."""
        for level in ["entries", *range(tile_levels(target))]:
            lvl = 0 if level == "entries" else level
            keep_full = full_tiles(lvl, size)
            keep_w = partial_width(lvl, size)
            last = (target >> (8 * lvl)) // TILE_WIDTH
            for n in range(keep_full, last + 1):
                (self.public / tile_path(level, n)).unlink(missing_ok=True)
                pdir = self.public / (tile_path(level, n) + ".p")
                if pdir.is_dir():
                    for f in pdir.iterdir():
                        if not f.name.isdigit() or n > keep_full or int(f.name) > keep_w:
                            f.unlink()
        for folder in ("openings", "index"):
            for f in (self.private / folder).glob("*.parquet"):
                if int(f.stem.split("-")[1]) > size:
                    f.unlink()

    def _load_edges(self) -> None:
        self._edges = {}
        for level in range(tile_levels(self.size)):
            w = partial_width(level, self.size)
            if w:
                self._edges[level] = self.reader().tile(level, full_tiles(level, self.size))
        w = partial_width(0, self.size)
        self._bundle_edge = self.entries(self.size - w, self.size) if w else []

    def _sign_tree(self, size: int, root: bytes) -> None:
        """Record (size, root) durably before signing: never two trees of the same size."""
        rec = self._signed_record()
        if rec is not None:
            if size < rec["size"]:
                raise VerificationError(
                    f"refusing to sign size {size}: already signed {rec['size']}"
                )
            if size == rec["size"] and root.hex() != rec["root"]:
                raise VerificationError(f"refusing to sign a second, different tree of size {size}")
        data = json.dumps({"size": size, "root": root.hex()}).encode()
        write_durably(self.private / "signed.json", data)

    def _publish(self, size: int, root: bytes) -> str:
        self._sign_tree(size, root)
        _crash_point("after-signed")
        if self.signer is None:
            raise VerificationError("signing a checkpoint needs the log's private key")
        text = Checkpoint(self.origin, size, root).sign([self.signer])
        write_durably(self.public / "checkpoint", text.encode())
        self.size, self.root_hash = size, root
        return text

    def store_blob(self, digest: str, blob: bytes) -> None:
        """Keep an encrypted narrative blob off-log (private/blobs/<sha256>.bin)."""
        write_durably(self.private / "blobs" / f"{digest}.bin", blob)

    def find_opening(self, record_id: str, type_: str | None = None) -> dict:
        """The private opening (index, salt, plaintexts) of a record, from the sidecar."""
        import pyarrow.compute as pc

        for f in sorted((self.private / "openings").glob("*.parquet")):
            if int(f.stem.split("-")[1]) > self.size:
                continue
            t = pq.read_table(f)
            mask = pc.equal(t["record_id"], record_id)
            if type_:
                mask = pc.and_(mask, pc.equal(t["type"], type_))
            hit = t.filter(mask)
            if hit.num_rows:
                row = hit.slice(hit.num_rows - 1).to_pylist()[0]
                row["salt"] = row["salt"].hex()
                return row
        raise InputError(
            f"no record {record_id!r} in this log's private sidecar",
            where=str(self.private / "openings"),
            fix="check the payment, receipt or grievance id (entitlements: <family_id>:<period>)",
        )

    def publish_cosigned(self, cosigned: str) -> None:
        """Replace the checkpoint by the same tree with witness cosignatures added."""
        sc = open_checkpoint(cosigned, [self.verifier], origin=self.origin)
        if (sc.checkpoint.size, sc.checkpoint.root) != (self.size, self.root_hash):
            raise VerificationError("cosigned checkpoint is not the log's current tree")
        split_note(cosigned)
        write_durably(self.public / "checkpoint", cosigned.encode())

    def append(self, entries: list[bytes], private_rows: pa.Table | None = None) -> AppendResult:
        """Append a batch durably and publish one new checkpoint; returns its text."""
        if self._lock_fd is None:
            raise VerificationError("the log is not open for writing")
        if self._interrupted:
            raise VerificationError(
                "an earlier append on this log handle stopped part-way",
                fix="open the log again: opening it for writing finishes or rolls back the batch",
            )
        if not entries:
            cp = (self.public / "checkpoint").read_text(encoding="utf-8")
            return AppendResult(self.size, 0, cp)
        try:
            return self._append_batch(entries, private_rows)
        except BaseException:
            # Ctrl-C, SIGTERM or an error inside a batch: the files on disk are recovered by
            # the next writer that opens the log; this handle must not append again.
            self._interrupted = True
            raise

    def _append_batch(self, entries: list[bytes], private_rows: pa.Table | None) -> AppendResult:
        start, target = self.size, self.size + len(entries)
        write_durably(self.private / "pending.json", json.dumps({"target": target}).encode())
        w = DurableWriter(self.public, fsync=self.fsync)
        if private_rows is not None:
            self._write_openings(start, target, private_rows)
        _crash_point("after-openings")
        self._write_bundles(w, start, entries)
        _crash_point("after-bundles")
        preload = self._write_tiles(w, start, merkle.leaf_hashes(entries))
        w.sync_dirs()
        _crash_point("after-tiles")
        root = TileReader(dir_fetch(self.public), target, preload).root()
        text = self._publish(target, root)
        (self.private / "pending.json").unlink(missing_ok=True)
        _crash_point("after-checkpoint")
        return AppendResult(start, len(entries), text)

    def _write_openings(self, start: int, target: int, private_rows: pa.Table) -> None:
        """The batch's openings and its record-index rows, durable before any entry is."""
        from payproof.ledger.index import index_path, index_rows

        if private_rows.num_rows != target - start:
            raise ValueError("private_rows must have one row per entry")
        pw = DurableWriter(self.private, fsync=self.fsync)
        digests = "content_sha256" in private_rows.column_names
        if digests:
            idx = index_rows(private_rows, start)
            rel = index_path(self.private, start, target).relative_to(self.private)
            pw.write(str(rel), _parquet_bytes(idx))
            private_rows = private_rows.drop_columns(["content_sha256"])
        rows = private_rows.append_column("index", pa.array(range(start, target), type=pa.int64()))
        pw.write(f"openings/{start:012d}-{target:012d}.parquet", _parquet_bytes(rows))
        pw.sync_dirs()

    def write_private(self, path: Path, table: pa.Table) -> None:
        """Write a private Parquet file durably (the record index, when it is rebuilt)."""
        write_durably(path, _parquet_bytes(table))

    def _write_bundles(self, w: DurableWriter, start: int, entries: list[bytes]) -> None:
        pending = self._bundle_edge + entries
        n = start // TILE_WIDTH
        for off in range(0, len(pending), TILE_WIDTH):
            chunk = pending[off : off + TILE_WIDTH]
            width = None if len(chunk) == TILE_WIDTH else len(chunk)
            w.write(tile_path("entries", n + off // TILE_WIDTH, width), encode_bundle(chunk))
        tail = len(pending) % TILE_WIDTH
        self._bundle_edge = pending[-tail:] if tail else []

    def _write_tiles(self, w: DurableWriter, start: int, hashes: list[bytes]) -> dict[str, bytes]:
        """Write level-0 tiles and every level above that changed; return the new edges."""
        preload: dict[str, bytes] = {}
        new = b"".join(hashes)
        level = 0
        while new:
            buf = self._edges.get(level, b"") + new
            n0 = (start >> (8 * level)) // TILE_WIDTH
            parents: list[bytes] = []
            size = TILE_WIDTH * 32
            for off in range(0, len(buf), size):
                chunk = buf[off : off + size]
                n = n0 + off // size
                if len(chunk) == size:
                    w.write(tile_path(level, n), chunk)
                    hs = [chunk[i : i + 32] for i in range(0, size, 32)]
                    parents.append(merkle.root_of_perfect(hs))
                else:
                    p = tile_path(level, n, len(chunk) // 32)
                    w.write(p, chunk)
                    preload[p] = chunk
            tail = len(buf) % size
            self._edges[level] = buf[-tail:] if tail else b""
            new = b"".join(parents)
            level += 1
        # An upper-level partial tile whose content did not change is still on disk.
        return preload


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _read_or_full(public: Path, rel: str, level, n: int) -> bytes:
    path = public / rel
    try:
        return path.read_bytes()
    except FileNotFoundError:
        try:
            return (public / tile_path(level, n)).read_bytes()
        except FileNotFoundError as exc:
            raise VerificationError(f"{rel} is missing", where=str(path)) from exc


def decode_bundle_prefix(data: bytes, width: int, where: str) -> list[bytes]:
    """Decode the first ``width`` entries of a bundle (a full bundle may serve a partial)."""
    if width == TILE_WIDTH:
        return decode_bundle(data, width, where)
    pos = 0
    for _ in range(width):
        if pos + 2 > len(data):
            break
        pos += 2 + int.from_bytes(data[pos : pos + 2], "big")
    return decode_bundle(data[:pos], width, where)
