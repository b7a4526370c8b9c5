"""Leavers not in custody 6 and 12 months after leaving (Table 6, long term: resettlement)."""

from __future__ import annotations

from indicators._oc3 import OC3_COVERAGE, OC3_DEFINITION, OC3_DENOMINATOR, OC3_MATCHING, OC3RecordIndicator, oc3_needs
from outcomes.contract import codes
from outcomes.contract.tables import CareLeavers
from outcomes.indicator import Declaration


class ResettlementNotInCustody(OC3RecordIndicator):
    field = CareLeavers.accommodation
    declaration = Declaration(
        code="resettlement_not_in_custody",
        title="Not in custody after leaving",
        term="long",
        table6_outcome="Resettlement and community reintegration",
        definition=OC3_DEFINITION.format(share="whose accommodation was not custody"),
        numerator="Leavers in the denominator whose OC3 accommodation is not an X code (in custody).",
        denominator=OC3_DENOMINATOR.format(field="accommodation"),
        unit="%",
        polarity="higher_is_better",
        needs=oc3_needs(CareLeavers.accommodation),
        windows=(6, 12),
        source="Table 6 of the 2022 report; SSDA903 OC3 ACCOM (X1, X2 in custody).",
        version="1.1",
        caveats=(
            OC3_COVERAGE,
            OC3_MATCHING,
            "A snapshot around a birthday: custody between two birthdays is not seen.",
            "Youth justice records would cover leavers who were never looked after; they are not in the contract.",
        ),
    )

    def counts(self, code: str) -> bool:
        return not codes.CareLeaverAccommodation(code).in_custody
