"""Cumulative incidence with competing risks (Aalen-Johansen), Kaplan-Meier as a sensitivity, and what may be published.

The estimates come from statsmodels (``CumIncidenceRight``: the Aalen-Johansen
estimator with its standard error; ``SurvfuncRight``: Kaplan-Meier with
Greenwood's standard error). Pointwise 95% intervals are built on the
log(-log) scale, so they stay inside 0 to 1: for a cumulative incidence F,
``F ** exp(±1.96 se / (F log F))`` (Pintilie, *Competing Risks*, 2006; as R's
``tidycmprsk``), and for Kaplan-Meier the same on the survival S.

Disclosure: a curve is published only at whole months; a month is shown only
when at least ``threshold`` events have happened since the last month shown
(so no step rests on fewer children, and no step can be tied to one child's
event day), and the curve stops before the first month at which fewer than
``threshold`` children are still followed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analyses.survival import data as d

Z = stats.norm.ppf(0.975)
MAX_MONTHS = 60
AALEN_JOHANSEN = "aalen_johansen"
KAPLAN_MEIER = "kaplan_meier_sensitivity"

CURVE_COLUMNS = [
    "endpoint",
    "method",
    "pathway",
    "month",
    "cumulative_incidence",
    "ci_lower",
    "ci_upper",
    "number_at_risk",
]


@dataclass
class Curve:
    """A cumulative incidence curve as a step function in days, with its standard error."""

    times_days: np.ndarray
    incidence: np.ndarray
    se: np.ndarray

    def at(self, days: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Incidence and standard error at the given days (the last step on or before each)."""
        index = np.searchsorted(self.times_days, np.atleast_1d(days), side="right") - 1
        incidence = np.where(index >= 0, self.incidence[np.maximum(index, 0)], 0.0)
        se = np.where(index >= 0, self.se[np.maximum(index, 0)], 0.0)
        return incidence, se


def aalen_johansen(duration_days: np.ndarray, status: np.ndarray) -> Curve:
    """Cumulative incidence of status 1, every other non-zero status competing (statsmodels ``CumIncidenceRight``)."""
    from statsmodels.duration.survfunc import CumIncidenceRight

    duration_days = np.asarray(duration_days, dtype=float)
    status = np.asarray(status)
    if not (status == d.EVENT).any():
        return Curve(np.array([0.0]), np.array([0.0]), np.array([0.0]))
    # Merge the competing causes: the incidence of the event does not depend on how they are split.
    merged = np.where(status == d.EVENT, 1, np.where(status == d.CENSORED, 0, 2))
    if not (merged == 2).any():
        # CumIncidenceRight needs every cause code present; without competing events AJ is 1 - KM.
        km = kaplan_meier(duration_days, merged == 1)
        return km
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = CumIncidenceRight(duration_days, merged)
    return Curve(np.asarray(fit.times, float), np.asarray(fit.cinc[0], float), np.asarray(fit.cinc_se[0], float))


