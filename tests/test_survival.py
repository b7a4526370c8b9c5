"""The survival analysis of re-referral, checked against the synthetic generator's truth and independent references.

One synthetic cohort (seed 0, the project's default seed, scale 1, referrals
2017-2021, data end 2024-03-31) is generated per module; seed 0 was the first
and only seed looked at for these tests. ``outcomes analyse survival`` runs on
it once through the command line, and ``analyses.survival.run`` once in
process (to check that the outputs are byte-identical).

What the truth tests assert, and why. On seed 0 every one of the 5 true
hazard ratios lies inside its 95% interval in both the piecewise-exponential
and the Cox model, and each of the 5 true baseline rates inside its interval:
15 intervals, so on an arbitrary seed at least one would miss with a fair
chance (about 40%) even when every interval is right. These tests are
therefore a check that the models are wired to the right data and coding on
one fixed cohort, not a coverage claim; coverage over 100 seeds is measured
by ``benchmarks/recovery_survival.py`` (table in ``benchmarks/results/``).

The age-limited true risk of re-referral is recomputed here from the
generator itself: the simulation is rerun with the same seed (its stays carry
the transition plan before the 3% that the output leaves unrecorded), and each
leaver's risk by t months is 1 - exp(-H0(min(t, L)) exp(eta)) with L the days
until 60 days before the 18th birthday, exactly as ``draw_rereferrals`` keeps
a re-referral.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyses.survival import data as d
from analyses.survival import incidence, models

pytestmark = pytest.mark.slow

SEED = 0
OPTIONS = {"scale": 1.0, "start_year": 2017, "end_year": 2021, "data_end": "2024-03-31"}
THRESHOLD = 4  # Settings().suppression_threshold
WINDOWS = (6, 12, 24)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    import synthetic

    return synthetic.generate(tmp_path_factory.mktemp("survival") / "data", seed=SEED, **OPTIONS)


@pytest.fixture(scope="module")
def truth(folder: Path) -> dict:
    return json.loads((folder / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tables(folder: Path) -> dict[str, pd.DataFrame]:
    from outcomes.loading import load_data

    return load_data(folder).tables


@pytest.fixture(scope="module")
def cli_out(folder: Path, tmp_path_factory) -> Path:
    from outcomes.cli import main

    out = tmp_path_factory.mktemp("survival_out")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["analyse", "survival", str(folder), "--out", str(out), "--truth", str(folder / "truth.json")]) == 0
    return out


@pytest.fixture(scope="module")
def result(tables, truth):
    from analyses.survival import run
    from outcomes.config import Settings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run(tables, Settings(), truth=truth)


@pytest.fixture(scope="module")
def estimates(result) -> pd.DataFrame:
    return result.to_frame()


@pytest.fixture(scope="module")
def referral(tables) -> pd.DataFrame:
    return d.time_to_next(d.leaver_frame(tables, OPTIONS["data_end"]), tables, d.NEXT_REFERRAL)


@pytest.fixture(scope="module")
def generator_truth() -> dict[int, float]:
    """Age-limited true risk by each window, from a rerun of the generator's simulation (see module docstring)."""
    from synthetic.parameters import defaults
    from synthetic.simulation import DAYS_PER_MONTH, Simulator, add_years, baseline_cumulative_hazard

    sim = Simulator(defaults(), seed=SEED, **OPTIONS)
    run = sim.run()
    stays = run.stays[run.stays["discharge_day"] >= 0]
    birth = run.children.set_index("child_index").loc[stays["child_index"], "birth_month"].to_numpy()
    discharge = stays["discharge_day"].to_numpy()
    eta = sim.rereferral_linear_predictor(
        stays["pathway"].to_numpy(),
        discharge - stays["admission_day"].to_numpy(),
        np.floor((discharge - birth) / 365.25),
        stays["transition_plan"].to_numpy() == 1,
    )
    last_day = add_years(birth, 18) - 61 - discharge
    out = {}
    for window in WINDOWS:
        days = np.minimum(np.floor(window * DAYS_PER_MONTH), np.maximum(last_day, 0))
        out[window] = float(np.mean(1 - np.exp(-baseline_cumulative_hazard(days / DAYS_PER_MONTH) * np.exp(eta))))
    return out


def rows(estimates: pd.DataFrame, model: str) -> pd.DataFrame:
    return estimates[estimates["model"] == model].set_index("term")


# --- recovery of the generator's parameters ------------------------------------------------------------


@pytest.mark.parametrize("model", ["piecewise_exponential", "cox"])
def test_true_hazard_ratios_lie_inside_their_intervals(estimates, truth, model) -> None:
    table = rows(estimates, model)
    true_ratios = truth["parameters"]["rereferral_hazard"]["hazard_ratio"]
    assert set(true_ratios) == set(d.GENERATOR_TERMS)
    for term, value in true_ratios.items():
        row = table.loc[term]
        assert row["status"] == "ok" and row["scale"] == "hazard_ratio"
        assert row["true_value"] == pytest.approx(value)
        assert row["ci_lower"] <= value <= row["ci_upper"], (model, term, row.to_dict())


