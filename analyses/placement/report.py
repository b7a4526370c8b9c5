"""``run``: every placement model, the Table 3 comparison and the forest plots, as one result."""

from __future__ import annotations

import re

import pandas as pd

from analyses.placement import analysis
from analyses.placement.analysis import AME_MODEL, FIRTH_MODEL, PRIMARY_MODEL
from analyses.placement.data import BEHAVIOURS, PlacementDataError
from analyses.placement.models import MIN_RESIDUAL_DF, one_blas_thread
from analyses.placement.plots import forest_plot
from analyses.placement.table3 import ALL_REFERRALS, closeness_note, table3_comparison
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
    totals_published = _year_totals_published(table3)
    estimates = publishable_counts(estimates, fits, lpm_summary, totals_published)
    comparison = analysis.comparison_table(fits, lpm_summary)
    if not totals_published:
        comparison[["n", "events"]] = pd.NA
    tables_out = {
        "table3_comparison": table3,
        "placement_model_comparison": comparison,
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
            pooled_rows,
            "Odds ratio of being placed (one effect per behaviour, 95% CI)",
            log_scale=True,
            axis_label="Odds ratio of being placed (log scale)",
        )
    ame = estimates[(estimates["model"] == AME_MODEL) & (estimates["status"] == "ok")]
    if not ame.empty:
        figures["placement_forest_marginal_effects"] = forest_plot(
            ame,
            "Average change in the chance of being placed (percentage points, 95% CI)",
            log_scale=False,
            axis_label="Change in the chance of being placed (percentage points)",
        )
    return AnalysisResult(
        name="placement", title=TITLE, estimates=estimates, tables=tables_out, figures=figures, notes=notes
    )


CELL_MODELS = (PRIMARY_MODEL, FIRTH_MODEL, "logit_interactions")
"""Models whose behaviour[year] rows rest on exactly one Table 3 cell (a behaviour within one year)."""

_CELL_TERM = re.compile(r"^(?P<behaviour>[a-z_]+)\[(?P<year>\d{4})\]$")


def _year_totals_published(table3: pd.DataFrame) -> bool:
    """Whether Table 3 publishes every year's all-referrals row (so sums of them disclose nothing new)."""
    totals = table3[table3["behaviour"] == ALL_REFERRALS]
    return bool((~totals["suppressed"].astype(bool) | totals["referred_n"].isna()).all())


def publishable_counts(estimates: pd.DataFrame, fits, lpm_summary: dict | None, totals_published: bool) -> pd.DataFrame:
    """The ``n`` and ``events`` each estimate row may publish without undoing Table 3's suppression.

    Rule (it closes differencing by construction): a row publishes its own
    counts only when they are exactly one Table 3 cell, a behaviour within one
    year (``behaviour[year]`` of :data:`CELL_MODELS`), which Table 3 publishes
    or suppresses by the same rule (every cell of its 2 x 2 table with
    placement within the year above the threshold), so it adds nothing Table 3
    does not already show. Every other row (pooled over years or over
    referrals: ``logit_pooled``, ``ame_by_year``, ``lpm_fe``, the covariates,
    counts, interactions, pathways) publishes no ``events`` and, as ``n``,
    only the number of referrals its model is fitted on or averaged over:
    a sum of whole years' all-referrals rows of Table 3 (published only while
    every one of those rows is), which cannot be split into a behaviour's
    cells. A pooled count per behaviour minus the published years' cells would
    otherwise give a suppressed year's cell exactly.
    """
    estimates = estimates.copy()
    cell = estimates["model"].isin(CELL_MODELS) & estimates["term"].str.fullmatch(_CELL_TERM.pattern)
    totals = {name: fit.n for name, fit in fits.fits.items() if fit is not None}
    if FIRTH_MODEL not in totals and PRIMARY_MODEL in totals:
        totals[FIRTH_MODEL] = totals[PRIMARY_MODEL]
    if lpm_summary is not None:
        totals["lpm_fe"] = lpm_summary["n"]
    aggregate = ~cell
    estimates["n"] = estimates["n"].astype("Float64")
    estimates["events"] = estimates["events"].astype("Float64")
    # ame_by_year, pathway_standardised and days_to_placement rows already carry the number averaged over.
    own_total = estimates["model"].isin([AME_MODEL, "pathway_standardised", "days_to_placement"])
    fitted_on = estimates["model"].map(totals).astype("Float64")
    estimates.loc[aggregate & ~own_total & estimates["n"].notna(), "n"] = fitted_on
    estimates.loc[aggregate, "events"] = pd.NA
    if not totals_published:
        estimates.loc[aggregate, "n"] = pd.NA
    for column in ("n", "events"):
        estimates[column] = estimates[column].round().astype("Int64")
    return estimates


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
        "justice) had every referral of a reference population come through each (g-computation from each "
        "route's own logistic model: logit_by_year for the SWCU), for three references: all referrals (terms "
        "without a suffix), SWCU referrals ([reference=swcu]) and YCS referrals ([reference=ycs]). The gap "
        "depends on the reference mix: YCS referrals are mostly older boys, and the welfare model's sex and age "
        "effects, applied to them, lower their predicted welfare placement, so the gap is widest with YCS "
        "referrals as reference and narrowest with SWCU referrals; the all-referrals figure is a mixture of the "
        "two. Offending behaviour, present in every YCS referral, is not recorded and cannot be adjusted for, so "
        "no reference makes the routes' referrals comparable. logit_pathway gives the odds ratios of remand and "
        "justice against welfare from one model with common behaviour effects.",
        "Counts in placement_estimates (disclosure against Table 3): a row's n and events are its own 2 x 2 cell "
        "counts only for behaviour[year] rows of logit_by_year, firth_by_year and logit_interactions, which are "
        "exactly one Table 3 cell, published or suppressed by the same rule. Every other row (pooled over years "
        "or referrals: logit_pooled, ame_by_year, lpm_fe, covariates, counts, interactions, pathways) gives no "
        "events and, as n, the number of referrals its model is fitted on (ame_by_year: the referrals averaged "
        "over, those recording the flag, not the number presenting it; pathway_standardised: the reference "
        "population; days_to_placement: placed referrals with an admission), a sum of whole years that cannot be "
        "split into a behaviour's cells. Otherwise a pooled count minus the published years' Table 3 cells would "
        "give a suppressed cell exactly. If any year's all-referrals row of Table 3 is suppressed these totals "
        "are withheld too.",
        "Table 3 rows with referred_n 0 and a blank share placed are behaviours recorded that year that no "
        "referral presented (the share of none is undefined); their note says so.",
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
            "pathway_standardised the generator's welfare model averaged over the reference population and the YCS's "
            "fixed shares by pathway averaged over YCS referrals (the generator has no YCS placement model for a "
            "welfare referral); "
            "none for logit_pooled, logit_behaviour_count, logit_pathway and lpm_fe, which average over the "
            "generator's yearly effects (or routes) and so have no single true value."
        )
    return notes
