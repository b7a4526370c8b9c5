"""Confidence intervals checked against independent implementations and published properties."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson

from outcomes import statistics


@pytest.mark.parametrize(("x", "n"), [(0, 10), (1, 10), (3, 10), (10, 10), (45, 100), (812, 2500)])
def test_wilson_matches_statsmodels(x: int, n: int) -> None:
    """Reference: statsmodels ``proportion_confint(method="wilson")``; tolerance 1e-12."""
    lower, upper = statistics.wilson_interval(x, n)
    expected = proportion_confint(x, n, alpha=0.05, method="wilson")
    assert float(lower) == pytest.approx(expected[0], abs=1e-12)
    assert float(upper) == pytest.approx(expected[1], abs=1e-12)


def test_wilson_hand_calculation() -> None:
    """Hand calculation, 3 of 10, z = 1.959964: centre (0.3 + 0.19207)/1.38415, half-width 0.2487 -> (0.1078, 0.6032)."""
    lower, upper = statistics.wilson_interval(3, 10)
    assert (round(float(lower), 4), round(float(upper), 4)) == (0.1078, 0.6032)


@pytest.mark.parametrize("events", [0, 1, 2, 5, 9])
def test_rate_below_10_events_is_exact_poisson(events: int) -> None:
    """Reference: statsmodels ``confint_poisson(method="exact-c")`` (Garwood); below 10 events the rate is exact."""
    rate, lower, upper = statistics.poisson_rate_interval(events, 2000, multiplier=1000)
    expected = confint_poisson(events, 2000, method="exact-c")
    assert float(rate) == pytest.approx(events / 2)
    assert float(lower) == pytest.approx(expected[0] * 1000, abs=1e-9)
    assert float(upper) == pytest.approx(expected[1] * 1000, rel=1e-9)


def test_byar_hand_calculation() -> None:
    """Byar's method (Breslow and Day 1987; PHE Technical Guide: Confidence intervals, 2018, Appendix 1) by hand.

    No published worked example with numbers could be found offline (the PHE guide's appendix gives the
    formula; PHEindicatormethods keeps its reference values in a spreadsheet), so the limits are worked by hand:
    O = 10, z = 1.959964: lower = 10 (1 - 1/90 - z/(3 sqrt 10))^3 = 10 * 0.782285^3 = 4.78745;
    upper = 11 (1 - 1/99 + z/(3 sqrt 11))^3 = 11 * 1.186890^3 = 18.39146.
    The exact (chi-square) limits for 10 events are 4.79539 and 18.39036, within 0.2% as the guide says.
    """
    rate, lower, upper = statistics.poisson_rate_interval(10, 1, multiplier=1)
    assert (round(float(lower), 4), round(float(upper), 4)) == (4.7874, 18.3915)
    exact_lower, exact_upper = statistics.exact_poisson_count_interval(10)
    assert (round(float(exact_lower), 5), round(float(exact_upper), 5)) == (4.79539, 18.39036)


@pytest.mark.parametrize("events", [10, 37, 196, 1045])
def test_byar_is_the_wilson_hilferty_approximation_to_the_exact_chi_square_limits(events: int) -> None:
    """Derivation of Byar's limits: the exact limits are chi-square quantiles halved, chi2(a/2; 2O)/2 and
    chi2(1 - a/2; 2O + 2)/2, and Wilson and Hilferty (1931) approximate chi2(p; v) by
    v (1 - 2/(9v) + z_p sqrt(2/(9v)))^3. With v = 2O this is O (1 - 1/(9O) - z/(3 sqrt O))^3, Byar's lower limit;
    with v = 2(O + 1), his upper. Written here in the chi-square form, independently of statistics.py.

    (epitools' ``pois.byar`` and DescTools' ``PoissonCI(method="byar")`` use O + 0.5 in both limits, a different
    variant: for 196 events over 280 they give 0.60708 to 0.80325, ours 0.60542 to 0.80516, exact 0.60543 to
    0.80516, so PHE's form is the one closer to exact.)
    """
    z = stats.norm.ppf(0.975)

    def wilson_hilferty(p_z: float, dof: float) -> float:
        return dof * (1 - 2 / (9 * dof) + p_z * np.sqrt(2 / (9 * dof))) ** 3

    lower, upper = statistics.byar_count_interval(events)
    assert float(lower) == pytest.approx(wilson_hilferty(-z, 2 * events) / 2, rel=1e-12)
    assert float(upper) == pytest.approx(wilson_hilferty(z, 2 * (events + 1)) / 2, rel=1e-12)
    if events == 196:
        assert (float(lower) / 280, float(upper) / 280) == pytest.approx((0.605423, 0.805160), abs=1e-6)


@pytest.mark.parametrize("events", [10, 25, 100, 389, 1000])
def test_byar_is_within_the_guide_tolerance_of_exact(events: int) -> None:
    """PHE's Technical Guide (2018) says Byar's limits are within 0.2% of the exact ones from 10 events (95%)."""
    byar_lower, byar_upper = statistics.byar_count_interval(events)
    exact_lower, exact_upper = statistics.exact_poisson_count_interval(events)
    assert float(byar_lower) == pytest.approx(float(exact_lower), rel=0.002)
    assert float(byar_upper) == pytest.approx(float(exact_upper), rel=0.002)
    rate, lower, _ = statistics.poisson_rate_interval(events, 1)
    assert float(lower) == pytest.approx(float(byar_lower))


def test_rate_with_no_exposure_is_nan() -> None:
    rate, lower, upper = statistics.poisson_rate_interval(3, 0)
    assert np.isnan([rate, lower, upper]).all()


@pytest.mark.parametrize("n", [6, 7, 10, 20, 51, 200])
def test_median_interval_matches_scipy_quantile_test(n: int) -> None:
    """Reference: ``scipy.stats.quantile_test(...).confidence_interval`` (exact binomial order statistics)."""
    values = np.random.default_rng(n).exponential(60, n).round()
    median, lower, upper = statistics.median_interval(values)
    reference = stats.quantile_test(values, q=np.median(values), p=0.5).confidence_interval(0.95)
    assert median == np.median(values)
    assert (lower, upper) == (reference.low, reference.high)


def test_median_interval_needs_six_values_at_95() -> None:
    """With 5 values P(all on one side) = 2/32 > 0.05, so no order statistics give 95% (Conover 1999)."""
    median, lower, upper = statistics.median_interval([1, 2, 3, 4, 5])
    assert median == 3 and np.isnan(lower) and np.isnan(upper)


def test_mean_interval_matches_scipy_t() -> None:
    """Reference: ``scipy.stats.ttest_1samp(...).confidence_interval``."""
    values = np.array([-4.0, -1.5, 0.0, -3.0, 2.0, -6.5, -2.0])
    mean, lower, upper = statistics.mean_interval(values)
    reference = stats.ttest_1samp(values, 0).confidence_interval(0.95)
    assert mean == pytest.approx(values.mean())
    assert (lower, upper) == pytest.approx((reference.low, reference.high), abs=1e-12)


def test_km_matches_lifelines_kaplan_meier_fitter() -> None:
    """Reference: lifelines ``KaplanMeierFitter`` (exponential Greenwood interval), on 40 random censored samples."""
    rng = np.random.default_rng(1)
    for _ in range(40):
        n = int(rng.integers(10, 120))
        time = np.ceil(rng.exponential(300, n))
        censor = np.ceil(rng.uniform(1, 900, n))
        durations, events = np.minimum(time, censor), (time <= censor).astype(int)
        for horizon in (182.6, 365.25, 730.5):
            ours = statistics.km_cumulative_incidence(durations, events, horizon)
            theirs = statistics.km_cumulative_incidence(durations, events, horizon, engine="lifelines")
            assert ours.estimable == theirs.estimable
            if ours.estimable:
                assert (ours.estimate, ours.lower, ours.upper) == pytest.approx(
                    (theirs.estimate, theirs.lower, theirs.upper), abs=1e-10
                )


def test_km_hand_calculation_without_censoring_equals_the_share() -> None:
    """With no censoring, 1 - S(t) is the plain share: 3 of 8 had the event by day 100."""
    durations = np.array([10, 50, 90, 150, 400, 400, 400, 400])
    events = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    result = statistics.km_cumulative_incidence(durations, events, 100)
    assert result.estimate == pytest.approx(3 / 8)
    assert result.lower < 3 / 8 < result.upper


def test_km_hand_calculation_with_censoring() -> None:
    """Hand calculation: 5 followed; event day 10 (5 at risk), censored day 20, event day 30 (3 at risk).

    S(40) = (4/5)(2/3) = 8/15, so the incidence is 7/15 = 0.4667, where the naive share is 2/5 = 0.4.
    """
    result = statistics.km_cumulative_incidence(np.array([10, 20, 30, 60, 60]), np.array([1, 0, 1, 0, 0]), 40)
    assert result.estimate == pytest.approx(7 / 15)
    assert result.naive == pytest.approx(0.4)
    assert (result.events, result.censored, result.n) == (2, 1, 5)


def test_km_not_estimable_when_nobody_reaches_the_horizon() -> None:
    result = statistics.km_cumulative_incidence(np.array([10, 20, 30]), np.array([1, 0, 0]), 100)
    assert not result.estimable and np.isnan(result.estimate)


def test_km_without_events_has_an_exact_upper_limit() -> None:
    """No events among 10 followed to the horizon: upper limit 1 - 0.025 ** (1/10) = 0.3085 (Clopper-Pearson)."""
    result = statistics.km_cumulative_incidence(np.full(10, 400), np.zeros(10), 365)
    assert result.estimate == 0 and result.lower == 0
    assert result.upper == pytest.approx(proportion_confint(0, 10, alpha=0.05, method="beta")[1])


def competing_sample(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Continuous times (no ties, so lifelines does not jitter): event of interest, competing event, censoring."""
    interest, competing, censoring = rng.exponential(300, n), rng.exponential(500, n), rng.uniform(0, 900, n)
    durations = np.minimum.reduce([interest, competing, censoring])
    types = np.where(durations == interest, 1, np.where(durations == competing, 2, 0))
    return durations, types


def test_aalen_johansen_matches_lifelines_estimate_and_delta_method_interval() -> None:
    """Reference: lifelines ``AalenJohansenFitter`` (Marubini-Valsecchi delta-method variance, log(-log)
    interval; Collett 2015, p. 411), on 20 random samples with a competing event, at three horizons; 1e-10."""
    import warnings

    from lifelines import AalenJohansenFitter

    rng = np.random.default_rng(7)
    for _ in range(20):
        durations, types = competing_sample(rng, int(rng.integers(30, 300)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitter = AalenJohansenFitter(seed=0).fit(durations, types, event_of_interest=1)
        curve = fitter.cumulative_density_.iloc[:, 0]
        for horizon in (182.6, 365.25, 600.0):
            ours = statistics.aj_cumulative_incidence(durations, types, horizon)
            if not ours.estimable:  # nobody left at risk after a censoring: lifelines carries the curve on
                assert (durations >= horizon).sum() == 0
                continue
            at = curve.index[curve.index <= horizon].max()
            # lifelines labels its two limit columns the wrong way round; take them by size.
            limits = fitter.confidence_interval_.loc[at]
            assert ours.estimate == pytest.approx(float(curve.loc[at]), abs=1e-10)
            assert (ours.lower, ours.upper) == pytest.approx((limits.min(), limits.max()), abs=1e-10)


def test_aalen_johansen_hand_calculation_with_a_competing_event() -> None:
    """Six children followed from day 0. Day 10: re-referred (6 at risk); day 20: turned 18 (5 at risk);
    day 30: censored; day 40: re-referred (3 at risk); two followed to day 100.
    S: 5/6 after day 10, 4/6 after day 20. F(50) = 1/6 + (4/6)(1/3) = 7/18 = 0.3889.
    Kaplan-Meier, treating turning 18 as censoring, gives 1 - (5/6)(2/3) = 4/9 = 0.4444: higher, as it must be.
    Delta-method variance by hand, event times 10 (Y=6, d=1, d1=1, F_l=1/6), 20 (Y=5, d=1, d1=0, F_l=1/6) and
    40 (Y=3, d=1, d1=1, F_l=F): sum (F-F_l)^2 d/(Y(Y-d)) + sum S_prev^2 d1 (Y-d1)/Y^3 - 2 sum (F-F_l) S_prev d1/Y^2,
    written out term by term below, then the log(-log F) interval."""
    durations = np.array([10, 20, 30, 40, 100, 100])
    types = np.array([1, 2, 0, 1, 0, 0])
    result = statistics.aj_cumulative_incidence(durations, types, 50)
    assert result.estimate == pytest.approx(7 / 18)
    assert (result.events, result.competing, result.censored, result.at_risk) == (2, 1, 1, 2)
    km = statistics.km_cumulative_incidence(durations, (types == 1).astype(int), 50)
    assert km.estimate == pytest.approx(4 / 9)
    f = 7 / 18
    first = (f - 1 / 6) ** 2 * 1 / (6 * 5) + (f - 1 / 6) ** 2 * 1 / (5 * 4) + 0.0
    second = 1**2 * 1 * 5 / 6**3 + (4 / 6) ** 2 * 1 * 2 / 3**3
    third = (f - 1 / 6) * 1 * 1 / 6**2
    variance = first + second - 2 * third
    z = stats.norm.ppf(0.975)
    spread = z * np.sqrt(variance) / (f * abs(np.log(f)))
    assert result.lower == pytest.approx(np.exp(-np.exp(np.log(-np.log(f)) + spread)))
    assert result.upper == pytest.approx(np.exp(-np.exp(np.log(-np.log(f)) - spread)))


def test_aalen_johansen_without_competing_events_is_kaplan_meier_with_greenwood_variance() -> None:
    """With no competing event, F = 1 - S and the delta-method variance is Greenwood's, so on the log(-log)
    scales (of F and of S) the two intervals have the same standard error: checked through the estimate and
    through the variance recovered from the AJ interval."""
    rng = np.random.default_rng(3)
    durations, types = competing_sample(rng, 400)
    types = np.where(types == 2, 0, types)
    aj = statistics.aj_cumulative_incidence(durations, types, 365.25)
    km = statistics.km_cumulative_incidence(durations, types, 365.25)
    assert aj.estimate == pytest.approx(km.estimate, abs=1e-12)
    survival, greenwood, _ = statistics._kaplan_meier_at(durations, types, 365.25)
    f, z = aj.estimate, stats.norm.ppf(0.975)
    recovered = ((np.log(-np.log(aj.lower)) - np.log(-np.log(f))) * f * abs(np.log(f)) / z) ** 2
    assert recovered == pytest.approx(survival**2 * greenwood, rel=1e-9)


def test_aalen_johansen_is_a_plain_share_when_every_outcome_is_known() -> None:
    """Nobody censored before day 50, nobody at risk at it (all re-referred or turned 18): 2 of 5, estimable."""
    result = statistics.aj_cumulative_incidence(np.array([5, 10, 20, 30, 40]), np.array([1, 2, 2, 1, 2]), 50)
    assert result.estimable and result.at_risk == 0
    assert result.estimate == pytest.approx(2 / 5)


def test_aalen_johansen_not_estimable_when_censored_and_nobody_at_risk() -> None:
    result = statistics.aj_cumulative_incidence(np.array([5, 10, 20]), np.array([1, 2, 0]), 50)
    assert not result.estimable and np.isnan(result.estimate)


def test_aalen_johansen_without_events_has_an_exact_upper_limit() -> None:
    """No re-referral; 10 children with known outcomes (8 followed to day 400, 2 turned 18): 1 - 0.025 ** (1/10)."""
    result = statistics.aj_cumulative_incidence(np.array([400] * 8 + [100, 200]), np.array([0] * 8 + [2, 2]), 365)
    assert (result.estimate, result.lower) == (0, 0)
    assert result.upper == pytest.approx(proportion_confint(0, 10, alpha=0.05, method="beta")[1])


def test_pearson_dispersion_matches_statsmodels_quasi_poisson() -> None:
    """Reference: statsmodels GLM (Poisson, offset log nights, ``scale="X2"``): its scale is Pearson X^2 / (k - 1).
    Hand check on 4 children: counts 0, 1, 2, 9 over 100, 100, 200, 200 nights; rate 12/600 = 0.02;
    expected 2, 2, 4, 4; X^2 = 4/2 + 1/2 + 4/4 + 25/4 = 9.75; phi = 9.75 / 3 = 3.25."""
    import statsmodels.api as sm

    counts, nights = np.array([0, 1, 2, 9]), np.array([100, 100, 200, 200])
    assert statistics.pearson_dispersion(counts, nights) == pytest.approx(3.25)
    fit = sm.GLM(counts, np.ones((4, 1)), family=sm.families.Poisson(), offset=np.log(nights)).fit(scale="X2")
    assert fit.scale == pytest.approx(3.25, rel=1e-10)


def test_quasi_poisson_interval_agrees_with_the_glm_for_large_counts_and_is_byar_without_overdispersion() -> None:
    """For 300 children with gamma-distributed rates (overdispersed), the interval agrees with statsmodels'
    quasi-Poisson GLM Wald interval r exp(+-z sqrt(phi/O)) within 1%; with phi forced to 1 (equal counts per
    night) it is exactly the exact/Byar interval."""
    import statsmodels.api as sm

    rng = np.random.default_rng(11)
    nights = rng.integers(20, 400, 300).astype(float)
    counts = rng.poisson(rng.gamma(0.8, 0.02 / 0.8, 300) * nights)
    result = statistics.quasi_poisson_rate_interval(counts, nights, 1000)
    fit = sm.GLM(counts, np.ones((300, 1)), family=sm.families.Poisson(), offset=np.log(nights)).fit(scale="X2")
    lower, upper = np.exp(fit.conf_int()[0]) * 1000
    assert result.dispersion == pytest.approx(fit.scale)
    assert result.dispersion > 1.5
    assert (result.lower, result.upper) == pytest.approx((lower, upper), rel=0.01)
    even = statistics.quasi_poisson_rate_interval(np.array([2, 4, 6]), np.array([100, 200, 300]), 1000)
    assert even.dispersion == 1.0
    assert (even.rate, even.lower, even.upper) == pytest.approx(
        tuple(float(v) for v in statistics.poisson_rate_interval(12, 600, 1000))
    )


def test_cluster_bootstrap_is_reproducible_and_wider_when_records_repeat_a_child() -> None:
    """A share over 200 children, each record copied 3 times: resampling whole children gives the children's
    interval (about +-0.069 for p = 0.5, n = 200), not the records' (+-0.040 for n = 600)."""
    flags = np.repeat(np.arange(200) % 2, 3).astype(float)
    clusters = np.repeat(np.arange(200), 3)
    first = statistics.cluster_bootstrap_interval(lambda rows: flags[rows].mean(), clusters, reps=400, seed=1)
    again = statistics.cluster_bootstrap_interval(lambda rows: flags[rows].mean(), clusters, reps=400, seed=1)
    assert first == again
    half_width = (first[1] - first[0]) / 2
    assert 0.055 < half_width < 0.085
