"""Tests of the synthetic cohort: calibration to Table 3, contract validity, determinism, truth, linkage errors.

Reference values: Table 3 of *Commissioning secure children's homes placements in England* (WWCSC, 2022),
as ``synthetic/reference`` ships it (see its README). Tolerances are binomial standard errors at the published counts.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from outcomes.contract.tables import TABLES
from outcomes.loading import load_data, validate_file
from synthetic import calibration, generate
from synthetic.simulation import Simulator

DATA_END = pd.Timestamp("2024-03-31")


@pytest.fixture(scope="session")
def cohort(national_cohort) -> Path:
    """The scale-1 cohort (seed 0), generated once for the whole session (tests/conftest.py)."""
    return national_cohort


@pytest.fixture(scope="session")
def tables(cohort) -> dict[str, pd.DataFrame]:
    result = load_data(cohort)
    assert len(result.rejects) == 0, result.rejects.head(20).to_string()
    return result.tables


def welfare_referrals(referrals: pd.DataFrame) -> pd.DataFrame:
    totals = calibration.table3_totals()
    w = referrals[referrals["route"] == "swcu"].copy()
    w["year"] = w["referral_date"].dt.year
    w = w[w["year"].isin(totals.index)]
    return w[w["referral_date"] <= w["year"].map(totals["period_end"])]


def test_every_contract_table_loads_with_zero_rejects(tables):
    assert set(TABLES) <= set(tables)
    for name, frame in tables.items():
        assert len(frame) > 0, name


def test_unlinked_sources_pass_the_contract(cohort):
    for name in ("care_episodes", "health_checks", "care_leavers", "education"):
        frame = pd.read_parquet(cohort / "unlinked" / f"{name}.parquet")
        assert frame["child_id"].isna().all()
        for column in ("forename", "surname", "date_of_birth", "sex_recorded", "postcode"):
            assert column in frame
        checked = validate_file(cohort / "unlinked" / f"{name}.parquet", name)
        assert len(checked.rejects) == 0, checked.rejects.head(10).to_string()
        linked = pd.read_parquet(cohort / f"{name}.parquet")
        assert linked["child_id"].notna().all()
        assert not set(TABLES[name].pii_columns) & set(linked.columns)
        assert (linked["record_id"].to_numpy() == frame["record_id"].to_numpy()).all()
    links = pd.read_csv(cohort / "truth_links.csv")
    assert list(links.columns) == ["source", "record_id", "child_id"]
    assert links["record_id"].is_unique


def test_cross_table_rules(tables):
    children, stays, referrals = tables["children"], tables["stays"], tables["referrals"]
    assert stays["child_id"].isin(children["child_id"]).all()
    assert referrals["child_id"].isin(children["child_id"]).all()
    assert stays["urn"].isin(tables["homes"]["urn"]).all()
    assert referrals["urn"].dropna().isin(tables["homes"]["urn"]).all()
    assert tables["incidents"]["stay_id"].isin(stays["stay_id"]).all()
    assert tables["mental_health"]["stay_id"].isin(stays["stay_id"]).all()
    birth = stays.merge(children, on="child_id")
    age = (birth["admission_date"].dt.year - birth["birth_month"].dt.year) - (
        birth["admission_date"].dt.month < birth["birth_month"].dt.month
    ).astype(int)
    assert age.between(10, 17).all()
    ordered = stays.sort_values(["child_id", "admission_date"])
    previous_end = ordered.groupby("child_id")["discharge_date"].shift()
    assert not (ordered["admission_date"] < previous_end).any()
    placed = referrals[referrals["placed"]]
    assert set(stays["referral_id"]) == set(placed.loc[placed["referral_date"] <= DATA_END, "referral_id"])


def test_capacity_like_sa1(tables):
    capacity = tables["home_capacity"]
    homes = tables["homes"]
    assert len(homes) == 13
    assert homes.groupby("home_type").size().to_dict() == {"justice_only": 2, "mixed": 5, "welfare_only": 6}
    per_year = capacity.groupby("snapshot_date")["children_accommodated"].sum()
    # DfE's SA1: about 140 children accommodated at 31 March in recent years.
    assert per_year.between(110, 180).all(), per_year


def test_welfare_referrals_match_table3_totals(tables):
    w = welfare_referrals(tables["referrals"])
    totals = calibration.table3_totals()
    counts = w.groupby("year").size()
    for year, row in totals.iterrows():
        assert abs(counts[year] - row["referred_n"]) <= 3, (year, counts[year])
        placed = w.loc[w["year"] == year, "placed"].mean()
        p = row["placed_pct"] / 100
        se = np.sqrt(p * (1 - p) / row["referred_n"])
        assert abs(placed - p) <= 3 * se + 0.005, (year, placed, p)


def test_behaviours_match_table3(tables):
    """Each published prevalence and placed share within 3 binomial SEs (plus half a point of rounding)."""
    w = welfare_referrals(tables["referrals"])
    published = calibration.table3_behaviours()
    failures = []
    for (year, behaviour), row in published.iterrows():
        rows = w[w["year"] == year]
        if np.isnan(row["referred_p"]):
            assert rows[behaviour].isna().all(), (year, behaviour)
            continue
        n = len(rows)
        prevalence = rows[behaviour].astype(bool).mean()
        se = np.sqrt(row["referred_p"] * (1 - row["referred_p"]) / n)
        if abs(prevalence - row["referred_p"]) > 3 * se + 0.005:
            failures.append((year, behaviour, "referred", prevalence, row["referred_p"]))
        if not np.isnan(row["placed_p"]):
            with_b = rows[rows[behaviour].astype(bool)]
            placed = with_b["placed"].mean()
            se = np.sqrt(row["placed_p"] * (1 - row["placed_p"]) / max(len(with_b), 1))
            if abs(placed - row["placed_p"]) > 3 * se + 0.005:
                failures.append((year, behaviour, "placed", placed, row["placed_p"]))
    assert not failures, failures


def test_mean_behaviours_and_correlation(tables):
    w = welfare_referrals(tables["referrals"])
    totals = calibration.table3_totals()
    flags = w[list(calibration.BEHAVIOURS)].astype("Float64")
    count = flags.sum(axis=1, skipna=True)
    for year in (2017, 2020, 2021):
        mean = count[w["year"] == year].mean()
        assert abs(mean - totals.loc[year, "mean_behaviours_referred"]) < 0.25, (year, mean)
        placed_mean = count[(w["year"] == year) & w["placed"]].mean()
        assert abs(placed_mean - totals.loc[year, "mean_behaviours_placed"]) < 0.4, (year, placed_mean)
    # Behaviours co-occur: the latent factor makes pairwise correlations positive on average.
    recorded = flags[["gang_affiliated", "substance_misuse", "offending_behaviour", "self_harm", "mental_health"]]
    corr = recorded.astype(float).corr().to_numpy()
    assert corr[np.triu_indices(5, 1)].mean() > 0.05


def test_truth_json_complete(cohort):
    truth = json.loads((cohort / "truth.json").read_text())
    assert truth["synthetic"] is True and truth["seed"] == 0 and truth["scale"] == 1.0
    for key in ("placement_model", "rereferral", "parameters", "behaviours", "identifier_error_rates", "options"):
        assert key in truth
    hr = truth["parameters"]["rereferral_hazard"]["hazard_ratio"]
    assert {"pathway_remand", "pathway_justice", "short_stay_under_90_nights", "transition_plan"} <= set(hr)
    assert set(truth["rereferral"]["mean_over_leavers"]) == {"6m", "12m", "24m"}
    decisions = truth["placement_model"]["odds_ratio_decisions"]
    assert decisions["or_challenging_behaviour"]["kept"] is False
    assert all(m["converged"] for m in truth["placement_model"]["welfare_by_year"].values())


def test_rereferral_truth_recovered(tables, cohort):
    """Kaplan-Meier of re-referral within 12 months is near the true cumulative incidence in truth.json."""
    from lifelines import KaplanMeierFitter

    truth = json.loads((cohort / "truth.json").read_text())["rereferral"]["mean_over_leavers"]
    stays = tables["stays"].dropna(subset=["discharge_date"])
    refs = tables["referrals"][["child_id", "referral_date"]]
    merged = stays[["stay_id", "child_id", "discharge_date"]].merge(refs, on="child_id", how="left")
    merged = merged[merged["referral_date"] > merged["discharge_date"]]
    first = merged.groupby("stay_id")["referral_date"].min()
    end = stays.set_index("stay_id")
    children = tables["children"].set_index("child_id")
    turns_18 = end["child_id"].map(children["birth_month"]) + pd.DateOffset(years=18) - pd.Timedelta(days=60)
    censor = turns_18.where(turns_18 < DATA_END, DATA_END)
    event_date = first.reindex(end.index)
    observed = event_date.notna() & (event_date <= censor)
    stop = event_date.where(observed, censor)
    duration = (stop - end["discharge_date"]).dt.days / (365.25 / 12)
    km = KaplanMeierFitter().fit(duration.clip(lower=0), observed)
    estimate = 1 - float(km.survival_function_at_times(12).iloc[0])
    assert abs(estimate - truth["12m"]) < 0.05, (estimate, truth["12m"])


class _RecordingSimulator(Simulator):
    """The generator, recording for each leaver the Exp(1) draw and linear predictor of its re-referral time.

    The draw is read from a copy of the random state (``draw_rereferrals`` takes it first), so the run is the
    same as without the recording.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.drawn: list[pd.DataFrame] = []

    def draw_rereferrals(self, batch, discharge, los, plan, turns_18) -> None:
        if len(batch):
            state = self.rng.bit_generator.state
            unit_exponential = self.rng.exponential(size=len(batch))
            self.rng.bit_generator.state = state
            age_at_exit = np.floor((discharge - batch["birth_month"].to_numpy()) / 365.25)
            eta = self.rereferral_linear_predictor(batch["pathway"].to_numpy(), np.round(los), age_at_exit, plan)
            self.drawn.append(
                pd.DataFrame({
                    "child_index": batch["child_index"].to_numpy(), "discharge_day": discharge,
                    "turns_18": turns_18, "eta": eta, "unit_exponential": unit_exponential,
                })
            )  # fmt: skip
        super().draw_rereferrals(batch, discharge, los, plan, turns_18)


