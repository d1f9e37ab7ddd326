"""The audit's SQL chain gives on Spark what it gives on DuckDB (docs/audit.md,
"One logic, several engines").

A small generated programme (a collusive office, subtle skimmers, intermittent
diverters, honest receipt noise, shared accounts, children who age out) with some
payments split into two or three lines (floor shares and remainder tiyn, ties among
equal lines) is loaded by the audit's own loading step and its entitlements computed
from the rules, on DuckDB. The same typed tables are then handed to Spark, every step
of ``reconcile_steps`` and ``attribution_steps`` is run on both engines in its own
dialect, and every step's table must be the same: the same columns, the same rows,
integers (money) exact, doubles within 1e-9. Needs pyspark and Java: skipped otherwise.
"""

from __future__ import annotations

import math
import shutil
from datetime import date
from decimal import Decimal

import pytest

from payproof.engine import DuckDBEngine
from payproof.engine.dialect import DUCKDB, SPARK
from payproof.reconcile import FLAGS, ChildRules, flag_units, reconcile_steps
from payproof.reconcile.attribution import attribution_steps, offices_sql, regions_sql
from payproof.statuses import STATUSES

pytestmark = pytest.mark.spark

INPUTS = ("offices", "staff", "families", "children", "disbursements", "receipts", "grievances")
ENTITLEMENTS = "entitlements_computed"


@pytest.fixture(scope="module")
def spark():
    """A local Spark session for the module, started exactly as tests/linkage/test_spark.py
    starts its own: a pytest run of both reuses one JVM with one configuration."""
    pytest.importorskip("pyspark", reason="the Spark extra is not installed")
    pytest.importorskip("pandas", reason="the Spark extra is not installed")
    if not shutil.which("java"):
        pytest.skip("no Java on PATH for Spark")
    from payproof.linkage.spark import QUICK_JVM, local_session

    session = local_session(cores=2, memory="4g", shuffle_partitions=2, jvm_options=QUICK_JVM)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _split_payments(db: DuckDBEngine) -> None:
    """Split every 8th single-line family-month whose bank statement shows less than was
    paid into two lines (2/5 and the rest) or three (equal thirds and the rest: remainders
    tie, broken by payment_id), the extra lines paid by another clerk of the office."""
    db.execute(
        """CREATE TEMP TABLE to_split AS
        SELECT d.*, (n % 16 = 0) AS three FROM (
          SELECT d.*, row_number() OVER (ORDER BY d.payment_id) AS n
          FROM disbursements d
          JOIN (SELECT family_id, period FROM disbursements GROUP BY ALL HAVING count(*) = 1)
            USING (family_id, period)
          JOIN (SELECT family_id, period, sum(amount) AS rr FROM receipts
                WHERE source = 'bank_statement' GROUP BY ALL) r USING (family_id, period)
          WHERE r.rr < d.amount AND d.amount >= 3) d
        WHERE n % 8 = 0"""
    )
    other = (
        "coalesce((SELECT min(s.staff_id) FROM staff s WHERE s.office_id = t.office_id "
        "AND s.staff_id <> t.staff_id), t.staff_id)"
    )
    cols = "_line, family_id, period"
    rest = "paid_on, office_id"
    db.execute(
        f"""INSERT INTO disbursements BY NAME
        SELECT {cols}, payment_id || 'a' AS payment_id,
          CASE WHEN three THEN amount // 3 ELSE amount * 2 // 5 END AS amount, {rest},
          staff_id, channel, account FROM to_split t
        UNION ALL
        SELECT {cols}, payment_id || 'b',
          CASE WHEN three THEN amount // 3 ELSE amount - amount * 2 // 5 END, {rest},
          {other}, channel, account FROM to_split t
        UNION ALL
        SELECT {cols}, payment_id || 'c', amount - 2 * (amount // 3), {rest},
          {other}, channel, account FROM to_split t WHERE three"""
    )
    db.execute("DELETE FROM disbursements WHERE payment_id IN (SELECT payment_id FROM to_split)")


