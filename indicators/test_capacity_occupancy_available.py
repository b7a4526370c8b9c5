import pytest

from indicators._handmade import only, total
from indicators.capacity_occupancy_available import CapacityOccupancyAvailable
from indicators.test_capacity_availability import SNAPSHOTS


def test_occupancy_of_available_places_by_hand() -> None:
    """(6 + 3) children in (8 + 6) available places = 9 / 14 = 64.29%, higher than 56.25% of approved places."""
    row = total(CapacityOccupancyAvailable(), only(SNAPSHOTS))
    assert (row["numerator"], row["denominator"]) == (9, 14)
    assert row["value"] == pytest.approx(100 * 9 / 14)
