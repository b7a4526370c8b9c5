"""Which referrals are placed in a secure children's home: the models, gathered into one result."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analyses.placement import designs
from analyses.placement.data import (
    AGE,
    BEHAVIOURS,
    DAYS_TO_PLACEMENT,
    FEMALE,
    HARDEST_TO_PLACE,
    LOCAL_AUTHORITY,
    PLACED,
    PREVIOUS,
    ROUTE,
    SWCU,
    YCS,
    YEAR,
    AnalysisFrame,
    build_frame,
)
from analyses.placement.models import (
    MIN_RESIDUAL_DF,
    Z95,
    Design,
    LogitFit,
    NotEstimable,
    average_discrete_change,
    calibration,
    cells,
    delong_auc,
    disclosure_check,
    fit_logit,
    one_blas_thread,
)
from analyses.placement.truth import PlacementTruth
from analyses.results import not_estimable_row
from outcomes.statistics import mean_interval, median_interval

log = logging.getLogger(__name__)

ODDS_RATIO = "odds_ratio"
PERCENTAGE_POINTS = "percentage_points"
PRIMARY_MODEL = "logit_by_year"
FIRTH_MODEL = "firth_by_year"
AME_MODEL = "ame_by_year"
LPM_MODEL = "lpm_fe"
STANDARDISED_MODEL = "pathway_standardised"


@dataclass
class PlacementFits:
    """Every fitted model (``None`` where a model could not be fitted) and why not."""

    data: AnalysisFrame
    welfare: pd.DataFrame
    fits: dict[str, LogitFit | None]
    failures: dict[str, str]


def fit_models(
    tables: dict[str, pd.DataFrame], *, first_year: int, last_year: int, only: tuple[str, ...] | None = None
) -> PlacementFits:
    """Build the analysis frame and fit the logistic models (``only`` limits which, for the recovery study)."""
    with one_blas_thread():
        return _fit_models(tables, first_year=first_year, last_year=last_year, only=only)


def _fit_models(
    tables: dict[str, pd.DataFrame], *, first_year: int, last_year: int, only: tuple[str, ...] | None
) -> PlacementFits:
    data = build_frame(tables, first_year=first_year, last_year=last_year)
    welfare = data.frame[data.frame[ROUTE].astype(str) == SWCU].reset_index(drop=True)
    builders = {
        PRIMARY_MODEL: lambda: designs.by_year(welfare),
        "logit_pooled": lambda: designs.pooled(welfare),
        "logit_interactions": lambda: designs.by_year(welfare, interactions=True, name="logit_interactions"),
        "logit_behaviour_count": lambda: designs.multimorbidity(welfare),
        "logit_pathway": lambda: designs.pathways(data.frame.reset_index(drop=True)),
        "logit_ycs": lambda: designs.pooled(
            data.frame[data.frame[ROUTE].astype(str) == YCS].reset_index(drop=True), name="logit_ycs"
        ),
    }
    fits: dict[str, LogitFit | None] = {}
    failures: dict[str, str] = {}
    for name, build in builders.items():
        if only is not None and name not in only:
            continue
        try:
            design = build()
            if design.X.shape[0] == 0:
                raise NotEstimable(f"{name}: no referrals to fit.")
            fits[name] = fit_logit(design, firth=name == PRIMARY_MODEL)
        except NotEstimable as error:
            fits[name] = None
            failures[name] = str(error)
    return PlacementFits(data=data, welfare=welfare, fits=fits, failures=failures)


def _p_value(estimate: float, se: float) -> float:
    if not np.isfinite(se) or se <= 0:
        return float("nan")
    return float(2 * stats.norm.sf(abs(estimate / se)))


def _term_counts(design: Design, term: str) -> tuple[int, int]:
    spec = design.terms[term]
    table = cells(spec, design.y)
    if table is None:
        return int(spec.support.sum()), int(design.y[spec.support].sum())
    return table.n_with, table.with_placed


def logit_rows(
    fit: LogitFit,
    threshold: int,
    truth: PlacementTruth | None,
    *,
    model: str | None = None,
    firth: bool = False,
    cov_name: str = "local_authority",
) -> list[dict]:
    """Rows of odds ratios (ML with clustered CIs, or Firth with model-based Wald CIs) for the reported terms."""
    design = fit.design
    model = model or design.name
    rows = []
    for term, spec in design.terms.items():
        if not spec.reported:
            continue
        n, events = _term_counts(design, term)
        if term in fit.dropped:
            rows.append(not_estimable_row(model, term, f"not estimable: {fit.dropped[term]}"))
            continue
        withheld = disclosure_check(spec, design.y, threshold, fit.df_resid)
        if withheld:
            rows.append(not_estimable_row(model, term, withheld))
            continue
        if firth:
            if fit.firth_params is None:
                rows.append(not_estimable_row(model, term, "not estimable: the Firth fit failed", n=n, events=events))
                continue
            estimate, se = float(fit.firth_params[term]), float(fit.firth_se[term])
            note = "Firth penalised likelihood; Wald CI from the penalised information (not clustered)"
        else:
            if term in fit.separated:
                rows.append(
                    not_estimable_row(
                        model,
                        term,
                        f"not estimable by maximum likelihood: separation (the estimate is infinite); see {FIRTH_MODEL}",
                        n=n,
                        events=events,
                    )
                )
                continue
            estimate, se = float(fit.params[term]), float(fit.se(cov_name)[term])
            note = f"CI clustered by {cov_name.replace('_', ' ')}"
        if not np.isfinite(se) or se <= 0:
            rows.append(not_estimable_row(model, term, "not estimable: no finite standard error", n=n, events=events))
            continue
        true_log = truth.log_odds_ratio(term) if truth is not None else np.nan
        rows.append(
            {
                "model": model,
                "term": term,
                "estimate": float(np.exp(estimate)),
                "ci_lower": float(np.exp(estimate - Z95 * se)),
                "ci_upper": float(np.exp(estimate + Z95 * se)),
                "p_value": _p_value(estimate, se),
                "scale": ODDS_RATIO,
                "n": n,
                "events": events,
                "true_value": float(np.exp(true_log)) if np.isfinite(true_log) else np.nan,
                "note": note,
            }
        )
    return rows


def ame_rows(fit: LogitFit, welfare: pd.DataFrame, threshold: int, truth: PlacementTruth | None) -> list[dict]:
    """Average discrete change of each flag, in percentage points, from the by-year model."""
    rows = []
    years = welfare[YEAR].to_numpy()
    unique_years = sorted(np.unique(years))
    for variable in (*BEHAVIOURS, FEMALE, PREVIOUS):
        if variable in BEHAVIOURS:
            columns = [designs.by_year_term(variable, int(y)) for y in unique_years]
            own = np.array([unique_years.index(y) for y in years])
            rows_mask = welfare[variable].notna().to_numpy()
        else:
            columns = [variable]
            own = np.zeros(len(welfare), dtype=int)
            rows_mask = np.ones(len(welfare), dtype=bool)
        present = [c for c in columns if c in fit.params.index]
        flag = welfare[variable].fillna(0).to_numpy(dtype=float)
        placed = welfare[PLACED].to_numpy(dtype=bool)
        # n is the number of referrals averaged over (those that record the flag), not the number presenting it.
        n, events = int(rows_mask.sum()), None
        counts = [
            int(((flag > 0) & placed & rows_mask).sum()),
            int(((flag > 0) & ~placed & rows_mask).sum()),
            int(((flag == 0) & placed & rows_mask).sum()),
            int(((flag == 0) & ~placed & rows_mask).sum()),
        ]
        if not rows_mask.any() or not present:
            rows.append(not_estimable_row(AME_MODEL, variable, "not estimable: no referral records it"))
            continue
        if threshold > 0 and any(0 < c <= threshold for c in counts):
            rows.append(not_estimable_row(AME_MODEL, variable, f"withheld: a cell of 1 to {threshold} referrals"))
            continue
        if any(c in fit.separated for c in present):
            rows.append(
                not_estimable_row(
                    AME_MODEL,
                    variable,
                    "not estimable: a year's coefficient is infinite (separation)",
                    n=n,
                    events=events,
                )
            )
            continue
        effect, se = average_discrete_change(fit, present, own_positions(columns, present, own), rows_mask)
        true_effect = truth.discrete_change(welfare, variable, rows_mask) if truth is not None else np.nan
        rows.append(
            _percentage_points_row(
                AME_MODEL,
                variable,
                effect,
                se,
                _p_value(effect, se),
                n=n,
                events=events,
                true_value=100 * true_effect,
                note="average discrete change (flag on minus off) over the referrals that record it; "
                "delta-method CI clustered by local authority",
            )
        )
    return rows


def _percentage_points_row(
    model: str, term: str, estimate: float, se: float, p_value: float, **columns: object
) -> dict[str, object]:
    """An estimate on the probability scale, with its Wald 95% interval, as a row in percentage points."""
    return {
        "model": model,
        "term": term,
        "estimate": 100 * estimate,
        "ci_lower": 100 * (estimate - Z95 * se),
        "ci_upper": 100 * (estimate + Z95 * se),
        "p_value": p_value,
        "scale": PERCENTAGE_POINTS,
        **columns,
    }


def own_positions(columns: list[str], present: list[str], own: np.ndarray) -> np.ndarray:
    """Map each row's position in ``columns`` to its position in ``present`` (-1 where its column was dropped)."""
    mapping = np.array([present.index(c) if c in present else -1 for c in columns])
    return mapping[own]


