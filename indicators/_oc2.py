"""What the three OC2 health indicators share: one flag of the SSDA903 OC2 record for the year after leaving."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from outcomes.indicator import IndicatorData, ProportionIndicator

# OC2 covers the year to 31 March: the year ending 6 to 18 months after discharge is the first of which at
# least half came after exit (a year ending sooner would describe mostly the stay itself).
MONTHS_CENTRE = 12

ONE_RECORD = (
    "Each OC2 record (one child and year to 31 March) counts once: when two stays of a child take the same "
    "record, it counts under the stay that ended first."
)


class OC2FlagIndicator(ProportionIndicator):
    """Share of leavers whose OC2 record for the year after discharge has ``flag`` true.

    A subclass declares itself and names its flag (a column of ``HealthChecks``); nothing else. The unit is
    the OC2 record (one child-year): when two stays of a child take the same record, it counts once, under the
    stay that ended first; :data:`ONE_RECORD` says so in each declaration's caveats.
    """

    flag: ClassVar[str]
    """The OC2 column counted."""

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        followed = data.annual_record_at("health_checks", MONTHS_CENTRE)
        recorded = followed[followed[self.flag].notna()]
        # Two stays can point at the same OC2 record (one child-year): count it once, under the stay that ended first.
        recorded = recorded.sort_values(["index_date", "stay_id"], kind="stable").drop_duplicates("record_id")
        return recorded.sort_values("stay_id", kind="stable")

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[self.flag].astype(bool)

    def run_notes(self, data: IndicatorData, units: pd.DataFrame) -> list[str]:
        followed = len(data.annual_record_at("health_checks", MONTHS_CENTRE))
        return [
            f"{len(units)} OC2 records (child-years) with {self.flag.upper()} recorded, from {followed} leavers "
            "followed for 18 months"
        ]
