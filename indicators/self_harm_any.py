"""Share of children who self-harmed at least once while in a secure children's home (Table 6, short term)."""

from __future__ import annotations

import pandas as pd

from outcomes.contract import codes
from outcomes.contract.tables import Incidents
from outcomes.indicator import LEAVER_NEEDS, Declaration, IndicatorData, ProportionIndicator, period_label, uses


class SelfHarmAnyChild(ProportionIndicator):
    declaration = Declaration(
        code="self_harm_any",
        title="Children with any self-harm incident",
        term="short",
        table6_outcome="Self-harm rates",
        definition=(
            "Of children who left a secure children's home in the period, the share with at least one "
            "recorded self-harm incident during their stays that ended in the period."
        ),
        numerator="Children with at least one self-harm incident.",
        denominator="Children with a stay that ended in the period (each child once).",
        unit="%",
        polarity="lower_is_better",
        needs=(*LEAVER_NEEDS, uses(Incidents, Incidents.stay_id, Incidents.incident_type)),
        source="Table 6 of the 2022 report; incidents table of the data contract.",
        caveats=(
            "A child with several stays in a period counts once, under the home, pathway and age of the last stay.",
        ),
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        leavers = data.leavers.sort_values(["index_date", "stay_id"], kind="stable")
        leavers["_period"] = period_label(leavers["period_date"], self.declaration.period)
        incidents = data.table("incidents")
        harmed_stays = incidents.loc[incidents[Incidents.incident_type] == codes.IncidentType.SELF_HARM, "stay_id"]
        leavers["_harmed"] = leavers["stay_id"].isin(harmed_stays)
        any_in_period = leavers.groupby(["child_id", "_period"])["_harmed"].transform("any")
        last = leavers.assign(_harmed=any_in_period).drop_duplicates(["child_id", "_period"], keep="last")
        return last

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units["_harmed"]
