"""Key files on disk: written once, never overwritten; rotation keeps the old pair."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from payproof.errors import UsageError
from payproof.ledger.note import CosignatureSigner, generate_key


def key_paths(name: str, out: Path) -> tuple[Path, Path]:
    """``<out>/<name with / as _>.key`` and ``.vkey``."""
    stem = name.replace("/", "_")
    return Path(out) / f"{stem}.key", Path(out) / f"{stem}.vkey"


def write_key_pair(
    name: str, out: Path, *, witness: bool = False, rotate: bool = False
) -> tuple[Path, str, list[tuple[Path, Path]]]:
    """Generate and write a key pair; return (key path, vkey, [(old file, kept as)]).

    An existing pair is refused (a lost log key means the log can never be appended to
    again) unless ``rotate``, which renames the old files with a timestamp suffix first.
    """
    if Path(out).exists() and not Path(out).is_dir():
        raise UsageError(
            f"--out {out} is a file, not a folder: nothing was written.",
            fix="give a folder for the key files (it is created if missing)",
        )
    key_path, vkey_path = key_paths(name, out)
    existing = [p for p in (key_path, vkey_path) if p.exists() or p.is_symlink()]
    if existing and not rotate:
        raise UsageError(
            f"a key named {name} already exists: {', '.join(str(p) for p in existing)}; "
            "it was left untouched",
            fix="use that key (a log can only be appended to with its own key), choose "
            "another --out folder, or pass --rotate to replace it while keeping the old "
            "files (renamed <file>.replaced-<UTC time>)",
        )
    s = generate_key(name)
    vkey = CosignatureSigner(name, s.seed).vkey if witness else s.vkey
    Path(out).mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = [(p, _keep(p, stamp)) for p in existing]
    _write_new(key_path, s.private_key_string + "\n", 0o600)
    _write_new(vkey_path, vkey + "\n", 0o644)
    return key_path, vkey, kept


def _keep(path: Path, stamp: str) -> Path:
    """Rename ``path`` to a free ``<name>.replaced-<stamp>[-n]`` (never over another file)."""
    n = 0
    while True:
        target = path.with_name(f"{path.name}.replaced-{stamp}" + (f"-{n}" if n else ""))
        try:
            os.link(path, target)  # fails if target exists: never replaces a kept key
        except FileExistsError:
            n += 1
            continue
        path.unlink()
        return target


def _write_new(path: Path, text: str, mode: int) -> None:
    """Create ``path`` exclusively (O_EXCL): a file that appeared meanwhile is not replaced."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
