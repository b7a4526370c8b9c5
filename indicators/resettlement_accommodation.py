"""Leavers in suitable accommodation 6 and 12 months after leaving (Table 6, long term: resettlement)."""

from __future__ import annotations

import pandas as pd

from outcomes.contract import codes
from outcomes.contract.tables import CareLeavers
from outcomes.indicator import LEAVER_NEEDS, Declaration, IndicatorData, ProportionIndicator, uses

OC3_MATCHING = (
    "Matching rule: OC3 is an annual return dated 31 March that records activity and accommodation around the "
    "young person's 17th to 21st birthday, so each record is placed at that birthday (first of the birth month) "
    "in its collection year, and the record used for the 6- or 12-month point is the one whose birthday falls "
    "within six months either side of it. A leaver counts only once that return is due (the 12 months around the "
    "point and its collection year have ended by the data end)."
)
OC3_COVERAGE = (
    "Who is in the denominator: care leavers only. DfE collects OC3 for young people who were looked after for "
    "13 weeks or more since their 14th birthday, including some time after their 16th, whose care ended before "
    "the birthday, and only at the 17th to 21st birthdays; most secure-home leavers are 14 to 16 at exit and "
    "children sentenced without being looked after have no OC3 at all. The figure describes the older, "
    "looked-after leavers, not all leavers; the run notes give how many of the leavers followed that far it covers."
)
OC3_DENOMINATOR = (
    "Leavers followed to the point whose OC3 return has a birthday within six months either side of it and records "
    "{field} (care leavers aged about 16 and a half or more at the point and in touch with the local authority)."
)


def with_care_leaver_record(data: IndicatorData, field: str) -> pd.DataFrame:
    """Leavers followed to the window point whose OC3 record, placed at its birthday, is near it and records ``field``."""
    followed = data.annual_record_at("care_leavers", data.window_months, observed="birthday")
    return followed[followed[field].notna()]


def care_leaver_coverage(data: IndicatorData, units: pd.DataFrame) -> list[str]:
    followed = data.annual_record_at("care_leavers", data.window_months, observed="birthday")
    return [
        f"{data.window_months} months: {len(units)} of {len(followed)} leavers followed that far had an OC3 record "
        f"(birthday within six months of the point) recording this field; {int(followed['has_record'].sum())} had "
        "a record at all. The others were not care leavers of OC3 age then, were not in touch, or were not linked"
    ]


class ResettlementAccommodation(ProportionIndicator):
    declaration = Declaration(
        code="resettlement_accommodation",
        title="Suitable accommodation after leaving",
        term="long",
        table6_outcome="Resettlement and community reintegration",
        definition=(
            "Of care leavers with an SSDA903 OC3 record at a birthday within six months of the point 6 or 12 months "
            "after discharge, the share whose accommodation was recorded as suitable."
        ),
        numerator="Leavers in the denominator whose OC3 accommodation code ends in 1 (suitable).",
        denominator=OC3_DENOMINATOR.format(field="accommodation"),
        unit="%",
        polarity="higher_is_better",
        needs=(
            *LEAVER_NEEDS,
            uses(CareLeavers, CareLeavers.child_id, CareLeavers.period_end, CareLeavers.accommodation),
        ),
        windows=(6, 12),
        source="Table 6 of the 2022 report; SSDA903 OC3 ACCOM suitability suffix.",
        version="1.1",
        caveats=(
            OC3_COVERAGE,
            OC3_MATCHING,
            "Young people not in touch have no accommodation recorded and are left out, not counted as unsuitable.",
        ),
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        return with_care_leaver_record(data, CareLeavers.accommodation)

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[CareLeavers.accommodation].map(lambda code: codes.CareLeaverAccommodation(code).suitable)

    def run_notes(self, data: IndicatorData, units: pd.DataFrame) -> list[str]:
        return care_leaver_coverage(data, units)
