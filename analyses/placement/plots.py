"""Forest plots of the placement estimates, with alt text that states every number shown."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyses.results import Figure

LOG_TICKS = (0.03125, 0.0625, 0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
"""Ticks of an odds-ratio axis: powers of two, labelled in plain numbers (never 10^x)."""


def forest_plot(rows: pd.DataFrame, title: str, *, log_scale: bool, axis_label: str = "") -> Figure:
    """One line per term: point estimate and 95% CI; the null (1 or 0) marked; true values, if any, marked.

    The legend sits below the axes (outside them), so it covers no row; on a log
    axis the ticks are powers of two labelled as plain numbers.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    rows = rows.reset_index(drop=True)
    positions = np.arange(len(rows))[::-1]
    figure, axes = plt.subplots(figsize=(7, 0.32 * len(rows) + 1.8), layout="constrained")
    estimate = rows["estimate"].to_numpy(dtype=float)
    lower = rows["ci_lower"].to_numpy(dtype=float)
    upper = rows["ci_upper"].to_numpy(dtype=float)
    axes.errorbar(
        estimate,
        positions,
        xerr=[estimate - lower, upper - estimate],
        fmt="o",
        color="#1d70b8",
        ecolor="#505a5f",
        label="estimate and 95% CI",
    )
    truths = rows["true_value"].to_numpy(dtype=float) if "true_value" in rows else np.full(len(rows), np.nan)
    has_truth = bool(np.isfinite(truths).any())
    if has_truth:
        axes.plot(truths, positions, "x", color="#d4351c", label="true value (synthetic)")
    axes.axvline(1.0 if log_scale else 0.0, color="#b1b4b6", linestyle="--", linewidth=1)
    if log_scale:
        axes.set_xscale("log")
        low, high = np.nanmin(lower), np.nanmax(upper)
        ticks = [t for t in LOG_TICKS if low / 2 <= t <= high * 2] or [1.0]
        axes.xaxis.set_major_locator(ticker.FixedLocator(ticks))
        axes.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        axes.xaxis.set_minor_locator(ticker.NullLocator())
    axes.set_xlabel(axis_label or title, fontsize=9)
    axes.set_yticks(positions)
    axes.set_yticklabels(rows["term"].str.replace("_", " "), fontsize=8)
    axes.set_ylim(-0.7, len(rows) - 0.3)
    axes.set_title(title, fontsize=10)
    figure.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    described = "; ".join(
        f"{term.replace('_', ' ')} {e:.2f} ({lo:.2f} to {hi:.2f})" + (f", true value {t:.2f}" if np.isfinite(t) else "")
        for term, e, lo, hi, t in zip(rows["term"], estimate, lower, upper, truths, strict=True)
    )
    marks = " A cross marks the synthetic generator's true value where it has one." if has_truth else ""
    alt = (
        f"Forest plot. {title}. Point estimate (dot) and 95% confidence interval (line) for each term; "
        f"dashed line at {'1' if log_scale else '0'}, no effect.{marks} {described}."
    )
    plt.close(figure)
    return Figure(figure, alt)
