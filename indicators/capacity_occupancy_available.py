"""Occupancy of available places at 31 March (context)."""

from __future__ import annotations

from indicators._capacity import OCCUPANCY_MISLEADS, CapacityShare, capacity_needs
from outcomes.contract.tables import HomeCapacity
from outcomes.indicator import Declaration


class CapacityOccupancyAvailable(CapacityShare):
    counted = HomeCapacity.children_accommodated
    out_of = HomeCapacity.places_available
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
        needs=capacity_needs(counted, out_of),
        breakdowns=("all", "home"),
        source="DfE SA1; the 2022 report's argument that approved places overstate supply.",
        caveats=(
            OCCUPANCY_MISLEADS,
            "Even available places may be held open for a child's staffing needs; this is closer to, not equal to, "
            "the usable capacity.",
        ),
    )
