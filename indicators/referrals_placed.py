"""Share of referrals for a secure place that ended in a placement (Table 6, short term: placement demand)."""

from __future__ import annotations

import pandas as pd

from outcomes.contract.tables import Referrals
from outcomes.indicator import REFERRAL_NEEDS, Declaration, IndicatorData, ProportionIndicator, uses


class ReferralsPlaced(ProportionIndicator):
    declaration = Declaration(
        code="referrals_placed",
        title="Referrals placed in a secure children's home",
        term="short",
        table6_outcome="Meeting placement demand",
        definition="Of referrals for a secure children's home place made in the period, the share placed in one.",
        numerator="Referrals placed in a secure children's home.",
        denominator="Referrals made in the period with a recorded decision.",
        unit="%",
        polarity="higher_is_better",
        needs=(*REFERRAL_NEEDS, uses(Referrals, Referrals.placed)),
        breakdowns=("all", "pathway", "sex", "age_band"),
        source="Table 6 of the 2022 report; Table 3 (SWCU welfare referrals placed: 36% to 46% in 2017-2021).",
        caveats=(
            "Counts referrals, not children: a child referred again after a refusal counts each time.",
            "Welfare referrals go through the SWCU, remand and justice referrals through the Youth Custody "
            "Service, whose block contracts and alternatives (YOIs) make its placement rate not comparable.",
        ),
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        referrals = data.referrals
        return referrals[referrals[Referrals.placed].notna()]

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[Referrals.placed].astype(bool)
