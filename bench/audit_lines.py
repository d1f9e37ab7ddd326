"""National-scale input for the 100 M-line run, synthesised in DuckDB SQL.

The Python scenario generator makes ~300,000 payment lines a second: fine for
12 M, too slow for 100 M. Here every table is one ``COPY (SELECT ... FROM
range(n)) TO parquet`` with hash-based pseudo-random values, in the input
contract's layout (money DECIMAL(18,2) major units, period 'YYYY-MM', DATE
dates), so the folder is also a valid ``payproof audit`` input. ``load_typed``
then builds the typed tables ingest would (money BIGINT minor units, ``_line``)
without ingest's checks, for calling the reconciliation directly.

One family-month per index i: family i // months, month i % months from
January 2021. ``u = hash(i, 7) % 1000`` picks its story: <30 unpaid, <50 skimmed
(30 % kept), <60 diverted (receipt of 0), <75 underpaid, <80 overpaid, <230 no
receipt evidence, else paid in full; 2 % of payments are split in two lines and
0.5 % of family-months have no entitlement (paid_not_entitled).
"""

from __future__ import annotations

import math
from pathlib import Path

from payproof.contract import load_contract
from payproof.engine.duckdb_engine import DuckDBEngine, sql_literal
from payproof.ingest.checks import SQL_TYPES, q
from payproof.ingest.load import REJECTS_DDL, TABLE_ORDER

FIRST_YEAR = 2021
STAFF_PER_OFFICE = 10
FAMILIES_PER_OFFICE = 5_000


def shape(lines: int, months: int) -> tuple[int, int]:
    """(families, offices) for about ``lines`` family-months."""
    families = math.ceil(lines / months)
    return families, max(1, math.ceil(families / FAMILIES_PER_OFFICE))


def _family_months(families: int, months: int) -> str:
    """One row per family-month with its story and amounts in whole tenge."""
    return f"""(SELECT i, f, m, u, split, office,
        printf('F%09d', f) AS family_id,
        printf('%04d-%02d', {FIRST_YEAR} + m // 12, m % 12 + 1) AS period,
        make_date({FIRST_YEAR} + m // 12, m % 12 + 1, 1) AS month_start,
        e,
        CASE WHEN u < 30 THEN 0 WHEN u < 60 THEN e WHEN u < 75 THEN e - 5000
             WHEN u < 80 THEN e + 5000 ELSE e END AS d,
        CASE WHEN u < 30 OR (u >= 80 AND u < 230) THEN NULL
             WHEN u < 50 THEN (e * 7) // 10 WHEN u < 60 THEN 0
             WHEN u < 75 THEN e - 5000 WHEN u < 80 THEN e + 5000 ELSE e END AS r,
        hash(i, 11) % 1000 >= 5 AS entitled
      FROM (SELECT i, i // {months} AS f, i % {months} AS m,
                   CAST(hash(i, 7) % 1000 AS INTEGER) AS u,
                   hash(i, 3) % 100 < 2 AS split,
                   (i // {months}) // {FAMILIES_PER_OFFICE} AS office,
                   40000 + CAST(hash(i // {months}, 5) % 8 AS BIGINT) * 5000 AS e
            FROM range({families * months}) t(i)))"""


def _money(tenge: str) -> str:
    return f"CAST({tenge} AS DECIMAL(18,2))"


