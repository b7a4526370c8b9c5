"""Availability of approved places at 31 March (context)."""

from __future__ import annotations

from indicators._capacity import OCCUPANCY_MISLEADS, CapacityShare, capacity_needs
from outcomes.contract.tables import HomeCapacity
from outcomes.indicator import Declaration


class CapacityAvailability(CapacityShare):
    # Places are not people: home-level counts of places are published by DfE and disclose no child.
    disclosive = False
    counted = HomeCapacity.places_available
    out_of = HomeCapacity.places_approved
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
        needs=capacity_needs(counted, out_of),
        breakdowns=("all", "home"),
        source="DfE SA1; Table 1 of the 2022 report (210 of 231 approved places available in 2021).",
        caveats=(OCCUPANCY_MISLEADS, "Counts places, not children, so it is not suppressed."),
    )
