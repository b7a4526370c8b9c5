"""Three or more placements in the 12 months after leaving (Table 6, long term: placement stability)."""

from __future__ import annotations

import pandas as pd

from outcomes.contract import codes
from outcomes.contract.tables import CareEpisodes
from outcomes.indicator import LEAVER_NEEDS, Declaration, IndicatorData, ProportionIndicator, uses

WINDOW_MONTHS = 12
UNSTABLE_FROM = 3
NOT_A_NEW_PLACEMENT = {codes.ReasonNewEpisode.L}
"""RNE 'L' is a change of legal status only: the child did not move."""


def placements_after_exit(data: IndicatorData) -> pd.DataFrame:
    """Leavers followed for 12 months who were looked after in them, with their count of placements."""
    leavers = data.leavers
    window_end = leavers["index_date"] + pd.DateOffset(months=WINDOW_MONTHS)
    followed = leavers[window_end <= leavers["follow_up_end"]].copy()
    followed["_window_end"] = window_end[followed.index]
    episodes = data.table("care_episodes")
    # Temporary moves (T codes) are not placements in DfE's stability measure.
    episodes = episodes[~episodes[CareEpisodes.place].str.startswith("T").fillna(False)]
    joined = followed[["stay_id", "child_id", "index_date", "_window_end"]].merge(
        episodes[[CareEpisodes.child_id, CareEpisodes.decom, CareEpisodes.dec, CareEpisodes.rne]], on="child_id"
    )
    overlaps = (joined[CareEpisodes.decom] < joined["_window_end"]) & (
        joined[CareEpisodes.dec].isna() | (joined[CareEpisodes.dec] > joined["index_date"])
    )
    joined = joined[overlaps]
    # The placement the child was in when the window opened counts once; later ones count if they were moves.
    current = joined[CareEpisodes.decom] <= joined["index_date"]
    moved = ~current & ~joined[CareEpisodes.rne].isin(NOT_A_NEW_PLACEMENT)
    counts = (current.groupby(joined["stay_id"]).any().astype(int)) + moved.groupby(joined["stay_id"]).sum()
    looked_after = followed[followed["stay_id"].isin(joined["stay_id"])].copy()
    looked_after["placements"] = looked_after["stay_id"].map(counts).astype(int)
    return looked_after


class PlacementInstability(ProportionIndicator):
    declaration = Declaration(
        code="placement_instability",
        title="Three or more placements in the year after leaving",
        term="long",
        table6_outcome="Placement stability",
        definition=(
            "Of leavers looked after at some point in the 12 months after discharge, the share with three or more "
            "placements in those 12 months (the placement at the start counts as one)."
        ),
        numerator="Leavers with three or more placements in the 12 months after discharge.",
        denominator="Leavers followed for 12 months with an SSDA903 episode in them.",
        unit="%",
        polarity="lower_is_better",
        needs=(
            *LEAVER_NEEDS,
            uses(
                CareEpisodes,
                CareEpisodes.child_id,
                CareEpisodes.decom,
                CareEpisodes.dec,
                CareEpisodes.rne,
                CareEpisodes.place,
            ),
        ),
        source="Table 6 of the 2022 report; SSDA903 episodes, as DfE's placement stability measure (3+ in a year).",
        caveats=(
            "Counts episodes that began a new placement (RNE other than L); temporary moves (T codes) are left out.",
            "Children not looked after after leaving (most justice leavers) are not in the denominator.",
        ),
    )

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        return placements_after_exit(data)

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units["placements"] >= UNSTABLE_FROM
