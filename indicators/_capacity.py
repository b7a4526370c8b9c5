"""What the three capacity indicators share: a ratio of two counts of the SA1 snapshot at 31 March.

Each is children or places of one kind as a share of places of another kind,
summed over homes (the denominator count is each home's weight), so the figure
for all homes is the ratio of the totals, as DfE's SA1 statistics give it.
"""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from outcomes.contract.tables import HomeCapacity
from outcomes.indicator import IndicatorData, ProportionIndicator, uses

OCCUPANCY_MISLEADS = (
    "Occupancy alone misleads about supply. The 2022 report found low occupancy alongside unmet demand: homes "
    "close beds they cannot staff, and one child with high needs can take the staff of several places, so a home "
    "can be full at a fraction of its approved places. Read occupancy with availability, placement demand met "
    "(referrals_placed) and occupancy of available places."
)


def capacity_needs(counted: str, out_of: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The SA1 snapshot columns an indicator of ``counted`` out of ``out_of`` reads."""
    return (uses(HomeCapacity, HomeCapacity.urn, HomeCapacity.snapshot_date, out_of, counted),)


class CapacityShare(ProportionIndicator):
    """``counted`` as a share of ``out_of``, two counts of each home's snapshot (columns of ``HomeCapacity``).

    A subclass declares itself and names the two columns; nothing else.
    """

    counted: ClassVar[str]
    """The column summed in the numerator."""
    out_of: ClassVar[str]
    """The column summed in the denominator."""

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        capacity = data.capacity
        return capacity.assign(weight=capacity[self.out_of])

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[self.counted]
