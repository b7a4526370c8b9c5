"""Re-referral within 6, 12 and 24 months of leaving, with turning 18 as a competing event (Table 6, long term)."""

from __future__ import annotations

import pandas as pd

from outcomes.contract.tables import Referrals
from outcomes.indicator import LEAVER_NEEDS, RUN_WINDOWS, Declaration, IndicatorData, TimeToEventIndicator, uses

UNIT = (
    "The unit is a child's first discharge in the financial year: a child who left twice in a year is followed "
    "once, from the first exit, and counts once (a child leaving in two years counts in each year). Breakdowns "
    "use that stay's pathway, home and age at exit."
)


class ReReferral(TimeToEventIndicator):
    declaration = Declaration(
        code="rereferral",
        title="Re-referred within the window",
        term="long",
        table6_outcome="Re-referrals",
        definition=(
            "Of children leaving a secure children's home in the financial year (each child once, from their first "
            "discharge in the year), the share referred for a secure place again within 6, 12 or 24 months of "
            "leaving and before their 18th birthday: the Aalen-Johansen cumulative incidence, with turning 18 and "
            "death as competing events (after them a child can no longer be referred) and follow-up censored at the "
            "data end."
        ),
        numerator=(
            "Children with a referral dated after their discharge, within the window and on or before their 18th "
            "birthday (the estimate itself is the Aalen-Johansen cumulative incidence, not this count over the "
            "denominator)."
        ),
        denominator="Children with a discharge in the financial year, each followed from their first one.",
        unit="%",
        polarity="lower_is_better",
        needs=(*LEAVER_NEEDS, uses(Referrals, Referrals.child_id, Referrals.referral_date)),
        windows=RUN_WINDOWS,
        source=(
            "Table 6 of the 2022 report; referrals table. Competing events: 18th birthday (first of the birth "
            "month plus 18 years) and death (SSDA903 REC E2); censoring at the data end."
        ),
        caveats=(
            UNIT,
            "This is the real-world risk: a child who turns 18 within the window cannot be re-referred, so older "
            "leavers have less time at risk. rereferral_km gives the risk had nobody turned 18, for comparison only.",
            "A window is given no value when fewer than 10 children are still followed at its end after some were "
            "censored by the data end (the estimate would rest on a handful of children); when nobody was censored "
            "before the window's end, the estimate is the plain share and is published whatever the number at risk.",
            "Any referral counts, on any pathway, including one that was refused.",
            "Deaths come from SSDA903 care episodes that ceased with REC E2 when the data hold care_episodes; "
            "without that table no death is known and nobody is followed as having died.",
            "The naive share (re-referred / leavers) is biased downwards for recent leavers; it is not published.",
        ),
        version="2.0",
    )

    def events(self, data: IndicatorData) -> pd.DataFrame:
        referrals = data.table("referrals")
        return referrals[[Referrals.child_id, Referrals.referral_date]].rename(
            columns={Referrals.referral_date: "event_date"}
        )
