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
        numerator="Stays with an identified need recorded as met.",
        denominator="Stays ended in the period with at least one assessment identifying a mental-health need.",
        unit="%",
        polarity="higher_is_better",
        needs=(
            *LEAVER_NEEDS,
            uses(MentalHealth, MentalHealth.stay_id, MentalHealth.need_identified, MentalHealth.need_met),
        ),
        source="Table 6 of the 2022 report; mental_health table of the data contract.",
        caveats=(
            "Stays without any assessment are not in the denominator; the share assessed is itself worth watching.",
            "'Met' means treatment began; it says nothing about whether the need was resolved.",
        ),
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        assessments = data.table("mental_health")
        identified = assessments[assessments[MentalHealth.need_identified].fillna(False).astype(bool)]
        leavers = data.leavers
        return leavers[leavers["stay_id"].isin(identified[MentalHealth.stay_id])]

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        assessments = data.table("mental_health")
        met = assessments[assessments[MentalHealth.need_met].fillna(False).astype(bool)]
        return units["stay_id"].isin(met[MentalHealth.stay_id])
