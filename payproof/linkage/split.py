"""Keep apart records the model itself judges to be different people.

Clustering by connected components chains: a twin's record without a first name
matches both twins, and the two children become one "duplicate" -- the costliest
error for a child allowance, because one real child then loses her entitlement.
So every pair of distinct records inside a cluster of three or more is scored with the
trained model (Splink's own scoring, on whatever backend it runs; records identical in
every field the model reads are one "unit", scored once), and a cluster holding a
pair scored below ``split_below`` is rebuilt greedily: its matched pairs are joined
strongest first, and a join that would put such a "different people" pair into one
cluster is refused. This is constrained agglomerative clustering on a handful of
records per cluster; the big tables never leave the engine. A cluster of more distinct
records than the check affords (a chain through many households) is first cut into
pieces along its own matched pairs, strongest first, and each piece is checked.

"Different people" needs evidence against, not a lack of evidence for: a pair is kept
apart only when its fields themselves weigh against one person (match weight less
the prior at or below 0 bits), not merely when little is known. One person's many
records (a record per year and employer, a move, an export without birth dates)
hold pairs with no field in common but the name -- at a prior of -14 bits such a
pair scores under 1 %, and refusing it broke every such cluster apart (pseudopeople's
census + W-2 file: recall 0.86, of which 0.13 lost this way); twins' records weigh
against (two valid IDs, two given names) and stay apart.
"""

from __future__ import annotations

import math
from collections import defaultdict

import pyarrow as pa
from splink import Linker, block_on

from payproof.engine.duckdb_engine import DuckDBEngine

SPLIT_BELOW = 0.01  # a pair this unlikely to be one person is never put in one cluster...
SPLIT_EVIDENCE_AT_MOST = 0.0  # ...when its fields (the prior left out) weigh this or less
# The check scores every pair of *distinct* records inside a cluster: records identical in
# every field the model reads (one person's forms, one per employer and year) score alike
# against any other record, so one of them stands for all (a "unit") and u units cost
# u(u-1)/2 pairs, not n(n-1)/2 for n records (pseudopeople's W-2 + 1040 files: 48,751
# records in clusters of more than 200 are at most 13,821 units). A cluster of more units than
# this (2,000 units: 2 million pairs) is first cut into pieces (below).
SPLIT_CHECK_MAX = 2000
# A cluster of more units than SPLIT_CHECK_MAX is a chain (no family, nor one person's
# history, is that varied): it is cut by size-constrained single linkage over its matched
# pairs -- the strongest pair between two units (by match weight, which does not saturate
# as the probability does), joined strongest first, a join refused when it would make a
# piece of more than this many units -- and each piece is checked as a cluster. Every
# matched pair is kept unless the cap forces a cut, and the pairs cut are the weakest that
# would overfill a piece: the chaining ones (a person's own records match at 20-30 bits,
# one ID and one name; the links that chain households at 4-5 bits). 200 units is more
# than one person's distinct records (one record a month for ten years, each different, is
# 120) and a piece costs at most 200 * 199 / 2 = 19,900 scored pairs, a cut cluster of u
# units at most about u * 100 (pieces of 500 cost twice as much for the same clusters:
# docs/linkage.md, "Threshold and clusters").
SPLIT_PIECE_MAX = 200
# Clusters are rescored a batch at a time, about this many pairs each (a cluster bigger
# than a batch is a batch of its own): the engine holds one batch's scored pairs, never
# all of them (scoring every pair of every cluster at once ran a 24 GB machine out of memory).
SPLIT_BATCH_PAIRS = 1_000_000


