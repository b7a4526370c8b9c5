from indicators._handmade import total, two_stays
from indicators.education_eet import EducationEet


def test_in_eet_in_first_full_year_by_hand() -> None:
    """First full academic years after leaving: a 2022/23 (in EET), b 2023/24 (not in EET; ended 31 August 2024,
    before the data end of 30 September 2024). b's 2022/23 record (the year it left) does not count. 1 of 2."""
    education = [
        {"record_id": "e1", "child_id": "a", "academic_year": 2022, "in_eet": True},
        {"record_id": "e2", "child_id": "b", "academic_year": 2023, "in_eet": False},
        {"record_id": "e3", "child_id": "b", "academic_year": 2022, "in_eet": True},
    ]
    row = total(EducationEet(), two_stays(education=education, data_end="2024-09-30"))
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 2, 50.0)


def test_two_stays_with_the_same_first_full_year_count_once() -> None:
    """Child a left twice in 2021/22 (s1 2022-05-01, s2 2022-08-01): one 2022/23 record, counted once (before: 2)."""
    education = [{"record_id": "e1", "child_id": "a", "academic_year": 2022, "in_eet": False}]
    stays = {
        "s1": {"admission_date": "2022-04-01", "discharge_date": "2022-05-01"},
        "s2": {"child_id": "a", "admission_date": "2022-05-10", "discharge_date": "2022-08-01"},
    }
    row = total(EducationEet(), two_stays(education=education, stays=stays))
    assert (row["numerator"], row["denominator"]) == (0, 1)
