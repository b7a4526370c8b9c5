"""Splink's input frames and how they are put into an engine (DuckDB tables or Spark views)."""

from __future__ import annotations

import itertools
from typing import Any

import pandas as pd

from outcomes.linkage.engines import Engine
from outcomes.linkage.probabilistic.model import UNIQUE_ID
from outcomes.linkage.pseudonymise import FEATURE_COLUMNS, LIST_FEATURES


def splink_frame(features: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """``ids`` as :data:`UNIQUE_ID` beside the hashed ``features``, missing values as None, sorted by id."""
    frame = features.copy()
    frame.insert(0, UNIQUE_ID, ids.astype(str).to_numpy())
    for column in FEATURE_COLUMNS:
        if column not in LIST_FEATURES:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame.sort_values(UNIQUE_ID, kind="stable").reset_index(drop=True)


class Registrar:
    """Puts pandas frames into an engine under fresh names, each frame once.

    On DuckDB a frame becomes a table (a copy in DuckDB's own columnar format,
    which it can spill to disk): registering the frame as a view instead would
    make every training and prediction query convert the pandas columns again.
    """

    _names = itertools.count(1)

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._tables: dict[int, tuple[pd.DataFrame, str]] = {}

    def _physical(self, frame: pd.DataFrame, label: str) -> str:
        if id(frame) in self._tables:
            return self._tables[id(frame)][1]
        name = f"outcomes_{label}_{next(self._names)}"
        if self.engine.name == "spark":
            spark_frame = self.engine.spark.createDataFrame(frame, schema=_spark_schema(frame))
            spark_frame.createOrReplaceTempView(name)
        else:
            connection = self.engine.connection
            connection.register(f"{name}_pandas", frame)
            connection.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_pandas")
            connection.unregister(f"{name}_pandas")
        # The frame is kept so that its id cannot be reused by another frame while the table lives.
        self._tables[id(frame)] = (frame, name)
        return name

    def release(self) -> None:
        """Drop every table of a DuckDB engine (inputs, Splink's caches), returning its memory before resolution."""
        if self.engine.name != "duckdb":
            return
        connection = self.engine.connection
        for (name,) in connection.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall():
            connection.execute(f'DROP TABLE IF EXISTS "{name}"')
        self._tables.clear()

    def __call__(self, frame: pd.DataFrame, label: str) -> Any:
        physical = self._physical(frame, label)
        return self.engine.db_api.register(physical, table_name=f"{physical}_as_{next(self._names)}")


def _spark_schema(frame: pd.DataFrame) -> Any:
    from pyspark.sql.types import ArrayType, LongType, StringType, StructField, StructType

    def spark_type(column: str) -> Any:
        if column == UNIQUE_ID:
            return LongType()
        return ArrayType(StringType()) if column in LIST_FEATURES else StringType()

    fields = [StructField(column, spark_type(column), True) for column in frame.columns]
    return StructType(fields)


def splink_linker(registrar: Registrar, left: pd.DataFrame, right: pd.DataFrame, settings: dict[str, Any]) -> Any:
    """A Splink ``Linker`` of the children (``left``) and records (``right``), put into the engine by ``registrar``."""
    from splink import Linker

    left_table = registrar(left, "children")
    right_table = registrar(right, "records")
    return Linker([left_table, right_table], settings, log_level=None)
