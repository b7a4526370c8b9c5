"""Leavers not in custody 6 and 12 months after leaving (Table 6, long term: resettlement)."""

from __future__ import annotations

import pandas as pd

from indicators.resettlement_accommodation import care_leaver_coverage, with_care_leaver_record
from outcomes.contract import codes
from outcomes.contract.tables import CareLeavers
from outcomes.indicator import LEAVER_NEEDS, Declaration, IndicatorData, ProportionIndicator, uses


class ResettlementNotInCustody(ProportionIndicator):
    declaration = Declaration(
        code="resettlement_not_in_custody",
        title="Not in custody after leaving",
        term="long",
        table6_outcome="Resettlement and community reintegration",
        definition=(
            "Of leavers with a care-leaver (SSDA903 OC3) record around 6 or 12 months after discharge, "
            "the share whose accommodation was not custody."
        ),
        numerator="Leavers whose OC3 accommodation is not an X code (in custody).",
        denominator="Leavers followed to the window with an OC3 accommodation recorded for it.",
        unit="%",
        polarity="higher_is_better",
        needs=(
            *LEAVER_NEEDS,
            uses(CareLeavers, CareLeavers.child_id, CareLeavers.period_end, CareLeavers.accommodation),
        ),
        windows=(6, 12),
        source="Table 6 of the 2022 report; SSDA903 OC3 ACCOM (X1, X2 in custody).",
        caveats=(
            "A snapshot at 31 March: a child in custody between two returns is not seen.",
            "Only care leavers have OC3 records; youth justice records would cover the others.",
        ),
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        return with_care_leaver_record(data, CareLeavers.accommodation)

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return ~units[CareLeavers.accommodation].map(lambda code: codes.CareLeaverAccommodation(code).in_custody)

    def run_notes(self, data: IndicatorData, units: pd.DataFrame) -> list[str]:
        return care_leaver_coverage(data, units)
