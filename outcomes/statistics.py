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
cumulative incidence    Aalen-Johansen with competing events, delta-method
within a window         (Marubini and Valsecchi) variance on the log(-log)
                        scale; Kaplan-Meier (Greenwood, log(-log)) as the
                        sensitivity figure that treats competing events as
                        censoring
overdispersed rate      quasi-Poisson: the exact/Byar limits of O/phi, times
                        phi, with phi the Pearson dispersion across clusters
mean (change)           Student's t
any statistic over      percentile interval of a cluster bootstrap (fixed
clustered records       seed), for checks against the generator
======================  ===================================================
"""

from __future__ import annotations

from collections.abc import Callable
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
    """Estimated share with the event by a horizon (Kaplan-Meier or Aalen-Johansen).

    Attributes
    ----------
    estimate, lower, upper : cumulative incidence by the horizon and its interval.
    n : children (or stays) followed from time zero.
    events : events of interest seen by the horizon.
    censored : follow-up ended before the horizon with no event of any kind (for Kaplan-Meier, competing
        events passed in as censoring count here too).
    naive : events / n, the share that ignores censoring (biased downwards; reported for comparison).
    estimable : False when the data cannot identify the incidence at the horizon.
    at_risk : still followed, with no event of any kind, at the horizon.
    competing : competing events (turning 18, death) seen by the horizon; 0 for Kaplan-Meier.
    """

    estimate: float
    lower: float
    upper: float
    n: int
    events: int
    censored: int
    naive: float
    estimable: bool
    at_risk: int = 0
    competing: int = 0


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

    Competing events (death, turning 18) passed in as censoring give the incidence in a
    world where they could not happen: for re-referral, a world in which children do not
    turn 18. :func:`aj_cumulative_incidence` gives the real-world incidence; this one is
    kept as the labelled sensitivity figure.
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
    at_risk = int((t >= horizon).sum())
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
    return CumulativeIncidence(1 - s, 1 - s_upper, 1 - s_lower, n, n_events, n_censored, naive, True, at_risk)


def aj_cumulative_incidence(
    durations: np.ndarray, event_types: np.ndarray, horizon: float, confidence: float = 0.95
) -> CumulativeIncidence:
    """Cumulative incidence by ``horizon`` with competing events (Aalen-Johansen), delta-method interval.

    Parameters
    ----------
    durations : time from the start of follow-up to the first event of any kind, or to censoring.
    event_types : 1 for the event of interest, 2 (any other positive code) for a competing event that ends
        the chance of it (turning 18, death), 0 for censoring (the data end).
    horizon : the end of the window, in the units of ``durations``.

    Notes
    -----
    ``F(t) = sum over event times t_l <= t of S(t_{l-1}) d1_l / Y_l``, with ``S`` the Kaplan-Meier
    curve of the first event of any kind, ``Y_l`` the number at risk just before ``t_l``, ``d1_l`` the
    events of interest and ``d_l`` the events of any kind at ``t_l``. Tied times are taken together
    (events of every kind at a time leave the risk set together; censorings at that time stay in it).

    The variance is the delta-method (Greenwood-type) one of Marubini and Valsecchi (1995), as SAS
    PROC LIFETEST (``ERROR=DELTA``) and lifelines' ``AalenJohansenFitter`` give it::

        V = sum (F - F_l)^2 d_l / (Y_l (Y_l - d_l)) + sum S_{l-1}^2 d1_l (Y_l - d1_l) / Y_l^3
            - 2 sum (F - F_l) S_{l-1} d1_l / Y_l^2

    and the interval is taken on the log(-log F) scale (as lifelines), so it stays inside 0 to 1. With no
    event of interest by the horizon the upper limit is the exact (Clopper-Pearson) one for 0 events among
    the children whose outcome by the horizon is known (not censored before it), ``1 - (alpha/2)**(1/m)``.
    Without competing events the estimate is ``1 - S`` of Kaplan-Meier and ``V`` is Greenwood's.

    The estimate is identifiable (``estimable``) when somebody is still at risk at the horizon, or when
    nobody was censored before it (every outcome by the horizon is then known, and the estimate is the
    plain share).
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(event_types, dtype=int)
    n = len(t)
    if n == 0:
        return CumulativeIncidence(np.nan, np.nan, np.nan, 0, 0, 0, np.nan, False)
    within = t <= horizon
    n_events = int(((e == 1) & within).sum())
    n_competing = int(((e > 1) & within).sum())
    n_censored = int(((e == 0) & (t < horizon)).sum())
    at_risk = int((t >= horizon).sum())
    naive = n_events / n
    if at_risk == 0 and n_censored > 0:
        return CumulativeIncidence(np.nan, np.nan, np.nan, n, n_events, n_censored, naive, False, 0, n_competing)

    any_event = (e > 0) & within
    times, d_all = np.unique(t[any_event], return_counts=True)
    d_one = np.zeros(len(times))
    if n_events:
        one_times, one_counts = np.unique(t[(e == 1) & within], return_counts=True)
        d_one[np.searchsorted(times, one_times)] = one_counts
    y = n - np.searchsorted(np.sort(t), times, side="left").astype(float)
    survival = np.cumprod(1 - d_all / y)
    survival_before = np.concatenate([[1.0], survival[:-1]])
    incidence_path = np.cumsum(survival_before * d_one / y)
    estimate = float(incidence_path[-1]) if len(times) else 0.0

    known = n - n_censored
    alpha = 1 - confidence
    if estimate == 0.0:
        upper = 1 - (alpha / 2) ** (1 / known) if known else np.nan
        return CumulativeIncidence(0.0, 0.0, float(upper), n, 0, n_censored, naive, True, at_risk, n_competing)
    remaining = estimate - incidence_path
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.where(y > d_all, d_all / (y * (y - d_all)), 0.0)
    variance = float(
        np.sum(remaining**2 * greenwood)
        + np.sum(survival_before**2 * d_one * (y - d_one) / y**3)
        - 2 * np.sum(remaining * survival_before * d_one / y**2)
    )
    if estimate >= 1.0:
        lower, upper = (alpha / 2) ** (1 / known), 1.0
    else:
        z = _z(confidence)
        centre = np.log(-np.log(estimate))
        spread = z * np.sqrt(max(variance, 0.0)) / (estimate * abs(np.log(estimate)))
        # A larger log(-log F) is a smaller F: adding the spread gives the lower limit.
        lower = float(np.exp(-np.exp(centre + spread)))
        upper = float(np.exp(-np.exp(centre - spread)))
    return CumulativeIncidence(
        estimate, float(lower), float(upper), n, n_events, n_censored, naive, True, at_risk, n_competing
    )