def lpm_rows(frame: pd.DataFrame, threshold: int) -> tuple[list[dict], list[str], dict | None]:
    """Linear probability model with local-authority and year fixed effects (linearmodels ``AbsorbingLS``).

    Local authorities with a single referral are dropped first: a fixed effect
    fits them exactly, so they carry no information and would inflate the
    residual degrees of freedom (as ``reghdfe`` drops singletons).
    """
    from linearmodels.iv.absorbing import AbsorbingLS

    notes = []
    counts = frame[LOCAL_AUTHORITY].map(frame[LOCAL_AUTHORITY].value_counts())
    singletons = int((counts == 1).sum())
    if singletons:
        notes.append(
            f"{LPM_MODEL}: {singletons} local authorities with a single referral dropped (their fixed effect fits "
            "them exactly)."
        )
    kept = frame[counts > 1].reset_index(drop=True)
    columns, _ = designs._pooled_behaviours(kept, BEHAVIOURS)
    exog = pd.DataFrame({**columns, FEMALE: kept[FEMALE], AGE: kept[AGE], PREVIOUS: kept[PREVIOUS]})
    exog = exog.loc[:, exog.std(ddof=0) > 0]
    if len(kept) - exog.shape[1] - kept[LOCAL_AUTHORITY].nunique() - kept[YEAR].nunique() < MIN_RESIDUAL_DF:
        return (
            [not_estimable_row(LPM_MODEL, "all", "not estimable: too few referrals for the fixed effects")],
            notes,
            None,
        )
    absorb = pd.DataFrame(
        {
            LOCAL_AUTHORITY: pd.Categorical(kept[LOCAL_AUTHORITY]),
            YEAR: pd.Categorical(kept[YEAR]),
        }
    )
    y = kept[PLACED].astype(float)
    model = AbsorbingLS(y, exog, absorb=absorb, drop_absorbed=True)
    result = model.fit(cov_type="clustered", clusters=pd.Categorical(kept[LOCAL_AUTHORITY]).codes)
    df_resid = int(result.df_resid)
    rows = []
    terms = {**designs._pooled_behaviours(kept, BEHAVIOURS)[1], **designs._base(kept)[1]}
    for term in exog.columns:
        if term not in result.params.index or term not in terms or not terms[term].reported:
            continue
        n, events = _term_counts(designs.Design(LPM_MODEL, exog, y.to_numpy(), terms, {}), term)
        withheld = disclosure_check(terms[term], y.to_numpy(), threshold, df_resid)
        if withheld:
            rows.append(not_estimable_row(LPM_MODEL, term, withheld))
            continue
        estimate, se = float(result.params[term]), float(result.std_errors[term])
        rows.append(
            _percentage_points_row(
                LPM_MODEL,
                term,
                estimate,
                se,
                float(result.pvalues[term]),
                n=n,
                events=events,
                note="linear probability, local-authority and year fixed effects, CI clustered by local authority",
            )
        )
    # fitted_values include the absorbed fixed effects (linearmodels: absorbed_effects is their part of them).
    fitted = np.asarray(result.fitted_values).ravel()
    summary = {"model": LPM_MODEL, "n": len(kept), "events": int(y.sum()), "fitted": fitted, "y": y.to_numpy()}
    return rows, notes, summary


