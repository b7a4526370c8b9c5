import pytest

from indicators._handmade import total, two_stays
from indicators.self_harm_rate import SelfHarmRate
from indicators.self_harm_rate_poisson import SelfHarmRatePoisson
from outcomes import statistics

HARM = {"incident_type": "self_harm"}


def test_rate_per_1000_nights_by_hand() -> None:
    incidents = [
        {**HARM, "incident_id": "i1", "stay_id": "s1", "incident_date": "2022-05-03"},
        {**HARM, "incident_id": "i2", "stay_id": "s2", "incident_date": "2022-06-03"},
        {"incident_id": "i3", "stay_id": "s2", "incident_date": "2022-07-03", "incident_type": "restraint"},
    ]
    row = total(SelfHarmRate(), two_stays(incidents=incidents))
    # 2 self-harm incidents over 31 + 214 = 245 nights: 8.163 per 1,000 nights.
    assert (row["numerator"], row["denominator"]) == (2, 245)
    assert round(row["value"], 3) == 8.163


def test_interval_is_widened_by_the_dispersion_of_childrens_counts() -> None:
    """a: 31 nights, 12 incidents; b: 214 nights, 2 incidents. Rate r = 14/245. Expected counts 1.771 and 12.229;
    Pearson X^2 = (12 - 1.771)^2/1.771 + (2 - 12.229)^2/12.229 = 59.06 + 8.56 = 67.62, over 1 degree of freedom: phi = 67.62.
    The interval is the exact one for 14/phi = 0.207 events, times phi, per 1,000 nights: far wider than the
    Byar interval for 14 events that self_harm_rate_poisson (and the code before version 2.0) publishes."""
    incidents = [
        {**HARM, "incident_id": f"i{k}", "stay_id": "s1" if k < 12 else "s2", "incident_date": "2022-05-20"}
        for k in range(14)
    ]
    data = two_stays(incidents=incidents)
    row, plain = total(SelfHarmRate(), data), total(SelfHarmRatePoisson(), data)
    expected = [14 * nights / 245 for nights in (31, 214)]
    phi = sum((o - e) ** 2 / e for o, e in zip((12, 2), expected, strict=True)) / 1
    assert phi == pytest.approx(67.62, abs=0.01)
    assert row["note"] == f"Pearson dispersion across children {phi:.2f}"
    _, lower, upper = statistics.poisson_rate_interval(14 / phi, 245 / phi, 1000)
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((float(lower), float(upper)))
    _, byar_lower, byar_upper = statistics.poisson_rate_interval(14, 245, 1000)
    assert (plain["ci_lower"], plain["ci_upper"]) == pytest.approx((float(byar_lower), float(byar_upper)))
    assert row["value"] == plain["value"] == pytest.approx(1000 * 14 / 245)
    assert row["ci_upper"] - row["ci_lower"] > 3 * (plain["ci_upper"] - plain["ci_lower"])


def test_two_stays_of_one_child_are_one_cluster() -> None:
    """Both stays belong to child a (s2 moved to 2022-07-01 to 2022-12-01), so there is one cluster: phi cannot be estimated and is 1 (the Byar interval),
    where treating the stays as independent would give a dispersion of its own."""
    incidents = [
        {**HARM, "incident_id": f"i{k}", "stay_id": "s1" if k < 12 else "s2", "incident_date": "2022-07-20"}
        for k in range(14)
    ]
    stays = {"s2": {"child_id": "a", "admission_date": "2022-07-01"}}
    row = total(SelfHarmRate(), two_stays(incidents=incidents, stays=stays))
    assert row["note"] == "Pearson dispersion across children 1.00"
    _, lower, upper = statistics.poisson_rate_interval(14, 31 + 153, 1000)
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((float(lower), float(upper)))