def table_selects(families: int, offices: int, months: int) -> dict[str, str]:
    """Table name -> SELECT in the input layout."""
    fm = _family_months(families, months)
    staff = f"printf('S%07d', office * {STAFF_PER_OFFICE} + CAST(hash(i, 13) % 10 AS INTEGER))"
    paid_on = "month_start + CAST(5 + hash(i, 17) % 10 AS INTEGER)"
    line = f"""SELECT printf('P%011d', i * 2 + k) AS payment_id, family_id, period,
            {_money("CASE WHEN split THEN (CASE WHEN k = 0 THEN d // 2 ELSE d - d // 2 END) ELSE d END")}
              AS amount,
            {paid_on} AS paid_on, printf('O%05d', office) AS office_id, {staff} AS staff_id,
            CASE WHEN f % 10 < 7 THEN 'bank' WHEN f % 10 < 9 THEN 'cash' ELSE 'post' END
              AS channel,
            CASE WHEN f % 10 < 7 THEN printf('KZ%018d', f) END AS account
        FROM {fm}, range(2) s(k) WHERE d > 0 AND (k = 0 OR split)"""  # noqa: E501
    return {
        "offices": f"""SELECT printf('O%05d', o) AS office_id, 'Office ' || o AS name,
                'Region ' || (o % 17) AS region, 'District ' || o AS district,
                NULL::VARCHAR AS parent_office_id FROM range({offices}) t(o)""",
        "staff": f"""SELECT printf('S%07d', s) AS staff_id,
                printf('O%05d', s // {STAFF_PER_OFFICE}) AS office_id, 'Clerk ' || s AS name,
                'clerk' AS role FROM range({offices * STAFF_PER_OFFICE}) t(s)""",
        "families": f"""SELECT printf('F%09d', f) AS family_id, printf('%012d', f) AS mother_id,
                'Mother ' || f AS mother_name,
                DATE '1975-01-01' + CAST(hash(f, 19) % 7000 AS INTEGER) AS mother_birth_date,
                'District ' || (f // {FAMILIES_PER_OFFICE}) AS district,
                printf('O%05d', f // {FAMILIES_PER_OFFICE}) AS office_id,
                DATE '2015-01-01' + CAST(hash(f, 23) % 2000 AS INTEGER) AS registered_on,
                CASE WHEN f % 10 < 7 THEN printf('KZ%018d', f) END AS bank_account,
                NULL::VARCHAR AS phone FROM range({families}) t(f)""",
        "entitlements": f"""SELECT family_id, period, {_money("e")} AS amount
                FROM {fm} WHERE entitled""",
        "disbursements": line,
        "receipts": f"""SELECT printf('R%011d', i) AS receipt_id, family_id, period,
                {_money("r")} AS amount, {paid_on} + 20 AS reported_on,
                CASE WHEN f % 10 < 7 THEN 'bank_statement' ELSE 'beneficiary_confirmation' END
                  AS source
            FROM {fm} WHERE r IS NOT NULL""",
    }


def write_inputs(engine: DuckDBEngine, folder: Path, lines: int, months: int) -> dict[str, int]:
    """Write every table as <table>.parquet in ``folder``; return rows per table."""
    families, offices = shape(lines, months)
    folder.mkdir(parents=True, exist_ok=True)
    rows = {}
    for name, select in table_selects(families, offices, months).items():
        path = folder / f"{name}.parquet"
        engine.execute(f"COPY ({select}) TO {sql_literal(str(path))} (FORMAT parquet)")
        rows[name] = engine.scalar(f"SELECT count(*) FROM read_parquet({sql_literal(str(path))})")
    return rows


def _typed(column: str, kind: str) -> str:
    if kind == "money":
        return f"CAST({q(column)} * 100 AS BIGINT)"
    return f"CAST({q(column)} AS {SQL_TYPES[kind]})"


def load_typed(engine: DuckDBEngine, folder: Path) -> dict[str, int]:
    """Create the typed tables ingest would create (absent files give empty tables)."""
    contract = load_contract()
    engine.execute(REJECTS_DDL)
    rows = {}
    for name in TABLE_ORDER:
        spec = contract.table(name)
        path = folder / f"{name}.parquet"
        if not path.is_file():
            cols = ", ".join(f"{q(c)} {SQL_TYPES[s.type]}" for c, s in spec.columns.items())
            engine.execute(f"CREATE OR REPLACE TABLE {name} (_line BIGINT, {cols})")
            continue
        cols = ", ".join(f"{_typed(c, s.type)} AS {q(c)}" for c, s in spec.columns.items())
        engine.materialise(
            name,
            f"SELECT CAST(file_row_number + 2 AS BIGINT) AS _line, {cols} "
            f"FROM read_parquet({sql_literal(str(path))}, file_row_number = true)",
        )
        rows[name] = engine.scalar(f"SELECT count(*) FROM {name}")
    return rows
