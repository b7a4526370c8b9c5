from indicators._handmade import total, two_stays
from indicators.length_of_stay import LengthOfStay


def test_median_of_two_stays_by_hand() -> None:
    row = total(LengthOfStay(), two_stays())
    # (31 + 214) / 2 = 122.5 nights; two values are too few for a 95% order-statistic interval.
    assert (row["time_period"], row["value"], row["denominator"]) == ("2022-23", 122.5, 2)
