"""A corpus of malformed inputs: each gives the right message and exit code, and no row goes uncounted.

Every case runs ``outcomes validate`` in-process (``outcomes.cli.main``) on a folder holding the four
required tables (plus whatever the case adds or breaks). Exit 0: nothing rejected; 1: rows rejected;
2: a structural problem, reported as one message naming the file and the fix.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from contract_fixtures import ROWS, VALID_FILES, csv_text, read_rows, write_valid_folder

from outcomes.cli import main
from outcomes.contract.tables import TABLES

REQUIRED = {name: text for name, text in VALID_FILES.items() if TABLES[name].required}
COUNT_LINE = re.compile(r"^(\w+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)$")


@dataclass(frozen=True)
class Malformed:
    name: str
    build: Callable[[Path], None]  # writes the case's files into a folder already holding REQUIRED
    exit_code: int
    message: str  # fragment of the output (stdout and stderr)
    rejected: dict[str, int] | None = None  # rows rejected per table, where the case says
    reject_rule: str = ""  # fragment of a rule in the rejects file


def _write(table: str, text: str | bytes, suffix: str = ".csv") -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        path = folder / f"{table}{suffix}"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))

    return build


def _remove(table: str) -> Callable[[Path], None]:
    return lambda folder: (folder / f"{table}.csv").unlink()


def _both(*builds: Callable[[Path], None]) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        for step in builds:
            step(folder)

    return build


def _edited(table: str, row: int, **cells: str) -> str:
    header, rows = read_rows(table)
    rows[row] |= cells
    return csv_text(header, rows)


def _parquet(table: str) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
        frame.to_parquet(folder / f"{table}.parquet", index=False)

    return build


def _move_to_parquet(table: str) -> Callable[[Path], None]:
    return _both(_parquet(table), _remove(table))


def _parquet_with_dates(table: str, column: str, when: datetime, row: int = 0) -> Callable[[Path], None]:
    """The table as Parquet with ``column`` a timestamp column (microseconds, the unit that reaches year 9999)."""

    def build(folder: Path) -> None:
        header, rows = read_rows(table)
        arrays = []
        for name in header:
            if name == column:
                values = [when if number == row else datetime.fromisoformat(r[name]) for number, r in enumerate(rows)]
                arrays.append(pa.array(values, type=pa.timestamp("us")))
            else:
                arrays.append(pa.array([r[name] for r in rows], type=pa.string()))
        pq.write_table(pa.Table.from_arrays(arrays, names=header), folder / f"{table}.parquet")
        (folder / f"{table}.csv").unlink(missing_ok=True)

    return build


def _parquet_duplicate_column(table: str, column: str) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        header, rows = read_rows(table)
        arrays = [pa.array([r[name] for r in rows], type=pa.string()) for name in [*header, column]]
        pq.write_table(pa.Table.from_arrays(arrays, names=[*header, column]), folder / f"{table}.parquet")
        (folder / f"{table}.csv").unlink()

    return build


def _folder_for(name: str) -> Callable[[Path], None]:
    """A folder where the table's file should be (an unzipped download, say)."""

    def build(folder: Path) -> None:
        path = folder / name
        if path.exists():
            path.unlink()
        path.mkdir()
        (path / "part-0.csv").write_text(HOMES, encoding="utf-8")

    return build


def _gzipped(table: str) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        path = folder / f"{table}.csv"
        path.write_bytes(gzip.compress(path.read_bytes(), mtime=0))

    return build


STAYS = VALID_FILES["stays"]
HOMES = VALID_FILES["homes"]
CHILDREN = VALID_FILES["children"]
IDENTIFIERS = VALID_FILES["identifiers"]

