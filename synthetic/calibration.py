"""Published figures the synthetic cohort is calibrated to, and the placement model fitted to them.

The reference figures are read from ``synthetic/reference`` and nowhere else,
so the repository and an installed package work on their own; its README names
the published source of every file.

The welfare placement model is a logistic regression whose coefficients are
fitted, year by year, so that the expected share placed among all referred
children, and among the children presenting each behaviour, equal Table 3 of
the 2022 report. The odds ratios of *Unlocking the facts* (2020) for sex, age
and a previous secure placement are kept as published; the one for challenging
behaviour is replaced by the coefficient Table 3 implies (see
:data:`ODDS_RATIO_DECISIONS`).

Fitting takes about a second a year, so the fitted coefficients are stored in
``synthetic/placement_fit.json`` together with everything the fit depends on
(its inputs and a hash of the reference figures). The generator uses the stored
fit when those match and fits afresh otherwise. Regenerate the file with
``python -m synthetic.calibration``; ``tests/test_synthetic.py`` checks that the
stored fit equals a fresh one.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from outcomes.contract.codes import Behaviour

PACKAGED_REFERENCE = Path(__file__).parent / "reference"
"""The published figures the generator is calibrated to (sources in its README.md)."""
STORED_FIT = Path(__file__).parent / "placement_fit.json"

REFERENCE_FILES = (
    "table1_sch_capacity_2021.csv",
    "table3_swcu_referrals.csv",
    "table3_swcu_totals.csv",
    "unlocking_the_facts_2020.csv",
)
POSTCODE_FILE = "postcodes_england_sample.csv"

BEHAVIOURS: tuple[str, ...] = tuple(Behaviour.codes())
RECORDED_FROM_2020: tuple[str, ...] = (Behaviour.CRIMINAL_EXPLOITATION.value, Behaviour.DISCLOSED_ABUSE.value)

# Loadings of each behaviour on one latent "severity" factor (Gaussian copula).
# A common factor makes behaviours co-occur, as multiple needs do; the loadings
# are assumptions (no published correlation matrix exists) and go to truth.json.
BEHAVIOUR_LOADINGS: dict[str, float] = {
    "absconding": 0.45,
    "adoption_breakdown": 0.15,
    "challenging_behaviour": 0.55,
    "criminal_exploitation": 0.55,
    "disclosed_abuse": 0.35,
    "fire_setting": 0.40,
    "gang_affiliated": 0.55,
    "mental_health": 0.45,
    "offending_behaviour": 0.60,
    "self_harm": 0.45,
    "sexual_exploitation": 0.45,
    "sexualised_behaviour": 0.45,
    "sexually_harmful_behaviour": 0.35,
    "substance_misuse": 0.55,
}

ODDS_RATIO_DECISIONS: dict[str, dict[str, object]] = {
    "or_female": {
        "kept": True,
        "reason": "Table 3 has no breakdown by sex, so nothing contradicts the published odds ratio.",
    },
    "or_older_age_per_year": {
        "kept": True,
        "reason": "Table 3 has no breakdown by age, so nothing contradicts the published odds ratio.",
    },
    "or_previous_sch_placement": {
        "kept": True,
        "reason": "Table 3 has no breakdown by previous placement; kept. Applies to re-referred children.",
    },
    "or_challenging_behaviour": {
        "kept": False,
        "reason": (
            "Table 3 publishes the share placed among children presenting challenging behaviour each year, "
            "which fixes that behaviour's coefficient given the others; the implied odds ratio differs by year "
            "(near 0.34 in 2017 and 2021, near 1 in 2020), so the per-year coefficient fitted to Table 3 is used."
        ),
    },
}


def read_reference(name: str) -> pd.DataFrame:
    """One CSV of :data:`PACKAGED_REFERENCE`."""
    return pd.read_csv(PACKAGED_REFERENCE / name)


@dataclass(frozen=True)
class HomeTypeCapacity:
    home_type: str
    facilities: int
    approved_places: int
    available_places: int


@functools.cache
def home_capacity_2021() -> tuple[HomeTypeCapacity, ...]:
    """Table 1: homes, approved and available places by home type."""
    table = read_reference("table1_sch_capacity_2021.csv")
    return tuple(
        HomeTypeCapacity(row.home_type, int(row.facilities), int(row.approved_places), int(row.available_places))
        for row in table.itertuples()
    )


@functools.cache
def table3_totals() -> pd.DataFrame:
    """Table 3 totals per year, indexed by year; ``period_end`` parsed as a date."""
    totals = read_reference("table3_swcu_totals.csv").set_index("year")
    totals["period_end"] = pd.to_datetime(totals["period_end"])
    return totals


@functools.cache
def table3_behaviours() -> pd.DataFrame:
    """Table 3 per behaviour and year: referred_pct and placed_pct as proportions (NaN where not published)."""
    table = read_reference("table3_swcu_referrals.csv")
    table["referred_p"] = table["referred_pct"] / 100.0
    table["placed_p"] = table["placed_pct"] / 100.0
    return table.set_index(["year", "behaviour"]).sort_index()


@functools.cache
def unlocking_the_facts() -> dict[str, float]:
    table = read_reference("unlocking_the_facts_2020.csv")
    return dict(zip(table["quantity"], table["value"].astype(float), strict=True))


def calibration_year(year: int) -> int:
    """The Table 3 year whose figures stand in for ``year`` (the nearest published one)."""
    years = table3_totals().index
    return int(min(max(year, years.min()), years.max()))


def behaviour_prevalence(year: int) -> dict[str, float]:
    """Prevalence of each behaviour among welfare referrals (NaN for behaviours not recorded that year)."""
    table = table3_behaviours().loc[calibration_year(year)]
    out = {}
    for behaviour in BEHAVIOURS:
        value = table.loc[behaviour, "referred_p"] if behaviour in table.index else np.nan
        if year < 2020 and behaviour in RECORDED_FROM_2020:
            value = np.nan
        out[behaviour] = float(value)
    return out


@dataclass(frozen=True)
class PlacementModel:
    """Logistic model of being placed in a secure children's home after a welfare referral, for one year.

    ``logit P(placed) = intercept + sum(behaviour_coef[b] * b) + log(or_female) * female
    + log(or_age) * (age - reference_age) + log(or_previous) * previous_stay``
    """

    year: int
    intercept: float
    behaviour_coef: dict[str, float]
    log_or_female: float
    log_or_age_per_year: float
    log_or_previous_stay: float
    reference_age: float
    converged: bool

    def linear_predictor(
        self, flags: dict[str, np.ndarray], female: np.ndarray, age: np.ndarray, previous_stay: np.ndarray
    ) -> np.ndarray:
        eta = np.full(len(female), self.intercept)
        for behaviour, coef in self.behaviour_coef.items():
            eta = eta + coef * flags[behaviour]
        eta = eta + self.log_or_female * female
        eta = eta + self.log_or_age_per_year * (age - self.reference_age)
        return eta + self.log_or_previous_stay * previous_stay

    def to_dict(self) -> dict[str, object]:
        return {
            "intercept": self.intercept,
            "behaviour_log_odds_ratio": dict(sorted(self.behaviour_coef.items())),
            "behaviour_odds_ratio": {k: float(np.exp(v)) for k, v in sorted(self.behaviour_coef.items())},
            "log_or_female": self.log_or_female,
            "log_or_age_per_year": self.log_or_age_per_year,
            "log_or_previous_stay": self.log_or_previous_stay,
            "reference_age": self.reference_age,
            "converged": self.converged,
        }


def draw_behaviours(
    rng: np.random.Generator, latent: np.ndarray, prevalence: dict[str, float]
) -> dict[str, np.ndarray]:
    """Behaviour flags from a one-factor Gaussian copula.

    ``z_b = loading_b * latent + sqrt(1 - loading_b**2) * noise``; the flag is set when
    ``z_b`` exceeds the normal quantile that gives the behaviour its prevalence. Behaviours
    with no prevalence (not recorded) come back as all-NaN float arrays.
    """
    n = len(latent)
    noise = rng.standard_normal((n, len(BEHAVIOURS)))
    flags: dict[str, np.ndarray] = {}
    for column, behaviour in enumerate(BEHAVIOURS):
        p = prevalence[behaviour]
        if np.isnan(p):
            flags[behaviour] = np.full(n, np.nan)
            continue
        loading = BEHAVIOUR_LOADINGS[behaviour]
        z = loading * latent + np.sqrt(1.0 - loading**2) * noise[:, column]
        flags[behaviour] = (z > special.ndtri(1.0 - p)).astype(float)
    return flags


CALIBRATION_SAMPLE = 60_000
RIDGE_PENALTY = 0.3
CALIBRATION_SEED = 20220501


def fit_inputs(female_share: float, mean_age: float, sd_age: float, previous_stay_share: float) -> dict[str, object]:
    """Everything a fit depends on besides the year: the stored fit is used only when these match."""
    digest = hashlib.sha256()
    for name in REFERENCE_FILES:
        digest.update(name.encode())
        digest.update((PACKAGED_REFERENCE / name).read_bytes())
    return {
        "female_share": float(female_share),
        "mean_age": float(mean_age),
        "sd_age": float(sd_age),
        "previous_stay_share": float(previous_stay_share),
        "calibration_sample": CALIBRATION_SAMPLE,
        "ridge_penalty": RIDGE_PENALTY,
        "calibration_seed": CALIBRATION_SEED,
        "behaviour_loadings": dict(sorted(BEHAVIOUR_LOADINGS.items())),
        "reference_sha256": digest.hexdigest(),
    }


@functools.cache
def _stored_fits() -> dict[str, object]:
    return json.loads(STORED_FIT.read_text()) if STORED_FIT.is_file() else {}


def _model_from_dict(year: int, fitted: dict, facts: dict[str, float], mean_age: float) -> PlacementModel:
    return PlacementModel(
        year=year,
        intercept=float(fitted["intercept"]),
        behaviour_coef={b: float(c) for b, c in fitted["behaviour_log_odds_ratio"].items()},
        log_or_female=float(np.log(facts["or_female"])),
        log_or_age_per_year=float(np.log(facts["or_older_age_per_year"])),
        log_or_previous_stay=float(np.log(facts["or_previous_sch_placement"])),
        reference_age=mean_age,
        converged=bool(fitted["converged"]),
    )


@functools.cache
def fit_placement_model(
    year: int, female_share: float, mean_age: float, sd_age: float, previous_stay_share: float
) -> PlacementModel:
    """The year's placement model: the stored fit when its inputs match, else a fresh :func:`fresh_fit`.

    A year outside Table 3 uses the nearest published year's model (:func:`calibration_year`).
    """
    fitted_year = calibration_year(year)
    stored = _stored_fits()
    if stored.get("inputs") == fit_inputs(female_share, mean_age, sd_age, previous_stay_share) and str(
        fitted_year
    ) in stored.get("years", {}):
        model = _model_from_dict(fitted_year, stored["years"][str(fitted_year)], unlocking_the_facts(), mean_age)
    else:
        model = fresh_fit(fitted_year, female_share, mean_age, sd_age, previous_stay_share)
    return dataclasses.replace(model, year=year)


def fresh_fit(
    year: int, female_share: float, mean_age: float, sd_age: float, previous_stay_share: float
) -> PlacementModel:
    """Fit the year's placement model so that its expected placed shares equal Table 3.

    The expectation is taken over a large Monte Carlo sample of referred children
    (fixed seed, so the fitted parameters are the same whatever seed the cohort uses),
    drawn exactly as the generator draws them. Unknowns: the intercept and one
    coefficient per behaviour whose placed share is published; equations: the overall
    placed share and each published per-behaviour placed share.
    """
    from scipy import optimize

    facts = unlocking_the_facts()
    rng = np.random.default_rng(CALIBRATION_SEED + year)
    latent = rng.standard_normal(CALIBRATION_SAMPLE)
    flags = draw_behaviours(rng, latent, behaviour_prevalence(year))
    female = (rng.random(CALIBRATION_SAMPLE) < female_share).astype(float)
    age = np.clip(np.round(rng.normal(mean_age, sd_age, CALIBRATION_SAMPLE)), 10, 17)
    previous = (rng.random(CALIBRATION_SAMPLE) < previous_stay_share).astype(float)

    table = table3_behaviours().loc[calibration_year(year)]
    target_overall = float(table3_totals().loc[calibration_year(year), "placed_pct"]) / 100.0
    fitted = [
        b
        for b in BEHAVIOURS
        if b in table.index and not np.isnan(table.loc[b, "placed_p"]) and not np.isnan(flags[b]).all()
    ]
    targets = np.array([target_overall] + [float(table.loc[b, "placed_p"]) for b in fitted])
    design = np.column_stack([np.ones(CALIBRATION_SAMPLE)] + [flags[b] for b in fitted])
    offset = (
        np.log(facts["or_female"]) * female
        + np.log(facts["or_older_age_per_year"]) * (age - mean_age)
        + np.log(facts["or_previous_sch_placement"]) * previous
    )
    weights = design.sum(axis=0)

    # Table 3 percentages are rounded, and some behaviours are near universal (absconding 95-98%),
    # so matching every published share exactly can be infeasible (2017: absconding 98% referred, 45%
    # placed, 44% overall would need a negative share placed among the rest). The fit therefore
    # minimises each gap in units of its standard error (binomial at the published counts, plus half
    # a percentage point of rounding), with a light ridge penalty that keeps coefficients finite.
    counts = np.array(
        [float(table3_totals().loc[calibration_year(year), "referred_n"])]
        + [float(table.loc[b, "referred_n"]) for b in fitted]
    )
    tolerance = np.sqrt(targets * (1 - targets) / counts) + 0.005

    def residuals(theta: np.ndarray) -> np.ndarray:
        p = special.expit(design @ theta + offset)
        gap = (design.T @ p / weights - targets) / tolerance
        return np.concatenate([gap, RIDGE_PENALTY * theta[1:]])

    def jacobian(theta: np.ndarray) -> np.ndarray:
        p = special.expit(design @ theta + offset)
        moments = (design * (p * (1 - p))[:, None]).T @ design / weights[:, None] / tolerance[:, None]
        ridge = np.zeros((len(theta) - 1, len(theta)))
        ridge[:, 1:] = RIDGE_PENALTY * np.eye(len(theta) - 1)
        return np.vstack([moments, ridge])

    start = np.zeros(len(targets))
    start[0] = special.logit(target_overall)
    solution = optimize.least_squares(residuals, start, jac=jacobian, method="trf")
    theta = solution.x
    gaps = residuals(theta)[: len(targets)]
    return PlacementModel(
        year=year,
        intercept=float(theta[0]),
        behaviour_coef={b: float(c) for b, c in zip(fitted, theta[1:], strict=True)},
        log_or_female=float(np.log(facts["or_female"])),
        log_or_age_per_year=float(np.log(facts["or_older_age_per_year"])),
        log_or_previous_stay=float(np.log(facts["or_previous_sch_placement"])),
        reference_age=mean_age,
        converged=bool(solution.success and np.max(np.abs(gaps)) < 1.0),
    )


def write_stored_fits(
    female_share: float, mean_age: float, sd_age: float, previous_stay_share: float, path: Path = STORED_FIT
) -> Path:
    """Fit every Table 3 year afresh and store the coefficients (with the fit's inputs) as JSON."""
    years = {}
    for year in table3_totals().index:
        model = fresh_fit(int(year), female_share, mean_age, sd_age, previous_stay_share).to_dict()
        years[str(int(year))] = {k: model[k] for k in ("intercept", "behaviour_log_odds_ratio", "converged")}
    document = {
        "note": "Placement model coefficients fitted by synthetic.calibration.fresh_fit; regenerate with "
        "`python -m synthetic.calibration`. Used only while 'inputs' match the generator's.",
        "inputs": fit_inputs(female_share, mean_age, sd_age, previous_stay_share),
        "years": years,
    }
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    _stored_fits.cache_clear()
    fit_placement_model.cache_clear()
    return path


def default_fit_arguments() -> tuple[float, float, float, float]:
    """The fit's inputs under the default parameters (what the generator passes)."""
    from synthetic.parameters import defaults

    params = defaults()
    children = params["children"]
    return (
        children["female_share"]["welfare"],
        children["age_at_referral_mean"]["welfare"],
        children["age_at_referral_sd"]["welfare"],
        params["welfare_referrals"]["previous_stay_share_assumed_in_fit"],
    )


if __name__ == "__main__":
    sys.stdout.write(f"{write_stored_fits(*default_fit_arguments())}\n")
