"""Mental-health needs met during the stay (Table 6, short term)."""

from __future__ import annotations

import pandas as pd

from outcomes.contract.tables import MentalHealth
from outcomes.indicator import LEAVER_NEEDS, Declaration, IndicatorData, ProportionIndicator, uses


class MentalHealthNeedsMet(ProportionIndicator):
    declaration = Declaration(
        code="mh_needs_met",
        title="Mental-health needs met",
        term="short",
        table6_outcome="Meeting mental health needs of placed children",
        definition=(
            "Of stays that ended in the period in which an assessment identified a mental-health need, "
            "the share in which the need was met (treatment began) before discharge."
        ),
        numerator=(
            "Stays with an identified need recorded as met (need_met true) with treatment beginning on or before "
            "the discharge date (need_met_date); a need met with no date recorded is not counted as met."
        ),
        denominator="Stays ended in the period with at least one assessment identifying a mental-health need.",
        unit="%",
        polarity="higher_is_better",
        needs=(
            *LEAVER_NEEDS,
            uses(
                MentalHealth,
                MentalHealth.stay_id,
                MentalHealth.need_identified,
                MentalHealth.need_met,
                MentalHealth.need_met_date,
            ),
        ),
        source="Table 6 of the 2022 report; mental_health table of the data contract.",
        caveats=(
            "Stays without any assessment are not in the denominator; the share assessed is itself worth watching.",
            "'Met' means treatment began; it says nothing about whether the need was resolved.",
            "Treatment that began after discharge (in the community) does not count: the home did not meet the need "
            "while the child was there. A need recorded as met without a date cannot be shown to have been met "
            "before discharge and is not counted; the notes give how many.",
        ),
        version="2.0",
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        assessments = data.table("mental_health")
        identified = assessments[assessments[MentalHealth.need_identified].fillna(False).astype(bool)]
        leavers = data.leavers
        return leavers[leavers["stay_id"].isin(identified[MentalHealth.stay_id])]

    def met_assessments(self, data: IndicatorData) -> pd.DataFrame:
        """Assessments recording a met need, with the discharge date of their stay."""
        assessments = data.table("mental_health")
        met = assessments[assessments[MentalHealth.need_met].fillna(False).astype(bool)]
        discharge = data.leavers.set_index("stay_id")["index_date"]
        return met.assign(_discharge=met[MentalHealth.stay_id].map(discharge))

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        met = self.met_assessments(data)
        before_discharge = met[MentalHealth.need_met_date] <= met["_discharge"]
        return units["stay_id"].isin(met.loc[before_discharge.fillna(False).astype(bool), MentalHealth.stay_id])

    def run_notes(self, data: IndicatorData, units: pd.DataFrame) -> list[str]:
        met = self.met_assessments(data)
        met = met[met[MentalHealth.stay_id].isin(units["stay_id"])]
        after = int((met[MentalHealth.need_met_date] > met["_discharge"]).fillna(False).sum())
        undated = int(met[MentalHealth.need_met_date].isna().sum())
        return [
            f"{after} stays whose need was met only after discharge and {undated} recorded as met without a date "
            "are counted as not met"
        ]