def split_contradicted(
    engine: DuckDBEngine,
    linker: Linker,
    records: str,
    labels: str,
    threshold: float,
    split_below: float = SPLIT_BELOW,
    max_size: int = SPLIT_CHECK_MAX,
    batch_pairs: int = SPLIT_BATCH_PAIRS,
    pairs: str | None = None,
    piece_size: int = SPLIT_PIECE_MAX,
) -> tuple[pa.Table, int, int]:
    """Relabel records of contradicted clusters; returns (node, label) rows, how many
    clusters were split and how many were too big to check.

    ``labels`` is a table (node, label) from connected components; ``pairs`` the scored
    pairs they were made from (``unique_id_l``, ``unique_id_r``, ``match_probability``,
    ``match_weight``). Only nodes whose cluster was split are returned. A cluster of more
    than ``max_size`` distinct records (units, see :data:`SPLIT_CHECK_MAX`) is cut into
    pieces of at most ``piece_size`` units along its matched pairs (see
    :data:`SPLIT_PIECE_MAX`; the table ``lk_split_cut`` lists the clusters cut) and each
    piece is checked; without ``pairs`` it is left unchecked and counted.
    """
    empty = pa.table({"node": pa.array([], pa.string()), "label": pa.array([], pa.string())})
    cols = _compared_columns(engine, linker, records)
    same = ", ".join(f'r."{c}"' for c in cols) or "NULL"
    engine.materialise(  # every record of a cluster of three or more, with its unit
        "lk_split_units",
        f"""SELECT r.unique_id AS node, CAST(l.label AS VARCHAR) AS pp_cluster,
                   CAST(l.label AS VARCHAR) AS pp_component,
                   min(r.unique_id) OVER (PARTITION BY l.label, {same}) AS unit
            FROM {records} r JOIN {labels} l ON l.node = r.unique_id
            WHERE l.label IN (SELECT label FROM {labels} GROUP BY label HAVING count(*) >= 3)""",
        temp=True,
    )
    # a cluster too big to check whole is cut into pieces, each then checked as a cluster
    cut = _cut_oversized(engine, pairs, threshold, max_size, min(piece_size, max_size))
    engine.materialise(  # clusters with two units or more, their batch of pairs
        "lk_split_batches",
        """WITH c AS (SELECT pp_cluster, count(DISTINCT unit) AS u FROM lk_split_units
                       GROUP BY pp_cluster HAVING count(DISTINCT unit) >= 2)
            SELECT pp_cluster, u, (sum(u * (u - 1) // 2) OVER (ORDER BY pp_cluster
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) AS before
            FROM c""",
        temp=True,
    )
    too_big = engine.rows(f"SELECT count(*) FROM lk_split_batches WHERE u > {int(max_size)}")[0][0]
    batches = [b for (b,) in engine.rows(
        f"""SELECT DISTINCT coalesce(before, 0) // {int(batch_pairs)} FROM lk_split_batches
            WHERE u <= {int(max_size)} ORDER BY 1""")]  # fmt: skip
    if not batches and not cut:
        return empty, 0, too_big
    prior = _prior_weight(linker)
    by_cluster: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
    apart_pairs: dict[str, set[frozenset]] = defaultdict(set)
    for batch in batches:
        engine.materialise(
            "lk_split_records",
            f"""SELECT r.*, b.pp_cluster FROM {records} r
                JOIN (SELECT DISTINCT s.unit, s.pp_cluster FROM lk_split_units s
                      JOIN lk_split_batches b ON b.pp_cluster = s.pp_cluster
                      WHERE b.u <= {int(max_size)}
                        AND coalesce(b.before, 0) // {int(batch_pairs)} = {int(batch)}) b
                  ON b.unit = r.unique_id""",
            temp=True,
        )
        for cluster, left, right, p, weight in _score_within_clusters(
            engine, linker, threshold, split_below, prior
        ):
            by_cluster[cluster].append((left, right, p))
            if kept_apart(p, weight, prior, split_below):
                apart_pairs[cluster].add(frozenset((left, right)))
    members: dict[str, list[str]] = defaultdict(list)
    if apart_pairs:  # every unit of a cluster to rebuild (not only those in a kept pair)
        engine.execute("CREATE OR REPLACE TEMP TABLE lk_split_apart (c VARCHAR)")
        engine.con.executemany("INSERT INTO lk_split_apart VALUES (?)",
                               [(c,) for c in apart_pairs])  # fmt: skip
        for cluster, unit in engine.rows(
            "SELECT DISTINCT CAST(pp_cluster AS VARCHAR), CAST(unit AS VARCHAR) "
            "FROM lk_split_units WHERE CAST(pp_cluster AS VARCHAR) IN "
            "(SELECT c FROM lk_split_apart)"
        ):
            members[cluster].append(unit)
    units: list[str] = []
    new_labels: list[str] = []
    for cluster, scored in by_cluster.items():
        apart = apart_pairs.get(cluster)
        if not apart:
            continue
        parts = _constrained_components(scored, apart, threshold, members[cluster])
        for unit, root in parts.items():
            units.append(unit)
            new_labels.append(root)
    if not units and not cut:
        return empty, 0, too_big
    # a unit's label to each of its records (the label is the smallest record id: a
    # unit is named by its smallest record); a piece of a cut cluster not rebuilt is
    # labelled as a whole, by its smallest record too
    unit_labels = {"unit": pa.array(units, pa.string()), "label": pa.array(new_labels, pa.string())}
    engine.register_arrow("lk_split_unit_labels", pa.table(unit_labels))
    engine.materialise(
        "lk_split_out",
        """SELECT CAST(s.node AS VARCHAR) AS node, coalesce(u.label, p.label) AS label,
                  s.pp_component
           FROM lk_split_units s
           LEFT JOIN lk_split_unit_labels u ON u.unit = CAST(s.unit AS VARCHAR)
           LEFT JOIN lk_split_pieces p ON p.unit = CAST(s.unit AS VARCHAR)
           WHERE u.label IS NOT NULL OR p.label IS NOT NULL""",
        temp=True,
    )
    engine.con.unregister("lk_split_unit_labels")
    split = engine.rows(
        """SELECT count(*) FROM (SELECT pp_component FROM lk_split_out GROUP BY 1
                                 HAVING count(DISTINCT label) > 1)"""
    )[0][0]
    out = engine.arrow("SELECT node, label FROM lk_split_out ORDER BY node")
    return out, split, too_big


