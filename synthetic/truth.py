"""Home capacity snapshots and the truth document (``truth.json``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic import calibration
from synthetic.followup import march_31
from synthetic.simulation import PATHWAY_CODE, PATHWAYS, Simulator, baseline_cumulative_hazard

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


def rereferral_truth(params: dict, stays: pd.DataFrame, children: pd.DataFrame) -> dict[str, object]:
    """True cumulative incidence of re-referral at 6, 12 and 24 months.

    ``mean_over_leavers`` averages each leaver's 1 - exp(-H0(t) exp(x'b)) over the discharged
    stays (what a censoring-aware estimate on this cohort should recover, before censoring at 18);
    ``reference_covariates`` is the baseline curve.
    """
    left = stays[stays["discharge_day"] >= 0]
    birth = children["birth_month"].to_numpy()[left["child_index"].to_numpy()]
    discharge = left["discharge_day"].to_numpy()
    age_at_exit = np.floor((discharge - birth) / 365.25)
    los = discharge - left["admission_day"].to_numpy()
    sim = Simulator.__new__(Simulator)
    sim.params = params
    eta = sim.rereferral_linear_predictor(left["pathway"].to_numpy(), los, age_at_exit, left["transition_plan"] == 1)
    windows = np.array(TRUTH_WINDOWS_MONTHS, dtype=float)
    h0 = baseline_cumulative_hazard(windows)
    incidence = 1 - np.exp(-np.outer(np.exp(eta), h0))
    by_pathway = {
        name: {f"{w}m": float(incidence[left["pathway"].to_numpy() == code, i].mean()) for i, w in
               enumerate(TRUTH_WINDOWS_MONTHS)}
        for name, code in PATHWAY_CODE.items() if (left["pathway"].to_numpy() == code).any()
    }  # fmt: skip
    return {
        "windows_months": list(TRUTH_WINDOWS_MONTHS),
        "baseline_cumulative_hazard": {f"{w}m": float(v) for w, v in zip(TRUTH_WINDOWS_MONTHS, h0, strict=True)},
        "reference_covariates": {f"{w}m": float(1 - np.exp(-v)) for w, v in zip(TRUTH_WINDOWS_MONTHS, h0, strict=True)},
        "mean_over_leavers": {f"{w}m": float(incidence[:, i].mean()) for i, w in enumerate(TRUTH_WINDOWS_MONTHS)},
        "mean_over_leavers_by_pathway": by_pathway,
        "leavers": int(len(left)),
        "formula": "CI_i(t) = 1 - exp(-H0(t) * exp(eta_i)), eta_i = sum(log hazard_ratio * x_i); H0 piecewise linear",
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
