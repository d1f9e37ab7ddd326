"""A c2sp.org/tlog-witness witness (add-checkpoint), its tiny HTTP endpoint, and a client.

The witness keeps, per log origin, the last checkpoint it cosigned. It cosigns a
new checkpoint only if it is signed by the log's key and is provably an
extension of that one (RFC 6962 consistency proof), so a log that rewrites or
forks its history, or rolls back, cannot get a cosignature. The state update is
a compare-and-swap under a file lock, persisted before the cosignature is returned.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from payproof.errors import VerificationError
from payproof.ledger import merkle
from payproof.ledger.checkpoint import open_checkpoint, parse_body
from payproof.ledger.note import CosignatureSigner, Verifier, split_note
from payproof.ledger.policy import Policy
from payproof.ledger.storage import write_durably

MAX_PROOF_LINES = 63
MAX_BODY = 1 << 16


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"


class Witness:
    """A witness for a fixed set of logs; state lives in ``state_dir``."""

    def __init__(self, state_dir: Path, signer: CosignatureSigner, logs: list[Verifier]):
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.signer = signer
        self.logs = {v.name: v for v in logs}

    def _state_path(self, origin: str) -> Path:
        return self.state_dir / (hashlib.sha256(origin.encode()).hexdigest() + ".json")

    def latest(self, origin: str) -> tuple[int, bytes, str | None]:
        path = self._state_path(origin)
        if not path.exists():
            return 0, merkle.EMPTY_ROOT, None
        st = json.loads(path.read_text(encoding="utf-8"))
        return st["size"], bytes.fromhex(st["root"]), st["checkpoint"]

    def add_checkpoint(self, body: bytes) -> Response:
        """The add-checkpoint logic; HTTP status codes as in c2sp.org/tlog-witness."""
        try:
            old, proof, checkpoint = _parse_request(body)
        except VerificationError as exc:
            return Response(400, exc.what.encode() + b"\n")
        try:
            text, _ = split_note(checkpoint)
            origin = text.split("\n", 1)[0]
        except VerificationError as exc:
            return Response(400, exc.what.encode() + b"\n")
        log_key = self.logs.get(origin)
        if log_key is None:
            return Response(404, b"unknown log origin\n")
        try:
            cp = open_checkpoint(checkpoint, [log_key], origin=origin).checkpoint
        except VerificationError as exc:
            return Response(403, exc.what.encode() + b"\n")
        if old > cp.size:
            return Response(400, b"old size is larger than the checkpoint size (a rollback)\n")
        lock_fd = (self.state_dir / "lock").open("a+")
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)  # compare-and-swap of the stored size
            size, root, _ = self.latest(origin)
            if old != size:
                return Response(409, f"{size}\n".encode(), "text/x.tlog.size")
            problem = _check_consistency(old, cp.size, proof, root, cp.root)
            if problem:
                return Response(422, problem.encode() + b"\n")
            line = self.signer.signature_line(text.encode())
            state = {"size": cp.size, "root": cp.root.hex(), "checkpoint": checkpoint.decode()}
            write_durably(self._state_path(origin), json.dumps(state).encode())
        finally:
            fcntl.flock(lock_fd, fcntl.LOCK_UN)
            lock_fd.close()
        return Response(200, line.encode())


def _parse_request(body: bytes) -> tuple[int, list[bytes], bytes]:
    if len(body) > MAX_BODY:
        raise VerificationError("request too large")
    head, sep, checkpoint = body.partition(b"\n\n")
    if not sep:
        raise VerificationError("request lacks the blank line before the checkpoint")
    lines = head.split(b"\n")
    if not lines[0].startswith(b"old ") or not lines[0][4:].isdigit():
        raise VerificationError("first line must be 'old <size>'")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise VerificationError("too many proof lines")
    try:
        proof = [base64.b64decode(x, validate=True) for x in lines[1:]]
    except (binascii.Error, ValueError) as exc:
        raise VerificationError("a proof line is not base64") from exc
    return int(lines[0][4:]), proof, checkpoint


def _check_consistency(old: int, size: int, proof: list[bytes], root1: bytes, root2: bytes) -> str:
    """'' if the new tree extends the stored one, else why not (a 422 reply)."""
    if old == 0:
        if proof:
            return "old size 0 needs an empty proof"
        if size == 0 and root2 != merkle.EMPTY_ROOT:
            return "an empty tree must have the empty root"
        return ""
    try:
        merkle.verify_consistency(old, size, proof, root1, root2)
    except VerificationError as exc:
        return f"refused: {exc.what} (the log rewrote or forked its history)"
    return ""


def request_body(old: int, proof: list[bytes], checkpoint: str) -> bytes:
    lines = [f"old {old}"] + [base64.b64encode(h).decode() for h in proof]
    return ("\n".join(lines) + "\n\n" + checkpoint).encode()


def serve(witness: Witness, port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server for ``POST /add-checkpoint``; caller runs serve_forever()/shutdown()."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server API)
            if self.path.rstrip("/").split("/")[-1] != "add-checkpoint":
                self._reply(Response(404, b"not found\n"))
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._reply(Response(400, b"request too large\n"))
                return
            self._reply(witness.add_checkpoint(self.rfile.read(length)))

        def _reply(self, r: Response) -> None:
            self.send_response(r.status)
            self.send_header("Content-Type", r.content_type)
            self.send_header("Content-Length", str(len(r.body)))
            self.end_headers()
            self.wfile.write(r.body)

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

    return ThreadingHTTPServer((host, port), Handler)


def submit(url: str, body: bytes, timeout: float = 10.0) -> Response:
    """POST an add-checkpoint request; returns the status and body whatever they are."""
    req = urllib.request.Request(url.rstrip("/") + "/add-checkpoint", data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 (explicit URL)
            return Response(r.status, r.read(), r.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as e:
        return Response(e.code, e.read(), e.headers.get("Content-Type", ""))


def cosign_with(log, send, *, known_size: int = 0, attempts: int = 2) -> tuple[str | None, str]:
    """Ask one witness (``send(body) -> Response``) to cosign the log's current checkpoint.

    Starts from ``known_size`` and follows one 409 reply (bounded loop).
    Returns (signature lines or None, message).
    """
    checkpoint = (log.public / "checkpoint").read_text(encoding="utf-8")
    cp = parse_body(split_note(checkpoint)[0])
    old = known_size
    for _ in range(attempts):
        proof = log.consistency_proof(old, cp.size) if 0 < old < cp.size else []
        r = send(request_body(old, proof, checkpoint))
        if r.status == 200:
            return r.body.decode(), "cosigned"
        if r.status == 409 and r.body.strip().isdigit():
            old = int(r.body.strip())
            if old > cp.size:
                return None, f"witness has seen a larger tree ({old}): possible fork or rollback"
            continue
        return None, f"HTTP {r.status}: {r.body.decode(errors='replace').strip()}"
    return None, "witness kept answering 409"


def gather_cosignatures(log, policy: Policy, timeout: float = 10.0) -> tuple[str, dict[str, str]]:
    """Collect cosignatures from every policy witness with a URL; publish them on the log."""
    checkpoint = (log.public / "checkpoint").read_text(encoding="utf-8")
    state_path = log.private / "witnesses.json"
    known = json.loads(state_path.read_text()) if state_path.exists() else {}
    results: dict[str, str] = {}
    lines: list[str] = []
    for w in policy.witnesses.values():
        if not w.url:
            results[w.name] = "no URL in policy; skipped"
            continue

        def send(body: bytes, url: str = w.url) -> Response:
            return submit(url, body, timeout)

        try:
            sig, msg = cosign_with(log, send, known_size=known.get(w.name, 0))
        except OSError as exc:
            sig, msg = None, f"unreachable: {exc}"
        results[w.name] = msg
        if sig:
            lines.append(sig if sig.endswith("\n") else sig + "\n")
            known[w.name] = log.size
    if lines:
        text, sigs = split_note(checkpoint)
        existing = "".join(s.line for s in sigs)
        cosigned = text + "\n" + existing + "".join(line for line in lines if line not in existing)
        log.publish_cosigned(cosigned)
        write_durably(state_path, json.dumps(known).encode())
        checkpoint = cosigned
    return checkpoint, results