def test_true_baseline_rates_lie_inside_their_intervals(estimates, truth) -> None:
    table = rows(estimates, "piecewise_exponential")
    hazard = truth["parameters"]["rereferral_hazard"]
    assert hazard["breaks_months"] == list(models.BAND_BREAKS_MONTHS)
    labels = models.band_labels(hazard["breaks_months"])
    assert labels == ["0-3m", "3-6m", "6-12m", "12-24m", "24m+"]
    for label, rate in zip(labels, hazard["baseline_per_month"], strict=True):
        row = table.loc[f"baseline_rate_{label}"]
        assert row["scale"] == "rate_per_month" and row["true_value"] == pytest.approx(rate)
        assert row["ci_lower"] <= rate <= row["ci_upper"], (label, row.to_dict())


def test_piecewise_exponential_and_cox_agree(estimates) -> None:
    """Same data, same terms: the two likelihoods give ratios within a few per cent of each other."""
    pwe, cox = rows(estimates, "piecewise_exponential"), rows(estimates, "cox")
    for term in d.GENERATOR_TERMS:
        assert np.log(pwe.loc[term, "estimate"] / cox.loc[term, "estimate"]) == pytest.approx(0, abs=0.02)


def test_cox_agrees_with_statsmodels_phreg_coefficient_by_coefficient(result) -> None:
    table = result.tables["survival_phreg_agreement"].set_index("term")
    assert list(table.index) == list(d.GENERATOR_TERMS)
    for term, row in table.iterrows():
        assert row["lifelines_coef"] == pytest.approx(row["statsmodels_coef"], abs=1e-5), term
        assert row["lifelines_se"] == pytest.approx(row["statsmodels_se"], rel=1e-4), term
        # statsmodels' score residuals use Breslow's handling of ties, lifelines' Efron's: close, not equal.
        assert row["lifelines_robust_se"] == pytest.approx(row["statsmodels_robust_se"], rel=5e-3), term


def test_cox_estimates_are_lifelines_own(result, referral) -> None:
    """The published Cox row is lifelines' fit with SEs clustered by child, nothing lost on the way."""
    from lifelines import CoxPHFitter

    design = models.design(referral, d.GENERATOR_TERMS)
    fit = CoxPHFitter().fit(
        design.frame[[d.DURATION, d.EVENT_FLAG, "child_id", *d.GENERATOR_TERMS]],
        d.DURATION,
        d.EVENT_FLAG,
        cluster_col="child_id",
    )
    table = rows(result.to_frame(), "cox")
    for term in d.GENERATOR_TERMS:
        assert table.loc[term, "estimate"] == pytest.approx(np.exp(fit.params_[term]), rel=1e-9)
        assert table.loc[term, "ci_upper"] == pytest.approx(
            np.exp(fit.params_[term] + models.Z * fit.standard_errors_[term]), rel=1e-9
        )
        assert table.loc[term, "events"] == design.events == int(design.frame[d.EVENT_FLAG].sum())
    home = rows(result.to_frame(), "cox_cluster_home")
    assert np.allclose(home.loc[list(d.GENERATOR_TERMS), "estimate"], table.loc[list(d.GENERATOR_TERMS), "estimate"])
    assert not np.allclose(
        home.loc[list(d.GENERATOR_TERMS), "ci_lower"], table.loc[list(d.GENERATOR_TERMS), "ci_lower"]
    )


def test_terms_outside_the_generator_have_true_ratio_one_and_cover_it(estimates) -> None:
    full = rows(estimates, "cox_full")
    extra = [t for t in full.index if t not in d.GENERATOR_TERMS]
    assert {d.FEMALE, d.BEHAVIOUR_COUNT, d.EXIT_YEAR} <= set(extra)
    assert any(t.startswith("destination_") for t in extra)
    assert (full.loc[extra, "true_value"] == 1.0).all()
    # 13 null terms at 95%: allow one miss by chance, not more.
    missed = [t for t in extra if not (full.loc[t, "ci_lower"] <= 1 <= full.loc[t, "ci_upper"])]
    assert len(missed) <= 1, missed


def test_schoenfeld_checks_cover_every_term_and_name_the_action(result, estimates) -> None:
    checks = result.tables["survival_ph_checks"]
    assert sorted(checks["term"]) == sorted(d.GENERATOR_TERMS)
    assert checks["p_value"].between(0, 1).all()
    failing = checks[checks["p_value"] < models.PH_TEST_ALPHA]
    assert (checks["proportional_hazards"] == (checks["p_value"] >= models.PH_TEST_ALPHA)).all()
    assert (failing["action"] != "none").all() and (
        checks.loc[~checks.index.isin(failing.index), "action"] == "none"
    ).all()
    assert ("cox_stratified" in set(estimates["model"])) == (len(failing) > 0)
    assert any("Schoenfeld" in note for note in result.notes)


def test_schoenfeld_check_catches_a_hazard_ratio_that_changes_over_time() -> None:
    """A covariate that doubles the hazard early and halves it late fails the test; a stratified refit is named."""
    rng = np.random.default_rng(1)
    n = 1500
    x = rng.integers(0, 2, n).astype(float)
    # Piecewise hazard: 0.1 per month; ratio 3 in the first 6 months, 1/3 after.
    first = rng.exponential(1 / (0.1 * np.where(x == 1, 3.0, 1.0)))
    late = 6 + rng.exponential(1 / (0.1 * np.where(x == 1, 1 / 3, 1.0)))
    months = np.where(first < 6, first, late)
    censor = rng.uniform(1, 36, n)
    frame = pd.DataFrame(
        {
            d.DURATION: np.ceil(np.minimum(months, censor) * d.DAYS_PER_MONTH),
            d.EVENT_FLAG: (months <= censor).astype(int),
            "x": x,
            "other": rng.normal(size=n),
        }
    )
    checks = models.schoenfeld_checks(frame, ["x", "other"]).set_index("term")
    assert checks.loc["x", "p_value"] < 1e-6 and not checks.loc["x", "proportional_hazards"]
    assert checks.loc["x", "action"].startswith("stratified")


