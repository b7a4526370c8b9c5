from indicators._handmade import REFERRAL, rows, total, two_stays
from indicators.placed_by_behaviour import PlacedByBehaviour

REFERRALS = [
    # Calendar year 2022. r3 came through the Youth Custody Service, not the SWCU; r4 has no decision yet.
    {**REFERRAL, "referral_id": "r1", "child_id": "a", "referral_date": "2022-04-01", "placed": True,
     "self_harm": True, "absconding": True},
    {**REFERRAL, "referral_id": "r2", "child_id": "b", "referral_date": "2022-06-01", "placed": False,
     "self_harm": True, "absconding": False},
    {**REFERRAL, "referral_id": "r3", "child_id": "b", "referral_date": "2022-07-01", "placed": True,
     "route": "ycs", "pathway": "remand", "self_harm": True},
    {**REFERRAL, "referral_id": "r4", "child_id": "a", "referral_date": "2022-08-01", "placed": None,
     "self_harm": False},
]  # fmt: skip


def test_share_placed_by_behaviour_by_hand() -> None:
    """SWCU referrals with a decision in 2022: r1 (placed) and r2 (not). All: 1 of 2. Self-harm presented by
    both: 1 of 2. Absconding presented by r1 only: 1 of 1. No other behaviour was recorded, so no other cell."""
    data = two_stays(referrals=REFERRALS)
    row = total(PlacedByBehaviour(), data)
    assert (row["time_period"], row["numerator"], row["denominator"]) == ("2022", 1, 2)
    cells = rows(PlacedByBehaviour(), data, "behaviour")
    assert sorted(cells.index) == ["absconding", "self_harm"]
    assert (cells.loc["self_harm", "numerator"], cells.loc["self_harm", "denominator"]) == (1, 2)
    assert (cells.loc["absconding", "numerator"], cells.loc["absconding", "denominator"]) == (1, 1)