def _cut_oversized(
    engine: DuckDBEngine, pairs: str | None, threshold: float, max_size: int, piece_size: int
) -> bool:
    """Cut every cluster of ``lk_split_units`` with more than ``max_size`` units into
    pieces of at most ``piece_size`` units (size-constrained single linkage over its
    matched pairs, strongest first; see :data:`SPLIT_PIECE_MAX`). Each piece becomes a
    ``pp_cluster`` of its own (the cluster it came from stays in ``pp_component``), so
    the check treats it as a cluster; ``lk_split_pieces`` holds (unit, label) for every
    unit of a cut cluster, ``lk_split_cut`` the clusters cut. True when any was cut;
    nothing is cut without ``pairs``.

    The edges are found and reduced in the engine (the strongest pair per two units);
    only the union-find over the oversized clusters' unit pairs runs here, on integers.
    """
    engine.execute("CREATE OR REPLACE TEMP TABLE lk_split_pieces "
                   "(unit VARCHAR, label VARCHAR, piece VARCHAR, pp_cluster VARCHAR)")  # fmt: skip
    engine.execute("CREATE OR REPLACE TEMP TABLE lk_split_cut "
                   "(pp_cluster VARCHAR, units BIGINT, pieces BIGINT)")  # fmt: skip
    if pairs is None:
        return False
    engine.materialise(
        "lk_split_cut_units",
        f"""WITH big AS (SELECT pp_cluster FROM lk_split_units GROUP BY pp_cluster
                         HAVING count(DISTINCT unit) > {int(max_size)})
            SELECT pp_cluster, unit,
                   CAST(row_number() OVER (ORDER BY pp_cluster, unit) - 1 AS INTEGER) AS idx
            FROM (SELECT DISTINCT s.pp_cluster, CAST(s.unit AS VARCHAR) AS unit
                  FROM lk_split_units s JOIN big USING (pp_cluster))""",
        temp=True,
    )
    n = engine.rows("SELECT count(*) FROM lk_split_cut_units")[0][0]
    if not n:
        return False
    edges = engine.arrow(  # the strongest matched pair between two units of one cluster
        f"""WITH u AS (SELECT s.node, c.idx, c.pp_cluster FROM lk_split_units s
                       JOIN lk_split_cut_units c ON c.unit = CAST(s.unit AS VARCHAR))
            SELECT least(a.idx, b.idx) AS i, greatest(a.idx, b.idx) AS j,
                   max(p.match_weight) AS w
            FROM {pairs} p JOIN u a ON a.node = p.unique_id_l JOIN u b ON b.node = p.unique_id_r
            WHERE p.match_probability >= {threshold!r} AND a.pp_cluster = b.pp_cluster
              AND a.idx <> b.idx
            GROUP BY 1, 2 ORDER BY w DESC, i, j"""
    )
    root = _capped_single_linkage(n, edges.column("i").to_pylist(),
                                  edges.column("j").to_pylist(), piece_size)  # fmt: skip
    del edges
    roots = {"idx": pa.array(range(n), pa.int32()), "root": pa.array(root, pa.int32())}
    engine.register_arrow("lk_split_roots", pa.table(roots))
    engine.materialise(  # a piece is named by its smallest unit (its smallest record)
        "lk_split_pieces",
        """SELECT c.unit, min(c.unit) OVER (PARTITION BY r.root) AS label,
                  '~' || min(c.unit) OVER (PARTITION BY r.root) AS piece, c.pp_cluster
           FROM lk_split_cut_units c JOIN lk_split_roots r USING (idx)""",
        temp=True,
    )
    engine.con.unregister("lk_split_roots")
    engine.execute(
        """INSERT INTO lk_split_cut SELECT pp_cluster, count(*), count(DISTINCT label)
           FROM lk_split_pieces GROUP BY pp_cluster"""
    )
    engine.execute(
        """UPDATE lk_split_units s SET pp_cluster = p.piece FROM lk_split_pieces p
           WHERE p.unit = CAST(s.unit AS VARCHAR)"""
    )
    return True


