"""Leavers in suitable accommodation 6 and 12 months after leaving (Table 6, long term: resettlement)."""

from __future__ import annotations

from indicators._oc3 import OC3_COVERAGE, OC3_DEFINITION, OC3_DENOMINATOR, OC3_MATCHING, OC3RecordIndicator, oc3_needs
from outcomes.contract import codes
from outcomes.contract.tables import CareLeavers
from outcomes.indicator import Declaration


class ResettlementAccommodation(OC3RecordIndicator):
    field = CareLeavers.accommodation
    declaration = Declaration(
        code="resettlement_accommodation",
        title="Suitable accommodation after leaving",
        term="long",
        table6_outcome="Resettlement and community reintegration",
        definition=OC3_DEFINITION.format(share="whose accommodation was recorded as suitable"),
        numerator="Leavers in the denominator whose OC3 accommodation code ends in 1 (suitable).",
        denominator=OC3_DENOMINATOR.format(field="accommodation"),
        unit="%",
        polarity="higher_is_better",
        needs=oc3_needs(CareLeavers.accommodation),
        windows=(6, 12),
        source="Table 6 of the 2022 report; SSDA903 OC3 ACCOM suitability suffix.",
        version="1.1",
        caveats=(
            OC3_COVERAGE,
            OC3_MATCHING,
            "Young people not in touch have no accommodation recorded and are left out, not counted as unsuitable.",
        ),
    )

    def counts(self, code: str) -> bool:
        return codes.CareLeaverAccommodation(code).suitable
