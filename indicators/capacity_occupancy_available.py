"""Occupancy of available places at 31 March (context)."""

from __future__ import annotations

import pandas as pd

from indicators.capacity_occupancy import OCCUPANCY_MISLEADS
from outcomes.contract.tables import HomeCapacity
from outcomes.indicator import Declaration, IndicatorData, ProportionIndicator, uses


class CapacityOccupancyAvailable(ProportionIndicator):
    declaration = Declaration(
        code="capacity_occupancy_available",
        title="Occupancy of available places",
        term="context",
        table6_outcome="Context: supply of secure places",
        definition=(
            "Children accommodated at 31 March as a share of places available (staffed and open), "
            "rather than of places approved."
        ),
        numerator="Children accommodated at 31 March.",
        denominator="Places available at 31 March.",
        unit="%",
        polarity="no_judgement",
        needs=(
            uses(
                HomeCapacity,
                HomeCapacity.urn,
                HomeCapacity.snapshot_date,
                HomeCapacity.places_available,
                HomeCapacity.children_accommodated,
            ),
        ),
        breakdowns=("all", "home"),
        source="DfE SA1; the 2022 report's argument that approved places overstate supply.",
        caveats=(
            OCCUPANCY_MISLEADS,
            "Even available places may be held open for a child's staffing needs; this is closer to, not equal to, "
            "the usable capacity.",
        ),
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        capacity = data.capacity
        return capacity.assign(weight=capacity[HomeCapacity.places_available])

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[HomeCapacity.children_accommodated]