# --- cumulative incidence against the truth --------------------------------------------------------------


def test_analysis_truth_matches_the_generator(estimates, generator_truth) -> None:
    """analyses/survival/truth.py (from truth.json and the data) agrees with the rerun generator."""
    aj = rows(estimates, "aalen_johansen_next_referral")
    for window in WINDOWS:
        assert aj.loc[f"risk_{window}m_all", "true_value"] == pytest.approx(generator_truth[window], abs=0.002)


def test_aalen_johansen_risks_match_the_age_limited_truth(estimates, generator_truth) -> None:
    aj = rows(estimates, "aalen_johansen_next_referral")
    for window in WINDOWS:
        row = aj.loc[f"risk_{window}m_all"]
        assert row["scale"] == "risk"
        assert row["ci_lower"] <= generator_truth[window] <= row["ci_upper"], (window, row.to_dict())


def test_kaplan_meier_overstates_the_risk(estimates, generator_truth) -> None:
    aj, km = rows(estimates, "aalen_johansen_next_referral"), rows(estimates, "kaplan_meier_sensitivity_next_referral")
    for window in WINDOWS:
        assert km.loc[f"risk_{window}m_all", "estimate"] > aj.loc[f"risk_{window}m_all", "estimate"]
    # By 12 and 24 months, when many leavers have aged out, Kaplan-Meier's whole interval lies above the truth.
    for window in (12, 24):
        assert km.loc[f"risk_{window}m_all", "ci_lower"] > generator_truth[window]


def test_cause_specific_hazards_imply_the_same_risk_as_aalen_johansen(estimates) -> None:
    aj, implied = rows(estimates, "aalen_johansen_next_referral"), rows(estimates, "cause_specific_implied")
    for window in WINDOWS:
        term = f"risk_{window}m_all"
        assert aj.loc[term, "ci_lower"] <= implied.loc[term, "estimate"] <= aj.loc[term, "ci_upper"]
    limit = rows(estimates, "cox_cause_specific_reaching_18")
    assert (limit["status"] == "ok").all() and (limit["events"] > 100).all()


def test_aalen_johansen_agrees_with_lifelines_and_a_hand_calculation() -> None:
    from lifelines import AalenJohansenFitter

    # Hand calculation: times 1..6, statuses event, competing, censored, event, event, competing.
    times = np.array([1, 2, 3, 4, 5, 6], dtype=float)
    status = np.array([1, 2, 0, 1, 1, 2])
    curve = incidence.aalen_johansen(times, status)
    # S(0)=1; t1: F=1/6, S=5/6; t2: S=4/6; t4 (3 at risk): F += 4/6*1/3; S=4/9; t5 (2 at risk): F += 4/9*1/2.
    expected = {1: 1 / 6, 2: 1 / 6, 3: 1 / 6, 4: 1 / 6 + 2 / 9, 5: 1 / 6 + 2 / 9 + 2 / 9, 6: 1 / 6 + 4 / 9}
    for t, value in expected.items():
        assert curve.at(t)[0][0] == pytest.approx(value)
    rng = np.random.default_rng(2)
    durations = rng.exponential(10, 400)
    causes = rng.choice([0, 1, 2], 400, p=[0.3, 0.4, 0.3])
    ours = incidence.aalen_johansen(durations, causes)
    reference = AalenJohansenFitter(calculate_variance=False).fit(durations, causes, event_of_interest=1)
    at = np.array([2.0, 5.0, 10.0, 20.0])
    lifelines_values = reference.cumulative_density_.iloc[:, 0]
    for t in at:
        assert ours.at(t)[0][0] == pytest.approx(lifelines_values[lifelines_values.index <= t].iloc[-1], abs=1e-12)


# --- disclosure ------------------------------------------------------------------------------------------


def test_no_published_step_or_count_rests_on_fewer_children_than_the_threshold(result, referral) -> None:
    curves = result.tables["cumulative_incidence"]
    assert set(curves.columns) >= {"endpoint", "pathway", "month", "cumulative_incidence", "number_at_risk"}
    assert (curves["number_at_risk"] > THRESHOLD).all()
    assert (curves["month"] == curves["month"].round()).all()
    days = referral[d.DURATION].to_numpy()
    events = referral[d.EVENT_FLAG].to_numpy().astype(bool)
    steps = 0
    for (method, pathway), curve in curves[curves["endpoint"] == "next_referral"].groupby(["method", "pathway"]):
        in_group = np.ones(len(referral), bool) if pathway == "all" else (referral["pathway"] == pathway).to_numpy()
        months = curve["month"].to_numpy()
        values = curve["cumulative_incidence"].to_numpy()
        for previous, month, before, after in zip(months[:-1], months[1:], values[:-1], values[1:], strict=True):
            between = (days > previous * d.DAYS_PER_MONTH) & (days <= month * d.DAYS_PER_MONTH)
            step_events = int((events & between & in_group).sum())
            # Counts from 1 up to the threshold are suppressed: a step rests on none or threshold + 1 or more.
            assert step_events == 0 or step_events > THRESHOLD, (method, pathway, previous, month, step_events)
            if after != before:
                steps += 1
                assert step_events > THRESHOLD, (method, pathway, previous, month, step_events)
    assert steps > 50
    at_risk = result.tables["survival_numbers_at_risk"]["number_at_risk"]
    assert (at_risk > THRESHOLD).all() and (at_risk % 5 == 0).all()
    assert (curves["number_at_risk"] % 5 == 0).all()
    shown = result.tables["survival_follow_up"]["leavers"]
    assert all(v == "c" or int(v) == 0 or int(v) > THRESHOLD for v in shown)


