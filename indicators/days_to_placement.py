"""Days from referral to placement (Table 6, short term: placement demand)."""

from __future__ import annotations

import pandas as pd

from outcomes.contract.tables import Referrals, Stays
from outcomes.indicator import REFERRAL_NEEDS, Declaration, DurationIndicator, IndicatorData, uses


class DaysToPlacement(DurationIndicator):
    declaration = Declaration(
        code="days_to_placement",
        title="Days from referral to placement",
        term="short",
        table6_outcome="Meeting placement demand",
        definition=(
            "Median days from the referral to admission, for referrals made in the period that ended in a "
            "placement; where no stay names the referral, the decision date stands in for admission."
        ),
        numerator="Not applicable (a median).",
        denominator="Placed referrals made in the period with an admission or decision date.",
        unit="days",
        polarity="lower_is_better",
        needs=(
            *REFERRAL_NEEDS,
            uses(Referrals, Referrals.placed, Referrals.decision_date, Referrals.urn),
            uses(Stays, Stays.referral_id, Stays.admission_date),
        ),
        source="Table 6 of the 2022 report (placement demand met); referrals and stays tables.",
        caveats=("Refused referrals have no placement date and are not in this figure; read with referrals_placed.",),
    )

    def durations(self, data: IndicatorData) -> pd.DataFrame:
        referrals = data.referrals
        placed = referrals[referrals[Referrals.placed].fillna(False).astype(bool)].copy()
        stays = data.table("stays")
        admitted = stays[stays[Stays.referral_id].notna()].groupby(Stays.referral_id)[Stays.admission_date].min()
        placed_on = placed[Referrals.referral_id].map(admitted).fillna(placed[Referrals.decision_date])
        placed["duration"] = (pd.to_datetime(placed_on) - placed[Referrals.referral_date]).dt.days
        return placed
