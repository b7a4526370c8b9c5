"""Recovery study of the placement model: does ``logit_by_year`` recover the generator's log odds ratios?

Usage: python benchmarks/recovery_placement.py [--seeds 200] [--first-seed 1000] [--out benchmarks/results]

For each seed, the synthetic national cohort (scale 1, referral years 2017 to
2021) is simulated and the primary placement model of
``analyses.placement`` (behaviour effects by year, year intercepts, female,
age, previous secure placement; welfare referrals through the SWCU) is fitted.
For every true parameter the table reports, over the seeds: the mean
estimate (log odds ratio), bias, empirical standard error, mean model standard
error, and the coverage of the 95% interval with its Monte Carlo error
(``sqrt(c (1 - c) / runs)``), for the intervals the analysis publishes
(clustered by local authority) and for model-based ones, over every run in
which the term is estimable, and (``coverage_cluster_la_published``) over only
the runs in which the tool publishes it (not withheld by the disclosure rules),
with their number (``published_runs``). Runs where a term is
separated (its estimate infinite) or has no finite standard error are not
averaged; their number is in ``not_estimable``. Firth's penalised fit is
summarised beside it (``firth_*``: bias, empirical SE and coverage of its
model-based Wald interval, over every run).

Only what the placement model reads is built: the simulation
(``synthetic.simulation.Simulator``, the same code and seed as
``synthetic.generate``) and the children, referrals and stays tables assembled
as ``synthetic.assemble.build`` assembles them. The follow-up sources,
identifiers and SSDA903 files (most of the generation time) are skipped; the
first seed is checked against the full ``synthetic.build`` output, so the two
paths give the same analysis frame.

Writes ``placement_recovery.csv`` and ``placement_recovery.md`` to ``--out``
(and the per-seed estimates to ``placement_recovery_runs.csv``).
"""

from __future__ import annotations

import os

# One BLAS thread: small matrices, and a shared machine (must be set before numpy loads).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyses.placement import designs  # noqa: E402
from analyses.placement.analysis import PRIMARY_MODEL, fit_models  # noqa: E402
from analyses.placement.data import ROUTE, SWCU, build_frame  # noqa: E402
from analyses.placement.models import Z95, aliased_columns, disclosure_check  # noqa: E402
from analyses.placement.truth import PlacementTruth  # noqa: E402
from outcomes.config import Settings  # noqa: E402
from synthetic import calibration  # noqa: E402
from synthetic.assemble import _days_to_dates, _ids, _typed  # noqa: E402
from synthetic.parameters import defaults  # noqa: E402
from synthetic.simulation import PATHWAYS, Simulator  # noqa: E402

START_YEAR, END_YEAR, DATA_END = 2017, 2021, "2024-03-31"
THRESHOLD = Settings().suppression_threshold


def placement_tables(seed: int) -> tuple[dict[str, pd.DataFrame], dict]:
    """Children, referrals and stays as ``synthetic.assemble.build`` writes them, and the placement truth."""
    params = defaults()
    result = Simulator(params, seed=seed, scale=1.0, start_year=START_YEAR, end_year=END_YEAR, data_end=DATA_END).run()
    children, referrals, stays = result.children, result.referrals, result.stays
    child_id = _ids("C", children["child_index"].to_numpy())
    sex = np.where(children["female"].to_numpy(), "2", "1")
    tables = {
        "children": _typed(
            "children",
            pd.DataFrame(
                {
                    "child_id": child_id,
                    "sex": sex,
                    "birth_month": _days_to_dates(children["birth_month"]),
                    "ethnicity": children["ethnicity"],
                    "local_authority": children["local_authority"].astype(str),
                }
            ),
        ),
        "referrals": _typed(
            "referrals",
            pd.DataFrame(
                {
                    "referral_id": _ids("R", referrals["referral_index"].to_numpy()),
                    "child_id": child_id[referrals["child_index"].to_numpy()],
                    "referral_date": _days_to_dates(referrals["referral_day"]),
                    "pathway": np.array(PATHWAYS, dtype=object)[referrals["pathway"].to_numpy()],
                    "route": np.where(referrals["pathway"].to_numpy() == 0, "swcu", "ycs"),
                    "placed": referrals["placed"],
                    **{b: referrals[f"b_{b}"].map({1.0: True, 0.0: False}) for b in calibration.BEHAVIOURS},
                }
            ),
        ),
        "stays": _typed(
            "stays",
            pd.DataFrame(
                {
                    "child_id": child_id[stays["child_index"].to_numpy()],
                    "referral_id": _ids("R", stays["referral_index"].to_numpy()),
                    "admission_date": _days_to_dates(stays["admission_day"]),
                }
            ),
        ),
    }
    truth = {
        "placement_model": {
            "welfare_by_year": {str(y): m.to_dict() for y, m in sorted(result.placement_models.items())},
            "ycs_placed_share": params["ycs_referrals"]["placed_share"],
        }
    }
    return tables, truth


