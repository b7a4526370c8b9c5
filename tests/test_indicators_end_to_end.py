"""End to end: ``outcomes indicators run`` on the synthetic national cohort (scale 1), checked against its truth.

The folder is generated once per test session (about 20 s) and the command run twice on it.
Re-referral is checked against ``truth.json["rereferral"]["mean_over_leavers"]``: the
generator's cumulative incidence by 6, 12 and 24 months, averaged over the leavers, had
nobody been censored (formula in ``truth.json["rereferral"]["formula"]``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from outcomes.cli import main
from outcomes.registry import discover_indicators

pytestmark = pytest.mark.slow

WINDOWS = (6, 12, 24)


@pytest.fixture(scope="session")
def synthetic_folder(tmp_path_factory) -> Path:
    synthetic = pytest.importorskip("synthetic")
    return synthetic.generate(tmp_path_factory.mktemp("synthetic") / "data", seed=0, scale=1.0, fmt="parquet")


@pytest.fixture(scope="session")
def two_runs(synthetic_folder: Path, tmp_path_factory) -> tuple[Path, Path]:
    outs = []
    for name in ("first", "second"):
        out = tmp_path_factory.mktemp(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert main(["indicators", "run", str(synthetic_folder), "--out", str(out)]) == 0
        outs.append(out)
    return outs[0], outs[1]


@pytest.fixture(scope="session")
def published(two_runs) -> pd.DataFrame:
    return pd.read_csv(two_runs[0] / "indicators.csv", keep_default_na=False, dtype=str)


@pytest.fixture(scope="session")
def truth(synthetic_folder: Path) -> dict:
    return json.loads((synthetic_folder / "truth.json").read_text(encoding="utf-8"))


def numbers(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column.replace("", np.nan))


def test_output_is_byte_identical_across_two_runs(two_runs) -> None:
    first, second = two_runs
    for name in ("indicators.csv", "indicator_notes.md"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_every_registered_indicator_is_published(published) -> None:
    assert set(published["indicator"]) == set(discover_indicators())
    assert not (published["status"] == "not_available").any(), "the synthetic folder has every table"
    assert (published["status"] == "ok").sum() > 1000


def test_no_negative_counts_and_nothing_small_published(published) -> None:
    for column in ("numerator", "denominator", "n"):
        values = numbers(published[column]).dropna()
        assert (values >= 0).all(), column
    people = published[~published["indicator"].str.startswith("capacity_")]
    shown = people[people["suppressed"] == "false"]
    for column in ("numerator", "n"):
        assert not numbers(shown[column]).between(1, 4).any(), column


def test_rereferral_by_period_covers_the_truth(published, truth) -> None:
    """Each financial year with at least 100 leavers: the generator's mean incidence lies in the 95% interval.

    The truth is averaged over all leavers, and a year's mix of pathways and ages differs a little, so the
    interval is asked to cover it in at least 80% of cells, and every estimate to be within 7 points
    (3 standard errors of a share near 0.3 among 400 leavers).
    """
    rows = published[(published["indicator"] == "rereferral") & (published["breakdown"] == "all")]
    rows = rows[(rows["status"] == "ok") & (numbers(rows["n"]) >= 100)]
    assert len(rows) >= 12
    covered, cells = 0, 0
    for _, row in rows.iterrows():
        expected = 100 * truth["rereferral"]["mean_over_leavers"][f"{row['window_months']}m"]
        value, lower, upper = float(row["value"]), float(row["ci_lower"]), float(row["ci_upper"])
        cells += 1
        covered += lower <= expected <= upper
        assert abs(value - expected) < 7, (row["time_period"], row["window_months"], value, expected)
    assert covered >= 0.8 * cells, f"{covered} of {cells} intervals cover the truth"


@pytest.fixture(scope="session")
def loaded(synthetic_folder: Path):
    from outcomes.cohort import FollowUp
    from outcomes.indicator import IndicatorData
    from outcomes.loading import load_data

    return IndicatorData(load_data(synthetic_folder).tables, FollowUp("2024-03-31", WINDOWS))


def test_rereferral_pooled_over_leavers_is_within_its_interval_of_the_truth(loaded, truth) -> None:
    """The indicator's own units (loaded through the contract), pooled over every leaver: Kaplan-Meier covers the
    truth at 6, 12 and 24 months, and the naive share that ignores censoring is below the estimate."""
    from indicators.rereferral import ReReferral
    from outcomes.statistics import km_cumulative_incidence

    data = loaded
    assert truth["rereferral"]["windows_months"] == list(WINDOWS)
    for months in WINDOWS:
        units = ReReferral().units(data.for_window(months))
        result = km_cumulative_incidence(units["duration_days"], units["event"], months * 365.25 / 12)
        expected = truth["rereferral"]["mean_over_leavers"][f"{months}m"]
        assert result.lower <= expected <= result.upper, (months, result, expected)
        assert result.naive < result.estimate


def test_self_harm_rate_recovers_the_generator_rate(published, loaded, truth) -> None:
    """The generator draws self-harm incidents as Poisson at 12 per 1,000 nights, times 2.5 in stays whose
    referral presented self-harm (``truth.json["parameters"]["incidents"]``). The expected count over the
    published nights is therefore known; the published count, summed over years, must have it inside its
    exact/Byar 95% interval. (``truth.json["incidents_true_rate_per_1000_nights"]`` gives the 12 alone: it is the
    rate without the behaviour, not the rate over all stays.)"""
    from outcomes.statistics import poisson_rate_interval

    parameters = truth["parameters"]["incidents"]
    leavers = loaded.leavers
    referrals = loaded.table("referrals").set_index("referral_id")
    stays = loaded.table("stays").set_index("stay_id")
    flagged = stays.loc[leavers["stay_id"], "referral_id"].map(referrals["self_harm"]).fillna(False).astype(bool)
    multiplier = np.where(flagged.to_numpy(), parameters["self_harm_rate_ratio_if_self_harm_behaviour"], 1.0)
    nights = leavers["length_of_stay_days"].to_numpy(dtype=float)
    expected = parameters["rate_per_1000_nights"]["self_harm"] / 1000 * float((nights * multiplier).sum())

    rows = published[(published["indicator"] == "self_harm_rate") & (published["breakdown"] == "all")]
    assert (rows["status"] == "ok").all()
    events, exposure = numbers(rows["numerator"]).sum(), numbers(rows["denominator"]).sum()
    assert exposure == pytest.approx(nights.sum())
    _, lower, upper = poisson_rate_interval(events, 1.0)
    assert float(lower) <= expected <= float(upper), (events, expected)


def test_sdq_change_recovers_the_generator_mean_change(published, truth) -> None:
    """SDQ change at discharge is drawn with mean -3 (``truth.json["wellbeing_true_mean_change"]``): the intervals
    of the years with at least 100 stays cover it in at least 80% of them."""
    rows = published[(published["indicator"] == "wellbeing_change_sdq") & (published["breakdown"] == "all")]
    rows = rows[numbers(rows["n"]) >= 100]
    assert len(rows) >= 4
    expected = truth["wellbeing_true_mean_change"]
    covered = ((numbers(rows["ci_lower"]) <= expected) & (expected <= numbers(rows["ci_upper"]))).sum()
    assert covered >= 0.8 * len(rows)