def _capped_single_linkage(n: int, left: list[int], right: list[int], cap: int) -> list[int]:
    """Union-find over ``n`` nodes joining the edges in the order given (strongest first),
    refusing a join that would make a set of more than ``cap`` nodes; the root of each."""
    parent = list(range(n))
    size = [1] * n

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(left, right, strict=True):
        ra, rb = find(a), find(b)
        if ra == rb or size[ra] + size[rb] > cap:
            continue
        if size[ra] < size[rb]:
            ra, rb = rb, ra
        parent[rb] = ra
        size[ra] += size[rb]
    return [find(x) for x in range(n)]


def _compared_columns(engine: DuckDBEngine, linker: Linker | None, records: str) -> list[str]:
    """The columns of ``records`` the model may read: every column named in a comparison's
    SQL (or a term-frequency column). Naming is enough: a column a comparison does not
    name it cannot read, so records equal on these score alike against any record."""
    import re

    cols = [r[0] for r in engine.rows(f"DESCRIBE {records}")]
    if linker is None:  # nothing will be scored: each record is its own unit
        return [c for c in cols if c != "unique_id"] + ["unique_id"]
    settings = linker._settings_obj
    text = " ".join(
        lvl.sql_condition for comp in settings.comparisons for lvl in comp.comparison_levels
    )
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    tf = {c.unquote().name for c in settings._term_frequency_columns}
    return [c for c in cols if c != "unique_id" and (c in words or f"{c}_l" in words or c in tf)]