def _age_out(db: DuckDBEngine) -> None:
    """Children who stop counting during 2022 while their families are still paid: all
    children 18 on 15 June, on 29 February (28 February in both engines), a student until
    30 September, and a young child who died on 3 April beside an adult."""
    db.execute(
        """CREATE TEMP TABLE aged AS SELECT family_id, row_number() OVER (ORDER BY family_id) AS k
        FROM (SELECT DISTINCT family_id FROM children
              WHERE family_id IN (SELECT family_id FROM disbursements))
        QUALIFY k % 50 = 7"""
    )
    db.execute(
        """UPDATE children c SET
          birth_date = CASE a.k % 4 WHEN 0 THEN DATE '2004-06-15' WHEN 1 THEN DATE '2004-02-29'
            WHEN 2 THEN DATE '2001-03-10'
            ELSE (CASE WHEN c.child_id = (SELECT min(child_id) FROM children x
                                          WHERE x.family_id = c.family_id)
                       THEN DATE '2019-05-01' ELSE DATE '2000-01-01' END) END,
          student_until = CASE WHEN a.k % 4 = 2 THEN DATE '2022-09-30' END,
          death_date = CASE WHEN a.k % 4 = 3 THEN DATE '2022-04-03' END
        FROM aged a WHERE a.family_id = c.family_id"""
    )


def _odd_rows(db: DuckDBEngine) -> None:
    """What the generator rarely writes: registrations after the first payments, overpaid
    lines, a survey answer that contradicts the bank statement, receipts of money that no
    line paid, and a payment to a family the registry does not know."""
    db.execute(
        """UPDATE families SET registered_on = DATE '2022-04-01' WHERE family_id IN (
          SELECT family_id FROM families ORDER BY family_id LIMIT 3 OFFSET 40)"""
    )
    db.execute(
        """UPDATE disbursements SET amount = amount + 5000 WHERE payment_id IN (
          SELECT payment_id FROM disbursements d ANTI JOIN receipts r USING (family_id, period)
          ORDER BY payment_id LIMIT 4 OFFSET 30)"""
    )
    db.execute(
        """INSERT INTO receipts BY NAME
        SELECT _line, 'RS' || receipt_id AS receipt_id, family_id, period,
          amount - 100 AS amount, reported_on, 'survey' AS source
        FROM (SELECT * FROM receipts WHERE source = 'bank_statement'
              ORDER BY receipt_id LIMIT 3 OFFSET 100)
        UNION ALL
        SELECT _line, 'RU' || receipt_id, family_id, '2021-12', amount, reported_on, source
        FROM (SELECT * FROM receipts ORDER BY receipt_id LIMIT 2 OFFSET 200)"""
    )
    db.execute(
        """INSERT INTO disbursements BY NAME
        SELECT _line, 'PX' || payment_id AS payment_id, 'F-UNKNOWN' AS family_id, period,
          amount, paid_on, office_id, staff_id, channel, account
        FROM (SELECT * FROM disbursements ORDER BY payment_id LIMIT 2 OFFSET 500)"""
    )


@pytest.fixture(scope="module")
def programme(tmp_path_factory):
    """A DuckDB engine holding the typed input tables and computed entitlements."""
    from payproof.ingest import load_input
    from payproof.rules import compute_entitlements, load_rules
    from payproof.scenario.config import ScenarioConfig
    from payproof.scenario.generate import generate_scenario

    root = tmp_path_factory.mktemp("parity") / "input"
    config = ScenarioConfig(
        families=500, clerks_min=2, clerks_max=4, collusive_offices=1,
        subtle_skimmer_share=0.05, intermittent_share=0.05, receipt_noise_rate=0.05,
        shared_account_rate=0.01, population=False,
    )  # fmt: skip
    generate_scenario(root, config)
    db = DuckDBEngine(memory_limit="1GB")
    load_input(root, db, today=date(2026, 12, 3))
    _split_payments(db)
    _age_out(db)
    _odd_rows(db)
    rules = load_rules(None)
    first, last = db.rows("SELECT min(period), max(period) FROM disbursements")[0]
    compute_entitlements(db, rules, first, last, ENTITLEMENTS)
    child_rules = ChildRules(
        minor_age=rules.eligibility.age_limit, student_age=rules.eligibility.student_age_limit
    )
    yield db, child_rules
    db.close()


def _steps(dialect, child_rules):
    """The audit's chain (as payproof.reconcile.reconcile and attribute build it)."""
    return reconcile_steps(
        entitlements=ENTITLEMENTS, entitlement_source_column="rules", with_children=True,
        child_rules=child_rules, dialect=dialect,
    ) + attribution_steps(dialect=dialect)  # fmt: skip


