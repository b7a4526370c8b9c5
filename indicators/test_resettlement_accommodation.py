from indicators._handmade import total, two_stays
from indicators.resettlement_accommodation import ResettlementAccommodation

# a born September 2005: 17th birthday 2022-09-01, three months after leaving on 2022-06-01.
# b born November 2005: 17th birthday 2022-11-01 (still in the home), 18th 2023-11-01, 11 months after leaving.
OLDER = {"a": {"birth_month": "2005-09-01"}, "b": {"birth_month": "2005-11-01"}}


def oc3(record_id, child, period_end, accommodation=None, activity=None):
    return {"record_id": record_id, "child_id": child, "period_end": period_end, "in_touch": "YES",
            "accommodation": accommodation, "activity": activity}  # fmt: skip


def around_birthdays(field: str, a_17th: str, b_17th: str, b_18th: str) -> list[dict]:
    """OC3 rows of ``field`` for a's 17th birthday (year to 31 March 2023, after a left), b's 17th (same year,
    before b left, so never used) and b's 18th (year to 31 March 2024): the rows of the two 6-month points."""
    return [
        oc3("l1", "a", "2023-03-31", **{field: a_17th}),
        oc3("l2", "b", "2023-03-31", **{field: b_17th}),
        oc3("l3", "b", "2024-03-31", **{field: b_18th}),
    ]


def test_suitable_accommodation_six_months_after_leaving_by_hand() -> None:
    """Six months after leaving: a's point is 2022-12-01, and its 17th birthday (2022-09-01, OC3 year to 31 March
    2023) is within six months of it: B1, suitable. b's point is 2023-06-01; its 18th birthday (2023-11-01, OC3
    year to 31 March 2024) is within six months: D2, not suitable. b's OC3 row to 31 March 2023 is dated within
    six months of the point too, but it records b's 17th birthday, before b left, so it is not used (D1 there).
    1 of 2 = 50%."""
    care_leavers = around_birthdays("accommodation", a_17th="B1", b_17th="D1", b_18th="D2")
    row = total(ResettlementAccommodation(), two_stays(children=OLDER, care_leavers=care_leavers), window=6)
    assert (row["time_period"], row["numerator"], row["denominator"], row["value"]) == ("2022-23", 1, 2, 50.0)


def test_leavers_without_an_oc3_record_near_the_point_are_not_in_the_denominator() -> None:
    """Born May 2007, both turn 17 in May 2024. a's only OC3 row (year to 31 March 2025) records that birthday,
    not within six months of a's 6-month point (2022-12-01); b has none. Nobody is in the denominator, and the
    window says so (no_data) rather than publishing 0 of 0."""
    care_leavers = [oc3("l1", "a", "2025-03-31", accommodation="B1")]
    result = ResettlementAccommodation().compute(two_stays(care_leavers=care_leavers), threshold=0).to_frame()
    six = result[result["window_months"] == 6]
    assert list(six["status"]) == ["no_data"]
