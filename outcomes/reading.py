"""Reading one table file into raw text cells, and parsing cells into the contract's types.

Reading and parsing are kept apart from the rules so that every problem can be
traced back to a place in the file: each raw row carries its line number, and
each parse failure becomes a reject with the file, row, column, value and rule.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
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
    # Cells read but not usable (a Parquet timestamp out of the range pandas holds): column -> the value as text
    # where the cell is unusable (missing elsewhere); the cell itself is left empty in ``frame``.
    unusable: dict[str, pd.Series] = field(default_factory=dict)
    # A raw table gathered from several files (SSDA903 years) has a FILE_COLUMN naming each row's file.

    def file_of(self, index: object) -> str:
        if FILE_COLUMN in self.frame.columns:
            return str(self.frame.at[index, FILE_COLUMN])
        return self.file


_EARLIEST = pd.Timestamp.min.ceil("D")
_LATEST = pd.Timestamp.max.floor("D")
OUT_OF_RANGE_DATE = f"date is outside the range that can be held ({_EARLIEST:%Y-%m-%d} to {_LATEST:%Y-%m-%d})"
BATCH_ROWS = 100_000
"""Rows judged at a time: memory stays bounded by the batch, whatever the size of the file."""

# The first bytes of files that are not text, and what to do about them.
_NOT_TEXT = (
    (b"\x1f\x8b", "is gzip-compressed, not CSV text", "Decompress it (`gunzip`) and name the result .csv."),
    (b"PK\x03\x04", "is a ZIP archive (an Excel workbook is one), not CSV text",
     "Unzip it, or save the sheet from Excel as CSV UTF-8."),
    (b"PAR1", "is a Parquet file named .csv", "Rename it to .parquet."),
    (b"\xd0\xcf\x11\xe0", "is an old Excel (.xls) workbook, not CSV text", "Save the sheet as CSV UTF-8."),
)  # fmt: skip


@dataclass(frozen=True)
class _TextScan:
    newlines: int
    ends_with_newline: bool


def _scan_text(path: Path) -> _TextScan:
    """Check a file is non-empty UTF-8 text, block by block, without holding it in memory.

    Raises
    ------
    StructuralError
        If the file cannot be read, is empty, is compressed or binary, or is not UTF-8.
    """
    newlines, carry, blank, last = 0, b"", True, b""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
            for magic, problem, fix in _NOT_TEXT:
                if head.startswith(magic):
                    raise StructuralError(str(path), problem, fix)
            handle.seek(0)
            while block := handle.read(1 << 20):
                data, carry = carry + block, b""
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError as error:
                    if error.reason == "unexpected end of data" and error.end == len(data):
                        data, carry = data[: error.start], data[error.start :]  # a character split between blocks
                    else:
                        _not_utf8(path, newlines + data[: error.start].count(b"\n") + 1, data[error.start])
                newlines += data.count(b"\n")
                blank = blank and not data.strip()
                last = data[-1:] or last
    except OSError as error:
        raise StructuralError(
            str(path), f"cannot be read ({error.strerror})", "Check the path and its permissions."
        ) from None
    if carry:
        _not_utf8(path, newlines + 1, carry[0])
    if blank:
        raise StructuralError(
            str(path),
            "is empty",
            "A table file needs at least a header row naming its columns (see the data dictionary).",
        )
    return _TextScan(newlines, last == b"\n")


def _not_utf8(path: Path, line: int, byte: int) -> None:
    raise StructuralError(
        str(path),
        f"is not UTF-8 text: byte 0x{byte:02x} on line {line} cannot be decoded "
        "(it looks like Latin-1 or Windows-1252)",
        "Save the file as UTF-8 (for example `iconv -f latin1 -t utf-8 in.csv > out.csv`) and run again.",
    )


class TableReader:
    """One table file, opened: its header is read and checked; its rows come in batches.

    Structural problems of the file as a whole (unreadable, empty, not UTF-8, compressed, a header that
    names a column twice) are raised when it is opened, before any row is judged. A CSV that breaks off
    inside a quoted value is found only when its rows are read, and is raised then.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = str(path)
        self.notes: list[str] = []
        self.native = path.suffix.lower() == ".parquet"
        if self.native:
            self._parquet = _open_parquet(path)
            self.header = [str(name).strip() for name in self._parquet.schema_arrow.names]
            _check_duplicates(path, self.header)
        else:
            self._scan = _scan_text(path)
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.reader(handle, strict=True)
                try:
                    header = next(reader)
                    while header == []:
                        header = next(reader)
                except StopIteration:
                    raise StructuralError(
                        str(path), "has no header row", "Put the column names on the first line."
                    ) from None
                except csv.Error as error:
                    raise _not_csv(path, reader.line_num, error) from None
                self._header_lines = reader.line_num
            self.header = [name.strip() for name in header]
            _check_header(path, self.header)

    def batches(self, rows: int = BATCH_ROWS) -> Iterator[RawTable]:
        """The rows, ``rows`` at a time, each batch a :class:`RawTable` whose frame is indexed from 0 up."""
        yield from (self._parquet_batches(rows) if self.native else self._csv_batches(rows))

    def _csv_batches(self, size: int) -> Iterator[RawTable]:
        width = len(self.header)
        blank_lines = 0
        last_line = self._scan.newlines + 1
        start = 0
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            for _ in range(self._header_lines):
                handle.readline()  # the header (and blank lines before it) was read on opening
            reader = csv.reader(handle, strict=True)
            offset = self._header_lines
            rows: list[list[str]] = []
            lines: list[int] = []
            problems: list[tuple[int, str, str, str]] = []
            line_after = offset + 1
            try:
                for record in reader:
                    line = line_after
                    line_after = offset + reader.line_num + 1
                    if not record or (len(record) == 1 and not record[0].strip()):
                        blank_lines += 1
                        continue
                    if len(record) != width:
                        rule = f"row has {len(record)} fields but the header has {width}"
                        if line_after > last_line and not self._scan.ends_with_newline and len(record) < width:
                            rule += " (the file may be truncated)"
                        problems.append((line, "", ",".join(record), rule))
                        continue
                    rows.append(record)  # empty cells become missing when parsed (vectorised there)
                    lines.append(line)
                    if len(rows) >= size:
                        yield self._csv_batch(rows, lines, problems, start)
                        start += len(rows)
                        rows, lines, problems = [], [], []
            except csv.Error as error:
                raise _not_csv(self.path, offset + reader.line_num, error) from None
            if rows or problems or not start:
                yield self._csv_batch(rows, lines, problems, start)
        if blank_lines:
            self.notes.append(f"{blank_lines} blank line(s) ignored")

    def _csv_batch(self, rows: list[list[str]], lines: list[int], problems: list, start: int) -> RawTable:
        frame = pd.DataFrame(rows, columns=self.header, dtype=object)
        frame[ROW] = np.asarray(lines, dtype=np.int64)
        frame.index = pd.RangeIndex(start, start + len(frame))
        return RawTable(self.file, frame, self.header, problems)

    def _parquet_batches(self, size: int) -> Iterator[RawTable]:
        start = 0
        try:
            for batch in self._parquet.iter_batches(batch_size=size):
                batch, unusable = _without_unusable_dates(batch)
                frame = batch.to_pandas()
                frame.columns = self.header
                frame[ROW] = np.arange(start + 1, start + len(frame) + 1, dtype=np.int64)
                frame.index = pd.RangeIndex(start, start + len(frame))
                unusable = {self.header[i]: series.set_axis(frame.index) for i, series in unusable.items()}
                yield RawTable(self.file, frame, self.header, native=True, unusable=unusable)
                start += len(frame)
        except (OSError, pa.ArrowException) as error:
            raise StructuralError(
                self.file, f"cannot be read as Parquet ({type(error).__name__}: {error})", "Write the file again."
            ) from None
        if not start:
            frame = self._parquet.schema_arrow.empty_table().to_pandas()
            frame.columns = self.header
            frame[ROW] = np.arange(0, dtype=np.int64)
            yield RawTable(self.file, frame, self.header, native=True)


