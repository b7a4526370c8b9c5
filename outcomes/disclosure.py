"""Disclosure control for tidy indicator results.

Applied to every figure before it leaves the secure environment:

1. **Primary suppression.** A cell whose numerator, or whose count of children
   (or stays, referrals, places) behind it, is between 1 and ``threshold - 1``
   is suppressed. Its value, interval and counts are blanked (``NaN``, published
   as ``c``) and ``suppressed`` is set. Rates and percentages built on those
   small counts go with them.
2. **Secondary suppression.** Within one breakdown of one indicator and period
   (for example the three pathways of 2022-23), a single suppressed cell could
   be worked back from the ``all`` total by subtraction, so the next smallest
   cell of the same breakdown is suppressed too. When there is no other cell
   to hide, the total itself is suppressed.

Zero counts are not suppressed: a true zero discloses nothing about any child.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from outcomes.errors import SuppressionWarning

DEFAULT_THRESHOLD = 5
"""Counts from 1 to ``DEFAULT_THRESHOLD - 1`` (1 to 4) are suppressed."""

GROUP_COLUMNS = ["indicator", "time_period", "window_months", "breakdown"]
BLANKED_COLUMNS = ["numerator", "denominator", "value", "ci_lower", "ci_upper", "n"]
SUPPRESSED_STATUS = "suppressed"


def _small(counts: pd.Series, threshold: int) -> pd.Series:
    values = pd.to_numeric(counts, errors="coerce")
    return ((values >= 1) & (values < threshold)).fillna(False).astype(bool)


def apply_disclosure_control(
    frame: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD, *, warn: bool = True
) -> tuple[pd.DataFrame, list[str]]:
    """Suppress small cells and the cells that would reveal them.

    Parameters
    ----------
    frame : tidy indicator rows with at least ``indicator``, ``time_period``,
        ``window_months``, ``breakdown``, ``breakdown_value``, ``numerator``,
        ``n`` (units behind the cell) and ``status``; the ``all`` breakdown holds the total.
    threshold : counts from 1 to ``threshold - 1`` are suppressed.
    warn : issue a :class:`~outcomes.errors.SuppressionWarning` listing the suppressed cells.

    Returns
    -------
    (frame, notes): a copy with ``suppressed`` set and suppressed cells blanked, and
    human-readable notes saying what was suppressed and why.
    """
    if threshold < 1:
        raise ValueError(f"the suppression threshold must be at least 1, not {threshold}")
    out = frame.copy()
    if out.empty:
        out["suppressed"] = pd.Series(dtype=bool)
        return out, []
    computed = (
        out["status"].isin(["ok", "not_estimable"]).astype(bool)
        if "status" in out
        else pd.Series(True, index=out.index)
    )
    primary = computed & (_small(out["numerator"], threshold) | _small(out["n"], threshold))
    secondary = pd.Series(False, index=out.index)

    keys = out[GROUP_COLUMNS].astype(str).agg("|".join, axis=1)
    for key in sorted(keys[primary].unique()):
        group = out.index[(keys == key) & computed]
        if out.loc[group[0], "breakdown"] == "all":
            continue
        hidden = primary.loc[group] | secondary.loc[group]
        if hidden.sum() != 1:
            continue
        candidates = out.loc[group[~hidden.to_numpy()]]
        if len(candidates):
            order = candidates.assign(
                _n=pd.to_numeric(candidates["n"], errors="coerce"),
                _num=pd.to_numeric(candidates["numerator"], errors="coerce"),
            ).sort_values(["_n", "_num", "breakdown_value"], kind="stable")
            secondary.loc[order.index[0]] = True
        else:
            # The only cell of the breakdown equals the total: hide the total instead.
            total_key = out[GROUP_COLUMNS[:-1]].astype(str).agg("|".join, axis=1)
            this = "|".join(out.loc[group[0], GROUP_COLUMNS[:-1]].astype(str).tolist())
            totals = out.index[(total_key == this) & out["breakdown"].eq("all") & computed]
            secondary.loc[totals] = True

    hide = primary | secondary
    for column in BLANKED_COLUMNS:
        if column in out:
            out[column] = out[column].astype("Float64").mask(hide, np.nan) if hide.any() else out[column]
    out["suppressed"] = hide.astype(bool)
    if "status" in out:
        out.loc[hide, "status"] = SUPPRESSED_STATUS
    notes: list[str] = []
    if hide.any():
        labels = (
            out.loc[hide, ["indicator", "time_period", "breakdown", "breakdown_value"]]
            .astype(str)
            .agg(" / ".join, axis=1)
            .tolist()
        )
        notes.append(
            f"{int(primary.sum())} cell(s) suppressed because a count was between 1 and {threshold - 1}, "
            f"and {int(secondary.sum())} more so that they cannot be worked back from totals: " + "; ".join(labels)
        )
        if warn:
            warnings.warn(notes[-1], SuppressionWarning, stacklevel=2)
    return out, notes
