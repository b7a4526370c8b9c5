"""Which referrals are placed in a secure children's home? Regressions on presented behaviours and pathway.

``run(tables, settings, truth=None)`` returns an :class:`analyses.results.AnalysisResult`
named ``placement``:

- ``logit_by_year``: logistic regression of placed (a secure children's home,
  against an alternative setting) on the 14 behaviours with one effect per
  year, year intercepts, sex, age at referral and a previous secure placement,
  among welfare referrals through the SWCU; odds ratios with 95% CIs clustered by
  local authority (the table ``placement_standard_errors`` gives the
  model-based and child-clustered standard errors beside them);
- ``firth_by_year``: the same by Firth's penalised likelihood (finite where a
  behaviour separates);
- ``ame_by_year``: average discrete change of each flag, in percentage points;
- ``logit_pooled``: one effect per behaviour across years;
- ``logit_interactions``: the by-year model plus the pairwise interactions of
  the behaviours the report names hardest to place;
- ``logit_behaviour_count``: the number of behaviours presented;
- ``lpm_fe``: linear probability model with local-authority and year fixed effects;
- ``logit_pathway`` and ``pathway_standardised``: welfare against youth
  justice, adjusted for the behaviours (standardised to all referrals, to
  SWCU referrals and to YCS referrals: the gap depends on the reference);
- ``days_to_placement``: days from referral to admission among those placed.

Tables: ``table3_comparison`` (Table 3 rebuilt beside the published one),
``placement_model_comparison`` and ``placement_standard_errors``. Figures:
forest plots of the odds ratios and marginal effects.

Counts: an estimate row publishes its own ``n`` and ``events`` only where they
are one Table 3 cell (``behaviour[year]``); other rows give their model's total
``n`` and no ``events``, so no suppressed Table 3 cell can be worked back by
subtraction (see :func:`analyses.placement.report.publishable_counts`).
"""

from __future__ import annotations

from analyses.placement.analysis import PlacementFits, fit_models
from analyses.placement.data import PlacementDataError
from analyses.placement.report import run

__all__ = ["run", "fit_models", "PlacementFits", "PlacementDataError"]
