"""Placement regressions (``analyses.placement``), checked against the synthetic generator's true model.

One scale-1 synthetic cohort is generated per module by the command a user runs,
``outcomes analyse placement --out OUT --seed 0`` (about 20 s), which writes
the data to ``OUT/data`` and the results beside it. Seed 0 is the project's default
seed, not chosen for its outcome: the recovery tests assert what a correct model gives
with overwhelming probability in any cohort (see
``test_estimates_recover_the_true_log_odds_ratios``), and the recovery study
(``benchmarks/recovery_placement.py``, 200 seeds) measures coverage itself.

The small hand-built tables further down (``small_tables``) give the bad-input and
disclosure tests data in which one thing is wrong at a time.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyses.placement import PlacementDataError, designs, fit_models, run
from analyses.placement.analysis import FIRTH_MODEL, PRIMARY_MODEL
from analyses.placement.data import BEHAVIOURS, build_frame
from analyses.placement.models import MIN_RESIDUAL_DF, Design, delong_auc, fit_logit, one_blas_thread
from outcomes.cli import main
from outcomes.config import Settings
from outcomes.loading import load_data

pytestmark = pytest.mark.slow

SEED = 0
THRESHOLD = Settings().suppression_threshold


@pytest.fixture(scope="module")
def analysed(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("placement")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["analyse", "placement", "--out", str(out), "--seed", str(SEED)]) == 0
    return out


@pytest.fixture(scope="module")
def estimates(analysed: Path) -> pd.DataFrame:
    return pd.read_csv(analysed / "placement_estimates.csv", keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def tables(analysed: Path) -> dict[str, pd.DataFrame]:
    return load_data(analysed / "data").tables


@pytest.fixture(scope="module")
def truth(analysed: Path) -> dict:
    return json.loads((analysed / "data" / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def primary(tables):
    return fit_models(tables, first_year=2017, last_year=2021, only=(PRIMARY_MODEL, "logit_pooled"))


# --- recovery of the truth ------------------------------------------------------------------


def test_estimates_recover_the_true_log_odds_ratios(estimates: pd.DataFrame, truth: dict) -> None:
    """Every primary-model term carries its true value, and the estimates recover it as sampling theory says.

    The assertions hold with overwhelming probability for a correct model in any cohort, so no seed is chosen
    for passing them:

    - coverage of the published behaviour-year intervals: with k of them published (k is 62 less those
      withheld, about 55 to 62) and true coverage 0.95, the number covering is Binomial(k, 0.95); the test
      requires at least ``binom.ppf(1e-4, k, 0.93)`` covering (49 of 62, 43 of 55), which even at 0.93
      coverage (the study's lowest per-term coverage is about 0.92) fails with probability below 1e-4 (for
      comparison, at 0.95 P(fewer than 54 of 63 cover) = 0.0011, too likely for a test);
    - every published estimate lies within 4 standard errors of its truth (|Z| > 4 has probability 6.3e-5 per
      term, under 0.005 for 67 terms);
    - female, age and previous placement, estimated from every referral, lie within 3.5 standard errors
      (probability 4.7e-4 each of failing).

    A coding error (age in months, a wrong reference year, a swapped flag) moves estimates by many standard
    errors and fails it. Standard errors are recovered from the published interval on the log scale.
    """
    from scipy import stats

    rows = estimates[estimates["model"] == PRIMARY_MODEL]
    expected_terms = {"female", "age_at_referral", "previous_secure_placement"}
    for year in truth["placement_model"]["welfare_by_year"]:
        if 2017 <= int(year) <= 2021:
            recorded = [b for b, p in truth["behaviours"]["prevalence_by_year"][year].items() if p is not None]
            expected_terms |= {f"{b}[{year}]" for b in recorded}
    assert set(rows["term"]) == expected_terms  # 62 behaviour-year effects and the three covariates
    firth = estimates[estimates["model"] == FIRTH_MODEL].set_index("term")
    z_scores = {}
    for row in rows.itertuples():
        # A term the ML fit cannot give (separation) is checked on its Firth row; a withheld term has no interval.
        source = row if row.status == "ok" else (firth.loc[row.term] if row.term in firth.index else None)
        if source is None or source.status != "ok":
            assert "withheld" in row.note or "separation" in row.note
            continue
        assert np.isfinite(source.true_value), row.term
        se = (np.log(source.ci_upper) - np.log(source.ci_lower)) / (2 * stats.norm.ppf(0.975))
        z_scores[row.term] = (np.log(source.estimate) - np.log(source.true_value)) / se
    z = pd.Series(z_scores)
    covariate_names = ["female", "age_at_referral", "previous_secure_placement"]
    by_year = z.drop(index=covariate_names)
    covered = int((by_year.abs() <= stats.norm.ppf(0.975)).sum())
    required = int(stats.binom.ppf(1e-4, len(by_year), 0.93))
    assert len(by_year) >= 50  # at most a dozen behaviour-year terms withheld for small cells
    assert covered >= required, (covered, len(by_year), by_year[by_year.abs() > 1.96])
    assert (z.abs() < 4).all(), z[z.abs() >= 4]
    assert (z[covariate_names].abs() < 3.5).all(), z[covariate_names]
    covariates = rows.set_index("term").loc[covariate_names]
    np.testing.assert_allclose(covariates["true_value"], [2.26, 0.75, 2.12])  # Unlocking the facts (2020)
    assert (covariates["status"] == "ok").all()


def test_interactions_have_true_value_one_and_cover_it(estimates: pd.DataFrame) -> None:
    rows = estimates[(estimates["model"] == "logit_interactions") & estimates["term"].str.contains(":")]
    assert len(rows) == 3
    assert (rows["true_value"] == 1.0).all()  # the generator's log odds are additive in the behaviours
    ok = rows[rows["status"] == "ok"]
    assert ((ok["ci_lower"] <= 1.0) & (ok["ci_upper"] >= 1.0)).all()


def test_marginal_effects_and_pathway_rates_recover_their_truth(estimates: pd.DataFrame) -> None:
    ame = estimates[(estimates["model"] == "ame_by_year") & (estimates["status"] == "ok")]
    assert set(ame["scale"]) == {"percentage_points"}
    assert len(ame) >= 12
    inside = (ame["ci_lower"] <= ame["true_value"]) & (ame["true_value"] <= ame["ci_upper"])
    assert inside.mean() >= 0.85, ame.loc[~inside, ["term", "estimate", "true_value"]]
    rates = estimates[estimates["model"] == "pathway_standardised"].set_index("term")
    for term in ("rate[swcu]", "rate[ycs]", "swcu_minus_ycs"):
        assert rates.loc[term, "ci_lower"] <= rates.loc[term, "true_value"] <= rates.loc[term, "ci_upper"], term
    days = estimates[estimates["model"] == "days_to_placement"].set_index("term")
    assert days.loc["mean_days[swcu]", "true_value"] == 2.5  # decision 0-3 days plus admission 0-2 days, uniform
    assert abs(days.loc["mean_days[swcu]", "estimate"] - 2.5) < 0.2


# --- against independent implementations ------------------------------------------------------


def test_logit_fit_agrees_with_statsmodels_glm_binomial(primary) -> None:
    import statsmodels.api as sm

    fit = primary.fits[PRIMARY_MODEL]
    X = fit.design.X[fit.params.index].astype(float)
    groups = pd.factorize(fit.design.clusters["local_authority"], sort=True)[0]
    with one_blas_thread():
        glm = sm.GLM(fit.design.y, X, family=sm.families.Binomial())
        glm = glm.fit(cov_type="cluster", cov_kwds={"groups": groups})
        model_based = sm.GLM(fit.design.y, X, family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(fit.params, glm.params, atol=1e-7)
    np.testing.assert_allclose(fit.se("local_authority"), glm.bse, rtol=1e-6)
    np.testing.assert_allclose(fit.se("model"), model_based.bse, rtol=1e-5)
    assert fit.aic == pytest.approx(model_based.aic)


def test_firth_fit_lies_close_to_maximum_likelihood_without_separation(primary) -> None:
    fit = primary.fits[PRIMARY_MODEL]
    assert not fit.separated
    gap = (fit.firth_params - fit.params).abs() / fit.se("model")
    # Firth's correction is O(1/n) while a standard error is O(1/sqrt(n)): on about 2,200 referrals and 72
    # parameters it moves a coefficient by a small fraction of its standard error.
    assert gap.max() < 0.5, gap.sort_values().tail()
    assert gap.median() < 0.1
    assert (fit.firth_params - fit.params).abs().max() > 0  # and it is a different fit


def test_firth_gives_a_finite_estimate_where_maximum_likelihood_separates() -> None:
    rng = np.random.default_rng(3)
    n = 400
    x = rng.random(n) < 0.3
    rare = np.zeros(n)
    rare[:12] = 1.0
    y = (rng.random(n) < np.where(x, 0.6, 0.3)).astype(float)
    y[:12] = 1.0  # every referral with the rare flag is placed: quasi-complete separation
    X = pd.DataFrame({"intercept": np.ones(n), "x": x.astype(float), "rare": rare})
    terms = {c: designs.Term(c, "behaviour", np.ones(n, bool), X[c].to_numpy()) for c in X}
    fit = fit_logit(Design("toy", X, y, terms, {"local_authority": np.arange(n) % 20, "child": np.arange(n)}))
    assert fit.separated == ["rare"]
    assert np.isfinite(fit.firth_params["rare"]) and 1.0 < fit.firth_params["rare"] < 6.0


def test_delong_auc_matches_sklearn_and_the_hanley_mcneil_order_of_se() -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(5)
    y = rng.random(500) < 0.4
    score = rng.normal(size=500) + y
    auc, se = delong_auc(y, np.round(score, 1))  # ties, as fitted probabilities of binary covariates have
    assert auc == pytest.approx(roc_auc_score(y, np.round(score, 1)))
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    m, n = y.sum(), (~y).sum()
    hanley = np.sqrt((auc * (1 - auc) + (m - 1) * (q1 - auc**2) + (n - 1) * (q2 - auc**2)) / (m * n))
    assert se == pytest.approx(hanley, rel=0.15)


# --- Table 3 ------------------------------------------------------------------------------------


def test_table3_is_rebuilt_beside_the_published_figures(analysed: Path, tables) -> None:
    from statsmodels.stats.proportion import proportion_confint

    table = pd.read_csv(analysed / "table3_comparison.csv", keep_default_na=False, na_values=[""])
    published = pd.read_csv(Path(__file__).parents[1] / "synthetic" / "reference" / "table3_swcu_referrals.csv")
    merged = table.merge(published, on=["year", "behaviour"], how="inner")
    assert len(merged) == 70
    np.testing.assert_array_equal(merged["published_placed_pct"].fillna(-1), merged["placed_pct_y"].fillna(-1))
    # One cell by hand: sexual exploitation in 2019, straight from the referrals table.
    referrals = tables["referrals"]
    chosen = referrals[
        (referrals["route"] == "swcu")
        & (referrals["referral_date"].dt.year == 2019)
        & referrals["sexual_exploitation"].fillna(False).astype(bool)
    ]
    row = table[(table["year"] == 2019) & (table["behaviour"] == "sexual_exploitation")].iloc[0]
    assert row["referred_n"] == len(chosen)
    assert row["placed_n"] == int(chosen["placed"].sum())
    low, high = proportion_confint(row["placed_n"], row["referred_n"], method="wilson")
    assert row["placed_ci_lower"] == pytest.approx(100 * low, abs=1e-5)
    assert row["placed_ci_upper"] == pytest.approx(100 * high, abs=1e-5)
    comparable = table[table["published_inside_ci"].notna()]
    # The generator matches Table 3 in expectation (a ridge-penalised fit to rounded percentages), so most,
    # not all, published shares fall inside one cohort's intervals.
    assert _true(comparable["published_inside_ci"]).mean() >= 0.7
    not_recorded = table[(table["year"] < 2020) & table["behaviour"].isin(["criminal_exploitation", "disclosed_abuse"])]
    assert not_recorded["referred_n"].isna().all() and (not_recorded["note"] == "not recorded this year").all()


def test_outputs_hold_the_fixed_columns_figures_and_notes(analysed: Path, estimates: pd.DataFrame) -> None:
    from analyses.results import ESTIMATE_COLUMNS

    assert list(estimates.columns) == ESTIMATE_COLUMNS
    for name in ("placement_forest_odds_ratios", "placement_forest_marginal_effects"):
        for suffix in (".png", ".svg", ".alt.txt"):
            assert (analysed / f"{name}{suffix}").stat().st_size > 0
    comparison = pd.read_csv(analysed / "placement_model_comparison.csv")
    assert {"logit_by_year", "firth_by_year", "logit_pooled", "lpm_fe"} <= set(comparison["model"])
    assert ((comparison["auc_ci_lower"] < comparison["auc"]) & (comparison["auc"] < comparison["auc_ci_upper"])).all()
    notes = (analysed / "placement_notes.md").read_text(encoding="utf-8")
    assert "not-recorded category" in notes and "Criminal exploitation" in notes
    errors = pd.read_csv(analysed / "placement_standard_errors.csv")
    assert {"se_model", "se_cluster_local_authority", "se_cluster_child"} <= set(errors.columns)


# --- disclosure --------------------------------------------------------------------------------


def _true(values: pd.Series) -> pd.Series:
    return values.astype(str).str.lower().eq("true")


def _small(values: pd.Series) -> pd.Series:
    return (values >= 1) & (values <= THRESHOLD)


def test_no_published_estimate_or_table3_cell_rests_on_a_small_count(analysed: Path, estimates: pd.DataFrame) -> None:
    published = estimates[estimates["status"] == "ok"]
    assert not _small(published["n"]).any()
    assert not _small(published["events"]).any()
    assert not _small(published["n"] - published["events"]).any()
    table = pd.read_csv(analysed / "table3_comparison.csv", keep_default_na=False, na_values=[""])
    shown = table[~_true(table["suppressed"])]
    for column in ("referred_n", "placed_n"):
        assert not _small(shown[column]).any()
    assert not _small(shown["referred_n"] - shown["placed_n"]).any()
    # Nor can a small count be worked back from the year's published total.
    totals = table[table["behaviour"] == "all_referrals"].set_index("year")
    year_n = shown["year"].map(totals["referred_n"])
    year_placed = shown["year"].map(totals["placed_n"])
    recorded = shown["referred_n"].notna() & (shown["behaviour"] != "all_referrals")
    absent = (year_n - shown["referred_n"])[recorded]
    absent_placed = (year_placed - shown["placed_n"])[recorded]
    assert not (_small(absent) | _small(absent_placed) | _small(absent - absent_placed)).any()


def small_tables(n: int = 600, seed: int = 0, years: tuple[int, ...] = (2018, 2019, 2020)) -> dict[str, pd.DataFrame]:
    """Contract-shaped children, referrals and stays: welfare (SWCU) and YCS referrals, behaviours at 30%."""
    rng = np.random.default_rng(seed)
    year = rng.choice(years, n)
    referral_date = pd.to_datetime([f"{y}-06-15" for y in year]) + pd.to_timedelta(rng.integers(0, 150, n), "D")
    welfare = rng.random(n) < 0.6
    flags = {b: rng.random(n) < 0.3 for b in BEHAVIOURS}
    female = rng.random(n) < 0.5
    eta = -0.3 + 0.8 * flags["sexual_exploitation"] - 0.6 * flags["mental_health"] + 0.7 * female
    placed = rng.random(n) < 1 / (1 + np.exp(-eta))
    child_id = [f"C{i:05d}" for i in range(n)]
    referrals = pd.DataFrame(
        {
            "referral_id": [f"R{i:05d}" for i in range(n)],
            "child_id": child_id,
            "referral_date": referral_date,
            "pathway": np.where(welfare, "welfare", np.where(rng.random(n) < 0.6, "remand", "justice")),
            "route": np.where(welfare, "swcu", "ycs"),
            "placed": pd.array(placed, dtype="boolean"),
            **{b: pd.array(v, dtype="boolean") for b, v in flags.items()},
        }
    )
    for b in ("criminal_exploitation", "disclosed_abuse"):
        referrals[b] = referrals[b].astype("object").where(year >= 2020, None).astype("boolean")
    children = pd.DataFrame(
        {
            "child_id": child_id,
            "sex": np.where(female, "2", "1"),
            "birth_month": (referral_date - pd.to_timedelta(rng.integers(13 * 365, 17 * 365, n), "D"))
            .to_period("M")
            .to_timestamp(),
            "local_authority": rng.choice([f"{code}" for code in range(301, 321)], n),
        }
    )
    stays = pd.DataFrame(
        {
            "stay_id": [f"S{i:05d}" for i in np.flatnonzero(placed)],
            "child_id": np.array(child_id)[placed],
            "referral_id": referrals["referral_id"][placed].to_numpy(),
            "admission_date": referral_date[placed] + pd.to_timedelta(2, "D"),
        }
    )
    return {"referrals": referrals, "children": children, "stays": stays}


def _settings(**changes) -> Settings:
    return Settings(**{"start_year": 2018, "end_year": 2020, **changes})


def test_a_behaviour_nobody_presents_gives_a_not_estimable_row_not_a_traceback() -> None:
    data = small_tables()
    data["referrals"]["fire_setting"] = pd.array([False] * len(data["referrals"]), dtype="boolean")
    result = run(data, _settings()).to_frame()
    for model, term in ((PRIMARY_MODEL, "fire_setting[2019]"), ("logit_pooled", "fire_setting")):
        row = result[(result["model"] == model) & (result["term"] == term)].iloc[0]
        assert row["status"] == "not_estimable"
        assert "all zero" in row["note"]
    assert (result[result["term"] == "mental_health"]["status"] == "ok").any()
    table3 = run(data, _settings()).tables["table3_comparison"]
    rows = table3[(table3["behaviour"] == "fire_setting") & table3["year"].between(2018, 2020)]
    assert len(rows) == 3
    assert (rows["referred_n"] == 0).all() and rows["placed_pct"].isna().all()
    assert rows["note"].str.contains("no referral presented it this year").all()


def test_marginal_effect_n_is_the_referrals_averaged_over() -> None:
    data = small_tables()
    frame = run(data, _settings()).to_frame().set_index(["model", "term"])
    welfare = build_frame(data, first_year=2018, last_year=2020).frame
    welfare = welfare[welfare["route"] == "swcu"]
    assert frame.loc[("ame_by_year", "self_harm"), "n"] == len(welfare)
    assert frame.loc[("ame_by_year", "disclosed_abuse"), "n"] == welfare["disclosed_abuse"].notna().sum()
    assert pd.isna(frame.loc[("ame_by_year", "self_harm"), "events"])


def test_a_year_with_no_referrals_gives_a_not_estimable_row() -> None:
    data = small_tables(years=(2018, 2020))
    result = run(data, _settings())
    frame = result.to_frame()
    row = frame[frame["term"] == "year[2019]"].iloc[0]
    assert row["status"] == "not_estimable" and "no SWCU referral in 2019" in row["note"]
    assert any("2019" in note for note in result.notes)
    assert not frame["term"].str.endswith("[2019]").loc[frame["status"] == "ok"].any()


def test_a_local_authority_with_one_referral_is_handled_with_a_note() -> None:
    data = small_tables()
    data["children"].loc[0, "local_authority"] = "999"
    result = run(data, _settings())
    lpm = result.to_frame()[result.to_frame()["model"] == "lpm_fe"]
    assert (lpm["status"] == "ok").any()
    assert any("single referral dropped" in note for note in result.notes)


def test_a_rare_behaviour_is_withheld_and_too_few_referrals_fail_the_degrees_of_freedom_rule() -> None:
    data = small_tables()
    rare = np.zeros(len(data["referrals"]), dtype=bool)
    welfare_rows = np.flatnonzero(data["referrals"]["route"].to_numpy() == "swcu")
    rare[welfare_rows[:3]] = True  # three referrals in all present it
    data["referrals"]["adoption_breakdown"] = pd.array(rare, dtype="boolean")
    frame = run(data, _settings()).to_frame()
    row = frame[(frame["model"] == "logit_pooled") & (frame["term"] == "adoption_breakdown")].iloc[0]
    assert row["status"] == "not_estimable" and "withheld" in row["note"] and pd.isna(row["n"])

    few = small_tables(n=60, seed=2)
    frame = run(few, _settings()).to_frame()
    by_year = frame[frame["model"] == PRIMARY_MODEL]
    assert (by_year["status"] == "not_estimable").all()
    assert by_year["note"].str.contains(f"at least {MIN_RESIDUAL_DF} needed|withheld|not estimable").all()


def test_missing_tables_and_columns_raise_a_clear_message() -> None:
    data = small_tables()
    with pytest.raises(PlacementDataError, match="needs the children table"):
        build_frame({"referrals": data["referrals"]}, first_year=2018, last_year=2020)
    with pytest.raises(PlacementDataError, match="table referrals: missing column.*self_harm"):
        build_frame({**data, "referrals": data["referrals"].drop(columns="self_harm")}, first_year=2018, last_year=2020)
    with pytest.raises(PlacementDataError, match="nothing to analyse"):
        build_frame(data, first_year=2030, last_year=2031)


def test_previous_placement_and_age_are_coded_as_the_generator_codes_them(tables) -> None:
    frame = build_frame(tables, first_year=2017, last_year=2021).frame
    # Whole years since the first day of the birth month.
    children = tables["children"].set_index("child_id")
    row = frame.iloc[100]
    born = children.loc[row["child_id"], "birth_month"]
    assert row["age_at_referral"] == np.floor((row["referral_date"] - born).days / 365.25)
    # A previous placement means an admission before this referral; every child's first referral has none.
    first = frame.sort_values("referral_date").groupby("child_id").head(1)
    assert (first["previous_secure_placement"] == 0).all()
    assert frame["previous_secure_placement"].sum() > 100


def test_written_results_are_byte_identical_across_runs(tmp_path: Path) -> None:
    data = small_tables(seed=4)
    for name in ("first", "second"):
        run(data, _settings()).write(tmp_path / name)
    first = sorted(p.name for p in (tmp_path / "first").iterdir())
    assert first == sorted(p.name for p in (tmp_path / "second").iterdir())
    assert "placement_estimates.csv" in first and "table3_comparison.csv" in first
    for name in first:
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name


def test_average_discrete_change_matches_statsmodels_margeff(primary) -> None:
    from analyses.placement.models import average_discrete_change

    fit = primary.fits["logit_pooled"]
    with one_blas_thread():
        margeff = fit.ml_result.get_margeff(at="overall", method="dydx", dummy=True).summary_frame()
    everyone = np.ones(fit.n, dtype=bool)
    for column in ("female", "previous_secure_placement", "sexual_exploitation"):
        effect, se = average_discrete_change(fit, [column], np.zeros(fit.n, dtype=int), everyone, cov_name="model")
        assert effect == pytest.approx(margeff.loc[column, "dy/dx"], rel=1e-8)
        assert se == pytest.approx(margeff.loc[column, "Std. Err."], rel=1e-4)


def test_command_line_gives_a_message_and_status_2_when_no_referral_is_in_the_years(
    analysed: Path, tmp_path: Path, capsys
) -> None:
    config = tmp_path / "years.toml"
    config.write_text("start_year = 2030\nend_year = 2031\n", encoding="utf-8")
    code = main(
        ["analyse", "placement", str(analysed / "data"), "--out", str(tmp_path / "out"), "--config", str(config)]
    )
    assert code == 2
    error = capsys.readouterr().err
    assert "error:" in error and "2030 to 2031" in error and "Traceback" not in error


# --- differencing against Table 3 ---------------------------------------------------------------


def _differencing_attack(frame: pd.DataFrame, table3: pd.DataFrame, counts: list[tuple[str, float, float]]) -> list:
    """Suppressed Table 3 cells of 1 to THRESHOLD worked back from published (term, n, events) counts.

    For each suppressed year-behaviour cell, a count published for the behaviour (its term names it) minus the
    behaviour's published cells in the other years is a candidate for the hidden cell, and the year's
    all-referrals row then gives the cells of those not presenting it. A hidden cell counts as recovered when
    the candidate equals its true value (read from the microdata) and that value is 1 to THRESHOLD. Model totals
    (every row's n, whatever its term) are tried against every suppressed all-referrals row the same way.
    """
    welfare = frame[frame["route"].astype(str) == "swcu"]
    recovered = []
    shown = table3[~_true(table3["suppressed"])]
    for hidden in table3[_true(table3["suppressed"])].itertuples():
        in_year = welfare[welfare["year"] == hidden.year]
        others = shown[(shown["behaviour"] == hidden.behaviour) & (shown["year"] != hidden.year)]
        sum_n, sum_placed = others["referred_n"].sum(), others["placed_n"].sum()
        if hidden.behaviour == "all_referrals":
            true_n, true_placed = len(in_year), int(in_year["placed"].sum())
            recorded, year_placed = true_n, true_placed
            about = counts
        else:
            flags = in_year[hidden.behaviour]
            presenting = in_year[flags.fillna(0).astype(bool)]
            true_n, true_placed = len(presenting), int(presenting["placed"].sum())
            recorded = int(flags.notna().sum())
            year_placed = int(in_year.loc[flags.notna(), "placed"].sum())
            about = [c for c in counts if c[0] == hidden.behaviour or c[0].startswith(f"{hidden.behaviour}[")]
        truth = {
            "presenting": true_n,
            "presenting placed": true_placed,
            "presenting not placed": true_n - true_placed,
            "not presenting": recorded - true_n,
            "not presenting placed": year_placed - true_placed,
            "not presenting not placed": (recorded - true_n) - (year_placed - true_placed),
        }
        for term, n, events in about:
            guess_n = n - sum_n if pd.notna(n) else None
            guess_placed = events - sum_placed if pd.notna(events) else None
            guesses = {"presenting": guess_n, "presenting placed": guess_placed}
            if guess_n is not None:
                guesses["not presenting"] = recorded - guess_n
            if guess_placed is not None:
                guesses["not presenting placed"] = year_placed - guess_placed
            if guess_n is not None and guess_placed is not None:
                guesses["presenting not placed"] = guess_n - guess_placed
                guesses["not presenting not placed"] = (recorded - guess_n) - (year_placed - guess_placed)
            for cell, guess in guesses.items():
                if guess is not None and guess == truth[cell] and 1 <= truth[cell] <= THRESHOLD:
                    recovered.append((hidden.year, hidden.behaviour, cell, truth[cell], term))
    return recovered


def _published_counts(estimates: pd.DataFrame, comparison: pd.DataFrame) -> list[tuple[str, float, float]]:
    rows = estimates[estimates["n"].notna() | estimates["events"].notna()]
    counts = [(t, n, e) for t, n, e in zip(rows["term"], rows["n"], rows["events"], strict=True)]
    return counts + [("model total", n, e) for n, e in zip(comparison["n"], comparison["events"], strict=True)]


def test_no_suppressed_table3_cell_can_be_worked_back_from_the_model_counts(
    analysed: Path, estimates: pd.DataFrame, tables
) -> None:
    table3 = pd.read_csv(analysed / "table3_comparison.csv", keep_default_na=False, na_values=[""])
    comparison = pd.read_csv(analysed / "placement_model_comparison.csv")
    frame = build_frame(tables, first_year=2017, last_year=2021).frame
    assert _true(table3["suppressed"]).any()  # the attack has targets in this cohort
    assert _differencing_attack(frame, table3, _published_counts(estimates, comparison)) == []
    # Rows pooled over years publish no events, and as n only their model's total.
    pooled = estimates[estimates["model"].isin(["logit_pooled", "ame_by_year", "lpm_fe"])]
    assert pooled["events"].isna().all()
    assert set(pooled["n"].dropna()) <= set(comparison["n"]) | set(
        estimates.loc[estimates["model"] == "ame_by_year", "n"].dropna()
    )


def test_differencing_attack_recovers_a_cell_from_pooled_counts_and_the_published_rows_resist_it() -> None:
    """A crafted case: adoption breakdown presented by 3 welfare referrals in 2019 and 30% in other years."""
    from analyses.placement.analysis import _term_counts

    data = small_tables(seed=6)
    referrals = data["referrals"]
    year = referrals["referral_date"].dt.year.to_numpy()
    welfare_2019 = np.flatnonzero((referrals["route"].to_numpy() == "swcu") & (year == 2019))
    flag = referrals["adoption_breakdown"].to_numpy(dtype=bool)
    flag[welfare_2019] = False
    flag[welfare_2019[:3]] = True
    referrals["adoption_breakdown"] = pd.array(flag, dtype="boolean")
    result = run(data, _settings())
    table3 = result.tables["table3_comparison"]
    hidden = table3[(table3["year"] == 2019) & (table3["behaviour"] == "adoption_breakdown")].iloc[0]
    assert hidden["suppressed"]
    frame = build_frame(data, first_year=2018, last_year=2020).frame
    # The counts a pooled row would carry without the rule: the attack works back the hidden 3.
    fits = fit_models(data, first_year=2018, last_year=2020, only=("logit_pooled",))
    n, events = _term_counts(fits.fits["logit_pooled"].design, "adoption_breakdown")
    attack = _differencing_attack(frame, table3.astype({"suppressed": str}), [("adoption_breakdown", n, events)])
    assert (2019, "adoption_breakdown", "presenting", 3, "adoption_breakdown") in attack
    # What is published resists it.
    estimates = result.to_frame()
    pooled = estimates[(estimates["model"] == "logit_pooled") & (estimates["term"] == "adoption_breakdown")]
    assert pooled["status"].iloc[0] == "ok"
    counts = _published_counts(estimates, result.tables["placement_model_comparison"])
    assert _differencing_attack(frame, table3.astype({"suppressed": str}), counts) == []


# --- pathways, plots, notes ----------------------------------------------------------------------


def test_pathway_gap_is_published_for_three_references_and_all_referrals_is_their_mixture(
    estimates: pd.DataFrame,
) -> None:
    rows = estimates[estimates["model"] == "pathway_standardised"].set_index("term")
    gaps = rows.loc[["swcu_minus_ycs", "swcu_minus_ycs[reference=swcu]", "swcu_minus_ycs[reference=ycs]"]]
    assert (gaps["status"] == "ok").all()
    # g-computation is linear in the reference population: the all-referrals gap is the n-weighted mean.
    weights = gaps["n"].to_numpy(dtype=float)
    assert weights[0] == weights[1] + weights[2]
    mixed = (weights[1] * gaps["estimate"].iloc[1] + weights[2] * gaps["estimate"].iloc[2]) / weights[0]
    assert gaps["estimate"].iloc[0] == pytest.approx(mixed, abs=1e-3)  # the CSV keeps 4 decimals
    for term in gaps.index:
        row = gaps.loc[term]
        assert row["ci_lower"] <= row["true_value"] <= row["ci_upper"], term


def test_forest_plots_have_plain_log_ticks_titled_axes_and_a_legend_off_the_rows(estimates: pd.DataFrame) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from analyses.placement.plots import forest_plot

    pooled = estimates[(estimates["model"] == "logit_pooled") & (estimates["status"] == "ok")]
    odds = forest_plot(pooled, "odds ratios", log_scale=True, axis_label="Odds ratio (log scale)")
    ame = estimates[(estimates["model"] == "ame_by_year") & (estimates["status"] == "ok")]
    effects = forest_plot(ame, "marginal effects", log_scale=False, axis_label="Percentage points")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from analyses.placement.plots import LOG_TICKS

    for figure, axis_label in ((odds, "Odds ratio (log scale)"), (effects, "Percentage points")):
        FigureCanvasAgg(figure.figure).draw()
        (axes,) = figure.figure.axes
        assert axes.get_xlabel() == axis_label
        labels = [label.get_text() for label in axes.get_xticklabels()]
        assert labels and all(text.replace(".", "").replace("-", "").replace("−", "").isdigit() for text in labels)
        renderer = figure.figure.canvas.get_renderer()
        legend = figure.figure.legends[0].get_window_extent(renderer)
        assert not legend.overlaps(axes.get_window_extent(renderer))
    assert set(odds.figure.axes[0].get_xticks()) <= set(LOG_TICKS)  # powers of two, labelled 0.25, 0.5, 1, 2
    assert not odds.figure.axes[0].xaxis.get_minor_ticks() or not any(
        label.get_text() for label in odds.figure.axes[0].get_xticklabels(minor=True)
    )
    with_truth = ame[ame["true_value"].notna()]
    assert effects.alt_text.count(", true value ") == len(with_truth) and "cross marks" in effects.alt_text
