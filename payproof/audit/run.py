"""``payproof audit``: from an input folder to the output folder, in one call.

Steps: ingest (validate every row into a DuckDB store), entitlements (given or
computed from rules), reconcile, attribute, write outputs, render the report.

The run goes through the one run lifecycle (payproof.lifecycle): the folder is
locked, every output — the store and report.html included — is built in a
staging folder and swapped into ``--out`` only when the whole run succeeded, so
the folder holds the previous complete run or this one, never a mix, and files
of an earlier run that this one did not produce (the ghosts files after
``--no-ghosts``, report.html after ``--no-report``) are removed. Re-running on
the same input gives the same store and the same outputs (only the run times in
summary.json differ).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from payproof import __version__
from payproof.atomic import write_json
from payproof.audit.outputs import (
    FAMILIES_FILE,
    FINDINGS_FILE,
    OFFICES_FILE,
    REGIONS_FILE,
    STAFF_FILE,
    STORE_FILE,
    SUMMARY_FILE,
    result_summary,
    write_files,
)
from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.errors import InputError, RejectedRowsError
from payproof.exclusion.outputs import EXCLUDED_FILE
from payproof.ingest import IngestReport, load_input
from payproof.ingest.diagnose import TableRejectedError
from payproof.ingest.load import check_input_folder
from payproof.ingest.mapping import Mapping
from payproof.ingest.rejects import REJECTS_FILE, write_rejects_csv
from payproof.lifecycle import Progress, Run
from payproof.linkage.outputs import DUPLICATES, FLAG_FILES, model_file
from payproof.reconcile import ChildRules, attribute, reconcile
from payproof.report.html import REPORT_FILE
from payproof.rules import compute_entitlements, load_rules

INTERMEDIATE_PREFIXES = ("rc_", "at_")
SCRATCH_TABLES = ("findings", "family_totals", "entitlements_computed", "entitlements_dedup")
# Every file an audit may write: an earlier run's copy is replaced or removed.
AUDIT_FILES = (
    STORE_FILE, FINDINGS_FILE, FAMILIES_FILE, STAFF_FILE, OFFICES_FILE, REGIONS_FILE,
    REJECTS_FILE, EXCLUDED_FILE,
    SUMMARY_FILE, REPORT_FILE, DUPLICATES, *FLAG_FILES, model_file("mothers"),
)  # fmt: skip


@dataclass
class AuditResult:
    out_dir: Path
    store_path: Path
    summary: dict
    ingest: IngestReport
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def report_path(self) -> Path:
        return self.out_dir / REPORT_FILE


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


def _write_ghost_files(engine: DuckDBEngine, folder: Path, model: dict) -> None:
    """duplicates.csv, red_flags.csv and money at stake, beside the findings, and the
    trained model, so `payproof explain` can weigh any two mothers afterwards."""
    from payproof.linkage.outputs import drop_splink_tables, write_ghost_files, write_mother_pairs

    write_ghost_files(engine, folder)
    write_json(folder / model_file("mothers"), model)
    write_mother_pairs(engine, folder)
    drop_splink_tables(engine)


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
    lang: str = "en",
) -> AuditResult:
    """Audit ``input_dir`` and write every output into ``out_dir`` (created if needed)."""
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    check_input_folder(input_dir)
    rules_obj = load_rules(rules)
    started = datetime.now(UTC)
    with Run(out_dir, "audit", inputs=[input_dir], produces=AUDIT_FILES,
             memory_limit=memory_limit, progress=progress) as run:  # fmt: skip
        staging = run.staging
        engine = run.open_store(STORE_FILE, threads=threads)
        with run.step("ingest"):
            try:
                ingest = load_input(input_dir, engine, today=today, mapping=mapping)
            except TableRejectedError:  # most of a table rejected: still say which rows
                write_rejects_csv(engine, staging / REJECTS_FILE)
                run.commit([REJECTS_FILE])
                raise
        if strict and ingest.rejected:
            write_rejects_csv(engine, staging / REJECTS_FILE)
            run.commit([REJECTS_FILE])  # the folder holds this run's one result: its rejects
            raise RejectedRowsError(
                f"{ingest.rejected} input row(s) were rejected and --strict is set.",
                where=str(out_dir / REJECTS_FILE),
                fix="Correct the rows listed in rejects.csv, or run without --strict "
                "to audit the accepted rows.",
            )
        if ghosts:
            with run.step("ghosts"):
                from payproof.linkage import dedupe_mothers

                mothers = dedupe_mothers(engine, id_scheme=rules_obj.national_id)
        with run.step("entitlements"):
            ent_table, source_col = _entitlements(engine, rules_obj, ingest)
            if ghosts:
                ent_table = _without_duplicates(engine, ent_table)
        child_rules = ChildRules(
            minor_age=rules_obj.eligibility.age_limit,
            student_age=rules_obj.eligibility.student_age_limit,
        )
        with run.step("reconcile"):
            reconcile(
                engine,
                entitlements=ent_table,
                entitlement_source_column=source_col,
                child_rules=child_rules,
                findings_file=staging / FINDINGS_FILE,
            )
        with run.step("attribution"):
            attribute(engine)
        ghost_facts = None
        if ghosts:
            with run.step("red flags"):
                from payproof.linkage.flags import compute_red_flags
                from payproof.linkage.outputs import ghost_summary
                from payproof.linkage.stake import money_at_stake

                compute_red_flags(engine)
                money_at_stake(engine)
                ghost_facts = ghost_summary(engine)
        exclusion = None
        if any(ingest.tables[t].file for t in ("population", "applications")):
            with run.step("exclusion"):
                exclusion = _exclusion(engine, rules_obj, ingest)
        with run.step("outputs"):
            summary = _summary(engine, input_dir, rules_obj, ingest, source_col is None, strict)
            extra = {}
            if exclusion is not None:
                from payproof.exclusion.outputs import write_excluded

                summary["excluded"] = exclusion.summary
                # staff.csv's application columns only with applications (docs/outputs.md)
                with_apps = ingest.tables["applications"].file is not None
                extra = {"staff_extra": exclusion.staff_extra if with_apps else None,
                         "office_extra": exclusion.office_extra}  # fmt: skip
                write_excluded(engine, staging, exclusion.has_population)
            if ghost_facts is not None:
                summary["ghosts"] = ghost_facts
                _write_ghost_files(engine, staging, mothers.parameters)
            summary["run"]["started_at"] = started.isoformat(timespec="seconds")
            summary["run"]["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            write_files(engine, staging, summary, **extra)
            _drop_intermediates(engine)
            run.close_store()  # complete on disk: the report reads it
        if report:
            with run.step("report"):
                _write_report(staging, ghosts, rules_obj.currency, lang)
        run.commit()
    return AuditResult(out_dir, out_dir / STORE_FILE, summary, ingest, run.timings)


def _exclusion(engine: DuckDBEngine, rules, ingest: IngestReport):
    """Who was left out (payproof.exclusion): only with a register or applications."""
    from payproof.exclusion.run import run_exclusion

    first, last = _periods(engine)
    has_population = ingest.tables["population"].file is not None
    return run_exclusion(engine, rules, first, last, has_population=has_population)


def _write_report(folder: Path, ghosts: bool, currency: str, lang: str = "en") -> None:
    """report.html, rendered from the staged outputs so it swaps in with them, in ``lang``."""
    from payproof.i18n import translator
    from payproof.report import write_report

    tr = translator(lang)
    extra = []
    if ghosts:
        from payproof.linkage.report import ghost_section

        extra.append(ghost_section(folder, currency=currency, tr=tr))
    if (folder / EXCLUDED_FILE).exists():
        from payproof.report.excluded import excluded_section

        extra.append(excluded_section(folder, currency=currency, tr=tr))
    write_report(folder, extra_sections=extra, tr=tr)


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
