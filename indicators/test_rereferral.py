from indicators._handmade import total, two_stays
from indicators.rereferral import ReReferral


def test_rereferral_within_six_months_by_hand() -> None:
    referral = {"pathway": "welfare", "route": "swcu", "placed": False}
    referrals = [
        # a left 2022-06-01 and was referred again 2022-09-01 (3 months); b was not referred again.
        {**referral, "referral_id": "r1", "child_id": "a", "referral_date": "2022-04-20"},
        {**referral, "referral_id": "r2", "child_id": "a", "referral_date": "2022-09-01"},
    ]
    row = total(ReReferral(), two_stays(referrals=referrals), window=6)
    # Both followed well past 6 months: 1 of 2, exactly the plain share.
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 2, 50.0)
