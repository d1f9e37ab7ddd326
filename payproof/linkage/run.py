"""``payproof ghosts``: from an input folder to duplicate pairs, clusters and a summary.

Steps: ingest (the audit's validated load), dedupe mothers, dedupe children,
then red flags and money at stake when those modules are present. The store
ghosts.duckdb is built under a temporary name and renamed only when every step
succeeded, like the audit's store, so an interrupted run never leaves half a file.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from payproof import __version__
from payproof.audit.run import check_memory_limit, folder_lock
from payproof.engine.duckdb_engine import DEFAULT_MEMORY_LIMIT, DuckDBEngine, sql_literal
from payproof.errors import InputError
from payproof.ingest import load_input
from payproof.ingest.diagnose import TableRejectedError
from payproof.ingest.load import check_input_folder
from payproof.ingest.mapping import Mapping
from payproof.ingest.rejects import REJECTS_FILE, write_rejects_csv
from payproof.linkage.dedupe import DEFAULT_THRESHOLD, DedupeResult, dedupe_children, dedupe_mothers

STORE_NAME = "ghosts.duckdb"
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
) -> GhostsResult:
    """Find duplicate mothers and children in ``input_dir``; write the files into ``out_dir``.

    ``db_api`` scores with another Splink backend (e.g. :func:`payproof.linkage.spark.spark_api`);
    everything else stays in the DuckDB store.
    """
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} exists and is not a folder.", fix="Give a folder for --out.")
    if threshold is not None and not 0 < threshold < 1:
        raise InputError(f"Threshold {threshold} is not a probability between 0 and 1.",
                         fix="Give --threshold as e.g. 0.9.")  # fmt: skip
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    check_memory_limit(memory_limit)  # before any output is touched
    check_input_folder(input_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    timings: dict[str, float] = {}

    def step(name: str) -> float:
        if progress:
            progress(name)
        return time.perf_counter()

    with folder_lock(out_dir), _store(out_dir, memory_limit) as engine:
        t = step("ingest")
        try:
            ingest = load_input(input_dir, engine, mapping=mapping)
        except TableRejectedError:  # most of a table rejected: still say which rows
            write_rejects_csv(engine, out_dir / REJECTS_FILE)
            raise
        timings["ingest"] = round(time.perf_counter() - t, 3)
        t = step("mothers")
        mothers = dedupe_mothers(engine, threshold=threshold, db_api=db_api)
        timings["mothers"] = round(time.perf_counter() - t, 3)
        children = None
        if engine.rows("SELECT count(*) FROM children")[0][0]:
            t = step("children")
            children = dedupe_children(engine, threshold=threshold, db_api=db_api)
            timings["children"] = round(time.perf_counter() - t, 3)
        t = step("flags")
        extras = _other_steps(engine)
        timings["flags_and_stake"] = round(time.perf_counter() - t, 3)
        t = step("outputs")
        write_outputs(engine, out_dir, mothers, children)
        write_ghost_files(engine, out_dir)
        write_rejects_csv(engine, out_dir / REJECTS_FILE)  # as the audit writes it
        drop_splink_tables(engine)
        summary = _summary(input_dir, threshold, ingest, mothers, children, extras)
        summary["run"]["engine"] = engine_name(db_api)
        summary["run"]["started_at"] = started.isoformat(timespec="seconds")
        summary["run"]["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        summary["timings"] = timings
        write_json(out_dir / "ghosts_summary.json", summary)
        for kind, res in (("mothers", mothers), ("children", children)):
            if res is not None:
                write_json(out_dir / f"{kind}_model.json", res.parameters)
            else:  # not a model of an earlier run into this folder
                (out_dir / f"{kind}_model.json").unlink(missing_ok=True)
        timings["outputs"] = round(time.perf_counter() - t, 3)
    return GhostsResult(out_dir, out_dir / STORE_NAME, summary, mothers, children, timings)


@contextmanager
def _store(out_dir: Path, memory_limit: str | None) -> Iterator[DuckDBEngine]:
    """An engine on a temporary store file that becomes ghosts.duckdb only on success."""
    partial = out_dir / f".{STORE_NAME}.partial-{os.getpid()}"
    partial.unlink(missing_ok=True)
    engine = DuckDBEngine(partial, memory_limit=memory_limit or DEFAULT_MEMORY_LIMIT,
                          temp_directory=out_dir / ".payproof-spill")  # fmt: skip
    ok = False
    try:
        yield engine
        engine.execute("CHECKPOINT")
        ok = True
    finally:
        engine.close()
        if ok:
            os.replace(partial, out_dir / STORE_NAME)
        else:
            for leftover in (partial, Path(f"{partial}.wal")):
                leftover.unlink(missing_ok=True)


def _other_steps(engine: DuckDBEngine) -> dict:
    """Red flags and money at stake (payproof.linkage.flags and .stake)."""
    from payproof.linkage.flags import compute_red_flags
    from payproof.linkage.stake import money_at_stake

    compute_red_flags(engine)
    money_at_stake(engine)
    return ghost_summary(engine)


def ghost_summary(engine: DuckDBEngine) -> dict:
    """Counts and money per red flag, and the duplicate payments, for summary files."""
    from payproof.money import format_amount

    flags = {
        flag: {"rule": rule, "records": int(n), "families": int(f), "amount_paid": format_amount(a)}
        for flag, rule, n, f, a in engine.rows(
            "SELECT flag, rule, records, families, amount_paid FROM ghost_money_by_flag "
            "ORDER BY flag"
        )
    }
    dup_n, dup_amount = engine.rows(
        "SELECT count(DISTINCT family_id), coalesce(sum(amount), 0) FROM duplicate_payments"
    )[0]
    return {
        "red_flags": flags,
        "duplicate_registrations": {
            "records_paid": int(dup_n),
            "amount_paid": format_amount(int(dup_amount)),
        },
    }


def write_ghost_files(engine: DuckDBEngine, out_dir: Path) -> None:
    """red_flags.csv (one row per flagged record, with evidence) and money at stake by office
    and clerk. Private auditor files: they name records, as families.csv does."""
    _copy(engine, "SELECT * FROM red_flags", out_dir / "red_flags.csv", "flag, family_id, child_id")
    _copy(engine, "SELECT * FROM ghost_money_by_office", out_dir / "ghosts_by_office.csv",
          "amount_paid DESC, office_id")  # fmt: skip
    _copy(engine, "SELECT * FROM ghost_money_by_staff", out_dir / "ghosts_by_staff.csv",
          "amount_paid DESC, staff_id")  # fmt: skip


def drop_splink_tables(engine: DuckDBEngine) -> None:
    """Splink's working tables are not part of the store."""
    for (name,) in engine.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '__splink__%'"
    ):
        engine.execute(f'DROP TABLE IF EXISTS "{name}"')


