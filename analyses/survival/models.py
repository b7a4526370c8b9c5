"""The hazard models of re-referral: Cox (lifelines, checked against statsmodels), piecewise exponential, Andersen-Gill.

Each fitter returns estimate rows (:data:`analyses.results.ESTIMATE_COLUMNS`)
and never raises on data that cannot support it: a model with fewer than
``MIN_EVENTS_PER_PARAMETER`` events per parameter, a covariate with no
variation or a level with no events gives a ``not_estimable`` row saying why.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analyses.results import not_estimable_row
from analyses.survival import data as d

MIN_EVENTS_PER_PARAMETER = 10
"""Fewer events than this per estimated parameter and the model is not fitted (Peduzzi et al. 1996)."""

PH_TEST_ALPHA = 0.01
"""Scaled Schoenfeld residual tests below this p-value count as a failure of proportional hazards."""

BAND_BREAKS_MONTHS: tuple[float, ...] = (0.0, 3.0, 6.0, 12.0, 24.0)
"""Bands of the piecewise-exponential model: 0-3, 3-6, 6-12, 12-24 and 24+ months (the generator's own breaks)."""

Z = stats.norm.ppf(0.975)


@dataclass
class Design:
    """The rows a model can use and the terms it can estimate (the others, with reasons, in ``dropped``)."""

    frame: pd.DataFrame
    terms: list[str]
    dropped: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None  # the whole model cannot be fitted

    @property
    def events(self) -> int:
        return int(self.frame[d.EVENT_FLAG].sum()) if len(self.frame) else 0


def design(
    frame: pd.DataFrame, terms: Sequence[str], *, extra_parameters: int = 0, event: str = d.EVENT_FLAG
) -> Design:
    """Rows with every term recorded and positive time at risk; the terms that can be estimated.

    A term is dropped (with its reason) when it does not vary, or when one of
    its two values has no events (the estimate would run off to infinity).
    The whole model is not estimable when there are no leavers, no events, or
    fewer than ``MIN_EVENTS_PER_PARAMETER`` events per parameter.
    """
    if frame.empty:
        return Design(frame, [], reason="no leavers: no stay ended before the data end date")
    usable = frame[(frame[d.DURATION] > 0) & frame[list(terms)].notna().all(axis=1)].copy()
    if event != d.EVENT_FLAG:
        usable[d.EVENT_FLAG] = usable[event]
    kept, dropped = [], []
    for term in terms:
        values = usable[term]
        if values.nunique() < 2:
            shown = values.iloc[0] if len(values) else "nothing"
            dropped.append(
                (term, f"no variation: every leaver in the model has {term} = {shown:g}" if len(values) else "no rows")
            )
            continue
        if values.nunique() == 2:
            low, high = sorted(values.unique())
            for level in (low, high):
                if usable.loc[values == level, d.EVENT_FLAG].sum() == 0:
                    dropped.append(
                        (term, f"no events among leavers with {term} = {level:g}: the ratio is not estimable")
                    )
                    break
            else:
                kept.append(term)
            continue
        kept.append(term)
    result = Design(usable, kept, dropped)
    parameters = len(kept) + extra_parameters
    if len(usable) == 0:
        result.reason = "no leaver has every covariate recorded and time at risk"
    elif result.events == 0:
        result.reason = "no events: nobody was seen to have the event"
    elif parameters and result.events < MIN_EVENTS_PER_PARAMETER * parameters:
        # The count itself goes in the events column, where small counts are suppressed.
        result.reason = (
            f"fewer than {MIN_EVENTS_PER_PARAMETER} events per parameter ({parameters} parameters, "
            f"{MIN_EVENTS_PER_PARAMETER * parameters} events needed)"
        )
    return result


def not_estimable(model: str, terms: Sequence[str], reason: str, design_: Design | None = None) -> list[dict]:
    n = len(design_.frame) if design_ is not None else 0
    events = design_.events if design_ is not None else 0
    return [not_estimable_row(model, term, reason, n=n, events=events) for term in terms]


def _row(model, term, log_estimate, se, p, n, events, scale="hazard_ratio", true_value=np.nan, note=""):
    return {
        "model": model,
        "term": term,
        "estimate": float(np.exp(log_estimate)),
        "ci_lower": float(np.exp(log_estimate - Z * se)),
        "ci_upper": float(np.exp(log_estimate + Z * se)),
        "p_value": float(p),
        "scale": scale,
        "n": int(n),
        "events": int(events),
        "true_value": true_value,
        "status": "ok",
        "note": note,
    }


# --- Cox proportional hazards ---------------------------------------------------------------------------


@dataclass
class CoxFit:
    """A fitted cause-specific Cox model with the rows it publishes."""

    model: str
    design: Design
    fitter: object | None
    rows: list[dict]


def fit_cox(
    frame: pd.DataFrame,
    terms: Sequence[str],
    *,
    model: str,
    cluster: str | None = "child_id",
    strata: str | Sequence[str] | None = None,
    entry: str | None = None,
    truth: dict[str, float] | None = None,
    note: str = "",
) -> CoxFit:
    """Cox model of the cause-specific hazard (lifelines, Efron ties), robust SEs clustered by ``cluster``.

    ``strata`` is one column or several (lifelines takes either); rows with a
    stratum unrecorded are left out with the other incomplete cases.
    """
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError

    strata_columns = [strata] if isinstance(strata, str) else list(strata or [])
    complete = frame[frame[strata_columns].notna().all(axis=1)] if strata_columns else frame
    design_ = design(complete, terms)
    if design_.reason:
        return CoxFit(model, design_, None, not_estimable(model, terms, design_.reason, design_))
    rows = [not_estimable_row(model, t, r, n=len(design_.frame), events=design_.events) for t, r in design_.dropped]
    columns = [d.DURATION, d.EVENT_FLAG, *design_.terms]
    # Several strata come as a list: add each column, never the list itself (that was a TypeError).
    for extra in [cluster, *strata_columns, entry]:
        if extra and extra not in columns:
            columns.append(extra)
    fitter = CoxPHFitter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitter.fit(
                design_.frame[columns],
                duration_col=d.DURATION,
                event_col=d.EVENT_FLAG,
                cluster_col=cluster,
                robust=cluster is not None,
                strata=strata_columns or None,
                entry_col=entry,
            )
    except (ConvergenceError, np.linalg.LinAlgError, ValueError) as error:
        return CoxFit(
            model, design_, None, rows + not_estimable(model, design_.terms, f"did not converge: {error}", design_)
        )
    summary = fitter.summary
    for term in design_.terms:
        rows.append(
            _row(
                model,
                term,
                summary.loc[term, "coef"],
                summary.loc[term, "se(coef)"],
                summary.loc[term, "p"],
                len(design_.frame),
                design_.events,
                true_value=(truth or {}).get(term, np.nan),
                note=note,
            )
        )
    return CoxFit(model, design_, fitter, rows)


def schoenfeld_checks(frame: pd.DataFrame, terms: Sequence[str]) -> pd.DataFrame:
    """Scaled Schoenfeld residual tests (lifelines, rank of time) of each term of an unclustered Cox fit.

    Returns one row per term: test statistic, p-value, and the action taken
    (``none`` when the test passes; ``stratify`` when it fails).
    """
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    design_ = design(frame, terms)
    columns = ["term", "test_statistic", "p_value", "proportional_hazards", "action"]
    if design_.reason or not design_.terms:
        return pd.DataFrame(columns=columns)
    data = design_.frame[[d.DURATION, d.EVENT_FLAG, *design_.terms]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = CoxPHFitter().fit(data, duration_col=d.DURATION, event_col=d.EVENT_FLAG)
        test = proportional_hazard_test(fitter, data, time_transform="rank").summary
    out = pd.DataFrame(
        {
            "term": list(test.index),
            "test_statistic": test["test_statistic"].to_numpy(dtype=float),
            "p_value": test["p"].to_numpy(dtype=float),
        }
    )
    out["proportional_hazards"] = out["p_value"] >= PH_TEST_ALPHA
    out["action"] = np.where(out["proportional_hazards"], "none", "stratified on this term (model cox_stratified)")
    return out[columns]


def phreg_agreement(frame: pd.DataFrame, terms: Sequence[str], cluster: str = "child_id") -> pd.DataFrame:
    """lifelines' CoxPHFitter against statsmodels' PHReg on the same rows, coefficient by coefficient.

    Both use Efron's method for tied times; standard errors are compared both
    model-based and clustered by child (statsmodels: ``fit(groups=...)``).
    """
    from lifelines import CoxPHFitter
    from statsmodels.duration.hazard_regression import PHReg

    design_ = design(frame, terms)
    columns = [
        "term",
        "lifelines_coef",
        "statsmodels_coef",
        "coef_abs_difference",
        "lifelines_se",
        "statsmodels_se",
        "lifelines_robust_se",
        "statsmodels_robust_se",
    ]
    if design_.reason or not design_.terms:
        return pd.DataFrame(columns=columns)
    data = design_.frame
    x = data[design_.terms].to_numpy(dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = CoxPHFitter().fit(data[[d.DURATION, d.EVENT_FLAG, *design_.terms]], d.DURATION, d.EVENT_FLAG)
        robust = CoxPHFitter().fit(
            data[[d.DURATION, d.EVENT_FLAG, cluster, *design_.terms]], d.DURATION, d.EVENT_FLAG, cluster_col=cluster
        )
        model = PHReg(data[d.DURATION].to_numpy(dtype=float), x, status=data[d.EVENT_FLAG].to_numpy(), ties="efron")
        sm_plain = model.fit()
        sm_robust_se = _phreg_robust_se(model, np.asarray(sm_plain.params), pd.factorize(data[cluster])[0])
    out = pd.DataFrame(
        {
            "term": design_.terms,
            "lifelines_coef": plain.params_[design_.terms].to_numpy(),
            "statsmodels_coef": np.asarray(sm_plain.params),
            "lifelines_se": plain.standard_errors_[design_.terms].to_numpy(),
            "statsmodels_se": np.asarray(sm_plain.bse),
            "lifelines_robust_se": robust.standard_errors_[design_.terms].to_numpy(),
            "statsmodels_robust_se": sm_robust_se,
        }
    )
    out["coef_abs_difference"] = (out["lifelines_coef"] - out["statsmodels_coef"]).abs()
    return out[columns]


def _phreg_robust_se(model, params: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Sandwich standard errors from statsmodels' PHReg pieces, clustered by ``groups``.

    ``PHReg.fit(groups=...)`` gives NaN when some leaver is censored before the
    first event (its score residual is undefined there, and zero in fact), so
    the sandwich is assembled here from ``score_residuals`` and ``hessian``.
    """
    scores = np.nan_to_num(model.score_residuals(params))
    by_group = np.zeros((groups.max() + 1, scores.shape[1]))
    np.add.at(by_group, groups, scores)
    bread = np.linalg.inv(model.hessian(params))
    return np.sqrt(np.diag(bread @ (by_group.T @ by_group) @ bread))


# --- piecewise exponential -----------------------------------------------------------------------------


def band_labels(breaks: Sequence[float] = BAND_BREAKS_MONTHS) -> list[str]:
    uppers = [*breaks[1:], None]
    return [f"{lo:g}-{hi:g}m" if hi is not None else f"{lo:g}m+" for lo, hi in zip(breaks, uppers, strict=True)]


def split_bands(frame: pd.DataFrame, breaks: Sequence[float] = BAND_BREAKS_MONTHS) -> pd.DataFrame:
    """One row per leaver and band entered: months at risk in the band, and whether the event fell in it."""
    months = frame[d.MONTHS].to_numpy(dtype=float)
    lower = np.asarray(breaks, dtype=float)
    upper = np.append(lower[1:], np.inf)
    exposure = np.clip(months[:, None] - lower[None, :], 0, (upper - lower)[None, :])
    in_band = (months[:, None] > lower[None, :]) & (months[:, None] <= upper[None, :])
    event = frame[d.EVENT_FLAG].to_numpy()[:, None] * in_band
    rows, bands = np.nonzero(exposure > 0)
    long = frame.iloc[rows].reset_index(drop=True)
    long["band"] = bands
    long["exposure_months"] = exposure[rows, bands]
    long["band_event"] = event[rows, bands]
    return long


def fit_piecewise_exponential(
    frame: pd.DataFrame,
    terms: Sequence[str],
    *,
    model: str,
    cluster: str = "child_id",
    truth_ratios: dict[str, float] | None = None,
    truth_baseline: Sequence[float] | None = None,
    breaks: Sequence[float] = BAND_BREAKS_MONTHS,
) -> list[dict]:
    """Poisson GLM of events per band with a log-exposure offset (statsmodels), SEs clustered by child.

    The band coefficients are the baseline hazards per month (welfare, 90
    nights or more, 15 at exit, no transition plan); the others hazard ratios.
    """
    import statsmodels.api as sm

    labels = band_labels(breaks)
    baseline_terms = [f"baseline_rate_{label}" for label in labels]
    design_ = design(frame, terms, extra_parameters=len(breaks))
    if design_.reason:
        return not_estimable(model, [*baseline_terms, *terms], design_.reason, design_)
    rows = [not_estimable_row(model, t, r, n=len(design_.frame), events=design_.events) for t, r in design_.dropped]
    long = split_bands(design_.frame, breaks)
    band_dummies = np.eye(len(breaks))[long["band"].to_numpy()]
    present = band_dummies.sum(axis=0) > 0
    x = np.column_stack([band_dummies[:, present], long[design_.terms].to_numpy(dtype=float)])
    names = [b for b, p in zip(baseline_terms, present, strict=True) if p] + design_.terms
    for b, p in zip(baseline_terms, present, strict=True):
        if not p:
            rows.append(not_estimable_row(model, b, "nobody was followed into this band", n=len(design_.frame)))
    glm = sm.GLM(
        long["band_event"].to_numpy(dtype=float),
        x,
        family=sm.families.Poisson(),
        offset=np.log(long["exposure_months"].to_numpy(dtype=float)),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = glm.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(long[cluster])[0]})
    band_events = long.groupby("band")["band_event"].sum()
    for i, name in enumerate(names):
        is_band = name in baseline_terms
        if is_band:
            band = baseline_terms.index(name)
            if band_events.get(band, 0) == 0:
                rows.append(not_estimable_row(model, name, "no events in this band", n=len(design_.frame), events=0))
                continue
        true_value = np.nan
        if is_band and truth_baseline is not None:
            true_value = float(truth_baseline[baseline_terms.index(name)])
        elif not is_band and truth_ratios is not None:
            true_value = truth_ratios.get(name, np.nan)
        rows.append(
            _row(
                model,
                name,
                fitted.params[i],
                fitted.bse[i],
                np.nan if is_band else fitted.pvalues[i],  # a test of a rate of 1 a month means nothing
                len(design_.frame),
                int(band_events.get(baseline_terms.index(name), 0)) if is_band else design_.events,
                scale="rate_per_month" if is_band else "hazard_ratio",
                true_value=true_value,
            )
        )
    return rows


# --- recurrent re-referrals: Andersen-Gill ----------------------------------------------------------------


def counting_process(frame: pd.DataFrame, referrals: pd.DataFrame) -> pd.DataFrame:
    """Every referral after a child's first discharge, as (start, stop] intervals in days since that discharge.

    A child is at risk from each discharge until the next admission (or the end
    of follow-up of that stay: data end, the age limit, death); each referral in
    that spell is an event, after which the child stays at risk unless admitted.
    Covariates are those of the latest stay.
    """
    from outcomes.contract.tables import Referrals

    first = frame.groupby("child_id")["index_date"].transform("min")
    spells = frame.assign(
        spell_start=(frame["index_date"] - first).dt.days,
        spell_stop=(frame["index_date"] - first).dt.days + frame[d.DURATION],
    )
    spells = spells[spells[d.DURATION] > 0]
    refs = referrals[[Referrals.child_id, Referrals.referral_date]].rename(columns={Referrals.child_id: "child_id"})
    joined = spells[["stay_id", "child_id", "index_date", "spell_start", "spell_stop"]].merge(refs, on="child_id")
    offset = (joined[Referrals.referral_date] - joined["index_date"]).dt.days + joined["spell_start"]
    joined = joined[(offset > joined["spell_start"]) & (offset <= joined["spell_stop"])].assign(cut=offset)
    cuts = joined.groupby("stay_id")["cut"].apply(lambda s: sorted(set(s)))
    intervals = []
    for row in spells[["stay_id", "spell_start", "spell_stop"]].itertuples(index=False):
        points = cuts.get(row.stay_id, [])
        starts = [row.spell_start, *points]
        stops = [*points, row.spell_stop]
        for start, stop in zip(starts, stops, strict=True):
            if stop > start:
                intervals.append((row.stay_id, start, stop, int(stop in points)))
    out = pd.DataFrame(intervals, columns=["stay_id", "start_days", "stop_days", d.EVENT_FLAG])
    covariates = spells.drop(columns=[d.EVENT_FLAG, d.DURATION, "spell_start", "spell_stop"])
    out = out.merge(covariates, on="stay_id", how="left")
    out[d.DURATION] = out["stop_days"]
    return out


def fit_andersen_gill(frame: pd.DataFrame, referrals: pd.DataFrame, terms: Sequence[str]) -> tuple[list[dict], dict]:
    """Andersen-Gill model of all referrals after the first discharge, robust SEs clustered by child."""
    model = "andersen_gill_recurrent_referral"
    process = counting_process(frame, referrals) if len(frame) else pd.DataFrame()
    if process.empty:
        return not_estimable(model, terms, "no leavers with time at risk"), {}
    per_child = process.groupby("child_id")[d.EVENT_FLAG].sum()
    counts = {"children": int(len(per_child)), "referred_twice_or_more": int((per_child >= 2).sum())}
    # Leavers enter at start_days > 0; zero-length intervals never reach here.
    fit = fit_cox(
        process.assign(**{d.DURATION: process["stop_days"]}),
        terms,
        model=model,
        cluster="child_id",
        entry="start_days",
        note="time since the child's first discharge; all referrals counted; n counts (start, stop] intervals; "
        "no true value (see notes)",
    )
    return fit.rows, counts


# --- competing risks: cause-specific hazards and the incidence they imply ----------------------------------


def implied_cumulative_incidence(
    event_fit: CoxFit, limit_fit: CoxFit, frame: pd.DataFrame, grid_days: np.ndarray
) -> np.ndarray | None:
    """Average over leavers of the cumulative incidence implied by two cause-specific Cox models.

    CIF_i(t) = sum over u <= t of S_i(u-) dH1_i(u), with S_i = exp(-H1_i - H2_i);
    leavers with no time at risk contribute 0 (they reached the age limit at discharge).
    """
    if event_fit.fitter is None or limit_fit.fitter is None:
        return None
    at_risk = frame[(frame[d.DURATION] > 0)]
    at_risk = at_risk[at_risk[event_fit.design.terms + limit_fit.design.terms].notna().all(axis=1)]
    if at_risk.empty:
        return None
    times = np.unique(np.concatenate([[0.0], grid_days, event_fit.fitter.baseline_cumulative_hazard_.index]))
    times = times[times <= grid_days.max()]
    h1 = event_fit.fitter.predict_cumulative_hazard(at_risk, times=times).to_numpy()
    h2 = limit_fit.fitter.predict_cumulative_hazard(at_risk, times=times).to_numpy()
    survival_before = np.exp(
        -(np.vstack([np.zeros((1, h1.shape[1])), h1[:-1]]) + np.vstack([np.zeros((1, h2.shape[1])), h2[:-1]]))
    )
    increments = np.diff(np.vstack([np.zeros((1, h1.shape[1])), h1]), axis=0)
    cif = np.cumsum(survival_before * increments, axis=0).mean(axis=1)
    share_at_risk = len(at_risk) / len(
        frame[frame[event_fit.design.terms + limit_fit.design.terms].notna().all(axis=1)]
    )
    at_grid = np.searchsorted(times, grid_days, side="right") - 1
    return cif[at_grid] * share_at_risk
