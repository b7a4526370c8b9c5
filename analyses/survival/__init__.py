"""Survival analysis of re-referral: how soon, and for whom, does a child come back to secure accommodation?

``run(tables, settings, truth=None)`` returns an
:class:`analyses.results.AnalysisResult` named ``survival`` with

- estimates (``survival_estimates.csv``), one row per model term:

  ===================================  ==============================================================
  model                                what it is
  ===================================  ==============================================================
  piecewise_exponential                Poisson GLM, log-exposure offset, bands 0-3, 3-6, 6-12, 12-24,
                                       24+ months (the generator's form); baseline rates per month and
                                       hazard ratios; SEs clustered by child
  cox                                  cause-specific Cox model of the next referral (lifelines), the
                                       generator's terms; SEs clustered by child
  cox_baseline_cumulative_hazard       its Breslow baseline cumulative hazard at 3, 6, 12, 24 months
  cox_cluster_home                     the same, SEs clustered by home (sensitivity)
  cox_full                             plus sex, presented behaviours, destination, year of exit
  cox_length_of_stay_spline            length of stay as a natural cubic spline (ratios against 90
                                       nights; no true value: the generator's effect is a step)
  cox_next_admission                   the generator's terms, for the time to the next admission
  cox_stratified                       only when a Schoenfeld test fails: stratified on the failing terms
  andersen_gill_recurrent_referral     every referral after the first discharge, counting process
  cox_cause_specific_reaching_18       cause-specific hazard of reaching 18, stratified by age at exit
  aalen_johansen_<endpoint>            risk by 6, 12, 24 months, reaching 18 and death competing
  kaplan_meier_sensitivity_<endpoint>  the same ignoring competing events (sensitivity: overstates)
  cause_specific_implied               the risk implied by the two cause-specific Cox models
  ===================================  ==============================================================

- tables: ``cumulative_incidence`` (by endpoint, method, pathway and month,
  with the number at risk; disclosure-controlled), ``survival_ph_checks``
  (scaled Schoenfeld tests and the action taken), ``survival_phreg_agreement``
  (lifelines against statsmodels, coefficient by coefficient),
  ``survival_follow_up`` (how follow-up ended);
- figures: cumulative incidence by pathway for each endpoint, Aalen-Johansen
  against Kaplan-Meier, hazard ratios against the truth.

The time scale, the competing events and the covariate coding are described
in :mod:`analyses.survival.data`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from analyses.results import AnalysisResult, estimates_frame, not_estimable_row
from analyses.survival import data as d
from analyses.survival import incidence, models
from analyses.survival import truth as true_values

__all__ = ["run", "fit_generator_models", "GENERATOR_MODELS"]

log = logging.getLogger(__name__)

NAME = "survival"
TITLE = "Survival analysis of re-referral to secure accommodation"
PATHWAYS = ("welfare", "remand", "justice")
RISK_WINDOWS_MONTHS = (6, 12, 24)
SPLINE_DF = 3
SPLINE_CONTRASTS_NIGHTS = (30, 60, 180, 365)
SPLINE_REFERENCE_NIGHTS = 90
AT_RISK_MONTHS = (0, 6, 12, 18, 24, 30, 36)
BASELINE_MONTHS = (3, 6, 12, 24)
MIN_CLUSTERS = 30
EXTRA_TERMS = (d.FEMALE, d.BEHAVIOUR_COUNT, d.EXIT_YEAR)
GENERATOR_MODELS = ("piecewise_exponential", "cox", "cox_baseline_cumulative_hazard")
"""The models of :func:`fit_generator_models` (the rows the recovery study checks)."""


def fit_generator_models(frame: pd.DataFrame, truth: dict | None = None) -> list[dict]:
    """The piecewise-exponential and Cox models with the generator's terms (what the recovery study checks)."""
    ratios = true_values.hazard_ratios(truth)
    base = true_values.baseline(truth)
    rows = models.fit_piecewise_exponential(
        frame,
        d.GENERATOR_TERMS,
        model="piecewise_exponential",
        truth_ratios=ratios,
        truth_baseline=base[1] if base else None,
        breaks=base[0] if base else models.BAND_BREAKS_MONTHS,
    )
    cox = models.fit_cox(frame, d.GENERATOR_TERMS, model="cox", truth=ratios)
    rows += cox.rows
    rows += _cox_baseline_rows(cox, base)
    return rows


