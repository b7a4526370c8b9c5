from indicators._handmade import only, rows, total
from indicators.capacity_availability import CapacityAvailability

SNAPSHOTS = {
    "home_capacity": [
        {"urn": "SC000001", "snapshot_date": "2023-03-31", "places_approved": 10, "places_available": 8,
         "children_accommodated": 6},
        {"urn": "SC000002", "snapshot_date": "2023-03-31", "places_approved": 6, "places_available": 6,
         "children_accommodated": 3},
    ]
}  # fmt: skip


def test_available_share_of_approved_places_by_hand() -> None:
    """Two homes at 31 March 2023 (financial year 2022-23): (8 + 6) available of (10 + 6) approved = 87.5%;
    the first home alone 8 / 10 = 80%. Places are not children, so the default threshold hides nothing."""
    row = total(CapacityAvailability(), only(SNAPSHOTS))
    assert (row["time_period"], row["numerator"], row["denominator"], row["value"]) == ("2022-23", 14, 16, 87.5)
    assert rows(CapacityAvailability(), only(SNAPSHOTS), "home").loc["SC000001", "value"] == 80.0
    published = CapacityAvailability().compute(only(SNAPSHOTS)).to_frame()
    assert not published["suppressed"].any()