def _value(v):
    if isinstance(v, Decimal):  # a wide integer (DECIMAL(38,0) on Spark)
        assert v == v.to_integral_value(), v
        return int(v)
    if isinstance(v, list | tuple):
        return [_value(x) for x in v]
    return v


def _sort_key(row):
    return tuple(
        (v is None, round(v, 6) if isinstance(v, float) else v if v is not None else 0) for v in row
    )


def _same_rows(name, columns, want, got):
    assert len(got) == len(want), (name, len(want), len(got))
    want = sorted((tuple(_value(v) for v in r) for r in want), key=_sort_key)
    got = sorted((tuple(_value(v) for v in r) for r in got), key=_sort_key)
    for w, g in zip(want, got, strict=True):
        for col, a, b in zip(columns, w, g, strict=True):
            # the same kind of value: money stays an integer on Spark, never a double
            assert type(a) is type(b) or a is None or b is None, (name, col, a, b)
            if isinstance(a, float) and isinstance(b, float):
                assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (name, col, w, g)
            else:
                assert a == b, (name, col, w, g)


def _same_step(spark, db, cached, name, duck_sql, spark_sql):
    """Materialise one step on both engines (Spark: cached, as a temp view) and compare."""
    db.materialise(name, duck_sql, temp=True)
    frame = spark.sql(spark_sql).persist()
    cached.append(frame)
    frame.createOrReplaceTempView(name)
    columns = [d[0] for d in db.con.sql(f"SELECT * FROM {name}").description]
    assert frame.columns == columns, name
    _same_rows(name, columns, db.rows(f"SELECT * FROM {name}"), frame.collect())


def test_audit_chain_on_spark_matches_duckdb(spark, programme):
    db, child_rules = programme
    for table in (*INPUTS, ENTITLEMENTS):
        frame = _spark_frame(spark, db.arrow(f"SELECT * FROM {table}"))
        frame.createOrReplaceTempView(table)
    duck_steps, spark_steps = _steps(DUCKDB, child_rules), _steps(SPARK, child_rules)
    assert [n for n, _ in duck_steps] == [n for n, _ in spark_steps]
    cached = []
    try:
        for (name, duck_sql), (_, spark_sql) in zip(duck_steps, spark_steps, strict=True):
            _same_step(spark, db, cached, name, duck_sql, spark_sql)
        # the tests run in numpy on DuckDB's per-clerk tables (the same on Spark, as just
        # checked); the offices' and regions' tables read them beside the chain's tables
        result = flag_units(db.arrow("SELECT * FROM at_staff ORDER BY staff_id"),
                            db.arrow("SELECT * FROM at_staff_months"), None)  # fmt: skip
        for name, table in (("staff_results", result.staff), ("office_tested", result.offices),
                            ("region_tested", result.regions)):  # fmt: skip
            db.register_arrow(name, table)
            _spark_frame(spark, table).createOrReplaceTempView(name)
        sql = offices_sql("findings", "at_lines", "at_remainders", "staff_results",
                          "office_tested")  # fmt: skip
        _same_step(spark, db, cached, "office_results", sql, sql)
        sql = regions_sql("office_results", "region_tested")
        _same_step(spark, db, cached, "region_results", sql, sql)
    finally:
        for frame in cached:
            frame.unpersist()
    # the programme exercised what the chain is for: every status and every flag, several
    # lines to a family-month with remainder tiyn, clerk-months that lost money
    assert {r[0] for r in db.rows("SELECT DISTINCT status FROM findings")} == set(STATUSES)
    assert {r[0] for r in db.rows("SELECT DISTINCT unnest(flags) FROM findings")} == set(FLAGS)
    counts = db.rows(
        """SELECT (SELECT count(*) FROM at_lines WHERE n_disbursements = 3),
          (SELECT count(*) FROM at_remainders),
          (SELECT count(*) FROM at_staff_months WHERE lost > 0)"""
    )[0]
    assert all(counts), counts


def _spark_frame(spark, table):
    """A Spark DataFrame of an Arrow table with its exact types (BIGINT money, DATE days).

    ``integer_object_nulls``: an integer column with NULLs stays Python integers on its
    way through pandas (as float64 it would round amounts above 2**53).
    """
    from pyspark.sql.pandas.types import from_arrow_schema

    rows = table.to_pandas(integer_object_nulls=True)
    return spark.createDataFrame(rows, schema=from_arrow_schema(table.schema))
