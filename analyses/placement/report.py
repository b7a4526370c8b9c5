"""``run``: every placement model, the Table 3 comparison and the forest plots, as one result."""

from __future__ import annotations

import pandas as pd

from analyses.placement import analysis
from analyses.placement.analysis import AME_MODEL, FIRTH_MODEL, PRIMARY_MODEL
from analyses.placement.data import BEHAVIOURS, PlacementDataError
from analyses.placement.models import MIN_RESIDUAL_DF, one_blas_thread
from analyses.placement.plots import forest_plot
from analyses.placement.table3 import closeness_note, table3_comparison
from analyses.placement.truth import PlacementTruth
from analyses.results import AnalysisResult, estimates_frame, not_estimable_row
from outcomes.contract.codes import Behaviour

TITLE = "Placement in a secure children's home: regressions on presented behaviours and pathway"


def run(tables: dict[str, pd.DataFrame], settings, truth: dict | None = None) -> AnalysisResult:
    """Fit every placement model on ``tables`` and gather estimates, tables, figures and notes.

    Parameters
    ----------
    tables : the loaded contract tables (``referrals``, ``children``; ``stays`` for previous placements).
    settings : :class:`outcomes.config.Settings` (referral years, suppression threshold).
    truth : the synthetic generator's ``truth.json``, to fill ``true_value``.

    Bad input (a behaviour nobody presents, a year with no referrals, a local
    authority with one referral) gives ``not_estimable`` rows and notes, never a
    traceback; a missing table or column raises :class:`PlacementDataError`
    with a message naming it.
    """
    with one_blas_thread():
        return _run(tables, settings, truth)


def _run(tables: dict[str, pd.DataFrame], settings, truth: dict | None) -> AnalysisResult:
    threshold = int(settings.suppression_threshold)
    placement_truth = PlacementTruth(truth) if truth and "placement_model" in truth else None
    fits = analysis.fit_models(tables, first_year=settings.start_year, last_year=settings.end_year)
    frame, welfare = fits.data.frame, fits.welfare
    notes: list[str] = []
    rows: list[dict] = []

    if welfare.empty:
        raise PlacementDataError(
            f"no welfare referral through the SWCU from {settings.start_year} to {settings.end_year}: "
            "the placement models have nothing to fit."
        )
    missing_years = sorted(set(range(settings.start_year, settings.end_year + 1)) - set(welfare["year"]))
    for year in missing_years:
        rows.append(not_estimable_row(PRIMARY_MODEL, f"year[{year}]", f"not estimable: no SWCU referral in {year}"))
        notes.append(f"No welfare referral through the SWCU in {year}: that year has no estimates.")

    primary = fits.fits.get(PRIMARY_MODEL)
    for name, fit in fits.fits.items():
        if fit is None:
            rows.append(not_estimable_row(name, "all", f"not estimable: {fits.failures[name]}"))
            continue
        if name in ("logit_ycs",):
            continue
        # Only correctly specified models have the generator's parameters as their truth: the pooled, count and
        # pathway models average over the generator's yearly effects (and routes), so no single true value exists.
        specified = name in (PRIMARY_MODEL, "logit_interactions")
        rows += analysis.logit_rows(fit, threshold, placement_truth if specified else None)
        if name == PRIMARY_MODEL:
            rows += analysis.logit_rows(fit, threshold, placement_truth, model=FIRTH_MODEL, firth=True)
            rows += analysis.ame_rows(fit, welfare, threshold, placement_truth)
        notes += fit.notes
        if fit.df_resid < MIN_RESIDUAL_DF:
            notes.append(f"{name}: {fit.df_resid} residual degrees of freedom, below {MIN_RESIDUAL_DF}: withheld.")
    lpm_rows, lpm_notes, lpm_summary = analysis.lpm_rows(welfare, threshold)
    rows += lpm_rows
    notes += lpm_notes
    rows += analysis.standardised_rows(fits, threshold, placement_truth)
    rows += analysis.days_rows(frame, threshold, placement_truth)
    estimates = estimates_frame(rows)

    table3 = table3_comparison(frame, threshold)
    tables_out = {
        "table3_comparison": table3,
        "placement_model_comparison": analysis.comparison_table(fits, lpm_summary),
    }
    if primary is not None:
        withheld = set(estimates.loc[(estimates["model"] == PRIMARY_MODEL) & (estimates["status"] != "ok"), "term"])
        errors = analysis.standard_error_table(primary)
        tables_out["placement_standard_errors"] = errors[~errors["term"].isin(withheld)].reset_index(drop=True)

    notes = _notes(fits, primary, threshold, placement_truth, table3) + notes
    figures = {}
    pooled_rows = estimates[(estimates["model"] == "logit_pooled") & (estimates["status"] == "ok")]
    if not pooled_rows.empty:
        figures["placement_forest_odds_ratios"] = forest_plot(
            pooled_rows, "Odds ratio of being placed (one effect per behaviour, 95% CI)", log_scale=True
        )
    ame = estimates[(estimates["model"] == AME_MODEL) & (estimates["status"] == "ok")]
    if not ame.empty:
        figures["placement_forest_marginal_effects"] = forest_plot(
            ame, "Average change in the chance of being placed (percentage points, 95% CI)", log_scale=False
        )
    return AnalysisResult(
        name="placement", title=TITLE, estimates=estimates, tables=tables_out, figures=figures, notes=notes
    )


