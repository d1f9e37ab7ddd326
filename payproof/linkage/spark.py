"""A Splink Spark backend for the dedupe models, with settings that suit one machine.

Preparation stays in DuckDB; only training, scoring and clustering run on Spark
(see docs/linkage.md, "Running on Spark"). Splink's Jaro-Winkler and
Damerau-Levenshtein are Scala UDFs in a jar that Splink ships: the session must
load it at start-up, so a session built here has it, and a session passed in
must have been built with ``spark.jars`` set to :func:`similarity_jar`.
"""

from __future__ import annotations

import shutil

from payproof.errors import UsageError

INSTALL_FIX = "Install the Spark extra (pip install 'payproof[spark]') and Java 17 or later."


def require_spark() -> None:
    """Fail with a clear message when pyspark, pandas or Java is missing."""
    for module in ("pyspark", "pandas"):  # pandas: Spark takes Arrow tables through it
        try:
            __import__(module)
        except ImportError as exc:
            raise UsageError(f"The Spark backend needs {module}, which is not installed.",
                             fix=INSTALL_FIX) from exc  # fmt: skip
    if not shutil.which("java"):
        raise UsageError("The Spark backend needs Java, and no `java` is on PATH.",
                         fix=INSTALL_FIX + " Or set JAVA_HOME and PATH.")  # fmt: skip


def similarity_jar() -> str:
    """Path of Splink's jar of string-similarity UDFs for the installed Spark version."""
    from splink.backends.spark import similarity_jar_location

    return similarity_jar_location()


QUICK_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"  # short runs: skip the slow JIT tier


def local_session(
    cores: int | None = None, memory: str = "2g", shuffle_partitions: int = 4, jvm_options: str = ""
):
    """A local Spark session (``cores`` threads, default all) with Splink's jar, few
    shuffle partitions and no UI.

    Spark's default of 200 shuffle partitions costs seconds per step on small data;
    ``jvm_options=QUICK_JVM`` cuts a small run by a third (tests), not a long one.
    """
    require_spark()
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(f"local[{cores or '*'}]")
        .appName("payproof-linkage")
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(shuffle_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.jars", similarity_jar())
    )
    if jvm_options:
        builder = builder.config("spark.driver.extraJavaOptions", jvm_options)
    return builder.getOrCreate()


def spark_api(spark_session=None, *, checkpoint_dir: str | None = None):
    """A ``splink.SparkAPI`` for ``dedupe_mothers(engine, db_api=...)``.

    Without a session, a local one is started (:func:`local_session`). Splink cuts
    long query plans after each heavy step: in memory (``persist``) by default, which
    suits one machine; with ``checkpoint_dir`` as parquet files there (a cluster).
    """
    require_spark()
    from splink import SparkAPI

    spark = spark_session or local_session()
    method = "persist"
    if checkpoint_dir:
        spark.sparkContext.setCheckpointDir(checkpoint_dir)
        method = "parquet"
    return SparkAPI(spark_session=spark, break_lineage_method=method)


def to_spark_frame(spark, table):
    """A Spark DataFrame of the Arrow ``table`` with its exact column types.

    Spark infers types from Python values when not told, and fails on a column
    that is NULL in every row (e.g. no phone numbers in the input). Integer columns
    with NULLs go through pandas as Python ints, not float64, which would round values
    above 2**53.
    """
    from pyspark.sql.pandas.types import from_arrow_schema

    frame = table.to_pandas(integer_object_nulls=True)
    return spark.createDataFrame(frame, schema=from_arrow_schema(table.schema))
