"""Loading a data folder and validating it against the data contract.

``load_data(data_dir)`` reads one CSV or Parquet file per table, named after
the table (``stays.csv`` or ``stays.parquet``), and judges every row in one
pass, in four stages:

1. **Structure.** Every required table is there, readable, UTF-8, comma
   separated, with every required column. A structural problem stops the run
   with :class:`~outcomes.errors.StructuralError` (exit code 2) naming every
   such problem at once, before any row is judged.
2. **Parsing.** Each cell is parsed into the type the contract declares.
3. **Table rules.** Keys are unique (the first row with a key is kept), then
   the pandera model of each table checks codes, ranges and row rules.
4. **Cross-table rules** (:mod:`outcomes.contract.rules`), in order, so a row
   that refers to a rejected row is rejected too.

A rejected row is never dropped silently: it is listed in ``rejects`` (file,
row, column, value, rule) and counted, and for every table
``read == accepted + rejected``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from outcomes.contract.rules import CROSS_TABLE_RULES
from outcomes.contract.tables import TABLES, Table
from outcomes.errors import StructuralError
from outcomes.reading import FILE_COLUMN, MAX_FIELD_CHARACTERS, ROW, RawTable, long_cells, parse_column, read_cells

log = logging.getLogger(__name__)

REJECT_COLUMNS = ["file", "row", "column", "value", "rule", "code"]
MAX_VALUE_SHOWN = 200
SUFFIXES = (".csv", ".parquet")


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
    tables : accepted rows of every table found, typed as the contract declares.
    rejects : one row per problem: file, row, column, value, rule, code.
    counts : rows read, accepted and rejected per table.
    notes : things worth knowing that are not rejections (blank lines, extra columns, optional tables absent).
    input_hashes : SHA-256 of every file read, for the run record.
    """

    data_dir: Path
    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    counts: dict[str, TableCount]
    notes: list[str] = field(default_factory=list)
    input_hashes: dict[str, str] = field(default_factory=dict)

    @property
    def rejected_rows(self) -> int:
        return sum(count.rejected for count in self.counts.values())

    def counts_frame(self) -> pd.DataFrame:
        return pd.DataFrame([vars(count) for count in self.counts.values()])


class _Rejects:
    """Collects problems and the rows they condemn, table by table."""

    def __init__(self) -> None:
        self.problems: list[dict[str, object]] = []
        self.rows: dict[str, set[object]] = {}  # table -> frame index of each condemned row

    def add(
        self,
        table: str,
        frame: pd.DataFrame,
        index: object,
        column: str,
        value: object,
        rule: str,
        code: str,
        *,
        pii: bool,
    ) -> None:
        """Record a problem with the row at ``index`` of ``frame`` (which carries ROW and FILE_COLUMN)."""
        self.note(frame.at[index, FILE_COLUMN], frame.at[index, ROW], column, value, rule, code, pii=pii)
        self.rows.setdefault(table, set()).add(index)

    def note(self, file: str, row: int, column: str, value: object, rule: str, code: str, *, pii: bool) -> None:
        """Record a problem with a row that never became part of a frame (a malformed CSV line)."""
        self.problems.append(
            {
                "file": str(file),
                "row": int(row),
                "column": column,
                "value": _shown(value, pii),
                "rule": rule,
                "code": code,
            }
        )

    def condemned(self, table: str, frame: pd.DataFrame) -> pd.Series:
        return pd.Series(frame.index.isin(list(self.rows.get(table, set()))), index=frame.index)

    def frame(self) -> pd.DataFrame:
        if not self.problems:
            return pd.DataFrame(columns=REJECT_COLUMNS)
        frame = pd.DataFrame(self.problems, columns=REJECT_COLUMNS)
        return frame.sort_values(["file", "row", "code", "column"], kind="stable").reset_index(drop=True)


