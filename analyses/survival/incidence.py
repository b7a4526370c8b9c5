"""Cumulative incidence with competing risks (Aalen-Johansen), Kaplan-Meier as a sensitivity, and what may be published.

The estimates come from statsmodels (``CumIncidenceRight``: the Aalen-Johansen
estimator with its standard error; ``SurvfuncRight``: Kaplan-Meier with
Greenwood's standard error). Pointwise 95% intervals are built on the
log(-log) scale, so they stay inside 0 to 1: for a cumulative incidence F,
``F ** exp(±1.96 se / (F log F))`` (Pintilie, *Competing Risks*, 2006; as R's
``tidycmprsk``), and for Kaplan-Meier the same on the survival S.

Disclosure (the suite's rule: counts from 1 up to ``threshold`` are
suppressed, so a published step must rest on ``threshold + 1`` events or
more). A curve is published only at whole months; a month is shown only when
at least ``threshold + 1`` events have happened since the last month shown, or
none (a flat stretch), so no step can be tied to fewer children or to one
child's event day. The curve runs to the last month at which at least
``threshold + 1`` leavers are still followed; events too few to publish at the
end are merged into the last published step (the step moves later) rather than
cutting the curve short. The risk windows (6, 12, 24 months) are shown
whenever the same rule allows (not when the events after the last window
number 1 to ``threshold``, which must merge into its step), and the published risk at a window is the
curve's published value there, so no published risk differs from a published
curve point by a step on fewer children. Numbers at risk are rounded to the
nearest 5 and shown only above the threshold, so the drop between two of them
never reveals a count from 1 to the threshold.
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


def round_to_five(count: int | np.ndarray) -> np.ndarray:
    """Counts rounded to the nearest multiple of 5 (halves up), as published numbers at risk are."""
    return (5 * np.floor(np.asarray(count, dtype=float) / 5 + 0.5)).astype(int)


def published_months(
    frame: pd.DataFrame, *, threshold: int, windows: tuple[int, ...] = (), max_months: int = MAX_MONTHS
) -> list[int]:
    """The whole months at which a curve may be published (see the module docstring for the rule).

    A step between two published months rests on ``threshold + 1`` events or
    more, or on none (the curve is flat there). The curve runs to the last month
    with at least ``threshold + 1`` leavers followed: events too few to publish
    at the end are merged into the last step with events (the flat points after
    it are dropped) rather than cutting the curve short, even when that step
    ended at a window, whose risk is then withheld. A window month (6, 12, 24)
    is otherwise published whenever it can be: when fewer than
    ``threshold + 1`` events have gathered since the last published month, that
    month (if it is neither month 0, nor a window, nor flat) moves to the window.
    """
    minimum = threshold + 1
    days = frame[d.DURATION].to_numpy(dtype=float)
    events = frame[d.EVENT_FLAG].to_numpy(dtype=bool)
    months = np.arange(max_months + 1)
    at_risk = (days[None, :] > months[:, None] * d.DAYS_PER_MONTH).sum(axis=1)
    followed = np.nonzero(at_risk >= minimum)[0]
    if not len(followed):
        return []
    last = int(followed[-1])
    shown, steps, pending = [0], [0], 0  # steps[i]: events between shown[i - 1] and shown[i]
    for month in range(1, last + 1):
        pending += int((events & (days > (month - 1) * d.DAYS_PER_MONTH) & (days <= month * d.DAYS_PER_MONTH)).sum())
        ends = month == last or month in windows
        if pending >= minimum or (ends and pending == 0):
            shown.append(month)
            steps.append(pending)
            pending = 0
        elif ends and month == last:
            # Too few events at the end: merge them into the last real step (flat points after it go), so
            # the curve is not cut short while more than the threshold are followed; a window can move here.
            real = max(i for i, events_in_step in enumerate(steps) if i == 0 or events_in_step > 0)
            if real > 0:  # without a real step the curve ends at its last flat point
                shown, steps = shown[: real + 1], steps[: real + 1]
                shown[-1], steps[-1] = month, steps[-1] + pending
        elif ends and shown[-1] != 0 and shown[-1] not in windows and steps[-1] > 0:
            shown[-1], steps[-1] = month, steps[-1] + pending  # move the step before to the window
            pending = 0
    return shown


def published_curve(
    frame: pd.DataFrame,
    curve: Curve,
    *,
    threshold: int,
    method: str,
    windows: tuple[int, ...] = (),
    max_months: int = MAX_MONTHS,
) -> pd.DataFrame:
    """The curve at the months of :func:`published_months`, with its interval and the number at risk.

    Rows: ``month``, ``cumulative_incidence``, ``ci_lower``, ``ci_upper``,
    ``number_at_risk`` (leavers followed beyond that month, rounded to the
    nearest 5).
    """
    days = frame[d.DURATION].to_numpy(dtype=float)
    rows = []
    for month in published_months(frame, threshold=threshold, windows=windows, max_months=max_months):
        limit = month * d.DAYS_PER_MONTH
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
                "number_at_risk": int(round_to_five(int((days > limit).sum()))),
            }
        )
    return pd.DataFrame(rows, columns=["month", "cumulative_incidence", "ci_lower", "ci_upper", "number_at_risk"])


def curves_by_pathway(
    frame: pd.DataFrame,
    endpoint: d.Endpoint,
    *,
    threshold: int,
    pathways: tuple[str, ...],
    windows: tuple[int, ...] = (),
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
            table = published_curve(group, curve, threshold=threshold, method=method, windows=windows)
            parts.append(table.assign(endpoint=endpoint.name, method=method, pathway=pathway))
    if not parts:
        return pd.DataFrame(columns=CURVE_COLUMNS), curves
    return pd.concat(parts, ignore_index=True)[CURVE_COLUMNS], curves


def numbers_at_risk(
    frame: pd.DataFrame, endpoint: d.Endpoint, *, threshold: int, pathways: tuple[str, ...], months: tuple[int, ...]
) -> pd.DataFrame:
    """Leavers still followed beyond each month, for all leavers and each pathway, rounded to the nearest 5.

    Months with ``threshold`` or fewer leavers followed are left out. Rounding
    to 5s means that no drop between two published counts (here or in the
    curve table) tells how many children, from 1 to the threshold, left
    follow-up in between.
    """
    rows = []
    groups = [("all", frame)] + [(p, frame[frame["pathway"] == p]) for p in pathways]
    for pathway, group in groups:
        days = group[d.DURATION].to_numpy(dtype=float)
        for month in months:
            at_risk = int((days > month * d.DAYS_PER_MONTH).sum())
            if at_risk > threshold:
                rows.append(
                    {
                        "endpoint": endpoint.name,
                        "pathway": pathway,
                        "month": month,
                        "number_at_risk": int(round_to_five(at_risk)),
                    }
                )
    return pd.DataFrame(rows, columns=["endpoint", "pathway", "month", "number_at_risk"])


def risk_at(curve: Curve, months: float, method: str) -> tuple[float, float, float, float]:
    """Cumulative incidence at ``months`` with its 95% interval and standard error."""
    value, se = curve.at(np.floor(months * d.DAYS_PER_MONTH))
    low, high = interval_from_survival(value, se) if method == KAPLAN_MEIER else interval(value, se)
    return float(value[0]), float(low[0]), float(high[0]), float(se[0])
