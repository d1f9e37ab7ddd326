"""Benchmark of the audit: ingest, the audit step, a hand-written floor, and 100 M lines.

    PYTHONPATH=. python bench/audit_bench.py --families 20000        # check size
    PYTHONPATH=. python bench/audit_bench.py --families 1000000      # full size (lead)
    PYTHONPATH=. python bench/audit_bench.py --lines-100m            # 100 M lines, 4 GB limit
    PYTHONPATH=. python bench/audit_bench.py --families 20000 --steps audit,register

The generated programme carries a population register and applications (issue 13); the
``register`` step audits the same folder without them and prints both times
(``bench audit.register``).

Scenario mode generates N families x 12 months with the scenario generator (kept in
--workdir and reused), then times ingest per format, the audit with and without the
report, and the floor (audit_floor.py), and prints audit / floor. Lines mode
synthesises a national programme in SQL (audit_lines.py) and runs the
reconciliation under a DuckDB memory limit, spilling to disk.

Every measured step runs in a fresh subprocess (``--step``) so its peak RSS is its
own; DuckDB's buffer memory and spill are sampled while it runs (duckdb_watch.py).
Prints one ``bench`` line per step.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from audit_floor import VARIANTS, floor_copy, parquet_source
from audit_lines import load_typed, shape, write_inputs
from duckdb_watch import DuckDBWatch

from payproof.audit import run_audit
from payproof.engine.duckdb_engine import DEFAULT_MEMORY_LIMIT, DuckDBEngine, sql_literal
from payproof.ingest import load_input
from payproof.reconcile import attribute, reconcile
from payproof.rules import compute_entitlements, load_rules
from payproof.scenario.config import ScenarioConfig
from payproof.scenario.generate import generate_scenario

REPO = Path(__file__).resolve().parents[1]
MIB = 2**20
# Disk per family (both formats, one store, two audit outputs) and per synthetic line
# (Parquet + store; the full audit's store and outputs add ~270), measured at 20,000
# families / 2 M lines with headroom; used only to refuse a run that cannot fit.
BYTES_PER_FAMILY = 15_000
BYTES_PER_LINE = 150
BYTES_PER_LINE_FULL_AUDIT = 450


# ---------------------------------------------------------------- paths


def scenario_dir(args) -> Path:
    return args.workdir / f"scenario-{args.families}"


def lines_dir(args) -> Path:
    return args.workdir / f"lines-{args.lines}x{args.lines_months}"


def input_dir(args, fmt: str, register: bool = True) -> Path:
    return scenario_dir(args) / f"input-{fmt}{'' if register else '-noregister'}"


REGISTER_TABLES = ("population", "applications")


def store_path(args, fmt: str) -> Path:
    return scenario_dir(args) / f"store-{fmt}.duckdb"


def remove(*paths: Path) -> None:
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()


def remove_store(path: Path) -> None:
    remove(path, Path(f"{path}.wal"), Path(f"{path}.tmp"))


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def memory_limit(args) -> str:
    return args.memory_limit or DEFAULT_MEMORY_LIMIT


# ---------------------------------------------------------------- steps (child side)


def measured(fn):
    """Run ``fn(watch)`` under a DuckDB watch; add seconds, peak RSS and DuckDB peaks."""
    with DuckDBWatch() as watch:
        t0 = time.perf_counter()
        result = fn(watch) or {}
        seconds = time.perf_counter() - t0
    return {
        "seconds": round(seconds, 3),
        **result,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "duckdb_peak_mib": watch.peaks.memory_bytes // MIB,
        "spill_peak_mib": watch.peaks.temp_bytes // MIB,
    }


def step_generate(args) -> dict:
    gen = scenario_dir(args) / "gen"
    remove(gen)
    summary = generate_scenario(gen, ScenarioConfig(families=args.families, format="both"))
    return {"seconds": summary.seconds, "disbursements": summary.rows["disbursements"]}


def step_ingest(args) -> dict:
    store = store_path(args, args.fmt)
    remove_store(store)

    def run(_watch):
        with DuckDBEngine(store, memory_limit=memory_limit(args), threads=args.threads) as eng:
            report = load_input(input_dir(args, args.fmt), eng)
        tables = report.tables.values()
        return {
            "rows_accepted": sum(t.rows_accepted for t in tables),
            "rows_rejected": sum(t.rows_rejected for t in tables),
        }

    result = measured(run)
    result["store_mib"] = size_of(store) // MIB
    if args.fmt != "parquet":  # the Parquet store feeds the floor; the others only take disk
        remove_store(store)
    return result


def timed_audit(args, input_folder: Path, out: Path, report: bool) -> dict:
    """``run_audit`` with the product's defaults (ghost detection included), measured; the
    audit step is its wall time less ingest, ghost detection and report (the ghosts step is
    timed by bench/linkage_bench.py too, and shown here in ``timings``)."""
    remove(out)
    holder = {}

    def run(_watch):
        holder["result"] = run_audit(input_folder, out, memory_limit=args.memory_limit,
                                     threads=args.threads, report=report)  # fmt: skip

    result = measured(run)
    audit = holder["result"]
    timings = {k: round(float(v), 3) for k, v in audit.timings.items()}
    by_status = {k: int(v["family_periods"]) for k, v in audit.summary["by_status"].items()}
    step = result["seconds"] - sum(timings.get(k, 0.0) for k in ("ingest", "ghosts", "report"))
    result.update(
        timings=timings,
        audit_step_seconds=round(step, 3),
        family_periods=sum(by_status.values()),
        by_status={k: v for k, v in by_status.items() if v},
        out_mib=size_of(out) // MIB,
    )
    return result


def truth_counts(args) -> dict[str, int]:
    """The scenario's true family-months per status (those above zero)."""
    scenario = scenario_dir(args) / "gen" / "truth" / "scenario.json"
    truth = json.loads(scenario.read_text())["summary"]["truth"]["status_family_periods"]
    return {k: v for k, v in truth.items() if v}


