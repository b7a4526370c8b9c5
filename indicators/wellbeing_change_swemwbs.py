"""Change in SWEMWBS wellbeing from admission to discharge (Table 6, short term: wellbeing)."""

from __future__ import annotations

import pandas as pd

from indicators.wellbeing_change_sdq import scores_at_admission_and_discharge
from outcomes.contract import codes
from outcomes.contract.tables import Wellbeing
from outcomes.indicator import LEAVER_NEEDS, Declaration, IndicatorData, MeanChangeIndicator, uses


class WellbeingChangeSwemwbs(MeanChangeIndicator):
    declaration = Declaration(
        code="wellbeing_change_swemwbs",
        title="Change in SWEMWBS wellbeing, admission to discharge",
        term="short",
        table6_outcome="Well-being of placed children",
        definition=(
            "Mean change in the Short Warwick-Edinburgh Mental Wellbeing Scale (7 to 35) from admission to "
            "discharge, for stays that ended in the period with both scores."
        ),
        numerator="Not applicable (a mean of paired differences).",
        denominator="Stays ended in the period with a SWEMWBS score at admission and at discharge.",
        unit="SWEMWBS points",
        polarity="higher_is_better",
        needs=(
            *LEAVER_NEEDS,
            uses(Wellbeing, Wellbeing.stay_id, Wellbeing.instrument, Wellbeing.score, Wellbeing.timing),
        ),
        source="Table 6 of the 2022 report; SWEMWBS (higher is better).",
        caveats=(
            "Only stays measured twice count.",
            "No comparison group: change during a stay is not the effect of the stay.",
        ),
    )

    def before_after(self, data: IndicatorData) -> pd.DataFrame:
        return scores_at_admission_and_discharge(data, codes.WellbeingInstrument.SWEMWBS)
