"""Hand-made rows shared by the indicator tests (not an indicator: the registry skips ``_`` modules)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from outcomes.cohort import FollowUp
from outcomes.indicator import IndicatorData, make_table

CHILD = {"sex": "1", "birth_month": "2007-05-01", "ethnicity": "WBRI", "local_authority": "202"}
STAY = {"urn": "SC000001", "pathway": "welfare", "legal_basis": "section_25", "destination": "family"}
REFERRAL = {"pathway": "welfare", "route": "swcu", "placed": False}


def two_stays(
    *,
    data_end: str = "2024-03-31",
    windows: tuple[int, ...] = (6, 12),
    children: Mapping[str, Mapping[str, Any]] | None = None,
    stays: Mapping[str, Mapping[str, Any]] | None = None,
    **extra_tables: list[dict[str, Any]],
) -> IndicatorData:
    """Stays s1 (child a, 31 nights, 2022-05-01 to 2022-06-01) and s2 (child b, 214 nights, to 2022-12-01).

    Both children are born May 2007 (a boy, b a girl) unless ``children`` changes them
    (``children={"a": {"birth_month": "2005-09-01"}}``); ``stays`` adds columns to a stay
    (``stays={"s1": {"referral_id": "r1"}}``); other keywords are whole tables of rows.
    """
    children, stays = children or {}, stays or {}
    child_rows = [
        {**CHILD, "child_id": "a", **children.get("a", {})},
        {**CHILD, "child_id": "b", "sex": "2", **children.get("b", {})},
    ]
    stay_rows = [
        {**STAY, "stay_id": "s1", "child_id": "a", "admission_date": "2022-05-01", "discharge_date": "2022-06-01"},
        {**STAY, "stay_id": "s2", "child_id": "b", "admission_date": "2022-05-01", "discharge_date": "2022-12-01"},
    ]
    stay_rows = [{**row, **stays.get(row["stay_id"], {})} for row in stay_rows]
    tables = {"children": make_table("children", child_rows), "stays": make_table("stays", stay_rows)}
    tables.update({name: make_table(name, rows) for name, rows in extra_tables.items()})
    return IndicatorData(tables, FollowUp(data_end, windows))


def only(tables: dict[str, list[dict[str, Any]]], data_end: str = "2024-03-31") -> IndicatorData:
    """Just the tables given (for indicators that read neither children nor stays)."""
    return IndicatorData({name: make_table(name, rows) for name, rows in tables.items()}, FollowUp(data_end))


def rows(indicator, data: IndicatorData, breakdown: str = "all", window: int | None = None):
    """The unsuppressed rows of one breakdown (threshold 0), indexed by breakdown value."""
    frame = indicator.compute(data, threshold=0).to_frame()
    frame = frame[frame["breakdown"] == breakdown]
    if window is not None:
        frame = frame[frame["window_months"] == window]
    return frame.set_index("breakdown_value")


def total(indicator, data: IndicatorData, window: int | None = None):
    """The one ``all`` row (of the window, if given), unsuppressed."""
    found = rows(indicator, data, "all", window)
    assert len(found) == 1, f"expected one 'all' row, found {len(found)}"
    return found.iloc[0]