def kaplan_meier(duration_days: np.ndarray, event: np.ndarray) -> Curve:
    """One minus Kaplan-Meier, competing events treated as censoring (statsmodels ``SurvfuncRight``)."""
    from statsmodels.duration.survfunc import SurvfuncRight

    event = np.asarray(event, dtype=int)
    if not event.any():
        return Curve(np.array([0.0]), np.array([0.0]), np.array([0.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = SurvfuncRight(np.asarray(duration_days, dtype=float), event)
    return Curve(np.asarray(fit.surv_times, float), 1 - np.asarray(fit.surv_prob), np.asarray(fit.surv_prob_se))


def interval(incidence: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise 95% interval of a cumulative incidence on the log(-log) scale (0 where the incidence is 0)."""
    f = np.asarray(incidence, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = (f > 0) & (f < 1) & (se > 0)
        scale = np.where(inside, np.exp(Z * se / (f * np.log(f))), 1.0)
    lower = np.where(inside, f ** (1 / scale), f)
    upper = np.where(inside, f**scale, f)
    return np.minimum(lower, upper), np.maximum(lower, upper)


def interval_from_survival(incidence: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% interval of 1 - S from the log(-log) interval of S."""
    low_s, high_s = interval(1 - np.asarray(incidence), se)
    return 1 - high_s, 1 - low_s


def published_curve(
    frame: pd.DataFrame, curve: Curve, *, threshold: int, method: str, max_months: int = MAX_MONTHS
) -> pd.DataFrame:
    """The curve at whole months, keeping only steps that rest on at least ``threshold`` events.

    Rows: ``month``, ``cumulative_incidence``, ``ci_lower``, ``ci_upper``,
    ``number_at_risk`` (leavers followed beyond that month). Month 0 is shown
    when at least ``threshold`` leavers are at risk; a month is shown when at
    least ``threshold`` events have accumulated since the previous month shown,
    and none after the first month with fewer than ``threshold`` at risk.
    """
    days = frame[d.DURATION].to_numpy(dtype=float)
    events = frame[d.EVENT_FLAG].to_numpy(dtype=bool)
    rows = []
    pending = 0
    for month in range(0, max_months + 1):
        limit = month * d.DAYS_PER_MONTH
        at_risk = int((days > limit).sum())
        if at_risk < threshold:
            break
        if month > 0:
            pending += int((events & (days > (month - 1) * d.DAYS_PER_MONTH) & (days <= limit)).sum())
            if pending and pending < threshold:
                continue
        pending = 0
        value, se = curve.at(np.floor(limit))
        if method == KAPLAN_MEIER:
            low, high = interval_from_survival(value, se)
        else:
            low, high = interval(value, se)
        rows.append(
            {
                "month": month,
                "cumulative_incidence": float(value[0]),
                "ci_lower": float(low[0]),
                "ci_upper": float(high[0]),
                "number_at_risk": at_risk,
            }
        )
    return pd.DataFrame(rows, columns=["month", "cumulative_incidence", "ci_lower", "ci_upper", "number_at_risk"])


def curves_by_pathway(
    frame: pd.DataFrame, endpoint: d.Endpoint, *, threshold: int, pathways: tuple[str, ...]
) -> tuple[pd.DataFrame, dict[tuple[str, str], Curve]]:
    """Published Aalen-Johansen and Kaplan-Meier curves for all leavers and each pathway.

    Returns the tidy table (:data:`CURVE_COLUMNS`) and the unpublished curves
    (for the risks at fixed windows, which are published with their intervals).
    """
    parts, curves = [], {}
    groups = [("all", frame)] + [(p, frame[frame["pathway"] == p]) for p in pathways]
    for pathway, group in groups:
        if group.empty:
            continue
        for method in (AALEN_JOHANSEN, KAPLAN_MEIER):
            if method == AALEN_JOHANSEN:
                curve = aalen_johansen(group[d.DURATION], group[d.STATUS])
            else:
                curve = kaplan_meier(group[d.DURATION], group[d.STATUS] == d.EVENT)
            curves[(method, pathway)] = curve
            table = published_curve(group, curve, threshold=threshold, method=method)
            parts.append(table.assign(endpoint=endpoint.name, method=method, pathway=pathway))
    if not parts:
        return pd.DataFrame(columns=CURVE_COLUMNS), curves
    return pd.concat(parts, ignore_index=True)[CURVE_COLUMNS], curves


def numbers_at_risk(
    frame: pd.DataFrame, endpoint: d.Endpoint, *, threshold: int, pathways: tuple[str, ...], months: tuple[int, ...]
) -> pd.DataFrame:
    """Leavers still followed beyond each month, for all leavers and each pathway; fewer than ``threshold`` left out."""
    rows = []
    groups = [("all", frame)] + [(p, frame[frame["pathway"] == p]) for p in pathways]
    for pathway, group in groups:
        days = group[d.DURATION].to_numpy(dtype=float)
        for month in months:
            at_risk = int((days > month * d.DAYS_PER_MONTH).sum())
            if at_risk >= threshold:
                rows.append({"endpoint": endpoint.name, "pathway": pathway, "month": month, "number_at_risk": at_risk})
    return pd.DataFrame(rows, columns=["endpoint", "pathway", "month", "number_at_risk"])


def risk_at(curve: Curve, months: float, method: str) -> tuple[float, float, float, float]:
    """Cumulative incidence at ``months`` with its 95% interval and standard error."""
    value, se = curve.at(np.floor(months * d.DAYS_PER_MONTH))
    low, high = interval_from_survival(value, se) if method == KAPLAN_MEIER else interval(value, se)
    return float(value[0]), float(low[0]), float(high[0]), float(se[0])
