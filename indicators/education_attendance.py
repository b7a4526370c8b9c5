"""Leavers not persistently absent in the academic year after leaving (Table 6, long term: education)."""

from __future__ import annotations

import pandas as pd

from outcomes.contract.tables import Education
from outcomes.indicator import (
    LEAVER_NEEDS,
    Declaration,
    IndicatorData,
    ProportionIndicator,
    academic_year,
    education_in_year,
    uses,
)

PERSISTENT_ABSENCE_BELOW = 90.0
"""DfE's persistent absence: missing 10% or more of possible sessions."""


ONE_CHILD_YEAR = (
    "Each child-year counts once: a child whose two stays have the same first full academic year after discharge "
    "(two stays ending in one academic year) is counted once, under the stay that ended first."
)


def first_full_academic_year(data: IndicatorData) -> pd.DataFrame:
    """Leavers whose first full academic year after discharge has ended by the data end, with its record.

    One row per child and academic year: of several stays whose first full year is the same, the one that
    ended first (then the smaller ``stay_id``) is kept, so one education record is never counted twice.
    """
    leavers = data.leavers
    year = academic_year(leavers["index_date"]) + 1
    year_end = pd.to_datetime((year + 1).astype(str) + "-08-31")
    followed = leavers[(year_end <= leavers["follow_up_end"]).to_numpy()]
    units = education_in_year(data, followed, year[followed.index])
    units = units.sort_values(["index_date", "stay_id"], kind="stable")
    return units.drop_duplicates(["child_id", "academic_year"]).sort_values("stay_id", kind="stable")


class EducationAttendance(ProportionIndicator):
    declaration = Declaration(
        code="education_attendance",
        title="Not persistently absent after leaving",
        term="long",
        table6_outcome="Educational attainment",
        definition=(
            "Of leavers with school attendance recorded for the first full academic year after discharge, "
            "the share attending at least 90% of possible sessions (not persistently absent)."
        ),
        numerator="Children with attendance of 90% or more in that year.",
        denominator=(
            "Children (each child and academic year once) with attendance recorded for the first full academic "
            "year after a discharge in the period, where that academic year ended on or before the data end."
        ),
        unit="%",
        polarity="higher_is_better",
        needs=(
            *LEAVER_NEEDS,
            uses(Education, Education.child_id, Education.academic_year, Education.attendance_pct),
        ),
        source="Table 6 of the 2022 report; school census attendance (DfE persistent absence threshold).",
        caveats=("Attendance is recorded for pupils of compulsory school age only.", ONE_CHILD_YEAR),
        version="1.1",
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        units = first_full_academic_year(data)
        return units[units[Education.attendance_pct].notna()]

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[Education.attendance_pct] >= PERSISTENT_ABSENCE_BELOW
