from indicators._handmade import total, two_stays
from indicators.self_harm_any import SelfHarmAnyChild


def test_share_of_children_by_hand() -> None:
    incidents = [{"incident_id": "i1", "stay_id": "s2", "incident_date": "2022-06-03", "incident_type": "self_harm"}]
    row = total(SelfHarmAnyChild(), two_stays(incidents=incidents))
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 2, 50.0)