CORPUS: list[Malformed] = [
    Malformed("truncated mid-row", _write("stays", STAYS[: STAYS.rindex(",2020-05-10") + 11]), 1,
              "1 row(s) rejected", {"stays": 1}, "(the file may be truncated)"),
    Malformed("truncated mid-quote", _write("homes", HOMES + 'SC000003,"Cedar Cou'), 2, "unclosed quote"),
    Malformed("semicolon delimiter", _write("children", CHILDREN.replace(",", ";")), 2,
              "children.csv: has its columns separated by semicolons, not commas"),
    Malformed("tab delimiter", _write("children", CHILDREN.replace(",", "\t")), 2, "separated by tabs"),
    Malformed("byte-order mark", _write("children", "\ufeff" + CHILDREN), 0, "all rows accepted"),
    Malformed("Latin-1 text", _write("homes", HOMES.replace("Aspen House", "Aspen Maison Élan").encode("latin-1")),
              2, "homes.csv: is not UTF-8 text: byte 0xc9 on line 2"),
    Malformed("blank lines", _write("homes", HOMES.replace("\n", "\n\n", 2) + "\n   \n"), 0,
              "homes.csv: 4 blank line(s) ignored"),
    Malformed("duplicate ids", _write("homes", HOMES + "SC000001,Copy House,mixed,E12000001\n"), 1,
              "1 row(s) rejected", {"homes": 1}, "duplicate key: first seen on row 2"),
    Malformed("dates dd/mm/yyyy", _write("stays", _edited("stays", 1, admission_date="10/05/2020")), 1,
              "1 row(s) rejected", {"stays": 1}, "date must be written YYYY-MM-DD"),
    Malformed("unknown codes", _write("children", _edited("children", 2, ethnicity="WXYZ")), 1,
              "row(s) rejected", {"children": 1, "referrals": 1}, "not a valid code"),
    Malformed("future date", _write("stays", _edited("stays", 1, discharge_date="2031-01-01")), 1,
              "1 row(s) rejected", {"stays": 1}, "date is in the future"),
    Malformed("negative duration", _write("stays", _edited("stays", 1, discharge_date="2020-05-09")), 1,
              "1 row(s) rejected", {"stays": 1}, "discharge_date must be on or after admission_date"),
    Malformed("missing column", _write("children", CHILDREN.replace(",ethnicity", "").replace(",WBRI", "")
              .replace(",BCRB", "").replace(",MWBC", "")), 2, "required column(s) missing: ethnicity"),
    Malformed("extra column", _write("homes", HOMES.replace("region\n", "region,notes\n").replace("2\n", "2,x\n")
              .replace("8\n", "8,y\n")), 0, "column(s) not in the contract ignored: notes"),
    Malformed("missing required table", _remove("homes"), 2,
              "required table 'homes' is missing. Add homes.csv or homes.parquet"),
    Malformed("empty file", _write("homes", b""), 2, "homes.csv: is empty. A table file needs at least a header"),
    Malformed("header-only file", _write("incidents", "incident_id,stay_id,incident_date,incident_type\n"), 0,
              "all rows accepted", {"incidents": 0}),
    Malformed("1 MB field", _write("homes", HOMES + f"SC000003,{'N' * 1_000_000},mixed,E12000001\n"), 1,
              "1 row(s) rejected", {"homes": 1}, "value longer than 1,000 characters"),
    Malformed("referral for an unknown child", _write("referrals", _edited("referrals", 3, child_id="C404")), 1,
              "1 row(s) rejected", {"referrals": 1}, "child_id must refer to a row of children"),
    Malformed("both stays.csv and stays.parquet", _parquet("stays"), 2,
              "both stays.csv and stays.parquet exist. Keep one of them"),
    Malformed("damaged Parquet", _both(_remove("homes"), _write("homes", b"PAR1\x00\x01garbage", ".parquet")), 2,
              "homes.parquet: cannot be read as Parquet"),
    Malformed("Parquet table", _move_to_parquet("stays"), 0, "all rows accepted", {"stays": 0}),
    Malformed("Windows line endings", _write("stays", STAYS.replace("\n", "\r\n")), 0, "all rows accepted"),
    Malformed("too many fields", _write("homes", HOMES + "SC000003,Cedar Court,mixed,E12000001,extra\n"), 1,
              "1 row(s) rejected", {"homes": 1}, "row has 5 fields but the header has 4"),
    Malformed("unclosed quote mid-file", _write("homes", HOMES.replace("Birch Lodge", '"Birch Lodge') +
              "SC000003,Cedar,mixed,E12000001\n"), 2, "homes.csv: is not valid CSV"),
    Malformed("identifiers withheld", _write("identifiers", _edited("identifiers", 1, sex="X") +
              "C003,Cara,Brown\n"), 1, "2 row(s) rejected", {"identifiers": 2}, "not a valid code"),
    Malformed("a column named twice", _write("homes", HOMES.replace("region\n", "region,name\n")
              .replace("2\n", "2,a\n").replace("8\n", "8,b\n")), 2, "names a column twice: name"),
    Malformed("a stay for an unknown home", _write("stays", _edited("stays", 0, urn="SC123456")), 1,
              "1 row(s) rejected", {"stays": 1}, "urn must refer to a row of homes"),
    Malformed("several structural problems at once", _both(_remove("homes"), _write("stays", b"")), 2,
              "2 structural problems"),
    # Parquet dates pandas cannot hold: a reject of the cell (the date of birth withheld), not a traceback.
    Malformed("Parquet date of birth in year 9999", _parquet_with_dates("identifiers", "date_of_birth",
              datetime(9999, 12, 31)), 1, "1 row(s) rejected", {"identifiers": 1},
              "date is outside the range that can be held (1677-09-22 to 2262-04-11)"),
    Malformed("Parquet admission in year 203", _parquet_with_dates("stays", "admission_date", datetime(203, 5, 10),
              row=1), 1, "1 row(s) rejected", {"stays": 1}, "date is outside the range that can be held"),
    Malformed("a folder named like a required table", _both(_remove("homes"), _folder_for("homes.csv")), 2,
              "homes.csv: is a folder, not a file. The table 'homes' must be one file"),
    Malformed("a folder named like an optional table", _folder_for("incidents.parquet"), 2,
              "incidents.parquet: is a folder, not a file"),
    Malformed("gzip file named .csv", _gzipped("homes"), 2,
              "homes.csv: is gzip-compressed, not CSV text. Decompress it"),
    Malformed("upper-case headers", _write("children", CHILDREN.replace("child_id,sex", "CHILD_ID,Sex")), 2,
              "column names are case-sensitive, and these differ from the contract only in case: "
              "CHILD_ID (meant child_id), Sex (meant sex)"),
    Malformed("header-only required table", _write("children", CHILDREN.splitlines()[0] + "\n"), 2,
              "children.csv: the required table 'children' has a header but no rows"),
    Malformed("31 February", _write("stays", _edited("stays", 1, admission_date="2020-02-31")), 1,
              "1 row(s) rejected", {"stays": 1}, "date does not exist"),
    Malformed("month 13", _write("referrals", _edited("referrals", 2, referral_date="2020-13-01")), 1,
              "1 row(s) rejected", {"referrals": 1}, "date does not exist"),
    # A one-digit month or day is read (the data dictionary says so): the date is unambiguous.
    Malformed("one-digit month and day", _write("stays", _edited("stays", 1, admission_date="2020-5-10")), 0,
              "all rows accepted", {"stays": 0}),
    Malformed("Parquet with a column named twice", _parquet_duplicate_column("homes", "region"), 2,
              "homes.parquet: names a column twice: region. Remove the repeated column"),
]  # fmt: skip


