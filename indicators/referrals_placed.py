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
        definition=(
            "Of referrals for a secure children's home place made in the period, the share placed in one, by "
            "referral route: welfare referrals through the Secure Welfare Coordination Unit (route swcu) and "
            "remand and justice referrals through the Youth Custody Service (route ycs) are published separately. "
            "The 'all' row pools every route and is the share of all referrals placed; it is not comparable "
            "over time or with either route when the mix of routes changes."
        ),
        numerator="Referrals placed in a secure children's home.",
        denominator=(
            "Every referral made in the period (the placed flag is the decision; a referral with no decision date "
            "still counts). The 'all' row pools both routes."
        ),
        unit="%",
        polarity="higher_is_better",
        needs=(*REFERRAL_NEEDS, uses(Referrals, Referrals.placed, Referrals.route)),
        breakdowns=("all", "route", "pathway", "sex", "age_band"),
        source="Table 6 of the 2022 report; Table 3 (SWCU welfare referrals placed: 36% to 46% in 2017-2021).",
        caveats=(
            "Counts referrals, not children: a child referred again after a refusal counts each time.",
            "Welfare referrals go through the SWCU, remand and justice referrals through the Youth Custody "
            "Service, whose block contracts and alternatives (YOIs) make its placement rate not comparable: "
            "read the route rows (Table 3's SWCU figures compare with route swcu), not the pooled 'all' row.",
            "The sex and age-band rows pool routes as the 'all' row does.",
        ),
        version="1.1",
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        referrals = data.referrals
        return referrals[referrals[Referrals.placed].notna()]

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[Referrals.placed].astype(bool)
