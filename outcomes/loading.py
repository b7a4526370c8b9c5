"""Loading a data folder and validating it against the data contract.

``load_data(data_dir)`` reads one CSV or Parquet file per table, named after
the table (``stays.csv`` or ``stays.parquet``), and judges every row in one
pass, in four stages:

1. **Structure.** Every required table is there, readable, UTF-8, comma
   separated, with every required column (names are case-sensitive) and at
   least one row. A structural problem stops the run with
   :class:`~outcomes.errors.StructuralError` (exit code 2) naming every such
   problem found.
2. **Parsing.** Each cell is parsed into the type the contract declares.
3. **Table rules.** Keys are unique (the first row with a key is kept), then
   the pandera model of each table checks codes, ranges and row rules.
4. **Cross-table rules** (:mod:`outcomes.contract.rules`), in order, so a row
   that refers to a rejected row is rejected too; then the warnings, on the
   rows accepted.

A rejected row is never dropped silently: it is listed in ``rejects`` (file,
row, column, value, rule, code) and counted, and for every table
``read == accepted + rejected``. A warning keeps its row; it is listed in
``warnings`` and counted.

Stages 2 and 3 run on batches of rows (:data:`~outcomes.reading.BATCH_ROWS`)
as the file is read, and only the rows accepted so far are kept, with their
text in Arrow strings: memory follows the accepted data, not the file's text.
The keys of rejected rows are kept too, so that a duplicate is judged against
every earlier row of the file.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pyarrow_compute
from pandas.api.types import union_categoricals

from outcomes.config import Settings
from outcomes.contract.rules import CROSS_TABLE_RULES, LOADER_RULES, REJECT, WARNING
from outcomes.contract.tables import TABLES, Table
from outcomes.errors import StructuralError
from outcomes.reading import (
    FILE_COLUMN,
    MAX_FIELD_CHARACTERS,
    OUT_OF_RANGE_DATE,
    ROW,
    RawTable,
    TableReader,
    long_cells,
    parse_column,
)

log = logging.getLogger(__name__)

REJECT_COLUMNS = ["file", "row", "column", "value", "rule", "code"]
WARNING_COLUMNS = REJECT_COLUMNS
MAX_VALUE_SHOWN = 200
SUFFIXES = (".csv", ".parquet")
WITHHELD = "<identifier withheld>"
WITHHELD_ROW = "<row withheld: the file holds identifiers>"
ARROW_STRING = pd.StringDtype("pyarrow")
POSITION = "_position"  # a row's place among the rows of its table, from 0, across batches

# Problems found before the keys are judged (kept for a duplicate row) and after (dropped for it: a duplicate
# is rejected as a duplicate, and its cells are not judged again).
_BEFORE_KEYS, _AFTER_KEYS = 0, 1


@dataclass(frozen=True)
class TableCount:
    """Rows of one table: ``read == accepted + rejected`` always."""

    table: str
    file: str
    read: int
    accepted: int
    rejected: int

    def __post_init__(self) -> None:
        if self.read != self.accepted + self.rejected:
            raise AssertionError(
                f"{self.table}: {self.read} read != {self.accepted} accepted + {self.rejected} rejected"
            )


@dataclass
class LoadResult:
    """What ``load_data`` found.

    Attributes
    ----------
    tables : accepted rows of every table found, typed as the contract declares, text in Arrow strings
        (``string[pyarrow]``: a few bytes a value rather than a Python object each).
    rejects : one row per problem: file, row, column, value, rule, code.
    counts : rows read, accepted and rejected per table.
    notes : things worth knowing that are not rejections (blank lines, extra columns, optional tables absent).
    input_hashes : SHA-256 of every file read, for the run record.
    warnings : one row per warning (file, row, column, value, rule, code); the rows are kept.
    """

    data_dir: Path
    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    counts: dict[str, TableCount]
    notes: list[str] = field(default_factory=list)
    input_hashes: dict[str, str] = field(default_factory=dict)
    warnings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=WARNING_COLUMNS))
    warning_rows: dict[str, int] = field(default_factory=dict)

    @property
    def rejected_rows(self) -> int:
        return sum(count.rejected for count in self.counts.values())

    def counts_frame(self) -> pd.DataFrame:
        """Rows read, accepted and rejected per table, and the accepted rows with a warning."""
        frame = pd.DataFrame([vars(count) for count in self.counts.values()])
        if len(frame):
            frame["warnings"] = [self.warning_rows.get(name, 0) for name in self.counts]
        return frame


class _Problems:
    """Problems of every table, kept as small frames (one per rule and batch), and the rows they condemn."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(
        self,
        table: str,
        frame: pd.DataFrame,
        positions: np.ndarray,
        column: str,
        values: Iterable[object],
        rule: str | pd.Series,
        code: str,
        *,
        pii: bool,
        stage: int = _BEFORE_KEYS,
        shown: bool = False,
        rows: pd.DataFrame | None = None,
    ) -> None:
        """Problems with the rows at ``positions`` (index labels) of ``frame`` (which carries ROW and FILE_COLUMN).

        ``rows``, when given, are those rows already taken out of ``frame``: looking labels up in a whole
        table builds (and keeps, with the table) a hash table of its index, some 30 bytes a row.
        """
        if not len(positions):
            return
        rows = frame.loc[positions] if rows is None else rows
        texts = list(values) if shown else [_shown(value, pii) for value in values]
        self.parts.append(
            pd.DataFrame(
                {
                    "file": rows[FILE_COLUMN].astype(str).to_numpy(dtype=object),
                    "row": rows[ROW].to_numpy(dtype=np.int64),
                    "column": column,
                    "value": np.asarray(texts, dtype=object),
                    "rule": rule.to_numpy(dtype=object) if isinstance(rule, pd.Series) else rule,
                    "code": code,
                    "_table": table,
                    POSITION: np.asarray(positions, dtype=np.int64),
                    "_stage": stage,
                }
            )
        )

    def note(self, table: str, file: str, row: int, column: str, value: object, rule: str, code: str) -> None:
        """A problem with a line that never became a row of a frame (a malformed CSV line)."""
        self.parts.append(
            pd.DataFrame(
                {
                    "file": [str(file)],
                    "row": [int(row)],
                    "column": [column],
                    "value": [_shown(value, False)],
                    "rule": [rule],
                    "code": [code],
                    "_table": [table],
                    POSITION: [-1],
                    "_stage": [_BEFORE_KEYS],
                }
            )
        )

    def positions(self, table: str, since: int = 0) -> np.ndarray:
        """Positions of the rows of ``table`` condemned by the parts added since part ``since``."""
        found = [part[POSITION].to_numpy() for part in self.parts[since:] if part["_table"].iat[0] == table]
        found = [positions[positions >= 0] for positions in found]
        return np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)

    def drop_after_keys(self, table: str, duplicates: np.ndarray) -> None:
        """Forget the cell and row rules broken by rows that are rejected as duplicates."""
        if not len(duplicates):
            return
        for number, part in enumerate(self.parts):
            if part["_table"].iat[0] == table and part["_stage"].iat[0] == _AFTER_KEYS:
                self.parts[number] = part[~np.isin(part[POSITION].to_numpy(), duplicates)]
        self.parts = [part for part in self.parts if len(part)]

    def rows_per_table(self) -> dict[str, int]:
        """Rows with at least one problem, per table."""
        found: dict[str, set[int]] = {}
        for part in self.parts:
            found.setdefault(part["_table"].iat[0], set()).update(part[POSITION].tolist())
        return {table: len(positions) for table, positions in found.items()}

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=REJECT_COLUMNS)
        frame = pd.concat(self.parts, ignore_index=True)[REJECT_COLUMNS]
        return frame.sort_values(["file", "row", "code", "column"], kind="stable").reset_index(drop=True)


