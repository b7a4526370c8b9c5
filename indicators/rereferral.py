"""Re-referral within 6, 12 and 24 months of leaving, allowing for censoring (Table 6, long term)."""

from __future__ import annotations

import pandas as pd

from outcomes.contract.tables import Referrals
from outcomes.indicator import LEAVER_NEEDS, RUN_WINDOWS, Declaration, IndicatorData, TimeToEventIndicator, uses


class ReReferral(TimeToEventIndicator):
    declaration = Declaration(
        code="rereferral",
        title="Re-referred within the window",
        term="long",
        table6_outcome="Re-referrals",
        definition=(
            "Share of children leaving a secure children's home in the period who were referred for a secure place "
            "again within 6, 12 or 24 months, estimated by Kaplan-Meier so that children not yet followed for the "
            "whole window count for the time they were followed."
        ),
        numerator="Re-referrals seen within the window (the estimate itself comes from the Kaplan-Meier curve).",
        denominator="Leavers in the period, each followed from discharge.",
        unit="%",
        polarity="lower_is_better",
        needs=(*LEAVER_NEEDS, uses(Referrals, Referrals.child_id, Referrals.referral_date)),
        windows=RUN_WINDOWS,
        source="Table 6 of the 2022 report; referrals table. Censoring at data end, death and 18th birthday.",
        caveats=(
            "Follow-up stops at the 18th birthday: a child cannot be referred to a secure children's home after it.",
            "The naive share (re-referred / leavers) is biased downwards for recent leavers; it is not published.",
            "Any referral counts, on any pathway, including one that was refused.",
        ),
    )

    def events(self, data: IndicatorData) -> pd.DataFrame:
        referrals = data.table("referrals")
        return referrals[[Referrals.child_id, Referrals.referral_date]].rename(
            columns={Referrals.referral_date: "event_date"}
        )
