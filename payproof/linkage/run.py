"""``payproof ghosts``: from an input folder to duplicate pairs, clusters and a summary.

Steps: ingest (the audit's validated load), dedupe mothers, dedupe children,
then red flags and money at stake. The run goes through the one run lifecycle
(payproof.lifecycle): the folder is locked, every file (the store ghosts.duckdb
included) is staged and swapped into ``--out`` only when all succeeded, so an
interrupted or failed run leaves the previous complete run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from payproof import __version__
from payproof.atomic import write_json
from payproof.errors import InputError
from payproof.ingest import load_input
from payproof.ingest.diagnose import TableRejectedError
from payproof.ingest.load import check_input_folder
from payproof.ingest.mapping import Mapping
from payproof.ingest.rejects import REJECTS_FILE, write_rejects_csv
from payproof.lifecycle import Run
from payproof.linkage.dedupe import DEFAULT_THRESHOLD, DedupeResult, dedupe_children, dedupe_mothers
from payproof.linkage.outputs import (
    CLUSTERS,
    DUPLICATES,
    FLAG_FILES,
    drop_splink_tables,
    ghost_summary,
    model_file,
    write_ghost_files,
    write_pairs_and_clusters,
)

STORE_NAME = "ghosts.duckdb"
SUMMARY = "ghosts_summary.json"
GHOSTS_FILES = (
    STORE_NAME, SUMMARY, DUPLICATES, CLUSTERS, *FLAG_FILES, REJECTS_FILE,
    model_file("mothers"), model_file("children"),
)  # fmt: skip
Progress = Callable[[str], None] | None


@dataclass
class GhostsResult:
    out_dir: Path
    store_path: Path
    summary: dict
    mothers: DedupeResult
    children: DedupeResult | None
    timings: dict[str, float] = field(default_factory=dict)


def run_ghosts(
    input_dir: str | Path,
    out_dir: str | Path,
    *,
    threshold: float | None = None,
    memory_limit: str | None = None,
    progress: Progress = None,
    db_api=None,
    mapping: Mapping | None = None,
    today: date | None = None,
    id_scheme: str = "auto",
) -> GhostsResult:
    """Find duplicate mothers and children in ``input_dir``; write the files into ``out_dir``.

    ``db_api`` scores with another Splink backend (e.g. :func:`payproof.linkage.spark.spark_api`);
    everything else stays in the DuckDB store. ``today`` is the day dates may not lie
    after (default: today), as for the audit. ``id_scheme`` says how national IDs are
    read: 'iin' (Kazakh), 'plain' (another country's, compared as text) or 'auto'.
    """
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    if threshold is not None and not 0 < threshold < 1:
        raise InputError(f"Threshold {threshold} is not a probability between 0 and 1.",
                         fix="Give --threshold as e.g. 0.9.")  # fmt: skip
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    check_input_folder(input_dir)
    started = datetime.now(UTC)
    with Run(out_dir, "ghosts", inputs=[input_dir], produces=GHOSTS_FILES,
             memory_limit=memory_limit, progress=progress) as run:  # fmt: skip
        engine = run.open_store(STORE_NAME)
        with run.step("ingest"):
            try:
                ingest = load_input(
                    input_dir, engine, mapping=mapping, registry_only=True, today=today
                )
            except TableRejectedError:  # most of a table rejected: still say which rows
                write_rejects_csv(engine, run.staging / REJECTS_FILE)
                run.commit([REJECTS_FILE])
                raise
        with run.step("mothers"):
            mothers = dedupe_mothers(
                engine, threshold=threshold, db_api=db_api, id_scheme=id_scheme
            )
        children = None
        if engine.rows("SELECT count(*) FROM children")[0][0]:
            with run.step("children"):
                children = dedupe_children(
                    engine, threshold=threshold, db_api=db_api, id_scheme=id_scheme
                )
        with run.step("flags"):
            extras = _other_steps(engine)
        with run.step("outputs"):
            staging = run.staging
            write_pairs_and_clusters(engine, staging, mothers, children)
            write_ghost_files(engine, staging)
            write_rejects_csv(engine, staging / REJECTS_FILE)  # as the audit writes it
            drop_splink_tables(engine)
            for kind, res in (("mothers", mothers), ("children", children)):
                if res is not None:
                    write_json(staging / model_file(kind), res.parameters)
        summary = _summary(input_dir, threshold, ingest, mothers, children, extras)
        summary["run"]["engine"] = engine_name(db_api)
        summary["run"]["started_at"] = started.isoformat(timespec="seconds")
        summary["run"]["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        summary["timings"] = run.timings
        write_json(run.staging / SUMMARY, summary)
        run.commit()
    return GhostsResult(out_dir, out_dir / STORE_NAME, summary, mothers, children, run.timings)


def _other_steps(engine) -> dict:
    """Red flags and money at stake (payproof.linkage.flags and .stake)."""
    from payproof.linkage.flags import compute_red_flags
    from payproof.linkage.stake import money_at_stake

    compute_red_flags(engine)
    money_at_stake(engine)
    return ghost_summary(engine)


def engine_name(db_api) -> str:
    """The SQL engine Splink scored on ("duckdb", "spark"), recorded with the figures."""
    if db_api is None:
        return "duckdb"
    return db_api.sql_dialect.sql_dialect_str


def _summary(input_dir, threshold, ingest, mothers, children, extras) -> dict:
    def part(res: DedupeResult | None) -> dict | None:
        if res is None:
            return None
        return {
            "counts": res.counts,
            "data_quality": res.quality,
            "timings": res.timings,
            "training_notes": res.training_notes,
        }

    return {
        "run": {"payproof_version": __version__, "input": str(input_dir)},
        "threshold": threshold,
        "rows_rejected_at_ingest": ingest.rejected,
        "ingest_rejected_by_table": {n: t.rows_rejected for n, t in ingest.tables.items()},
        "ingest_warnings": sum(t.warnings for t in ingest.tables.values()),
        "mothers": part(mothers),
        "children": part(children),
        **extras,
    }
