from indicators._handmade import total, two_stays
from indicators.health_immunisations import HealthImmunisations

FLAG = "immunisations"


def test_oc2_flag_in_the_year_after_leaving_by_hand() -> None:
    """The OC2 year used ends 6 to 18 months after discharge. a left 2022-06-01: the year to 31 March 2023
    (flag true). b left 2022-12-01: the year to 31 March 2024 (flag false); b's year to 31 March 2023 ended four
    months after it left, mostly during the stay, and is not used (it says true). a's year to 31 March 2022 is
    before it left. Data end 31 March 2025, so both are followed for 18 months. 1 of 2 = 50%."""
    health = [
        {"record_id": "h1", "child_id": "a", "period_end": "2023-03-31", FLAG: True},
        {"record_id": "h2", "child_id": "a", "period_end": "2022-03-31", FLAG: False},
        {"record_id": "h3", "child_id": "b", "period_end": "2024-03-31", FLAG: False},
        {"record_id": "h4", "child_id": "b", "period_end": "2023-03-31", FLAG: True},
    ]
    row = total(HealthImmunisations(), two_stays(health_checks=health, data_end="2025-03-31"))
    assert (row["time_period"], row["numerator"], row["denominator"], row["value"]) == ("2022-23", 1, 2, 50.0)


def test_leavers_not_followed_for_18_months_are_left_out() -> None:
    """With the data end at 31 March 2024, b (left 2022-12-01) is not followed to 1 June 2024: a alone, 1 of 1."""
    health = [
        {"record_id": "h1", "child_id": "a", "period_end": "2023-03-31", FLAG: True},
        {"record_id": "h3", "child_id": "b", "period_end": "2024-03-31", FLAG: False},
    ]
    row = total(HealthImmunisations(), two_stays(health_checks=health))
    assert (row["numerator"], row["denominator"]) == (1, 1)