def check_against_full_build(seed: int) -> None:
    """The analysis frame from the short path equals the one from ``synthetic.build`` (raises if not)."""
    from synthetic.assemble import build

    full, _ = build(seed=seed, scale=1.0, start_year=START_YEAR, end_year=END_YEAR, data_end=DATA_END)
    short, _ = placement_tables(seed)
    a = fit_models(full, first_year=START_YEAR, last_year=END_YEAR, only=()).data.frame
    b = fit_models(short, first_year=START_YEAR, last_year=END_YEAR, only=()).data.frame
    columns = [c for c in a.columns if c in b.columns and c not in ("decision_date", "urn", "alternative_setting")]
    pd.testing.assert_frame_equal(a[columns], b[columns], check_dtype=False)


def one_seed(seed: int) -> list[dict]:
    tables, truth_document = placement_tables(seed)
    truth = PlacementTruth(truth_document)
    fits = fit_models(tables, first_year=START_YEAR, last_year=END_YEAR, only=(PRIMARY_MODEL,))
    fit = fits.fits[PRIMARY_MODEL]
    rows = []
    for term, spec in fit.design.terms.items():
        if not spec.reported:
            continue
        true_value = truth.log_odds_ratio(term)
        estimable = term in fit.params.index and term not in fit.separated
        has_firth = fit.firth_params is not None and term in fit.firth_params.index
        rows.append(
            {
                "seed": seed,
                "term": term,
                "true_log_odds_ratio": true_value,
                "estimate": float(fit.params[term]) if estimable else np.nan,
                "se_cluster_local_authority": float(fit.se("local_authority")[term]) if estimable else np.nan,
                "se_model": float(fit.se("model")[term]) if estimable else np.nan,
                "firth_estimate": float(fit.firth_params[term]) if has_firth else np.nan,
                "firth_se": float(fit.firth_se[term]) if has_firth else np.nan,
                "separated": term in fit.separated,
                "dropped": term in fit.dropped,
                "published": estimable and not disclosure_check(spec, fit.design.y, THRESHOLD, fit.df_resid),
            }
        )
    return rows


