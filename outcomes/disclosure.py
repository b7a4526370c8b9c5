"""Disclosure control for tidy indicator results.

Applied to every figure before it leaves the secure environment. ``threshold``
means the same here, in the configuration (``Settings.suppression_threshold``)
and on the command line (``--threshold``): **counts from 1 up to and including
the threshold are suppressed** (the default, 4, suppresses 1 to 4; 0 turns
suppression off, for hand checks only).

1. **Primary suppression.** A cell whose numerator, or whose count of children
   (or stays, referrals) behind it (``n``), or, for a percentage, whose
   complement (denominator - numerator: 48 of 50 tells that 2 were not) is
   between 1 and ``threshold`` is suppressed. Its value, interval and counts are blanked (``NaN``, published as
   ``c``) and ``suppressed`` is set. A rate or percentage goes with its counts,
   so a percentage on a denominator of 1 to ``threshold`` is never published.
2. **Secondary suppression.** The cells of one breakdown of one indicator, period
   and window (for example the three pathways of 2022-23) add up to its ``all``
   row. If exactly one of them is hidden while the total is published, it could
   be worked back by subtraction, so the next smallest cell of the same breakdown
   (fewest units, then smallest numerator, then name) is hidden too. With two or
   more hidden cells only their sum can be worked out. When a breakdown has no
   other cell to hide, the total is hidden instead.

Zero counts are published: a cell of 0 children identifies no child, and hiding
zeros would make every table with a structural zero look suppressed. Counts of
places (capacity indicators) describe homes, not children, and are not passed
through this function at all (``Indicator.disclosive = False``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from outcomes.config import Settings
from outcomes.errors import SuppressionWarning

DEFAULT_THRESHOLD: int = Settings().suppression_threshold
"""Counts from 1 to this (1 to 4) are suppressed; the one source of truth is ``outcomes.config.Settings``."""

GROUP_COLUMNS = ["indicator", "time_period", "window_months", "breakdown"]
BLANKED_COLUMNS = ["numerator", "denominator", "value", "ci_lower", "ci_upper", "n"]
SUPPRESSED_STATUS = "suppressed"
COMPUTED_STATUSES = ("ok", "not_estimable")
PERCENT_UNIT = "%"


def small_count(counts: pd.Series, threshold: int) -> pd.Series:
    """True where a count is between 1 and ``threshold`` inclusive (missing counts are not small)."""
    values = pd.to_numeric(counts, errors="coerce")
    return ((values >= 1) & (values <= threshold)).fillna(False).astype(bool)


def complement(frame: pd.DataFrame) -> pd.Series:
    """For a percentage, the units not counted (denominator - numerator); missing for other units.

    48 of 50 children placed tells that 2 were not: the complement of a
    percentage is a count of children as much as its numerator is.
    """
    if "unit" not in frame:
        return pd.Series(np.nan, index=frame.index)
    numerator = pd.to_numeric(frame["numerator"], errors="coerce")
    denominator = pd.to_numeric(frame["denominator"], errors="coerce")
    return (denominator - numerator).where(frame["unit"].eq(PERCENT_UNIT))


def apply_disclosure_control(
    frame: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD, *, warn: bool = True
) -> tuple[pd.DataFrame, list[str]]:
    """Suppress small cells and the cells that would reveal them.

    Parameters
    ----------
    frame : tidy indicator rows with at least ``indicator``, ``time_period``,
        ``window_months``, ``breakdown``, ``breakdown_value``, ``numerator``,
        ``n`` (units behind the cell) and ``status``; the ``all`` breakdown holds the total.
    threshold : counts from 1 up to and including ``threshold`` are suppressed; 0 suppresses nothing.
    warn : issue a :class:`~outcomes.errors.SuppressionWarning` listing the suppressed cells.

    Returns
    -------
    (frame, notes): a copy with ``suppressed`` set and suppressed cells blanked, and
    human-readable notes saying what was suppressed and why.
    """
    if threshold < 0:
        raise ValueError(f"the suppression threshold must be 0 or more, not {threshold}")
    out = frame.copy()
    if out.empty:
        out["suppressed"] = pd.Series(dtype=bool)
        return out, []
    computed = (
        out["status"].isin(COMPUTED_STATUSES).astype(bool) if "status" in out else pd.Series(True, index=out.index)
    )
    primary = computed & (
        small_count(out["numerator"], threshold)
        | small_count(out["n"], threshold)
        | small_count(complement(out), threshold)
    )
    secondary = pd.Series(False, index=out.index)
    is_total = out["breakdown"].eq("all")

    # One id per (indicator, period, window) and per (indicator, period, window, breakdown).
    table_id = out.groupby(GROUP_COLUMNS[:-1], dropna=False, sort=False).ngroup()
    cell_group = out.groupby(GROUP_COLUMNS, dropna=False, sort=False).ngroup()
    totals = is_total & computed
    total_of_table = dict(zip(table_id[totals].astype(int), out.index[totals], strict=True))
    members_of = {int(group): members for group, members in out.index[computed].groupby(cell_group[computed]).items()}
    for group in sorted(cell_group[primary & ~is_total].unique()):
        members = members_of[int(group)]
        hidden = primary.loc[members] | secondary.loc[members]
        total = total_of_table.get(int(table_id.loc[members[0]]))
        if hidden.sum() != 1 or total is None or primary.loc[total] or secondary.loc[total]:
            # Two or more hidden cells reveal only their sum; a hidden or absent total reveals nothing.
            continue
        candidates = out.loc[members[~hidden.to_numpy()]]
        if len(candidates):
            order = candidates.assign(
                _n=pd.to_numeric(candidates["n"], errors="coerce"),
                _num=pd.to_numeric(candidates["numerator"], errors="coerce"),
            ).sort_values(["_n", "_num", "breakdown_value"], kind="stable")
            secondary.loc[order.index[0]] = True
        else:
            secondary.loc[total] = True

    hide = primary | secondary
    for column in BLANKED_COLUMNS:
        if column in out and hide.any():
            out[column] = out[column].astype("Float64").mask(hide, np.nan)
    out["suppressed"] = hide.astype(bool)
    if "status" in out:
        out.loc[hide, "status"] = SUPPRESSED_STATUS
    notes: list[str] = []
    if hide.any():
        labels = (
            out.loc[hide, ["indicator", "time_period", "window_months", "breakdown", "breakdown_value"]]
            .astype(str)
            .replace("<NA>", "-")
            .agg(" / ".join, axis=1)
            .tolist()
        )
        notes.append(
            f"{int(primary.sum())} cell(s) suppressed because a count was between 1 and {threshold}, "
            f"and {int(secondary.sum())} more so that they cannot be worked back from totals: " + "; ".join(labels)
        )
        if warn:
            warnings.warn(notes[-1], SuppressionWarning, stacklevel=2)
    return out, notes
