"""Leavers in education, employment or training 6 and 12 months after leaving (Table 6, long term: resettlement)."""

from __future__ import annotations

import pandas as pd

from indicators.resettlement_accommodation import care_leaver_coverage, with_care_leaver_record
from outcomes.contract import codes
from outcomes.contract.tables import CareLeavers
from outcomes.indicator import LEAVER_NEEDS, Declaration, IndicatorData, ProportionIndicator, uses


class ResettlementEet(ProportionIndicator):
    declaration = Declaration(
        code="resettlement_eet",
        title="In education, employment or training after leaving",
        term="long",
        table6_outcome="Resettlement and community reintegration",
        definition=(
            "Of leavers with a care-leaver (SSDA903 OC3) record around 6 or 12 months after discharge, the share "
            "in education, employment or training."
        ),
        numerator="Leavers whose OC3 activity is an F or P code (education, employment or training).",
        denominator="Leavers followed to the window with an OC3 activity recorded for it.",
        unit="%",
        polarity="higher_is_better",
        needs=(*LEAVER_NEEDS, uses(CareLeavers, CareLeavers.child_id, CareLeavers.period_end, CareLeavers.activity)),
        windows=(6, 12),
        source="Table 6 of the 2022 report; SSDA903 OC3 ACTIV.",
        caveats=(
            "OC3 is an annual return at 31 March: the record used is the one dated within six months either "
            "side of the 6- or 12-month point.",
            "Only care leavers have OC3 records.",
        ),
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        return with_care_leaver_record(data, CareLeavers.activity)

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[CareLeavers.activity].map(lambda code: codes.CareLeaverActivity(code).in_eet)

    def run_notes(self, data: IndicatorData, units: pd.DataFrame) -> list[str]:
        return care_leaver_coverage(data, units)