@pytest.mark.slow
def test_every_drawn_rereferral_is_written_and_the_by_year_truth_is_its_expectation():
    """Seed 5, scale 1 (where 2019-20 leavers' re-referral incidence fell 3 SE under the by-year truth).

    Every re-referral the hazard draws before the data end and more than 60 days before the 18th birthday is a
    referral row on the drawn day, and no other referral follows a discharge; truth.json's age-limited by-year
    truth is the mean, over each year's units, of the probability that the unit's drawn time falls in the window,
    and a unit is re-referred within the window exactly when its draw does. So a by-year gap between the
    indicator and the truth is sampling error in the draws, not lost referrals or a wrong truth.
    """
    from synthetic.parameters import defaults
    from synthetic.simulation import baseline_cumulative_hazard, invert_piecewise_exponential
    from synthetic.truth import rereferral_truth

    days_per_month = 365.25 / 12
    data_end = to_day(str(DATA_END.date()))
    params = defaults()
    sim = _RecordingSimulator(params, seed=5, scale=1.0, start_year=2017, end_year=2021, data_end=str(DATA_END.date()))
    result = sim.run()
    drawn = pd.concat(sim.drawn, ignore_index=True)
    months = invert_piecewise_exponential(drawn["unit_exponential"].to_numpy() / np.exp(drawn["eta"].to_numpy()))
    drawn["drawn_day"] = drawn["discharge_day"] + np.maximum(np.ceil(months * days_per_month), 1).astype(np.int64)
    made = (drawn["drawn_day"] <= data_end) & (drawn["drawn_day"] < drawn["turns_18"] - 60)

    referrals = result.referrals[["child_index", "referral_day"]]
    after = drawn.reset_index().merge(referrals, on="child_index")
    after = after[after["referral_day"] > after["discharge_day"]]
    written_day = after.groupby("index")["referral_day"].min().reindex(drawn.index)
    assert made.sum() > 800
    assert (written_day[made] == drawn.loc[made, "drawn_day"]).all(), "a drawn re-referral was not written"
    assert written_day[~made].isna().all(), "a referral follows a discharge whose draw made none"

    discharge = pd.to_datetime(drawn["discharge_day"], unit="D")
    first_year = discharge.dt.year - (discharge.dt.month < 4).astype(int)
    drawn["financial_year"] = first_year.astype(str) + "-" + ((first_year + 1) % 100).astype(str).str.zfill(2)
    units = drawn.sort_values("discharge_day", kind="stable").drop_duplicates(["child_index", "financial_year"])
    truth = rereferral_truth(params, result.stays, result.children)["first_exit_in_financial_year"]["by_year"]
    assert set(truth) == set(units["financial_year"])
    days_to_limit = (units["turns_18"] - 61 - units["discharge_day"]).to_numpy()
    uniform = 1 - np.exp(-units["unit_exponential"].to_numpy())
    uncensored_days = data_end - units["discharge_day"].to_numpy()
    for window in (6, 12, 24):
        reachable = np.minimum(np.floor(window * days_per_month), days_to_limit)
        hazard = baseline_cumulative_hazard(np.maximum(reachable, 0) / days_per_month)
        probability = np.where(reachable >= 1, 1 - np.exp(-hazard * np.exp(units["eta"].to_numpy())), 0.0)
        gap = (written_day.loc[units.index] - units["discharge_day"]).to_numpy()
        re_referred = ~np.isnan(gap) & (gap <= reachable)
        followed = reachable <= uncensored_days
        assert (re_referred[followed] == (uniform <= probability)[followed]).all(), window
        for year, cell in truth.items():
            rows = (units["financial_year"] == year).to_numpy()
            assert cell["units"] == rows.sum(), year
            assert cell["age_limited"][f"{window}m"] == pytest.approx(probability[rows].mean(), abs=1e-12), year


