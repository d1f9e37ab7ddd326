"""``payproof audit``: from an input folder to the output folder, in one call.

Steps: ingest (validate every row into a DuckDB store), entitlements (given or
computed from rules), reconcile, attribute, write outputs, render the report.

The store is built under a temporary name and renamed into place only when the
whole run succeeds, so an interrupted run leaves the previous store (or none)
— never a half-written one. Re-running on the same input gives the same store
and the same outputs (only the run times in summary.json differ). A lock file
stops two audits writing into one folder at once.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from payproof import __version__
from payproof.audit.outputs import result_summary, write_files
from payproof.engine.duckdb_engine import DEFAULT_MEMORY_LIMIT, DuckDBEngine
from payproof.errors import BusyError, InputError, RejectedRowsError, UsageError
from payproof.ingest import IngestReport, load_input
from payproof.ingest.diagnose import TableRejectedError
from payproof.ingest.mapping import Mapping
from payproof.ingest.rejects import REJECTS_FILE, write_rejects_csv
from payproof.reconcile import ChildRules, attribute, reconcile
from payproof.rules import compute_entitlements, load_rules

STORE_NAME = "payproof.duckdb"
LOCK_NAME = ".payproof.lock"
INTERMEDIATE_PREFIXES = ("rc_", "at_")
SCRATCH_TABLES = ("findings", "family_totals", "entitlements_computed", "entitlements_dedup")


@dataclass
class AuditResult:
    out_dir: Path
    store_path: Path
    summary: dict
    ingest: IngestReport
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def report_path(self) -> Path:
        return self.out_dir / "report.html"


Progress = Callable[[str], None] | None


def check_memory_limit(value: str | None) -> None:
    """Reject a --memory-limit DuckDB cannot parse before any output is touched."""
    if value is None:
        return
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{value.replace(chr(39), chr(39) * 2)}'")
    except duckdb.Error:
        raise UsageError(
            f"--memory-limit {value!r} is not a memory size.",
            fix="Give a number and a unit, e.g. --memory-limit 4GB or 512MB.",
        ) from None
    finally:
        con.close()


@contextmanager
def folder_lock(out_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``out_dir`` for the whole run (released if the process dies)."""
    path = out_dir / LOCK_NAME
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BusyError(
                "Another payproof run (audit or ghosts) is writing into this folder.",
                where=str(out_dir),
                fix="Wait for it to finish, or give a different --out folder.",
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class _Clock:
    def __init__(self, progress: Progress) -> None:
        self.timings: dict[str, float] = {}
        self.progress = progress

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self.progress:
            self.progress(name)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - start, 3)


def _periods(engine: DuckDBEngine) -> tuple[str, str]:
    first, last = engine.rows(
        "SELECT min(period), max(period) FROM (SELECT period FROM disbursements "
        "UNION ALL SELECT period FROM receipts UNION ALL SELECT period FROM entitlements)"
    )[0]
    if first is None:
        raise InputError(
            "There is nothing to audit: no accepted disbursement, receipt or entitlement rows.",
            fix="Check rejects.csv in the output folder for why rows were rejected.",
        )
    return first, last


def _entitlements(engine: DuckDBEngine, rules, ingest: IngestReport) -> tuple[str, str | None]:
    """Use the given entitlements table if the input has one, else compute it from rules."""
    if ingest.tables["entitlements"].file is not None:
        return "entitlements", None
    first, last = _periods(engine)
    compute_entitlements(engine, rules, first, last, "entitlements_computed", lazy=True)
    return "entitlements_computed", "rules"


def _without_duplicates(engine: DuckDBEngine, entitlements: str) -> str:
    """Entitlements less those of records that duplicate another registration.

    A mother registered twice is one family: the later record (see
    payproof.linkage.stake) is entitled to nothing, so whatever it was paid is
    excess in the findings and attribution.
    """
    from payproof.linkage.stake import duplicate_records_sql

    engine.materialise("duplicate_records", duplicate_records_sql())
    engine.execute(
        f"CREATE OR REPLACE TEMP VIEW entitlements_dedup AS SELECT e.* FROM {entitlements} e "
        "WHERE e.family_id NOT IN (SELECT family_id FROM duplicate_records)"
    )
    return "entitlements_dedup"


def _write_ghost_files(engine: DuckDBEngine, scratch: Path, model: dict) -> None:
    """duplicates.csv, clusters.csv, red_flags.csv and money at stake, beside the findings,
    and the trained model, so `payproof explain` can weigh any two mothers afterwards."""
    from payproof.linkage.run import drop_splink_tables, write_ghost_files, write_json

    write_ghost_files(engine, scratch)
    write_json(scratch / "mothers_model.json", model)
    _write_pairs(engine, scratch)
    drop_splink_tables(engine)


def _write_pairs(engine: DuckDBEngine, folder: Path) -> None:
    from payproof.engine.duckdb_engine import sql_literal

    engine.execute(
        "COPY (SELECT 'mothers' AS record_type, p.* EXCLUDE (is_match) FROM mother_pairs p "
        "WHERE p.is_match ORDER BY match_probability DESC, family_id_l, family_id_r) "
        f"TO {sql_literal(str(folder / 'duplicates.csv'))} (HEADER)"
    )


def _drop_intermediates(engine: DuckDBEngine) -> None:
    """Drop scratch views, then scratch tables, so only the store's tables remain."""
    rows = engine.rows("SELECT table_name, table_type FROM information_schema.tables")
    scratch = [
        (name, kind)
        for name, kind in rows
        if name.startswith(INTERMEDIATE_PREFIXES)
        or name in SCRATCH_TABLES
        or name.startswith("entitlements_computed__")
    ]
    for name, kind in sorted(scratch, key=lambda r: r[1] != "VIEW"):
        engine.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} IF EXISTS {name}")


