from indicators._handmade import total, two_stays
from indicators.resettlement_not_in_custody import ResettlementNotInCustody
from indicators.test_resettlement_accommodation import OLDER, around_birthdays


def test_not_in_custody_six_months_after_leaving_by_hand() -> None:
    """a's 17th-birthday row says B1 (not custody: counts); b's 18th-birthday row says X1 (custody). b's row
    for its 17th birthday, before it left, is not used. 1 of 2 = 50%."""
    care_leavers = around_birthdays("accommodation", a_17th="B1", b_17th="B1", b_18th="X1")
    row = total(ResettlementNotInCustody(), two_stays(children=OLDER, care_leavers=care_leavers), window=6)
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 2, 50.0)