def _cox_baseline_rows(cox: models.CoxFit, base) -> list[dict]:
    """Breslow's baseline cumulative hazard of the Cox model for the reference leaver (all terms 0), no interval."""
    model = "cox_baseline_cumulative_hazard"
    terms = [f"cumulative_hazard_{m}m" for m in BASELINE_MONTHS]
    if cox.fitter is None or len(cox.fitter.params_) != len(d.GENERATOR_TERMS):
        return models.not_estimable(model, terms, "the cox model could not be fitted with every term")
    days = np.floor(np.array(BASELINE_MONTHS) * d.DAYS_PER_MONTH)
    reference = pd.DataFrame([dict.fromkeys(d.GENERATOR_TERMS, 0.0)])
    values = cox.fitter.predict_cumulative_hazard(reference, times=days).to_numpy()[:, 0]
    true = true_values.cumulative_baseline(days / d.DAYS_PER_MONTH, *base) if base else [np.nan] * len(days)
    return [
        {
            "model": model, "term": term, "estimate": float(v), "scale": "cumulative_hazard", "n": len(cox.design.frame),
            "events": cox.design.events, "true_value": float(t),
            "note": "Breslow estimate for a welfare leaver aged 15 after 90 nights or more, no plan; no interval",
        }
        for term, v, t in zip(terms, values, true, strict=True)
    ]  # fmt: skip