def test_identifier_error_rates_near_declared(cohort):
    truth = json.loads((cohort / "truth.json").read_text())["identifier_error_rates"]
    realised = truth["realised"]["education"]
    for error, rate in truth["declared"].items():
        if error == "note" or error == "dob_day_month_swapped" or rate == 0:
            continue
        n = truth and json.loads((cohort / "truth.json").read_text())["row_counts"]["education"]
        assert abs(realised[error] - rate) <= 4 * np.sqrt(rate * (1 - rate) / n) + 0.002, (error, realised[error])
    # And the files really carry them: compare the unlinked education source with the clean identifiers.
    unlinked = pd.read_parquet(cohort / "unlinked" / "education.parquet")
    links = pd.read_csv(cohort / "truth_links.csv").query("source == 'education'")
    clean = pd.read_parquet(cohort / "identifiers.parquet").set_index("child_id")
    truth_child = links.set_index("record_id").loc[unlinked["record_id"], "child_id"].to_numpy()
    postcode_differs = unlinked["postcode"].notna() & (
        unlinked["postcode"].to_numpy() != clean.loc[truth_child, "postcode"].to_numpy()
    )
    assert (
        abs(postcode_differs.mean() - truth["declared"]["postcode_moved"] * (1 - truth["declared"]["postcode_missing"]))
        < 0.02
    )