def _shown(value: object, pii: bool) -> str:
    """A cell as the rejects file shows it: identifiers are never written out, long cells are cut."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if pii:
        return "<identifier withheld>"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, tuple):  # a composite key
        return " | ".join(_shown(part, pii) for part in value)
    text = str(value)
    if len(text) > MAX_VALUE_SHOWN:
        return f"{text[:MAX_VALUE_SHOWN]}... ({len(text):,} characters)"
    return text


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


def _table_files(data_dir: Path, supplied: set[str]) -> tuple[dict[str, Path], list[str]]:
    """The file of each table present, and the problems (a table in two files, a required table absent)."""
    if not data_dir.is_dir():
        raise StructuralError(str(data_dir), "is not a folder", "Give the folder holding one file per table.")
    found: dict[str, Path] = {}
    problems: list[str] = []
    for name, table in TABLES.items():
        candidates = [data_dir / f"{name}{suffix}" for suffix in SUFFIXES if (data_dir / f"{name}{suffix}").is_file()]
        if len(candidates) > 1:
            problems.append(f"{data_dir}: both {candidates[0].name} and {candidates[1].name} exist. Keep one of them.")
        elif candidates:
            found[name] = candidates[0]
        elif table.required and name not in supplied:
            problems.append(
                f"{data_dir / (name + '.csv')}: required table '{name}' is missing. "
                f"Add {name}.csv or {name}.parquet (see the data dictionary: `outcomes dictionary`)."
            )
    return found, problems


def _kind(column: pa.Column) -> str:
    dtype = str(column.dtype)
    if dtype.startswith("datetime"):
        return "date"
    return {"boolean": "boolean", "Int64": "integer", "Float64": "number"}.get(dtype, "string")


def _date_format(column: pa.Column) -> str:
    return "%Y-%m" if (column.metadata or {}).get("format") == "YYYY-MM" else "%Y-%m-%d"


def _structure_problems(table: Table, raw: RawTable) -> tuple[list[str], list[str]]:
    missing = [name for name in table.required_columns if name not in raw.header]
    extra = [name for name in raw.header if name not in table.columns]
    problems = []
    if missing:
        problems.append(
            f"{raw.file}: required column(s) missing: {', '.join(missing)}. "
            f"The table '{table.name}' needs: {', '.join(table.required_columns)}."
        )
    notes = [f"{raw.file}: column(s) not in the contract ignored: {', '.join(extra)}"] if extra else []
    return problems, notes


def _parse(table: Table, raw: RawTable, rejects: _Rejects) -> tuple[pd.DataFrame, set[tuple[object, str]]]:
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
    for index, column in long_cells(frame, text_columns):
        unreadable.add((index, column))
        rejects.add(
            table.name,
            frame,
            index,
            column,
            frame.at[index, column],
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
        for index in failed.index[failed.to_numpy()]:
            unreadable.add((index, name))
            rejects.add(table.name, frame, index, name, frame.at[index, name], rule, "P02", pii=name in pii)
        typed[name] = values
    return typed, unreadable


def _friendly(check: str, column: str, table: Table) -> tuple[str, str]:
    """A rule in words, and its code, from a pandera check description."""
    codes = (table.columns[column].metadata or {}).get("codes") if column in table.columns else None
    if check.startswith("isin("):
        return f"not a valid code: must be one of the {codes or 'listed'} codes (see the data dictionary)", "T01"
    if check == "not_nullable":
        return "a value is required", "T02"
    if check.startswith("greater_than_or_equal_to(") and "00:00:00" in check:
        return "date is before 1990-01-01", "T03"
    if check.startswith(("greater_than_or_equal_to(", "less_than_or_equal_to(", "in_range(")):
        bound = re.sub(r"^\w+\((.*)\)$", r"\1", check)
        return f"out of range ({check.split('(')[0].replace('_', ' ')} {bound})", "T04"
    if check.startswith("str_matches("):
        return f"does not have the required form ({check[len('str_matches(') : -1]})", "T05"
    if check.startswith("str_length("):
        return "must be 1 to 64 characters", "T06"
    return check, "T07"


def _apply_table_rules(
    table: Table, typed: pd.DataFrame, rejects: _Rejects, unreadable: set[tuple[object, str]]
) -> None:
    """Duplicate keys, then the pandera model, on every row but the duplicates.

    A row with a cell that could not be parsed is still judged on its other cells, so one pass
    reports every problem of the row.
    """
    pii = set(table.pii_columns)
    key = list(table.key)
    duplicates: list[object] = []
    if all(k in typed.columns for k in key):
        keyed = typed[key].notna().all(axis=1)
        duplicated = keyed & typed.duplicated(subset=key, keep="first")
        first_rows = typed[keyed].drop_duplicates(subset=key, keep="first").set_index(key)[ROW]
        for index in typed.index[duplicated.to_numpy()]:
            duplicates.append(index)
            value = typed.at[index, key[0]] if len(key) == 1 else tuple(typed.loc[index, key])
            rejects.add(
                table.name,
                typed,
                index,
                "+".join(key),
                value,
                f"duplicate key: first seen on row {first_rows.loc[value]}",
                "T08",
                pii=False,
            )
    candidates = typed.drop(columns=[ROW, FILE_COLUMN])
    candidates = candidates[~typed.index.isin(duplicates)]
    # Uniqueness of the key was judged above (keeping the first row), so pandera need not flag every copy.
    # Any other unique column is still checked by pandera.
    schema = table.schema.update_columns({key[0]: {"unique": False}}) if len(key) == 1 else table.schema
    try:
        schema.validate(candidates, lazy=True)
    except pa.errors.SchemaErrors as errors:
        _record_schema_failures(table, typed, errors.failure_cases, rejects, pii, unreadable)


def _record_schema_failures(
    table: Table,
    typed: pd.DataFrame,
    failures: pd.DataFrame,
    rejects: _Rejects,
    pii: set[str],
    unreadable: set[tuple[object, str]],
) -> None:
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
    for context, group in failures.groupby("schema_context", sort=False):
        if context == "DataFrameSchema":  # a row rule: one reject per row, naming the columns it involves
            for (index, check), _ in group.groupby(["index", "check"], sort=False):
                involved = [
                    name for name in table.columns if name in typed.columns and re.search(rf"\b{name}\b", str(check))
                ]
                if any((index, name) in unreadable for name in involved):
                    continue  # judged on a cell already rejected as unreadable
                value = " | ".join(_shown(typed.at[index, name], name in pii) for name in involved)
                rejects.add(table.name, typed, index, "+".join(involved), value, str(check), "T09", pii=False)
        else:
            for _, failure in group.iterrows():
                column, index = str(failure["column"]), failure["index"]
                if (index, column) in unreadable:
                    continue
                rule, code = _friendly(str(failure["check"]), column, table)
                value = typed.at[index, column] if column in typed.columns else failure["failure_case"]
                rejects.add(table.name, typed, index, column, value, rule, code, pii=column in pii)


def _future_dates(table: Table, typed: pd.DataFrame, today: pd.Timestamp, rejects: _Rejects) -> None:
    pii = set(table.pii_columns)
    for name, column in table.columns.items():
        if name in typed.columns and _kind(column) == "date":
            future = typed[name].notna() & (typed[name] > today)
            for index in typed.index[future.to_numpy()]:
                rejects.add(
                    table.name,
                    typed,
                    index,
                    name,
                    typed.at[index, name],
                    f"date is in the future (after {today:%Y-%m-%d})",
                    "T10",
                    pii=name in pii,
                )


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_data(
    data_dir: Path | str, *, today: date | None = None, extra_tables: dict[str, RawTable] | None = None
) -> LoadResult:
    """Read and validate a data folder against the data contract.

    Parameters
    ----------
    data_dir : folder with one ``{table}.csv`` or ``{table}.parquet`` per table.
    today : the date after which a date is "in the future" (default: the real today).
    extra_tables : tables read by an adapter (for example SSDA903 files), used
        for tables the folder itself does not hold.

    Returns
    -------
    LoadResult

    Raises
    ------
    StructuralError
        Listing every structural problem found (missing table or column,
        unreadable or empty file, wrong encoding or delimiter).
    """
    data_dir = Path(data_dir)
    extra_tables = extra_tables or {}
    # Structural problems are gathered across every file before any is reported, so all can be fixed at once.
    files, problems = _table_files(data_dir, set(extra_tables))
    now = pd.Timestamp(today or date.today())

    raw_tables: dict[str, RawTable] = {}
    notes: list[str] = []
    for name in TABLES:
        if name in files:
            try:
                raw_tables[name] = read_cells(files[name])
            except StructuralError as error:
                problems.append(str(error))
        elif name in extra_tables:
            raw_tables[name] = extra_tables[name]
    for name, raw in raw_tables.items():
        table_problems, table_notes = _structure_problems(TABLES[name], raw)
        problems += table_problems
        notes += table_notes + [f"{raw.file}: {note}" for note in raw.notes]
    if problems:
        raise StructuralError.many(problems)
    absent = [name for name in TABLES if name not in raw_tables]
    if absent:
        notes.append(f"optional table(s) not supplied: {', '.join(absent)}")

    rejects = _Rejects()
    typed_tables = {name: _judge_table(TABLES[name], raw, now, rejects) for name, raw in raw_tables.items()}

    accepted = {name: frame[~rejects.condemned(name, frame)] for name, frame in typed_tables.items()}
    for rule in CROSS_TABLE_RULES:
        if not all(needed in accepted for needed in rule.needs):
            continue
        frame = accepted[rule.table]
        failing = rule.failing(accepted).reindex(frame.index).fillna(False).astype(bool)
        pii = set(TABLES[rule.table].pii_columns)
        for index in frame.index[failing.to_numpy()]:
            value = " | ".join(_shown(frame.at[index, c], c in pii) for c in rule.columns)
            rejects.add(
                rule.table,
                frame,
                index,
                "+".join(rule.columns),
                value,
                rule.message,
                rule.code,
                pii=False,
            )
        accepted[rule.table] = frame[~failing]

    counts = {name: _count(name, raw, rejects) for name, raw in raw_tables.items()}
    tables = {name: _accepted_table(name, frame) for name, frame in accepted.items()}
    hashes = {str(path.name): _file_hash(path) for path in files.values()}
    log.info("loaded %s: %d tables, %d rows rejected", data_dir, len(tables), sum(c.rejected for c in counts.values()))
    return LoadResult(data_dir, tables, rejects.frame(), counts, notes, hashes)


WITHHELD_ROW = "<row withheld: the file holds identifiers>"


def _judge_table(table: Table, raw: RawTable, now: pd.Timestamp, rejects: _Rejects) -> pd.DataFrame:
    """Stages 2 and 3 for one table: malformed lines, parsing, future dates, keys and the pandera model.

    Returns the typed frame of every well-formed row; the condemned ones are in ``rejects``.
    """
    # A malformed line is shown whole, so it is withheld when any of its cells may identify a person.
    withhold = any(name in raw.header for name in table.pii_columns)
    for row, column, value, rule, *where in raw.problems:
        file = where[0] if where else raw.file
        # An adapter may reject a line by a rule of its own (SSDA903 year rules): it then gives the code.
        code = where[1] if len(where) > 1 else "P00"
        shown = WITHHELD_ROW if withhold and code == "P00" else value
        rejects.note(file, row, column, shown, rule, code, pii=False)
    typed, unreadable = _parse(table, raw, rejects)
    _future_dates(table, typed, now, rejects)
    _apply_table_rules(table, typed, rejects, unreadable)
    return typed


def _count(name: str, raw: RawTable, rejects: _Rejects) -> TableCount:
    # Malformed lines never became rows of the frame; a line is one row however many problems it has.
    malformed = len({(where[0] if where else raw.file, row) for row, _c, _v, _r, *where in raw.problems})
    rejected = len(rejects.rows.get(name, set())) + malformed
    read = len(raw.frame) + malformed
    return TableCount(name, raw.file, read, read - rejected, rejected)


def _accepted_table(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Accepted rows with exactly the contract's columns, in its order, typed as it declares."""
    frame = frame.drop(columns=[ROW, FILE_COLUMN]).reset_index(drop=True)
    # Optional columns the file did not have are added empty, so every table has every column.
    for column_name, column in TABLES[name].columns.items():
        if column_name not in frame.columns:
            dtype = "datetime64[ns]" if _kind(column) == "date" else str(column.dtype)
            frame[column_name] = pd.Series(
                pd.NA if dtype != "datetime64[ns]" else pd.NaT, index=frame.index, dtype=dtype
            )
    return frame[list(TABLES[name].columns)]


