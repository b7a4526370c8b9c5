"""Remand and justice children placed in a secure children's home rather than a YOI (Table 6, short term)."""

from __future__ import annotations

import pandas as pd

from outcomes.contract import codes
from outcomes.contract.tables import Referrals
from outcomes.indicator import REFERRAL_NEEDS, Declaration, IndicatorData, ProportionIndicator, period_label, uses


class SchRatherThanYoi(ProportionIndicator):
    declaration = Declaration(
        code="sch_not_yoi",
        title="Secure children's home rather than a YOI",
        term="short",
        table6_outcome="Children placed in SCHs instead of YOIs",
        definition=(
            "Of children with a remand or justice referral in the period that ended in a secure children's home or "
            "a young offender institution, the share placed in a secure children's home at least once in the period."
        ),
        numerator="Children with at least one such referral in the period placed in a secure children's home.",
        denominator=(
            "Children (each once per period) with at least one remand or justice referral in the period placed "
            "in a secure children's home or a YOI."
        ),
        unit="%",
        polarity="higher_is_better",
        needs=(*REFERRAL_NEEDS, uses(Referrals, Referrals.placed, Referrals.alternative_setting)),
        breakdowns=("all", "pathway", "sex", "age_band"),
        source="Table 6 of the 2022 report (stakeholders asked for it); referrals table.",
        caveats=(
            "A child with several such referrals in a period counts once: in the numerator if any of them was "
            "placed in a secure children's home, and under the pathway and age of their first such referral "
            "in the period.",
            "Secure training centres and secure schools are left out of both counts.",
            "Age, sex and offence drive where the Youth Custody Service places a child: compare within age bands.",
        ),
        version="2.0",
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        referrals = data.referrals
        custodial = referrals[referrals[Referrals.pathway].isin([codes.Pathway.REMAND, codes.Pathway.JUSTICE])]
        placed = custodial[Referrals.placed].fillna(False).astype(bool)
        yoi = custodial[Referrals.alternative_setting].eq(codes.AlternativeSetting.YOI).fillna(False).astype(bool)
        secure = custodial[placed | yoi].sort_values([Referrals.referral_date, Referrals.referral_id], kind="stable")
        secure = secure.assign(
            _period=period_label(secure["period_date"], self.declaration.period),
            _in_sch=secure[Referrals.placed].fillna(False).astype(bool),
        )
        any_sch = secure.groupby([Referrals.child_id, "_period"])["_in_sch"].transform("any")
        first = secure.assign(_in_sch=any_sch).drop_duplicates([Referrals.child_id, "_period"], keep="first")
        return first.sort_values(Referrals.referral_id, kind="stable")

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units["_in_sch"]