def standardised_rows(fits: PlacementFits, threshold: int, truth: PlacementTruth | None) -> list[dict]:
    """Placement rates of SWCU and YCS referrals standardised to three reference populations (g-computation).

    Each route's own model predicts, for every referral of either route, the
    chance of being placed had it come through that route; the averages over a
    reference population (all referrals, SWCU referrals, YCS referrals) are
    compared. The gap depends on the reference: the welfare model's sex and
    age effects, applied to the YCS's older boys, lower its predictions there. The SWCU's is the primary model (behaviour effects by year); the
    YCS's has one effect per behaviour, year intercepts, female, age and
    previous placement. The two
    routes' fits are taken as independent for the CI of the difference (the
    few children referred through both make this slightly optimistic).
    """
    welfare_fit, ycs_fit = fits.fits.get(PRIMARY_MODEL), fits.fits.get("logit_ycs")
    if welfare_fit is None or ycs_fit is None:
        return [not_estimable_row(STANDARDISED_MODEL, "swcu_minus_ycs", "not estimable: a route has no model")]
    for fit in (welfare_fit, ycs_fit):
        smallest = min(fit.events, fit.n - fit.events)
        if fit.df_resid < MIN_RESIDUAL_DF or 0 < smallest <= threshold:
            return [
                not_estimable_row(
                    STANDARDISED_MODEL,
                    "swcu_minus_ycs",
                    f"withheld: {fit.design.name} rests on "
                    f"{fit.df_resid} residual degrees of freedom and {smallest} referrals in its "
                    "smaller outcome group",
                )
            ]
    everyone = fits.data.frame.reset_index(drop=True)
    routes = everyone[ROUTE].astype(str).to_numpy()
    predictions = {}
    for route, fit in ((SWCU, welfare_fit), (YCS, ycs_fit)):
        build = designs.by_year if route == SWCU else designs.pooled
        X = build(everyone, name=f"{route}_on_all").X
        X = X.reindex(columns=fit.params.index, fill_value=0.0)
        # Years a route has no referral in have no intercept for it: those referrals cannot be standardised.
        known = X.filter(like="year[").sum(axis=1).to_numpy() > 0
        values = X.to_numpy(dtype=float)
        p = 1 / (1 + np.exp(-(values @ fit.params.to_numpy())))
        predictions[route] = (p, values, known, fit.cov["local_authority"].to_numpy())
    true_welfare = truth.welfare_probability(everyone) if truth is not None else None
    true_ycs = np.nan
    if truth is not None and (routes == YCS).any():
        # The generator places a YCS referral with a fixed share by pathway, whatever it presents.
        ycs_pathways = everyone.loc[routes == YCS, designs.PATHWAY].astype(str)
        true_ycs = float(ycs_pathways.map(truth.ycs_placed_share).mean())
    rows = []
    for reference, label, suffix in STANDARDISATION_REFERENCES:
        population = np.ones(len(everyone), bool) if reference == "all" else routes == reference
        usable = population & predictions[SWCU][2] & predictions[YCS][2]
        if usable.sum() == 0:
            rows.append(not_estimable_row(STANDARDISED_MODEL, f"swcu_minus_ycs{suffix}", f"not estimable: no {label}"))
            continue
        results = {}
        for route, (p, values, _, cov) in predictions.items():
            chosen = p[usable]
            gradient = ((chosen * (1 - chosen))[:, None] * values[usable]).mean(axis=0)
            results[route] = (float(chosen.mean()), float(np.sqrt(gradient @ cov @ gradient)))
        true_rates = {
            SWCU: float(np.nanmean(true_welfare[usable])) if true_welfare is not None else np.nan,
            YCS: true_ycs,
        }
        n = int(usable.sum())
        for route, (rate, se) in results.items():
            rows.append(
                {
                    "model": STANDARDISED_MODEL,
                    "term": f"rate[{route}]{suffix}",
                    "estimate": 100 * rate,
                    "ci_lower": 100 * (rate - Z95 * se),
                    "ci_upper": 100 * (rate + Z95 * se),
                    "scale": "percent",
                    "n": n,
                    "true_value": 100 * true_rates[route],
                    "note": f"share placed had every referral come through the {route.upper()}, "
                    f"standardised to the behaviours and characteristics of {label}",
                }
            )
        difference = results[SWCU][0] - results[YCS][0]
        se = float(np.hypot(results[SWCU][1], results[YCS][1]))
        rows.append(
            {
                "model": STANDARDISED_MODEL,
                "term": f"swcu_minus_ycs{suffix}",
                "estimate": 100 * difference,
                "ci_lower": 100 * (difference - Z95 * se),
                "ci_upper": 100 * (difference + Z95 * se),
                "p_value": _p_value(difference, se),
                "scale": PERCENTAGE_POINTS,
                "n": n,
                "true_value": 100 * (true_rates[SWCU] - true_rates[YCS]),
                "note": f"welfare minus youth justice placement rate, standardised to {label} (g-computation); "
                "offending behaviour is not recorded and cannot be adjusted for",
            }
        )
    return rows