def validate_file(path: Path | str, table: str | None = None, *, today: date | None = None) -> LoadResult:
    """Read one table file and judge it by its own table's rules.

    The cross-table rules (a stay's child must be known, stays must not
    overlap, ...) need the other tables and are not applied: use
    :func:`load_data` for a whole folder.

    Parameters
    ----------
    path : a CSV or Parquet file.
    table : the contract table it holds (default: the file's name without suffix).
    today : the date after which a date is "in the future" (default: the real today).

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
    raw = read_cells(path)
    problems, notes = _structure_problems(TABLES[name], raw)
    if problems:
        raise StructuralError.many(problems)
    rejects = _Rejects()
    typed = _judge_table(TABLES[name], raw, pd.Timestamp(today or date.today()), rejects)
    accepted = typed[~rejects.condemned(name, typed)]
    return LoadResult(
        path.parent,
        {name: _accepted_table(name, accepted)},
        rejects.frame(),
        {name: _count(name, raw, rejects)},
        notes + [f"{raw.file}: {note}" for note in raw.notes],
        {path.name: _file_hash(path)},
    )


def find_table_files_allowing(data_dir: Path, supplied: set[str]) -> dict[str, Path]:
    """Like :func:`find_table_files`, but tables an adapter supplies need no file."""
    found, problems = _table_files(data_dir, supplied)
    if problems:
        raise StructuralError.many(problems)
    return found
