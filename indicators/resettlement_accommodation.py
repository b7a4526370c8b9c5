"""Leavers in suitable accommodation 6 and 12 months after leaving (Table 6, long term: resettlement)."""

from __future__ import annotations

import pandas as pd

from outcomes.contract import codes
from outcomes.contract.tables import CareLeavers
from outcomes.indicator import LEAVER_NEEDS, Declaration, IndicatorData, ProportionIndicator, uses


def with_care_leaver_record(data: IndicatorData, field: str) -> pd.DataFrame:
    """Leavers followed to the window with an OC3 record in it that records ``field``."""
    followed = data.annual_record_at("care_leavers", data.window_months)
    return followed[followed[field].notna()]


def care_leaver_coverage(data: IndicatorData, units: pd.DataFrame) -> list[str]:
    followed = data.annual_record_at("care_leavers", data.window_months)
    return [
        f"{data.window_months} months: {len(units)} of {len(followed)} leavers followed that far had an OC3 "
        "record with this field; the others (not care leavers, not in touch, or not linked) are left out"
    ]


class ResettlementAccommodation(ProportionIndicator):
    declaration = Declaration(
        code="resettlement_accommodation",
        title="Suitable accommodation after leaving",
        term="long",
        table6_outcome="Resettlement and community reintegration",
        definition=(
            "Of leavers with a care-leaver (SSDA903 OC3) record around 6 or 12 months after discharge, "
            "the share whose accommodation was recorded as suitable."
        ),
        numerator="Leavers whose OC3 accommodation code ends in 1 (suitable).",
        denominator="Leavers followed to the window with an OC3 accommodation recorded for it.",
        unit="%",
        polarity="higher_is_better",
        needs=(
            *LEAVER_NEEDS,
            uses(CareLeavers, CareLeavers.child_id, CareLeavers.period_end, CareLeavers.accommodation),
        ),
        windows=(6, 12),
        source="Table 6 of the 2022 report; SSDA903 OC3 ACCOM suitability suffix.",
        caveats=(
            "OC3 is an annual return at 31 March: the record used is the one dated within six months either "
            "side of the 6- or 12-month point.",
            "Only care leavers have OC3 records; children who were not looked after are not in the figure.",
        ),
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        return with_care_leaver_record(data, CareLeavers.accommodation)

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[CareLeavers.accommodation].map(lambda code: codes.CareLeaverAccommodation(code).suitable)

    def run_notes(self, data: IndicatorData, units: pd.DataFrame) -> list[str]:
        return care_leaver_coverage(data, units)
