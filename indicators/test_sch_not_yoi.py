from indicators._handmade import REFERRAL, rows, total, two_stays
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


def test_a_child_counts_once_and_in_the_numerator_if_ever_placed_in_a_secure_home() -> None:
    """Child a: remand referral r1 sent to a YOI (2022-04-01), then justice referral r2 placed in a secure home
    (2022-08-01). Child b: two remand referrals sent to a YOI. Children, not referrals: a counts once, placed
    (1 of 2 children = 50%), under the pathway of its first referral (remand). Counting referrals, as before
    version 2.0, gave 1 of 4 = 25%."""
    custodial = {**REFERRAL, "route": "ycs"}
    yoi = {"placed": False, "alternative_setting": "yoi"}
    referrals = [
        {**custodial, **yoi, "referral_id": "r1", "child_id": "a", "referral_date": "2022-04-01", "pathway": "remand"},
        {**custodial, "referral_id": "r2", "child_id": "a", "referral_date": "2022-08-01", "pathway": "justice",
         "placed": True},
        {**custodial, **yoi, "referral_id": "r3", "child_id": "b", "referral_date": "2022-05-01", "pathway": "remand"},
        {**custodial, **yoi, "referral_id": "r4", "child_id": "b", "referral_date": "2022-09-01", "pathway": "remand"},
    ]  # fmt: skip
    data = two_stays(referrals=referrals)
    row = total(SchRatherThanYoi(), data)
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 2, 50.0)
    pathways = rows(SchRatherThanYoi(), data, "pathway")
    assert pathways[["numerator", "denominator"]].to_dict("index") == {"remand": {"numerator": 1, "denominator": 2}}
