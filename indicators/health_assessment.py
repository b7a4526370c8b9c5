"""Health assessment in the year after leaving (Table 6, long term: health)."""

from __future__ import annotations

from indicators._oc2 import ONE_RECORD, OC2FlagIndicator
from outcomes.contract.tables import HealthChecks
from outcomes.indicator import LEAVER_NEEDS, Declaration, uses


class HealthAssessment(OC2FlagIndicator):
    flag = HealthChecks.health_assessment
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
        numerator="OC2 records (child-years) counted in the denominator whose HEALTH_ASSESSMENT flag is true.",
        denominator=(
            "OC2 records (each child-year once, under the first stay that ended) of leavers followed for 18 months with an OC2 record for the year to 31 March ending 6 to 18 months after "
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
            ONE_RECORD,
        ),
        version="1.2",
    )