def _not_csv(path: Path, line: int, error: csv.Error) -> StructuralError:
    return StructuralError(
        str(path),
        f"is not valid CSV near line {line}: {error}",
        "Check for an unclosed quote; a truncated file ends inside a quoted value.",
    )


def _open_parquet(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises several types for a damaged file
        raise StructuralError(
            str(path), f"cannot be read as Parquet ({type(error).__name__}: {error})", "Write the file again."
        ) from None


def _without_unusable_dates(batch: pa.RecordBatch) -> tuple[pa.RecordBatch, dict[int, pd.Series]]:
    """Dates outside the range pandas holds (before 1677 or after 2262) are taken out, kept aside as text.

    Converting them would fail for the whole file (and pyarrow's message shows the value, which may be a
    date of birth); taken out, each becomes a reject of its own cell.
    """
    columns = list(batch.columns)
    unusable: dict[int, pd.Series] = {}
    for position, column in enumerate(columns):
        kind = column.type
        if pa.types.is_timestamp(kind):
            unit = kind.unit
            ticks = [(t - pd.Timestamp(0)) // pd.Timedelta(1, unit=unit) for t in (_EARLIEST, _LATEST)]
            bounds = [pa.scalar(int(tick), pa.int64()) for tick in ticks]
            as_int = column.view(pa.int64()) if hasattr(column, "view") else pc.cast(column, pa.int64())
        elif pa.types.is_date(kind):
            days = [(pd.Timestamp(t) - pd.Timestamp("1970-01-01")).days for t in (_EARLIEST, _LATEST)]
            bounds = [pa.scalar(day, pa.int64()) for day in days]
            as_int = pc.cast(pc.cast(column, pa.date32()), pa.int32()).cast(pa.int64())
        else:
            continue
        outside = pc.fill_null(pc.or_(pc.less(as_int, bounds[0]), pc.greater(as_int, bounds[1])), False)
        if not pc.any(outside).as_py():
            continue
        mask = outside.to_numpy(zero_copy_only=False)
        texts = np.full(len(mask), None, dtype=object)
        texts[mask] = [_iso(value) for value in column.filter(outside).to_pylist()]
        unusable[position] = pd.Series(texts, dtype=object)
        columns[position] = pc.if_else(outside, pa.scalar(None, kind), column)
    if not unusable:
        return batch, unusable
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema), unusable


def _iso(value: object) -> str:
    return value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)


