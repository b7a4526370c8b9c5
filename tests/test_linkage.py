"""Tests of the cohort linker: pseudonymisation, known-link recovery, ambiguity, missing identifiers,
determinism, leaks, the key, and DuckDB-Spark agreement."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from linkage_fixtures import FOLLOW_UP_TABLES, write_fixture

from outcomes.cli import cli
from outcomes.contract.tables import TABLES
from outcomes.errors import ConfigurationError
from outcomes.linkage import (
    DEMONSTRATION_KEY,
    KEY_VARIABLE,
    Pseudonymiser,
    link_folder,
    resolve_key,
    resolve_one_to_one,
)
from outcomes.linkage.probabilistic import choose_threshold, expected_f1
from outcomes.linkage.pseudonymise import FEATURE_COLUMNS, bigrams, normalise_name, normalise_postcode, soundex
from outcomes.loading import load_data

TEST_KEY = b"test key for the linkage tests, 32+"


# --- pseudonymisation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    # The US National Archives' worked examples of Soundex coding.
    [("ROBERT", "R163"), ("RUPERT", "R163"), ("RUBIN", "R150"), ("ASHCRAFT", "A261"), ("TYMCZAK", "T522"),
     ("PFISTER", "P236"), ("HONEYMAN", "H555"), ("LEE", "L000")],
)  # fmt: skip
def test_soundex_matches_national_archives_examples(name, code):
    assert soundex(name) == code


def test_names_and_postcodes_are_normalised_before_hashing():
    assert normalise_name("  O'Brien-Smith ") == normalise_name("obrien smith") == "OBRIENSMITH"
    assert normalise_name("Zoë") == "ZOE"
    assert normalise_name(" - ") is None and normalise_name(None) is None
    assert normalise_postcode("sw1a1aa") == normalise_postcode(" SW1A  1AA") == "SW1A 1AA"
    assert normalise_postcode("N1") is None
    assert bigrams("ANN") == ["AN", "NN", "N_", "_A"]


def test_features_are_keyed_hmac_sha256_and_hold_nothing_raw():
    pseudonymiser = Pseudonymiser(TEST_KEY)
    frame = pseudonymiser.comparison_features(
        forename=pd.Series(["Zoë", None]),
        surname=pd.Series(["smith", "Jones"]),
        date_of_birth=pd.Series(["2005-03-04", None]),
        sex=pd.Series(["2", "1"]),
        postcode=pd.Series(["ls6 2ab", None]),
    )
    assert list(frame.columns) == list(FEATURE_COLUMNS)
    # Independent computation with the standard library.
    expected = hmac.new(TEST_KEY, b"surname_name\x1fSMITH", hashlib.sha256).hexdigest()[:16]
    assert frame.loc[0, "surname_name"] == expected
    # The swapped date of birth is hashed in the date's own domain, so a swap shows as equality.
    swapped = pseudonymiser.comparison_features(
        forename=pd.Series(["Zoe"]),
        surname=pd.Series(["Smith"]),
        date_of_birth=pd.Series(["2005-04-03"]),
        sex=pd.Series(["2"]),
        postcode=pd.Series(["LS6 2AB"]),
    )
    assert swapped.loc[0, "dob_swapped"] == frame.loc[0, "dob"]
    assert swapped.loc[0, "forename_name"] == frame.loc[0, "forename_name"]
    assert frame.loc[0, "postcode_district"] == swapped.loc[0, "postcode_district"]
    assert frame.loc[1, ["forename_name", "dob", "postcode"]].isna().all()
    assert frame.loc[1, "forename_bigrams"] == []
    text = frame.astype(str).to_string().upper()
    for raw in ("ZOE", "SMITH", "2005", "LS6", "JONES"):
        assert raw not in text
    other_key = Pseudonymiser(b"another key, also long enough").comparison_features(
        forename=pd.Series(["Zoë"]),
        surname=pd.Series(["smith"]),
        date_of_birth=pd.Series(["2005-03-04"]),
        sex=pd.Series(["2"]),
        postcode=pd.Series(["ls6 2ab"]),
    )
    assert other_key.loc[0, "surname_name"] != frame.loc[0, "surname_name"]


def test_missing_key_on_real_data_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match=KEY_VARIABLE):
        resolve_key(synthetic=False, environ={})
    with pytest.raises(ConfigurationError, match="at least"):
        resolve_key(synthetic=False, environ={KEY_VARIABLE: "short"})
    assert resolve_key(synthetic=False, environ={KEY_VARIABLE: "x" * 40}) == b"x" * 40


def test_synthetic_data_use_the_demonstration_key_and_say_so(caplog):
    with caplog.at_level(logging.WARNING, logger="outcomes.linkage.pseudonymise"):
        assert resolve_key(synthetic=True, environ={}) == DEMONSTRATION_KEY
    assert "demonstration key" in caplog.text


# --- one-to-one resolution and the threshold -----------------------------------------------------


def test_one_to_one_resolution_takes_the_best_pairs_first_and_respects_periods():
    pairs = pd.DataFrame(
        {
            "child": ["A", "B", "A", "B", "A", "C", "D"],
            "record": ["r1", "r1", "r2", "r2", "r3", "r4", "r4"],
            "match_weight": [9.0, 5.0, 8.0, 7.0, 3.0, 4.0, 4.0],
            "match_probability": [0.99, 0.9, 0.98, 0.97, 0.6, 0.8, 0.8],
        }
    )
    # r1 and r2 cover the same year: child A can have only one of them.
    slots = pd.Series({"r1": "hc:2020", "r2": "hc:2020", "r3": "hc:2021"})
    links, ambiguous = resolve_one_to_one(pairs, slots)
    # By hand: A-r1 (9) first; r2 then goes to B (7) because A's 2020 slot is taken; A-r3 (3) is another year;
    # r4 is equally likely C or D, so it is ambiguous and left unlinked.
    assert links[["record", "child"]].values.tolist() == [["r1", "A"], ["r2", "B"], ["r3", "A"]]
    assert list(ambiguous) == ["r4"]
    # Without periods, r2 goes to its best child A.
    links, _ = resolve_one_to_one(pairs)
    assert links.set_index("record")["child"].to_dict() == {"r1": "A", "r2": "A", "r3": "A"}


def test_threshold_maximises_expected_f1():
    probabilities = np.array([0.99, 0.98, 0.9, 0.4, 0.2])
    # By hand at 0.5: expected TP 2.87, links 3, expected matches 3.47 -> F1 = 5.74 / 6.47.
    assert expected_f1(probabilities, 0.5) == pytest.approx(5.74 / 6.47)
    assert expected_f1(probabilities, 0.3) == pytest.approx(2 * 3.27 / (4 + 3.47))
    chosen = choose_threshold(probabilities)
    assert 0.4 < chosen <= 0.9  # 0.41..0.90 keep the first three: the best expected F1 (0.8872)
    assert expected_f1(probabilities, chosen) == pytest.approx(5.74 / 6.47)


# --- a whole folder ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_dir(linkage_folder) -> Path:
    return linkage_folder


@pytest.fixture(scope="module")
def linked_out(fixture_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("linkage") / "out"
    result = CliRunner().invoke(
        cli, ["link", str(fixture_dir), "--out", str(out), "--sources", str(fixture_dir / "unlinked"), "--demo-key"]
    )
    assert result.exit_code == 0, result.output
    return out


def test_known_links_are_recovered(linked_out):
    quality = json.loads((linked_out / "linkage_quality.json").read_text())
    # Truth: the fixture's truth_links.csv. The error rates are about twice the synthetic defaults.
    assert quality["f1"] >= 0.98
    assert quality["precision"] >= 0.99
    assert quality["recall"] >= 0.97
    assert quality["true_positives"] + quality["false_negatives"] == quality["records"]
    assert 0 < quality["threshold"] < 1 and quality["threshold_chosen_by"] == "maximum expected F1"
    for breakdown in ("pathway", "sex", "ethnicity", "age_band"):
        groups = quality["leaver_match_rates"]["by"][breakdown]
        assert groups and all(0 <= g["any_source"] <= 1 for g in groups.values())
        assert sum(g["leavers"] for g in groups.values()) == quality["leaver_match_rates"]["overall"]["leavers"]
        assert set(quality["truth_by_group"][breakdown]) >= set(groups)
    assert set(quality["counts"]) == set(FOLLOW_UP_TABLES)


def test_linked_folder_is_valid_and_pseudonymous(linked_out, fixture_dir):
    loaded = load_data(linked_out / "linked")
    assert loaded.rejected_rows == 0
    assert "identifiers" not in loaded.counts
    children = pd.read_parquet(linked_out / "linked" / "children.parquet")
    raw_children = pd.read_parquet(fixture_dir / "children.parquet")
    assert not set(children["child_id"]) & set(raw_children["child_id"])
    assert children["child_id"].str.fullmatch(r"[0-9a-f]{32}").all()
    cohort = pd.read_parquet(linked_out / "cohort.parquet")
    assert set(cohort["child_id"]) <= set(children["child_id"])
    for table in FOLLOW_UP_TABLES:
        frame = pd.read_parquet(linked_out / "linked" / f"{table}.parquet")
        assert not {"forename", "surname", "date_of_birth", "sex_recorded", "postcode"} & set(frame.columns)
        assert frame["child_id"].isin(children["child_id"]).all()


def test_no_identifier_leaks_into_any_output(linked_out, fixture_dir):
    identifiers = pd.read_parquet(fixture_dir / "identifiers.parquet")
    raw_values = set(identifiers["surname"]) | set(identifiers["forename"]) | set(identifiers["postcode"])
    raw_values |= set(identifiers["postcode"].str.replace(" ", ""))
    raw_values |= set(identifiers["date_of_birth"].dt.strftime("%Y-%m-%d"))
    for table in FOLLOW_UP_TABLES:
        unlinked = pd.read_parquet(fixture_dir / "unlinked" / f"{table}.parquet")
        # Typed-in errors can make words ("Wright" -> "Weight"), so of the sources only postcodes are sought.
        raw_values |= set(unlinked["postcode"].dropna())
    raw_values = {v for v in raw_values if isinstance(v, str)}
    files = sorted(p for p in linked_out.rglob("*") if p.is_file())
    assert len(files) >= 3
    vocabulary = {c for table in TABLES.values() for c in table.columns} | set(
        pd.read_parquet(linked_out / "cohort.parquet")
    )
    vocabulary = sorted((c.lower().encode() for c in vocabulary), key=len, reverse=True)
    for path in files:
        # Bytes: a name of five letters or more turning up anywhere (shorter ones occur in binary by chance).
        content = path.read_bytes().lower()
        for word in vocabulary:  # column names such as challenging_behaviour hold names such as Allen
            content = content.replace(word, b"")
        leaked = [v for v in raw_values if len(v) >= 5 and v.lower().encode() in content]
        assert not leaked, f"{path.name} holds {leaked[:5]}"
        if path.suffix == ".parquet":
            # Cells: no value of any column, however short, is a raw identifier.
            frame = pd.read_parquet(path)
            cells = {str(v).strip().lower() for column in frame.columns for v in frame[column].dropna().unique()}
            cells |= {str(c).lower() for c in frame.columns}
            assert not cells & {v.lower() for v in raw_values}, path.name


def test_records_with_child_id_link_deterministically(fixture_dir, tmp_path):
    result = link_folder(fixture_dir, key=TEST_KEY)
    quality = result.quality
    assert quality["precision"] == quality["recall"] == quality["f1"] == 1.0
    assert (result.links["method"] == "deterministic").all()
    assert quality["threshold"] is None
    # An id naming no known child is counted, never linked.
    data = tmp_path / "data"
    shutil.copytree(fixture_dir, data)
    episodes = pd.read_parquet(data / "care_episodes.parquet")
    episodes.loc[0, "child_id"] = "NOBODY"
    sources = tmp_path / "sources"
    sources.mkdir()
    episodes.to_parquet(sources / "care_episodes.parquet", index=False)
    result = link_folder(data, sources_dir=sources, key=TEST_KEY)
    counts = result.quality["counts"]["care_episodes"]
    assert counts["unknown_child_id"] == 1 and counts["linked"] == len(episodes) - 1


def test_cohort_windows_data_end_and_death_reach_the_leaver_cohort(fixture_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(fixture_dir, data)
    stays = pd.read_parquet(data / "stays.parquet")
    children = pd.read_parquet(data / "children.parquet")
    # One leaver dies (SSDA903 REC E2) 100 days after leaving; the death arrives through a linked episode.
    dying = stays.sort_values("discharge_date").iloc[0]
    died_on = dying["discharge_date"] + pd.Timedelta(days=100)
    episodes = pd.read_parquet(data / "care_episodes.parquet")
    row = episodes.index[episodes["child_id"] == dying["child_id"]][0]
    episodes.loc[row, ["rec", "dec", "decom"]] = ["E2", died_on, dying["discharge_date"] + pd.Timedelta(days=1)]
    episodes.to_parquet(data / "care_episodes.parquet", index=False)
    data_end = pd.Timestamp("2021-06-30")
    result = link_folder(data, key=TEST_KEY, data_end="2021-06-30", windows_months=(3, 9))
    cohort = result.cohort.set_index("stay_id")
    # Only stays discharged by the data end are leavers.
    assert set(cohort.index) == set(stays.loc[stays["discharge_date"] <= data_end, "stay_id"])
    assert {"window_end_3m", "complete_3m", "window_end_9m", "complete_9m"} <= set(cohort.columns)
    assert not {"window_end_6m", "window_end_24m"} & set(cohort.columns)
    leaver = cohort.loc[dying["stay_id"]]
    assert leaver["death_date"] == died_on and leaver["follow_up_end"] == died_on
    assert bool(leaver["complete_3m"]) and not bool(leaver["complete_9m"])  # 100 days: 3 months followed, not 9
    alive = cohort.drop(index=dying["stay_id"])
    assert (alive["follow_up_end"] == data_end).all() and alive["death_date"].isna().all()
    expected = alive["index_date"] + pd.DateOffset(months=9)
    assert (alive["complete_9m"] == (expected <= data_end)).all()
    # Censoring at 18 is kept for the outcomes that stop then: the earliest possible 18th birthday.
    birth = children.set_index(Pseudonymiser(TEST_KEY).child_pseudonyms(children["child_id"]))["birth_month"]
    assert (cohort["turns_18"] == cohort["child_id"].map(birth) + pd.DateOffset(years=18)).all()
    assert result.quality["windows_months"] == [3, 9] and result.quality["data_end"] == "2021-06-30"


def test_identical_identifiers_are_ambiguous_not_guessed(tmp_path):
    # Ten children have an identical twin in every identifier: their records cannot be told apart.
    data = write_fixture(tmp_path / "data", n_children=150, seed=2, duplicate_children=10)
    result = link_folder(data, sources_dir=data / "unlinked", key=TEST_KEY)
    truth = pd.read_csv(data / "truth_links.csv", dtype=str)
    twinned = {f"C{i:05d}" for i in range(10)} | {f"T{i:05d}" for i in range(10)}
    twin_records = set(truth.loc[truth["child_id"].isin(twinned), "source"] + ":" + truth["record_id"])
    linked_records = set(result.links["source"] + ":" + result.links["record_id"])
    assert twin_records, "the fixture gave the twins no records"
    assert not twin_records & linked_records
    ambiguous = sum(c["ambiguous"] for c in result.quality["counts"].values())
    assert ambiguous >= 0.9 * len(twin_records)
    assert result.quality["precision"] >= 0.99


def test_missing_identifiers(tmp_path):
    data = write_fixture(tmp_path / "data", n_children=150, seed=3)
    episodes = pd.read_parquet(data / "unlinked" / "care_episodes.parquet")
    # Records 0-4 lose every identifier (cannot be linked); 5-9 keep only surname and date of birth.
    for column in ("forename", "surname", "sex_recorded", "postcode", "date_of_birth"):
        episodes.loc[0:4, column] = None
    for column in ("forename", "sex_recorded", "postcode"):
        episodes.loc[5:9, column] = None
    episodes.to_parquet(data / "unlinked" / "care_episodes.parquet", index=False)
    result = link_folder(data, sources_dir=data / "unlinked", key=TEST_KEY)
    counts = result.quality["counts"]["care_episodes"]
    # Records 0-4 carry neither a child id nor identifiers: validation rejects them, so they are not linked.
    # So are the fixture's few records that lost their surname or date of birth (the contract's linkable rule).
    linkable = episodes["child_id"].notna() | (episodes["surname"].notna() & episodes["date_of_birth"].notna())
    assert not linkable.loc[0:4].any() and linkable.loc[5:9].all()
    assert counts["without_identifiers"] == 0 and counts["records"] == int(linkable.sum())
    linked = set(result.links.loc[result.links["source"] == "care_episodes", "record_id"])
    assert not linked & set(episodes.loc[0:4, "record_id"])
    truth = pd.read_csv(data / "truth_links.csv", dtype=str).set_index(["source", "record_id"])["child_id"]
    partial = result.links[
        (result.links["source"] == "care_episodes") & result.links["record_id"].isin(episodes.loc[5:9, "record_id"])
    ]
    # A surname and date of birth alone may or may not pass the threshold, but a link made must be right.
    pseudonymiser = Pseudonymiser(TEST_KEY)
    for row in partial.itertuples():
        true_child = truth[("care_episodes", row.record_id)]
        assert row.child == pseudonymiser.child_pseudonyms(pd.Series([true_child], dtype="string")).iloc[0]


def test_every_field_of_linkage_quality_json_is_documented(linked_out):
    """docs/outputs.md (outcomes.outputs_reference) describes exactly the fields a run writes (this one is synthetic and
    links probabilistically, so every optional field is there)."""
    from outcomes.outputs_reference import LINKAGE_QUALITY_FIELDS, SOURCE_COUNT_FIELDS

    quality = json.loads((linked_out / "linkage_quality.json").read_text())
    assert set(quality) == set(LINKAGE_QUALITY_FIELDS)
    for name, counts in quality["counts"].items():
        assert set(counts) == set(SOURCE_COUNT_FIELDS), name


def test_linking_twice_gives_byte_identical_outputs_even_in_chunks(fixture_dir, linked_out, tmp_path, monkeypatch):
    # The second run scores the records in chunks of 300 (as a national source is scored): nothing may change.
    from outcomes.linkage.probabilistic import inference

    monkeypatch.setattr(inference, "PREDICT_CHUNK_RECORDS", 300)
    again = tmp_path / "again"
    result = CliRunner().invoke(
        cli, ["link", str(fixture_dir), "--out", str(again), "--sources", str(fixture_dir / "unlinked"), "--demo-key"]
    )
    assert result.exit_code == 0, result.output
    first = sorted(p.relative_to(linked_out) for p in linked_out.rglob("*") if p.is_file())
    second = sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert first == second
    for relative in first:
        assert (linked_out / relative).read_bytes() == (again / relative).read_bytes(), relative


@pytest.mark.slow
def test_cli_links_the_synthetic_folder(small_cohort, tmp_path):
    # The documented round trip: `outcomes synth --out D` (the session's small cohort, tests/conftest.py,
    # asserts it succeeded), then `outcomes link D --out O --sources D/unlinked`.
    data, out = small_cohort, tmp_path / "out"
    linked = CliRunner().invoke(
        cli, ["link", str(data), "--out", str(out), "--sources", str(data / "unlinked"), "--demo-key"]
    )
    assert linked.exit_code == 0, linked.output
    quality = json.loads((out / "linkage_quality.json").read_text())
    records = sum(len(pd.read_csv(data / "unlinked" / f"{table}.csv")) for table in FOLLOW_UP_TABLES)
    assert quality["records"] == records > 0
    assert quality["f1"] >= 0.98 and quality["precision"] >= 0.98 and quality["recall"] >= 0.98
    assert "F1" in linked.output and f"{quality['linked']:,}" in linked.output
    cohort = pd.read_parquet(out / "cohort.parquet")
    assert len(cohort) > 0 and cohort["child_id"].str.fullmatch(r"[0-9a-f]{32}").all()


def test_cli_refuses_real_data_without_a_key(tmp_path, monkeypatch):
    data = write_fixture(tmp_path / "data", n_children=60, seed=4, synthetic=False)
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    from outcomes.cli import main

    assert main(["link", str(data), "--out", str(tmp_path / "out")]) == ConfigurationError.exit_code
    assert not (tmp_path / "out").exists()
    monkeypatch.setenv(KEY_VARIABLE, "a long secret key held by the data controller")
    assert main(["link", str(data), "--out", str(tmp_path / "out"), "--threshold", "0.9"]) == 0
    quality = json.loads((tmp_path / "out" / "linkage_quality.json").read_text())
    assert quality["synthetic"] is False


def test_cli_options_have_help():
    result = CliRunner().invoke(cli, ["link", "--help"])
    assert result.exit_code == 0
    for option in ("--out", "--sources", "--engine", "--threshold", "--data-end", "--windows"):
        assert option in result.output
    bad = CliRunner().invoke(cli, ["link", ".", "--out", "x", "--threshold", "1.5"])
    assert bad.exit_code != 0 and "between 0 and 1" in bad.output


@pytest.fixture(scope="module")
def spark_session():
    """One small local Spark session for the module: one thread, one shuffle partition, no UI, no AQE."""
    pytest.importorskip("pyspark")
    from outcomes.linkage.engines import local_spark_session

    session = local_spark_session(1, driver_memory="1g", adaptive=False)
    yield session
    session.stop()


@pytest.mark.spark
@pytest.mark.slow
def test_duckdb_and_spark_give_the_same_links(tmp_path, spark_session):
    # Small, but with every kind of recording error, twins (ambiguous records) and several records per
    # child and period, so every comparison level, the threshold and the one-to-one resolution are exercised.
    data = write_fixture(tmp_path / "data", n_children=80, seed=5, duplicate_children=4)
    duck = link_folder(data, sources_dir=data / "unlinked", key=TEST_KEY, engine="duckdb")
    on_spark = link_folder(
        data, sources_dir=data / "unlinked", key=TEST_KEY, engine="spark", spark_session=spark_session
    )
    assert len(duck.links) > 0
    assert sum(c["ambiguous"] for c in duck.quality["counts"].values()) > 0
    pd.testing.assert_frame_equal(duck.links, on_spark.links)
    assert duck.quality["threshold"] == on_spark.quality["threshold"]
    assert duck.quality["candidate_pairs"] == on_spark.quality["candidate_pairs"]
    assert duck.probabilistic.model.parameters == on_spark.probabilistic.model.parameters
    assert duck.quality["precision"] >= 0.98
