"""Availability of approved places at 31 March (context)."""

from __future__ import annotations

import pandas as pd

from indicators.capacity_occupancy import OCCUPANCY_MISLEADS
from outcomes.contract.tables import HomeCapacity
from outcomes.indicator import Declaration, IndicatorData, ProportionIndicator, uses


class CapacityAvailability(ProportionIndicator):
    # Places are not people: home-level counts of places are published by DfE and disclose no child.
    disclosive = False
    declaration = Declaration(
        code="capacity_availability",
        title="Availability of approved places",
        term="context",
        table6_outcome="Context: supply of secure places",
        definition="Places available (staffed and open) at 31 March as a share of places approved (SA1).",
        numerator="Places available at 31 March.",
        denominator="Places approved at 31 March.",
        unit="%",
        polarity="higher_is_better",
        needs=(
            uses(
                HomeCapacity,
                HomeCapacity.urn,
                HomeCapacity.snapshot_date,
                HomeCapacity.places_approved,
                HomeCapacity.places_available,
            ),
        ),
        breakdowns=("all", "home"),
        source="DfE SA1; Table 1 of the 2022 report (210 of 231 approved places available in 2021).",
        caveats=(OCCUPANCY_MISLEADS, "Counts places, not children, so it is not suppressed."),
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        capacity = data.capacity
        return capacity.assign(weight=capacity[HomeCapacity.places_approved])

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[HomeCapacity.places_available]
