"""Reading one table file into raw text cells, and parsing cells into the contract's types.

Reading and parsing are kept apart from the rules so that every problem can be
traced back to a place in the file: each raw row carries its line number, and
each parse failure becomes a reject with the file, row, column, value and rule.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from outcomes.errors import StructuralError

MAX_FIELD_CHARACTERS = 1_000
"""Longest value the contract accepts in any cell; longer cells are rejected, not truncated."""

_CSV_FIELD_LIMIT = 64 * 1024 * 1024  # read oversize cells so they can be rejected by rule
csv.field_size_limit(_CSV_FIELD_LIMIT)

MAX_EXACT_INTEGER = 2**53
"""Largest whole number read exactly; larger ones are rejected rather than rounded."""

TRUE_WORDS = ["true", "t", "yes", "y", "1"]
FALSE_WORDS = ["false", "f", "no", "n", "0"]
ROW = "_row"
"""Column holding each row's place in its file (line number in a CSV, record number in Parquet)."""
FILE_COLUMN = "_file"
"""Column holding each row's file when a raw table gathers rows from several files."""


@dataclass
class RawTable:
    """A table as text cells, before any rule: nothing dropped, nothing converted."""

    file: str
    frame: pd.DataFrame  # object columns of str or None, plus ROW
    header: list[str]
    problems: list[tuple[int, str, str, str]] = field(default_factory=list)  # row, column, value, rule
    notes: list[str] = field(default_factory=list)
    native: bool = False  # True when the values are typed already (Parquet)
    date_formats: dict[str, str] = field(default_factory=dict)  # column -> strptime format, where not ISO
    # A raw table gathered from several files (SSDA903 years) has a FILE_COLUMN naming each row's file.

    def file_of(self, index: object) -> str:
        if FILE_COLUMN in self.frame.columns:
            return str(self.frame.at[index, FILE_COLUMN])
        return self.file


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise StructuralError(
            str(path),
            f"is not UTF-8 text: byte 0x{data[error.start]:02x} on line {line} cannot be decoded "
            "(it looks like Latin-1 or Windows-1252)",
            "Save the file as UTF-8 (for example `iconv -f latin1 -t utf-8 in.csv > out.csv`) and run again.",
        ) from None