def _birthday(dob: pd.Series, years: int) -> pd.Series:
    return dob + pd.DateOffset(years=years)


def test_care_leaver_rows_exactly_where_oc3_collects_them(tables):
    """OC3 rows for exactly the relevant children's birthday years after leaving care, recomputed from the episodes.

    Rule (DfE SSDA903 OC3 and 903 rule 1016): looked after 13 weeks in all since the 14th birthday and at some time
    after the 16th; a row for each year to 31 March holding the 17th to 21st birthday, unless still looked after on
    that birthday; the contract table keeps years ending after the child's first discharge and by the data end.
    """
    episodes = tables["care_episodes"]
    dob = tables["identifiers"].set_index("child_id")["date_of_birth"]
    ep = episodes.assign(
        dob=episodes["child_id"].map(dob), ceased=episodes["dec"].fillna(DATA_END + pd.Timedelta(days=1))
    )
    after_14 = (ep["ceased"] - np.maximum(ep["decom"], _birthday(ep["dob"], 14))).dt.days.clip(lower=0)
    per_child = (
        ep.assign(after_14=after_14)
        .groupby("child_id")
        .agg(after_14=("after_14", "sum"), last_end=("ceased", "max"), dob=("dob", "first"))
    )
    relevant = per_child[(per_child["after_14"] >= 91) & (per_child["last_end"] > _birthday(per_child["dob"], 16))]
    first_exit = tables["stays"].groupby("child_id")["discharge_date"].min()
    expected = set()
    for age in range(17, 22):
        birthday = _birthday(relevant["dob"], age)
        year_end = birthday.dt.year + (birthday.dt.month > 3).astype(int)
        period_end = pd.to_datetime(year_end.astype(str) + "-03-31")
        keep = (birthday <= DATA_END) & (relevant["last_end"] < birthday) & (period_end <= DATA_END)
        keep &= period_end > relevant.index.map(first_exit)
        expected |= set(zip(relevant.index[keep], period_end[keep], strict=True))
    leavers = tables["care_leavers"]
    actual = set(zip(leavers["child_id"], leavers["period_end"], strict=True))
    assert len(expected) > 100
    assert actual == expected, (sorted(expected - actual)[:5], sorted(actual - expected)[:5])


