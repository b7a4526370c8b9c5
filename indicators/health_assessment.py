"""Health assessment in the year after leaving (Table 6, long term: health)."""

from __future__ import annotations

import pandas as pd

from outcomes.contract.tables import HealthChecks
from outcomes.indicator import LEAVER_NEEDS, Declaration, IndicatorData, ProportionIndicator, uses

# OC2 covers the year to 31 March: the year ending 6 to 18 months after discharge is the first of which at
# least half came after exit (a year ending sooner would describe mostly the stay itself).
MONTHS_CENTRE = 12


class HealthAssessment(ProportionIndicator):
    declaration = Declaration(
        code="health_assessment",
        title="Health assessment in the year after leaving",
        term="long",
        table6_outcome="Health outcomes (e.g. vaccinations and dental treatment)",
        definition=(
            "Of leavers with an SSDA903 OC2 record for the year after discharge (the year to 31 March ending 6 to 18 "
            "months after it, so that at least half of it came after exit), "
            "the share recorded as having an annual health assessment."
        ),
        numerator="Leavers whose OC2 HEALTH_ASSESSMENT flag is true.",
        denominator=(
            "Leavers followed for 18 months with an OC2 record for the year to 31 March ending 6 to 18 months after "
            "discharge that records HEALTH_ASSESSMENT (children looked after for 12 months at that 31 March)."
        ),
        unit="%",
        polarity="higher_is_better",
        needs=(
            *LEAVER_NEEDS,
            uses(HealthChecks, HealthChecks.child_id, HealthChecks.period_end, HealthChecks.health_assessment),
        ),
        source="Table 6 of the 2022 report; SSDA903 OC2 HEALTH_ASSESSMENT.",
        caveats=(
            "OC2 is returned only for children looked after for at least 12 months at 31 March; "
            "leavers outside care are not in the figure.",
            "Up to half of the OC2 year may precede discharge; a check done in the secure home late in that year "
            "counts.",
        ),
        version="1.1",
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        followed = data.annual_record_at("health_checks", MONTHS_CENTRE)
        return followed[followed[HealthChecks.health_assessment].notna()]

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[HealthChecks.health_assessment].astype(bool)

    def run_notes(self, data: IndicatorData, units: pd.DataFrame) -> list[str]:
        followed = len(data.annual_record_at("health_checks", MONTHS_CENTRE))
        return [f"{len(units)} of {followed} leavers followed for 18 months had OC2 HEALTH_ASSESSMENT recorded"]
