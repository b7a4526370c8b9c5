"""The helpers that place annual returns in time (OC2 and OC3 are dated 31 March)."""

from __future__ import annotations

import pandas as pd

from outcomes.cohort import FollowUp
from outcomes.indicator import IndicatorData, birthday_in_year_to, make_table, next_march_31


def dates(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)))


def test_next_march_31_is_the_end_of_the_collection_year() -> None:
    """1 April 2023 opens the year to 31 March 2024; 31 March itself closes its own year."""
    found = next_march_31(dates("2023-04-01", "2023-03-31", "2024-01-15", "2023-12-31"))
    assert list(found.dt.strftime("%Y-%m-%d")) == ["2024-03-31", "2023-03-31", "2024-03-31", "2024-03-31"]


def test_birthday_in_the_collection_year() -> None:
    """Year to 31 March 2024 runs April 2023 to March 2024: a September birthday falls in 2023, a February
    one in 2024, an April one in 2023 and a March one on 1 March 2024."""
    found = birthday_in_year_to(
        dates("2006-09-01", "2006-02-01", "2006-04-01", "2006-03-01"), dates(*["2024-03-31"] * 4)
    )
    assert list(found.dt.strftime("%Y-%m-%d")) == ["2023-09-01", "2024-02-01", "2023-04-01", "2024-03-01"]


def test_a_return_not_yet_due_makes_a_leaver_ineligible() -> None:
    """Left 2023-01-01; the 6-month interval ends 2023-07-01, in the collection year to 31 March 2024. With the
    data at 31 December 2023 that return is not due, so the leaver is not counted (no record is not 'no')."""
    children = make_table(
        "children", [{"child_id": "a", "sex": "1", "birth_month": "2006-05-01", "ethnicity": "WBRI",
                      "local_authority": "202"}]
    )  # fmt: skip
    stays = make_table(
        "stays",
        [{"stay_id": "s1", "child_id": "a", "urn": "SC000001", "pathway": "welfare", "legal_basis": "section_25",
          "admission_date": "2022-10-01", "discharge_date": "2023-01-01", "destination": "family"}],
    )  # fmt: skip
    care_leavers = make_table("care_leavers", [])
    tables = {"children": children, "stays": stays, "care_leavers": care_leavers}
    due = IndicatorData(tables, FollowUp("2024-03-31")).annual_record_at("care_leavers", 6, observed="birthday")
    not_due = IndicatorData(tables, FollowUp("2023-12-31")).annual_record_at("care_leavers", 6, observed="birthday")
    assert (len(due), bool(due["has_record"].any())) == (1, False)
    assert len(not_due) == 0
