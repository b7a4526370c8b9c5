"""What the three OC2 health indicators share: one flag of the SSDA903 OC2 record for the year after leaving."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from outcomes.indicator import IndicatorData, ProportionIndicator

# OC2 covers the year to 31 March: the year ending 6 to 18 months after discharge is the first of which at
# least half came after exit (a year ending sooner would describe mostly the stay itself).
MONTHS_CENTRE = 12


class OC2FlagIndicator(ProportionIndicator):
    """Share of leavers whose OC2 record for the year after discharge has ``flag`` true.

    A subclass declares itself and names its flag (a column of ``HealthChecks``); nothing else.
    """

    flag: ClassVar[str]
    """The OC2 column counted."""

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        followed = data.annual_record_at("health_checks", MONTHS_CENTRE)
        return followed[followed[self.flag].notna()]

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[self.flag].astype(bool)

    def run_notes(self, data: IndicatorData, units: pd.DataFrame) -> list[str]:
        followed = len(data.annual_record_at("health_checks", MONTHS_CENTRE))
        return [f"{len(units)} of {followed} leavers followed for 18 months had OC2 {self.flag.upper()} recorded"]