def _score_within_clusters(
    engine: DuckDBEngine, linker: Linker, threshold: float, split_below: float, prior: float
) -> list[tuple]:
    """Every pair inside each cluster of ``lk_split_records`` (one batch), scored with the
    trained model and its term frequencies (those of the whole table, not of the batch);
    only the pairs the rebuild reads leave the engine (matched ones, and those that may
    be kept apart), and the batch's scored pairs are dropped after."""
    from payproof.linkage.dedupe import _physical, to_backend  # shared with dedupe

    settings = linker.misc.save_model_to_json()
    settings["link_type"] = "dedupe_only"  # a link_only run still may not merge within a file
    settings["blocking_rules_to_generate_predictions"] = [block_on("pp_cluster")]
    settings["retain_intermediate_calculation_columns"] = False  # lighter rows: only the
    settings["retain_matching_columns"] = False  # probability and weight are read
    db_api = linker._db_api
    if getattr(db_api, "_con", None) is engine.con:
        sdf = db_api.register("lk_split_records")
    else:
        sdf = db_api.register(to_backend(db_api, engine.arrow("SELECT * FROM lk_split_records")))
    rescore = Linker(sdf, settings, log_level=None)
    for col in linker._settings_obj._term_frequency_columns:  # the whole table's frequencies
        name = col.unquote().name
        tf = linker.table_management.compute_tf_table(name)
        rescore.table_management.register_term_frequency_lookup(tf, name)
    pred = rescore.inference.predict(warning_mode="never")
    local = _physical(engine, pred)
    rows = engine.rows(
        f"""SELECT s.pp_cluster, p.unique_id_l, p.unique_id_r, p.match_probability,
                   p.match_weight
            FROM {local} p
            JOIN lk_split_records s ON s.unique_id = p.unique_id_l
            WHERE p.match_probability >= {threshold!r}
               OR (p.match_probability < {split_below!r}
                   AND p.match_weight - {prior!r} <= {SPLIT_EVIDENCE_AT_MOST!r})"""
    )
    pred.drop_table_from_database_and_remove_from_cache()
    if local != pred.physical_name:  # the copy from another backend
        engine.con.unregister(local)
    return rows


def kept_apart(p: float, weight: float, prior: float, split_below: float = SPLIT_BELOW) -> bool:
    """Two records judged different people: unlikely (``p`` under ``split_below``) *and*
    their fields weigh against one person (``weight`` less the ``prior``, in bits)."""
    return p < split_below and weight - prior <= SPLIT_EVIDENCE_AT_MOST


def _prior_weight(linker: Linker) -> float:
    """The model's prior in bits (log2 of the prior odds): the part of a match weight
    that says how rare duplicates are, not what the two records say."""
    lam = linker._settings_obj._probability_two_random_records_match
    return math.log2(lam / (1 - lam)) if 0 < lam < 1 else 0.0


def _constrained_components(
    pairs: list[tuple[str, str, float]],
    apart: set[frozenset],
    threshold: float,
    cluster: list[str] | None = None,
) -> dict[str, str]:
    """Join matched pairs strongest first unless a join unites a kept-apart pair.

    Each component remembers which records it may not meet, so a check costs the
    size of the smaller side. Labels are the smallest record id of each component.
    """
    nodes = {n for a, b, _ in pairs for n in (a, b)} | set(cluster or ())
    root = {n: n for n in nodes}
    members = {n: {n} for n in nodes}
    avoid: dict[str, set[str]] = {n: set() for n in nodes}
    for key in apart:
        a, b = tuple(key)
        avoid[a].add(b)
        avoid[b].add(a)

    def find(n: str) -> str:
        while root[n] != n:
            root[n] = root[root[n]]
            n = root[n]
        return n

    for a, b, p in sorted(pairs, key=lambda t: (-t[2], t[0], t[1])):
        if p < threshold:
            break
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        small, big = (ra, rb) if len(members[ra]) <= len(members[rb]) else (rb, ra)
        if members[small] & avoid[big]:  # avoid is symmetric: one side suffices
            continue
        root[small] = big
        members[big] |= members.pop(small)
        avoid[big] |= avoid.pop(small)
    out: dict[str, str] = {}
    for r, group in members.items():
        if find(r) == r:
            label = min(group)
            out.update(dict.fromkeys(group, label))
    return out
