"""The SQL engines Splink runs on: DuckDB by default, Spark for national-scale sources.

Both engines run the same linkage model (the same comparisons, written in each
engine's SQL dialect, and the same trained parameters), so they give the same
links. Spark runs in local mode here; on a cluster, pass a session of your own.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from outcomes.errors import ConfigurationError

logger = logging.getLogger(__name__)

ENGINES = ("duckdb", "spark")
"""Engine names the linker accepts."""


@dataclass
class Engine:
    """A Splink database API and what the linker needs to know about its dialect.

    Attributes
    ----------
    name : ``duckdb`` or ``spark``.
    db_api : the Splink ``DuckDBAPI`` or ``SparkAPI``.
    spark : the Spark session (``None`` for DuckDB).
    """

    name: str
    db_api: Any
    spark: Any = None
    connection: Any = None
    """The DuckDB connection (``None`` for Spark)."""

    @property
    def dialect(self) -> str:
        return self.name


@contextmanager
def open_engine(
    name: str = "duckdb",
    *,
    threads: int | None = None,
    spark_session: Any = None,
    memory_limit: str | None = None,
) -> Iterator[Engine]:
    """Open an engine for one linkage run and close it afterwards.

    Parameters
    ----------
    name : ``duckdb`` (default) or ``spark``.
    threads : worker threads (DuckDB threads, or Spark ``local[n]``); default all cores.
    spark_session : an existing Spark session to use (it is left running); by default a
        local-mode session is started and stopped.
    memory_limit : DuckDB memory limit, for example ``"8GB"``; by default
        :func:`default_memory_limit`. DuckDB spills to a temporary folder beyond it,
        so a national-scale source need not fit in memory.
    """
    if name not in ENGINES:
        raise ConfigurationError(f"unknown linkage engine {name!r}; choose one of {', '.join(ENGINES)}")
    threads = threads or os.cpu_count() or 1
    if name == "duckdb":
        import tempfile

        import duckdb
        from splink import DuckDBAPI

        connection = duckdb.connect(":memory:")
        connection.execute(f"SET threads = {int(threads)}")
        connection.execute(f"SET memory_limit = '{memory_limit or default_memory_limit()}'")
        # Order-dependent results never decide a link, so DuckDB need not keep insertion order (less memory).
        connection.execute("SET preserve_insertion_order = false")
        with tempfile.TemporaryDirectory(prefix="outcomes-duckdb-") as spill:
            connection.execute(f"SET temp_directory = '{spill}'")
            try:
                yield Engine("duckdb", DuckDBAPI(connection=connection), connection=connection)
            finally:
                connection.close()
        return

    try:
        import pyspark  # noqa: F401
        from splink import SparkAPI
    except ImportError as error:  # pragma: no cover - depends on the install
        raise ConfigurationError(
            "--engine spark needs pyspark and Java 17: install the 'spark' extra (pip install 'sch-outcomes[spark]')"
        ) from error
    own_session = spark_session is None
    if own_session:
        spark_session = local_spark_session(threads)
    local = str(spark_session.sparkContext.master).startswith("local")
    try:
        yield Engine(
            "spark",
            SparkAPI(
                spark_session=spark_session,
                num_partitions_on_repartition=max(1, int(spark_session.conf.get("spark.sql.shuffle.partitions"))),
                # On one machine, caching intermediate tables beats Splink's default of writing them to Parquet;
                # on a cluster the default stands.
                break_lineage_method="persist" if local else None,
                # The linker compares hashes with built-in SQL only, so Splink's Java similarity UDFs are not needed.
                register_udfs_automatically=False,
            ),
            spark_session,
        )
    finally:
        if own_session:
            spark_session.stop()


def default_memory_limit(share: float = 0.3, floor_gib: float = 1.0) -> str:
    """DuckDB memory limit: ``share`` of this machine's physical memory, at least ``floor_gib``.

    DuckDB's own default (80%) leaves too little for the pandas tables the
    linker holds beside it; past the limit DuckDB spills to disk instead.
    """
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not on Linux
        return f"{floor_gib:g}GB"
    gib = max(floor_gib, share * physical / 2**30)
    return f"{gib:.1f}GB"


def local_spark_session(threads: int = 2, *, driver_memory: str = "4g", adaptive: bool = True) -> Any:
    """A Spark session in local mode, sized for one machine.

    Shuffle partitions are as many as threads, because the default of 200
    makes every small step slow on one machine; Arrow speeds the exchange
    with pandas. ``adaptive=False`` turns adaptive query execution off, which
    only costs time on the tiny tables of a test.
    """
    from pyspark.sql import SparkSession

    logger.info("starting Spark in local mode with %d threads", threads)
    session = (
        SparkSession.builder.master(f"local[{threads}]")
        .appName("outcomes-link")
        .config("spark.sql.shuffle.partitions", str(threads))
        .config("spark.default.parallelism", str(threads))
        .config("spark.sql.adaptive.enabled", str(adaptive).lower())
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(os.path.join(_spark_scratch(), "checkpoints"))
    return session


def _spark_scratch() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="outcomes-spark-")
