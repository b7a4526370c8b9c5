"""Home capacity snapshots and the truth document (``truth.json``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic import calibration
from synthetic.followup import march_31
from synthetic.simulation import (
    DAYS_PER_MONTH,
    PATHWAY_CODE,
    PATHWAYS,
    REREFERRAL_LAST_DAYS_BEFORE_18,
    Simulator,
    add_years,
    baseline_cumulative_hazard,
)

TRUTH_WINDOWS_MONTHS = (6, 12, 24)
FLOAT_DIGITS = 8


def _snapshot_days(start_year: int, end_year: int) -> np.ndarray:
    # Referrals start in January of the first year, so the first full snapshot is the next 31 March.
    return march_31(np.arange(start_year + 1, end_year + 1))


def _open_at(stays: pd.DataFrame, day: int) -> np.ndarray:
    discharge = stays["discharge_day"].to_numpy()
    return (stays["admission_day"].to_numpy() <= day) & ((discharge >= day) | (discharge < 0))


def fit_capacity(rng, stays: pd.DataFrame, homes: pd.DataFrame, start_year: int, end_year: int, data_end: int):
    """Move stays between homes of a suitable type so no home holds more children than its approved places
    on any 31 March snapshot (the SA1 return would not show more).

    On each snapshot, the stays over a home's approved places (chosen at random) move to free places in homes
    that take their pathway (welfare: welfare-only or mixed; remand and justice: justice-only or mixed), drawn at
    random among the free places; a stay that finds none stays put. Moving a stay can fill another snapshot, so
    the pass repeats (at most 20 times) until nothing moves. Vectorised over stays and homes.
    """
    stays = stays.copy()
    urns = homes["urn"].to_numpy()
    approved = homes["places_approved"].to_numpy()
    takes = {
        True: homes["home_type"].isin(["welfare_only", "mixed"]).to_numpy(),
        False: homes["home_type"].isin(["justice_only", "mixed"]).to_numpy(),
    }
    home_of = pd.Index(urns).get_indexer(stays["urn"].to_numpy())
    welfare = stays["pathway"].to_numpy() == PATHWAY_CODE["welfare"]
    for _ in range(20):
        moved = False
        for day in _snapshot_days(start_year, end_year):
            open_rows = np.flatnonzero(_open_at(stays, day))
            counts = np.bincount(home_of[open_rows], minlength=len(urns))
            if not (counts > approved).any():
                continue
            # Rank the open stays of each home in a random order; those ranked past the approved places move.
            shuffled = open_rows[rng.permutation(len(open_rows))]
            order = np.argsort(home_of[shuffled], kind="stable")
            ranked = shuffled[order]
            homes_sorted = home_of[ranked]
            first = np.searchsorted(homes_sorted, homes_sorted, side="left")
            rank = np.arange(len(ranked)) - first
            excess = ranked[rank >= approved[homes_sorted]]
            counts = counts - np.bincount(home_of[excess], minlength=len(urns))
            for is_welfare in (True, False):
                movers = excess[welfare[excess] == is_welfare]
                spare = np.where(takes[is_welfare], np.maximum(approved - counts, 0), 0)
                slots = np.repeat(np.arange(len(urns)), spare)
                chosen = slots[rng.permutation(len(slots))[: len(movers)]]
                placed = movers[: len(chosen)]
                moved |= bool((home_of[placed] != chosen).any())
                home_of[placed] = chosen
                # Stays that found no free place still occupy their home.
                counts += np.bincount(home_of[movers], minlength=len(urns))
        if not moved:
            break
    stays["urn"] = urns[home_of]
    return stays, homes


def home_capacity(stays: pd.DataFrame, homes: pd.DataFrame, start_year: int, end_year: int) -> pd.DataFrame:
    rows = []
    for day in _snapshot_days(start_year, end_year):
        counts = stays.loc[_open_at(stays, day), "urn"].value_counts()
        frame = homes[["urn", "places_approved", "places_available"]].copy()
        frame["snapshot_date"] = pd.Timestamp(int(day), unit="D")
        frame["children_accommodated"] = frame["urn"].map(counts).fillna(0).astype(int)
        rows.append(frame)
    return pd.concat(rows, ignore_index=True).sort_values(["urn", "snapshot_date"]).reset_index(drop=True)


def financial_year_of(days: np.ndarray) -> np.ndarray:
    """``2022-23`` style labels of the financial year (April to March) holding each day."""
    dates = pd.DatetimeIndex(np.asarray(days).astype("datetime64[D]"))
    start = dates.year - (dates.month < 4).astype(int)
    return np.array([f"{y}-{(y + 1) % 100:02d}" for y in start], dtype=object)


def rereferral_truth(params: dict, stays: pd.DataFrame, children: pd.DataFrame) -> dict[str, object]:
    """True cumulative incidence of re-referral at 6, 12 and 24 months, with and without the age limit.

    For leaver ``i`` with linear predictor ``eta_i`` the generator draws the months to the next referral from
    ``1 - exp(-H0(t) exp(eta_i))`` and makes the referral on day ``discharge + max(ceil(t * 365.25/12), 1)``,
    unless that day is within 60 days of the 18th birthday (or after the data end, which is censoring).

    - ``mean_over_leavers`` (no age limit): ``1 - exp(-H0(t) exp(eta_i))`` averaged over discharged stays;
      the risk had nobody turned 18, which Kaplan-Meier with the 18th birthday as censoring estimates.
    - ``age_limited``: the real-world risk, which Aalen-Johansen with turning 18 as a competing event estimates.
      A referral within ``t`` months is counted by an indicator when it falls within ``floor(t * 365.25/12)``
      days of discharge; the generator makes it only within ``18th birthday - 61 - discharge`` days. So with
      ``K_i = min(floor(t * 365.25/12), turns_18 - 61 - discharge)`` days, the risk is
      ``1 - exp(-H0(K_i / (365.25/12)) exp(eta_i))`` (0 when ``K_i < 1``), averaged over the same units.
    - ``first_exit_in_financial_year``: both, averaged over each child's first discharge in each financial year
      (the unit of the ``rereferral`` indicator), pooled and by year.

    ``reference_covariates`` is the baseline curve. The length of stay in ``eta`` is the one the hazard used
    (``rereferral_los_days``), before any cap at the 18th birthday.
    """
    left = stays[stays["discharge_day"] >= 0].sort_values(["discharge_day", "stay_index"], kind="stable")
    birth = children["birth_month"].to_numpy()[left["child_index"].to_numpy()]
    discharge = left["discharge_day"].to_numpy()
    age_at_exit = np.floor((discharge - birth) / 365.25)
    los = left["rereferral_los_days"].to_numpy()
    sim = Simulator.__new__(Simulator)
    sim.params = params
    plan = left["transition_plan"].to_numpy() == 1
    eta = np.asarray(sim.rereferral_linear_predictor(left["pathway"].to_numpy(), los, age_at_exit, plan))
    windows = np.array(TRUTH_WINDOWS_MONTHS, dtype=float)
    h0 = baseline_cumulative_hazard(windows)
    incidence = 1 - np.exp(-np.outer(np.exp(eta), h0))
    last_day = np.asarray(add_years(birth, 18) - REREFERRAL_LAST_DAYS_BEFORE_18 - 1 - discharge)
    window_days = np.floor(windows * DAYS_PER_MONTH)
    reachable = np.minimum(window_days[None, :], last_day[:, None])
    hazard = baseline_cumulative_hazard(np.maximum(reachable, 0).ravel() / DAYS_PER_MONTH).reshape(reachable.shape)
    age_limited = np.where(reachable >= 1, 1 - np.exp(-hazard * np.exp(eta)[:, None]), 0.0)

    def by_window(values: np.ndarray, rows: np.ndarray | slice = slice(None)) -> dict[str, float]:
        return {f"{w}m": float(values[rows, i].mean()) for i, w in enumerate(TRUTH_WINDOWS_MONTHS)}

    pathway = left["pathway"].to_numpy()
    by_pathway = {name: by_window(incidence, pathway == code) for name, code in PATHWAY_CODE.items() if (pathway == code).any()}  # fmt: skip
    year = financial_year_of(discharge)
    first = ~pd.DataFrame({"child": left["child_index"].to_numpy(), "year": year}).duplicated().to_numpy()
    return {
        "windows_months": list(TRUTH_WINDOWS_MONTHS),
        "baseline_cumulative_hazard": {f"{w}m": float(v) for w, v in zip(TRUTH_WINDOWS_MONTHS, h0, strict=True)},
        "reference_covariates": {f"{w}m": float(1 - np.exp(-v)) for w, v in zip(TRUTH_WINDOWS_MONTHS, h0, strict=True)},
        "mean_over_leavers": by_window(incidence),
        "mean_over_leavers_by_pathway": by_pathway,
        "mean_over_leavers_age_limited": by_window(age_limited),
        "first_exit_in_financial_year": {
            "units": int(first.sum()),
            "no_age_limit": by_window(incidence, first),
            "age_limited": by_window(age_limited, first),
            "by_year": {
                y: {
                    "units": int((first & (year == y)).sum()),
                    "no_age_limit": by_window(incidence, first & (year == y)),
                    "age_limited": by_window(age_limited, first & (year == y)),
                }
                for y in sorted(set(year[first]))
            },
        },
        "leavers": int(len(left)),
        "formula": "CI_i(t) = 1 - exp(-H0(t) * exp(eta_i)), eta_i = sum(log hazard_ratio * x_i); H0 piecewise linear",
        "formula_age_limited": (
            "CI_i(t) = 1 - exp(-H0(K_i / (365.25/12)) * exp(eta_i)) if K_i >= 1 else 0, "
            "K_i = min(floor(t * 365.25/12), turns_18 - 61 - discharge) days (no referral within 60 days of 18)"
        ),
    }


def _rounded(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else round(float(value), FLOAT_DIGITS)
    if isinstance(value, np.integer):
        return int(value)
    return value


def document(
    *, params, seed, scale, start_year, end_year, data_end, result, stays, children, error_flags, tables, coverage
) -> dict[str, object]:
    """Everything the generator used, and the true values analyses should recover."""
    realised_errors = {
        name: {error: float(flags[error].mean()) if len(flags) else 0.0 for error in flags.columns}
        for name, flags in error_flags.items()
    }
    nights = np.where(stays["discharge_day"] >= 0, stays["discharge_day"], pd.Timestamp(data_end).value // 86_400_000_000_000) - stays["admission_day"]  # fmt: skip
    doc = {
        "synthetic": True,
        "generator": "synthetic (sch-outcomes)",
        "seed": seed,
        "scale": scale,
        "options": {
            "start_year": start_year,
            "end_year": end_year,
            "data_end": data_end,
            "seed": seed,
            "scale": scale,
        },  # fmt: skip
        "reference_figures": {
            "table3_totals": calibration.table3_totals().drop(columns="period_end").reset_index().to_dict("records"),
            "files": list(calibration.REFERENCE_FILES),
        },
        "behaviours": {
            "model": "one-factor Gaussian copula: z_b = loading_b * latent_child + sqrt(1 - loading_b^2) * e; "
            "flag when z_b > Phi^-1(1 - prevalence_b,year); the child's latent factor persists across referrals",
            "loadings": calibration.BEHAVIOUR_LOADINGS,
            "implied_latent_correlation": "loading_a * loading_b",
            "prevalence_by_year": {
                str(y): calibration.behaviour_prevalence(y) for y in range(start_year, end_year + 1)
            },
            "recorded_from_2020": list(calibration.RECORDED_FROM_2020),
        },
        "placement_model": {
            "welfare_by_year": {str(y): m.to_dict() for y, m in sorted(result.placement_models.items())},
            "odds_ratio_decisions": calibration.ODDS_RATIO_DECISIONS,
            "published_odds_ratios": calibration.unlocking_the_facts(),
            "fit": "per year, least squares of the gaps to Table 3's placed shares in standard-error units, "
            "with a ridge penalty on behaviour coefficients; expectation over a fixed-seed calibration sample",
            "ycs_placed_share": params["ycs_referrals"]["placed_share"],
        },
        "parameters": params,
        "rereferral": rereferral_truth(params, stays, children),
        "incidents_true_rate_per_1000_nights": params["incidents"]["rate_per_1000_nights"],
        "incident_nights_observed": int(np.sum(np.maximum(nights, 0))),
        "wellbeing_true_mean_change": params["wellbeing"]["discharge_change_mean"],
        "identifier_error_rates": {"declared": params["identifier_errors"], "realised": realised_errors},
        "row_counts": {name: int(len(frame)) for name, frame in sorted(tables.items())},
        "follow_up_coverage": coverage,
        "pathways": list(PATHWAYS),
    }
    return _rounded(doc)
