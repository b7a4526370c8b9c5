"""Table 3 of the 2022 report, rebuilt from the referral records and set beside the published figures.

For each year and behaviour: welfare referrals through the SWCU presenting
the behaviour, their share of the year's referrals, and the share of them
placed in a secure children's home with its Wilson interval; then the
published ``referred_n``, ``referred_pct`` and ``placed_pct``
(``synthetic/reference/table3_swcu_referrals.csv`` and its totals file).
A row ``all_referrals`` per year carries the totals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyses.placement.data import BEHAVIOURS, PLACED, ROUTE, SWCU, YEAR
from outcomes.disclosure import small_count
from outcomes.statistics import wilson_interval

ALL_REFERRALS = "all_referrals"
TABLE3_COLUMNS = [
    "year",
    "behaviour",
    "referred_n",
    "referred_pct",
    "placed_n",
    "placed_pct",
    "placed_ci_lower",
    "placed_ci_upper",
    "published_referred_n",
    "published_referred_pct",
    "published_placed_pct",
    "placed_pct_difference",
    "published_inside_ci",
    "suppressed",
    "note",
]


def published_table3() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The published Table 3 (by behaviour) and its totals, as the synthetic generator reads them."""
    from synthetic.calibration import read_reference

    return read_reference("table3_swcu_referrals.csv"), read_reference("table3_swcu_totals.csv")


def table3_comparison(frame: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Table 3 from the microdata beside the published figures (percentages 0-100, Wilson 95% CIs).

    Rates are suppressed (with their counts) where any cell of the behaviour's
    2 x 2 table with placement within its year is 1 to ``threshold``: those
    presenting it, placed and not, and, since the year's total row is
    published, those not presenting it, placed and not. The table's rows
    overlap (a referral presents several behaviours), so they do not add to a
    total and no further secondary suppression is needed.
    """
    welfare = frame[frame[ROUTE].astype(str) == SWCU]
    published, totals = published_table3()
    published = published.set_index(["year", "behaviour"])
    totals = totals.set_index("year")
    rows = []
    for year in sorted(set(welfare[YEAR].unique()) | set(totals.index)):
        in_year = welfare[welfare[YEAR] == year]
        year_n = len(in_year)
        year_placed = int(in_year[PLACED].sum())
        for behaviour in (ALL_REFERRALS, *BEHAVIOURS):
            if behaviour == ALL_REFERRALS:
                presenting = in_year
                recorded = year_n
                pub_n = totals["referred_n"].get(year, np.nan)
                pub_referred = 100.0 if year in totals.index else np.nan
                pub_placed = totals["placed_pct"].get(year, np.nan)
            else:
                flags = in_year[behaviour]
                recorded = int(flags.notna().sum())
                presenting = in_year[flags.fillna(0).astype(bool)]
                key = (year, behaviour)
                pub_n = published["referred_n"].get(key, np.nan)
                pub_referred = published["referred_pct"].get(key, np.nan)
                pub_placed = published["placed_pct"].get(key, np.nan)
            n = len(presenting)
            placed = int(presenting[PLACED].sum())
            lower, upper = wilson_interval(placed, n) if n else (np.nan, np.nan)
            note = ""
            if recorded == 0 and year_n:
                note = "not recorded this year"
            elif year_n == 0:
                note = "no referrals this year"
            elif n == 0 and behaviour != ALL_REFERRALS:
                note = "recorded, but no referral presented it this year: the share placed is undefined"
            rows.append(
                {
                    "year": int(year),
                    "behaviour": behaviour,
                    "referred_n": n if recorded else np.nan,
                    "referred_pct": 100.0 * n / recorded if recorded else np.nan,
                    "placed_n": placed if recorded else np.nan,
                    "placed_pct": 100.0 * placed / n if n else np.nan,
                    "placed_ci_lower": 100.0 * float(lower) if n else np.nan,
                    "placed_ci_upper": 100.0 * float(upper) if n else np.nan,
                    "published_referred_n": pub_n,
                    "published_referred_pct": pub_referred,
                    "published_placed_pct": pub_placed,
                    "note": note,
                    "_not_placed": n - placed,
                    # The other cells of the behaviour's 2 x 2 table, which the year's total row gives away.
                    "_absent": recorded - n if recorded else 0,
                    "_absent_placed": year_placed - placed if recorded else 0,
                    "_absent_not_placed": (recorded - n) - (year_placed - placed) if recorded else 0,
                }
            )
    table = pd.DataFrame(rows)
    hidden = (
        small_count(table["referred_n"], threshold)
        | small_count(table["placed_n"], threshold)
        | small_count(table["_not_placed"], threshold)
        | small_count(table["_absent"], threshold)
        | small_count(table["_absent_placed"], threshold)
        | small_count(table["_absent_not_placed"], threshold)
    )
    table.loc[
        hidden, ["referred_n", "referred_pct", "placed_n", "placed_pct", "placed_ci_lower", "placed_ci_upper"]
    ] = np.nan
    table["suppressed"] = hidden
    table.loc[hidden, "note"] = f"suppressed: a count of 1 to {threshold}"
    table["placed_pct_difference"] = table["placed_pct"] - table["published_placed_pct"]
    inside = (table["published_placed_pct"] >= table["placed_ci_lower"]) & (
        table["published_placed_pct"] <= table["placed_ci_upper"]
    )
    comparable = table["published_placed_pct"].notna() & table["placed_pct"].notna()
    table["published_inside_ci"] = pd.array(np.where(comparable, inside, pd.NA), dtype="boolean")
    for column in ("referred_n", "placed_n", "published_referred_n"):
        table[column] = pd.array(table[column], dtype="Int64")
    return table[TABLE3_COLUMNS]


def closeness_note(table: pd.DataFrame) -> str:
    """How close the rebuilt Table 3 comes to the published one: behaviour cells and all-referrals rows apart."""
    comparable = table[table["published_inside_ci"].notna()]
    if comparable.empty:
        return "Table 3: no cell can be compared with the published figures (none published for these years)."
    parts = []
    for label, rows in (
        ("year-behaviour cells", comparable[comparable["behaviour"] != ALL_REFERRALS]),
        ("all-referrals rows (one per year)", comparable[comparable["behaviour"] == ALL_REFERRALS]),
    ):
        if rows.empty:
            continue
        inside = int(rows["published_inside_ci"].astype(bool).sum())
        gap = float(np.nanmean(np.abs(rows["placed_pct_difference"])))
        parts.append(f"{inside} of {len(rows)} comparable {label} (mean absolute gap {gap:.1f} points)")
    behaviours = table[
        (table["behaviour"] != ALL_REFERRALS) & table["published_referred_pct"].notna() & table["referred_pct"].notna()
    ]
    referred_gap = (
        float(np.mean(np.abs(behaviours["referred_pct"] - behaviours["published_referred_pct"])))
        if len(behaviours)
        else float("nan")
    )
    return (
        "Table 3 rebuilt from the referral records: the published placed percentage lies inside the 95% Wilson "
        "interval in " + "; and in ".join(parts) + ". A comparable cell is one published in the report and not "
        f"suppressed here. The share referred (year-behaviour cells only) differs by {referred_gap:.1f} points on "
        "average. The rebuilt 2021 covers the whole calendar year while the published 2021 covers January to "
        "November only; it is kept a full year because the models' 2021 cells are full-year, and a January to "
        "November Table 3 beside them would let December's counts be worked out by subtraction. Published "
        "percentages are rounded to whole numbers; with about 300 to 500 referrals a year a Wilson interval is "
        "roughly 8 to 10 points wide, wider for rare behaviours."
    )
