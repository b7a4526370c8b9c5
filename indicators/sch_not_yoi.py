"""Remand and justice children placed in a secure children's home rather than a YOI (Table 6, short term)."""

from __future__ import annotations

import pandas as pd

from outcomes.contract import codes
from outcomes.contract.tables import Referrals
from outcomes.indicator import REFERRAL_NEEDS, Declaration, IndicatorData, ProportionIndicator, uses


class SchRatherThanYoi(ProportionIndicator):
    declaration = Declaration(
        code="sch_not_yoi",
        title="Secure children's home rather than a YOI",
        term="short",
        table6_outcome="Children placed in SCHs instead of YOIs",
        definition=(
            "Of remand and justice referrals made in the period that ended in a secure children's home or a "
            "young offender institution, the share placed in a secure children's home."
        ),
        numerator="Remand and justice referrals placed in a secure children's home.",
        denominator="Remand and justice referrals placed in a secure children's home or a YOI.",
        unit="%",
        polarity="higher_is_better",
        needs=(*REFERRAL_NEEDS, uses(Referrals, Referrals.placed, Referrals.alternative_setting)),
        breakdowns=("all", "pathway", "sex", "age_band"),
        source="Table 6 of the 2022 report (stakeholders asked for it); referrals table.",
        caveats=(
            "Secure training centres and secure schools are left out of both counts.",
            "Age, sex and offence drive where the Youth Custody Service places a child: compare within age bands.",
        ),
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        referrals = data.referrals
        custodial = referrals[referrals[Referrals.pathway].isin([codes.Pathway.REMAND, codes.Pathway.JUSTICE])]
        placed = custodial[Referrals.placed].fillna(False).astype(bool)
        yoi = custodial[Referrals.alternative_setting].eq(codes.AlternativeSetting.YOI).fillna(False).astype(bool)
        return custodial[placed | yoi]

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[Referrals.placed].fillna(False).astype(bool)