def _shown(value: object, pii: bool) -> str:
    """A cell as the rejects file shows it: identifiers are never written out, long cells are cut."""
    if value is None or (not isinstance(value, (str, tuple)) and pd.isna(value)):
        return ""
    if pii:
        return WITHHELD
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, tuple):  # a composite key
        return " | ".join(_shown(part, pii) for part in value)
    text = str(value)
    if len(text) > MAX_VALUE_SHOWN:
        return f"{text[:MAX_VALUE_SHOWN]}... ({len(text):,} characters)"
    return text


# --- finding the files -----------------------------------------------------------------------------------------


def find_table_files(data_dir: Path) -> dict[str, Path]:
    """The file of each contract table present in ``data_dir``.

    Raises
    ------
    StructuralError
        If the folder is missing, a table has both a CSV and a Parquet file, or a required table is absent.
    """
    found, problems = _table_files(data_dir, set())
    if problems:
        raise StructuralError.many(problems)
    return found


def find_table_files_allowing(data_dir: Path, supplied: set[str]) -> dict[str, Path]:
    """Like :func:`find_table_files`, but tables an adapter supplies need no file."""
    found, problems = _table_files(data_dir, supplied)
    if problems:
        raise StructuralError.many(problems)
    return found


def _table_files(data_dir: Path, supplied: set[str]) -> tuple[dict[str, Path], list[str]]:
    """The file of each table present, and the problems (a table in two files, a required table absent)."""
    if not data_dir.is_dir():
        raise StructuralError(str(data_dir), "is not a folder", "Give the folder holding one file per table.")
    found: dict[str, Path] = {}
    problems: list[str] = []
    for name, table in TABLES.items():
        paths = [data_dir / f"{name}{suffix}" for suffix in SUFFIXES]
        not_files = [path for path in paths if path.exists() and not path.is_file()]
        for path in not_files:
            problems.append(
                f"{path}: is a folder, not a file. The table '{name}' must be one file ({name}.csv or "
                f"{name}.parquet) directly in {data_dir}; move or rename the folder."
            )
        candidates = [path for path in paths if path.is_file()]
        if len(candidates) > 1:
            problems.append(f"{data_dir}: both {candidates[0].name} and {candidates[1].name} exist. Keep one of them.")
        elif candidates:
            found[name] = candidates[0]
        elif table.required and name not in supplied and not not_files:
            problems.append(
                f"{data_dir / (name + '.csv')}: required table '{name}' is missing. "
                f"Add {name}.csv or {name}.parquet (see the data dictionary: `outcomes dictionary`)."
            )
    return found, problems


