from indicators._handmade import rows, total, two_stays
from indicators.referrals_by_behaviour import ReferralsByBehaviour
from indicators.test_placed_by_behaviour import REFERRALS


def test_share_presenting_each_behaviour_by_hand() -> None:
    """SWCU referrals in 2022: r1, r2 and r4 (r3 came through the YCS; r4 counts although undecided).
    Any behaviour: r1 and r2, 2 of 3. Self-harm recorded for all three, true for r1 and r2: 2 of 3.
    Absconding recorded for r1 (true) and r2 (false) only: 1 of 2."""
    data = two_stays(referrals=REFERRALS)
    row = total(ReferralsByBehaviour(), data)
    assert (row["time_period"], row["numerator"], row["denominator"]) == ("2022", 2, 3)
    cells = rows(ReferralsByBehaviour(), data, "behaviour")
    assert (cells.loc["self_harm", "numerator"], cells.loc["self_harm", "denominator"]) == (2, 3)
    assert (cells.loc["absconding", "numerator"], cells.loc["absconding", "denominator"]) == (1, 2)
    assert "fire_setting" not in cells.index