def _check_duplicates(path: Path, header: list[str]) -> None:
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise StructuralError(
            str(path), f"names a column twice: {', '.join(duplicates)}", "Remove the repeated column."
        )


def _gather(reader: TableReader) -> RawTable:
    """Every batch of a file in one raw table."""
    parts = list(reader.batches())
    problems = [problem for part in parts for problem in part.problems]
    unusable: dict[str, pd.Series] = {}
    for part in parts:
        for name, series in part.unusable.items():
            unusable[name] = pd.concat([unusable.get(name, pd.Series(dtype=object)), series])
    frame = pd.concat([part.frame for part in parts]) if len(parts) > 1 else parts[0].frame
    return RawTable(reader.file, frame, reader.header, problems, reader.notes, reader.native, unusable=unusable)


def read_csv_cells(path: Path) -> RawTable:
    """Read a CSV file into text cells, keeping each row's line number.

    Rows with the wrong number of fields are kept aside as problems, not dropped
    silently. Blank lines are not rows: they are counted in the notes.
    """
    return _gather(TableReader(path))


def _check_header(path: Path, header: list[str]) -> None:
    if len(header) == 1:
        for delimiter, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if delimiter in header[0]:
                raise StructuralError(
                    str(path),
                    f"has its columns separated by {name}, not commas",
                    "Save it as comma-separated values (CSV).",
                )
    _check_duplicates(path, header)
    if any(not name for name in header):
        raise StructuralError(str(path), "has a column with no name in its header", "Name every column or remove it.")


def read_parquet_cells(path: Path) -> RawTable:
    """Read a Parquet file, keeping its native types (they are checked when parsed)."""
    return _gather(TableReader(path))


def read_cells(path: Path) -> RawTable:
    return _gather(TableReader(path))


# --- parsing cells into types ------------------------------------------------------


def _as_text(series: pd.Series) -> pd.Series:
    """Cells as stripped text (object dtype), with None where a cell is missing or blank."""
    text = series.astype("string[pyarrow]").str.strip()  # Arrow kernels: vectorised, not per cell
    text = text.where(text != "")
    return text.astype(object).where(text.notna(), None)


ISO_SHAPES = {"%Y-%m-%d": r"\d{4}-\d{1,2}-\d{1,2}", "%Y-%m": r"\d{4}-\d{1,2}"}
"""The forms of ISO dates. A one-digit month or day (``2017-1-5``) is read: it is unambiguous, and the
contract says so (``outcomes dictionary``)."""
NONEXISTENT_DATE = "date does not exist (no such month, or no such day in that month)"


def parse_column(
    series: pd.Series, kind: str, *, date_format: str = "%Y-%m-%d"
) -> tuple[pd.Series, pd.Series, str | pd.Series]:
    """Parse one column into its contract type.

    Parameters
    ----------
    series : the raw column.
    kind : ``string``, ``date``, ``boolean``, ``integer`` or ``number``.
    date_format : the ``strptime`` format of dates in text.

    Returns
    -------
    (values, failed, rule): the typed column, a mask of cells that could not be
    parsed, and the rule those cells broke (a Series, one rule a cell, where they broke different ones).
    """
    if kind == "date":
        if pd.api.types.is_datetime64_any_dtype(series):
            values = pd.to_datetime(series).dt.tz_localize(None) if getattr(series.dt, "tz", None) else series
            return values.astype("datetime64[ns]"), pd.Series(False, index=series.index), ""
        text = _as_text(series)
        values = pd.to_datetime(text, format=date_format, errors="coerce")
        readable = date_format.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD")
        failed = text.notna() & values.isna()
        rule: str | pd.Series = f"date must be written {readable}"
        shape = ISO_SHAPES.get(date_format)
        if shape is not None and failed.any():
            # Written in the right form but not a day of the calendar (2020-02-31, 2020-13-01): say so.
            impossible = text[failed].astype(str).str.fullmatch(shape)
            if impossible.any():
                rule = pd.Series(rule, index=series.index, dtype=object)
                rule[impossible.index[impossible.to_numpy()]] = NONEXISTENT_DATE
        return values.astype("datetime64[ns]"), failed, rule
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
