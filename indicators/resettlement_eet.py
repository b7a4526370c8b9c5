"""Leavers in education, employment or training 6 and 12 months after leaving (Table 6, long term: resettlement)."""

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


class ResettlementEet(ProportionIndicator):
    declaration = Declaration(
        code="resettlement_eet",
        title="In education, employment or training after leaving",
        term="long",
        table6_outcome="Resettlement and community reintegration",
        definition=(
            "Of care leavers with an SSDA903 OC3 record at a birthday within six months of the point 6 or 12 months "
            "after discharge, the share in education, employment or training."
        ),
        numerator="Leavers in the denominator whose OC3 activity is an F or P code (education, employment or training).",
        denominator=OC3_DENOMINATOR.format(field="activity"),
        unit="%",
        polarity="higher_is_better",
        needs=(*LEAVER_NEEDS, uses(CareLeavers, CareLeavers.child_id, CareLeavers.period_end, CareLeavers.activity)),
        windows=(6, 12),
        source="Table 6 of the 2022 report; SSDA903 OC3 ACTIV.",
        version="1.1",
        caveats=(
            OC3_COVERAGE,
            OC3_MATCHING,
            "School-age leavers are not added from the education table: its participation flag covers a whole "
            "academic year, where OC3 records the activity around a birthday, and mixing the two would make the "
            "figure move with the age mix. Their participation is education_eet (first full academic year after "
            "leaving, all leavers); read the two together.",
        ),
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        return with_care_leaver_record(data, CareLeavers.activity)

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[CareLeavers.activity].map(lambda code: codes.CareLeaverActivity(code).in_eet)

    def run_notes(self, data: IndicatorData, units: pd.DataFrame) -> list[str]:
        return care_leaver_coverage(data, units)