# --- the column kinds --------------------------------------------------------------------------------------------


def _kind(column: pa.Column) -> str:
    dtype = str(column.dtype)
    if dtype.startswith("datetime"):
        return "date"
    return {"boolean": "boolean", "Int64": "integer", "Float64": "number"}.get(dtype, "string")


def _date_format(column: pa.Column) -> str:
    return "%Y-%m" if (column.metadata or {}).get("format") == "YYYY-MM" else "%Y-%m-%d"


def _structure_problems(table: Table, file: str, header: list[str]) -> tuple[list[str], list[str]]:
    """Problems (required columns missing, names in the wrong case) and notes (extra columns) of a header."""
    miscased = {
        name: written
        for written in header
        if written not in table.columns
        for name in table.columns
        if written.lower() == name.lower()
    }
    missing = [name for name in table.required_columns if name not in header and name not in miscased]
    extra = [name for name in header if name not in table.columns and name not in miscased.values()]
    problems = []
    if miscased:
        problems.append(
            f"{file}: column names are case-sensitive, and these differ from the contract only in case: "
            + ", ".join(f"{written} (meant {name})" for name, written in miscased.items())
            + ". Rename them as the data dictionary writes them."
        )
    if missing:
        problems.append(
            f"{file}: required column(s) missing: {', '.join(missing)}. "
            f"The table '{table.name}' needs: {', '.join(table.required_columns)}."
        )
    notes = [f"{file}: column(s) not in the contract ignored: {', '.join(extra)}"] if extra else []
    return problems, notes


# --- judging one batch of rows ----------------------------------------------------------------------------------


def _parse(table: Table, raw: RawTable, problems: _Problems) -> tuple[pd.DataFrame, set[tuple[object, str]]]:
    """Typed frame of the table's columns; cells that do not parse are rejected (and left empty).

    Returns the typed frame and the (index, column) of every cell rejected here, which the table
    rules then leave alone (an unreadable date is not also reported as a missing one).
    """
    frame = raw.frame
    pii = set(table.pii_columns)
    present = [name for name in table.columns if name in frame.columns]
    text_columns = [name for name in present if frame[name].dtype == object]
    if FILE_COLUMN not in frame.columns:
        frame[FILE_COLUMN] = raw.file
    unreadable: set[tuple[object, str]] = set()
    for column in text_columns:
        indexes = np.asarray([index for index, _ in long_cells(frame, [column])])
        unreadable |= {(index, column) for index in indexes}
        problems.add(
            table.name,
            frame,
            indexes,
            column,
            frame.loc[indexes, column] if len(indexes) else [],
            f"value longer than {MAX_FIELD_CHARACTERS:,} characters",
            "P01",
            pii=column in pii,
        )
    typed = pd.DataFrame({ROW: frame[ROW].to_numpy(), FILE_COLUMN: frame[FILE_COLUMN].to_numpy()}, index=frame.index)
    for name in present:
        column = table.columns[name]
        date_format = raw.date_formats.get(name, _date_format(column))
        values, failed, rule = parse_column(frame[name], _kind(column), date_format=date_format)
        if _date_format(column) == "%Y-%m" and _kind(column) == "date":
            # A month column keeps the month only, even when the source held the full date (SSDA903 DOB).
            values = values.dt.to_period("M").dt.to_timestamp()
        shown = frame[name]
        if name in raw.unusable:  # a Parquet date out of range: taken out when read, shown as its text
            outside = raw.unusable[name].notna()
            failed = failed | outside
            shown = shown.astype(object).where(~outside, raw.unusable[name])
            rule = pd.Series(rule, index=frame.index, dtype=object).where(~outside, OUT_OF_RANGE_DATE)
        indexes = failed.index[failed.to_numpy()]
        unreadable |= {(index, name) for index in indexes}
        if isinstance(rule, pd.Series):
            rule = rule.loc[indexes]
        problems.add(table.name, frame, indexes, name, shown.loc[indexes], rule, "P02", pii=name in pii)
        typed[name] = values
    return typed, unreadable


def _future_dates(table: Table, typed: pd.DataFrame, today: pd.Timestamp, problems: _Problems) -> None:
    pii = set(table.pii_columns)
    for name, column in table.columns.items():
        if name in typed.columns and _kind(column) == "date":
            future = typed[name].notna() & (typed[name] > today)
            indexes = typed.index[future.to_numpy()]
            rule = f"date is in the future (after {today:%Y-%m-%d})"
            problems.add(table.name, typed, indexes, name, typed.loc[indexes, name], rule, "T10", pii=name in pii)


