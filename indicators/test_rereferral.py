import pandas as pd

from indicators._handmade import REFERRAL, total, two_stays
from indicators.rereferral import ReReferral
from indicators.rereferral_km import ReReferralKaplanMeier


def test_rereferral_within_six_months_by_hand() -> None:
    referrals = [
        # a left 2022-06-01 and was referred again 2022-09-01 (3 months); b was not referred again.
        {**REFERRAL, "referral_id": "r1", "child_id": "a", "referral_date": "2022-04-20"},
        {**REFERRAL, "referral_id": "r2", "child_id": "a", "referral_date": "2022-09-01"},
    ]
    row = total(ReReferral(), two_stays(referrals=referrals), window=6)
    # Both followed well past 6 months: 1 of 2, exactly the plain share.
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 2, 50.0)


def test_turning_18_is_a_competing_event_not_censoring() -> None:
    """a (born July 2004) left 2022-06-01 and turned 18 on 2022-07-01, 30 days later, without a referral; b left
    2022-12-01 and was referred again 62 days later. Aalen-Johansen: at day 30 a's 18th birthday takes a out
    (S = 1/2); at day 62 b's referral adds S(30) x 1/1 = 1/2. Every outcome is known, so 50% is the plain share
    and is published. Kaplan-Meier (the code before version 2.0, now rereferral_km) treats a as censored; its
    curve reaches 100% from b alone, and with nobody followed to 6 months after that censoring it is not estimable."""
    referrals = [{**REFERRAL, "referral_id": "r1", "child_id": "b", "referral_date": "2023-02-01"}]
    data = two_stays(referrals=referrals, children={"a": {"birth_month": "2004-07-01"}})
    row = total(ReReferral(), data, window=6)
    assert (row["numerator"], row["denominator"], row["value"], row["status"]) == (1, 2, 50.0, "ok")
    km = total(ReReferralKaplanMeier(), data, window=6)
    assert km["status"] == "not_estimable"


def test_a_child_is_followed_once_from_the_first_exit_in_the_year() -> None:
    """Child a has both stays (s1 to 2022-06-01; s2 2022-07-01 to 2022-12-01) in 2022-23 and a referral on
    2022-06-20. The unit is a's first exit: 1 child, re-referred within 6 months, 1 of 1 = 100%. Counting stays
    (before version 2.0) gave 2 units, s2 without a later referral: 50%."""
    referrals = [{**REFERRAL, "referral_id": "r1", "child_id": "a", "referral_date": "2022-06-20"}]
    data = two_stays(referrals=referrals, stays={"s2": {"child_id": "a", "admission_date": "2022-07-01"}})
    row = total(ReReferral(), data, window=6)
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 1, 100.0)


def test_no_value_with_fewer_than_10_still_followed_after_a_censoring() -> None:
    """a left 2023-04-01 and is followed past 6 months; b left 2024-01-01 and is censored by the data end
    (2024-03-31) after 90 days. One child at risk at 6 months after a censoring: the counts are given, the value
    is not (before version 2.0 it was published as 0% from a alone)."""
    stays = {
        "s1": {"admission_date": "2023-03-01", "discharge_date": "2023-04-01"},
        "s2": {"admission_date": "2023-12-01", "discharge_date": "2024-01-01"},
    }
    row = total(ReReferral(), two_stays(stays=stays, referrals=[]), window=6)
    assert (row["time_period"], row["numerator"], row["denominator"], row["status"]) == (
        "2023-24",
        0,
        2,
        "not_estimable",
    )
    assert pd.isna(row["value"]) and pd.isna(row["ci_lower"])
