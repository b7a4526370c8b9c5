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