def step_audit(args) -> dict:
    tag = f"{args.fmt}-{'report' if args.report else 'noreport'}"
    if not args.register:
        tag += "-noregister"
    out = scenario_dir(args) / f"out-{tag}"
    result = timed_audit(args, input_dir(args, args.fmt, args.register), out, args.report)
    return {**result, "matches_truth": result["by_status"] == truth_counts(args)}


def step_floor_prep(args) -> dict:
    """Untimed: the entitlements the floor joins, computed once by payproof.rules."""
    store = store_path(args, "parquet")
    out = scenario_dir(args) / "floor" / "entitlements.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    with DuckDBEngine(store, memory_limit=memory_limit(args), threads=args.threads) as eng:
        if not eng.has_table("disbursements"):
            load_input(input_dir(args, "parquet"), eng)
        first, last = eng.rows(
            "SELECT min(period), max(period) FROM (SELECT period FROM disbursements "
            "UNION ALL SELECT period FROM receipts)"
        )[0]
        compute_entitlements(eng, load_rules(None), first, last, "bench_entitlements")
        eng.execute(
            "COPY (SELECT family_id, period, amount FROM bench_entitlements) "
            f"TO {sql_literal(str(out))} (FORMAT parquet)"
        )
        rows = eng.scalar("SELECT count(*) FROM bench_entitlements")
        eng.execute("DROP TABLE bench_entitlements")
    return {"entitlements": rows, "periods": f"{first}..{last}"}


def status_counts(eng: DuckDBEngine, relation: str) -> dict[str, int]:
    return dict(eng.rows(f"SELECT status, count(*) FROM {relation} GROUP BY 1 ORDER BY 1"))


