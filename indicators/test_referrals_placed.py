import pytest

from indicators._handmade import REFERRAL, rows, total, two_stays
from indicators.referrals_placed import ReferralsPlaced


def test_share_of_referrals_placed_by_hand() -> None:
    """Financial year 2022-23: r1 welfare placed, r2 welfare refused, r3 remand placed; r4 has no decision and is
    left out. All: 2 of 3 = 66.7%. Welfare 1 of 2, remand 1 of 1."""
    referrals = [
        {**REFERRAL, "referral_id": "r1", "child_id": "a", "referral_date": "2022-04-01", "placed": True},
        {**REFERRAL, "referral_id": "r2", "child_id": "b", "referral_date": "2022-05-01", "placed": False},
        {**REFERRAL, "referral_id": "r3", "child_id": "b", "referral_date": "2022-09-01", "placed": True,
         "pathway": "remand", "route": "ycs"},
        {**REFERRAL, "referral_id": "r4", "child_id": "a", "referral_date": "2023-01-01", "placed": None},
    ]  # fmt: skip
    data = two_stays(referrals=referrals)
    row = total(ReferralsPlaced(), data)
    assert (row["time_period"], row["numerator"], row["denominator"]) == ("2022-23", 2, 3)
    assert row["value"] == pytest.approx(200 / 3)
    pathways = rows(ReferralsPlaced(), data, "pathway")
    assert pathways[["numerator", "denominator"]].to_dict("index") == {
        "remand": {"numerator": 1, "denominator": 1},
        "welfare": {"numerator": 1, "denominator": 2},
    }


def test_routes_are_published_apart() -> None:
    """Welfare referrals come through the SWCU, remand and justice through the YCS: the route rows keep them
    apart (swcu 1 of 2, ycs 1 of 1), where the pooled 'all' row mixes them (2 of 3). Before version 1.1 there
    were no route rows."""
    referrals = [
        {**REFERRAL, "referral_id": "r1", "child_id": "a", "referral_date": "2022-04-01", "placed": True},
        {**REFERRAL, "referral_id": "r2", "child_id": "b", "referral_date": "2022-05-01", "placed": False},
        {**REFERRAL, "referral_id": "r3", "child_id": "b", "referral_date": "2022-09-01", "placed": True,
         "pathway": "remand", "route": "ycs"},
    ]  # fmt: skip
    routes = rows(ReferralsPlaced(), two_stays(referrals=referrals), "route")
    assert routes[["numerator", "denominator"]].to_dict("index") == {
        "swcu": {"numerator": 1, "denominator": 2},
        "ycs": {"numerator": 1, "denominator": 1},
    }
