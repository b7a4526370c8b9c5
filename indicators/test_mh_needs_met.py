from indicators._handmade import total, two_stays
from indicators.mh_needs_met import MentalHealthNeedsMet


def test_needs_met_by_hand() -> None:
    assessments = [
        {
            "assessment_id": "m1",
            "stay_id": "s1",
            "assessment_date": "2022-05-02",
            "need_identified": True,
            "need_met": True,
        },
        {
            "assessment_id": "m2",
            "stay_id": "s2",
            "assessment_date": "2022-05-02",
            "need_identified": True,
            "need_met": False,
        },
    ]
    row = total(MentalHealthNeedsMet(), two_stays(mental_health=assessments))
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 2, 50.0)
