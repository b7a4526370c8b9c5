"""The ``outcomes indicators`` commands."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from indicator_fixtures import small_world

from outcomes.cli import cli
from outcomes.cli.indicators import format_for_csv, run_indicators
from outcomes.indicator import TIDY_COLUMNS

ROOT = Path(__file__).resolve().parents[1]


def invoke(*args: str):
    return CliRunner().invoke(cli, ["indicators", *args], catch_exceptions=False)


def test_list_shows_every_indicator() -> None:
    result = invoke("list")
    assert result.exit_code == 0
    assert "rereferral" in result.output and "time to event" in result.output
    assert len(result.output.strip().splitlines()) >= 25


def test_describe_prints_the_declaration() -> None:
    result = invoke("describe", "self_harm_rate")
    assert result.exit_code == 0
    assert "unit: per 1,000 nights" in result.output and "Byar" in result.output


def test_describe_unknown_code_is_an_error() -> None:
    from outcomes.cli import main

    assert main(["indicators", "describe", "no_such_code"]) == 2


def test_new_writes_an_indicator_and_a_passing_test(tmp_path: Path) -> None:
    package = tmp_path / "scaffold_pkg"
    result = invoke("new", "long_stays", "--dir", str(package), "--module", "scaffold_pkg")
    assert result.exit_code == 0, result.output
    (package / "__init__.py").write_text("")
    assert (package / "long_stays.py").exists() and (package / "test_long_stays.py").exists()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "test_long_stays.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": ""},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    from outcomes.registry import discover_indicators

    sys.path.insert(0, str(tmp_path))
    assert list(discover_indicators("scaffold_pkg")) == ["long_stays"]
    again = CliRunner().invoke(cli, ["indicators", "new", "long_stays", "--dir", str(package)])
    assert again.exit_code != 0


def write_world(folder: Path) -> None:
    folder.mkdir()
    for name, frame in small_world().items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)


def test_run_writes_a_sorted_tidy_file_byte_identical_across_runs(tmp_path: Path) -> None:
    tables = small_world()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first, notes = run_indicators(tables, "2024-03-31", (6, 12))
        second, _ = run_indicators(small_world(), "2024-03-31", (6, 12))
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    format_for_csv(first).to_csv(a, index=False, lineterminator="\n")
    format_for_csv(second).to_csv(b, index=False, lineterminator="\n")
    assert a.read_bytes() == b.read_bytes()
    frame = pd.read_csv(a, keep_default_na=False)
    assert list(frame.columns) == TIDY_COLUMNS
    assert frame["indicator"].is_monotonic_increasing
    assert set(frame.loc[frame["indicator"] == "rereferral", "window_months"]) == {"6", "12"}
    assert {"pathway", "home", "sex", "age_band", "all"} <= set(frame["breakdown"])


def test_run_reports_missing_optional_tables_as_not_available() -> None:
    tables = small_world()
    del tables["wellbeing"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame, _ = run_indicators(tables, "2024-03-31", (6,), codes=["wellbeing_change_sdq", "length_of_stay"])
    sdq = frame[frame["indicator"] == "wellbeing_change_sdq"]
    assert list(sdq["status"]) == ["not_available"] and "wellbeing" in sdq["note"].iloc[0]
    assert (frame.loc[frame["indicator"] == "length_of_stay", "status"] != "not_available").all()


@pytest.mark.slow
def test_run_command_on_a_synthetic_folder(tmp_path: Path) -> None:
    """End to end: the synthetic generator at scale 1, read by the loader, through ``outcomes indicators run``."""
    synthetic = pytest.importorskip("synthetic")
    data_dir = synthetic.generate(tmp_path / "data", seed=0, scale=1.0)
    from outcomes.cli import main

    assert main(["indicators", "run", str(data_dir), "--out", str(tmp_path / "out")]) == 0
    frame = pd.read_csv(tmp_path / "out" / "indicators.csv", keep_default_na=False)
    assert frame["indicator"].nunique() >= 25
    assert (frame["status"] == "ok").sum() > 100
    assert (tmp_path / "out" / "indicator_notes.md").exists()
