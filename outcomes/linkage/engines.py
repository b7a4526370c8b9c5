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
    memory_limit : DuckDB memory limit, for example ``"8GB"``.
    """
    if name not in ENGINES:
        raise ConfigurationError(f"unknown linkage engine {name!r}; choose one of {', '.join(ENGINES)}")
    threads = threads or os.cpu_count() or 1
    if name == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        connection = duckdb.connect(":memory:")
        connection.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            connection.execute(f"SET memory_limit = '{memory_limit}'")
        try:
            yield Engine("duckdb", DuckDBAPI(connection=connection))
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
    try:
        yield Engine(
            "spark",
            SparkAPI(
                spark_session=spark_session,
                num_partitions_on_repartition=max(2, threads),
            ),
            spark_session,
        )
    finally:
        if own_session:
            spark_session.stop()


def local_spark_session(threads: int = 2, *, driver_memory: str = "4g") -> Any:
    """A Spark session in local mode, sized for one machine.

    Shuffle partitions are few, because the default of 200 makes every small
    step slow on one machine; Arrow speeds the exchange with pandas.
    """
    from pyspark.sql import SparkSession

    logger.info("starting Spark in local mode with %d threads", threads)
    session = (
        SparkSession.builder.master(f"local[{threads}]")
        .appName("outcomes-link")
        .config("spark.sql.shuffle.partitions", str(max(2, threads)))
        .config("spark.default.parallelism", str(max(2, threads)))
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