def read_csv_cells(path: Path) -> RawTable:
    """Read a CSV file into text cells, keeping each row's line number.

    Rows with the wrong number of fields are kept aside as problems, not dropped
    silently. Blank lines are not rows: they are counted in the notes.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise StructuralError(
            str(path), f"cannot be read ({error.strerror})", "Check the path and its permissions."
        ) from None
    if not data.strip():
        raise StructuralError(
            str(path),
            "is empty",
            "A table file needs at least a header row naming its columns (see the data dictionary).",
        )
    text = _decode(path, data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
        while header == []:
            header = next(reader)
    except StopIteration:
        raise StructuralError(str(path), "has no header row", "Put the column names on the first line.") from None
    header = [name.strip() for name in header]
    _check_header(path, header)

    width = len(header)
    rows: list[list[str | None]] = []
    lines: list[int] = []
    problems: list[tuple[int, str, str, str]] = []
    blank_lines = 0
    start_line = reader.line_num + 1
    try:
        for record in reader:
            line = start_line
            start_line = reader.line_num + 1
            if not record or (len(record) == 1 and not record[0].strip()):
                blank_lines += 1
                continue
            if len(record) != width:
                shown = ",".join(record)
                rule = f"row has {len(record)} fields but the header has {width}"
                if start_line > text.count("\n") + 1 and not text.endswith("\n") and len(record) < width:
                    rule += " (the file may be truncated)"
                problems.append((line, "", shown, rule))
                continue
            rows.append(record)  # empty cells become missing when parsed (vectorised there)
            lines.append(line)
    except csv.Error as error:
        raise StructuralError(
            str(path),
            f"is not valid CSV near line {reader.line_num}: {error}",
            "Check for an unclosed quote; a truncated file ends inside a quoted value.",
        ) from None
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame[ROW] = np.asarray(lines, dtype=np.int64)
    notes = [f"{blank_lines} blank line(s) ignored"] if blank_lines else []
    return RawTable(str(path), frame, header, problems, notes)


def _check_header(path: Path, header: list[str]) -> None:
    if len(header) == 1:
        for delimiter, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if delimiter in header[0]:
                raise StructuralError(
                    str(path),
                    f"has its columns separated by {name}, not commas",
                    "Save it as comma-separated values (CSV).",
                )
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise StructuralError(
            str(path), f"names a column twice: {', '.join(duplicates)}", "Remove the repeated column."
        )
    if any(not name for name in header):
        raise StructuralError(str(path), "has a column with no name in its header", "Name every column or remove it.")


def read_parquet_cells(path: Path) -> RawTable:
    """Read a Parquet file, keeping its native types (they are checked when parsed)."""
    try:
        table = pq.read_table(path)
    except Exception as error:  # pyarrow raises several types for a damaged file
        raise StructuralError(
            str(path), f"cannot be read as Parquet ({type(error).__name__}: {error})", "Write the file again."
        ) from None
    frame = table.to_pandas()
    frame.columns = [str(c).strip() for c in frame.columns]
    frame[ROW] = np.arange(1, len(frame) + 1, dtype=np.int64)
    return RawTable(str(path), frame, [c for c in frame.columns if c != ROW], native=True)


def read_cells(path: Path) -> RawTable:
    if path.suffix.lower() == ".parquet":
        return read_parquet_cells(path)
    return read_csv_cells(path)


# --- parsing cells into types ------------------------------------------------------


def _as_text(series: pd.Series) -> pd.Series:
    """Cells as stripped text (object dtype), with None where a cell is missing or blank."""
    text = series.astype("string[pyarrow]").str.strip()  # Arrow kernels: vectorised, not per cell
    text = text.where(text != "")
    return text.astype(object).where(text.notna(), None)


def parse_column(series: pd.Series, kind: str, *, date_format: str = "%Y-%m-%d") -> tuple[pd.Series, pd.Series, str]:
    """Parse one column into its contract type.

    Parameters
    ----------
    series : the raw column.
    kind : ``string``, ``date``, ``boolean``, ``integer`` or ``number``.
    date_format : the ``strptime`` format of dates in text.

    Returns
    -------
    (values, failed, rule): the typed column, a mask of cells that could not be
    parsed, and the rule those cells broke.
    """
    if kind == "date":
        if pd.api.types.is_datetime64_any_dtype(series):
            values = pd.to_datetime(series).dt.tz_localize(None) if getattr(series.dt, "tz", None) else series
            return values.astype("datetime64[ns]"), pd.Series(False, index=series.index), ""
        text = _as_text(series)
        values = pd.to_datetime(text, format=date_format, errors="coerce")
        readable = date_format.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD")
        return values.astype("datetime64[ns]"), text.notna() & values.isna(), f"date must be written {readable}"
    if kind == "boolean":
        if pd.api.types.is_bool_dtype(series):
            return series.astype("boolean"), pd.Series(False, index=series.index), ""
        text = _as_text(series)
        lowered = text.astype("string").str.lower()
        values = pd.Series(
            np.where(lowered.isin(TRUE_WORDS), True, np.where(lowered.isin(FALSE_WORDS), False, None)),
            index=series.index,
            dtype=object,
        )
        return values.astype("boolean"), text.notna() & values.isna(), "must be true or false (also 1/0, yes/no)"
    if kind in ("integer", "number"):
        text = _as_text(series) if not pd.api.types.is_numeric_dtype(series) else series
        values = pd.to_numeric(text, errors="coerce").astype("Float64")
        values = values.where(np.isfinite(values.to_numpy(dtype=float, na_value=np.nan)), pd.NA)
        failed = (text.notna() & values.isna()).astype(bool)
        if kind == "integer":
            # Beyond 2**53 a whole number is no longer exact as a float (and beyond 2**63 it would wrap).
            not_whole = (values.notna() & ((values != values.round()) | (values.abs() > MAX_EXACT_INTEGER))).astype(
                bool
            )
            failed |= not_whole
            values = values.where(~not_whole).astype("Int64")
            return values, failed, "must be a whole number"
        return values.astype("Float64"), failed, "must be a number"
    text = _as_text(series)
    return text.astype("string"), pd.Series(False, index=series.index), ""


def long_cells(frame: pd.DataFrame, columns: Iterable[str]) -> list[tuple[int, str]]:
    """(index, column) of text cells longer than :data:`MAX_FIELD_CHARACTERS`."""
    found: list[tuple[int, str]] = []
    for column in columns:
        lengths = frame[column].astype("string[pyarrow]").str.len().fillna(0)
        found.extend((index, column) for index in lengths.index[(lengths > MAX_FIELD_CHARACTERS).to_numpy()])
    return found
