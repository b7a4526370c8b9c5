"""Attainment 8 of leavers who reached key stage 4 age after leaving (Table 6, long term: education)."""

from __future__ import annotations

import pandas as pd

from outcomes.contract.tables import Education
from outcomes.indicator import (
    LEAVER_NEEDS,
    Declaration,
    IndicatorData,
    MeanIndicator,
    academic_year,
    education_in_year,
    uses,
)


def key_stage_4_year(birth_month: pd.Series) -> pd.Series:
    """Academic year of year 11: children born September to August sit key stage 4 together, at 15 turning 16."""
    return (birth_month.dt.year + 15 + (birth_month.dt.month >= 9).astype(int)).astype("Int64")


class EducationAttainment(MeanIndicator):
    declaration = Declaration(
        code="education_attainment",
        title="Attainment 8 where of age",
        term="long",
        table6_outcome="Educational attainment",
        definition=(
            "Mean key stage 4 Attainment 8 score of children who left a secure children's home and whose year 11 "
            "was the academic year of that discharge or a later one that has ended, among those with a score; each "
            "child's score counts once, in the period of the first such discharge."
        ),
        numerator="Not applicable (a mean).",
        denominator=(
            "Children (each once) with a discharge in or before their year 11, followed to the end of year 11, "
            "with an Attainment 8 score for that year."
        ),
        unit="Attainment 8 points",
        polarity="higher_is_better",
        needs=(*LEAVER_NEEDS, uses(Education, Education.child_id, Education.academic_year, Education.attainment8)),
        source="Table 6 of the 2022 report; key stage 4 performance data (Attainment 8, 0 to 90).",
        caveats=(
            "Children younger than year 11 at the data end are not yet of age and are left out.",
            "Children who sat no qualifications may have no score recorded and are left out; see the notes.",
            "A child with several qualifying stays counts once, under the stay that ended first (its period, home, "
            "pathway and age band).",
            "A score from the academic year of discharge counts, so exams sat while the child was still in the home "
            "(a discharge after May of year 11) are included: the figure describes the children, not only their "
            "schooling after leaving.",
        ),
        version="1.1",
    )

    def values(self, data: IndicatorData) -> pd.DataFrame:
        leavers = data.leavers
        birth_month = leavers["turns_18"] - pd.DateOffset(years=18)
        year = key_stage_4_year(birth_month)
        year_end = pd.to_datetime((year + 1).astype(str) + "-08-31")
        of_age = (year >= academic_year(leavers["index_date"])) & (year_end <= leavers["follow_up_end"])
        of_age = of_age.fillna(False).astype(bool)
        units = education_in_year(data, leavers[of_age], year[of_age])
        # One Attainment 8 score per child: keep the first qualifying stay (a score is one observation, not one per stay).
        units = units.sort_values(["index_date", "stay_id"], kind="stable").drop_duplicates("child_id")
        units = units.sort_values("stay_id", kind="stable")
        return units.assign(value=units[Education.attainment8])

    def run_notes(self, data: IndicatorData, units: pd.DataFrame) -> list[str]:
        of_age = self.values(data)
        return [f"{len(units)} of {len(of_age)} children of key stage 4 age had an Attainment 8 score"]
