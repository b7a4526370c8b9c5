from indicators._handmade import total, two_stays
from indicators.test_wellbeing_change_sdq import WELLBEING
from indicators.wellbeing_change_swemwbs import WellbeingChangeSwemwbs


def test_mean_swemwbs_change_by_hand() -> None:
    """s1: 18 to 24 (+6); s2: 20 to 22 (+2). Mean +4 over 2 stays; the SDQ scores are ignored."""
    row = total(WellbeingChangeSwemwbs(), two_stays(wellbeing=WELLBEING))
    assert (row["denominator"], row["value"]) == (2, 4.0)
