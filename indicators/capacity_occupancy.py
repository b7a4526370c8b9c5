"""Occupancy of approved places at 31 March (context)."""

from __future__ import annotations

from indicators._capacity import OCCUPANCY_MISLEADS, CapacityShare, capacity_needs
from outcomes.contract.tables import HomeCapacity
from outcomes.indicator import Declaration


class CapacityOccupancy(CapacityShare):
    counted = HomeCapacity.children_accommodated
    out_of = HomeCapacity.places_approved
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
        needs=capacity_needs(counted, out_of),
        breakdowns=("all", "home"),
        source="DfE, Children accommodated in secure children's homes (SA1); Figure 2 of the 2022 report.",
        caveats=(OCCUPANCY_MISLEADS, "A census, not a sample: the interval describes year-to-year chance variation."),
    )