def test_education_rows_for_every_leaver_of_compulsory_school_age(tables, cohort):
    """Each leaver has an education row for every academic year followed while of compulsory school age."""
    stays = tables["stays"].dropna(subset=["discharge_date"])
    dob = tables["identifiers"].set_index("child_id")["date_of_birth"]
    exit_year = stays["discharge_date"].dt.year - (stays["discharge_date"].dt.month < 9).astype(int)
    last_year = DATA_END.year - (DATA_END.month < 9)
    expected = set()
    for child, first in zip(stays["child_id"], exit_year, strict=True):
        birth = dob[child]
        for year in range(first, last_year + 1):
            age_31_august = year - birth.year - (birth.month > 8)
            if age_31_august < 16:
                expected.add((child, year))
    education = tables["education"]
    actual = set(zip(education["child_id"], education["academic_year"], strict=True))
    assert len(expected) > 500
    assert expected <= actual, sorted(expected - actual)[:5]
    coverage = json.loads((cohort / "truth.json").read_text())["follow_up_coverage"]["education"]
    assert coverage["missing"] == 0 and coverage["leaver_years_of_compulsory_school_age"] == len(expected)


def test_add_years_matches_pandas_date_offset():
    from synthetic.simulation import add_years

    days = np.concatenate(
        [np.arange(-800, 20_000, 7), [to_day("2004-02-29"), to_day("2008-02-29"), to_day("2003-03-01")]]
    )
    for years in (14, 16, 18, 21):
        expected = pd.to_datetime(days, unit="D") + pd.DateOffset(years=years)
        assert (add_years(days, years) == expected.to_numpy().astype("datetime64[D]").astype(np.int64)).all(), years


def to_day(text: str) -> int:
    return int(pd.Timestamp(text).value // 86_400_000_000_000)


def test_stored_placement_fit_equals_a_fresh_fit():
    """The packaged coefficients (synthetic/placement_fit.json) are what a fresh fit gives, and the generator uses them."""
    arguments = calibration.default_fit_arguments()
    stored = json.loads(calibration.STORED_FIT.read_text())
    assert stored["inputs"] == calibration.fit_inputs(*arguments), "inputs changed: run python -m synthetic.calibration"
    assert sorted(stored["years"]) == [str(y) for y in calibration.table3_totals().index]
    for year, fitted in stored["years"].items():
        fresh = calibration.fresh_fit(int(year), *arguments).to_dict()
        assert fresh["converged"] and fitted["converged"]
        assert fitted["intercept"] == pytest.approx(fresh["intercept"], abs=1e-6)
        assert fitted["behaviour_log_odds_ratio"] == pytest.approx(fresh["behaviour_log_odds_ratio"], abs=1e-6)
        used = calibration.fit_placement_model(int(year), *arguments)
        assert used.intercept == fitted["intercept"]


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_same_seed_gives_identical_bytes(cohort, tmp_path):
    again = generate(tmp_path / "run2", seed=0, scale=1.0)  # as tests/conftest.py's national_cohort
    assert _digest(cohort) == _digest(again)


def test_csv_format_loads_with_zero_rejects(small_cohort):
    folder = small_cohort
    assert (folder / "children.csv").read_text().splitlines()[1].split(",")[2].count("-") == 1  # YYYY-MM
    result = load_data(folder)
    assert len(result.rejects) == 0, result.rejects.head(20).to_string()


def test_reference_files_ship_in_the_package_with_their_sources():
    """The generator reads only ``synthetic/reference``, whose README names the source of every file it reads."""
    readme = (calibration.PACKAGED_REFERENCE / "README.md").read_text(encoding="utf-8")
    for name in (*calibration.REFERENCE_FILES, calibration.POSTCODE_FILE):
        assert (calibration.PACKAGED_REFERENCE / name).is_file(), name
        assert f"| {name} |" in readme, name
    for module in Path(calibration.__file__).parent.glob("*.py"):
        assert '"shared"' not in module.read_text(encoding="utf-8"), module.name


@pytest.mark.slow
def test_scale_10_calibration_is_tighter(tmp_path):
    from synthetic import build

    out, _ = build(seed=1, scale=10.0, start_year=2017, end_year=2021, data_end="2024-03-31")
    referrals = out["referrals"]
    w = welfare_referrals(referrals)
    totals = calibration.table3_totals()
    for year, row in totals.iterrows():
        p = row["placed_pct"] / 100
        se = np.sqrt(p * (1 - p) / (10 * row["referred_n"]))
        assert abs(w.loc[w["year"] == year, "placed"].mean() - p) <= 3 * se + 0.006, year
        for behaviour in ("self_harm", "mental_health", "sexual_exploitation", "gang_affiliated"):
            q = calibration.table3_behaviours().loc[(year, behaviour), "referred_p"]
            se = np.sqrt(q * (1 - q) / (10 * row["referred_n"]))
            assert abs(w.loc[w["year"] == year, behaviour].astype(bool).mean() - q) <= 3 * se + 0.005, (year, behaviour)