def step_floor(args) -> dict:
    gen, floor = scenario_dir(args) / "gen", scenario_dir(args) / "floor"
    out = floor / f"findings-{args.variant}.parquet"
    sql = floor_copy(
        parquet_source(str(gen / "disbursements.parquet"), amount_is_major=True),
        parquet_source(str(gen / "receipts.parquet"), amount_is_major=True),
        parquet_source(str(floor / "entitlements.parquet"), amount_is_major=False),
        str(out),
        args.variant,
    )
    spill = args.workdir / "spill-floor"
    eng = DuckDBEngine(None, memory_limit=memory_limit(args), temp_directory=spill,
                       threads=args.threads)  # fmt: skip
    with eng:

        def run(watch):
            watch.watch(eng)
            eng.execute(sql)

        result = measured(run)
        counts = status_counts(eng, f"read_parquet({sql_literal(str(out))})")
    # The floor has no ghost step: a mother's second registration counts as entitled there,
    # while the truth (and the audit) give it nothing, so its counts are not the truth's.
    return {**result, "family_periods": sum(counts.values()), "by_status": counts}


def reconcile_in(eng: DuckDBEngine, findings_file: Path | None = None) -> dict[str, float]:
    """The audit's reconciliation and attribution on the typed tables, timed apart.

    Like ``run_audit``, the findings are streamed into a Parquet file when one is given.
    """
    t0 = time.perf_counter()
    reconcile(eng, findings_file=findings_file)
    t1 = time.perf_counter()
    attribute(eng)
    return {"reconcile_seconds": round(t1 - t0, 3),
            "attribution_seconds": round(time.perf_counter() - t1, 3)}  # fmt: skip


def step_lines_make(args) -> dict:
    folder = lines_dir(args) / "input"
    remove(folder)
    spill = lines_dir(args) / "spill"
    with DuckDBEngine(None, memory_limit=memory_limit(args), temp_directory=spill,
                      threads=args.threads) as eng:  # fmt: skip
        t0 = time.perf_counter()
        rows = write_inputs(eng, folder, args.lines, args.lines_months)
    (folder / "rows.json").write_text(json.dumps(rows))
    return {"seconds": round(time.perf_counter() - t0, 3), **rows}


def lines_engine(args, store: Path) -> DuckDBEngine:
    spill = lines_dir(args) / "spill"
    remove(spill)
    return DuckDBEngine(
        store, memory_limit=memory_limit(args), temp_directory=spill, threads=args.threads
    )


def step_lines_load(args) -> dict:
    store = lines_dir(args) / "store.duckdb"
    remove_store(store)

    def run(_watch):
        with lines_engine(args, store) as eng:
            return load_typed(eng, lines_dir(args) / "input")

    result = measured(run)
    out = {**result, "store_mib": size_of(store) // MIB}
    (lines_dir(args) / "loaded.json").write_text(json.dumps(out, default=str))
    return out


def step_lines_reconcile(args) -> dict:
    store = lines_dir(args) / "store.duckdb"
    holder = {}

    def run(_watch):
        with lines_engine(args, store) as eng:
            if args.variant == "audit":
                holder.update(reconcile_in(eng, lines_dir(args) / "findings.parquet"))
                relation = "findings"
            else:
                out = lines_dir(args) / f"floor-{args.variant}.parquet"
                eng.execute(
                    floor_copy("disbursements", "receipts", "entitlements", str(out), args.variant)
                )
                relation = f"read_parquet({sql_literal(str(out))})"
            holder["counts"] = status_counts(eng, relation)
            holder["spill_left_mib"] = size_of(lines_dir(args) / "spill") // MIB

    result = measured(run)
    counts = holder.pop("counts")
    return {**result, **holder, "family_periods": sum(counts.values()), "by_status": counts}


def step_lines_audit(args) -> dict:
    """The whole audit (ingest with every check, no report) on the synthetic folder."""
    return timed_audit(args, lines_dir(args) / "input", lines_dir(args) / "out", False)


STEPS = {
    "generate": step_generate,
    "ingest": step_ingest,
    "audit": step_audit,
    "floor-prep": step_floor_prep,
    "floor": step_floor,
    "lines-make": step_lines_make,
    "lines-load": step_lines_load,
    "lines-reconcile": step_lines_reconcile,
    "lines-audit": step_lines_audit,
}


# ---------------------------------------------------------------- orchestration (parent side)


def fmt_value(value) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, dict):
        return ",".join(f"{k}:{fmt_value(v)}" for k, v in value.items())
    return str(value)


def bench_line(name: str, **fields) -> None:
    print(f"bench audit.{name} " + " ".join(f"{k}={fmt_value(v)}" for k, v in fields.items()),
          flush=True)  # fmt: skip