def run(tables: dict[str, pd.DataFrame], settings, truth: dict | None = None) -> AnalysisResult:
    """Fit every model and curve of the survival analysis (see the module docstring)."""
    threshold = int(settings.suppression_threshold)
    notes: list[str] = []
    cohort = d.leaver_frame(tables, settings.data_end)
    if cohort.empty:
        rows = [not_estimable_row("all", "all", "no leavers: no stay ended before the data end date", n=0, events=0)]
        return AnalysisResult(
            NAME, TITLE, estimates_frame(rows), tables={}, notes=["No stay ended before the data end date."]
        )
    referral = d.time_to_next(cohort, tables, d.NEXT_REFERRAL)
    admission = d.time_to_next(cohort, tables, d.NEXT_ADMISSION)
    base = true_values.baseline(truth)
    if base and list(base[0]) != list(models.BAND_BREAKS_MONTHS):
        notes.append(f"The generator's bands {base[0]} differ from the default bands; the generator's were used.")
    ratios = true_values.hazard_ratios(truth)

    rows = fit_generator_models(referral, truth)
    rows += models.fit_cox(
        referral, d.GENERATOR_TERMS, model="cox_cluster_home", cluster="urn", truth=ratios,
        note="standard errors clustered by home",
    ).rows  # fmt: skip

    homes = int(referral["urn"].nunique())
    if homes < MIN_CLUSTERS:
        notes.append(
            f"cox_cluster_home rests on {homes} homes: sandwich standard errors from fewer than {MIN_CLUSTERS} "
            "clusters are unreliable and usually too small, so read it as a sensitivity, not as a better interval."
        )
    # The fuller model of the issue: the generator's terms and the ones it leaves out (true ratio 1).
    full, destination_terms = _with_destination(referral)
    full_terms = [*d.GENERATOR_TERMS, *EXTRA_TERMS, *destination_terms]
    full_truth = {**true_values.null_ratios([*EXTRA_TERMS, *destination_terms]), **(ratios or {})} if ratios else None
    rows += models.fit_cox(full, full_terms, model="cox_full", truth=full_truth).rows
    rows += _spline_model(referral, ratios)
    rows += models.fit_cox(
        admission, d.GENERATOR_TERMS, model="cox_next_admission",
        note="next admission: the re-referral hazard times the chance of a placement; no true value",
    ).rows  # fmt: skip

    checks = models.schoenfeld_checks(referral, d.GENERATOR_TERMS)
    failing = checks.loc[~checks["proportional_hazards"].astype(bool), "term"].tolist() if len(checks) else []
    if failing:
        strata = [d.AGE_AT_EXIT if t == d.AGE_OVER_15 else t for t in failing]
        kept = [t for t in d.GENERATOR_TERMS if t not in failing]
        rows += models.fit_cox(
            referral, kept, model="cox_stratified", strata=strata, truth=ratios,
            note=f"stratified on {', '.join(strata)} (proportional hazards rejected)",
        ).rows  # fmt: skip
        notes.append(
            f"Scaled Schoenfeld residuals reject proportional hazards (p < {models.PH_TEST_ALPHA}) for "
            f"{', '.join(failing)}; model cox_stratified is stratified on them."
        )
    elif len(checks):
        notes.append(
            f"Scaled Schoenfeld residual tests (lifelines, rank of time) find no departure from proportional hazards "
            f"at p < {models.PH_TEST_ALPHA} for any term of the cox model; no action was needed."
        )
    agreement = models.phreg_agreement(referral, d.GENERATOR_TERMS)

    spells = d.spells_at_risk_of_referral(referral, admission)
    ag_rows, ag_counts = models.fit_andersen_gill(spells, tables["referrals"], d.GENERATOR_TERMS)
    rows += ag_rows
    limit_frame = referral.assign(**{d.EVENT_FLAG: (referral[d.STATUS] == d.AGE_LIMIT).astype(int)})
    limit_terms = [d.REMAND, d.JUSTICE, d.SHORT_STAY, d.PLAN]
    limit_fit = models.fit_cox(
        limit_frame, limit_terms, model="cox_cause_specific_reaching_18", strata=d.AGE_AT_EXIT,
        note="stratified by age at exit in whole years",
    )  # fmt: skip
    rows += limit_fit.rows
    event_fit = models.fit_cox(referral, d.GENERATOR_TERMS, model="cox")

    truth_risk = true_values.age_limited_risk(referral, truth, RISK_WINDOWS_MONTHS)
    curve_tables, risk_tables = [], []
    for endpoint, frame in ((d.NEXT_REFERRAL, referral), (d.NEXT_ADMISSION, admission)):
        table, curves = incidence.curves_by_pathway(
            frame, endpoint, threshold=threshold, pathways=PATHWAYS, windows=RISK_WINDOWS_MONTHS
        )
        curve_tables.append(table)
        risk_tables.append(
            incidence.numbers_at_risk(frame, endpoint, threshold=threshold, pathways=PATHWAYS, months=AT_RISK_MONTHS)
        )
        rows += _risk_rows(
            frame, curves, table, endpoint, threshold, truth_risk if endpoint is d.NEXT_REFERRAL else None
        )
    rows += _implied_rows(event_fit, limit_fit, referral, threshold, truth_risk)

    estimates = _suppress_small_counts(estimates_frame(rows), threshold)
    notes += _standard_notes(referral, ag_counts, threshold, truth is not None)
    result_tables = {
        "cumulative_incidence": pd.concat(curve_tables, ignore_index=True),
        "survival_ph_checks": checks,
        "survival_phreg_agreement": agreement,
        "survival_numbers_at_risk": pd.concat(risk_tables, ignore_index=True),
        "survival_follow_up": _follow_up_table(referral, admission, threshold),
    }
    from analyses.survival import figures

    figs = figures.make_figures(
        estimates, result_tables["cumulative_incidence"], result_tables["survival_numbers_at_risk"]
    )
    return AnalysisResult(NAME, TITLE, estimates, tables=result_tables, figures=figs, notes=notes)