def test_a_lone_late_event_is_never_published() -> None:
    """Five events in month 1 and one child's event in month 20: the curve never shows the lone step on its own."""
    n = 60
    days = np.full(n, 40 * d.DAYS_PER_MONTH)
    event = np.zeros(n, dtype=int)
    days[:5], event[:5] = 20, 1
    days[5], event[5] = 20 * d.DAYS_PER_MONTH - 3, 1
    frame = pd.DataFrame({d.DURATION: days, d.EVENT_FLAG: event, d.STATUS: event})
    curve = incidence.aalen_johansen(frame[d.DURATION], frame[d.STATUS])
    published = incidence.published_curve(frame, curve, threshold=THRESHOLD, method=incidence.AALEN_JOHANSEN)
    # The lone event merges with the five into one step of six, shown at the curve's last month (39: 60 followed).
    assert published["month"].tolist() == [0, 39]
    assert published["cumulative_incidence"].tolist() == pytest.approx([0, 6 / 60])
    # Moving that child's event within its month, or to another month, changes nothing published.
    for moved in (20 * d.DAYS_PER_MONTH - 20, 25 * d.DAYS_PER_MONTH):
        other = frame.copy()
        other.loc[5, d.DURATION] = moved
        again = incidence.published_curve(
            other, incidence.aalen_johansen(other[d.DURATION], other[d.STATUS]), threshold=THRESHOLD,
            method=incidence.AALEN_JOHANSEN,
        )  # fmt: skip
        pd.testing.assert_frame_equal(again, published)


# --- outputs ---------------------------------------------------------------------------------------------


def test_command_writes_estimates_curves_figures_and_diagnostics(cli_out: Path, result) -> None:
    from analyses.results import ESTIMATE_COLUMNS

    written = pd.read_csv(cli_out / "survival_estimates.csv", keep_default_na=False)
    assert list(written.columns) == ESTIMATE_COLUMNS
    for name in ("cumulative_incidence", "survival_ph_checks", "survival_phreg_agreement", "survival_follow_up"):
        assert (cli_out / f"{name}.csv").stat().st_size > 0
    for name in result.figures:
        for suffix in (".png", ".svg", ".alt.txt"):
            assert (cli_out / f"{name}{suffix}").stat().st_size > 0
        assert len((cli_out / f"{name}.alt.txt").read_text(encoding="utf-8")) > 100
    assert {"survival_cumulative_incidence_next_referral", "survival_cumulative_incidence_next_admission",
            "survival_aalen_johansen_vs_kaplan_meier", "survival_hazard_ratios"} <= set(result.figures)  # fmt: skip
    ok = written[written["status"] == "ok"]
    assert (ok["estimate"] != "").all()
    # Every estimate has its interval, except the implied risks, whose note says they have none.
    no_interval = ok[ok["ci_lower"] == ""]
    assert set(no_interval["model"]) == {"cause_specific_implied", "cox_baseline_cumulative_hazard"}
    assert no_interval["note"].str.contains("no interval").all()
    assert (written.loc[written["status"] != "ok", "note"] != "").all()
    # No identifier reaches the outputs.
    text = "".join(p.read_text(encoding="utf-8") for p in cli_out.glob("*.csv"))
    assert "C000" not in text and "S000" not in text


def test_outputs_are_byte_identical_across_runs(cli_out: Path, result, tmp_path) -> None:
    result.write(tmp_path)
    for path in sorted(cli_out.glob("*.csv")) + sorted(cli_out.glob("*.svg")) + sorted(cli_out.glob("*.alt.txt")):
        assert path.read_bytes() == (tmp_path / path.name).read_bytes(), path.name


def test_andersen_gill_counts_every_referral_after_the_first_discharge() -> None:
    """Hand-checkable: one child discharged on day 0 and day 100, referred on days 30 (not placed), 60 (placed), 150."""
    start = pd.Timestamp("2020-01-01")
    frame = pd.DataFrame(
        {
            "stay_id": ["S1", "S2"],
            "child_id": ["C1", "C1"],
            "index_date": [start, start + pd.Timedelta(days=100)],
            d.DURATION: [60, 50],  # first spell ends at the placed referral (day 60); second at day 150
            d.EVENT_FLAG: [1, 1],
            d.REMAND: [0.0, 1.0],
        }
    )
    referrals = pd.DataFrame(
        {"child_id": ["C1"] * 3, "referral_date": [start + pd.Timedelta(days=k) for k in (30, 60, 150)]}
    )
    process = models.counting_process(frame, referrals)
    assert process[["start_days", "stop_days", d.EVENT_FLAG]].values.tolist() == [
        [0, 30, 1],
        [30, 60, 1],
        [100, 150, 1],
    ]
    assert process[d.REMAND].tolist() == [0.0, 0.0, 1.0]