@dataclass(frozen=True)
class OverdispersedRate:
    """A rate with an interval that allows for extra-Poisson variation between clusters.

    Attributes
    ----------
    rate, lower, upper : events per unit of exposure, times the multiplier, and the interval.
    dispersion : the Pearson dispersion used (at least 1).
    clusters : the number of clusters (children) it was estimated from.
    """

    rate: float
    lower: float
    upper: float
    dispersion: float
    clusters: int


def pearson_dispersion(events: np.ndarray, exposure: np.ndarray) -> float:
    """Pearson's X^2 / (k - 1) of per-cluster counts about the pooled rate (a quasi-Poisson intercept model).

    ``sum (O_c - r T_c)^2 / (r T_c)`` over the ``k`` clusters with exposure, ``r = sum O / sum T``; the same as
    statsmodels' ``GLM(O, ones, family=Poisson(), offset=log T).fit(scale="X2").scale``. NaN with fewer than two
    clusters or no events.
    """
    o = np.asarray(events, dtype=float)
    exposure_ = np.asarray(exposure, dtype=float)
    keep = exposure_ > 0
    o, exposure_ = o[keep], exposure_[keep]
    k = len(o)
    if k < 2 or o.sum() == 0:
        return np.nan
    expected = exposure_ * o.sum() / exposure_.sum()
    return float(np.sum((o - expected) ** 2 / expected) / (k - 1))


def quasi_poisson_rate_interval(
    events: np.ndarray, exposure: np.ndarray, multiplier: float = 1.0, confidence: float = 0.95
) -> OverdispersedRate:
    """A rate over clusters (children) with an interval widened for overdispersion.

    Parameters
    ----------
    events, exposure : per cluster (a child's incidents and nights, summed over the child's stays).

    Notes
    -----
    With ``phi = max(1, pearson_dispersion)``, the total count ``O`` has variance ``phi * E[O]``, so ``O / phi``
    behaves as a Poisson count; its exact (below 10) or Byar limits, times ``phi / T``, give the interval.
    With ``phi = 1`` this is exactly :func:`poisson_rate_interval`. ``phi`` is not allowed below 1 (an
    interval narrower than Poisson's from a handful of children would be an artefact), and is 1 where it
    cannot be estimated (fewer than two children, or no events). For large counts the interval agrees with
    the quasi-Poisson GLM's Wald interval ``r exp(+-z sqrt(phi / O))`` (checked against statsmodels).
    """
    o = np.asarray(events, dtype=float)
    exposure_ = np.asarray(exposure, dtype=float)
    total, time = float(o.sum()), float(exposure_.sum())
    estimated = pearson_dispersion(o, exposure_)
    phi = 1.0 if np.isnan(estimated) else max(1.0, estimated)
    effective = total / phi
    rate, lower, upper = poisson_rate_interval(effective, time / phi, multiplier, confidence)
    return OverdispersedRate(float(rate), float(lower), float(upper), phi, int((exposure_ > 0).sum()))


def cluster_bootstrap_interval(
    statistic: Callable[[np.ndarray], float],
    clusters: np.ndarray,
    *,
    reps: int = 500,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Percentile interval of ``statistic`` over resamples of whole clusters (children), with a fixed seed.

    ``statistic`` takes the row positions of one resample (rows of a drawn cluster appear as often as it is
    drawn) and returns a number; ``clusters`` labels each row. Used to check estimates on records that repeat
    a child against the generator's truth, where the analytic variance would assume independent rows.
    """
    labels, codes = np.unique(np.asarray(clusters), return_inverse=True)
    rows = np.arange(len(codes))
    rng = np.random.default_rng(seed)
    values = np.empty(reps)
    for rep in range(reps):
        # Each row appears as often as its cluster was drawn.
        times_drawn = np.bincount(rng.integers(0, len(labels), len(labels)), minlength=len(labels))
        values[rep] = statistic(np.repeat(rows, times_drawn[codes]))
    alpha = 1 - confidence
    lower, upper = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    return float(lower), float(upper)
