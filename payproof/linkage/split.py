"""Keep apart records the model itself judges to be different people.

Clustering by connected components chains: a twin's record without a first name
matches both twins, and the two children become one "duplicate" -- the costliest
error for a child allowance, because one real child then loses her entitlement.
So every pair inside a cluster of three or more records is scored with the trained
model (Splink's own scoring, on whatever backend it runs), and a cluster holding a
pair scored below ``split_below`` is rebuilt greedily: its matched pairs are joined
strongest first, and a join that would put such a "different people" pair into one
cluster is refused. This is constrained agglomerative clustering on a handful of
records per cluster; the big tables never leave the engine.

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
# The check scores every pair inside a cluster: n records cost n(n-1)/2 pairs. It is meant
# for the handful of records a chain of twins or siblings joins; a cluster larger than this
# is no family's chain (one person's long history, or a chain to investigate) and would
# cost the machine's memory (pseudopeople's W-2 + 1040 files: killed at 24 GB), so it is
# left as connected components made it and counted (``clusters_not_checked``).
SPLIT_CHECK_MAX = 200


def split_contradicted(
    engine: DuckDBEngine,
    linker: Linker,
    records: str,
    labels: str,
    threshold: float,
    split_below: float = SPLIT_BELOW,
    max_size: int = SPLIT_CHECK_MAX,
) -> tuple[pa.Table, int]:
    """Relabel records of contradicted clusters; returns (node, label) rows and the count.

    ``labels`` is a table (node, label) from connected components. Only nodes whose
    cluster was split are returned. Clusters of more than ``max_size`` records are not
    checked (:func:`clusters_too_big` counts them).
    """
    engine.materialise(
        "lk_split_records",
        f"""SELECT r.*, l.label AS pp_cluster FROM {records} r JOIN {labels} l
                ON l.node = r.unique_id
            WHERE l.label IN (SELECT label FROM {labels} GROUP BY label
                              HAVING count(*) BETWEEN 3 AND {int(max_size)})""",
        temp=True,
    )
    empty = pa.table({"node": pa.array([], pa.string()), "label": pa.array([], pa.string())})
    if not engine.rows("SELECT count(*) FROM lk_split_records")[0][0]:
        return empty, 0
    prior = _prior_weight(linker)
    scored = _score_within_clusters(engine, linker, threshold, split_below, prior)
    by_cluster: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
    apart_pairs: dict[str, set[frozenset]] = defaultdict(set)
    for cluster, left, right, p, weight in scored:
        by_cluster[cluster].append((left, right, p))
        if kept_apart(p, weight, prior, split_below):
            apart_pairs[cluster].add(frozenset((left, right)))
    members: dict[str, list[str]] = defaultdict(list)
    if apart_pairs:  # every record of a cluster to rebuild (not only those in a kept pair)
        engine.execute("CREATE OR REPLACE TEMP TABLE lk_split_apart (c VARCHAR)")
        engine.con.executemany("INSERT INTO lk_split_apart VALUES (?)",
                               [(c,) for c in apart_pairs])  # fmt: skip
        for cluster, node in engine.rows(
            "SELECT CAST(pp_cluster AS VARCHAR), CAST(unique_id AS VARCHAR) "
            "FROM lk_split_records WHERE CAST(pp_cluster AS VARCHAR) IN "
            "(SELECT c FROM lk_split_apart)"
        ):
            members[cluster].append(node)
    nodes: list[str] = []
    new_labels: list[str] = []
    split = 0
    for cluster, pairs in by_cluster.items():
        apart = apart_pairs.get(cluster)
        if not apart:
            continue
        parts = _constrained_components(pairs, apart, threshold, members[cluster])
        if len(set(parts.values())) > 1:
            split += 1
        for node, root in parts.items():
            nodes.append(node)
            new_labels.append(root)
    return pa.table({"node": nodes, "label": new_labels}), split


def clusters_too_big(engine: DuckDBEngine, labels: str, max_size: int = SPLIT_CHECK_MAX) -> int:
    """How many clusters of ``labels`` (node, label) the split check leaves unchecked."""
    return engine.rows(
        f"SELECT count(*) FROM (SELECT label FROM {labels} GROUP BY label "
        f"HAVING count(*) > {int(max_size)})"
    )[0][0]


def _score_within_clusters(
    engine: DuckDBEngine, linker: Linker, threshold: float, split_below: float, prior: float
) -> list[tuple]:
    """Every pair inside each cluster, scored with the trained model; only the pairs the
    rebuild reads leave the engine (matched ones, and those that may be kept apart), so
    a big cluster's millions of in-between pairs never become Python objects."""
    from payproof.linkage.dedupe import _physical, to_backend  # shared with dedupe

    settings = linker.misc.save_model_to_json()
    settings["link_type"] = "dedupe_only"  # a link_only run still may not merge within a file
    settings["blocking_rules_to_generate_predictions"] = [block_on("pp_cluster")]
    db_api = linker._db_api
    if getattr(db_api, "_con", None) is engine.con:
        sdf = db_api.register("lk_split_records")
    else:
        sdf = db_api.register(to_backend(db_api, engine.arrow("SELECT * FROM lk_split_records")))
    rescore = Linker(sdf, settings, log_level=None)
    pred = rescore.inference.predict(warning_mode="never")
    return engine.rows(
        f"""SELECT s.pp_cluster, p.unique_id_l, p.unique_id_r, p.match_probability,
                   p.match_weight
            FROM {_physical(engine, pred)} p
            JOIN lk_split_records s ON s.unique_id = p.unique_id_l
            WHERE p.match_probability >= {threshold!r}
               OR (p.match_probability < {split_below!r}
                   AND p.match_weight - {prior!r} <= {SPLIT_EVIDENCE_AT_MOST!r})"""
    )


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