def _notes(fits, primary, threshold, truth, table3) -> list[str]:
    late = [Behaviour(b).label for b in BEHAVIOURS if fits.welfare[b].isna().any()]
    notes = [
        "Outcome: a referral placed in a secure children's home (placed = true) against one placed elsewhere "
        "(an alternative setting). Population: welfare referrals through the SWCU (the route of Table 3) made "
        f"from {fits.welfare['year'].min()} to {fits.welfare['year'].max()}, except the pathway comparison, which "
        "adds Youth Custody Service referrals.",
        "Covariates: age at referral in whole years from the first day of the birth month (the contract holds the "
        "month of birth only); female (SSDA903 sex code 2); previous secure placement = any earlier admission to a "
        f"secure children's home (from the {fits.data.previous_source} table); one intercept per year.",
        "Behaviours not recorded before 2020 ("
        + (", ".join(late) if late else "none in these data")
        + "): handled as a not-recorded category. Their flag is 0 in the years that do not record them and those "
        "years' intercepts absorb the not-recorded category, so their effects are estimated from 2020 on only "
        "while every other effect uses every year.",
        f"{PRIMARY_MODEL} lets each behaviour's effect differ by year (term behaviour[year]), as the synthetic "
        "generator's model does (it is fitted to Table 3 year by year); logit_pooled gives one effect per behaviour "
        "across years, a weighted average of the yearly effects, which is easier to read but has no single true "
        "value in the synthetic data.",
        "Standard errors: clustered by the child's responsible local authority (statsmodels, small-sample "
        "corrected). A child belongs to one local authority, so clustering two ways by local authority and by "
        "child equals clustering by local authority; placement_standard_errors shows the model-based and "
        "child-clustered standard errors beside it.",
        f"{FIRTH_MODEL}: Firth's penalised likelihood (firthmodels), with Wald intervals from the penalised "
        "information. Separation is detected by linear programming (Konis 2007); where it is found the "
        f"{PRIMARY_MODEL} row is not estimable and the {FIRTH_MODEL} row gives a finite estimate.",
        f"Output checks (as trusted research environments apply to regressions): every model keeps at least "
        f"{MIN_RESIDUAL_DF} residual degrees of freedom; an estimate whose 2 x 2 table with placement (within its "
        f"year or the referrals that record it) has a cell of 1 to {threshold} referrals is withheld and shown as "
        "not estimable, as is a Table 3 cell whose count presenting, placed or not placed is 1 to "
        f"{threshold}.",
        "logit_interactions adds, to the by-year model, the pairwise interactions of "
        + ", ".join(Behaviour(b).label.lower() for b in analysis.HARDEST_TO_PLACE)
        + " (the behaviours the 2022 report names hardest to place); logit_behaviour_count replaces the behaviours "
        "by their number.",
        "pathway_standardised compares the share placed through the SWCU (welfare) and the YCS (remand and "
        "justice) had every referral, with all routes' behaviours and characteristics, come through each "
        "(g-computation from each route's own logistic model: logit_by_year for the SWCU); logit_pathway gives the odds ratios of remand and "
        "justice against welfare from one model with common behaviour effects.",
        closeness_note(table3),
    ]
    excluded = "; ".join(f"{reason}: {count}" for reason, count in fits.data.excluded.items())
    if excluded:
        notes.append(f"Referrals left out: {excluded}.")
    if primary is not None:
        if primary.separated:
            notes.append(f"{PRIMARY_MODEL}: separation in {', '.join(primary.separated)}.")
        if primary.dropped:
            notes.append(
                f"{PRIMARY_MODEL}: not estimable: "
                + "; ".join(f"{term} ({why})" for term, why in primary.dropped.items())
                + "."
            )
    ycs = fits.fits.get("logit_ycs")
    if ycs is not None and ycs.dropped:
        notes.append(
            "pathway_standardised: the YCS model cannot estimate "
            + "; ".join(f"{term} ({why})" for term, why in ycs.dropped.items())
            + ". Standardising YCS placement to welfare referrals therefore extrapolates: it takes such a "
            "behaviour to make no difference on the youth justice route."
        )
    if truth is not None:
        notes.append(
            "true_value: the synthetic generator's parameter on the same scale (odds ratio, percentage points); "
            "for ame_by_year the generator's average discrete change over the same referrals; for "
            "pathway_standardised the generator's welfare model averaged over all referrals and the YCS's fixed shares; "
            "none for logit_pooled, logit_behaviour_count, logit_pathway and lpm_fe, which average over the "
            "generator's yearly effects (or routes) and so have no single true value."
        )
    return notes
