"""Share of SWCU welfare referrals presenting each behaviour (context, Table 3)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from outcomes.contract import codes
from outcomes.contract.tables import Referrals
from outcomes.indicator import REFERRAL_NEEDS, Declaration, IndicatorData, ProportionIndicator, uses

BEHAVIOURS = tuple(codes.Behaviour.codes())


def swcu_referrals(data: IndicatorData) -> pd.DataFrame:
    referrals = data.referrals
    return referrals[referrals[Referrals.route] == codes.Route.SWCU]


class ReferralsByBehaviour(ProportionIndicator):
    declaration = Declaration(
        code="referrals_by_behaviour",
        title="Welfare referrals by presented behaviour",
        term="context",
        table6_outcome="Context: presented behaviours of referred children (Table 3)",
        definition=(
            "Of welfare referrals through the Secure Welfare Coordination Unit in the calendar year, the share "
            "presenting each behaviour; the 'all' row is the share presenting at least one."
        ),
        numerator="Referrals presenting the behaviour.",
        denominator="SWCU referrals in the year where the behaviour was recorded.",
        unit="%",
        polarity="no_judgement",
        needs=(*REFERRAL_NEEDS, uses(Referrals, Referrals.route, *BEHAVIOURS)),
        breakdowns=("all", "behaviour"),
        period="calendar_year",
        source="Table 3 of the 2022 report (SWCU referrals, 2017 to 2021).",
        caveats=(
            "A referral presents several behaviours (7.7 on average in 2021), so the cells add to more than 100%.",
            "Criminal exploitation and disclosed abuse were recorded from 2020 only.",
            "Counts referrals; Table 3 counts children referred.",
        ),
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        return swcu_referrals(data)

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[list(BEHAVIOURS)].fillna(False).astype(bool).any(axis=1)

    def groups(self, units: pd.DataFrame, breakdown: str) -> Iterator[tuple[str, pd.DataFrame]]:
        if breakdown != "behaviour":
            yield from super().groups(units, breakdown)
            return
        # Every cell keeps all referrals where the behaviour was recorded; the flag is what is counted.
        for behaviour in BEHAVIOURS:
            recorded = units[units[behaviour].notna()]
            if len(recorded):
                yield behaviour, recorded.assign(_numerator=recorded[behaviour].astype(bool).astype(float))
