"""Self-harm incidents per 1,000 nights in a secure children's home (Table 6, short term)."""

from __future__ import annotations

import pandas as pd

from outcomes.contract import codes
from outcomes.contract.tables import Incidents
from outcomes.indicator import LEAVER_NEEDS, Declaration, IndicatorData, RateIndicator, uses

CI_METHOD = (
    "quasi-Poisson: the exact (below 10) or Byar limits of O/phi, times phi, with phi the Pearson dispersion of "
    "children's incident counts about the cell's rate (at least 1)"
)


class SelfHarmRate(RateIndicator):
    cluster_column = "child_id"
    cell_columns = (*RateIndicator.cell_columns, "child_id")
    ci_method = CI_METHOD
    declaration = Declaration(
        code="self_harm_rate",
        title="Self-harm incidents per 1,000 nights",
        term="short",
        table6_outcome="Self-harm rates",
        definition="Recorded self-harm incidents during stays that ended in the period, per 1,000 nights in the home.",
        numerator="Self-harm incidents recorded during the stays.",
        denominator="Nights spent in the home in those stays (discharge date minus admission date).",
        unit="per 1,000 nights",
        polarity="lower_is_better",
        needs=(*LEAVER_NEEDS, uses(Incidents, Incidents.stay_id, Incidents.incident_type)),
        source="Table 6 of the 2022 report; incidents table of the data contract.",
        caveats=(
            "A few children account for most incidents, so the rate moves with who is placed; "
            "read it with self_harm_any (the share of children with any incident).",
            "Because incidents cluster in children, the interval allows for overdispersion: each child's incidents "
            "and nights in the cell are summed, and the Poisson interval is widened by the Pearson dispersion phi "
            "of those counts (Pearson X^2 / (children - 1), never below 1); the cell's note gives phi. "
            "self_harm_rate_poisson gives the plain exact/Byar interval, as Fingertips would, for comparison.",
            "Recording thresholds differ between homes.",
            "n counts stays; the dispersion phi is computed over children (a child's stays summed), so its degrees "
            "of freedom are the children in the cell less one.",
        ),
        version="2.0",
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        leavers = data.leavers
        return leavers.assign(exposure=leavers["length_of_stay_days"])

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        incidents = data.table("incidents")
        self_harm = incidents[incidents[Incidents.incident_type] == codes.IncidentType.SELF_HARM]
        per_stay = self_harm.groupby(Incidents.stay_id).size()
        return units["stay_id"].map(per_stay).fillna(0)
