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
            "Stays in the denominator with an assessment recording the need as met (need_met true) and treatment "
            "beginning on or before the discharge date (need_met_date)."
        ),
        denominator=(
            "Stays ended in the period with at least one assessment identifying a mental-health need, except stays "
            "whose need is recorded as met only without a date (no dated treatment by discharge, at least one met "
            "record with no need_met_date): whether those were met before discharge is unknown."
        ),
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
            "while the child was there.",
            "A stay whose need is recorded as met without a date is left out (its outcome is unknown), not counted "
            "as met or unmet; the notes give how many. Counting them as met, or as unmet, bounds the figure.",
        ),
        version="2.0",
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        assessments = data.table("mental_health")
        identified = assessments[assessments[MentalHealth.need_identified].fillna(False).astype(bool)]
        leavers = data.leavers
        with_need = leavers[leavers["stay_id"].isin(identified[MentalHealth.stay_id])]
        timing = self.met_timing(data)
        unknown = timing.loc[timing["undated"] & ~timing["before_discharge"], MentalHealth.stay_id]
        return with_need[~with_need["stay_id"].isin(unknown)]

    def met_timing(self, data: IndicatorData) -> pd.DataFrame:
        """Per stay with a met need: whether treatment is dated by discharge, after it, or undated."""
        assessments = data.table("mental_health")
        met = assessments[assessments[MentalHealth.need_met].fillna(False).astype(bool)]
        discharge = met[MentalHealth.stay_id].map(data.leavers.set_index("stay_id")["index_date"])
        flags = pd.DataFrame(
            {
                MentalHealth.stay_id: met[MentalHealth.stay_id],
                "before_discharge": (met[MentalHealth.need_met_date] <= discharge).fillna(False).astype(bool),
                "after_discharge": (met[MentalHealth.need_met_date] > discharge).fillna(False).astype(bool),
                "undated": met[MentalHealth.need_met_date].isna(),
            }
        )
        return flags.groupby(MentalHealth.stay_id, as_index=False).any()

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        timing = self.met_timing(data)
        return units["stay_id"].isin(timing.loc[timing["before_discharge"], MentalHealth.stay_id])

    def run_notes(self, data: IndicatorData, units: pd.DataFrame) -> list[str]:
        timing = self.met_timing(data)
        timing = timing[timing[MentalHealth.stay_id].isin(data.leavers["stay_id"]) & ~timing["before_discharge"]]
        after = int((timing["after_discharge"] & ~timing["undated"]).sum())
        undated = int(timing["undated"].sum())
        return [
            f"{after} stays whose need was met only after discharge are counted as not met; {undated} stays whose "
            "need is recorded as met without a date are left out of the denominator"
        ]
