"""Leavers in education, employment or training in the academic year after leaving (Table 6, long term)."""

from __future__ import annotations

import pandas as pd

from indicators.education_attendance import ONE_CHILD_YEAR, first_full_academic_year
from outcomes.contract.tables import Education
from outcomes.indicator import LEAVER_NEEDS, Declaration, IndicatorData, ProportionIndicator, uses


class EducationEet(ProportionIndicator):
    declaration = Declaration(
        code="education_eet",
        title="In education, employment or training (education records)",
        term="long",
        table6_outcome="Educational attainment",
        definition=(
            "Of leavers with participation recorded for the first full academic year after discharge, the share "
            "in education, employment or training during it."
        ),
        numerator="Children recorded as in education, employment or training in that year.",
        denominator=(
            "Children (each child and academic year once) with participation recorded for the first full academic "
            "year after a discharge in the period, where that academic year ended on or before the data end."
        ),
        unit="%",
        polarity="higher_is_better",
        needs=(*LEAVER_NEEDS, uses(Education, Education.child_id, Education.academic_year, Education.in_eet)),
        source="Table 6 of the 2022 report; education table (school census, ILR and destinations).",
        caveats=(
            "Covers all leavers, not only care leavers (compare resettlement_eet, which uses OC3).",
            ONE_CHILD_YEAR,
        ),
        version="1.1",
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        units = first_full_academic_year(data)
        return units[units[Education.in_eet].notna()]

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[Education.in_eet].astype(bool)
