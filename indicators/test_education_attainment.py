import pytest

from indicators._handmade import total, two_stays
from indicators.education_attainment import EducationAttainment


def test_mean_attainment8_of_leavers_of_age_by_hand() -> None:
    """Both children were born May 2007, so year 11 was academic year 2022/23 (ended 31 August 2023, before the
    data end), the year both left or later. Their 2022/23 scores 30 and 41 count; b's 2021/22 score of 90 is
    the wrong year. Mean 35.5; differences from it +-5.5, sd 7.778, se 5.5; t(0.975, 1 df) = 12.706, so the
    interval is 35.5 +- 69.88."""
    education = [
        {"record_id": "e1", "child_id": "a", "academic_year": 2022, "attainment8": 30.0},
        {"record_id": "e2", "child_id": "b", "academic_year": 2022, "attainment8": 41.0},
        {"record_id": "e3", "child_id": "b", "academic_year": 2021, "attainment8": 90.0},
    ]
    row = total(EducationAttainment(), two_stays(education=education))
    assert (row["denominator"], row["value"]) == (2, 35.5)
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((35.5 - 69.884, 35.5 + 69.884), abs=1e-3)


def test_a_childs_score_counts_once_however_many_stays() -> None:
    """Both stays are child a's (s1 left 2022-06-01, s2 2022-07-01 to 2022-12-01; born May 2007, year 11 in 2022/23, the year
    of both discharges or later). a's one score of 30 counts once: mean 30 over 1 child. Counting it per stay,
    as before, gave 2 units."""
    education = [{"record_id": "e1", "child_id": "a", "academic_year": 2022, "attainment8": 30.0}]
    row = total(
        EducationAttainment(),
        two_stays(education=education, stays={"s2": {"child_id": "a", "admission_date": "2022-07-01"}}),
    )
    assert (row["time_period"], row["denominator"], row["value"]) == ("2022-23", 1, 30.0)