def run_audit(
    input_dir: Path,
    out_dir: Path,
    *,
    rules: str | Path | None = None,
    strict: bool = False,
    memory_limit: str | None = None,
    threads: int | None = None,
    report: bool = True,
    ghosts: bool = True,
    today: date | None = None,
    progress: Progress = None,
    mapping: Mapping | None = None,
) -> AuditResult:
    """Audit ``input_dir`` and write every output into ``out_dir`` (created if needed)."""
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    check_memory_limit(memory_limit)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} exists and is not a folder.", fix="Give a folder for --out.")
    out_dir.mkdir(parents=True, exist_ok=True)
    rules_obj = load_rules(rules)
    started = datetime.now(UTC)
    clock = _Clock(progress)
    with folder_lock(out_dir):
        partial = out_dir / f".{STORE_NAME}.partial-{os.getpid()}"
        partial.unlink(missing_ok=True)
        engine = DuckDBEngine(
            partial,
            memory_limit=memory_limit or DEFAULT_MEMORY_LIMIT,
            temp_directory=out_dir / ".payproof-spill",
            threads=threads,
        )
        try:
            with clock.step("ingest"):
                try:
                    ingest = load_input(input_dir, engine, today=today, mapping=mapping)
                except TableRejectedError:  # most of a table rejected: still say which rows
                    write_rejects_csv(engine, out_dir / REJECTS_FILE)
                    raise
            if strict and ingest.rejected:
                write_rejects_csv(engine, out_dir / REJECTS_FILE)
                raise RejectedRowsError(
                    f"{ingest.rejected} input row(s) were rejected and --strict is set.",
                    where=str(out_dir / "rejects.csv"),
                    fix="Correct the rows listed in rejects.csv, or run without --strict "
                    "to audit the accepted rows.",
                )
            if ghosts:
                with clock.step("ghosts"):
                    from payproof.linkage import dedupe_mothers

                    mothers = dedupe_mothers(engine)
            with clock.step("entitlements"):
                ent_table, source_col = _entitlements(engine, rules_obj, ingest)
                if ghosts:
                    ent_table = _without_duplicates(engine, ent_table)
            child_rules = ChildRules(
                minor_age=rules_obj.eligibility.age_limit,
                student_age=rules_obj.eligibility.student_age_limit,
            )
            scratch = out_dir / f".partial-{os.getpid()}"
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir()
            with clock.step("reconcile"):
                reconcile(
                    engine,
                    entitlements=ent_table,
                    entitlement_source_column=source_col,
                    child_rules=child_rules,
                    findings_file=scratch / "findings.parquet",
                )
            with clock.step("attribution"):
                attribute(engine)
            ghost_facts = None
            if ghosts:
                with clock.step("red flags"):
                    from payproof.linkage.flags import compute_red_flags
                    from payproof.linkage.run import ghost_summary
                    from payproof.linkage.stake import money_at_stake

                    compute_red_flags(engine)
                    money_at_stake(engine)
                    ghost_facts = ghost_summary(engine)
            with clock.step("outputs"):
                summary = _summary(engine, input_dir, rules_obj, ingest, source_col is None, strict)
                if ghost_facts is not None:
                    summary["ghosts"] = ghost_facts
                    _write_ghost_files(engine, scratch, mothers.parameters)
                summary["run"]["started_at"] = started.isoformat(timespec="seconds")
                summary["run"]["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
                write_files(engine, out_dir, summary, scratch)
                _drop_intermediates(engine)
            engine.execute("CHECKPOINT")
        except BaseException:
            engine.close()
            shutil.rmtree(out_dir / f".partial-{os.getpid()}", ignore_errors=True)
            partial.unlink(missing_ok=True)
            Path(str(partial) + ".wal").unlink(missing_ok=True)
            raise
        engine.close()
        store = out_dir / STORE_NAME
        os.replace(partial, store)
        if report:
            with clock.step("report"):
                from payproof.report import write_report

                extra = []
                if ghosts:
                    from payproof.linkage.report import ghost_section

                    extra.append(ghost_section(out_dir, currency=rules_obj.currency))
                write_report(out_dir, extra_sections=extra)
        else:
            (out_dir / "report.html").unlink(missing_ok=True)
    return AuditResult(out_dir, store, summary, ingest, clock.timings)


def _summary(engine, input_dir: Path, rules, ingest: IngestReport, given: bool, strict: bool):
    base = result_summary(engine)
    inputs = {
        name: {
            "file": t.file,
            "format": t.format,
            "sha256": t.sha256,
            "rows_read": t.rows_read,
            "rows_accepted": t.rows_accepted,
            "rows_rejected": t.rows_rejected,
            "warnings": t.warnings,
        }
        for name, t in ingest.tables.items()
        if t.file is not None
    }
    errors, warnings = engine.rows(
        "SELECT count(CASE WHEN severity = 'error' THEN 1 END), "
        "count(CASE WHEN severity = 'warning' THEN 1 END) FROM rejects"
    )[0]
    return {
        "payproof_version": __version__,
        "currency": rules.currency,
        "run": {
            "started_at": None,
            "finished_at": None,
            "input_dir": str(input_dir),
            "rules": rules.label,
            "rules_sha256": rules.sha256,
            "entitlements": "input" if given else f"computed ({rules.label})",
            "engine": "duckdb",
            "engine_version": duckdb.__version__,
            "strict": strict,
        },
        "inputs": inputs,
        "rejects": {"errors": int(errors), "warnings": int(warnings)},
        **base,
    }
