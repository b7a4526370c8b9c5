"""Hand-made rows shared by the indicator tests (not an indicator: the registry skips ``_`` modules)."""

from __future__ import annotations

from outcomes.cohort import FollowUp
from outcomes.indicator import IndicatorData, make_table

CHILD = {"sex": "1", "birth_month": "2007-05-01", "ethnicity": "WBRI", "local_authority": "202"}
STAY = {"urn": "SC000001", "pathway": "welfare", "legal_basis": "section_25", "destination": "family"}


def two_stays(**extra_tables) -> IndicatorData:
    """Stays s1 (child a, 31 nights, 2022-05-01 to 2022-06-01) and s2 (child b, 214 nights, to 2022-12-01)."""
    children = make_table("children", [{**CHILD, "child_id": "a"}, {**CHILD, "child_id": "b", "sex": "2"}])
    stays = make_table(
        "stays",
        [
            {**STAY, "stay_id": "s1", "child_id": "a", "admission_date": "2022-05-01", "discharge_date": "2022-06-01"},
            {**STAY, "stay_id": "s2", "child_id": "b", "admission_date": "2022-05-01", "discharge_date": "2022-12-01"},
        ],
    )
    tables = {"children": children, "stays": stays}
    tables.update({name: make_table(name, rows) for name, rows in extra_tables.items()})
    return IndicatorData(tables, FollowUp("2024-03-31", (6, 12)))


def total(indicator, data: IndicatorData, window: int | None = None):
    frame = indicator.compute(data, threshold=0).to_frame()
    rows = frame[frame["breakdown"] == "all"]
    if window is not None:
        rows = rows[rows["window_months"] == window]
    return rows.iloc[0]