def _suppress_small_counts(estimates: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Blank ``n`` and ``events`` from 1 up to the threshold, then across pathways (:func:`_secondary_suppression`)."""
    out = estimates.copy()
    for column in ("n", "events"):
        values = pd.to_numeric(out[column], errors="coerce")
        out[f"_{column}_true"] = values
        small = (values > 0) & (values <= threshold)
        out[column] = values.where(~small)
        out.loc[small, "note"] = (
            out.loc[small, "note"].astype(str) + f" ({column} of {threshold} or fewer suppressed)"
        ).str.strip()
    out = _secondary_suppression(out, threshold)
    return out.drop(columns=["_n_true", "_events_true"])


def _with_destination(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Destination as indicators against the commonest; destinations of fewer than 20 leavers pooled as ``other``."""
    destination = frame["destination"].fillna("other").astype(str)
    counts = destination.value_counts()
    destination = destination.where(destination.map(counts) >= 20, "other")
    counts = destination.value_counts()
    if counts.empty:
        return frame, []
    reference = sorted(counts.index, key=lambda c: (-counts[c], c))[0]
    terms = []
    out = frame.copy()
    for code in sorted(counts.index):
        if code == reference:
            continue
        name = f"destination_{code}_vs_{reference}"
        out[name] = (destination == code).astype(float)
        terms.append(name)
    return out, terms


def _spline_model(frame: pd.DataFrame, ratios: dict | None) -> list[dict]:
    """Length of stay as a natural cubic spline (patsy ``cr``); ratios at set lengths against 90 nights."""
    import patsy

    model = "cox_length_of_stay_spline"
    terms = [f"length_of_stay_{n}_vs_{SPLINE_REFERENCE_NIGHTS}_nights" for n in SPLINE_CONTRASTS_NIGHTS]
    usable = frame[frame[d.DURATION] > 0]
    if usable[d.LENGTH_OF_STAY].nunique() < 2 * SPLINE_DF:
        return models.not_estimable(model, terms, "too few distinct lengths of stay for a spline")
    basis = patsy.dmatrix(
        f"cr(x, df={SPLINE_DF}, constraints='center') - 1", {"x": usable[d.LENGTH_OF_STAY].to_numpy(float)}
    )
    names = [f"los_spline_{i + 1}" for i in range(basis.shape[1])]
    spline_frame = usable.assign(**{n: np.asarray(basis)[:, i] for i, n in enumerate(names)})
    other = [d.REMAND, d.JUSTICE, d.AGE_OVER_15, d.PLAN]
    fit = models.fit_cox(spline_frame, [*other, *names], model=model, truth=ratios)
    if fit.fitter is None or any(n not in fit.design.terms for n in names):
        reason = next((r["note"] for r in fit.rows if r["status"] != "ok"), "the spline could not be fitted")
        return models.not_estimable(model, terms, reason, fit.design)
    at = patsy.build_design_matrices(
        [basis.design_info], {"x": np.array([*SPLINE_CONTRASTS_NIGHTS, SPLINE_REFERENCE_NIGHTS], dtype=float)}
    )[0]
    at = np.asarray(at)
    beta = fit.fitter.params_[names].to_numpy()
    cov = fit.fitter.variance_matrix_.loc[names, names].to_numpy()
    rows = [r for r in fit.rows if r["term"] in other]
    for i, term in enumerate(terms):
        contrast = at[i] - at[-1]
        log_hr, se = float(contrast @ beta), float(np.sqrt(contrast @ cov @ contrast))
        p = float(2 * models.stats.norm.sf(abs(log_hr / se))) if se > 0 else np.nan
        rows.append(
            models._row(
                model,
                term,
                log_hr,
                se,
                p,
                len(fit.design.frame),
                fit.design.events,
                note="no true value: the generator's effect is a step at 90 nights (ratio "
                + (f"{ratios[d.SHORT_STAY]:g}" if ratios else "of short_stay_under_90_nights")
                + " below it), which a smooth curve cannot match",
            )  # fmt: skip
        )
    return rows


def _risk_rows(frame, curves, published, endpoint, threshold, truth_risk) -> list[dict]:
    """Risk by each window: the published curve's value at that month, or a row saying why it is not published.

    ``published`` is the endpoint's disclosure-controlled curve table; reading
    the risk off it means no published risk differs from a published curve
    point by a step on fewer than ``threshold + 1`` children. ``events`` counts
    the events up to the window, ``n`` every leaver of the group (the
    population of the curve, leavers with no time at risk included).
    """
    rows = []
    for (method, pathway), _curve in sorted(curves.items()):
        model = f"{method}_{endpoint.name}"
        group = frame if pathway == "all" else frame[frame["pathway"] == pathway]
        table = published[(published["method"] == method) & (published["pathway"] == pathway)].set_index("month")
        for window in RISK_WINDOWS_MONTHS:
            term = f"risk_{window}m_{pathway}"
            days = window * d.DAYS_PER_MONTH
            events = int(((group[d.STATUS] == d.EVENT) & (group[d.DURATION] <= days)).sum())
            if window not in table.index:
                followed = int((group[d.DURATION] > days).sum()) > threshold
                reason = (
                    f"the published curve has no point at {window} months: a step of 1 to {threshold} events would "
                    "lie beside it: suppressed"
                    if followed
                    else f"{threshold} or fewer leavers still followed at {window} months: suppressed"
                )
                rows.append(not_estimable_row(model, term, reason, n=len(group), events=events))
                continue
            point = table.loc[window]
            true = truth_risk.get(window, np.nan) if (truth_risk and pathway == "all") else np.nan
            note = (
                "competing events treated as censoring: overstates the risk" if method == incidence.KAPLAN_MEIER else ""
            )
            interval = (point["ci_lower"], point["ci_upper"])
            if events == 0:
                note, interval = "no events: the risk is 0; no interval", (np.nan, np.nan)
            rows.append(
                {
                    "model": model, "term": term, "estimate": float(point["cumulative_incidence"]),
                    "ci_lower": interval[0], "ci_upper": interval[1], "p_value": np.nan, "scale": "risk",
                    "n": len(group), "events": events, "true_value": true, "note": note,
                }
            )  # fmt: skip
    return rows


def _secondary_suppression(estimates: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Hide further pathway counts where a suppressed one could be worked back from the all row.

    The pathways' ``n`` and ``events`` of a risk row add up to those of the
    ``all`` row. Where a pathway's count is hidden (1 up to the threshold),
    the next smallest pathway counts are hidden too until the hidden counts add
    up to more than the threshold, so neither a small count nor its
    complement can be recovered by subtraction.
    """
    out = estimates.copy()
    risk = out["term"].str.match(r"risk_\d+m_") & ~out["term"].str.endswith("_all")
    windows = out.loc[risk, "term"].str.extract(r"^(risk_\d+m)_")[0]
    for column in ("n", "events"):
        true_counts = out[f"_{column}_true"]
        for _, index in out[risk].groupby([out.loc[risk, "model"], windows]).groups.items():
            counts = true_counts.loc[index]
            hidden = [i for i in index if 0 < counts[i] <= threshold]
            if not hidden or counts[hidden].sum() > threshold:
                continue
            for i in counts.drop(index=hidden).sort_values(kind="stable").index:
                hidden.append(i)
                if counts[i] > 0 and not pd.isna(out.loc[i, column]):
                    out.loc[i, column] = np.nan
                    out.loc[i, "note"] = (
                        f"{out.loc[i, 'note']} ({column} hidden: another pathway's is below "
                        f"{threshold + 1}, secondary suppression)"
                    ).strip()
                if counts[hidden].sum() > threshold:
                    break
    return out


def _implied_rows(event_fit, limit_fit, frame, threshold, truth_risk) -> list[dict]:
    model = "cause_specific_implied"
    terms = [f"risk_{w}m_all" for w in RISK_WINDOWS_MONTHS]
    grid = np.floor(np.array(RISK_WINDOWS_MONTHS) * d.DAYS_PER_MONTH)
    values = models.implied_cumulative_incidence(event_fit, limit_fit, frame, grid)
    if values is None:
        return models.not_estimable(model, terms, "a cause-specific model could not be fitted")
    return [
        {
            "model": model, "term": term, "estimate": float(v), "scale": "risk", "n": len(frame),
            "events": int(event_fit.design.events),
            "true_value": truth_risk.get(w, np.nan) if truth_risk else np.nan,
            "note": "average over leavers of the incidence implied by the two cause-specific Cox models; no interval",
        }
        for term, w, v in zip(terms, RISK_WINDOWS_MONTHS, values, strict=True)
    ]  # fmt: skip


def _follow_up_table(referral: pd.DataFrame, admission: pd.DataFrame, threshold: int) -> pd.DataFrame:
    rows = []
    for endpoint, frame in ((d.NEXT_REFERRAL, referral), (d.NEXT_ADMISSION, admission)):
        counts = frame[d.STATUS].value_counts()
        for code, label in d.STATUS_LABELS.items():
            count = int(counts.get(code, 0))
            rows.append({"endpoint": endpoint.name, "follow_up_ended_by": label, "count": count})
    table = pd.DataFrame(rows)
    # The counts of an endpoint add up to its leavers (published as n): hide small ones, then enough others.
    table["leavers"] = table["count"].astype(str)
    for _, part in table.groupby("endpoint", sort=False):
        counts = part["count"]
        hidden = list(counts[(counts > 0) & (counts <= threshold)].index)
        if hidden:
            others = counts.drop(index=hidden)
            for i in others[others > 0].sort_values(kind="stable").index:  # hiding a 0 protects nothing
                if counts[hidden].sum() > threshold:
                    break
                hidden.append(i)
        table.loc[hidden, "leavers"] = "c"
    return table.drop(columns="count")


def _count(value: int, threshold: int) -> str:
    return str(value) if value == 0 or value > threshold else f"{threshold} or fewer"


def _standard_notes(referral: pd.DataFrame, ag_counts: dict, threshold: int, has_truth: bool) -> list[str]:
    missing_plan = int(referral[d.PLAN].isna().sum())
    notes = [
        "Time is counted from discharge in months of 365.25/12 days. Follow-up ends at the next referral (or "
        "admission), at the data end (censoring), at death, or at the end of eligibility: no referral is made in "
        f"the last {d.REFERRAL_AGE_LIMIT_DAYS} days before the earliest 18th birthday and no admission from it. "
        "Reaching that limit and death are competing events.",
        f"{missing_plan} leavers without a recorded transition plan are left out of the hazard models "
        "(complete cases); they stay in the cumulative incidence curves.",
        "Hazard ratios are on the ratio scale; baseline rates are events per month for a welfare leaver aged 15 at "
        "exit after 90 nights or more, with no transition plan. Confidence intervals are Wald 95% intervals with "
        "standard errors clustered by child (cox_cluster_home: by home).",
        f"Models with fewer than {models.MIN_EVENTS_PER_PARAMETER} events per parameter, terms without variation "
        "and terms with no events at one value are reported as not estimable, with the reason.",
        f"Disclosure: counts from 1 to {threshold} are suppressed. Curves are published at whole months; a month is "
        f"shown only when at least {threshold + 1} events, or none, have happened since the last month shown. A curve "
        f"runs to the last month at which at least {threshold + 1} leavers are followed; too few events at the end "
        "are merged into the last step shown (it moves later), not dropped. The 6, 12 and 24-month risks are the "
        "published curve's values at those months, and are withheld when the curve cannot show that month. Numbers "
        f"at risk are rounded to the nearest 5 and shown only above {threshold}, so no drop between two of them "
        f"reveals 1 to {threshold} children. Where a pathway's n or events is suppressed, the next smallest "
        "pathway's is hidden too (secondary suppression), so it cannot be worked back from the all row.",
        "Population of the cumulative incidence curves: every leaver of the group, including those discharged on or "
        f"after the last day a referral can be made ({d.REFERRAL_AGE_LIMIT_DAYS} days before the earliest 18th "
        "birthday). They have no time at risk and count as reaching the age limit (a competing event) at time 0, so "
        "the risks are over all leavers, not only those who could still be referred. A risk row's n counts them; "
        "the number at risk at month 0 does not (it counts leavers followed beyond day 0). The true risk is built "
        "over the same leavers, with risk 0 for them (analyses/survival/truth.py).",
        "Age at exit is in completed years at discharge counted from the first day of the birth month (the contract "
        "records the birth month only), as the synthetic generator codes it: "
        "floor((discharge date - first of birth month) / 365.25 days); the term age_at_exit_per_year_over_15 is "
        "that age minus 15, entered linearly.",
        "Kaplan-Meier treats reaching 18 as censoring, so it estimates the risk in a world where nobody ages out; "
        "it is shown as a sensitivity and overstates the risk of re-referral.",
        f"Andersen-Gill: {_count(ag_counts.get('children', 0), threshold)} children, "
        f"{_count(ag_counts.get('referred_twice_or_more', 0), threshold)} of them referred twice or more after their "
        "first discharge; every referral counts, time runs from the first discharge, a child is not at risk while in a "
        "secure home or after the last day a referral can be made; its ratios describe all referrals and have no "
        "counterpart in the generator (which restarts the clock at each discharge), so no true value is attached.",
    ]
    if has_truth:
        notes.append(
            "true_value: the generator's hazard ratios and baseline (truth.json); terms it leaves out have ratio 1; "
            "risks are the generator's risk before the age limit, averaged over the leavers (analyses/survival/truth.py)."
        )
    return notes
