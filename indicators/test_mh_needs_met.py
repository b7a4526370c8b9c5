from indicators._handmade import total, two_stays
from indicators.mh_needs_met import MentalHealthNeedsMet

ASSESSED = {"assessment_date": "2022-05-02", "need_identified": True}


def test_needs_met_by_hand() -> None:
    """s1 (left 2022-06-01): need met, treatment began 2022-05-20, before discharge. s2 (left 2022-12-01): need not
    met. 1 of 2 = 50%."""
    assessments = [
        {**ASSESSED, "assessment_id": "m1", "stay_id": "s1", "need_met": True, "need_met_date": "2022-05-20"},
        {**ASSESSED, "assessment_id": "m2", "stay_id": "s2", "need_met": False},
    ]
    row = total(MentalHealthNeedsMet(), two_stays(mental_health=assessments))
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 2, 50.0)


def test_a_need_met_only_after_discharge_is_not_met_and_an_undated_one_is_left_out() -> None:
    """s1 left 2022-06-01 and its treatment began 2022-07-01, after it left: not met. s2's need is recorded as met
    with no date: unknown, so s2 leaves the denominator. 0 of 1. (The code before version 2.0 read only need_met
    and gave 2 of 2.) A treatment starting on the discharge day itself counts (s1 moved to 2022-06-01: 1 of 1)."""
    assessments = [
        {**ASSESSED, "assessment_id": "m1", "stay_id": "s1", "need_met": True, "need_met_date": "2022-07-01"},
        {**ASSESSED, "assessment_id": "m2", "stay_id": "s2", "need_met": True, "need_met_date": None},
    ]
    row = total(MentalHealthNeedsMet(), two_stays(mental_health=assessments))
    assert (row["numerator"], row["denominator"]) == (0, 1)
    assessments[0]["need_met_date"] = "2022-06-01"
    row = total(MentalHealthNeedsMet(), two_stays(mental_health=assessments))
    assert (row["numerator"], row["denominator"]) == (1, 1)
