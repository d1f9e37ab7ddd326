"""Train, predict and cluster with Splink: duplicate mothers and duplicate children.

Training uses no labels (Splink's documented recipe): the prior from
deterministic rules, u from random pairs, m by expectation maximisation on two
blockings that each leave some comparisons free. The prepared records, scored
pairs and clusters stay in the engine as tables an auditor can query.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from splink import DuckDBAPI, Linker
from splink.clustering import cluster_pairwise_predictions_at_threshold

from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.linkage.model import ModelSpec, child_spec, mother_spec, settings_for
from payproof.linkage.prepare import Source, children_source, mothers_source, prepare
from payproof.linkage.split import SPLIT_BELOW, split_contradicted

DEFAULT_THRESHOLD = 0.9  # chosen from bench/linkage_bench.py (see docs/linkage.md)
PAIRS_FLOOR = 0.5  # pairs at or above this are kept in the pairs table, matches or not

log = logging.getLogger(__name__)


@dataclass
class DedupeResult:
    """What one dedupe run produced; ``parameters`` is the trained model for audit trails."""

    kind: str
    records_table: str
    pairs_table: str
    clusters_table: str
    id_column: str
    threshold: float
    counts: dict[str, int] = field(default_factory=dict)
    quality: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    training_notes: list[str] = field(default_factory=list)
    clusters_split: int = 0  # clusters that held records the model judged different people
    clusters_not_checked: int = 0  # clusters of too many distinct records (split.SPLIT_CHECK_MAX)
    clusters_cut: int = 0  # of those, cut into pieces before the check (split.SPLIT_PIECE_MAX)
    linker: Any = field(default=None, repr=False)


def dedupe_mothers(
    engine: DuckDBEngine,
    *,
    families: str = "families",
    threshold: float = DEFAULT_THRESHOLD,
    seed: int = 1,
    db_api=None,
    id_scheme: str = "auto",
    children: str | None = "children",
) -> DedupeResult:
    """Find mothers registered more than once; tables mother_records/_pairs/_clusters.

    ``id_scheme``: 'iin' (Kazakh IINs), 'plain' (another country's IDs) or 'auto'.
    ``children``: the table of children (by family_id) whose shared children are compared
    when it has rows; None leaves them out."""
    return run_dedupe(
        engine, mothers_source(families, children), mother_spec, "mother", "family_id",
        threshold=threshold, seed=seed, db_api=db_api, id_scheme=id_scheme,
    )  # fmt: skip


def dedupe_children(
    engine: DuckDBEngine,
    *,
    children: str = "children",
    threshold: float = DEFAULT_THRESHOLD,
    seed: int = 1,
    db_api=None,
    id_scheme: str = "auto",
) -> DedupeResult:
    """Find children recorded more than once (in one family or two); child_* tables."""
    return run_dedupe(
        engine, children_source(children), child_spec, "child", "child_id",
        threshold=threshold, seed=seed, db_api=db_api, id_scheme=id_scheme,
    )  # fmt: skip


@contextmanager
def quiet_splink(level: int = logging.ERROR) -> Iterator[None]:
    """Splink logs every training step; a CLI run wants only its own progress lines."""
    logger = logging.getLogger("splink")
    old = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(old)


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._t, 3)
        self._t = now


def run_dedupe(
    engine: DuckDBEngine,
    src: Source,
    spec: ModelSpec | Callable[[dict], ModelSpec],
    prefix: str,
    id_column: str,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    seed: int = 1,
    db_api=None,
    pairs_floor: float = PAIRS_FLOOR,
    id_scheme: str = "auto",
) -> DedupeResult:
    """Prepare ``src``, train ``spec``, score and cluster; write ``{prefix}_*`` tables.

    ``spec`` may be a function of the data-quality counts (e.g. the share of invalid
    IINs sets how rare a one-edit IIN pair is among strangers).
    """
    start = time.perf_counter()
    records = f"{prefix}_records"
    quality = prepare(engine, src, records, id_scheme)
    spec = spec(quality) if callable(spec) else spec
    res = score_records(
        engine, records, spec, prefix, id_column, quality=quality, threshold=threshold,
        seed=seed, db_api=db_api, pairs_floor=pairs_floor,
    )  # fmt: skip
    prep = time.perf_counter() - start - sum(res.timings.values())
    res.timings = {"prepare": round(prep, 3), **res.timings}
    return res


def score_records(
    engine: DuckDBEngine,
    records: str,
    spec: ModelSpec,
    prefix: str,
    id_column: str,
    *,
    quality: dict | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    seed: int = 1,
    db_api=None,
    pairs_floor: float = PAIRS_FLOOR,
    link_tables: list[str] | None = None,
) -> DedupeResult:
    """Train ``spec`` on prepared ``records`` (or link ``link_tables``), score, cluster.

    ``records`` holds every record (``unique_id`` first); ``link_tables`` switches
    Splink to link_only between those tables (e.g. two files of one population).
    """
    clock = _Clock()
    quality = quality or {"records": engine.rows(f"SELECT count(*) FROM {records}")[0][0]}
    res = DedupeResult(
        kind=spec.name, records_table=records, pairs_table=f"{prefix}_pairs",
        clusters_table=f"{prefix}_clusters", id_column=id_column, threshold=threshold,
        quality=quality,
    )  # fmt: skip
    n = quality["records"]
    with quiet_splink():
        linker = build_linker(engine, link_tables or [records], spec, db_api)
        res.linker = linker
        if n >= 2:
            # u counting in chunks bounds DuckDB's memory; on another backend each chunk
            # is a round of jobs (Spark, 308 records: 50 s in 10 chunks, 9 s in one)
            res.training_notes = train(linker, spec, n, seed, u_chunks=10 if db_api is None else 1)
        clock.lap("train")
        pred = predict(engine, linker, min(pairs_floor, threshold)) if n >= 2 else None
        local = _physical(engine, pred) if pred is not None else None
        clock.lap("predict")
        write_pairs(engine, linker, local, res)
        write_clusters(engine, linker, pred, local, res)
        clock.lap("cluster")
    res.parameters = linker.misc.save_model_to_json()
    if db_api is not None:  # saved models are reloaded on DuckDB (explain, audit trail)
        res.parameters = duckdb_model(spec, res.parameters)
    res.counts = _counts(engine, res)
    res.timings = clock.timings
    return res


def build_linker(engine: DuckDBEngine, tables: list[str], spec: ModelSpec, db_api=None) -> Linker:
    """A Linker on ``tables``; any Splink DB API works (e.g. ``splink.SparkAPI``)."""
    shared = db_api is not None
    if db_api is None:
        db_api = DuckDBAPI(connection=engine.con)
        sdfs = [db_api.register(t) for t in tables]
    else:  # another backend: hand it the prepared records
        sdfs = [
            db_api.register(to_backend(db_api, engine.arrow(f"SELECT * FROM {t}"))) for t in tables
        ]
    link_type = "link_only" if len(tables) > 1 else "dedupe_only"
    linker = Linker(sdfs if len(sdfs) > 1 else sdfs[0], settings_for(spec, link_type=link_type),
                    log_level=None)  # fmt: skip
    if shared:  # one API serves mothers then children: tables cached under one name
        linker.table_management.invalidate_cache()  # (e.g. name frequencies) are not reused
    return linker


def to_backend(db_api, table: pa.Table):
    """``table`` in a form ``db_api`` registers with the column types unchanged."""
    if hasattr(db_api, "spark"):  # splink.SparkAPI (imported only when Spark is used)
        from payproof.linkage.spark import to_spark_frame

        return to_spark_frame(db_api.spark, table)
    return table  # Arrow keeps the types (pandas turns an all-NULL date into NULL)


def duckdb_model(spec: ModelSpec, params: dict) -> dict:
    """A model trained on another backend, its SQL rewritten as DuckDB renders the same
    levels and blocking rules: the m, u and prior stay as trained."""
    duck = settings_for(spec, link_type=params["link_type"]).get_settings("duckdb").as_dict()
    out = {**params, "sql_dialect": "duckdb"}
    out["blocking_rules_to_generate_predictions"] = duck["blocking_rules_to_generate_predictions"]
    out["comparisons"] = [
        {**comp, "comparison_levels": [
            {**lvl, "sql_condition": ref["sql_condition"]}
            for lvl, ref in zip(comp["comparison_levels"], ref_comp["comparison_levels"],
                                strict=True)
        ]}
        for comp, ref_comp in zip(params["comparisons"], duck["comparisons"], strict=True)
    ]  # fmt: skip
    return out


SMALL_TABLE = 100  # below this many records the training notes say the weights are rough


def train(linker: Linker, spec: ModelSpec, n: int, seed: int, u_chunks: int = 10) -> list[str]:
    """Unsupervised training; returns notes on steps the data could not support."""
    notes: list[str] = []
    t = linker.training
    try:
        t.estimate_probability_two_random_records_match(spec.deterministic, recall=spec.recall)
    except ValueError:  # tiny tables: more deterministic matches than the recall allows
        estimated = False
    else:
        estimated = True
    settings = linker._settings_obj
    if not estimated or not 0 < settings._probability_two_random_records_match < 1:
        # no near-certain duplicates, or too few records to count them: assume the
        # usual ~0.3 % duplicated records
        settings._probability_two_random_records_match = min(0.05, max(1e-9, 0.006 / n))
        why = "no deterministic matches" if estimated else f"too few records ({n:,}) to count"
        notes.append(f"prior: {why}; assumed 0.3 % duplicated records")
    if n < SMALL_TABLE:
        notes.append(f"only {n:,} records: chance agreement (u) is estimated from few pairs, "
                     "so the weights are rough; check matches with `payproof explain`")  # fmt: skip
    max_u = float(min(max(n * 2, 1e5), 2e6))
    t.estimate_u_using_random_sampling(max_pairs=max_u, seed=seed, num_chunks=u_chunks)
    for rule in spec.em_blocks:
        # A block of near-certain matches (same IIN) drives the match share to 1 and the
        # session fails; then train with the prior held at its estimated value.
        for fix_prior in (False, True):
            # Splink's session changes the linker's settings before it trains (the prior
            # adjusted for the block, the blocked comparisons removed) and puts them back
            # only when it succeeds: a failed session -- a block with no pairs, e.g. the
            # birth date in files that hold none -- left the prior raised by the birth
            # date's Bayes factor (pseudopeople's W-2/1099 + 1040: -14.0 -> -4.5 bits) and
            # the birth date comparison gone. So a failed session is undone here.
            before = settings.core_model_settings.copy()
            try:
                t.estimate_parameters_using_expectation_maximisation(
                    rule,
                    estimate_without_term_frequencies=True,
                    fix_probability_two_random_records_match=fix_prior,
                    max_pairs=5e5 if n > 2e5 else None,
                )
                break
            except Exception as exc:  # noqa: BLE001 - Splink raises bare Exceptions
                settings.core_model_settings = before
                sql = rule.get_blocking_rule("duckdb").blocking_rule_sql
                if fix_prior:
                    notes.append(f"EM on {sql} failed, its m values keep their start: {exc!s:.200}")
                else:
                    notes.append(f"EM on {sql}: the prior was held fixed (match share near 1)")
    return notes


def predict(engine: DuckDBEngine, linker: Linker, floor: float):
    # the name-frequency tables, computed first: on Spark, predict left the term
    # frequency adjustment out when they were not (C5/C6 of the Spark test: 0.9998
    # against 0.955 on DuckDB, whose waterfall Spark's own score_pair agreed with)
    for col in linker._settings_obj._term_frequency_columns:
        linker.table_management.compute_tf_table(col.unquote().name)
    return linker.inference.predict(threshold_match_probability=floor, warning_mode="never")


def evidence_columns(linker: Linker) -> list[tuple[str, str, str]]:
    """(column, label CASE, weight expression) per comparison, from the trained model."""
    out = []
    for comp in linker._settings_obj.comparisons:
        col = comp.output_column_name
        cases = " ".join(
            f"WHEN {lvl.comparison_vector_value} THEN '{lvl.label_for_charts}'"
            for lvl in comp.comparison_levels
            if not lvl.is_null_level
        )
        label = f"CASE gamma_{col} {cases} ELSE 'missing' END"
        weight = f"round(mw_{col}, 3)"
        out.append((col, label, weight))
    return out


def write_pairs(engine: DuckDBEngine, linker: Linker, src: str | None, res: DedupeResult) -> None:
    """Pairs table from Splink's predictions ``src`` (a table in ``engine``): ids,
    probability, weight, and per comparison its level and weight."""
    idl, idr = f"{res.id_column}_l", f"{res.id_column}_r"
    if src is None:
        engine.materialise(
            res.pairs_table,
            f"SELECT CAST(NULL AS VARCHAR) AS {idl}, CAST(NULL AS VARCHAR) AS {idr}, "
            "CAST(NULL AS DOUBLE) AS match_probability, CAST(NULL AS DOUBLE) AS match_weight, "
            "CAST(NULL AS BOOLEAN) AS is_match LIMIT 0",
        )
        return
    ev = evidence_columns(linker)
    sel = ", ".join(f"{label} AS {c}, {w} AS {c}_weight" for c, label, w in ev)
    engine.materialise(
        res.pairs_table,
        f"""SELECT unique_id_l AS {idl}, unique_id_r AS {idr},
                   round(match_probability, 6) AS match_probability,
                   round(match_weight, 3) AS match_weight,
                   match_probability >= {res.threshold} AS is_match, {sel}
            FROM {src} ORDER BY match_weight DESC, {idl}, {idr}""",
    )


def _physical(engine: DuckDBEngine, sdf) -> str:
    """The predictions as a table name in ``engine`` (copied over from another backend)."""
    if isinstance(sdf.db_api, DuckDBAPI) and sdf.db_api._con is engine.con:
        return sdf.physical_name
    name = f"lk_copy_{sdf.templated_name.strip('_')}"
    engine.register_arrow(name, sdf.as_pyarrow_table())
    return name


def write_clusters(
    engine: DuckDBEngine,
    linker: Linker,
    pred,
    local: str | None,
    res: DedupeResult,
    split_below: float = SPLIT_BELOW,
) -> None:
    """Record -> cluster id: connected components over pairs at the threshold, with any
    cluster that holds two records the model judges different people split apart
    (:mod:`payproof.linkage.split`); matched pairs left in two clusters lose ``is_match``.

    Predictions from another backend (``local`` is their copy) are clustered here in
    DuckDB: the copy is already here, and on Spark each connected-components round
    is a round of jobs.
    """
    i = res.id_column
    if pred is None:
        lab = f"SELECT unique_id AS node, unique_id AS label FROM {res.records_table}"
    else:
        if local == pred.physical_name:  # scored in this engine
            clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
                pred, threshold_match_probability=res.threshold
            )
        else:
            api = DuckDBAPI(connection=engine.con)
            clusters = cluster_pairwise_predictions_at_threshold(
                api.table_to_splink_dataframe(res.records_table, res.records_table),
                api.table_to_splink_dataframe(local, local),
                api, "unique_id", threshold_match_probability=res.threshold,
            )  # fmt: skip
        lab = f"SELECT unique_id AS node, cluster_id AS label FROM {clusters.physical_name}"
    engine.materialise("lk_components", lab, temp=True)
    relabel, res.clusters_split, res.clusters_not_checked = split_contradicted(
        engine, linker, res.records_table, "lk_components", res.threshold, split_below,
        pairs=local,
    ) if pred is not None else (None, 0, 0)  # fmt: skip
    if pred is not None:  # clusters too big to check whole, cut at their weakest matches
        res.clusters_cut = engine.rows("SELECT count(*) FROM lk_split_cut")[0][0]
    fixed = "lk_components"
    if res.clusters_split:
        engine.register_arrow("lk_relabel", relabel)
        engine.materialise(
            "lk_labels",
            """SELECT c.node, coalesce(r.label, c.label) AS label FROM lk_components c
               LEFT JOIN lk_relabel r ON r.node = c.node""",
            temp=True,
        )
        fixed = "lk_labels"
    engine.materialise(
        res.clusters_table,
        f"""SELECT r.unique_id AS {i}, coalesce(l.label, r.unique_id) AS cluster_id,
                   count(*) OVER (PARTITION BY coalesce(l.label, r.unique_id)) AS cluster_size
            FROM {res.records_table} r LEFT JOIN {fixed} l ON l.node = r.unique_id
            ORDER BY cluster_id, {i}""",
    )
    if res.clusters_split:
        engine.execute(
            f"""UPDATE {res.pairs_table} p SET is_match = false
                FROM {res.clusters_table} cl, {res.clusters_table} cr
                WHERE p.is_match AND cl.{i} = p.{i}_l AND cr.{i} = p.{i}_r
                  AND cl.cluster_id <> cr.cluster_id"""
        )


def _counts(engine: DuckDBEngine, res: DedupeResult) -> dict[str, int]:
    pairs, matched = engine.rows(
        f"SELECT count(*), count(*) FILTER (is_match) FROM {res.pairs_table}"
    )[0]
    clusters, in_clusters = engine.rows(
        f"SELECT count(DISTINCT cluster_id), count(*) FROM {res.clusters_table} "
        "WHERE cluster_size > 1"
    )[0]
    return {
        "records": res.quality["records"],
        "pairs_scored_above_floor": pairs,
        "matched_pairs": matched,
        "duplicate_clusters": clusters,
        "records_in_duplicate_clusters": in_clusters,
        "surplus_records": in_clusters - clusters,
        "clusters_split": res.clusters_split,
        "clusters_not_checked": res.clusters_not_checked,
        "clusters_cut": res.clusters_cut,
    }
