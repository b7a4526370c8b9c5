"""Disclosure control at table level: primary and secondary suppression, small denominators, zeros.

Every test of secondary suppression attacks the published table the way a reader
could: within one breakdown of one indicator, period and window, a hidden cell is
worked back as ``total - sum(published cells)`` whenever it is the only hidden one.
The attack is first shown to work on a table with primary suppression only, so the
tests that find nothing to recover could have failed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from indicator_fixtures import world_results

from outcomes.config import Settings
from outcomes.disclosure import DEFAULT_THRESHOLD, apply_disclosure_control, complement, small_count
from outcomes.errors import SuppressionWarning
from outcomes.indicator import MULTI_VALUED_BREAKDOWNS, TIDY_COLUMNS, tidy_frame
from outcomes.registry import discover_indicators

COUNTS = ("numerator", "n")
CELL = ["indicator", "time_period", "window_months", "breakdown", "breakdown_value"]


def table(cells: dict[str, list[tuple[str, float, float]]], indicator: str = "x", period: str = "2022-23"):
    """A tidy frame from ``{breakdown: [(value, numerator, n), ...]}``; the ``all`` row is the sum of the first."""
    first = next(iter(cells.values()))
    rows = [
        {
            "indicator": indicator,
            "time_period": period,
            "breakdown": "all",
            "breakdown_value": "all",
            "numerator": sum(c[1] for c in first),
            "n": sum(c[2] for c in first),
            "denominator": sum(c[2] for c in first),
            "status": "ok",
        }
    ]
    for breakdown, values in cells.items():
        for value, numerator, n in values:
            rows.append(
                {
                    "indicator": indicator,
                    "time_period": period,
                    "breakdown": breakdown,
                    "breakdown_value": value,
                    "numerator": numerator,
                    "n": n,
                    "denominator": n,
                    "status": "ok",
                }
            )
    frame = pd.DataFrame(rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["value"] = 100 * frame["numerator"] / frame["n"]
    frame["ci_lower"], frame["ci_upper"] = frame["value"] - 1, frame["value"] + 1
    return tidy_frame(frame.to_dict("records"), ["all", *cells])


def control(frame: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> tuple[pd.DataFrame, list[str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuppressionWarning)
        return apply_disclosure_control(frame, threshold)


def primary_only(frame: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """What a table would look like with small cells blanked and nothing else: the straw man."""
    out = frame.copy()
    hide = small_count(out["numerator"], threshold) | small_count(out["n"], threshold)
    for column in ("numerator", "denominator", "n", "value", "ci_lower", "ci_upper"):
        out[column] = out[column].mask(hide)
    out["suppressed"] = hide
    return out


def back_calculate(published: pd.DataFrame) -> dict[tuple, dict[str, float]]:
    """Every hidden cell a reader can recover by subtraction from its published total, with the values recovered.

    Only additive breakdowns are attacked: cells of a multi-valued breakdown (behaviours) overlap.
    """
    recovered: dict[tuple, dict[str, float]] = {}
    keys = ["indicator", "time_period", "window_months"]
    for _, block in published.groupby(keys, dropna=False, sort=True):
        totals = block[block["breakdown"] == "all"]
        if len(totals) != 1 or bool(totals["suppressed"].iloc[0]):
            continue
        total = totals.iloc[0]
        for breakdown, cells in block[block["breakdown"] != "all"].groupby("breakdown"):
            if breakdown in MULTI_VALUED_BREAKDOWNS:
                continue
            hidden = cells[cells["suppressed"]]
            if len(hidden) != 1:
                continue
            shown = cells[~cells["suppressed"]]
            worked_back = {
                column: float(total[column]) - float(shown[column].astype(float).fillna(0).sum())
                for column in COUNTS
                if pd.notna(total[column])
            }
            recovered[tuple(hidden.iloc[0][CELL])] = worked_back
    return recovered


# --- primary suppression ----------------------------------------------------------------------


def test_threshold_is_the_configured_one_and_means_up_to_and_including() -> None:
    assert DEFAULT_THRESHOLD == Settings().suppression_threshold == 4
    counts = pd.Series([0, 1, 2, 3, 4, 5, 12, np.nan])
    assert small_count(counts, 4).tolist() == [False, True, True, True, True, False, False, False]
    assert not small_count(counts, 0).any()


def test_primary_suppression_of_one_to_four() -> None:
    """Numerators of 1 to 4 are hidden, 5 is shown; the whole row (value, interval, counts) goes."""
    frame = table({"pathway": [("justice", 1, 50), ("remand", 4, 60), ("welfare", 5, 70)]})
    out, notes = control(frame)
    by_value = out.set_index("breakdown_value")
    assert list(by_value.loc[["justice", "remand", "welfare"], "suppressed"]) == [True, True, False]
    hidden = out[out["suppressed"]]
    assert hidden[["numerator", "denominator", "n", "value", "ci_lower", "ci_upper"]].isna().all().all()
    assert (hidden["status"] == "suppressed").all()
    assert by_value.loc["welfare", "numerator"] == 5 and by_value.loc["all", "numerator"] == 10
    assert notes and "between 1 and 4" in notes[0]


def test_percentages_on_small_denominators_are_suppressed() -> None:
    """0 of 3 is a 0% that describes three children: hidden through ``n`` although the numerator is 0."""
    frame = table({"sex": [("1", 0, 3), ("2", 9, 30), ("9", 6, 27)]})
    out, _ = control(frame)
    row = out.set_index("breakdown_value").loc["1"]
    assert row["suppressed"] and pd.isna(row["value"]) and pd.isna(row["denominator"])


def test_a_percentage_near_its_total_is_suppressed() -> None:
    """48 of 50 children placed tells that 2 were not: the complement of a percentage counts children too.

    The same counts in a rate (events per 1,000 nights) are not complements of anything and are shown.
    """
    cells = {"pathway": [("justice", 48, 50), ("remand", 10, 30), ("welfare", 12, 40)]}
    as_percent = table(cells).assign(unit="%")
    out, _ = control(as_percent)
    by_value = out.set_index("breakdown_value")
    assert by_value.loc["justice", "suppressed"]
    assert by_value.loc[["remand", "welfare"], "suppressed"].sum() == 1, "and one more, so it cannot be worked back"
    assert back_calculate(out) == {}
    as_rate = table(cells).assign(unit="per 1,000 nights")
    assert not control(as_rate)[0]["suppressed"].any()


def test_rates_and_medians_with_few_units_are_suppressed() -> None:
    """A rate of 40 events over 2 stays, or a median of 3 stays, rests on too few children."""
    rows = [
        {"indicator": "rate", "breakdown": "all", "breakdown_value": "all", "numerator": 40, "n": 2, "value": 9.0},
        {"indicator": "median", "breakdown": "all", "breakdown_value": "all", "numerator": np.nan, "n": 3, "value": 8},
    ]
    frame = tidy_frame([{**row, "time_period": "2022-23", "status": "ok", "denominator": 400} for row in rows])
    out, _ = control(frame)
    assert out["suppressed"].all() and out["value"].isna().all()


def test_zero_counts_are_published_as_documented() -> None:
    """Policy (outcomes/disclosure.py): a count of 0 identifies no child and is shown, with its percentage."""
    frame = table({"pathway": [("justice", 0, 12), ("remand", 0, 15), ("welfare", 7, 40)]})
    out, notes = control(frame)
    assert not out["suppressed"].any() and notes == []
    assert out.set_index("breakdown_value").loc["justice", "value"] == 0


def test_threshold_zero_suppresses_nothing_and_negative_is_refused() -> None:
    frame = table({"pathway": [("justice", 1, 2), ("welfare", 7, 40)]})
    out, notes = control(frame, threshold=0)
    assert not out["suppressed"].any() and notes == []
    with pytest.raises(ValueError, match="0 or more"):
        apply_disclosure_control(frame, -1)


def test_rows_not_computed_are_left_alone() -> None:
    """A 'not available' row carries no counts and keeps its status and note."""
    frame = tidy_frame(
        [{"indicator": "x", "breakdown": "all", "breakdown_value": "all", "status": "not_available", "note": "why"}]
    )
    out, notes = control(frame)
    assert list(out["status"]) == ["not_available"] and not out["suppressed"].any() and notes == []


def test_a_suppression_warning_names_the_cells() -> None:
    frame = table({"pathway": [("justice", 2, 50), ("welfare", 7, 40)]})
    with pytest.warns(SuppressionWarning, match="x / 2022-23 / - / pathway / justice"):
        apply_disclosure_control(frame)


# --- secondary suppression, proved by attacking the table ------------------------------------


def test_the_attack_recovers_a_lone_suppressed_cell_without_secondary_suppression() -> None:
    """Straw man: justice (3 of 20) hidden alone; 45 - 12 - 30 = 3 and 150 - 50 - 80 = 20 give it back."""
    frame = table({"pathway": [("justice", 3, 20), ("remand", 12, 50), ("welfare", 30, 80)]})
    recovered = back_calculate(primary_only(frame))
    assert recovered == {("x", "2022-23", pd.NA, "pathway", "justice"): {"numerator": 3.0, "n": 20.0}}


def test_secondary_suppression_hides_the_next_smallest_cell_and_nothing_is_recovered() -> None:
    """Justice (3 of 20) is hidden; remand has fewest units of the rest (50), so it goes too; welfare stays."""
    frame = table({"pathway": [("justice", 3, 20), ("remand", 12, 50), ("welfare", 30, 80)]})
    out, notes = control(frame)
    assert out.set_index("breakdown_value")["suppressed"].to_dict() == {
        "all": False,
        "justice": True,
        "remand": True,
        "welfare": False,
    }
    assert back_calculate(out) == {}
    assert "1 cell(s) suppressed" in notes[0] and "1 more so that they cannot be worked back" in notes[0]
    # What a reader can still work out is the sum of the two hidden cells, not either of them.
    total, welfare = out.iloc[0], out.set_index("breakdown_value").loc["welfare"]
    assert total["numerator"] - welfare["numerator"] == 3 + 12


def test_two_small_cells_need_no_secondary_suppression() -> None:
    frame = table({"pathway": [("justice", 2, 20), ("remand", 3, 50), ("welfare", 30, 80)]})
    out, _ = control(frame)
    assert out.set_index("breakdown_value")["suppressed"].to_dict() == {
        "all": False,
        "justice": True,
        "remand": True,
        "welfare": False,
    }
    assert back_calculate(out) == {}


def test_every_breakdown_of_the_total_is_protected_on_its_own() -> None:
    """Pathway and sex share the total: each breakdown with a lone small cell gets its own second cell."""
    frame = table(
        {
            "pathway": [("justice", 3, 20), ("remand", 12, 50), ("welfare", 30, 80)],
            "sex": [("1", 41, 140), ("2", 4, 10)],
        }
    )
    out, _ = control(frame)
    hidden = out[out["suppressed"]]
    assert sorted(zip(hidden["breakdown"], hidden["breakdown_value"], strict=True)) == [
        ("pathway", "justice"),
        ("pathway", "remand"),
        ("sex", "1"),
        ("sex", "2"),
    ]
    assert back_calculate(out) == {}


def test_a_hidden_total_needs_no_secondary_suppression() -> None:
    """Total 3 of 9 is itself hidden (3 is small), so subtracting from it is impossible: remand (0 of 5)
    and sex 1 (0 of 6) stay published, and each breakdown keeps one hidden cell."""
    frame = table({"pathway": [("justice", 3, 4), ("remand", 0, 5)], "sex": [("1", 0, 6), ("2", 3, 3)]})
    out, _ = control(frame)
    shown = out[~out["suppressed"]]
    assert list(zip(shown["breakdown"], shown["breakdown_value"], strict=True)) == [("pathway", "remand"), ("sex", "1")]
    assert back_calculate(out) == {}


def test_the_total_is_hidden_when_a_breakdown_has_no_other_cell() -> None:
    """One home cell (2 of 30) that a reader could read off as total minus nothing: the total goes instead."""
    frame = table({"home": [("SC000001", 2, 30)]})
    frame.loc[frame["breakdown"] == "all", ["numerator", "n", "denominator"]] = [9, 60, 60]
    out, _ = control(frame)
    assert out["suppressed"].all()


def test_disclosure_is_independent_of_row_order() -> None:
    frame = table(
        {
            "pathway": [("justice", 3, 20), ("remand", 12, 50), ("welfare", 30, 80)],
            "sex": [("1", 41, 140), ("2", 4, 10)],
        }
    )
    shuffled = frame.sample(frac=1, random_state=3)
    a, _ = control(frame)
    b, _ = control(shuffled)
    pd.testing.assert_frame_equal(a, b.loc[a.index])


cell_strategy = st.tuples(st.integers(0, 40), st.integers(0, 40)).map(lambda pair: (min(pair), max(pair)))


@settings(max_examples=60, deadline=None)
@given(
    pathway=st.lists(cell_strategy, min_size=1, max_size=4),
    sex_split=st.lists(st.floats(0, 1), min_size=4, max_size=4),
)
def test_no_published_small_count_and_no_recoverable_cell_for_any_table(pathway, sex_split) -> None:
    """Property: for random cells (numerator <= n), and a second breakdown of the same total,
    nothing of 1 to 4 is published and no hidden cell can be worked back."""
    cells = {"pathway": [(f"p{i}", x, n) for i, (x, n) in enumerate(pathway)]}
    total_x, total_n = sum(x for x, _ in pathway), sum(n for _, n in pathway)
    x1 = int(round(sex_split[0] * total_x))
    n1 = max(x1, int(round(sex_split[1] * total_n)))
    if total_n - n1 < total_x - x1:
        n1 = total_n - (total_x - x1)
    cells["sex"] = [("1", x1, n1), ("2", total_x - x1, total_n - n1)]
    out, _ = control(table(cells))
    published = out[~out["suppressed"]]
    for column in COUNTS:
        assert not small_count(published[column], DEFAULT_THRESHOLD).any()
    assert back_calculate(out) == {}
    assert out.loc[out["suppressed"], ["numerator", "n", "value"]].isna().all().all()


@pytest.fixture(scope="module")
def every_indicator_published() -> pd.DataFrame:
    registry = discover_indicators()
    frames = [result.to_frame() for code, result in world_results().items() if registry[code].disclosive]
    return pd.concat(frames, ignore_index=True)


def test_nothing_can_be_worked_back_in_any_published_indicator(every_indicator_published) -> None:
    """The attack on every disclosive indicator computed on the small world, where many cells are small."""
    frame = every_indicator_published
    assert list(frame.columns) == TIDY_COLUMNS
    assert frame["suppressed"].sum() > 50, "the small world should exercise suppression"
    assert back_calculate(frame) == {}
    published = frame[~frame["suppressed"]]
    for column in COUNTS:
        assert not small_count(published[column], DEFAULT_THRESHOLD).any()
    assert not small_count(complement(published), DEFAULT_THRESHOLD).any(), "a published percentage near its total"
