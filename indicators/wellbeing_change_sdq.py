"""Change in SDQ total difficulties from admission to discharge (Table 6, short term: wellbeing)."""

from __future__ import annotations

import pandas as pd

from outcomes.contract import codes
from outcomes.contract.tables import Wellbeing
from outcomes.indicator import LEAVER_NEEDS, Declaration, IndicatorData, MeanChangeIndicator, uses


def scores_at_admission_and_discharge(data: IndicatorData, instrument: str) -> pd.DataFrame:
    """Leavers with their first admission and last discharge score on one instrument (empty if not measured)."""
    measures = data.table("wellbeing")
    measures = measures[measures[Wellbeing.instrument] == instrument].sort_values(
        [Wellbeing.measured_date, Wellbeing.measurement_id], kind="stable"
    )
    by_timing = {
        timing: measures[measures[Wellbeing.timing] == timing].groupby(Wellbeing.stay_id)[Wellbeing.score]
        for timing in (codes.WellbeingTiming.ADMISSION, codes.WellbeingTiming.DISCHARGE)
    }
    leavers = data.leavers
    leavers["before"] = leavers["stay_id"].map(by_timing[codes.WellbeingTiming.ADMISSION].first())
    leavers["after"] = leavers["stay_id"].map(by_timing[codes.WellbeingTiming.DISCHARGE].last())
    return leavers


class WellbeingChangeSdq(MeanChangeIndicator):
    declaration = Declaration(
        code="wellbeing_change_sdq",
        title="Change in SDQ difficulties, admission to discharge",
        term="short",
        table6_outcome="Well-being of placed children",
        definition=(
            "Mean change in the Strengths and Difficulties Questionnaire total difficulties score "
            "(0 to 40) from admission to discharge, for stays that ended in the period with both scores."
        ),
        numerator="Not applicable (a mean of paired differences).",
        denominator="Stays ended in the period with an SDQ at admission and at discharge.",
        unit="SDQ points",
        polarity="lower_is_better",
        needs=(
            *LEAVER_NEEDS,
            uses(Wellbeing, Wellbeing.stay_id, Wellbeing.instrument, Wellbeing.score, Wellbeing.timing),
        ),
        source="Table 6 of the 2022 report; SDQ as in SSDA903 OC2 (higher is worse, so a fall is an improvement).",
        caveats=(
            "Only stays measured twice count; children who left in a crisis may be the ones not measured.",
            "No comparison group: change during a stay is not the effect of the stay.",
        ),
    )

    def before_after(self, data: IndicatorData) -> pd.DataFrame:
        return scores_at_admission_and_discharge(data, codes.WellbeingInstrument.SDQ)

    def run_notes(self, data: IndicatorData, units: pd.DataFrame) -> list[str]:
        leavers = len(data.leavers)
        return [f"{leavers - len(units)} of {leavers} stays lacked an SDQ score at admission or discharge"]