def child(args, step: str, tag: str, *extra: str) -> dict | None:
    """Run one step in a fresh interpreter; return its result (None if it failed)."""
    result_path = args.workdir / "results" / f"{tag}.json"
    remove(result_path)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--step", step,
           "--result", str(result_path), *common_args(args), *extra]  # fmt: skip
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    rc = subprocess.run(cmd, env=env, check=False).returncode
    if rc != 0 or not result_path.is_file():
        bench_line(tag, failed=f"rc={rc}")
        return None
    result = json.loads(result_path.read_text())
    bench_line(tag, **result)
    return result


def common_args(args) -> list[str]:
    out = ["--families", str(args.families), "--workdir", str(args.workdir),
           "--lines", str(args.lines), "--lines-months", str(args.lines_months)]  # fmt: skip
    if args.memory_limit:
        out += ["--memory-limit", args.memory_limit]
    if args.threads:
        out += ["--threads", str(args.threads)]
    return out


def check_disk(args, need_bytes: int) -> None:
    args.workdir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(args.workdir).free
    bench_line("disk", workdir=args.workdir, free_gib=round(free / 2**30, 1),
               estimated_need_gib=round(need_bytes / 2**30, 1))  # fmt: skip
    if free < need_bytes and not args.force:
        sys.exit(f"not enough free disk under {args.workdir} (use --force to try anyway)")


def link_inputs(args, formats: list[str]) -> None:
    """input-<fmt>/ holds one format's files: ingest refuses a table given twice."""
    gen = scenario_dir(args) / "gen"
    for fmt in formats:
        for register in (True, False):
            folder = input_dir(args, fmt, register)
            remove(folder)
            folder.mkdir(parents=True)
            for path in sorted(gen.glob(f"*.{fmt}")):
                if register or path.stem not in REGISTER_TABLES:
                    (folder / path.name).symlink_to(path.resolve())


def run_scenario(args) -> bool:
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    steps = set(args.steps.split(","))
    marker = scenario_dir(args) / "gen" / "truth" / "scenario.json"
    if marker.is_file():
        rows = json.loads(marker.read_text())["summary"]["rows"]
        bench_line("generate", reused=marker.parent.parent, families=rows["families"],
                   disbursements=rows["disbursements"], receipts=rows["receipts"])  # fmt: skip
    else:
        check_disk(args, args.families * BYTES_PER_FAMILY)
        if child(args, "generate", "generate") is None:
            return False
    link_inputs(args, ["csv", "parquet"])
    ok = True
    if "ingest" in steps:
        for fmt in formats:
            ok &= child(args, "ingest", f"ingest-{fmt}", "--fmt", fmt) is not None
    audit = None
    if "audit" in steps:
        for report in (False, True):
            flag = "--report" if report else "--no-report"
            tag = f"audit-{formats[0]}-{'report' if report else 'noreport'}"
            result = child(args, "audit", tag, "--fmt", formats[0], flag)
            ok &= result is not None
            if result and not report:
                audit = result
    if "register" in steps:
        ok &= compare_register(args, formats[0], audit)
    floors = []
    if "floor" in steps:
        if child(args, "floor-prep", "floor-prep") is None:
            return False
        for variant in VARIANTS:
            result = child(args, "floor", f"floor-{variant}", "--variant", variant)
            ok &= result is not None
            if result:
                floors.append(result)
    if audit and floors:
        best = min(floors, key=lambda r: r["seconds"])
        fields = {"audit_step_seconds": audit["audit_step_seconds"],
                  "floor_seconds": best["seconds"],
                  "ratio": audit["audit_step_seconds"] / best["seconds"]}  # fmt: skip
        if "reconcile" in audit["timings"]:
            fields["reconcile_ratio"] = audit["timings"]["reconcile"] / best["seconds"]
        bench_line("ratio", **fields)
    return ok


