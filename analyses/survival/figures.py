"""Figures of the survival analysis, drawn only from the published (disclosure-controlled) tables.

matplotlib with the Agg backend; colours from the Okabe-Ito palette, which
stays distinguishable with the common colour-vision deficiencies; every
figure has a title, labelled axes and alt text that gives its numbers.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analyses.results import Figure  # noqa: E402
from analyses.survival import incidence  # noqa: E402

OKABE_ITO = {"all": "#000000", "welfare": "#0072B2", "remand": "#D55E00", "justice": "#009E73", "truth": "#CC79A7"}
SECOND = "#E69F00"
AT_RISK_MONTHS = (0, 6, 12, 18, 24, 30, 36)
PLOT_MONTHS = 36
TERM_LABELS = {
    "age_at_exit_per_year_over_15": "age at exit per year over 15\n(completed years from 1st of birth month)",
}
ENDPOINT_LABELS = {
    "next_referral": "next referral for secure accommodation",
    "next_admission": "next admission to a secure children's home",
}


def make_figures(estimates: pd.DataFrame, curves: pd.DataFrame, at_risk: pd.DataFrame) -> dict[str, Figure]:
    """Every figure: incidence by pathway for each endpoint, AJ against KM, hazard ratios, baseline hazard."""
    figures: dict[str, Figure] = {}
    for endpoint in ENDPOINT_LABELS:
        table = curves[(curves["endpoint"] == endpoint) & (curves["method"] == incidence.AALEN_JOHANSEN)]
        if not table.empty:
            figures[f"survival_cumulative_incidence_{endpoint}"] = _incidence_by_pathway(
                table, at_risk[at_risk["endpoint"] == endpoint], endpoint, estimates
            )
    both = curves[(curves["endpoint"] == "next_referral") & (curves["pathway"] == "all")]
    if not both.empty:
        figures["survival_aalen_johansen_vs_kaplan_meier"] = _aj_versus_km(both, estimates)
    ratios = estimates[
        estimates["model"].isin(["cox", "piecewise_exponential"]) & (estimates["scale"] == "hazard_ratio")
    ]
    if (ratios["status"] == "ok").any():
        figures["survival_hazard_ratios"] = _hazard_ratios(ratios[ratios["status"] == "ok"])
    baseline = estimates[(estimates["model"] == "piecewise_exponential") & (estimates["scale"] == "rate_per_month")]
    if (baseline["status"] == "ok").any():
        figures["survival_baseline_hazard"] = _baseline(baseline[baseline["status"] == "ok"])
    return figures


def _step(ax, table: pd.DataFrame, colour: str, label: str, linestyle: str = "-") -> None:
    shown = table[table["month"] <= PLOT_MONTHS]
    if (table["month"] > PLOT_MONTHS).any() and len(shown):
        # The curve goes on past the plot: hold its last value to the edge (a step is drawn where it is published).
        shown = pd.concat([shown, shown.tail(1).assign(month=PLOT_MONTHS)], ignore_index=True)
    months = shown["month"].to_numpy()
    ax.step(months, 100 * shown["cumulative_incidence"], where="post", color=colour, label=label, linestyle=linestyle)
    ax.fill_between(
        months, 100 * shown["ci_lower"], 100 * shown["ci_upper"], step="post", color=colour, alpha=0.15, linewidth=0
    )


def _published_risk(estimates: pd.DataFrame, model: str, pathway: str, month: int) -> str:
    """The published risk row (``survival_estimates.csv``) by ``month`` as a percentage, as the alt text quotes it."""
    row = estimates[(estimates["model"] == model) & (estimates["term"] == f"risk_{month}m_{pathway}")]
    if row.empty or row["status"].iloc[0] != "ok":
        return "not published"
    row = row.iloc[0]
    if pd.isna(row["ci_lower"]):
        return f"{100 * row['estimate']:.1f}%"
    return f"{100 * row['estimate']:.1f}% (95% CI {100 * row['ci_lower']:.1f} to {100 * row['ci_upper']:.1f})"


def _incidence_by_pathway(table: pd.DataFrame, at_risk: pd.DataFrame, endpoint: str, estimates: pd.DataFrame) -> Figure:
    pathways = [p for p in ("welfare", "remand", "justice") if (table["pathway"] == p).any()]
    figure, (ax, risk_ax) = plt.subplots(2, 1, figsize=(7.5, 5.6), gridspec_kw={"height_ratios": [4, 1.3]}, sharex=True)
    for pathway in pathways:
        _step(ax, table[table["pathway"] == pathway], OKABE_ITO[pathway], pathway.capitalize())
    ax.set_ylabel("Cumulative incidence (%)")
    ax.set_title(f"Time to the {ENDPOINT_LABELS[endpoint]}, by pathway\n(Aalen-Johansen; reaching 18 competes)")
    ax.legend(title="Pathway of the stay", loc="upper left", frameon=False)
    ax.grid(alpha=0.3)
    ax.set_xlim(0, PLOT_MONTHS)
    ax.set_ylim(bottom=0)
    # Numbers at risk under the plot, only where the published table shows them.
    risk_ax.set_axis_off()
    risk_ax.text(-2.5, len(pathways) + 0.2, "Number at risk", fontsize=8, fontweight="bold", ha="right")
    for row, pathway in enumerate(reversed(pathways)):
        rows = at_risk[at_risk["pathway"] == pathway].set_index("month")["number_at_risk"]
        risk_ax.text(-2.5, row + 0.2, pathway.capitalize(), fontsize=8, color=OKABE_ITO[pathway], ha="right")
        for month in AT_RISK_MONTHS:
            # A month left out of the published table had fewer children at risk than the threshold.
            shown = str(int(rows[month])) if month in rows.index else "-"
            risk_ax.text(month, row + 0.2, shown, fontsize=8, ha="center")
    risk_ax.set_ylim(0, len(pathways) + 0.8)
    risk_ax.set_xlim(0, PLOT_MONTHS)
    ax.set_xticks(AT_RISK_MONTHS)
    ax.tick_params(labelbottom=True)
    ax.set_xlabel("Months since discharge")
    figure.tight_layout()
    lines = [
        f"Step chart of the cumulative incidence of the {ENDPOINT_LABELS[endpoint]} over the {PLOT_MONTHS} months "
        "after discharge from a secure children's home, one line per pathway with a shaded 95% confidence band, "
        "estimated by Aalen-Johansen with reaching 18 as a competing event. A table of the numbers at risk sits "
        "under the chart."
    ]
    model = f"{incidence.AALEN_JOHANSEN}_{endpoint}"
    for pathway in pathways:
        risks = [_published_risk(estimates, model, pathway, m) for m in (6, 12, 24)]
        lines.append(
            f"{pathway.capitalize()}: {risks[0]} by 6 months, {risks[1]} by 12 months, {risks[2]} by 24 months."
        )
    return Figure(figure, " ".join(lines))


def _aj_versus_km(table: pd.DataFrame, estimates: pd.DataFrame) -> Figure:
    figure, ax = plt.subplots(figsize=(7.5, 4.6))
    aj = table[table["method"] == incidence.AALEN_JOHANSEN]
    km = table[table["method"] == incidence.KAPLAN_MEIER]
    _step(ax, aj, OKABE_ITO["all"], "Aalen-Johansen (reaching 18 competes)")
    _step(ax, km, SECOND, "Kaplan-Meier, sensitivity (reaching 18 censored)", linestyle="--")
    truth = estimates[
        (estimates["model"] == "aalen_johansen_next_referral")
        & estimates["term"].str.endswith("_all")
        & estimates["true_value"].notna()
    ]
    alt_truth = ""
    if not truth.empty:
        months = truth["term"].str.extract(r"risk_(\d+)m")[0].astype(int).to_numpy()
        ax.scatter(months, 100 * truth["true_value"].to_numpy(), marker="D", color=OKABE_ITO["truth"], zorder=3,
                   label="Generator's true risk before 18")  # fmt: skip
        alt_truth = " The generator's true risks are " + ", ".join(
            f"{100 * v:.1f}% by {m} months" for m, v in zip(months, truth["true_value"], strict=True)
        ) + "."  # fmt: skip
    ax.set_xlim(0, PLOT_MONTHS)
    ax.set_ylim(bottom=0)
    ax.set_xticks(AT_RISK_MONTHS)
    ax.set_xlabel("Months since discharge")
    ax.set_ylabel("Cumulative incidence of re-referral (%)")
    ax.set_title(
        "Re-referral, all leavers: Aalen-Johansen against Kaplan-Meier\n(Kaplan-Meier ignores ageing out and overstates)"
    )
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    figure.tight_layout()
    ajm, kmm = f"{incidence.AALEN_JOHANSEN}_next_referral", f"{incidence.KAPLAN_MEIER}_next_referral"
    aj_risks = [_published_risk(estimates, ajm, "all", m) for m in (6, 12, 24)]
    km_risks = [_published_risk(estimates, kmm, "all", m) for m in (6, 12, 24)]
    alt = (
        "Step chart comparing two estimates of the cumulative incidence of re-referral for all leavers. "
        f"Aalen-Johansen, with reaching 18 as a competing event: {aj_risks[0]} by 6 months, {aj_risks[1]} "
        f"by 12 months, {aj_risks[2]} by 24 months. Kaplan-Meier, which treats reaching 18 as censoring and is "
        f"shown only as a sensitivity: {km_risks[0]}, {km_risks[1]} and {km_risks[2]}; it runs above "
        f"Aalen-Johansen because it counts risk after the child can no longer be referred.{alt_truth}"
    )
    return Figure(figure, alt)


def _hazard_ratios(ratios: pd.DataFrame) -> Figure:
    terms = list(dict.fromkeys(ratios["term"]))
    figure, ax = plt.subplots(figsize=(7.5, 0.8 + 0.7 * len(terms)))
    offsets = {"piecewise_exponential": -0.15, "cox": 0.15}
    colours = {"piecewise_exponential": OKABE_ITO["welfare"], "cox": OKABE_ITO["remand"]}
    labels = {"piecewise_exponential": "Piecewise exponential (Poisson)", "cox": "Cox"}
    alt = []
    for model, rows in ratios.groupby("model", sort=False):
        y = np.array([terms.index(t) for t in rows["term"]]) + offsets.get(model, 0)
        est = rows["estimate"].to_numpy()
        err = np.vstack([est - rows["ci_lower"].to_numpy(), rows["ci_upper"].to_numpy() - est])
        ax.errorbar(
            est, y, xerr=err, fmt="o", color=colours.get(model, "grey"), label=labels.get(model, model), capsize=3
        )
        alt += [
            f"{labels.get(model, model)}, {r.term}: {r.estimate:.2f} (95% CI {r.ci_lower:.2f} to {r.ci_upper:.2f})"
            + (f", true {r.true_value:.2f}" if pd.notna(r.true_value) else "")
            for r in rows.itertuples()
        ]
    true = ratios.drop_duplicates("term").dropna(subset=["true_value"])
    if not true.empty:
        ax.scatter(true["true_value"], [terms.index(t) for t in true["term"]], marker="x", s=70,
                   color=OKABE_ITO["truth"], zorder=3, label="True value (generator)")  # fmt: skip
    ax.axvline(1, color="grey", linewidth=0.8)
    ax.set_xscale("log")
    ticks = [0.5, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0]
    low, high = ax.get_xlim()
    ax.set_xticks([t for t in ticks if low <= t <= high], [f"{t:g}" for t in ticks if low <= t <= high])
    ax.minorticks_off()
    ax.set_yticks(range(len(terms)), [TERM_LABELS.get(t, t.replace("_", " ")) for t in terms])
    ax.invert_yaxis()
    ax.set_xlabel("Hazard ratio of re-referral (log scale), 95% CI clustered by child")
    ax.set_title("What drives re-referral: hazard ratios against the truth")
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    ax.grid(alpha=0.3, axis="x")
    figure.tight_layout()
    return Figure(figure, "Forest plot of hazard ratios of re-referral from two models. " + "; ".join(alt) + ".")


def _baseline(baseline: pd.DataFrame) -> Figure:
    figure, ax = plt.subplots(figsize=(7.5, 4.2))
    x = np.arange(len(baseline))
    est = baseline["estimate"].to_numpy()
    err = np.vstack([est - baseline["ci_lower"].to_numpy(), baseline["ci_upper"].to_numpy() - est])
    ax.errorbar(x, est, yerr=err, fmt="o", color=OKABE_ITO["welfare"], capsize=4, label="Estimate, 95% CI")
    if baseline["true_value"].notna().any():
        ax.scatter(x, baseline["true_value"], marker="x", s=70, color=OKABE_ITO["truth"], zorder=3, label="True value")
    ax.set_xticks(x, [t.replace("baseline_rate_", "") for t in baseline["term"]])
    ax.set_xlabel("Months since discharge")
    ax.set_ylabel("Re-referrals per month (reference leaver)")
    ax.set_title("Baseline hazard of re-referral (piecewise exponential)")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    figure.tight_layout()
    alt = "; ".join(
        f"{r.term.replace('baseline_rate_', '')}: {r.estimate:.4f} (95% CI {r.ci_lower:.4f} to {r.ci_upper:.4f})"
        + (f", true {r.true_value:.4f}" if pd.notna(r.true_value) else "")
        for r in baseline.itertuples()
    )
    return Figure(
        figure,
        "Dot plot of the baseline hazard of re-referral per month in each band of months since discharge, for a "
        f"welfare leaver aged 15 after 90 nights or more without a transition plan: {alt}.",
    )
