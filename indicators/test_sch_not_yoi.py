from indicators._handmade import REFERRAL, total, two_stays
from indicators.sch_not_yoi import SchRatherThanYoi


def test_share_in_a_secure_home_rather_than_a_yoi_by_hand() -> None:
    """Remand and justice referrals ending in a secure home or a YOI: r1 (remand, placed in a secure home) and
    r2 (justice, sent to a YOI). r3 (remand, went to a children's home) and r4 (welfare, YOI) are neither.
    1 of 2 = 50%."""
    custodial = {**REFERRAL, "route": "ycs"}
    referrals = [
        {**custodial, "referral_id": "r1", "child_id": "a", "referral_date": "2022-04-01", "pathway": "remand",
         "placed": True},
        {**custodial, "referral_id": "r2", "child_id": "b", "referral_date": "2022-05-01", "pathway": "justice",
         "placed": False, "alternative_setting": "yoi"},
        {**custodial, "referral_id": "r3", "child_id": "b", "referral_date": "2022-06-01", "pathway": "remand",
         "placed": False, "alternative_setting": "residential_childrens_home"},
        {**REFERRAL, "referral_id": "r4", "child_id": "a", "referral_date": "2022-07-01", "placed": False,
         "alternative_setting": "yoi"},
    ]  # fmt: skip
    row = total(SchRatherThanYoi(), two_stays(referrals=referrals))
    assert (row["time_period"], row["numerator"], row["denominator"], row["value"]) == ("2022-23", 1, 2, 50.0)