def _column_rule(column_name: str, check: pa.Check | None, check_name: str, table: Table) -> tuple[str, str]:
    """A broken column check in words, and its code, from the check's own declaration."""
    column = table.columns[column_name]
    if check_name == "not_nullable":
        return "a value is required", "T02"
    if check is None:
        return check_name, "T07"
    stats = check.statistics
    if check.name == "isin":
        codes = (column.metadata or {}).get("codes")
        return f"not a valid code: must be one of the {codes or 'listed'} codes (see the data dictionary)", "T01"
    if check.name == "greater_than_or_equal_to" and isinstance(stats["min_value"], pd.Timestamp):
        return f"date is before {stats['min_value']:%Y-%m-%d}", "T03"
    if check.name == "greater_than_or_equal_to":
        return f"out of range (greater than or equal to {stats['min_value']})", "T04"
    if check.name == "less_than_or_equal_to":
        return f"out of range (less than or equal to {stats['max_value']})", "T04"
    if check.name == "in_range":
        return f"out of range (in range {stats['min_value']}, {stats['max_value']})", "T04"
    if check.name == "str_matches":
        return f"does not have the required form ('{stats['pattern']}')", "T05"
    if check.name == "str_length":
        return f"must be {stats['min_value']} to {stats['max_value']} characters", "T06"
    return check.error or check.name, "T07"


def _table_schema(table: Table) -> pa.DataFrameSchema:
    # Uniqueness of the key is judged by the loader over the whole file (keeping the first row); no other
    # column is declared unique (a test holds the contract to that), since pandera sees one batch at a time.
    key = list(table.key)
    return table.schema.update_columns({key[0]: {"unique": False}}) if len(key) == 1 else table.schema


def _apply_model(
    table: Table,
    typed: pd.DataFrame,
    problems: _Problems,
    unreadable: set[tuple[object, str]],
    schema: pa.DataFrameSchema,
) -> None:
    """The pandera model on every row of the batch; a row with an unreadable cell is judged on its others."""
    try:
        schema.validate(typed.drop(columns=[ROW, FILE_COLUMN]), lazy=True)
    except pa.errors.SchemaErrors as errors:
        _record_schema_failures(table, typed, errors.failure_cases, problems, unreadable, schema)


def _record_schema_failures(
    table: Table,
    typed: pd.DataFrame,
    failures: pd.DataFrame,
    problems: _Problems,
    unreadable: set[tuple[object, str]],
    schema: pa.DataFrameSchema,
) -> None:
    pii = set(table.pii_columns)
    without_row = failures[failures["index"].isna()]
    if len(without_row):
        # A failure that names no row (a column's type, say) would otherwise let every row through unjudged.
        first = without_row.iloc[0]
        raise StructuralError(
            str(typed[FILE_COLUMN].iloc[0]) if len(typed) else table.name,
            f"column {first['column']} failed the contract as a whole ({first['check']})",
            "Check the column holds values of the type the data dictionary gives.",
        )
    failures = failures[failures["index"].notna()]
    row_checks = failures[failures["schema_context"] == "DataFrameSchema"]
    # A row rule: one reject per row, naming the columns its message names.
    for (number, message), group in row_checks.groupby(["check_number", "check"], sort=False):
        check = schema.checks[int(number)]
        rule = check.error or str(message)
        involved = [name for name in table.columns if name in typed.columns and re.search(rf"\b{name}\b", rule)]
        indexes = pd.unique(group["index"].to_numpy())
        judged = [i for i in indexes if not any((i, name) in unreadable for name in involved)]
        values = [" | ".join(_shown(typed.at[i, name], name in pii) for name in involved) for i in judged]
        problems.add(
            table.name, typed, np.asarray(judged), "+".join(involved), values, rule, "T09", pii=False,
            stage=_AFTER_KEYS, shown=True,
        )  # fmt: skip
    cell_checks = failures[failures["schema_context"] != "DataFrameSchema"]
    for (column, number, check_name), group in cell_checks.groupby(
        ["column", cell_checks["check_number"].fillna(-1), "check"], sort=False
    ):
        column = str(column)
        check = table.columns[column].checks[int(number)] if number >= 0 else None
        rule, code = _column_rule(column, check, str(check_name), table)
        indexes = np.asarray([i for i in group["index"].to_numpy() if (i, column) not in unreadable])
        values = typed.loc[indexes, column] if len(indexes) else []
        problems.add(table.name, typed, indexes, column, values, rule, code, pii=column in pii, stage=_AFTER_KEYS)


# --- memory -------------------------------------------------------------------------------------------------


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _libc()
_M_MMAP_THRESHOLD = -3


@contextmanager
def _bounded_memory() -> Iterator[None]:
    """Judge batches so that memory freed after each one goes back to the system.

    Each batch makes and frees hundreds of megabytes of short-lived buffers. Left to themselves, glibc's
    malloc raises its mmap threshold after the first large free and then serves large buffers from a heap
    it cannot shrink, and Arrow's mimalloc pool keeps freed pages for reuse: the process grows with the
    churn, not only with the data kept (on a 1-million-row file, 490 MB at the end without this and 330 to
    370 MB with it, of which about 150 MB is the interpreter and its libraries). Here large buffers are
    mapped and unmapped (a fixed threshold), Arrow allocates from the system allocator while loading, and the
    heap is trimmed after each batch. Where glibc is not there (macOS, Windows), only the Arrow pool changes.
    """
    previous = pyarrow.default_memory_pool()
    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    if _LIBC is not None:
        _LIBC.mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
    try:
        yield
    finally:
        pyarrow.set_memory_pool(previous)
        _trim()