def published_flags(seed: int) -> dict[str, bool]:
    """Which terms the tool would publish for ``seed`` (not withheld by the disclosure rules), without fitting.

    The rules read only the data (each term's 2 x 2 cells with placement, the model's residual degrees of
    freedom), so they can be added to a runs file written before this column existed; ``estimable`` (separation,
    aliasing) is read from that file.
    """
    tables, _ = placement_tables(seed)
    frame = build_frame(tables, first_year=START_YEAR, last_year=END_YEAR).frame
    design = designs.by_year(frame[frame[ROUTE].astype(str) == SWCU].reset_index(drop=True))
    df_resid = design.X.shape[0] - (design.X.shape[1] - len(aliased_columns(design.X.astype(float))))
    return {
        term: not disclosure_check(spec, design.y, THRESHOLD, df_resid)
        for term, spec in design.terms.items()
        if spec.reported
    }


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    out = []
    for term, group in runs.groupby("term", sort=False):
        # A run counts for a term when maximum likelihood gives it a finite estimate and standard error.
        ok = group.dropna(subset=["estimate", "se_cluster_local_authority", "se_model"])
        truth = float(group["true_log_odds_ratio"].iloc[0])
        row = {
            "term": term,
            "true_log_odds_ratio": truth,
            "runs": len(ok),
            "not_estimable": len(group) - len(ok),
            "mean_estimate": ok["estimate"].mean(),
            "bias": ok["estimate"].mean() - truth,
            "empirical_se": ok["estimate"].std(ddof=1),
        }
        for label, column in (("cluster_la", "se_cluster_local_authority"), ("model", "se_model")):
            covered = (ok["estimate"] - Z95 * ok[column] <= truth) & (truth <= ok["estimate"] + Z95 * ok[column])
            coverage = float(covered.mean()) if len(ok) else np.nan
            row[f"mean_se_{label}"] = ok[column].mean()
            row[f"coverage_{label}"] = coverage
            row[f"coverage_{label}_mc_error"] = (
                float(np.sqrt(coverage * (1 - coverage) / len(ok))) if len(ok) else np.nan
            )
        # What the tool publishes: runs where the term is estimable and not withheld by the disclosure rules.
        if "published" in group:
            shown = ok[ok["published"].astype(str).str.lower() == "true"]
            covered = (shown["estimate"] - Z95 * shown["se_cluster_local_authority"] <= truth) & (
                truth <= shown["estimate"] + Z95 * shown["se_cluster_local_authority"]
            )
            row["published_runs"] = len(shown)
            row["coverage_cluster_la_published"] = float(covered.mean()) if len(shown) else np.nan
        else:
            row["published_runs"] = np.nan
            row["coverage_cluster_la_published"] = np.nan
        # Firth's fit exists in every run (also where ML separates), so it is summarised over all runs.
        firth = group.dropna(subset=["firth_estimate"])
        covered = (firth["firth_estimate"] - Z95 * firth["firth_se"] <= truth) & (
            truth <= firth["firth_estimate"] + Z95 * firth["firth_se"]
        )
        row["firth_runs"] = len(firth)
        row["firth_bias"] = firth["firth_estimate"].mean() - truth
        row["firth_empirical_se"] = firth["firth_estimate"].std(ddof=1)
        row["firth_coverage"] = float(covered.mean()) if len(firth) else np.nan
        out.append(row)
    return pd.DataFrame(out)


