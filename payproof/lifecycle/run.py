"""One run of a command into an output folder, from lock to swap.

Every command that writes a folder of results (``audit``, ``ghosts``,
``generate``; the portal the same way) does::

    with Run(out, "audit", inputs=[input_dir], produces=AUDIT_FILES, progress=cb) as run:
        engine = run.open_store("payproof.duckdb", memory_limit=...)
        with run.step("ingest"):
            ...                              # write every output into run.staging
        run.close_store()                    # CHECKPOINT; readers may open it now
        write_report(run.staging)            # rendered from the staged files
        run.commit()                         # the swap: all of it appears at once

Before anything is written, ``Run`` refuses an output folder that is, holds or
lies inside an input folder, and one whose files it would replace were not
written by a payproof run. It then locks the folder, finishes a swap a crash
cut short, and stages into a hidden folder inside OUT (same file system, so the
swap is a rename). Leaving the ``with`` block without :meth:`commit` — an
error, an interruption — removes the staging folder: OUT keeps the previous
complete run. :meth:`commit` refuses after an interruption; the swap itself
runs with signals deferred.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from payproof.atomic import write_json
from payproof.engine.duckdb_engine import DEFAULT_MEMORY_LIMIT, DuckDBEngine, check_memory_limit
from payproof.errors import InputError, UsageError
from payproof.lifecycle import folder as fs
from payproof.lifecycle import interrupt
from payproof.lifecycle.lock import folder_lock

Progress = Callable[[str], None] | None


class Run:
    """A command's run into ``out_dir``; use as a context manager (see the module doc)."""

    def __init__(
        self,
        out_dir: str | Path,
        command: str,
        *,
        inputs: Iterable[str | Path] = (),
        produces: Iterable[str] = (),
        exclusive: bool = False,
        overwrite: bool = True,
        memory_limit: str | None = None,
        progress: Progress = None,
    ) -> None:
        """``produces``: every name the command may write (checked for clashes up front).

        ``exclusive``: the folder may hold nothing but a previous run of this
        command (``generate``: its files are some program's input). ``overwrite``:
        whether that previous run may be replaced.
        """
        self.out_dir = Path(out_dir)
        self.command = command
        self.inputs = [Path(p) for p in inputs]
        self.produces = set(produces)
        self.exclusive = exclusive
        self.overwrite = overwrite
        self.memory_limit = memory_limit
        self.progress = progress
        self.timings: dict[str, float] = {}
        self.previous: set[str] = set()
        self.committed = False
        self._root: Path | None = None
        self._store: DuckDBEngine | None = None
        self._stack = ExitStack()

    # -- staging -------------------------------------------------------------------

    @property
    def staging(self) -> Path:
        """The folder to write every output into (hidden, inside OUT)."""
        if self._root is None:
            raise RuntimeError("Run.staging is only available inside 'with Run(...)'")
        return self._root / fs.FILES

    def __enter__(self) -> Run:
        check_memory_limit(self.memory_limit)
        fs.check_separate(self.out_dir, self.inputs)
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise InputError(
                f"{self.out_dir} exists and is not a folder.", fix="Give a folder for --out."
            )
        if self.out_dir.is_dir():
            self._check_folder()  # refuse before writing even a lock file
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._stack.enter_context(folder_lock(self.out_dir))
        try:
            fs.clear_stale(self.out_dir)
            self._check_folder()  # again, now that no other run can change it
            self._root = self.out_dir / f"{fs.STAGING_PREFIX}{os.getpid()}"
            shutil.rmtree(self._root, ignore_errors=True)
            self.staging.mkdir(parents=True)
        except BaseException:
            self._stack.close()
            raise
        return self

    def _check_folder(self) -> None:
        self.previous = fs.previous_files(self.out_dir, self.produces)
        self._check_not_kept()
        if self.exclusive:
            self._check_exclusive()
        fs.check_clashes(self.out_dir, self.produces, self.previous)

    def _check_not_kept(self) -> None:
        """Refuse to replace an exclusive run of another command (a generated programme is
        some audit's input: an audit into its folder would delete the exports)."""
        found = fs.manifest(self.out_dir)
        if found is None or not found.get("exclusive") or found.get("command") == self.command:
            return
        raise UsageError(
            f"{self.out_dir} holds the files of `payproof {found.get('command')}` (a programme "
            f"to audit, not an earlier result): `payproof {self.command}` will not replace "
            "them. Nothing was changed.",
            where=str(self.out_dir),
            fix="Give an empty or new folder for --out.",
        )

    def _check_exclusive(self) -> None:
        found = fs.manifest(self.out_dir)
        mine = found is not None and found.get("command") == self.command
        previous = set(found.get("files", ())) if mine else set()
        others = sorted(fs.visible_entries(self.out_dir) - previous)
        if others:
            shown = ", ".join(others[:5]) + (" …" if len(others) > 5 else "")
            raise UsageError(
                f"{self.out_dir} already holds {shown}, which `payproof {self.command}` did "
                "not write there: it will not write into a folder with other files. "
                "Nothing was changed.",
                where=str(self.out_dir),
                fix="Give an empty or new folder.",
            )
        if previous and not self.overwrite:
            raise UsageError(
                f"{self.out_dir} holds the output of an earlier `payproof {self.command}`.",
                where=str(self.out_dir),
                fix="Give --overwrite to replace it, or give an empty or new folder.",
            )

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.close_store(checkpoint=False)
            if self._root is not None and not self.committed:
                shutil.rmtree(self._root, ignore_errors=True)
                stopped = exc_type is not None and issubclass(exc_type, KeyboardInterrupt)
                if stopped or interrupt.received() is not None:
                    interrupt.note(
                        f"{self.out_dir} keeps its previous complete run (if any); "
                        "nothing of this run was kept."
                    )
        finally:
            self._stack.close()

    # -- the store -----------------------------------------------------------------

    def open_store(self, name: str, *, threads: int | None = None) -> DuckDBEngine:
        """A DuckDB store built in the staging folder (spilling inside it, never beside)."""
        if self._store is not None:
            raise RuntimeError("this run already has a store open")
        spill = self._root / "spill"
        self._store = DuckDBEngine(
            self.staging / name,
            memory_limit=self.memory_limit or DEFAULT_MEMORY_LIMIT,
            temp_directory=spill,
            threads=threads,
        )
        return self._store

    def close_store(self, *, checkpoint: bool = True) -> None:
        """Write the store out completely (``CHECKPOINT``) and close it."""
        store, self._store = self._store, None
        if store is None:
            return
        try:
            if checkpoint:
                store.execute("CHECKPOINT")
        finally:
            store.close()

    # -- steps ---------------------------------------------------------------------

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time one step (``self.timings``), announce it, and stop at an interruption."""
        interrupt.raise_if_interrupted()
        if self.progress:
            self.progress(name)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - start, 3)
        interrupt.raise_if_interrupted()

    # -- the swap ------------------------------------------------------------------

    def commit(self, files: Iterable[str] | None = None) -> list[str]:
        """Swap the staged outputs (or only ``files`` of them) into OUT, all at once.

        Removes the previous run's files this run did not produce; returns the
        names now in OUT. Refused after an interruption: an interrupted run never
        replaces a complete one.
        """
        interrupt.raise_if_interrupted()
        self.close_store()
        shutil.rmtree(self._root / "spill", ignore_errors=True)
        staged = fs.visible_entries(self.staging)
        names = staged if files is None else set(files)
        if missing := names - staged:
            raise RuntimeError(f"commit of files that were not staged: {sorted(missing)}")
        for name in staged - names:
            fs.remove(self.staging / name)
        for leftover in self.staging.glob(".*"):  # temporary files of a writer
            fs.remove(leftover)
        fs.check_clashes(self.out_dir, names, self.previous)
        record = fs.new_manifest(self.command, names, self.previous, exclusive=self.exclusive)
        with interrupt.deferred():
            fs.swap(self.out_dir, self._root, record)
            self.committed = True
            interrupt.note(f"{self.out_dir} holds this run's complete result (it was in "
                           "place before the interruption).")  # fmt: skip
        return sorted(names)


def publish(out_dir: str | Path, name: str, write: Callable[[], object]) -> Path:
    """Write (or rewrite) one file of the finished run in ``out_dir``; list it in its manifest.

    For a command that adds to a run, as ``payproof report OUT`` adds report.html:
    under the folder lock, ``write()`` writes ``OUT/name`` (atomically, as every
    payproof writer does), then the manifest lists it, so the next run into the
    folder replaces or removes it with the rest.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InputError(
            f"The output folder {out_dir} does not exist.",
            fix="Give the --out folder of an earlier run.",
        )
    with folder_lock(out_dir):
        fs.clear_stale(out_dir)
        record = fs.manifest(out_dir)
        if record is not None:
            fs.check_clashes(out_dir, [name], set(record.get("files", ())))
        write()
        if record is not None and name not in record.get("files", ()):
            record["files"] = sorted([*record.get("files", ()), name])
            write_json(out_dir / fs.MANIFEST, record)
    return out_dir / name
