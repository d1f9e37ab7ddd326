"""What an output folder holds, and how a finished run replaces the previous one.

A run's files are listed in the folder's manifest ``.payproof-run.json``
(command, files, time). A new run is staged in a hidden folder inside OUT and
swapped in by :func:`swap`: one ``rename`` of the staging folder to
``.payproof-swap`` decides the swap, then :func:`roll_forward` moves each new
file over the old one, removes the previous run's files this run did not
produce, and writes the new manifest last. Rolling forward is idempotent, so a
swap cut short by a crash (power loss, SIGKILL) is finished by the next run
before it starts: the folder holds the previous complete run or the new one.

Files a payproof run did not write (an export, the user's notes) are never
overwritten or removed: :func:`check_clashes` refuses first.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from payproof import __version__
from payproof.atomic import write_json
from payproof.errors import UsageError
from payproof.lifecycle.lock import swap_lock

MANIFEST = ".payproof-run.json"
SWAP = ".payproof-swap"
STAGING_PREFIX = ".payproof-run-"
FILES = "files"  # the staged outputs, inside a staging or swap folder
OLD = "old"  # folders set aside during a swap, inside the swap folder
# Written by payproof before manifests existed: a folder holding one of these,
# with a payproof version inside, is a previous run's output.
LEGACY_SUMMARIES = ("summary.json", "ghosts_summary.json")


def manifest(folder: Path) -> dict | None:
    """The manifest of the run whose outputs ``folder`` holds (None if there is none)."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"{MANIFEST} in {folder} cannot be read ({exc}).",
            where=str(folder),
            fix=f"Remove {MANIFEST} and the outputs of the earlier run, or give another folder.",
        ) from exc
    return data


def _legacy_run(folder: Path) -> bool:
    for name in LEGACY_SUMMARIES:
        try:
            data = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and (
            "payproof_version" in data or "payproof_version" in data.get("run", {})
        ):
            return True
    return False


def previous_files(folder: Path, produces: Iterable[str]) -> set[str]:
    """Names of the previous run's outputs in ``folder``, which a new run may replace.

    From the manifest; for a folder written before manifests existed, the names
    this command produces, if the folder holds a payproof summary.
    """
    folder = Path(folder)
    found = manifest(folder)
    if found is not None:
        return {n for n in found.get("files", ()) if _plain(n)}
    if _legacy_run(folder):
        return {name for name in produces if (folder / name).exists()}
    return set()


def _plain(name: object) -> bool:
    """A name of an entry directly in the folder (a manifest never reaches outside it)."""
    return (
        isinstance(name, str) and name not in ("", ".", "..") and "/" not in name
        and "\\" not in name and not name.startswith(".")
    )  # fmt: skip


def visible_entries(folder: Path) -> set[str]:
    """Names in ``folder`` other than payproof's hidden working files."""
    return {p.name for p in Path(folder).iterdir() if not p.name.startswith(".")}


def check_clashes(folder: Path, names: Iterable[str], previous: set[str]) -> None:
    """Refuse to write over a file that no payproof run wrote (an export, say)."""
    folder = Path(folder)
    foreign = sorted(n for n in names if n not in previous and (folder / n).exists())
    if foreign:
        raise UsageError(
            f"The output folder already holds {', '.join(foreign)}, which no payproof run "
            "wrote there (an input export?): payproof will not overwrite it.",
            where=str(folder),
            fix="Give an empty or new folder for --out (never the input folder).",
        )


def check_separate(out_dir: Path, inputs: Iterable[Path]) -> None:
    """Refuse an output folder that is, contains, or lies inside an input folder."""
    out = Path(out_dir).resolve()
    for given in inputs:
        inp = Path(given).resolve()
        if out == inp:
            what = f"--out {out_dir} is the input folder"
        elif out.is_relative_to(inp):
            what = f"--out {out_dir} lies inside the input folder {given}"
        elif inp.is_relative_to(out):
            what = f"The input folder {given} lies inside --out {out_dir}"
        else:
            continue
        raise UsageError(
            f"{what}: the outputs (families.csv, staff.csv, …) would overwrite or mix with "
            "the input exports. Nothing was written.",
            where=str(out_dir),
            fix="Give an --out folder outside the input folder, e.g. a sibling 'results'.",
        )


def new_manifest(
    command: str, files: Iterable[str], replaced: Iterable[str], *, exclusive: bool = False
) -> dict:
    """The record of a run: its files, and the previous run's files it replaced.

    ``exclusive``: the files are another command's input (a generated programme), so
    no run of another command may replace them.
    """
    return {
        "command": command,
        "exclusive": exclusive,
        "payproof_version": __version__,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": sorted(files),
        "replaced": sorted(replaced),
    }


def swap(folder: Path, staging: Path, record: dict) -> None:
    """Make the staged run the folder's run (call with signals deferred and the run lock held)."""
    folder = Path(folder)
    write_json(staging / MANIFEST, record)
    with swap_lock(folder):
        os.replace(staging, folder / SWAP)  # the decision: from here the new run wins
        roll_forward(folder)


def roll_forward(folder: Path) -> None:
    """Finish a decided swap (idempotent: safe to repeat after a crash at any point)."""
    folder = Path(folder)
    pending = folder / SWAP
    if not pending.exists():
        return
    record_path = pending / MANIFEST
    if record_path.exists():
        record = json.loads(record_path.read_text(encoding="utf-8"))
    else:  # the new manifest is already in place: only the clean-up was left
        record = manifest(folder) or {"files": []}
    new = list(record.get("files", ()))
    staged, old = pending / FILES, pending / OLD
    for name in new:
        src, dst = staged / name, folder / name
        if not src.exists() and not src.is_symlink():
            continue  # moved before the crash
        if dst.is_dir() and not dst.is_symlink() or src.is_dir():
            old.mkdir(exist_ok=True)
            if dst.exists() or dst.is_symlink():
                shutil.rmtree(old / name, ignore_errors=True)
                os.replace(dst, old / name)
        os.replace(src, dst)
    if record_path.exists():
        for name in {n for n in record.get("replaced", ()) if _plain(n)} - set(new):
            remove(folder / name)
        os.replace(record_path, folder / MANIFEST)
    shutil.rmtree(pending)


def remove(path: Path) -> None:
    """Remove a file or a folder (missing is fine)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def clear_stale(folder: Path) -> None:
    """Finish a swap a crash cut short; remove staging folders of runs that died."""
    folder = Path(folder)
    if (folder / SWAP).exists():
        with swap_lock(folder):
            roll_forward(folder)
    for leftover in folder.glob(STAGING_PREFIX + "*"):
        shutil.rmtree(leftover, ignore_errors=True)
