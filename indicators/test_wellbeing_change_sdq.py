import pytest

from indicators._handmade import total, two_stays
from indicators.wellbeing_change_sdq import WellbeingChangeSdq


def measure(measurement_id, child, stay, instrument, score, date, timing):
    return {"measurement_id": measurement_id, "child_id": child, "stay_id": stay, "instrument": instrument,
            "score": score, "measured_date": date, "timing": timing}  # fmt: skip


WELLBEING = [
    measure("w1", "a", "s1", "sdq", 20.0, "2022-05-02", "admission"),
    measure("w2", "a", "s1", "sdq", 30.0, "2022-05-20", "discharge"),
    measure("w3", "a", "s1", "sdq", 14.0, "2022-05-30", "discharge"),
    measure("w4", "b", "s2", "sdq", 25.0, "2022-05-03", "admission"),
    measure("w5", "b", "s2", "sdq", 23.0, "2022-11-28", "discharge"),
    measure("w6", "a", "s1", "swemwbs", 18.0, "2022-05-02", "admission"),
    measure("w7", "a", "s1", "swemwbs", 24.0, "2022-05-30", "discharge"),
    measure("w8", "b", "s2", "swemwbs", 20.0, "2022-05-03", "admission"),
    measure("w9", "b", "s2", "swemwbs", 22.0, "2022-11-28", "discharge"),
]


def test_mean_sdq_change_by_hand() -> None:
    """s1: 20 at admission, 14 at the last discharge measure (the earlier 30 is not the last): -6.
    s2: 25 to 23: -2. Mean -4; differences from it +-2, sd 2.828, se 2; t(0.975, 1 df) = 12.706: -4 +- 25.41.
    SWEMWBS scores are another instrument and are ignored."""
    row = total(WellbeingChangeSdq(), two_stays(wellbeing=WELLBEING))
    assert (row["denominator"], row["value"]) == (2, -4.0)
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((-4 - 25.412, -4 + 25.412), abs=1e-3)
