"""End to end: `outcomes run` on the built-in synthetic cohort, as the README's first command runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from outcomes.cli import main

pytestmark = pytest.mark.slow

SCALE = "0.2"  # a fifth of the national cohort: every stage runs, in about a minute


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, Path, int, int]:
    first = tmp_path_factory.mktemp("run-a")
    second = tmp_path_factory.mktemp("run-b")
    code_a = main(["run", "--out", str(first), "--scale", SCALE, "--seed", "3"])
    code_b = main(["run", "--out", str(second), "--scale", SCALE, "--seed", "3"])
    return first, second, code_a, code_b


def test_the_pipeline_succeeds_and_writes_every_stage(two_runs):
    out, _, code, _ = two_runs
    assert code == 0
    for path in (
        "validation/counts.csv",
        "validation/rejects.csv",
        "linkage/linkage_quality.json",
        "linkage/cohort.parquet",
        "indicators/indicators.csv",
        "run.json",
    ):
        assert (out / path).is_file(), path


def test_counts_reconcile_and_synthetic_data_is_clean(two_runs):
    out = two_runs[0]
    counts = pd.read_csv(out / "validation" / "counts.csv")
    assert (counts["read"] == counts["accepted"] + counts["rejected"]).all()
    assert counts["rejected"].sum() == 0
    assert len(pd.read_csv(out / "validation" / "rejects.csv")) == 0


def test_same_seed_gives_byte_identical_outputs(two_runs):
    first, second, *_ = two_runs
    record_a = json.loads((first / "run.json").read_text())
    record_b = json.loads((second / "run.json").read_text())
    assert record_a["outputs"] == record_b["outputs"]
    assert record_a["inputs"] == record_b["inputs"]
    assert len(record_a["outputs"]) >= 6
    assert (first / "run.json").read_bytes() == (second / "run.json").read_bytes()


def test_run_record_names_software_settings_and_inputs(two_runs):
    record = json.loads((two_runs[0] / "run.json").read_text())
    assert record["synthetic"] is True
    assert record["settings"]["seed"] == 3 and record["settings"]["scale"] == 0.2
    assert {"python", "pandas", "splink", "lifelines"} <= set(record["software"])
    assert "stays.parquet" in record["inputs"]
    assert record["sources"], "the unlinked follow-up sources are hashed too"


def test_no_identifier_leaves_through_the_outputs(two_runs):
    out = two_runs[0]
    identifiers = pd.read_parquet(out / "data" / "identifiers.parquet")
    raw_values = set(identifiers["surname"].dropna()) | set(identifiers["postcode"].dropna())
    raw_ids = set(identifiers["child_id"])
    published = [p for p in out.rglob("*") if p.is_file() and "data" not in p.relative_to(out).parts]
    for path in published:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            assert not {"forename", "surname", "date_of_birth", "postcode"} & set(frame.columns), path
            text_values = set()
            for column in frame.columns:
                if frame[column].dtype == object or str(frame[column].dtype).startswith("string"):
                    text_values |= set(frame[column].dropna().astype(str))
            assert not text_values & raw_values, f"{path} holds a raw name or postcode"
            assert not text_values & raw_ids, f"{path} holds an unpseudonymised child id"
        elif path.suffix in (".csv", ".json", ".md"):
            text = path.read_text(encoding="utf-8")
            leaked = [value for value in list(raw_values)[:500] if len(value) > 4 and f",{value}," in text]
            assert not leaked, f"{path} holds {leaked[:3]}"


def test_indicators_cover_every_registered_indicator(two_runs):
    from outcomes.registry import discover_indicators

    frame = pd.read_csv(two_runs[0] / "indicators" / "indicators.csv")
    assert set(frame["indicator"]) == set(discover_indicators())
    counts = frame[["numerator", "denominator"]].apply(pd.to_numeric, errors="coerce")
    assert (counts.fillna(0) >= 0).all().all()
