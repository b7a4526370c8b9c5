"""Confidence intervals for the indicator families.

Each function returns plain floats (or arrays) so that the indicator base
classes, the analyses and the tests can all use them. The methods are the
ones Public Health England's *Technical Guide: Confidence intervals* (2018)
recommends for public-health indicators, plus Kaplan-Meier for outcomes whose
follow-up is censored:

======================  ===================================================
statistic               method
======================  ===================================================
proportion              Wilson score
rate (events/exposure)  exact Poisson (Garwood, chi-square) below 10 events,
                        Byar's approximation from 10 events
median (durations)      binomial order statistics (distribution free)
cumulative incidence    Kaplan-Meier, Greenwood variance on the log(-log)
within a window         scale (lifelines' default)
mean (change)           Student's t
======================  ===================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import stats

BYAR_FROM_EVENTS = 10
"""Rates with at least this many events use Byar's method; fewer use the exact interval."""


@lru_cache(maxsize=16)
def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson_interval(
    numerator: float | np.ndarray, denominator: float | np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion.

    Parameters
    ----------
    numerator, denominator : counts (scalars or arrays); a zero denominator gives NaN.
    confidence : two-sided confidence level.

    Returns
    -------
    (lower, upper) as proportions between 0 and 1.
    """
    z = _z(confidence)
    x = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        centre = p + z**2 / (2 * n)
        half_width = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
        scale = 1 + z**2 / n
        lower = (centre - half_width) / scale
        upper = (centre + half_width) / scale
    # The formula is exact at the boundaries; clipping only removes rounding below 0 or above 1.
    return np.clip(lower, 0, 1), np.clip(upper, 0, 1)


def exact_poisson_count_interval(events: float | np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) interval for a Poisson count, from the chi-square distribution."""
    alpha = 1 - confidence
    o = np.asarray(events, dtype=float)
    lower = np.where(o > 0, stats.chi2.ppf(alpha / 2, 2 * o) / 2, 0.0)
    upper = stats.chi2.ppf(1 - alpha / 2, 2 * (o + 1)) / 2
    return lower, upper


def byar_count_interval(events: float | np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Byar's approximation to the exact Poisson interval for a count (Breslow and Day 1987).

    ``O (1 - 1/(9O) - z/(3 sqrt O))**3`` and ``(O+1) (1 - 1/(9(O+1)) + z/(3 sqrt(O+1)))**3``: the
    Wilson-Hilferty cube-root approximation of the exact limits ``chi2(alpha/2; 2O)/2`` and
    ``chi2(1 - alpha/2; 2O+2)/2``, as PHE's technical guide (2018, appendix 1) gives it. Some software
    (epitools, DescTools) uses ``O + 0.5`` in both limits instead; that variant is not this one.
    """
    z = _z(confidence)
    o = np.asarray(events, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(o > 0, o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3, 0.0)
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    return lower, upper


def poisson_rate_interval(
    events: float | np.ndarray, exposure: float | np.ndarray, multiplier: float = 1.0, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A rate (events per unit of exposure, times ``multiplier``) with its interval.

    Exact Poisson limits below :data:`BYAR_FROM_EVENTS` events, Byar's from then on,
    as PHE's technical guide recommends (Byar's is within 0.2% of exact from 10 events).

    Returns
    -------
    (rate, lower, upper); NaN where the exposure is zero.
    """
    o = np.asarray(events, dtype=float)
    t = np.asarray(exposure, dtype=float)
    exact_lower, exact_upper = exact_poisson_count_interval(o, confidence)
    byar_lower, byar_upper = byar_count_interval(o, confidence)
    use_byar = o >= BYAR_FROM_EVENTS
    lower = np.where(use_byar, byar_lower, exact_lower)
    upper = np.where(use_byar, byar_upper, exact_upper)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(t > 0, multiplier / t, np.nan)
    return o * scale, lower * scale, upper * scale


def median_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Median with a distribution-free interval from the binomial order statistics.

    The interval is ``[x_(j), x_(k)]`` with the narrowest symmetric ranks for which
    ``P(j <= B < k) >= confidence`` where ``B ~ Binomial(n, 1/2)`` (Conover 1999, 3.2);
    with too few values for the level, the interval is NaN.

    Returns
    -------
    (median, lower, upper)
    """
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return np.nan, np.nan, np.nan
    median = float(np.median(x))
    alpha = 1 - confidence
    # Largest j (1-based) with P(B <= j - 1) <= alpha / 2; the upper rank mirrors it.
    j = int(stats.binom.ppf(alpha / 2, n, 0.5))
    if stats.binom.cdf(j, n, 0.5) > alpha / 2:
        j -= 1
    j += 1
    if j < 1:
        return median, np.nan, np.nan
    k = n - j + 1
    return median, float(x[j - 1]), float(x[k - 1])


def mean_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean with a Student's t interval. Fewer than two values give a NaN interval.

    Returns
    -------
    (mean, lower, upper)
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return np.nan, np.nan, np.nan
    mean = float(x.mean())
    if n < 2:
        return mean, np.nan, np.nan
    half_width = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return mean, mean - half_width, mean + half_width


@dataclass(frozen=True)
class CumulativeIncidence:
    """Kaplan-Meier estimate of the share with the event by a horizon.

    Attributes
    ----------
    estimate, lower, upper : cumulative incidence ``1 - S(horizon)`` and its interval.
    n : children (or stays) followed from time zero.
    events : events seen by the horizon.
    censored : followed for less than the horizon without the event.
    naive : events / n, the share that ignores censoring (biased downwards; reported for comparison).
    estimable : False when nobody was followed as far as the horizon.
    """

    estimate: float
    lower: float
    upper: float
    n: int
    events: int
    censored: int
    naive: float
    estimable: bool


def _kaplan_meier_at(t: np.ndarray, e: np.ndarray, horizon: float) -> tuple[float, float, int]:
    """Product-limit survival at ``horizon``, Greenwood's variance sum, and the number at risk then.

    The same estimator as lifelines' ``KaplanMeierFitter`` (events before censorings at tied times);
    written out with numpy because fitting lifelines for each of hundreds of cells dominated the run.
    """
    event_times = np.unique(t[(e == 1) & (t <= horizon)])
    survival, greenwood = 1.0, 0.0
    for time in event_times:
        at_risk = int((t >= time).sum())
        deaths = int(((t == time) & (e == 1)).sum())
        survival *= 1 - deaths / at_risk
        greenwood += deaths / (at_risk * (at_risk - deaths)) if at_risk > deaths else np.inf
    return survival, greenwood, int((t >= horizon).sum())


def km_cumulative_incidence(
    durations: np.ndarray, events: np.ndarray, horizon: float, confidence: float = 0.95, *, engine: str = "numpy"
) -> CumulativeIncidence:
    """Cumulative incidence by ``horizon`` from Kaplan-Meier, with a log(-log) Greenwood interval.

    Parameters
    ----------
    durations : time from the start of follow-up to the event or censoring.
    events : 1 where the event was seen, 0 where follow-up was censored.
    horizon : the end of the window, in the units of ``durations``.
    engine : ``numpy`` (default, fast) or ``lifelines`` (``KaplanMeierFitter``); they agree to
        rounding, which ``tests/test_statistics.py`` checks.

    Notes
    -----
    The interval is lifelines' default, the "exponential Greenwood" interval
    ``S ** exp(+-z sqrt(V) / log S)`` with ``V`` Greenwood's sum. With no event by the
    horizon the Greenwood interval has zero width, so the upper limit is the exact
    binomial one among those still followed at the horizon, ``1 - (alpha/2) ** (1/m)``.

    Competing events (death, turning 18) are handled as censoring: this is the
    incidence had they not happened; both are rare in this cohort before 24 months.
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=int)
    n = len(t)
    within = t <= horizon
    n_events = int(((e == 1) & within).sum())
    n_censored = int(((e == 0) & (t < horizon)).sum())
    if n == 0:
        return CumulativeIncidence(np.nan, np.nan, np.nan, 0, 0, 0, np.nan, False)
    naive = n_events / n
    # Identifiable only if someone was still followed at the horizon, or everyone had the event.
    estimable = bool((t >= horizon).any()) or n_events == n
    if not estimable:
        return CumulativeIncidence(np.nan, np.nan, np.nan, n, n_events, n_censored, naive, False)
    z = _z(confidence)
    if engine == "lifelines":
        from lifelines import KaplanMeierFitter

        fitter = KaplanMeierFitter(alpha=1 - confidence).fit(t, event_observed=e)
        curve = fitter.survival_function_.iloc[:, 0]
        bounds = fitter.confidence_interval_survival_function_
        at = curve.index[curve.index <= horizon].max()
        s, s_lower, s_upper = float(curve.loc[at]), float(bounds.loc[at].iloc[0]), float(bounds.loc[at].iloc[1])
        at_risk = int((t >= horizon).sum())
    elif engine == "numpy":
        s, greenwood, at_risk = _kaplan_meier_at(t, e, horizon)
        if 0 < s < 1:
            spread = z * np.sqrt(greenwood) / np.log(s)
            # log(s) < 0, so subtracting the spread on the log(-log) scale gives the lower survival limit.
            s_lower = float(np.exp(-np.exp(np.log(-np.log(s)) - spread)))
            s_upper = float(np.exp(-np.exp(np.log(-np.log(s)) + spread)))
        else:
            s_lower = s_upper = s
    else:
        raise ValueError(f"engine must be 'numpy' or 'lifelines', not {engine!r}")
    if s == 1.0:
        s_lower = float(((1 - confidence) / 2) ** (1 / at_risk)) if at_risk else np.nan
        s_upper = 1.0
    return CumulativeIncidence(1 - s, 1 - s_upper, 1 - s_lower, n, n_events, n_censored, naive, True)
