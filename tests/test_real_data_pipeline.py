"""End to end on real-data layout: SSDA903 returns as DfE publishes them plus the secure homes' own tables.

The folder is what an evaluator holds: the secure homes' tables (children referred, referrals, homes,
home_capacity, stays, incidents, mental_health, wellbeing) and the local authority's SSDA903 returns in
``ssda903/<year>/`` (Header without a local authority column, Episodes, OC2, OC3, Missing, with DfE's
column names and dd/mm/yyyy dates). No care_episodes, health_checks or care_leavers table, no
identifiers, no truth files. It is built from the synthetic generator's own output, so every figure can
be checked against the contract tables the generator wrote for the same children (run side by side).
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from outcomes.cli import main
from outcomes.linkage.pseudonymise import KEY_VARIABLE
from outcomes.provenance import file_sha256

pytestmark = pytest.mark.slow

SECURE_HOME_TABLES = (
    "children",
    "referrals",
    "homes",
    "home_capacity",
    "stays",
    "incidents",
    "mental_health",
    "wellbeing",
)
RETURN_TABLES = ("care_episodes", "health_checks", "care_leavers")
KEY = "a long secret key held by the data controller"
# OC2 flags of the years ending on or before a child's first discharge are in the returns but not in the
# generator's contract table (it keeps the years after the first discharge): these three indicators may differ.
OC2_FLAG_INDICATORS = {"health_assessment", "health_dental_check", "health_immunisations"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    synthetic = pytest.importorskip("synthetic")
    root = tmp_path_factory.mktemp("real-data")
    generated = synthetic.generate(root / "synthetic", seed=5, scale=0.1, fmt="csv")
    returns, contract = root / "returns", root / "contract"
    for folder, extra in ((returns, ()), (contract, RETURN_TABLES)):
        folder.mkdir()
        for table in SECURE_HOME_TABLES + extra:
            shutil.copy(generated / f"{table}.csv", folder / f"{table}.csv")
    shutil.copytree(generated / "ssda903", returns / "ssda903")
    # Nothing suppressed, so that the two runs' indicators can be compared count for count.
    config = root / "settings.toml"
    config.write_text("suppression_threshold = 0\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_VARIABLE, KEY)
        code_returns = main(
            [
                "run",
                str(returns),
                "--out",
                str(root / "out-returns"),
                "--local-authority",
                "202",
                "--config",
                str(config),
            ]
        )
        code_contract = main(["run", str(contract), "--out", str(root / "out-contract"), "--config", str(config)])
    return generated, returns, root / "out-returns", root / "out-contract", code_returns, code_contract


def _csv_rows(paths) -> pd.DataFrame:
    return pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths], ignore_index=True)


def test_the_returns_run_cleanly_and_every_row_is_accounted_for(runs):
    generated, returns, out, _, code, _ = runs
    assert code == 0
    counts = pd.read_csv(out / "validation" / "counts.csv").set_index("table")
    assert (counts["read"] == counts["accepted"] + counts["rejected"]).all()
    assert counts["rejected"].sum() == 0
    files = sorted((returns / "ssda903").glob("*/*.csv"))
    by_kind = {kind: [p for p in files if p.stem == kind] for kind in ("header", "episodes", "oc2", "oc3", "missing")}
    # Episodes: an episode open at 31 March is in two returns; each distinct (CHILD, DECOM) is one row read.
    episodes = _csv_rows(by_kind["episodes"])
    assert counts.loc["care_episodes", "read"] == len(episodes.drop_duplicates(["CHILD", "DECOM"])) > 0
    assert counts.loc["care_episodes", "file"] == "ssda903:care_episodes"
    # OC2 and OC3: one row per child and year, every one read.
    assert counts.loc["health_checks", "read"] == len(_csv_rows(by_kind["oc2"])) > 0
    assert counts.loc["care_leavers", "read"] == len(_csv_rows(by_kind["oc3"])) > 0
    # Header: the children the secure homes' table does not hold are added; the others are noted as held.
    header_children = set(_csv_rows(by_kind["header"])["CHILD"])
    own_children = set(pd.read_csv(returns / "children.csv", dtype=str)["child_id"])
    notes = (out / "validation" / "notes.txt").read_text()
    assert f"{len(header_children & own_children)} row(s) from SSDA903 already in children.csv" in notes
    linked_children = pd.read_parquet(out / "linkage" / "linked" / "children.parquet")
    assert len(linked_children) == len(own_children | header_children)
    # Missing: each spell within a stay is an incident; those the incidents table already holds are noted.
    spells = _csv_rows(by_kind["missing"])
    incidents = pd.read_csv(returns / "incidents.csv", dtype=str)
    added = counts.loc["incidents", "read"] - len(incidents)
    held = int(notes.split(" row(s) from SSDA903 already in incidents.csv")[0].rsplit("\n", 1)[-1])
    outside = int(notes.split(" missing spell(s) outside any secure-home stay")[0].rsplit(": ", 1)[-1])
    assert added + held + outside == len(spells)


def test_the_returns_reach_the_linked_tables_and_the_indicators(runs):
    generated, _, out, out_contract, _, code_contract = runs
    assert code_contract == 0
    quality = json.loads((out / "linkage" / "linkage_quality.json").read_text())
    counts = pd.read_csv(out / "validation" / "counts.csv").set_index("table")
    for table in RETURN_TABLES:
        linked = pd.read_parquet(out / "linkage" / "linked" / f"{table}.parquet")
        assert len(linked) == counts.loc[table, "accepted"] == quality["counts"][table]["linked"], table
    assert quality["linked"] == quality["records"] and quality["demonstration_key"] is False
    # The episodes read from the returns are the generator's care episodes, value for value.
    linked_episodes = pd.read_parquet(out / "linkage" / "linked" / "care_episodes.parquet")
    contract_episodes = pd.read_parquet(out_contract / "linkage" / "linked" / "care_episodes.parquet")
    columns = ["child_id", "decom", "rne", "ls", "cin", "place", "place_provider", "dec", "rec", "reason_place_change"]
    ordered = ["child_id", "decom"]
    pd.testing.assert_frame_equal(
        linked_episodes[columns].sort_values(ordered).reset_index(drop=True),
        contract_episodes[columns].sort_values(ordered).reset_index(drop=True),
    )
    # Indicators: the run on returns gives what the run on the generator's contract tables gives.
    ours = pd.read_csv(out / "indicators" / "indicators.csv", dtype=str, keep_default_na=False)
    theirs = pd.read_csv(out_contract / "indicators" / "indicators.csv", dtype=str, keep_default_na=False)
    using_returns = {"placement_instability", "health_assessment", "resettlement_eet", "resettlement_accommodation"}
    using_returns |= {"resettlement_not_in_custody"}
    for code in sorted(set(theirs["indicator"]) - OC2_FLAG_INDICATORS):
        mine = ours[ours["indicator"] == code].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, theirs[theirs["indicator"] == code].reset_index(drop=True), obj=code)
    # The three OC2 flags: the returns hold every year, the generator's table only those after the first
    # discharge, so the returns can only add records: never fewer, and every extra one counted once.
    keys = ["indicator", "time_period", "window_months", "breakdown", "breakdown_value"]
    for code in sorted(OC2_FLAG_INDICATORS):
        both = theirs[theirs["indicator"] == code].merge(ours, on=keys, how="left", suffixes=("_c", "_r"))
        denominators = both[["denominator_c", "denominator_r"]].apply(pd.to_numeric).fillna(0)
        numerators = both[["numerator_c", "numerator_r"]].apply(pd.to_numeric).fillna(0)
        extra = denominators["denominator_r"] - denominators["denominator_c"]
        assert (extra >= 0).all(), code
        assert ((numerators["numerator_r"] - numerators["numerator_c"]).between(0, extra)).all(), code
    for code in using_returns:
        rows = ours[(ours["indicator"] == code) & (ours["status"] == "ok")]
        assert len(rows) and (pd.to_numeric(rows["denominator"]) > 0).all(), code


def test_run_record_hashes_every_input_file_ssda903_included(runs):
    _, returns, out, *_ = runs
    record = json.loads((out / "run.json").read_text())
    expected = {str(p.relative_to(returns)): file_sha256(p) for p in sorted((returns / "ssda903").glob("*/*.csv"))}
    expected |= {f"{t}.csv": file_sha256(returns / f"{t}.csv") for t in SECURE_HOME_TABLES}
    assert record["inputs"] == dict(sorted(expected.items()))
    assert record["settings"]["local_authority"] == "202"
    assert record["synthetic"] is False and record["demonstration_key"] is False


def test_no_child_id_from_the_returns_reaches_any_output(runs):
    _, returns, out, *_ = runs
    raw_ids = set(_csv_rows(sorted((returns / "ssda903").glob("*/header.csv")))["CHILD"])
    raw_ids |= set(pd.read_csv(returns / "children.csv", dtype=str)["child_id"])
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            values = set()
            for column in frame.columns:
                if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
                    values |= set(frame[column].dropna().astype(str))
            assert not values & raw_ids, path
        else:
            text = path.read_text(encoding="utf-8")
            assert not [i for i in raw_ids if i in text], path