STANDARDISATION_REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("all", "all referrals (both routes)", ""),
    (SWCU, "SWCU (welfare) referrals", "[reference=swcu]"),
    (YCS, "YCS (youth justice) referrals", "[reference=ycs]"),
)
"""Reference populations of pathway_standardised: (route or "all", description, term suffix)."""


def days_rows(frame: pd.DataFrame, threshold: int, truth: PlacementTruth | None) -> list[dict]:
    """Days from referral to admission among placed referrals, by route: mean and median with 95% CIs."""
    rows = []
    for route in (SWCU, YCS):
        days = frame.loc[(frame[ROUTE].astype(str) == route) & frame[PLACED], DAYS_TO_PLACEMENT].dropna()
        days = days.to_numpy(dtype=float)
        if len(days) <= threshold or len(days) < 2:
            rows.append(
                not_estimable_row(
                    "days_to_placement",
                    f"mean_days[{route}]",
                    f"not estimable: {len(days)} placed referrals with a stay",
                )
            )
            continue
        mean, low, high = mean_interval(days)
        median, m_low, m_high = median_interval(days)
        common = {"model": "days_to_placement", "scale": "days", "n": len(days), "events": len(days)}
        rows.append(
            {
                **common,
                "term": f"mean_days[{route}]",
                "estimate": mean,
                "ci_lower": low,
                "ci_upper": high,
                "true_value": truth.mean_days_to_placement if truth is not None else np.nan,
                "note": "days from referral to admission among placed referrals (t interval)",
            }
        )
        rows.append(
            {
                **common,
                "term": f"median_days[{route}]",
                "estimate": median,
                "ci_lower": m_low,
                "ci_upper": m_high,
                "note": "median days from referral to admission (order-statistic interval)",
            }
        )
    return rows