def _run(folder: Path, rejects: Path, capsys) -> tuple[int, str]:
    code = main(["validate", str(folder), "--rejects", str(rejects), "--today", "2024-01-01"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 20
    assert len({case.name for case in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.name)
def test_malformed_input(case: Malformed, tmp_path: Path, capsys):
    folder = write_valid_folder(tmp_path / "data", REQUIRED)
    case.build(folder)
    rejects_file = tmp_path / "rejects.csv"
    code, output = _run(folder, rejects_file, capsys)
    assert code == case.exit_code, output
    assert case.message in output, output
    assert "Traceback" not in output
    if code == 2:
        assert output.startswith("error: ") and str(folder) in output
        return
    counts = {
        match[1]: tuple(int(n.replace(",", "")) for n in match.groups()[1:])
        for line in output.splitlines()
        if (match := COUNT_LINE.match(line))
    }
    total = counts.pop("total")
    for table, (read, accepted, rejected) in counts.items():
        assert read == accepted + rejected, table
        # Every data line of the file is read: nothing is lost before it can be judged.
        path = folder / f"{table}.csv"
        lines = path.read_text(encoding="utf-8-sig").splitlines()[1:] if path.is_file() else None
        assert read == (sum(1 for line in lines if line.strip()) if lines is not None else ROWS[table]), table
    assert total == tuple(sum(column) for column in zip(*counts.values(), strict=True))
    rejects = pd.read_csv(rejects_file, dtype=str, keep_default_na=False)
    # A row is counted once however many rules it broke.
    assert total[2] == len(rejects[["file", "row"]].drop_duplicates())
    assert (code == 1) == (total[2] > 0)
    for table, rejected in (case.rejected or {}).items():
        assert counts[table][2] == rejected, table
    if case.reject_rule:
        assert rejects["rule"].str.contains(case.reject_rule, regex=False).any(), rejects.to_string()


def test_identifiers_are_never_written_to_the_rejects_file(tmp_path: Path, capsys):
    folder = write_valid_folder(tmp_path / "data", REQUIRED)
    bad = _edited("identifiers", 1, sex="X", postcode="Z" * 2_000, date_of_birth="03/09/2005")
    (folder / "identifiers.csv").write_text(bad + "C003,Cara,Brown\n", encoding="utf-8")
    rejects_file = tmp_path / "rejects.csv"
    code, _ = _run(folder, rejects_file, capsys)
    assert code == 1
    text = rejects_file.read_text(encoding="utf-8")
    for identifier in ("Ben", "Jones", "2005", "M1 2CD", "ZZZ", "Cara", "Brown", "Amy", "Smith", "LS1"):
        assert identifier not in text, identifier
    rejects = pd.read_csv(rejects_file, dtype=str, keep_default_na=False)
    assert set(rejects["column"]) == {"sex", "postcode", "date_of_birth", ""}
    assert set(rejects["value"]) == {"<identifier withheld>", "<row withheld: the file holds identifiers>"}


def test_truncated_file_names_its_last_line(tmp_path: Path, capsys):
    folder = write_valid_folder(tmp_path / "data", REQUIRED)
    (folder / "stays.csv").write_text(STAYS[:-30], encoding="utf-8")
    rejects_file = tmp_path / "rejects.csv"
    assert _run(folder, rejects_file, capsys)[0] == 1
    rejects = pd.read_csv(rejects_file, dtype=str, keep_default_na=False)
    assert list(rejects["row"]) == ["3"] and rejects["file"].iloc[0] == str(folder / "stays.csv")
    assert rejects["rule"].iloc[0].endswith("(the file may be truncated)")


def test_blank_lines_do_not_shift_line_numbers(tmp_path: Path, capsys):
    """Line numbers count blank lines, so a reject points at the line an editor shows."""
    folder = write_valid_folder(tmp_path / "data", REQUIRED)
    (folder / "homes.csv").write_text(HOMES.replace("\nSC000002", "\n\n\nSC000002").replace("mixed", "castle"))
    rejects_file = tmp_path / "rejects.csv"
    assert _run(folder, rejects_file, capsys)[0] == 1
    rejects = pd.read_csv(rejects_file, dtype=str, keep_default_na=False)
    homes = rejects[rejects["file"].str.endswith("homes.csv")]
    assert list(homes["row"]) == ["5"] and homes["value"].iloc[0] == "castle"


def test_an_out_of_range_date_of_birth_is_never_shown(tmp_path: Path, capsys):
    """pyarrow's own error names the value; the loader withholds it everywhere."""
    folder = write_valid_folder(tmp_path / "data", REQUIRED)
    _parquet_with_dates("identifiers", "date_of_birth", datetime(9999, 12, 31))(folder)
    rejects_file = tmp_path / "rejects.csv"
    code, output = _run(folder, rejects_file, capsys)
    assert code == 1
    for shown in (output, rejects_file.read_text(encoding="utf-8")):
        assert "9999" not in shown and "Traceback" not in shown
    rejects = pd.read_csv(rejects_file, dtype=str, keep_default_na=False)
    assert list(rejects[["row", "column", "value", "code"]].itertuples(index=False, name=None)) == [
        ("1", "date_of_birth", "<identifier withheld>", "P02")
    ]


def test_an_out_of_range_date_that_is_not_an_identifier_is_shown(tmp_path: Path, capsys):
    folder = write_valid_folder(tmp_path / "data", REQUIRED)
    _parquet_with_dates("stays", "admission_date", datetime(203, 5, 10), row=1)(folder)
    rejects_file = tmp_path / "rejects.csv"
    assert _run(folder, rejects_file, capsys)[0] == 1
    rejects = pd.read_csv(rejects_file, dtype=str, keep_default_na=False)
    assert list(rejects[["row", "column", "value"]].itertuples(index=False, name=None)) == [
        ("2", "admission_date", "0203-05-10")
    ]


def test_impossible_and_misformed_dates_get_different_messages(tmp_path: Path, capsys):
    folder = write_valid_folder(tmp_path / "data", REQUIRED)
    header, rows = read_rows("stays")
    rows[0]["discharge_date"] = "2020-06-31"
    rows[1]["discharge_date"] = "01/08/2020"
    (folder / "stays.csv").write_text(csv_text(header, rows), encoding="utf-8")
    rejects_file = tmp_path / "rejects.csv"
    assert _run(folder, rejects_file, capsys)[0] == 1
    rejects = pd.read_csv(rejects_file, dtype=str, keep_default_na=False)
    assert list(rejects["rule"]) == [
        "date does not exist (no such month, or no such day in that month)",
        "date must be written YYYY-MM-DD",
    ]
