"""Leavers not in custody 6 and 12 months after leaving (Table 6, long term: resettlement)."""

from __future__ import annotations

import pandas as pd

from indicators.resettlement_accommodation import (
    OC3_COVERAGE,
    OC3_DENOMINATOR,
    OC3_MATCHING,
    care_leaver_coverage,
    with_care_leaver_record,
)
from outcomes.contract import codes
from outcomes.contract.tables import CareLeavers
from outcomes.indicator import LEAVER_NEEDS, Declaration, IndicatorData, ProportionIndicator, uses


class ResettlementNotInCustody(ProportionIndicator):
    declaration = Declaration(
        code="resettlement_not_in_custody",
        title="Not in custody after leaving",
        term="long",
        table6_outcome="Resettlement and community reintegration",
        definition=(
            "Of care leavers with an SSDA903 OC3 record at a birthday within six months of the point 6 or 12 months "
            "after discharge, the share whose accommodation was not custody."
        ),
        numerator="Leavers in the denominator whose OC3 accommodation is not an X code (in custody).",
        denominator=OC3_DENOMINATOR.format(field="accommodation"),
        unit="%",
        polarity="higher_is_better",
        needs=(
            *LEAVER_NEEDS,
            uses(CareLeavers, CareLeavers.child_id, CareLeavers.period_end, CareLeavers.accommodation),
        ),
        windows=(6, 12),
        source="Table 6 of the 2022 report; SSDA903 OC3 ACCOM (X1, X2 in custody).",
        version="1.1",
        caveats=(
            OC3_COVERAGE,
            OC3_MATCHING,
            "A snapshot around a birthday: custody between two birthdays is not seen.",
            "Youth justice records would cover leavers who were never looked after; they are not in the contract.",
        ),
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        return with_care_leaver_record(data, CareLeavers.accommodation)

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return ~units[CareLeavers.accommodation].map(lambda code: codes.CareLeaverAccommodation(code).in_custody)

    def run_notes(self, data: IndicatorData, units: pd.DataFrame) -> list[str]:
        return care_leaver_coverage(data, units)
