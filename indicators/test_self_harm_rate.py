from indicators._handmade import total, two_stays
from indicators.self_harm_rate import SelfHarmRate


def test_rate_per_1000_nights_by_hand() -> None:
    incidents = [
        {"incident_id": "i1", "stay_id": "s1", "incident_date": "2022-05-03", "incident_type": "self_harm"},
        {"incident_id": "i2", "stay_id": "s2", "incident_date": "2022-06-03", "incident_type": "self_harm"},
        {"incident_id": "i3", "stay_id": "s2", "incident_date": "2022-07-03", "incident_type": "restraint"},
    ]
    row = total(SelfHarmRate(), two_stays(incidents=incidents))
    # 2 self-harm incidents over 31 + 214 = 245 nights: 8.163 per 1,000 nights.
    assert (row["numerator"], row["denominator"]) == (2, 245)
    assert round(row["value"], 3) == 8.163
