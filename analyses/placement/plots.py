"""Forest plots of the placement estimates, with alt text that states every number shown."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyses.results import Figure


def forest_plot(rows: pd.DataFrame, title: str, *, log_scale: bool) -> Figure:
    """One line per term: point estimate and 95% CI; the null (1 or 0) marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = rows.reset_index(drop=True)
    positions = np.arange(len(rows))[::-1]
    figure, axes = plt.subplots(figsize=(7, 0.32 * len(rows) + 1.2))
    estimate = rows["estimate"].to_numpy(dtype=float)
    lower = rows["ci_lower"].to_numpy(dtype=float)
    upper = rows["ci_upper"].to_numpy(dtype=float)
    axes.errorbar(
        estimate, positions, xerr=[estimate - lower, upper - estimate], fmt="o", color="#1d70b8", ecolor="#505a5f"
    )
    if "true_value" in rows and rows["true_value"].notna().any():
        axes.plot(rows["true_value"], positions, "x", color="#d4351c", label="true value (synthetic)")
        axes.legend(loc="lower right", fontsize=8)
    axes.axvline(1.0 if log_scale else 0.0, color="#b1b4b6", linestyle="--", linewidth=1)
    if log_scale:
        axes.set_xscale("log")
    axes.set_yticks(positions)
    axes.set_yticklabels(rows["term"].str.replace("_", " "), fontsize=8)
    axes.set_title(title, fontsize=10)
    figure.tight_layout()
    described = "; ".join(
        f"{term.replace('_', ' ')} {e:.2f} ({lo:.2f} to {hi:.2f})"
        for term, e, lo, hi in zip(rows["term"], estimate, lower, upper, strict=True)
    )
    alt = f"Forest plot. {title}. Point estimate and 95% confidence interval for each term: {described}."
    plt.close(figure)
    return Figure(figure, alt)
