"""The three OC2 health indicators (health_assessment, health_dental_check, health_immunisations) share one base,
``indicators._oc2.OC2FlagIndicator``; the same hand-made records test each, through its own flag."""

import pytest

from indicators._handmade import total, two_stays
from indicators.health_assessment import HealthAssessment
from indicators.health_dental_check import HealthDentalCheck
from indicators.health_immunisations import HealthImmunisations

OC2_INDICATORS = [HealthAssessment, HealthDentalCheck, HealthImmunisations]


def records(flag: str, *rows: tuple[str, str, str, bool]) -> list[dict]:
    return [
        {"record_id": record, "child_id": child, "period_end": period_end, flag: value}
        for record, child, period_end, value in rows
    ]


@pytest.mark.parametrize("indicator", OC2_INDICATORS, ids=lambda cls: cls.declaration.code)
def test_oc2_flag_in_the_year_after_leaving_by_hand(indicator) -> None:
    """The OC2 year used ends 6 to 18 months after discharge. a left 2022-06-01: the year to 31 March 2023
    (flag true). b left 2022-12-01: the year to 31 March 2024 (flag false); b's year to 31 March 2023 ended four
    months after it left, mostly during the stay, and is not used (it says true). a's year to 31 March 2022 is
    before it left. Data end 31 March 2025, so both are followed for 18 months. 1 of 2 = 50%."""
    health = records(
        indicator.flag,
        ("h1", "a", "2023-03-31", True),
        ("h2", "a", "2022-03-31", False),
        ("h3", "b", "2024-03-31", False),
        ("h4", "b", "2023-03-31", True),
    )
    row = total(indicator(), two_stays(health_checks=health, data_end="2025-03-31"))
    assert (row["time_period"], row["numerator"], row["denominator"], row["value"]) == ("2022-23", 1, 2, 50.0)


@pytest.mark.parametrize("indicator", OC2_INDICATORS, ids=lambda cls: cls.declaration.code)
def test_leavers_not_followed_for_18_months_are_left_out(indicator) -> None:
    """With the data end at 31 March 2024, b (left 2022-12-01) is not followed to 1 June 2024: a alone, 1 of 1."""
    health = records(indicator.flag, ("h1", "a", "2023-03-31", True), ("h3", "b", "2024-03-31", False))
    row = total(indicator(), two_stays(health_checks=health))
    assert (row["numerator"], row["denominator"]) == (1, 1)


@pytest.mark.parametrize("indicator", OC2_INDICATORS, ids=lambda cls: cls.declaration.code)
def test_one_record_taken_by_two_stays_counts_once(indicator) -> None:
    """Both stays are child a's: s1 ends 2022-09-01 and s2 2022-09-15. The year to 31 March 2023 ends 7 and 6.5
    months after them (inside 6 to 18 months for both), so both stays take record h1. One child-year counts once:
    1 of 1, under s1. (The code before this fix counted the record for each stay: 2 of 2.)"""
    health = records(indicator.flag, ("h1", "a", "2023-03-31", True))
    stays = {
        "s1": {"admission_date": "2022-08-01", "discharge_date": "2022-09-01"},
        "s2": {"child_id": "a", "admission_date": "2022-09-05", "discharge_date": "2022-09-15"},
    }
    row = total(indicator(), two_stays(health_checks=health, stays=stays, data_end="2025-03-31"))
    assert (row["numerator"], row["denominator"]) == (1, 1)