def _trim() -> None:
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


# --- judging one table, batch by batch -----------------------------------------------------------------------


@dataclass
class _Judged:
    """One table after stages 2 and 3: its accepted rows and what it read."""

    name: str
    file: str
    frame: pd.DataFrame  # accepted rows, typed, with ROW and FILE_COLUMN, indexed by position
    read: int
    rejected: int


_INT32_MAX = np.iinfo(np.int32).max


class _EmptyText:
    """One Arrow array of missing text per length, shared by every empty text column of every batch.

    A column with no value at all (the identifier columns of pupil records, say) still costs 8 bytes a row
    as its own Arrow array (the offsets); Arrow arrays cannot change, so one array can stand for them all.
    """

    def __init__(self) -> None:
        self._arrays: dict[tuple[int, object], pyarrow.Array] = {}

    def share(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with each Arrow text column that holds no value replaced by the shared one."""
        for name in frame.columns:
            array = frame[name].array
            if _empty_text(array):
                frame[name] = pd.Series(self.of(array, len(array)), index=frame.index)
        return frame

    def of(self, like: pd.arrays.ArrowStringArray, length: int) -> pd.arrays.ArrowStringArray:
        """The shared column of ``length`` missing values, of the Arrow type of ``like``."""
        kind = like._pa_array.type
        empty = self._arrays.setdefault((length, kind), pyarrow.nulls(length, kind))
        return pd.arrays.ArrowStringArray(pyarrow.chunked_array([empty]))


def _empty_text(array: object) -> bool:
    return isinstance(array, pd.arrays.ArrowStringArray) and array._pa_array.null_count == len(array)


def _arrow_strings(frame: pd.DataFrame, empty: _EmptyText | None = None) -> pd.DataFrame:
    """Text columns as Arrow strings (a few bytes a value rather than a Python object each).

    Empty text columns share one array (``empty``), and row numbers are held in 4 bytes where they fit.
    """
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.StringDtype) and frame[name].dtype.storage != "pyarrow":
            frame[name] = frame[name].astype(ARROW_STRING)
    if FILE_COLUMN in frame.columns and frame[FILE_COLUMN].dtype == object:
        frame[FILE_COLUMN] = frame[FILE_COLUMN].astype("category")
    if ROW in frame.columns and len(frame) and frame[ROW].dtype == np.int64 and frame[ROW].max() <= _INT32_MAX:
        frame[ROW] = frame[ROW].astype(np.int32)  # read as int64 where used (rejects, messages)
    return empty.share(frame) if empty is not None else frame


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate batch frames column by column, letting each batch's column go as it is copied."""
    if len(parts) == 1:
        return parts[0]
    index = np.concatenate([part.index.to_numpy() for part in parts])
    columns = {}
    for name in list(parts[0].columns):
        pieces = [part.pop(name) for part in parts]
        if isinstance(pieces[0].dtype, pd.CategoricalDtype):
            columns[name] = pd.Series(union_categoricals([piece.array for piece in pieces]), index=index)
        else:
            columns[name] = pd.Series(pd.concat(pieces, ignore_index=True).array, index=index)
        del pieces
    return pd.DataFrame(columns, index=index, copy=False)


def _take(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """The rows where ``keep`` is True, column by column (only one column is ever held twice)."""
    if keep.all():
        return frame
    index = frame.index[keep]
    empty = _EmptyText()  # an empty text column is not filtered (that would give it buffers of its own)
    columns = {}
    for name in list(frame.columns):
        array = frame.pop(name).array
        columns[name] = pd.Series(empty.of(array, len(index)) if _empty_text(array) else array[keep], index=index)
    return pd.DataFrame(columns, index=index, copy=False)


def _may_repeat(parts: list[pd.DataFrame], key: list[str]) -> bool:
    """False when no two rows of ``parts`` (accepted rows, then rows condemned in their batch) share a key.

    Found in Arrow for a single text key, without the codes, sorts and positions of the full search (more
    than 100 bytes a row): keys that rise strictly down the accepted rows (record ids usually do) are
    distinct at the cost of a bit a row, and only the condemned rows are then hashed. Otherwise every key is
    hashed once. True (search) for other keys.
    """
    arrays = [part[key[0]].array for part in parts] if len(key) == 1 else []
    if not arrays or not all(isinstance(array, pd.arrays.ArrowStringArray) for array in arrays):
        return True
    if len({array._pa_array.type for array in arrays}) > 1:
        return True
    accepted = arrays[0]._pa_array
    condemned = pyarrow.chunked_array(
        [chunk for array in arrays[1:] for chunk in array._pa_array.chunks], type=accepted.type
    )
    if accepted.null_count == 0 and _strictly_rising(accepted):
        if not len(condemned):
            return False
        if _distinct(condemned) != len(condemned) - condemned.null_count:
            return True
        # The set is of the condemned keys (the fewer): the accepted ones are only looked up.
        return bool(pyarrow_compute.any(pyarrow_compute.is_in(accepted, value_set=condemned)).as_py())
    everything = pyarrow.chunked_array([*accepted.chunks, *condemned.chunks], type=accepted.type)
    return _distinct(everything) != len(everything) - everything.null_count


def _strictly_rising(values: pyarrow.ChunkedArray) -> bool:
    if len(values) < 2:
        return True
    later = pyarrow_compute.greater(values.slice(1), values.slice(0, len(values) - 1))
    return bool(pyarrow_compute.all(later).as_py())


def _distinct(values: pyarrow.ChunkedArray) -> int:
    return int(pyarrow_compute.count_distinct(values, mode="only_valid").as_py())


def _key_codes(columns: list[pd.Series]) -> np.ndarray:
    """One integer per row, equal exactly when the key values are equal (-1 where a part is missing).

    ``pd.factorize`` of Arrow strings runs in Arrow (a dictionary encoding), without a Python object a value.
    """
    codes = np.zeros(len(columns[0]), dtype=np.int64)
    missing = np.zeros(len(columns[0]), dtype=bool)
    for series in columns:
        part, uniques = pd.factorize(series, use_na_sentinel=True)
        missing |= part < 0
        codes = codes * (len(uniques) + 1) + np.maximum(part, 0)
    codes[missing] = -1
    return codes


def _judge_batches(
    table: Table,
    name: str,
    file: str,
    batches: Iterator[RawTable],
    now: pd.Timestamp,
    problems: _Problems,
) -> _Judged:
    """Stages 2 and 3 for one table, batch by batch: malformed lines, parsing, future dates, the model, keys."""
    pii_in_file = None
    schema = _table_schema(table)
    key = list(table.key)
    kept: list[pd.DataFrame] = []
    condemned_keys: list[pd.DataFrame] = []  # the key, ROW, FILE_COLUMN and POSITION of rows rejected in their batch
    empty = _EmptyText()
    read = rejected = 0
    for raw in batches:
        if pii_in_file is None:
            # A malformed line is shown whole, so it is withheld when any of its cells may identify a person.
            pii_in_file = any(column in raw.header for column in table.pii_columns)
        for row, column, value, rule, *where in raw.problems:
            # An adapter may reject a line by a rule of its own (SSDA903 year rules): it then gives the code.
            code = where[1] if len(where) > 1 else "P00"
            shown = WITHHELD_ROW if pii_in_file and code == "P00" else value
            problems.note(name, where[0] if where else raw.file, row, column, shown, rule, code)
        malformed = len({(where[0] if where else raw.file, row) for row, _c, _v, _r, *where in raw.problems})
        read += len(raw.frame) + malformed
        rejected += malformed
        first_part = len(problems.parts)
        typed, unreadable = _parse(table, raw, problems)
        _future_dates(table, typed, now, problems)
        _apply_model(table, typed, problems, unreadable, schema)
        bad = np.isin(typed.index.to_numpy(), problems.positions(name, first_part))
        rejected += int(bad.sum())
        if all(k in typed.columns for k in key) and bad.any():
            condemned = typed.loc[bad, [*key, ROW, FILE_COLUMN]].copy(deep=False)
            condemned[POSITION] = condemned.index.to_numpy()
            condemned_keys.append(_arrow_strings(condemned))
        kept.append(_arrow_strings(typed[~bad].copy(deep=False), empty))
        del typed, raw
        _trim()
    frame = _concat(kept)
    del kept
    if all(k in frame.columns for k in key):
        frame, duplicates = _duplicates(table, name, frame, condemned_keys, problems)
        rejected += duplicates
    return _Judged(name, file, frame, read, rejected)


def _duplicates(
    table: Table, name: str, frame: pd.DataFrame, condemned: list[pd.DataFrame], problems: _Problems
) -> tuple[pd.DataFrame, int]:
    """Reject every row whose key an earlier row of the table had (the first is kept, even if rejected)."""
    key = list(table.key)
    if not _may_repeat([frame, *condemned], key):
        return frame, 0
    accepted_keys = frame[[*key, ROW, FILE_COLUMN]].copy()
    accepted_keys[POSITION] = frame.index.to_numpy()
    everything = _concat([accepted_keys, *condemned])
    order = np.argsort(everything[POSITION].to_numpy(), kind="stable")
    codes = _key_codes([everything[k] for k in key])[order]
    keyed = codes >= 0
    positions = everything[POSITION].to_numpy()[order]
    rows = everything[ROW].to_numpy()[order]
    _, first_of_code, inverse = np.unique(codes[keyed], return_index=True, return_inverse=True)
    keyed_positions = positions[keyed]
    first_position = keyed_positions[first_of_code][inverse]
    duplicate = keyed_positions != first_position
    duplicate_positions = keyed_positions[duplicate]
    if not len(duplicate_positions):
        return frame, 0
    first_rows = rows[keyed][first_of_code][inverse][duplicate]
    by_position = everything.set_index(POSITION, drop=False).loc[duplicate_positions]
    values = (
        by_position[key[0]].tolist()
        if len(key) == 1
        else list(zip(*(by_position[k].tolist() for k in key), strict=True))
    )
    problems.drop_after_keys(name, duplicate_positions)
    rules = pd.Series([f"duplicate key: first seen on row {row}" for row in first_rows], dtype=object)
    problems.add(
        name, by_position.set_index(POSITION, drop=False), duplicate_positions, "+".join(key), values, rules, "T08",
        pii=False,
    )  # fmt: skip
    in_frame = np.isin(frame.index.to_numpy(), duplicate_positions)
    # Rows already condemned in their batch were counted there; only the kept ones are newly rejected.
    return _take(frame, ~in_frame), int(in_frame.sum())


# --- the cross-table rules and the warnings -------------------------------------------------------------------


def _apply_cross_table_rules(accepted: dict[str, pd.DataFrame], problems: _Problems) -> dict[str, int]:
    """Reject rows that break a cross-table rule, in order; return the rows rejected per table."""
    rejected: dict[str, int] = {}
    for rule in CROSS_TABLE_RULES:
        if rule.severity != REJECT or not all(needed in accepted for needed in rule.needs):
            continue
        frame = accepted[rule.table]
        failing = rule.failing(accepted).reindex(frame.index).fillna(False).astype(bool).to_numpy()
        if not failing.any():
            continue
        _record_rule(rule.table, rule.code, rule.columns, rule.message, frame, failing, problems)
        accepted[rule.table] = _take(frame, ~failing)
        del frame
        rejected[rule.table] = rejected.get(rule.table, 0) + int(failing.sum())
    return rejected


def _record_rule(
    table: str,
    code: str,
    columns: tuple[str, ...],
    message: str,
    frame: pd.DataFrame,
    failing: np.ndarray,
    problems: _Problems,
) -> None:
    pii = set(TABLES[table].pii_columns)
    rows = frame[failing]  # by mask, not by label (see _Problems.add)
    indexes = rows.index
    parts = [rows[column].tolist() for column in columns]
    values = [
        " | ".join(_shown(value, column in pii) for value, column in zip(row, columns, strict=True))
        for row in zip(*parts, strict=True)
    ]
    problems.add(
        table, frame, indexes.to_numpy(), "+".join(columns), values, message, code, pii=False, shown=True, rows=rows
    )


def _warnings(accepted: dict[str, pd.DataFrame], data_end: pd.Timestamp) -> tuple[pd.DataFrame, dict[str, int]]:
    """Warnings on the accepted rows: the warning rules, then dates after the data end (W07)."""
    found = _Problems()
    for rule in CROSS_TABLE_RULES:
        if rule.severity != WARNING or not all(needed in accepted for needed in rule.needs):
            continue
        frame = accepted[rule.table]
        failing = rule.failing(accepted).reindex(frame.index).fillna(False).astype(bool).to_numpy()
        if failing.any():
            _record_rule(rule.table, rule.code, rule.columns, rule.message, frame, failing, found)
    for name, frame in accepted.items():
        table = TABLES[name]
        for column_name, column in table.columns.items():
            if column_name in frame.columns and _kind(column) == "date":
                late = (frame[column_name].notna() & (frame[column_name] > data_end)).to_numpy()
                if late.any():
                    rows = frame[late]
                    found.add(
                        name, frame, rows.index.to_numpy(), column_name, rows[column_name],
                        f"date is after the data end ({data_end:%Y-%m-%d})", DATA_END_RULE.code,
                        pii=column_name in table.pii_columns, rows=rows,
                    )  # fmt: skip
    return found.frame(), found.rows_per_table()


DATA_END_RULE = next(rule for rule in LOADER_RULES if rule.severity == WARNING)


# --- loading -----------------------------------------------------------------------------------------------------


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _raw_batches(raw: RawTable) -> Iterator[RawTable]:
    """A raw table held in memory (an adapter's) as one batch, indexed from 0 up."""
    frame = raw.frame.reset_index(drop=True)
    unusable = {name: series.reset_index(drop=True) for name, series in raw.unusable.items()}
    yield RawTable(raw.file, frame, raw.header, raw.problems, raw.notes, raw.native, raw.date_formats, unusable)


def load_data(
    data_dir: Path | str,
    *,
    today: date | None = None,
    extra_tables: dict[str, RawTable] | None = None,
    data_end: date | str | None = None,
) -> LoadResult:
    """Read and validate a data folder against the data contract.

    Parameters
    ----------
    data_dir : folder with one ``{table}.csv`` or ``{table}.parquet`` per table.
    today : the date after which a date is "in the future" (default: the real today).
    extra_tables : tables read by an adapter (for example SSDA903 files), used
        for tables the folder itself does not hold.
    data_end : the last date the data cover; a later date is a warning (default: the ``data_end`` setting,
        :class:`outcomes.config.Settings`).

    Returns
    -------
    LoadResult

    Raises
    ------
    StructuralError
        Listing every structural problem found (missing or empty table, missing column, unreadable or
        empty file, wrong encoding or delimiter).
    """
    with _bounded_memory():
        return _load(Path(data_dir), today=today, extra_tables=extra_tables, data_end=data_end)


def _load(
    data_dir: Path,
    *,
    today: date | None,
    extra_tables: dict[str, RawTable] | None,
    data_end: date | str | None,
) -> LoadResult:
    """:func:`load_data`, with memory given back after each batch."""
    extra_tables = extra_tables or {}
    # Structural problems are gathered across every file before any is reported, so all can be fixed at once.
    files, problems = _table_files(data_dir, set(extra_tables))
    now = pd.Timestamp(today or date.today())
    end = pd.Timestamp(data_end or Settings().data_end)

    readers: dict[str, TableReader | RawTable] = {}
    notes: list[str] = []
    for name in TABLES:
        if name in files:
            try:
                readers[name] = TableReader(files[name])
            except StructuralError as error:
                problems.append(str(error))
        elif name in extra_tables:
            readers[name] = extra_tables[name]
    for name, source in readers.items():
        table_problems, table_notes = _structure_problems(TABLES[name], source.file, source.header)
        problems += table_problems
        notes += table_notes
    if problems:
        raise StructuralError.many(problems)
    absent = [name for name in TABLES if name not in readers]

    found = _Problems()
    judged: dict[str, _Judged] = {}
    for name, source in readers.items():
        batches = source.batches() if isinstance(source, TableReader) else _raw_batches(source)
        try:
            judged[name] = _judge_batches(TABLES[name], name, source.file, batches, now, found)
        except StructuralError as error:  # a CSV broken off in a quoted value is found only when read
            problems.append(str(error))
            continue
        notes += [f"{source.file}: {note}" for note in source.notes]
        if TABLES[name].required and judged[name].read == 0:
            problems.append(
                f"{source.file}: the required table '{name}' has a header but no rows. "
                "Every row of the tables that refer to it would be rejected as referring to nothing: "
                "supply its rows."
            )
    if problems:
        raise StructuralError.many(problems)
    if absent:
        notes.append(f"optional table(s) not supplied: {', '.join(absent)}")

    accepted = {name: result.frame for name, result in judged.items()}
    for result in judged.values():
        result.frame = None  # type: ignore[assignment]  # the accepted frame alone holds the rows
    cross_rejected = _apply_cross_table_rules(accepted, found)
    warnings, warning_rows = _warnings(accepted, end)

    counts = {}
    for name, result in judged.items():
        rejected = result.rejected + cross_rejected.get(name, 0)
        counts[name] = TableCount(name, result.file, result.read, result.read - rejected, rejected)
    tables = {name: _accepted_table(name, accepted.pop(name)) for name in list(accepted)}
    hashes = {str(path.name): _file_hash(path) for path in files.values()}
    log.info("loaded %s: %d tables, %d rows rejected", data_dir, len(tables), sum(c.rejected for c in counts.values()))
    return LoadResult(data_dir, tables, found.frame(), counts, notes, hashes, warnings, warning_rows)


def _accepted_table(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Accepted rows with exactly the contract's columns, in its order, typed as it declares."""
    columns = {}
    for column_name, column in TABLES[name].columns.items():
        if column_name in frame.columns:
            columns[column_name] = frame.pop(column_name).array
        else:
            # Optional columns the file did not have are added empty, so every table has every column.
            kind = _kind(column)
            if kind == "date":
                columns[column_name] = pd.array(np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[ns]"))
            else:
                dtype = ARROW_STRING if kind == "string" else str(column.dtype)
                columns[column_name] = pd.array([pd.NA] * len(frame), dtype=dtype)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame)), copy=False)


def validate_file(
    path: Path | str, table: str | None = None, *, today: date | None = None, data_end: date | str | None = None
) -> LoadResult:
    """Read one table file and judge it by its own table's rules.

    The cross-table rules (a stay's child must be known, stays must not
    overlap, ...) need the other tables and are not applied: use
    :func:`load_data` for a whole folder.

    Parameters
    ----------
    path : a CSV or Parquet file.
    table : the contract table it holds (default: the file's name without suffix).
    today : the date after which a date is "in the future" (default: the real today).
    data_end : the last date the data cover (default: the ``data_end`` setting).

    Raises
    ------
    StructuralError
        If the file is not named after a table, cannot be read, or lacks a required column.
    """
    path = Path(path)
    name = table or path.stem
    if name not in TABLES:
        raise StructuralError(
            str(path), f"is not named after a table of the contract ('{name}')", f"Name it one of: {', '.join(TABLES)}."
        )
    reader = TableReader(path)
    problems, notes = _structure_problems(TABLES[name], reader.file, reader.header)
    if problems:
        raise StructuralError.many(problems)
    found = _Problems()
    result = _judge_batches(TABLES[name], name, reader.file, reader.batches(), pd.Timestamp(today or date.today()),
                               found)  # fmt: skip
    accepted = {name: result.frame}
    warnings, warning_rows = _warnings(accepted, pd.Timestamp(data_end or Settings().data_end))
    return LoadResult(
        path.parent,
        {name: _accepted_table(name, accepted[name])},
        found.frame(),
        {name: TableCount(name, result.file, result.read, result.read - result.rejected, result.rejected)},
        notes + [f"{reader.file}: {note}" for note in reader.notes],
        {path.name: _file_hash(path)},
        warnings,
        warning_rows,
    )
