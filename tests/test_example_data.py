"""The example data folder (examples/data) is what the README says: every table, all rows accepted."""

from __future__ import annotations

import csv
from pathlib import Path

from outcomes.cli import main
from outcomes.contract.tables import TABLES
from outcomes.loading import load_data

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"


def test_the_example_folder_has_every_contract_table_and_explains_each():
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    assert sorted(p.stem for p in EXAMPLES.glob("*.csv")) == sorted(TABLES)
    for name in TABLES:
        assert f"`{name}.csv`" in readme, name


def test_validate_accepts_every_example_row(tmp_path):
    rejects = tmp_path / "rejects.csv"
    assert main(["validate", str(EXAMPLES), "--rejects", str(rejects)]) == 0
    result = load_data(EXAMPLES)
    assert result.rejects.empty, result.rejects.to_string()
    for name in TABLES:
        with (EXAMPLES / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            rows = sum(1 for _ in csv.DictReader(handle))
        assert 1 <= rows <= 10, name
        assert len(result.tables[name]) == rows, name