def _jsonable(value):
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    return str(value)


def write_outputs(
    engine: DuckDBEngine, out_dir: Path, mothers: DedupeResult, children: DedupeResult | None
) -> None:
    """duplicates.csv (matched pairs with evidence) and clusters.csv (record -> cluster)."""
    pair_sql, cluster_sql = [], []
    for res in (mothers, children):
        if res is None:
            continue
        i = res.id_column
        fam = (
            ", rl.family_id AS family_id_l, rr.family_id AS family_id_r"
            if res.kind == "children"
            else f", p.{i}_l AS family_id_l, p.{i}_r AS family_id_r"
        )
        pair_sql.append(
            f"""SELECT '{res.kind}' AS record_type, p.{i}_l AS record_id_l, p.{i}_r AS record_id_r,
                       c.cluster_id {fam}, p.* EXCLUDE ({i}_l, {i}_r, is_match)
                FROM {res.pairs_table} p JOIN {res.clusters_table} c ON c.{i} = p.{i}_l
                JOIN {res.records_table} rl ON rl.unique_id = p.{i}_l
                JOIN {res.records_table} rr ON rr.unique_id = p.{i}_r
                WHERE p.is_match"""
        )
        cluster_sql.append(
            f"""SELECT '{res.kind}' AS record_type, {i} AS record_id, cluster_id, cluster_size
                FROM {res.clusters_table} WHERE cluster_size > 1"""
        )
    _copy(engine, " UNION ALL BY NAME ".join(pair_sql), out_dir / "duplicates.csv",
          "record_type, cluster_id, match_probability DESC, record_id_l, record_id_r")  # fmt: skip
    _copy(engine, " UNION ALL ".join(cluster_sql), out_dir / "clusters.csv",
          "record_type, cluster_id, record_id")  # fmt: skip


def _copy(engine: DuckDBEngine, sql: str, path: Path, order: str) -> None:
    tmp = path.with_name(path.name + ".partial")
    engine.execute(
        f"COPY (SELECT * FROM ({sql}) ORDER BY {order}) TO {sql_literal(str(tmp))} (HEADER)"
    )
    os.replace(tmp, path)


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


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
