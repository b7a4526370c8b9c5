from indicators._handmade import total, two_stays
from indicators.education_attendance import EducationAttendance


def test_not_persistently_absent_in_first_full_year_by_hand() -> None:
    """a left 2022-06-01 (academic year 2021/22), so its first full year is 2022/23: 92.5% attended, not
    persistently absent. b left 2022-12-01 (in 2022/23), so its first full year is 2023/24, ended 31 August 2024
    before the data end of 30 September 2024: 85%, persistently absent. b's 99% in 2022/23 is the year it left
    and does not count. 1 of 2 = 50%."""
    education = [
        {"record_id": "e1", "child_id": "a", "academic_year": 2022, "attendance_pct": 92.5},
        {"record_id": "e2", "child_id": "b", "academic_year": 2023, "attendance_pct": 85.0},
        {"record_id": "e3", "child_id": "b", "academic_year": 2022, "attendance_pct": 99.0},
    ]
    row = total(EducationAttendance(), two_stays(education=education, data_end="2024-09-30"))
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 2, 50.0)


def test_a_year_not_yet_ended_is_not_counted() -> None:
    """With the data end at 31 March 2024, b's first full year (2023/24) has not ended: only a counts, 1 of 1."""
    education = [
        {"record_id": "e1", "child_id": "a", "academic_year": 2022, "attendance_pct": 92.5},
        {"record_id": "e2", "child_id": "b", "academic_year": 2023, "attendance_pct": 85.0},
    ]
    row = total(EducationAttendance(), two_stays(education=education))
    assert (row["numerator"], row["denominator"]) == (1, 1)


def test_two_stays_with_the_same_first_full_year_count_once() -> None:
    """Child a left twice in academic year 2021/22 (s1 2022-04-01 to 2022-05-01; s2 2022-05-10 to 2022-08-01), so
    both stays' first full year is 2022/23: the one record (92.5%) counts once, 1 of 1. Before, 2 of 2."""
    education = [{"record_id": "e1", "child_id": "a", "academic_year": 2022, "attendance_pct": 92.5}]
    stays = {
        "s1": {"admission_date": "2022-04-01", "discharge_date": "2022-05-01"},
        "s2": {"child_id": "a", "admission_date": "2022-05-10", "discharge_date": "2022-08-01"},
    }
    row = total(EducationAttendance(), two_stays(education=education, stays=stays))
    assert (row["numerator"], row["denominator"]) == (1, 1)