# --- bad input -------------------------------------------------------------------------------------------


def _run(tables):
    from analyses.survival import run
    from outcomes.config import Settings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run(tables, Settings(), truth=None).to_frame()


def _assert_no_silent_nan(frame: pd.DataFrame) -> None:
    ok = frame[frame["status"] == "ok"]
    assert ok["estimate"].notna().all(), ok[ok["estimate"].isna()]
    assert (frame.loc[frame["status"] != "ok", "note"].str.len() > 0).all()


def test_no_leavers_gives_a_not_estimable_row(tables) -> None:
    stays = tables["stays"].copy()
    stays["discharge_date"] = pd.NaT
    stays["destination"] = None
    stays["transition_plan"] = pd.array([None] * len(stays), dtype="boolean")
    out = _run({**tables, "stays": stays})
    assert (out["status"] == "not_estimable").all()
    assert out["note"].str.contains("no leavers").all()


def test_too_few_events_per_parameter_gives_not_estimable_rows(tables) -> None:
    children = tables["children"]["child_id"].iloc[:60]
    small = {
        name: (frame[frame["child_id"].isin(children)] if name in ("children", "stays", "referrals") else frame)
        for name, frame in tables.items()
    }
    out = _run(small)
    _assert_no_silent_nan(out)
    for model in ("cox", "piecewise_exponential", "cox_full"):
        part = out[out["model"] == model]
        assert len(part) and (part["status"] == "not_estimable").all(), model
        assert part["note"].str.contains("fewer than 10 events per parameter").all(), model


def test_a_covariate_without_variation_is_not_estimable_and_the_rest_are_fitted(referral) -> None:
    constant = referral.assign(**{d.PLAN: 0.0})
    for fitted in (
        models.fit_cox(constant, d.GENERATOR_TERMS, model="cox").rows,
        models.fit_piecewise_exponential(constant, d.GENERATOR_TERMS, model="piecewise_exponential"),
    ):
        frame = pd.DataFrame(fitted).set_index("term")
        assert frame.loc[d.PLAN, "status"] == "not_estimable"
        assert "no variation" in frame.loc[d.PLAN, "note"]
        others = frame.drop(index=d.PLAN)
        assert (others["status"] == "ok").all() and others["estimate"].notna().all()


def test_a_level_without_events_is_not_estimable(referral) -> None:
    no_justice_events = referral.assign(**{d.EVENT_FLAG: np.where(referral[d.JUSTICE] == 1, 0, referral[d.EVENT_FLAG])})
    frame = pd.DataFrame(models.fit_cox(no_justice_events, d.GENERATOR_TERMS, model="cox").rows).set_index("term")
    assert frame.loc[d.JUSTICE, "status"] == "not_estimable" and "no events" in frame.loc[d.JUSTICE, "note"]
    assert (frame.drop(index=d.JUSTICE)["status"] == "ok").all()


def test_follow_up_ends_at_the_event_the_age_limit_death_or_the_data_end() -> None:
    """Hand-made leavers, one for each way follow-up ends; the 18th birthday is the first of the birth month."""
    data_end = pd.Timestamp("2024-03-31")
    discharge = pd.Timestamp("2021-01-01")
    births = {
        "A": "2006-01-01",  # referred 100 days after discharge, aged 15: the event
        "B": "2003-02-01",  # 18 on 2021-02-01: the last day a referral can be made is 61 days before, so 0 days at risk
        "C": "2006-01-01",  # died on 2022-01-01
        "D": "2005-01-01",  # 18 on 2023-01-01, before the data end: the age limit ends follow-up
        "E": "2008-01-01",  # followed to the data end
    }
    children = pd.DataFrame(
        {
            "child_id": list(births),
            "sex": "1",
            "birth_month": pd.to_datetime(list(births.values())),
            "ethnicity": "WBRI",
            "local_authority": "201",
        }
    )
    stays = pd.DataFrame(
        {
            "stay_id": [f"S{c}" for c in births],
            "child_id": list(births),
            "urn": "SC1",
            "referral_id": [f"R{c}" for c in births],
            "admission_date": discharge - pd.Timedelta(days=100),
            "discharge_date": discharge,
            "pathway": "welfare",
            "legal_basis": "s25",
            "destination": "family",
            "transition_plan": pd.array([True] * 5, dtype="boolean"),
        }
    )
    referrals = pd.DataFrame(
        {"referral_id": ["RA2"], "child_id": ["A"], "referral_date": [discharge + pd.Timedelta(days=100)]}
    )
    episodes = pd.DataFrame({"child_id": ["C"], "rec": ["E2"], "dec": [pd.Timestamp("2022-01-01")]})
    tables = {"children": children, "stays": stays, "referrals": referrals, "care_episodes": episodes}
    frame = d.time_to_next(d.leaver_frame(tables, data_end), tables, d.NEXT_REFERRAL).set_index("child_id")
    assert frame[d.STATUS].to_dict() == {
        "A": d.EVENT,
        "B": d.AGE_LIMIT,
        "C": d.DEATH,
        "D": d.AGE_LIMIT,
        "E": d.CENSORED,
    }
    last_day_d = (pd.Timestamp("2023-01-01") - pd.Timedelta(days=61) - discharge).days
    assert frame[d.DURATION].to_dict() == {
        "A": 100,
        "B": 0,
        "C": (pd.Timestamp("2022-01-01") - discharge).days,
        "D": last_day_d,
        "E": (data_end - discharge).days,
    }
    assert frame.loc["A", d.AGE_OVER_15] == 0 and frame.loc["A", d.SHORT_STAY] == 0
    assert frame.loc["E", d.AGE_AT_EXIT] == 13


