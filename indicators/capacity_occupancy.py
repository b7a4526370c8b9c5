"""Occupancy of approved places at 31 March (context)."""

from __future__ import annotations

import pandas as pd

from outcomes.contract.tables import HomeCapacity
from outcomes.indicator import Declaration, IndicatorData, ProportionIndicator, uses

OCCUPANCY_MISLEADS = (
    "Occupancy alone misleads about supply. The 2022 report found low occupancy alongside unmet demand: homes "
    "close beds they cannot staff, and one child with high needs can take the staff of several places, so a home "
    "can be full at a fraction of its approved places. Read occupancy with availability, placement demand met "
    "(referrals_placed) and occupancy of available places."
)


class CapacityOccupancy(ProportionIndicator):
    declaration = Declaration(
        code="capacity_occupancy",
        title="Occupancy of approved places",
        term="context",
        table6_outcome="Context: supply of secure places",
        definition="Children accommodated at 31 March as a share of places approved, as DfE's SA1 occupancy rate.",
        numerator="Children accommodated at 31 March.",
        denominator="Places approved at 31 March.",
        unit="%",
        polarity="no_judgement",
        needs=(
            uses(
                HomeCapacity,
                HomeCapacity.urn,
                HomeCapacity.snapshot_date,
                HomeCapacity.places_approved,
                HomeCapacity.children_accommodated,
            ),
        ),
        breakdowns=("all", "home"),
        source="DfE, Children accommodated in secure children's homes (SA1); Figure 2 of the 2022 report.",
        caveats=(OCCUPANCY_MISLEADS, "A census, not a sample: the interval describes year-to-year chance variation."),
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        capacity = data.capacity
        return capacity.assign(weight=capacity[HomeCapacity.places_approved])

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[HomeCapacity.children_accommodated]
