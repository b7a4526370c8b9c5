"""Share of SWCU welfare referrals placed, by presented behaviour (context, Table 3)."""

from __future__ import annotations

import pandas as pd

from indicators.referrals_by_behaviour import BEHAVIOURS, swcu_referrals
from outcomes.contract.tables import Referrals
from outcomes.indicator import REFERRAL_NEEDS, Declaration, IndicatorData, ProportionIndicator, uses


class PlacedByBehaviour(ProportionIndicator):
    declaration = Declaration(
        code="placed_by_behaviour",
        title="Welfare referrals placed, by presented behaviour",
        term="context",
        table6_outcome="Context: presented behaviours of referred children (Table 3)",
        definition=(
            "Of welfare referrals through the Secure Welfare Coordination Unit in the calendar year presenting a "
            "behaviour, the share placed in a secure children's home."
        ),
        numerator="Referrals presenting the behaviour that were placed.",
        denominator="SWCU referrals in the year presenting the behaviour, with a decision.",
        unit="%",
        polarity="no_judgement",
        needs=(*REFERRAL_NEEDS, uses(Referrals, Referrals.route, Referrals.placed, *BEHAVIOURS)),
        breakdowns=("all", "behaviour"),
        period="calendar_year",
        source="Table 3 of the 2022 report (36% of 315 referrals placed in January to November 2021).",
        caveats=(
            "Cells overlap: a referral presenting five behaviours is in five cells.",
            "A difference between behaviours is not a cause: behaviours travel together.",
        ),
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        referrals = swcu_referrals(data)
        return referrals[referrals[Referrals.placed].notna()]

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[Referrals.placed].astype(bool)
