"""Contract tests looped over every registered indicator (as lifelines loops over its fitters)."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pandas as pd
import pytest
from indicator_fixtures import small_world, world_data, world_results

from outcomes.errors import SuppressionWarning
from outcomes.indicator import (
    TABLE6_OUTCOMES,
    TIDY_COLUMNS,
    IndicatorData,
    IndicatorResult,
    ProportionIndicator,
    TimeToEventIndicator,
    period_label,
)
from outcomes.registry import discover_indicators

REGISTRY = discover_indicators()
CODES = list(REGISTRY)
REFERENCE = Path(__file__).resolve().parents[1] / "synthetic" / "reference" / "table6_outcomes.csv"


@pytest.fixture(scope="module")
def results() -> dict[str, IndicatorResult]:
    return world_results()


@pytest.mark.parametrize("code", CODES)
def test_metadata_complete(code: str) -> None:
    declaration = REGISTRY[code].metadata()
    assert declaration.problems() == []
    assert declaration.ci_method
    assert declaration.code == code


@pytest.mark.parametrize("code", CODES)
def test_output_columns_and_types(code: str, results) -> None:
    frame = results[code].to_frame()
    assert list(frame.columns) == TIDY_COLUMNS
    assert len(frame) > 0
    assert set(frame["status"]) <= {"ok", "suppressed", "not_estimable", "no_data", "not_available"}
    assert frame["breakdown"].iloc[0] == "all"
    assert set(frame["breakdown"]) <= set(REGISTRY[code].declaration.breakdowns)
    assert not frame.duplicated(["indicator", "time_period", "window_months", "breakdown", "breakdown_value"]).any()


@pytest.mark.parametrize("code", CODES)
def test_no_negative_counts_and_proportions_bounded(code: str, results) -> None:
    frame = results[code].to_frame()
    for column in ("numerator", "denominator", "n"):
        assert (frame[column].dropna() >= 0).all()
    if issubclass(REGISTRY[code], ProportionIndicator):
        both = frame.dropna(subset=["numerator", "denominator"])
        assert (both["numerator"] <= both["denominator"]).all()
        assert frame["value"].dropna().between(0, 100).all()
    ok = frame[frame["status"] == "ok"].dropna(subset=["ci_lower", "ci_upper"])
    assert (ok["ci_lower"] <= ok["value"] + 1e-9).all() and (ok["value"] <= ok["ci_upper"] + 1e-9).all()


@pytest.mark.parametrize("code", [c for c in CODES if issubclass(REGISTRY[c], TimeToEventIndicator)])
def test_time_to_event_indicators_follow_each_child_once_per_period(code: str) -> None:
    """The unit is a child's first discharge in the period: no child twice in a period (so no child twice in a
    cell), and every child who left in the period is there once, followed from their earliest discharge."""
    indicator = REGISTRY[code]()
    data = world_data().for_window(12)
    units = indicator.units(data)
    period = indicator.metadata().period
    keys = pd.DataFrame({"child": units["child_id"], "period": period_label(units["period_date"], period)})
    assert not keys.duplicated().any()
    leavers = data.leavers
    leavers["period"] = period_label(leavers["period_date"], period)
    earliest = leavers.groupby(["child_id", "period"])["index_date"].min()
    followed = units.assign(period=keys["period"]).set_index(["child_id", "period"])["index_date"]
    pd.testing.assert_series_equal(followed.sort_index(), earliest.sort_index())


@pytest.mark.parametrize("code", CODES)
def test_deterministic(code: str, results) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuppressionWarning)
        again = REGISTRY[code]().compute(world_data()).to_frame()
    pd.testing.assert_frame_equal(results[code].to_frame(), again)


@pytest.mark.parametrize("code", CODES)
def test_suppression_applied(code: str, results) -> None:
    frame = results[code].to_frame()
    small = lambda s: (s >= 1) & (s <= 4)  # noqa: E731
    published = frame[~frame["suppressed"]]
    if REGISTRY[code].disclosive:
        assert not small(published["numerator"].dropna()).any()
        assert not small(published["n"].dropna()).any()
    hidden = frame[frame["suppressed"]]
    assert hidden[["numerator", "denominator", "value", "ci_lower", "ci_upper"]].isna().all().all()
    if len(hidden):
        assert any("suppressed" in note for note in results[code].notes)


@pytest.mark.parametrize("code", CODES)
def test_not_available_when_an_optional_table_is_missing(code: str) -> None:
    declaration = REGISTRY[code].declaration
    optional = [t for t in declaration.tables if t not in ("children", "stays", "referrals", "homes")]
    if not optional:
        pytest.skip("reads required tables only")
    tables = small_world()
    del tables[optional[0]]
    result = REGISTRY[code]().compute(IndicatorData(tables))
    frame = result.to_frame()
    assert list(frame["status"]) == ["not_available"]
    assert optional[0] in frame["note"].iloc[0]
    assert not result.available


@pytest.mark.parametrize("code", CODES)
def test_summary_renders(code: str, results) -> None:
    result = results[code]
    text, markdown, html = result.summary(), result.summary("markdown"), result.summary("html")
    assert code in text and f"`{code}`" in markdown and "<table" in html


def test_every_table6_outcome_has_an_indicator() -> None:
    measured = {cls.declaration.table6_outcome for cls in REGISTRY.values()}
    for outcomes in TABLE6_OUTCOMES.values():
        assert set(outcomes) <= measured


def test_table6_outcomes_match_the_reference_file() -> None:
    with REFERENCE.open() as handle:
        rows = list(csv.DictReader(handle))
    assert {
        term: tuple(r["outcome"] for r in rows if r["term"] == term) for term in ("short", "long")
    } == TABLE6_OUTCOMES


def test_unlinked_follow_up_records_are_counted_in_the_notes() -> None:
    tables = small_world()
    unlinked = int(tables["care_leavers"]["child_id"].isna().sum())
    assert unlinked > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuppressionWarning)
        result = REGISTRY["resettlement_eet"]().compute(IndicatorData(tables))
    assert f"{unlinked} care_leavers records not linked; run `outcomes link` first" in result.notes
