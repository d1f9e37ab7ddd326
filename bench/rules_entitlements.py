"""Benchmark: compute a year of entitlements for N synthetic families.

    python bench/rules_entitlements.py --families 200000      # check size
    python bench/rules_entitlements.py --families 1000000     # full size (lead)

Prints one ``bench`` line per step with rows and seconds.
"""

from __future__ import annotations

import argparse
import time

from payproof.engine import DuckDBEngine
from payproof.rules import compute_entitlements, load_rules


def make_tables(engine: DuckDBEngine, n_families: int, seed: float = 0.42) -> None:
    """Families registered 2018-2025; 1-10 children each (mean ~5.5), born 1998-2025."""
    engine.execute(f"SELECT setseed({seed})")
    engine.materialise(
        "families",
        f"""SELECT 'F' || lpad(CAST(i AS VARCHAR), 8, '0') AS family_id,
               DATE '2018-01-01' + CAST(floor(random() * 2900) AS INTEGER) AS registered_on,
               1 + CAST(floor(random() * 10) AS INTEGER) AS n_kids
            FROM range({n_families}) r(i)""",
    )
    engine.materialise(
        "children",
        """SELECT f.family_id || '-' || CAST(k AS VARCHAR) AS child_id, f.family_id,
               DATE '1998-01-01' + CAST(floor(random() * 10000) AS INTEGER) AS birth_date,
               CASE WHEN random() < 0.003
                    THEN DATE '2024-01-01' + CAST(floor(random() * 700) AS INTEGER) END
                 AS death_date,
               CASE WHEN random() < 0.3
                    THEN DATE '2024-06-30' + CAST(floor(random() * 1500) AS INTEGER) END
                 AS student_until
            FROM families f, range(f.n_kids) r(k)""",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", type=int, default=200_000)
    parser.add_argument("--first", default="2025-01")
    parser.add_argument("--last", default="2025-12")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    rules = load_rules(None)
    with DuckDBEngine(threads=args.threads) as engine:
        t0 = time.perf_counter()
        make_tables(engine, args.families)
        t1 = time.perf_counter()
        n_children = engine.scalar("SELECT count(*) FROM children")
        print(
            f"bench rules.generate families={args.families} children={n_children} "
            f"seconds={t1 - t0:.2f}"
        )
        compute_entitlements(engine, rules, args.first, args.last)
        t2 = time.perf_counter()
        rows, total = engine.rows("SELECT count(*), sum(amount) FROM entitlements_computed")[0]
        print(
            f"bench rules.compute_entitlements families={args.families} "
            f"children={n_children} months={args.first}..{args.last} rows={rows} "
            f"total_minor={total} seconds={t2 - t1:.2f}"
        )


if __name__ == "__main__":
    main()
