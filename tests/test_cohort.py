"""The leaver cohort and censoring, checked by hand on a few children."""

from __future__ import annotations

import pandas as pd
import pytest

from outcomes.cohort import FollowUp, age_band, age_in_years, build_leaver_cohort, time_to_event


def _children() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "child_id": ["A", "B", "C"],
            "sex": ["1", "2", "2"],
            "birth_month": pd.to_datetime(["2006-05-01", "2004-01-01", "2008-12-01"]),
            "ethnicity": ["WBRI", "BAFR", "MWBC"],
            "local_authority": ["202", "330", "886"],
        }
    )


def _stays() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stay_id": ["S1", "S2", "S3", "S4"],
            "child_id": ["A", "B", "C", "A"],
            "urn": ["SC000001", "SC000002", "SC000001", "SC000001"],
            "referral_id": [None, None, None, None],
            "admission_date": pd.to_datetime(["2020-01-01", "2021-06-01", "2023-01-10", "2023-06-01"]),
            "discharge_date": pd.to_datetime(["2020-04-01", "2021-09-30", "2023-12-01", None]),
            "pathway": ["welfare", "justice", "welfare", "remand"],
            "legal_basis": ["section_25", "dto", "section_25", "remand"],
            "destination": ["family", "independent", "foster_care", None],
            "transition_plan": pd.array([True, False, None, None], dtype="boolean"),
        }
    )


FOLLOW_UP = FollowUp(data_end=pd.Timestamp("2024-03-31"))


def test_one_row_per_ended_stay_with_hand_checked_fields():
    cohort = build_leaver_cohort(_children(), _stays(), FOLLOW_UP).set_index("stay_id")
    assert list(cohort.index) == ["S1", "S2", "S3"]  # S4 has not ended
    # A: born May 2006, left 1 April 2020 -> 13; 91 nights (Jan 31 + Feb 29 + Mar 31).
    assert cohort.loc["S1", "age_at_exit"] == 13
    assert cohort.loc["S1", "length_of_stay_days"] == 91
    assert cohort.loc["S1", "age_band"] == "10-13"
    # B: born January 2004, 17 at exit on 30 September 2021; turns 18 on 1 January 2022.
    assert cohort.loc["S2", "age_at_exit"] == 17
    assert cohort.loc["S2", "turns_18"] == pd.Timestamp("2022-01-01")
    # C left 1 December 2023: 6 months end 1 June 2024, after the data end, so incomplete.
    assert not cohort.loc["S3", "complete_6m"]
    assert cohort.loc["S1", "complete_24m"]
    assert cohort.loc["S2", "complete_24m"] == (pd.Timestamp("2023-09-30") <= FOLLOW_UP.data_end)


def test_stays_ending_after_the_data_end_are_not_leavers():
    follow_up = FollowUp(data_end=pd.Timestamp("2021-12-31"))
    cohort = build_leaver_cohort(_children(), _stays(), follow_up)
    assert list(cohort["stay_id"]) == ["S1", "S2"]


def test_time_to_event_censors_at_data_end_death_and_18():
    cohort = build_leaver_cohort(_children(), _stays(), FOLLOW_UP, deaths=pd.Series({"C": pd.Timestamp("2024-01-15")}))
    events = pd.DataFrame(
        {
            "child_id": ["A", "A", "B"],
            # A's first referral is before the discharge (ignored); the second is 2020-10-01.
            "referral_date": pd.to_datetime(["2019-12-01", "2020-10-01", "2022-06-01"]),
        }
    )
    result = time_to_event(cohort, events, date_column="referral_date", censor_at_18=True).set_index(cohort["stay_id"])
    assert result.loc["S1"].tolist() == [(pd.Timestamp("2020-10-01") - pd.Timestamp("2020-04-01")).days, 1, "event"]
    # B's event in June 2022 comes after B turned 18 (January 2022): censored at 18.
    assert result.loc["S2"].tolist() == [(pd.Timestamp("2022-01-01") - pd.Timestamp("2021-09-30")).days, 0, "age_18"]
    # C died on 15 January 2024, before the data end and before 18.
    assert result.loc["S3"].tolist() == [(pd.Timestamp("2024-01-15") - pd.Timestamp("2023-12-01")).days, 0, "death"]


def test_time_to_event_horizon_and_no_age_censoring():
    cohort = build_leaver_cohort(_children(), _stays(), FOLLOW_UP)
    events = pd.DataFrame({"child_id": ["B"], "referral_date": pd.to_datetime(["2022-06-01"])})
    result = time_to_event(cohort, events, date_column="referral_date", horizon_months=6).set_index(cohort["stay_id"])
    # Without censoring at 18, B's event (8 months after exit) is beyond the 6-month horizon.
    assert result.loc["S2", "event"] == 0 and result.loc["S2", "censor_reason"] == "horizon"
    assert result.loc["S2", "duration_days"] == (pd.Timestamp("2022-03-30") - pd.Timestamp("2021-09-30")).days
    unbounded = time_to_event(cohort, events, date_column="referral_date").set_index(cohort["stay_id"])
    assert unbounded.loc["S2", "event"] == 1


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [("2006-05-01", "2020-04-30", 13), ("2006-05-01", "2020-05-01", 14), ("2004-01-01", "2021-12-31", 17)],
)
def test_age_in_whole_years(born, on, age):
    assert age_in_years(pd.Series(pd.to_datetime([born])), pd.Series(pd.to_datetime([on]))).iloc[0] == age


def test_age_bands_cover_10_to_17_and_label_the_rest():
    assert age_band(pd.Series([9, 10, 13, 14, 15, 16, 17, 18])).tolist() == [
        "other",
        "10-13",
        "10-13",
        "14-15",
        "14-15",
        "16-17",
        "16-17",
        "other",
    ]


def test_windows_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        FollowUp(data_end=pd.Timestamp("2024-03-31"), windows_months=(0, 12))