def compare_register(args, fmt: str, with_register: dict | None) -> bool:
    """The audit (no report) with and without the population register and applications."""
    if with_register is None:
        with_register = child(args, "audit", f"audit-{fmt}-noreport", "--fmt", fmt,
                              "--no-report")  # fmt: skip
    without = child(args, "audit", f"audit-{fmt}-noreport-noregister", "--fmt", fmt,
                    "--no-report", "--no-register")  # fmt: skip
    if not with_register or not without:
        return False
    has = any((scenario_dir(args) / "gen").glob("population.*"))
    bench_line("register", register_in_input=has, with_seconds=with_register["seconds"],
               without_seconds=without["seconds"],
               exclusion_step=with_register["timings"].get("exclusion", 0.0),
               ratio=with_register["seconds"] / without["seconds"],
               peak_rss_mib_with=with_register["peak_rss_mib"],
               peak_rss_mib_without=without["peak_rss_mib"])  # fmt: skip
    return True


def run_lines(args) -> bool:
    families, offices = shape(args.lines, args.lines_months)
    marker = lines_dir(args) / "input" / "rows.json"
    if marker.is_file():
        bench_line("lines-make", reused=marker.parent, **json.loads(marker.read_text()))
    else:
        per_line = BYTES_PER_LINE_FULL_AUDIT if args.lines_full_audit else BYTES_PER_LINE
        check_disk(args, args.lines * per_line)
        if child(args, "lines-make", "lines-make") is None:
            return False
    bench_line("lines-shape", families=families, offices=offices, months=args.lines_months,
               memory_limit=memory_limit(args))  # fmt: skip
    loaded = lines_dir(args) / "loaded.json"
    if loaded.is_file() and (lines_dir(args) / "store.duckdb").is_file():
        bench_line("lines-load", reused=loaded.parent, **json.loads(loaded.read_text()))
    elif child(args, "lines-load", "lines-load") is None:
        return False
    ok = True
    for variant in ("audit", "union"):
        ok &= child(args, "lines-reconcile", f"lines-{variant}", "--variant", variant) is not None
    if args.lines_full_audit:
        ok &= child(args, "lines-audit", "lines-full-audit") is not None
    return ok


def report_sizes(args) -> None:
    for path in sorted(args.workdir.iterdir()):
        if path.is_dir() and path.name != "results":
            bench_line("workdir", path=path, mib=size_of(path) // MIB)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--families", type=int, default=1_000_000)
    p.add_argument("--workdir", type=Path, default=Path("/tmp/bench-audit"))
    p.add_argument("--formats", default="parquet,csv", help="ingest these; audit the first")
    p.add_argument("--steps", default="ingest,audit,register,floor",
                   help="scenario mode steps to time")  # fmt: skip
    p.add_argument("--memory-limit", default=None, help="DuckDB limit (lines mode: 4GB)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--lines", type=int, default=0, help="lines mode: about N family-months")
    p.add_argument("--lines-100m", action="store_true", help="same as --lines 100000000")
    p.add_argument("--lines-months", type=int, default=36, help="lines mode: months from 2021-01")
    p.add_argument(
        "--lines-full-audit",
        action="store_true",
        help="lines mode: also run the whole audit (ingest included), no report",
    )
    p.add_argument("--force", action="store_true", help="run even if the disk looks too small")
    p.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--fmt", default="parquet", help=argparse.SUPPRESS)
    p.add_argument("--variant", default="union", help=argparse.SUPPRESS)
    p.add_argument("--report", action=argparse.BooleanOptionalAction, default=False,
                   help=argparse.SUPPRESS)  # fmt: skip
    p.add_argument("--register", action=argparse.BooleanOptionalAction, default=True,
                   help=argparse.SUPPRESS)  # fmt: skip
    args = p.parse_args(argv)
    if args.lines_100m:
        args.lines = 100_000_000
    if args.lines and not args.memory_limit:
        args.memory_limit = "4GB"
    args.workdir = args.workdir.resolve()
    return args


def main() -> None:
    args = parse_args()
    if args.step:
        result = STEPS[args.step](args)
        args.result.parent.mkdir(parents=True, exist_ok=True)
        args.result.write_text(json.dumps(result, default=str))
        return
    ok = run_lines(args) if args.lines else run_scenario(args)
    report_sizes(args)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
