"""The ``outcomes indicators`` commands."""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from indicator_fixtures import small_world

from outcomes.cli import cli
from outcomes.cli.indicators import format_for_csv, run_indicators
from outcomes.config import Settings
from outcomes.indicator import TIDY_COLUMNS


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
    # The generated test is imported and run here rather than in a second pytest process (15 s of start-up).
    sys.path.insert(0, str(tmp_path))
    generated = importlib.import_module("scaffold_pkg.test_long_stays")
    generated.test_long_stays_counts_by_hand()
    from outcomes.registry import discover_indicators

    assert list(discover_indicators("scaffold_pkg")) == ["long_stays"]
    again = CliRunner().invoke(cli, ["indicators", "new", "long_stays", "--dir", str(package)])
    assert again.exit_code != 0


def write_world(folder: Path) -> None:
    folder.mkdir()
    for name, frame in small_world().items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)


SOME = ["length_of_stay", "rereferral", "self_harm_rate"]
"""A few indicators, one per family used here: every indicator's determinism is a contract test, and the
whole run's byte-identity is checked end to end on the synthetic folder (tests/test_indicators_end_to_end.py)."""


def test_run_writes_a_sorted_tidy_file_byte_identical_across_runs(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first, notes = run_indicators(small_world(), "2024-03-31", (6, 12), codes=SOME)
        second, _ = run_indicators(small_world(), "2024-03-31", (6, 12), codes=SOME)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    format_for_csv(first).to_csv(a, index=False, lineterminator="\n")
    format_for_csv(second).to_csv(b, index=False, lineterminator="\n")
    assert a.read_bytes() == b.read_bytes()
    frame = pd.read_csv(a, keep_default_na=False)
    assert list(frame.columns) == TIDY_COLUMNS
    assert frame["indicator"].is_monotonic_increasing
    assert sorted(frame["indicator"].unique()) == SOME and sorted(notes) == SOME
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


def test_run_command_threshold_comes_from_the_settings(tmp_path: Path) -> None:
    """One meaning of threshold everywhere: counts 1 to ``Settings().suppression_threshold`` (4) are hidden.

    Some length-of-stay cells of the small world rest on exactly 4 stays (hidden at 4, shown at 3), so the
    default, the option and the configuration file each decide whether they are published.
    """
    data = tmp_path / "data"
    write_world(data)

    def run(*extra: str) -> pd.DataFrame:
        out = tmp_path / f"out{len(list(tmp_path.iterdir()))}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = invoke("run", str(data), "--out", str(out), "--only", "length_of_stay", *extra)
        assert result.exit_code == 0, result.output
        frame = pd.read_csv(out / "indicators.csv", keep_default_na=False)
        return frame

    default, shown_at_3 = run(), run("--threshold", "3")
    config = tmp_path / "settings.toml"
    config.write_text("suppression_threshold = 3\n", encoding="utf-8")
    from_file = run("--config", str(config))
    assert Settings().suppression_threshold == 4
    published = lambda frame: pd.to_numeric(frame.loc[~frame["suppressed"], "n"])  # noqa: E731
    assert not published(default).isin([1, 2, 3, 4]).any()
    assert published(shown_at_3).isin([4]).any() and not published(shown_at_3).isin([1, 2, 3]).any()
    pd.testing.assert_frame_equal(shown_at_3, from_file)
    assert invoke("run", str(data), "--out", str(tmp_path / "x"), "--threshold", "-1").exit_code != 0


def test_the_small_world_passes_the_data_contract(tmp_path: Path) -> None:
    """The CLI tests read the small world back through the loader: it must lose no row to the contract."""
    from outcomes.loading import load_data

    write_world(tmp_path / "data")
    result = load_data(tmp_path / "data")
    assert result.rejects.empty, result.rejects.groupby(["file", "rule"]).size()
    assert {name: len(frame) for name, frame in result.tables.items() if name in small_world()} == {
        name: len(frame) for name, frame in small_world().items()
    }