def comparison_table(fits: PlacementFits, lpm: dict | None) -> pd.DataFrame:
    """AIC, calibration intercept and slope, Brier score and AUC (DeLong 95% CI) of each welfare model."""
    rows = []
    candidates = [(name, fit) for name, fit in fits.fits.items() if fit is not None and name != "logit_pathway"]
    for name, fit in candidates:
        if name == "logit_ycs":
            continue
        y = fit.design.y
        entries = [(name, fit.fitted, fit.aic, fit.design.X.shape[1] - len(fit.dropped))]
        if name == PRIMARY_MODEL and fit.firth_params is not None:
            eta = fit.design.X[fit.firth_params.index].to_numpy(dtype=float) @ fit.firth_params.to_numpy()
            entries.append((FIRTH_MODEL, 1 / (1 + np.exp(-eta)), np.nan, len(fit.firth_params)))
        for label, probability, aic, k in entries:
            auc, se = delong_auc(y, probability)
            intercept, slope, brier = calibration(y, probability)
            rows.append(
                {
                    "model": label,
                    "n": fit.n,
                    "events": fit.events,
                    "parameters": k,
                    "aic": aic,
                    "auc": auc,
                    "auc_ci_lower": auc - Z95 * se,
                    "auc_ci_upper": auc + Z95 * se,
                    "calibration_intercept": intercept,
                    "calibration_slope": slope,
                    "brier": brier,
                    "note": "" if np.isfinite(aic) else "penalised fit: AIC not comparable",
                }
            )
    if lpm is not None:
        probability = np.clip(lpm["fitted"], 1e-4, 1 - 1e-4)
        auc, se = delong_auc(lpm["y"], lpm["fitted"])
        intercept, slope, brier = calibration(lpm["y"], probability)
        rows.append(
            {
                "model": LPM_MODEL,
                "n": lpm["n"],
                "events": lpm["events"],
                "parameters": np.nan,
                "aic": np.nan,
                "auc": auc,
                "auc_ci_lower": auc - Z95 * se,
                "auc_ci_upper": auc + Z95 * se,
                "calibration_intercept": intercept,
                "calibration_slope": slope,
                "brier": brier,
                "note": "linear probability: fitted values clipped to 0.0001-0.9999 for calibration; no AIC on the "
                "binomial scale",
            }
        )
    table = pd.DataFrame(rows)
    if not table.empty:
        table["n"] = table["n"].astype("Int64")
        table["events"] = table["events"].astype("Int64")
        table["parameters"] = pd.array(table["parameters"], dtype="Int64")
    return table


def standard_error_table(fit: LogitFit) -> pd.DataFrame:
    """The primary model's standard errors three ways: model-based, clustered by local authority, by child."""
    rows = []
    for term, spec in fit.design.terms.items():
        if not spec.reported or term not in fit.params.index or term in fit.separated:
            continue
        rows.append(
            {
                "model": fit.design.name,
                "term": term,
                "log_odds_ratio": float(fit.params[term]),
                "se_model": float(fit.se("model")[term]),
                "se_cluster_local_authority": float(fit.se("local_authority")[term]),
                "se_cluster_child": float(fit.se("child")[term]),
            }
        )
    return pd.DataFrame(rows)


__all__ = [
    "PlacementFits",
    "fit_models",
    "logit_rows",
    "ame_rows",
    "lpm_rows",
    "standardised_rows",
    "days_rows",
    "comparison_table",
    "standard_error_table",
    "HARDEST_TO_PLACE",
]
