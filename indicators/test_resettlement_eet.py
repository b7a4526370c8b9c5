from indicators._handmade import total, two_stays
from indicators.resettlement_eet import ResettlementEet
from indicators.test_resettlement_accommodation import OLDER, around_birthdays


def test_in_eet_six_months_after_leaving_by_hand() -> None:
    """Birthdays within six months of the 6-month points (see test_resettlement_accommodation): a's 17th (F2,
    in education: counts) and b's 18th (G5, not in EET). b's 17th-birthday row, before it left, says F1 and is
    not used. 1 of 2 = 50%."""
    care_leavers = around_birthdays("activity", a_17th="F2", b_17th="F1", b_18th="G5")
    row = total(ResettlementEet(), two_stays(children=OLDER, care_leavers=care_leavers), window=6)
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 2, 50.0)
