"""The re-referral indicator recovers a known cumulative incidence under censoring; the naive share does not.

Nobody turns 18 within the window here, so Aalen-Johansen (the indicator) and Kaplan-Meier agree; the
competing event is tested in indicators/test_rereferral.py and against the generator end to end.

Simulation: 3,000 leavers discharged uniformly over 2019-04-01 to 2024-03-31 (staggered entry),
data end 2024-03-31 (administrative censoring), re-referral after an exponential time with
hazard 0.03 a month, so the true 12-month incidence is 1 - exp(-0.36) = 0.3023. Children are
aged 12 to 13 at exit so that turning 18 does not censor within the window.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from indicators.rereferral import ReReferral
from outcomes.cohort import FollowUp
from outcomes.indicator import IndicatorData, make_table
from outcomes.statistics import aj_cumulative_incidence, km_cumulative_incidence

HAZARD_PER_MONTH = 0.03
DATA_END = pd.Timestamp("2024-03-31")
N = 3000


def simulate(seed: int) -> IndicatorData:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2019-04-01")
    span = (DATA_END - start).days
    discharge = start + pd.to_timedelta(rng.integers(0, span, N), unit="D")
    admission = discharge - pd.Timedelta(days=60)
    days_to_event = rng.exponential(365.25 / 12 / HAZARD_PER_MONTH, N)
    referral = discharge + pd.to_timedelta(np.ceil(days_to_event), unit="D")
    ids = [f"c{i}" for i in range(N)]
    children = make_table(
        "children",
        [
            {
                "child_id": c,
                "sex": "1",
                "birth_month": (d - pd.DateOffset(years=12)).replace(day=1),
                "ethnicity": "WBRI",
                "local_authority": "202",
            }
            for c, d in zip(ids, discharge, strict=True)
        ],
    )
    stays = make_table(
        "stays",
        [
            {
                "stay_id": f"s{i}",
                "child_id": c,
                "urn": "SC000001",
                "admission_date": a,
                "discharge_date": d,
                "pathway": "welfare",
                "legal_basis": "section_25",
                "destination": "family",
            }
            for i, (c, a, d) in enumerate(zip(ids, admission, discharge, strict=True))
        ],
    )
    seen = referral <= DATA_END
    referrals = make_table(
        "referrals",
        [
            {
                "referral_id": f"r{i}",
                "child_id": ids[i],
                "referral_date": referral[i],
                "pathway": "welfare",
                "route": "swcu",
                "placed": False,
            }
            for i in np.flatnonzero(seen)
        ],
    )
    return IndicatorData({"children": children, "stays": stays, "referrals": referrals}, FollowUp(DATA_END, (12,)))


def pooled(data: IndicatorData) -> tuple[float, float, float, float]:
    """Aalen-Johansen estimate, its limits and the naive share over the indicator's units (one child each), 12
    months; with no competing event it equals Kaplan-Meier, checked here too."""
    units = ReReferral().units(data.for_window(12))
    assert units["child_id"].is_unique
    result = aj_cumulative_incidence(units["duration_days"], units["event_type"], 365.25)
    km = km_cumulative_incidence(units["duration_days"], (units["event_type"] == 1).astype(int), 365.25)
    assert result.competing == 0 and result.estimate == pytest.approx(km.estimate, abs=1e-12)
    return result.estimate, result.lower, result.upper, result.naive


def indicator_frame(data: IndicatorData) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = ReReferral().compute(data).to_frame()
    return frame[frame["breakdown"] == "all"].set_index("time_period")


@pytest.mark.slow
def test_kaplan_meier_recovers_the_truth_where_the_naive_share_is_biased() -> None:
    truth = 1 - np.exp(-HAZARD_PER_MONTH * 12)
    estimates, naives, covered, cells, cells_covered = [], [], 0, 0, 0
    for seed in range(5):
        data = simulate(seed)
        estimate, lower, upper, naive = pooled(data)
        estimates.append(estimate)
        naives.append(naive)
        covered += lower <= truth <= upper
        frame = indicator_frame(data)
        for period in ("2019-20", "2020-21", "2021-22", "2022-23"):
            row = frame.loc[period]
            cells += 1
            cells_covered += row["ci_lower"] <= 100 * truth <= row["ci_upper"]
        # Nobody who left in 2023-24 was followed for 12 months: the cell says so rather than guessing.
        assert frame.loc["2023-24", "status"] == "not_estimable"
    assert covered >= 4
    # One estimate has SE about 0.0094 (n = 3,000, p = 0.3), the mean of five about 0.0042: 0.015 is 3.5 SE.
    assert abs(np.mean(estimates) - truth) < 0.015, "the estimate should be unbiased"
    assert np.mean(naives) < truth - 0.02, "the naive share should be biased downwards by censoring"
    assert cells_covered >= 0.8 * cells


def test_recent_leavers_are_censored_but_the_estimate_is_not_biased() -> None:
    """Leavers of 2023-24 were followed for under a year: the naive 6-month share is low, KM covers the truth."""
    truth = 100 * (1 - np.exp(-HAZARD_PER_MONTH * 6))
    data = simulate(11)
    frame = indicator_frame(IndicatorData(data._tables, FollowUp(DATA_END, (6,))))
    latest = frame.loc["2023-24"]
    naive = 100 * latest["numerator"] / latest["denominator"]
    assert naive < truth - 3
    assert latest["status"] == "ok"
    assert latest["ci_lower"] <= truth <= latest["ci_upper"]
    assert latest["value"] > naive


def test_generator_truth_with_and_without_the_age_limit_by_hand() -> None:
    """``synthetic.truth.rereferral_truth`` on two hand-made leavers (default parameters; baseline hazard 0.045 a
    month for the first 3 months, 0.030 to 6, 0.020 to 12, 0.012 to 24).

    Leaver A: welfare, 100 nights, aged 15 at exit, no plan (the reference: eta = 0), 18 years old far beyond 24
    months. Without the age limit, 1 - exp(-H0(6)) with H0(6) = 3(0.045) + 3(0.030) = 0.225. With it, the
    indicator counts a referral within floor(182.625) = 182 days, i.e. 182/30.4375 = 5.9795 months:
    H0 = 0.135 + 2.9795(0.030) = 0.224384.
    Leaver B: welfare, 100 nights, aged 17 at exit (eta = 2 log 0.85), turns 18 100 days after discharge. The
    generator makes no referral within 60 days of the 18th birthday, so the last day is 100 - 61 = 39 days after
    discharge (1.2813 months): H0 = 0.045 * 39 / 30.4375 at every window; without the limit, H0(6) again.
    """
    from synthetic.parameters import defaults
    from synthetic.simulation import add_years, to_days
    from synthetic.truth import rereferral_truth

    discharge = to_days("2020-06-01")
    b_birth = to_days("2002-09-01")  # B turns 18 on 2020-09-01 and leaves 100 days before
    b_discharge = add_years(np.array([b_birth]), 18)[0] - 100
    a_birth = to_days("2005-05-01")
    children = pd.DataFrame({"birth_month": [a_birth, b_birth]})
    stays = pd.DataFrame(
        {
            "stay_index": [0, 1],
            "child_index": [0, 1],
            "admission_day": [discharge - 100, b_discharge - 100],
            "discharge_day": [discharge, b_discharge],
            "pathway": [0, 0],
            "transition_plan": [0, 0],
            "rereferral_los_days": [100.0, 100.0],
        }
    )
    assert np.floor((b_discharge - b_birth) / 365.25) == 17 and np.floor((discharge - a_birth) / 365.25) == 15
    truth = rereferral_truth(defaults(), stays, children)
    month = 365.25 / 12
    a_no_limit = 1 - np.exp(-0.225)
    a_limited = 1 - np.exp(-(0.135 + (182 / month - 3) * 0.030))
    b_eta = np.exp(2 * np.log(0.85))
    b_no_limit = 1 - np.exp(-0.225 * b_eta)
    b_limited = 1 - np.exp(-0.045 * 39 / month * b_eta)
    assert truth["mean_over_leavers"]["6m"] == pytest.approx((a_no_limit + b_no_limit) / 2, abs=1e-12)
    assert truth["mean_over_leavers_age_limited"]["6m"] == pytest.approx((a_limited + b_limited) / 2, abs=1e-12)
    first_exits = truth["first_exit_in_financial_year"]
    assert first_exits["units"] == 2
    assert first_exits["age_limited"]["24m"] == pytest.approx(
        (1 - np.exp(-(0.135 + 0.09 + 0.12 + (730 / month - 12) * 0.012)) + b_limited) / 2, abs=1e-12
    )
