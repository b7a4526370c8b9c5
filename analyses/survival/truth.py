"""True values from the synthetic generator's ``truth.json``, on the scales the models report.

- Hazard ratios and baseline hazards: ``parameters.rereferral_hazard``
  (piecewise exponential in months since discharge). Terms the generator
  leaves out of the hazard (sex, presented behaviours, destination, year of
  exit) have a true ratio of 1.
- The age-limited risk of re-referral by t months: the generator keeps a
  re-referral only on or before the data end and more than 60 days before
  the 18th birthday (``draw_rereferrals``). For leaver i with linear
  predictor eta_i and L_i days between discharge and the last day a referral
  can be made, the risk by t months is
  ``1 - exp(-exp(eta_i) * H0(min(floor(t * 365.25 / 12), L_i) / (365.25 / 12)))``
  (0 when L_i <= 0), averaged over every leaver: what the Aalen-Johansen
  estimator with reaching 18 as a competing event estimates. Where the
  transition plan was not recorded, the risk is averaged over the plan's
  share on that pathway (``parameters.stays.transition_plan_share``): the
  record is missing at random, so this is its expectation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analyses.survival import data as d


def hazard_ratios(truth: dict | None) -> dict[str, float] | None:
    """True hazard ratio of each generator term, or None without a truth document."""
    if not truth or "parameters" not in truth:
        return None
    return {k: float(v) for k, v in truth["parameters"]["rereferral_hazard"]["hazard_ratio"].items()}


def null_ratios(terms: Sequence[str]) -> dict[str, float]:
    """Terms outside the generator's hazard: their true ratio is 1."""
    return dict.fromkeys(terms, 1.0)


def baseline(truth: dict | None) -> tuple[list[float], list[float]] | None:
    """(breaks in months, baseline hazard per month) of the generator, or None."""
    if not truth or "parameters" not in truth:
        return None
    hazard = truth["parameters"]["rereferral_hazard"]
    return [float(b) for b in hazard["breaks_months"]], [float(r) for r in hazard["baseline_per_month"]]


def cumulative_baseline(months: np.ndarray, breaks: Sequence[float], rates: Sequence[float]) -> np.ndarray:
    """H0(t) of a piecewise-constant hazard."""
    t = np.atleast_1d(np.asarray(months, dtype=float))
    lower = np.asarray(breaks, dtype=float)
    upper = np.append(lower[1:], np.inf)
    exposure = np.clip(t[:, None] - lower[None, :], 0, (upper - lower)[None, :])
    return exposure @ np.asarray(rates, dtype=float)


def age_limited_risk(frame: pd.DataFrame, truth: dict | None, windows_months: Sequence[int]) -> dict[int, float] | None:
    """The generator's true risk of a next referral by each window, before 17y10m, averaged over ``frame``.

    ``frame`` is the leaver frame of :func:`analyses.survival.data.leaver_frame`
    (every discharged stay, with the age-limit date derived from ``turns_18``).
    """
    ratios, base = hazard_ratios(truth), baseline(truth)
    if ratios is None or base is None or frame.empty:
        return None
    breaks, rates = base
    plan_share = truth["parameters"]["stays"]["transition_plan_share"]
    last_day = (frame["turns_18"] - pd.Timedelta(days=d.REFERRAL_AGE_LIMIT_DAYS + 1) - frame["index_date"]).dt.days
    last_day = last_day.to_numpy(dtype=float)
    eta_without_plan = sum(np.log(ratios[t]) * frame[t].to_numpy(dtype=float) for t in d.GENERATOR_TERMS if t != d.PLAN)
    plan = frame[d.PLAN].to_numpy(dtype=float)
    share = frame["pathway"].map(plan_share).to_numpy(dtype=float)
    out = {}
    for window in windows_months:
        days = np.minimum(np.floor(window * d.DAYS_PER_MONTH), np.maximum(last_day, 0))
        h0 = cumulative_baseline(days / d.DAYS_PER_MONTH, breaks, rates)

        def risk(with_plan: float, h0=h0) -> np.ndarray:
            return 1 - np.exp(-h0 * np.exp(eta_without_plan + np.log(ratios[d.PLAN]) * with_plan))

        expected = np.where(np.isnan(plan), share * risk(1.0) + (1 - share) * risk(0.0), risk(np.nan_to_num(plan)))
        out[int(window)] = float(np.mean(expected))
    return out