def test_cox_baseline_cumulative_hazard_matches_the_piecewise_exponential_one(estimates, truth) -> None:
    """Breslow's H0 (no interval of its own) against H0 built from the piecewise-exponential rates, and the truth."""
    from analyses.survival import truth as true_values

    cox = rows(estimates, "cox_baseline_cumulative_hazard")
    pwe = rows(estimates, "piecewise_exponential")
    rates = [pwe.loc[f"baseline_rate_{label}", "estimate"] for label in models.band_labels()]
    for months in (3, 6, 12, 24):
        row = cox.loc[f"cumulative_hazard_{months}m"]
        at = np.floor(months * d.DAYS_PER_MONTH) / d.DAYS_PER_MONTH
        from_pwe = true_values.cumulative_baseline(at, models.BAND_BREAKS_MONTHS, rates)[0]
        assert row["estimate"] == pytest.approx(from_pwe, rel=0.05), months
        hazard = truth["parameters"]["rereferral_hazard"]
        expected = true_values.cumulative_baseline(at, hazard["breaks_months"], hazard["baseline_per_month"])[0]
        assert row["true_value"] == pytest.approx(expected)


def test_no_events_gives_not_estimable_rows_and_no_small_count_leaks(tables) -> None:
    children = tables["children"]["child_id"].iloc[:15]
    small = {
        name: (frame[frame["child_id"].isin(children)] if name in ("children", "stays") else frame)
        for name, frame in tables.items()
    }
    small["referrals"] = tables["referrals"].iloc[:0]
    out = _run(small)
    _assert_no_silent_nan(out)
    for model in ("cox", "piecewise_exponential", "andersen_gill_recurrent_referral"):
        part = out[out["model"] == model]
        assert (part["status"] == "not_estimable").all() and part["note"].str.contains("no events").all(), model
    for column in ("n", "events"):
        values = pd.to_numeric(out[column], errors="coerce").dropna()
        assert ((values == 0) | (values >= THRESHOLD)).all(), column
    assert not out["note"].str.contains(r"\b[1-3] events", regex=True).any()