def markdown(summary: pd.DataFrame, seeds: int, seconds: float) -> str:
    shown = summary.copy()
    for column in shown.columns:
        if shown[column].dtype.kind == "f":
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.3f}")
    lines = [
        f"# Recovery of the placement model ({PRIMARY_MODEL}) over {seeds} seeds",
        "",
        "Synthetic cohort at scale 1, referral years 2017 to 2021, welfare referrals through the SWCU. "
        "Estimates and truth are log odds ratios; coverage is of the 95% Wald interval, clustered by local "
        "authority (as published) and model-based; mc_error is its Monte Carlo standard error; firth_* are "
        "Firth's penalised fit with its model-based Wald interval. "
        + (f"Wall time {seconds / 60:.1f} minutes." if np.isfinite(seconds) else ""),
        "",
        "| " + " | ".join(shown.columns) + " |",
        "|" + "---|" * shown.shape[1],
        *("| " + " | ".join(map(str, row)) + " |" for row in shown.itertuples(index=False)),
    ]
    ok = summary[summary["runs"] > 0]
    weights = ok["runs"]
    lines += [
        "",
        f"Pooled over the {len(ok)} terms (weighted by runs): coverage clustered by local authority "
        f"{np.average(ok['coverage_cluster_la'], weights=weights):.3f}, model-based "
        f"{np.average(ok['coverage_model'], weights=weights):.3f}; terms with coverage below 0.93 (clustered): "
        f"{int((ok['coverage_cluster_la'] < 0.93).sum())}, above 0.97: {int((ok['coverage_cluster_la'] > 0.97).sum())}. "
        f"Firth's penalised fit (model-based Wald intervals), pooled: coverage "
        f"{np.average(ok['firth_coverage'], weights=ok['firth_runs']):.3f}; mean absolute bias "
        f"{ok['firth_bias'].abs().mean():.3f} against {ok['bias'].abs().mean():.3f} for maximum likelihood.",
        "",
    ]
    shown = summary[summary["published_runs"].fillna(0) > 0]
    if shown.empty:
        lines += [
            "Coverage of what the tool publishes is not available: this runs file does not record which terms "
            "the disclosure rules withhold (rerun, or add it with --add-published).",
            "",
        ]
    else:
        rarely = summary[summary["published_runs"].fillna(0) < seeds / 2]
        lines += [
            f"What the tool publishes: coverage_cluster_la_published counts only the seeds in which the term is "
            f"estimable and not withheld by the disclosure rules (a cell of its 2 x 2 table with placement of 1 to "
            f"{THRESHOLD} referrals, or too few residual degrees of freedom); published_runs is the number of "
            f"those seeds. Pooled over terms (weighted by published_runs): "
            f"{np.average(shown['coverage_cluster_la_published'], weights=shown['published_runs']):.3f}, against "
            f"{np.average(ok['coverage_cluster_la'], weights=weights):.3f} over every estimable run. "
            f"{int(shown['published_runs'].sum())} of {int(ok['runs'].sum())} estimable term-runs are published; "
            f"terms published in fewer than half the seeds: "
            + (
                ", ".join(
                    f"{t} ({int(n)})" for t, n in zip(rarely["term"], rarely["published_runs"].fillna(0), strict=True)
                )
                or "none"
            )
            + ".",
            "",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--skip-check", action="store_true", help="do not compare the first seed with the full build")
    parser.add_argument(
        "--summarise-only", action="store_true", help="rebuild the tables from placement_recovery_runs.csv in --out"
    )
    parser.add_argument(
        "--add-published",
        action="store_true",
        help="add the published column (disclosure rules, no refit) to placement_recovery_runs.csv in --out",
    )
    options = parser.parse_args(argv)
    options.out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    if options.add_published:
        frame = pd.read_csv(options.out / "placement_recovery_runs.csv")
        flags = {}
        for seed in sorted(frame["seed"].unique()):
            flags.update({(seed, term): shown for term, shown in published_flags(int(seed)).items()})
        estimable = frame["estimate"].notna() & frame["se_cluster_local_authority"].notna()
        withheld = [not flags[(seed, term)] for seed, term in zip(frame["seed"], frame["term"], strict=True)]
        frame["published"] = estimable & ~pd.Series(withheld, index=frame.index)
        frame.to_csv(options.out / "placement_recovery_runs.csv", index=False, float_format="%.6f", lineterminator="\n")
        options.summarise_only = True
    if options.summarise_only:
        frame = pd.read_csv(options.out / "placement_recovery_runs.csv")
        # Keep the wall time the study itself recorded.
        previous = options.out / "placement_recovery.md"
        found = re.search(r"Wall time ([0-9.]+) minutes", previous.read_text()) if previous.is_file() else None
        seconds = 60 * float(found.group(1)) if found else float("nan")
        sys.stdout.write(write(frame, options.out, frame["seed"].nunique(), seconds))
        return 0
    if not options.skip_check:
        check_against_full_build(options.first_seed)
        sys.stderr.write("short path checked against synthetic.build\n")
    runs = []
    text = ""
    for i, seed in enumerate(range(options.first_seed, options.first_seed + options.seeds)):
        runs += one_seed(seed)
        if (i + 1) % 10 == 0 or i + 1 == options.seeds:
            # Written as it goes, so a study stopped early still leaves its table for the seeds done.
            text = write(pd.DataFrame(runs), options.out, i + 1, time.perf_counter() - began)
            sys.stderr.write(f"{i + 1} seeds, {time.perf_counter() - began:.0f} s\n")
    sys.stdout.write(text)
    return 0


def write(frame: pd.DataFrame, out: Path, seeds: int, seconds: float) -> str:
    frame.to_csv(out / "placement_recovery_runs.csv", index=False, float_format="%.6f", lineterminator="\n")
    summary = summarise(frame)
    summary.to_csv(out / "placement_recovery.csv", index=False, float_format="%.6f", lineterminator="\n")
    text = markdown(summary, seeds, seconds)
    (out / "placement_recovery.md").write_text(text, encoding="utf-8")
    return text


if __name__ == "__main__":
    raise SystemExit(main())
