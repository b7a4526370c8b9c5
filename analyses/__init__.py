"""Analyses of the secure-home cohort: one package per analysis.

==========  ==========================================================  =========================
package     question                                                    command
==========  ==========================================================  =========================
survival    how soon, and for whom, does a child come back?             ``outcomes analyse survival``
placement   which referrals are placed in a secure children's home?     ``outcomes analyse placement``
effect      does a secure placement change what happens next?           ``outcomes analyse effect``
==========  ==========================================================  =========================

Every analysis returns an :class:`analyses.results.AnalysisResult`: the same
convention as the indicators (``to_frame()``, ``summary()``, numbered
``notes``), plus its figures and any extra tables.
"""

from analyses.results import ESTIMATE_COLUMNS, AnalysisResult, not_estimable_row

ANALYSES: dict[str, str] = {
    "survival": "analyses.survival",
    "placement": "analyses.placement",
    "effect": "analyses.effect",
}
"""Analysis name -> package. Each package exposes ``run(tables, settings, truth=None) -> AnalysisResult``."""

__all__ = ["ANALYSES", "ESTIMATE_COLUMNS", "AnalysisResult", "not_estimable_row"]
