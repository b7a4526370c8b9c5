from indicators._handmade import REFERRAL, total, two_stays
from indicators.days_to_placement import DaysToPlacement


def test_median_days_from_referral_to_admission_by_hand() -> None:
    """r1 (child a, 2022-04-01) led to stay s1, admitted 2022-05-01: 30 days. r2 (child b, 2022-04-21) was
    placed but no stay names it, so its decision date 2022-04-25 stands in: 4 days. r3 was refused and is not
    counted. Median of 30 and 4 = 17 days over 2 placed referrals (financial year 2022-23)."""
    referrals = [
        {**REFERRAL, "referral_id": "r1", "child_id": "a", "referral_date": "2022-04-01", "placed": True,
         "decision_date": "2022-04-10"},
        {**REFERRAL, "referral_id": "r2", "child_id": "b", "referral_date": "2022-04-21", "placed": True,
         "decision_date": "2022-04-25"},
        {**REFERRAL, "referral_id": "r3", "child_id": "b", "referral_date": "2022-04-05", "placed": False,
         "decision_date": "2022-04-06"},
    ]  # fmt: skip
    data = two_stays(referrals=referrals, stays={"s1": {"referral_id": "r1"}})
    row = total(DaysToPlacement(), data)
    assert (row["time_period"], row["denominator"], row["value"]) == ("2022-23", 2, 17.0)
