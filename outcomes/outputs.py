"""Writing outputs that cannot mislead or leak: safe CSV cells, owner-only record-level files, no raw ids.

Every CSV the framework writes goes through :func:`write_csv`:

- a text cell that a spreadsheet would run as a formula (one starting ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading
  apostrophe, as OWASP recommends against CSV injection. A cell that is a plain
  number (``-3``, ``+1.5``, ``2e-3``) is not a formula and is left as it is, so
  numbers stay numbers;
- files are written with ``\\n`` line endings, so the same frame gives the
  same bytes on every platform.

Record-level outputs (the validation report with its rejects, the linked
tables, the leaver cohort, a generated synthetic cohort) are written readable
by the owner only: folders ``0o700``, files ``0o600``
(:func:`private_folder`, :func:`make_private`).

The rejects file names rows, not children: :func:`withhold_child_ids` removes
child ids (and whole malformed lines, which may hold one) before it is written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet treat a cell as a formula (OWASP, CSV injection)."""

PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

PRIVATE_FOLDER_MODE = 0o700
PRIVATE_FILE_MODE = 0o600

CHILD_ID_COLUMNS = frozenset({"child_id", "CHILD"})
"""Columns whose values are child ids: never shown in a rejects file."""
CHILD_ID_WITHHELD = "<child id withheld>"
LINE_WITHHELD = "<line withheld: it may hold a child id; see the file at this row>"


def neutralise_cell(value: object) -> object:
    """A cell made safe to open in a spreadsheet: text that would run as a formula gets a leading apostrophe."""
    if not isinstance(value, str) or not value or value[0] not in FORMULA_TRIGGERS:
        return value
    if PLAIN_NUMBER.match(value):
        return value
    return "'" + value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell neutralised (numeric columns are left alone)."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            out[column] = series.map(neutralise_cell, na_action="ignore")
    return out


def write_csv(frame: pd.DataFrame, path: Path, *, private: bool = False) -> Path:
    """Write ``frame`` as CSV with formula-like text neutralised; owner-only when ``private``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralise(frame).to_csv(path, index=False, lineterminator="\n")
    if private:
        make_private(path)
    return path


def private_folder(path: Path) -> Path:
    """Create ``path`` (and its parents) and make it readable by the owner only."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_FOLDER_MODE)
    return path


def make_private(path: Path) -> None:
    """Owner-only permissions on ``path``, and on everything below it if it is a folder."""
    path = Path(path)
    if path.is_dir():
        os.chmod(path, PRIVATE_FOLDER_MODE)
        for child in path.rglob("*"):
            os.chmod(child, PRIVATE_FOLDER_MODE if child.is_dir() else PRIVATE_FILE_MODE)
    elif path.exists():
        os.chmod(path, PRIVATE_FILE_MODE)


def withhold_child_ids(rejects: pd.DataFrame, child_columns: Iterable[str] = CHILD_ID_COLUMNS) -> pd.DataFrame:
    """The rejects with every child id withheld, so the file can be read by someone who may not see ids.

    A reject names its file, row, column and rule, which is enough to find the row. Its value is withheld
    where the column is a child id (a reference to an unknown child, a duplicated child, a malformed id);
    where a rule involves several columns (``child_id+admission_date``) only the child id part is
    withheld; a malformed line is shown whole by the loader, so it is withheld entirely.
    """
    child_columns = frozenset(child_columns)
    if rejects.empty:
        return rejects.copy()
    out = rejects.copy()
    values = []
    for column, value, code in zip(out["column"].astype(str), out["value"], out["code"].astype(str), strict=True):
        parts = column.split("+") if column else [""]
        if code == "P00" and not column:
            already = isinstance(value, str) and value.startswith("<") and value.endswith(">")
            values.append(value if already else LINE_WITHHELD)
        elif len(parts) == 1:
            values.append(CHILD_ID_WITHHELD if parts[0] in child_columns else value)
        else:
            pieces = str(value).split(" | ")
            if len(pieces) == len(parts):
                pieces = [
                    CHILD_ID_WITHHELD if part in child_columns else piece
                    for part, piece in zip(parts, pieces, strict=True)
                ]
                values.append(" | ".join(pieces))
            else:
                values.append(CHILD_ID_WITHHELD if child_columns & set(parts) else value)
    out["value"] = values
    return out
