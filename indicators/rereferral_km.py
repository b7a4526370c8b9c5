"""Sensitivity figure for re-referral: Kaplan-Meier, treating the 18th birthday as censoring."""

from __future__ import annotations

from dataclasses import replace

from indicators.rereferral import UNIT, ReReferral


class ReReferralKaplanMeier(ReReferral):
    estimator = "kaplan_meier"
    ci_method = "Kaplan-Meier; Greenwood variance on the log(-log) scale; the 18th birthday and death as censoring"
    declaration = replace(
        ReReferral.declaration,
        code="rereferral_km",
        title="Re-referred within the window, had nobody turned 18 (sensitivity)",
        table6_outcome="Sensitivity: Re-referrals (Kaplan-Meier, competing events treated as censoring)",
        definition=(
            "For comparison with rereferral only. The same children and referrals, but Kaplan-Meier 1 - S(window) "
            "with the 18th birthday and death treated as censoring: the share that would be re-referred within "
            "6, 12 or 24 months if children did not turn 18. It overstates the real-world risk, most for leavers "
            "aged 16 to 17."
        ),
        numerator="Children re-referred within the window before their 18th birthday (the estimate is 1 - S).",
        caveats=(
            UNIT,
            "Not the headline figure: children cannot be referred after 18, so this is the risk in a world where "
            "they do not grow up; use rereferral.",
            "The same rule as rereferral withholds windows with fewer than 10 children still followed at their end "
            "after some were censored (here, turning 18 counts as censoring).",
        ),
        version="2.0",
    )
