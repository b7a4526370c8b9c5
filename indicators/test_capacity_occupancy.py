from indicators._handmade import only, total
from indicators.capacity_occupancy import CapacityOccupancy
from indicators.test_capacity_availability import SNAPSHOTS


def test_occupancy_of_approved_places_by_hand() -> None:
    """(6 + 3) children accommodated in (10 + 6) approved places = 9 / 16 = 56.25% (SA1 occupancy rate)."""
    row = total(CapacityOccupancy(), only(SNAPSHOTS))
    assert (row["time_period"], row["numerator"], row["denominator"], row["value"]) == ("2022-23", 9, 16, 56.25)
