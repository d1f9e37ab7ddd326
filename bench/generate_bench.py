"""Speed of ``payproof generate``: rows written per second and peak memory.

Usage: python bench/generate_bench.py [--families 100000] [--months 12] [--format both]
Full size (the benchmark's input): --families 1000000 --format both
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from payproof.scenario.config import ScenarioConfig
from payproof.scenario.generate import generate_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--format", default="both", choices=["csv", "parquet", "both"])
    parser.add_argument("--out", type=Path, default=None, help="keep the files here")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="payproof-gen-"))
    cfg = ScenarioConfig(families=args.families, months=args.months, format=args.format)
    t0 = time.perf_counter()
    summary = generate_scenario(out, cfg)
    seconds = time.perf_counter() - t0
    rows = sum(summary.rows.values())
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    print(f"families          {summary.rows['families']:,}")
    print(f"children          {summary.rows['children']:,}")
    print(f"disbursements     {summary.rows['disbursements']:,}")
    print(f"receipts          {summary.rows['receipts']:,}")
    print(f"rows (all tables) {rows:,}")
    print(f"format            {args.format}")
    print(f"seconds           {seconds:.1f}")
    print(f"rows/s            {rows / seconds:,.0f}")
    print(f"disbursements/s   {summary.rows['disbursements'] / seconds:,.0f}")
    print(f"output            {size / 2**20:,.0f} MiB")
    print(f"peak RSS          {peak:,.0f} MiB")
    if args.out is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
