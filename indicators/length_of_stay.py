"""Length of stay in a secure children's home (Table 6, short term)."""

from __future__ import annotations

import pandas as pd

from outcomes.indicator import LEAVER_NEEDS, Declaration, DurationIndicator, IndicatorData


class LengthOfStay(DurationIndicator):
    declaration = Declaration(
        code="length_of_stay",
        title="Length of stay",
        term="short",
        table6_outcome="Length of placement",
        definition="Median nights from admission to discharge, for stays that ended in the period.",
        numerator="Not applicable (a median).",
        denominator="Stays ended in the period.",
        unit="nights",
        polarity="no_judgement",
        needs=LEAVER_NEEDS,
        source="Table 6 of the 2022 report; DfE SA1 publishes length of stay bands at 31 March.",
        caveats=(
            "Justice stays follow the sentence or remand, welfare stays the secure accommodation order: "
            "compare within a pathway, not across.",
            "Counted over stays that ended, so the longest current stays are not yet in the figure.",
        ),
    )

    def durations(self, data: IndicatorData) -> pd.DataFrame:
        leavers = data.leavers
        return leavers.assign(duration=leavers["length_of_stay_days"])
