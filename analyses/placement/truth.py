"""The synthetic generator's true placement model, read from ``truth.json``, on the models' terms.

The generator (``synthetic/simulation.py``, ``Simulator.refer``) places a
welfare referral of year ``y`` with probability
``expit(intercept_y + sum_b coef_{b,y} * flag_b + log_or_female * female
+ log_or_age * (age - reference_age) + log_or_previous * previous)``,
where ``age`` is whole years since the first day of the birth month and
``previous`` is 1 after any earlier stay in a secure home. A behaviour
recorded in year ``y`` but absent from the year's coefficients (no placed share
published, so not fitted) has coefficient 0. Youth Custody Service referrals
are placed with a fixed share per pathway, whatever the child presents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from analyses.placement.data import AGE, BEHAVIOURS, FEMALE, PREVIOUS, YEAR
from analyses.placement.designs import by_year_term

COVARIATE_TRUTH_KEYS = {FEMALE: "log_or_female", AGE: "log_or_age_per_year", PREVIOUS: "log_or_previous_stay"}


class PlacementTruth:
    """True log odds ratios and placement probabilities of a synthetic cohort."""

    def __init__(self, truth: dict):
        model = truth["placement_model"]
        self.by_year = {int(year): values for year, values in model["welfare_by_year"].items()}
        self.ycs_placed_share = dict(model.get("ycs_placed_share", {}))
        self.recorded_from_2020 = tuple(truth.get("behaviours", {}).get("recorded_from_2020", ()))
        parameters = truth.get("parameters", {})
        delays = (
            parameters.get("welfare_referrals", {}).get("decision_delay_days_max"),
            parameters.get("stays", {}).get("admission_delay_days_max"),
        )
        # Decision and admission delays are uniform on 0..max days each (Simulator.refer).
        self.mean_days_to_placement = sum(d / 2 for d in delays) if None not in delays else np.nan

    def log_odds_ratio(self, term: str) -> float:
        """The true log odds ratio of a model term (NaN where the generator has no single value)."""
        any_year = next(iter(self.by_year.values()))
        if term in COVARIATE_TRUTH_KEYS:
            return float(any_year[COVARIATE_TRUTH_KEYS[term]])
        if term.endswith("]") and "[" in term:
            behaviour, year = term[:-1].split("[")
            if behaviour in BEHAVIOURS and year.isdigit() and int(year) in self.by_year:
                return float(self.by_year[int(year)]["behaviour_log_odds_ratio"].get(behaviour, 0.0))
        if term.count(":") == 1 and all(part in BEHAVIOURS for part in term.split(":")):
            return 0.0  # the generator's log odds are additive in the behaviours
        return float("nan")

    def welfare_probability(self, frame: pd.DataFrame) -> np.ndarray:
        """True probability that each referral of ``frame`` would be placed on the welfare pathway."""
        years = frame[YEAR].to_numpy()
        flags = {b: frame[b].fillna(0).to_numpy(dtype=float) for b in BEHAVIOURS}
        female = frame[FEMALE].to_numpy(dtype=float)
        age = frame[AGE].to_numpy(dtype=float)
        previous = frame[PREVIOUS].to_numpy(dtype=float)
        eta = np.full(len(frame), np.nan)
        for year in np.unique(years):
            model = self.by_year.get(int(year))
            if model is None:
                continue
            rows = years == year
            part = float(model["intercept"]) + float(model["log_or_female"]) * female[rows]
            part = part + float(model["log_or_age_per_year"]) * (age[rows] - float(model["reference_age"]))
            part = part + float(model["log_or_previous_stay"]) * previous[rows]
            for behaviour, coef in model["behaviour_log_odds_ratio"].items():
                part = part + float(coef) * flags[behaviour][rows]
            eta[rows] = part
        return special.expit(eta)

    def discrete_change(self, frame: pd.DataFrame, variable: str, rows: np.ndarray) -> float:
        """True average over ``rows`` of P(placed | variable = 1) - P(placed | variable = 0)."""
        subset = frame[rows]
        on = subset.copy()
        off = subset.copy()
        on[variable] = 1.0
        off[variable] = 0.0
        return float(np.mean(self.welfare_probability(on) - self.welfare_probability(off)))


def truth_by_year_terms(truth: PlacementTruth, terms: list[str]) -> dict[str, float]:
    """True log odds ratios of by-year terms and covariates, keyed by term (for the recovery study)."""
    return {term: truth.log_odds_ratio(term) for term in terms}


__all__ = ["PlacementTruth", "truth_by_year_terms", "by_year_term"]