def _time_varying_frame(n: int = 400, seed: int = 1) -> pd.DataFrame:
    """Leavers whose ``x`` triples the hazard for 6 months and then cuts it to a third (a Schoenfeld failure)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, n).astype(float)
    first = rng.exponential(1 / (0.1 * np.where(x == 1, 3.0, 1.0)))
    late = 6 + rng.exponential(1 / (0.1 * np.where(x == 1, 1 / 3, 1.0)))
    months = np.where(first < 6, first, late)
    censor = rng.uniform(1, 36, n)
    return pd.DataFrame(
        {
            d.DURATION: np.ceil(np.minimum(months, censor) * d.DAYS_PER_MONTH),
            d.EVENT_FLAG: (months <= censor).astype(int),
            "x": x,
            "y": rng.integers(0, 2, n).astype(float),
            "other": rng.normal(size=n),
            "child_id": [f"C{i % (n // 2)}" for i in range(n)],
        }
    )


def test_cox_stratified_on_a_list_of_columns_is_fitted_not_a_type_error() -> None:
    """Regression (seed 1005): run() passes the failing terms as a list of strata; that raised TypeError."""
    from lifelines import CoxPHFitter

    frame = _time_varying_frame()
    fit = models.fit_cox(frame, ["other"], model="cox_stratified", strata=["x", "y"])
    assert [r["status"] for r in fit.rows] == ["ok"]
    reference = CoxPHFitter().fit(
        frame[[d.DURATION, d.EVENT_FLAG, "other", "x", "y", "child_id"]], d.DURATION, d.EVENT_FLAG,
        strata=["x", "y"], cluster_col="child_id",
    )  # fmt: skip
    assert fit.rows[0]["estimate"] == pytest.approx(np.exp(reference.params_["other"]), rel=1e-9)
    one = models.fit_cox(frame, ["other"], model="cox_stratified", strata=["x"])
    assert one.rows[0]["estimate"] == pytest.approx(
        models.fit_cox(frame, ["other"], model="cox_stratified", strata="x").rows[0]["estimate"]
    )


# --- disclosure: published numbers against each other (review of issue 11) ------------------------------


def _events_between(frame: pd.DataFrame, low_month: float, high_month: float) -> int:
    days = frame[d.DURATION].to_numpy()
    inside = (days > low_month * d.DAYS_PER_MONTH) & (days <= high_month * d.DAYS_PER_MONTH)
    return int((frame[d.EVENT_FLAG].to_numpy().astype(bool) & inside).sum())


def test_no_published_risk_differs_from_a_published_curve_point_by_a_small_step(result, estimates, referral) -> None:
    """Every window risk is a point of the published curve; all the points of a curve, risks included, differ by
    steps of none or more than the threshold of events (seed 7's justice 24-month risk sat one event above month 23)."""
    curves = result.tables["cumulative_incidence"]
    checked = 0
    for method in (incidence.AALEN_JOHANSEN, incidence.KAPLAN_MEIER):
        for pathway in ("all", "welfare", "remand", "justice"):
            group = referral if pathway == "all" else referral[referral["pathway"] == pathway]
            curve = curves[
                (curves["endpoint"] == "next_referral") & (curves["method"] == method) & (curves["pathway"] == pathway)
            ].set_index("month")["cumulative_incidence"]
            points = dict(curve)
            risks = rows(estimates, f"{method}_next_referral")
            for window in WINDOWS:
                row = risks.loc[f"risk_{window}m_{pathway}"]
                if row["status"] != "ok":
                    assert window not in curve.index and "suppressed" in row["note"]
                    continue
                assert window in curve.index, (method, pathway, window)
                assert row["estimate"] == pytest.approx(curve[window], abs=1e-12)
                points[window] = row["estimate"]
                checked += 1
            months = sorted(points)
            for low, high in zip(months[:-1], months[1:], strict=False):
                step = _events_between(group, low, high)
                assert step == 0 or step > THRESHOLD, (method, pathway, low, high, step)
            shown_events = [risks.loc[f"risk_{w}m_{pathway}", "events"] for w in WINDOWS]
            shown_events = [e for e in shown_events if pd.notna(e)]
            assert all(
                b - a == 0 or b - a > THRESHOLD for a, b in zip(shown_events[:-1], shown_events[1:], strict=False)
            )
    assert checked >= 12


def test_a_window_risk_one_event_beyond_a_curve_step_moves_the_step_to_the_window() -> None:
    """Seed 7's justice case in miniature: six events in month 23, one child's in month 24.

    Before the fix the curve showed month 23 and the 24-month risk was published
    beside it, one event apart; now the month-23 step moves to month 24.
    """
    from analyses.results import estimates_frame
    from analyses.survival import _risk_rows

    n = 200
    days = np.full(n, 40 * d.DAYS_PER_MONTH)
    status = np.zeros(n, dtype=int)
    days[:10], status[:10] = 10, d.EVENT  # month 1: ten events
    days[10:16], status[10:16] = 23 * d.DAYS_PER_MONTH - 5, d.EVENT  # month 23: six events
    days[16], status[16] = 24 * d.DAYS_PER_MONTH - 5, d.EVENT  # month 24: one event
    frame = pd.DataFrame(
        {d.DURATION: days, d.STATUS: status, d.EVENT_FLAG: (status == d.EVENT).astype(int), "pathway": "justice"}
    )
    table, curves = incidence.curves_by_pathway(
        frame, d.NEXT_REFERRAL, threshold=THRESHOLD, pathways=("justice",), windows=WINDOWS
    )
    risks = estimates_frame(_risk_rows(frame, curves, table, d.NEXT_REFERRAL, THRESHOLD, None)).set_index("term")
    aj = table[(table["method"] == incidence.AALEN_JOHANSEN) & (table["pathway"] == "justice")]
    aj = aj.set_index("month")["cumulative_incidence"]
    values = risks[risks["model"] == "aalen_johansen_next_referral"]
    # Every published risk is a published curve value, and no two published points are one event apart.
    for row in values[values["status"] == "ok"].itertuples():
        assert np.isclose(row.estimate, aj).any(), row
    published = sorted({*aj.index, *[int(t.split("m_")[0][5:]) for t in values.index[values["status"] == "ok"]]})
    for low, high in zip(published[:-1], published[1:], strict=False):
        assert _events_between(frame, low, high) in (0,) or _events_between(frame, low, high) > THRESHOLD
    assert values.loc["risk_6m_justice", "estimate"] == pytest.approx(10 / 200)
    assert 23 not in aj.index and values.loc["risk_24m_justice", "estimate"] == pytest.approx(17 / 200)
    # The curve runs to its last month with more than the threshold followed: the lone event is merged, not cut.
    assert aj.index.max() == 39 and aj.iloc[-1] == pytest.approx(17 / 200)


def test_counts_of_one_to_the_threshold_and_their_complements_are_hidden() -> None:
    """all 20 = remand 11 + welfare 7 + justice 2: hiding justice alone would let it be worked back."""
    from analyses.results import estimates_frame
    from analyses.survival import _follow_up_table, _suppress_small_counts

    rows = [
        {"model": "aalen_johansen_next_referral", "term": f"risk_6m_{p}", "estimate": 0.1, "n": n, "events": e}
        for p, n, e in (("all", 300, 20), ("remand", 100, 11), ("welfare", 120, 7), ("justice", 80, 2))
    ]
    rows.append({"model": "cox", "term": "x", "estimate": 1.0, "n": 300, "events": 4})
    out = _suppress_small_counts(estimates_frame(rows), THRESHOLD).set_index("term")
    assert pd.isna(out.loc["risk_6m_justice", "events"]) and pd.isna(out.loc["risk_6m_welfare", "events"])
    assert out.loc["risk_6m_remand", "events"] == 11 and out.loc["risk_6m_all", "events"] == 20
    assert "secondary" in out.loc["risk_6m_welfare", "note"]
    assert pd.isna(out.loc["x", "events"])  # 4 is from 1 up to the threshold: suppressed
    assert (out["n"].dropna() == [300, 100, 120, 80, 300]).all()
    # The follow-up table: 2 censored would follow from n minus the others, so the next smallest goes too.
    status = np.array([d.CENSORED] * 2 + [d.EVENT] * 50 + [d.AGE_LIMIT] * 30)
    frame = pd.DataFrame({d.STATUS: status})
    table = _follow_up_table(frame, frame, THRESHOLD)
    part = table[table["endpoint"] == "next_referral"].set_index("follow_up_ended_by")["leavers"]
    assert part.to_dict() == {"censored at data end": "c", "event": "50", "reached 18": "c", "died": "0"}


def test_no_events_publishes_zero_risks_that_match_the_zero_curve(tables) -> None:
    from analyses.survival import run
    from outcomes.config import Settings

    children = tables["children"]["child_id"].iloc[:40]
    small = {
        name: (frame[frame["child_id"].isin(children)] if name in ("children", "stays") else frame)
        for name, frame in tables.items()
    }
    small["referrals"] = tables["referrals"].iloc[:0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run(small, Settings(), truth=None)
    curve = result.tables["cumulative_incidence"]
    curve = curve[(curve["endpoint"] == "next_referral") & (curve["pathway"] == "all")]
    assert len(curve) and (curve["cumulative_incidence"] == 0).all()
    risks = rows(result.to_frame(), "aalen_johansen_next_referral")
    for window in WINDOWS:
        row = risks.loc[f"risk_{window}m_all"]
        assert row["status"] == "ok" and row["estimate"] == 0 and row["events"] == 0, row.to_dict()
        assert "no events" in row["note"] and "fewer than" not in row["note"]


def test_spline_contrasts_carry_no_true_value_and_say_why(estimates) -> None:
    spline = rows(estimates, "cox_length_of_stay_spline")
    contrasts = spline[spline.index.str.startswith("length_of_stay_")]
    assert len(contrasts) == 4 and contrasts["true_value"].isna().all()
    assert contrasts["note"].str.contains("step at 90 nights").all()


def test_population_and_age_convention_are_stated_and_kept(result, estimates, referral) -> None:
    """Leavers with no time at risk stay in n (competing at time 0) but not in the month-0 number at risk."""
    notes = " ".join(result.notes)
    assert "time 0" in notes and "first day of the birth month" in notes
    no_time = int((referral[d.DURATION] == 0).sum())
    assert no_time > 0
    assert rows(estimates, "aalen_johansen_next_referral").loc["risk_6m_all", "n"] == len(referral)
    curve = result.tables["cumulative_incidence"]
    month0 = curve[(curve["endpoint"] == "next_referral") & (curve["pathway"] == "all") & (curve["month"] == 0)]
    assert month0["number_at_risk"].iloc[0] == 5 * np.floor((len(referral) - no_time) / 5 + 0.5)


def test_alt_text_quotes_the_published_risks(result, estimates) -> None:
    aj = rows(estimates, "aalen_johansen_next_referral")
    alt = result.figures["survival_cumulative_incidence_next_referral"].alt_text
    for pathway in ("welfare", "remand", "justice"):
        row = aj.loc[f"risk_24m_{pathway}"]
        if row["status"] == "ok":
            quoted = f"{100 * row['estimate']:.1f}% (95% CI {100 * row['ci_lower']:.1f} to {100 * row['ci_upper']:.1f})"
        else:
            quoted = "not published"
        sentence = alt.split(f"{pathway.capitalize()}: ")[1].split(" by 24 months.")[0]
        assert sentence.endswith(quoted), (pathway, sentence, quoted)


def test_tail_events_merge_into_the_last_step_with_events_not_a_flat_one() -> None:
    """Seed 7's remand curve in miniature: a step at 23, none in month 24 (a flat window point), two late events.

    The two must join the six of month 23 (a step of eight ending at the last month followed), never sit alone
    between the flat 24-month point and the end; with no step at all the curve ends at its last flat point.
    """
    n = 200
    days = np.full(n, 40 * d.DAYS_PER_MONTH)
    event = np.zeros(n, dtype=int)
    days[:10], event[:10] = 10, 1
    days[10:16], event[10:16] = 23 * d.DAYS_PER_MONTH - 5, 1
    days[16:18], event[16:18] = 30 * d.DAYS_PER_MONTH - 5, 1
    frame = pd.DataFrame({d.DURATION: days, d.EVENT_FLAG: event})
    months = incidence.published_months(frame, threshold=THRESHOLD, windows=WINDOWS)
    assert months == [0, 1, 6, 12, 39]
    for low, high in zip(months[:-1], months[1:], strict=True):
        step = _events_between(frame, low, high)
        assert step == 0 or step > THRESHOLD, (low, high, step)
    only_tail = frame.assign(**{d.EVENT_FLAG: np.where(days > 29 * d.DAYS_PER_MONTH, event, 0)})
    assert incidence.published_months(only_tail, threshold=THRESHOLD, windows=WINDOWS) == [0, 6, 12, 24]


def test_a_curve_published_past_the_plot_is_drawn_to_its_edge() -> None:
    """Remand on seed 7: points at 21 and 45 months; the line must reach the 36-month edge, not stop at 21."""
    from analyses.survival import figures

    table = pd.DataFrame(
        {"month": [0, 21, 45], "cumulative_incidence": [0, 0.4, 0.42], "ci_lower": [0, 0.37, 0.39],
         "ci_upper": [0, 0.43, 0.45]}
    )  # fmt: skip
    figure, ax = figures.plt.subplots()
    figures._step(ax, table, "#000000", "remand")
    assert ax.lines[0].get_xdata().max() == figures.PLOT_MONTHS
    figures.plt.close(figure)
