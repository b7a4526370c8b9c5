"""Leavers in education, employment or training 6 and 12 months after leaving (Table 6, long term: resettlement)."""

from __future__ import annotations

from indicators._oc3 import OC3_COVERAGE, OC3_DEFINITION, OC3_DENOMINATOR, OC3_MATCHING, OC3RecordIndicator, oc3_needs
from outcomes.contract import codes
from outcomes.contract.tables import CareLeavers
from outcomes.indicator import Declaration


class ResettlementEet(OC3RecordIndicator):
    field = CareLeavers.activity
    declaration = Declaration(
        code="resettlement_eet",
        title="In education, employment or training after leaving",
        term="long",
        table6_outcome="Resettlement and community reintegration",
        definition=OC3_DEFINITION.format(share="in education, employment or training"),
        numerator="Leavers in the denominator whose OC3 activity is an F or P code (education, employment or training).",
        denominator=OC3_DENOMINATOR.format(field="activity"),
        unit="%",
        polarity="higher_is_better",
        needs=oc3_needs(CareLeavers.activity),
        windows=(6, 12),
        source="Table 6 of the 2022 report; SSDA903 OC3 ACTIV.",
        version="1.1",
        caveats=(
            OC3_COVERAGE,
            OC3_MATCHING,
            "School-age leavers are not added from the education table: its participation flag covers a whole "
            "academic year, where OC3 records the activity around a birthday, and mixing the two would make the "
            "figure move with the age mix. Their participation is education_eet (first full academic year after "
            "leaving, all leavers); read the two together.",
        ),
    )

    def counts(self, code: str) -> bool:
        return codes.CareLeaverActivity(code).in_eet
