"""The ghosts files, for ``payproof ghosts`` and for the audit's ghost step.

duplicates.csv, clusters.csv, red_flags.csv, ghosts_by_office.csv and
ghosts_by_staff.csv go through the one CSV writer (payproof.engine.export),
so a name or id that a spreadsheet would run as a formula is neutralised.
These files name records: they are for the auditors, like families.csv.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.engine.export import copy_csv

if TYPE_CHECKING:  # importing Splink costs seconds; the audit's --no-ghosts never needs it
    from payproof.linkage.dedupe import DedupeResult

DUPLICATES = "duplicates.csv"
CLUSTERS = "clusters.csv"
RED_FLAGS = "red_flags.csv"
BY_OFFICE = "ghosts_by_office.csv"
BY_STAFF = "ghosts_by_staff.csv"
FLAG_FILES = (RED_FLAGS, BY_OFFICE, BY_STAFF)


def model_file(kind: str) -> str:
    """The trained model of ``kind`` ("mothers", "children"), read by `payproof explain`."""
    return f"{kind}_model.json"


def _copy(engine: DuckDBEngine, sql: str, path: Path, order: str) -> None:
    copy_csv(engine, f"SELECT * FROM ({sql}) ORDER BY {order}", path)


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
    _copy(engine, "SELECT * FROM red_flags", out_dir / RED_FLAGS, "flag, family_id, child_id")
    _copy(engine, "SELECT * FROM ghost_money_by_office", out_dir / BY_OFFICE,
          "amount_paid DESC, office_id")  # fmt: skip
    _copy(engine, "SELECT * FROM ghost_money_by_staff", out_dir / BY_STAFF,
          "amount_paid DESC, staff_id")  # fmt: skip


def write_mother_pairs(engine: DuckDBEngine, out_dir: Path) -> None:
    """The audit's duplicates.csv: the mothers' matched pairs with their evidence."""
    _copy(engine, "SELECT 'mothers' AS record_type, p.* EXCLUDE (is_match) FROM mother_pairs p "
          "WHERE p.is_match", out_dir / DUPLICATES,
          "match_probability DESC, family_id_l, family_id_r")  # fmt: skip


def drop_splink_tables(engine: DuckDBEngine) -> None:
    """Splink's working tables are not part of the store."""
    for (name,) in engine.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '__splink__%'"
    ):
        engine.execute(f'DROP TABLE IF EXISTS "{name}"')


def write_pairs_and_clusters(
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
    _copy(engine, " UNION ALL BY NAME ".join(pair_sql), out_dir / DUPLICATES,
          "record_type, cluster_id, match_probability DESC, record_id_l, record_id_r")  # fmt: skip
    _copy(engine, " UNION ALL ".join(cluster_sql), out_dir / CLUSTERS,
          "record_type, cluster_id, record_id")  # fmt: skip
