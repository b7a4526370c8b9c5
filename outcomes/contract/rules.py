"""Cross-table rules of the data contract.

Rules within one row or one table are declared on the pandera models in
:mod:`outcomes.contract.tables`. The rules here need more than one table (a
stay's child must be known) or more than one row (a child's stays must not
overlap). Each is declared once with a code, the table and columns it judges
and its message; the loader applies them in order, so a row that refers to a
rejected row is itself rejected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from outcomes.contract.tables import (
    CareEpisodes,
    CareLeavers,
    Children,
    Education,
    HealthChecks,
    HomeCapacity,
    Homes,
    Identifiers,
    Incidents,
    MentalHealth,
    Referrals,
    Stays,
    Wellbeing,
)

Tables = dict[str, pd.DataFrame]
MIN_AGE_AT_ADMISSION = 10
MAX_AGE_AT_ADMISSION = 17


@dataclass(frozen=True)
class CrossTableRule:
    """A rule that needs more than one row or table.

    ``failing`` takes the accepted tables so far and returns a boolean mask
    over ``table``'s rows: True where the row breaks the rule.
    """

    code: str
    table: str
    columns: tuple[str, ...]
    message: str
    needs: tuple[str, ...]
    failing: Callable[[Tables], pd.Series]


def _refers_to(table: str, column: str, target: str, target_column: str) -> Callable[[Tables], pd.Series]:
    def failing(tables: Tables) -> pd.Series:
        rows = tables[table][column]
        return rows.notna() & ~rows.isin(tables[target][target_column])

    return failing


def _reference_rule(code: str, table: str, column: str, target: str, target_column: str) -> CrossTableRule:
    return CrossTableRule(
        code,
        table,
        (column,),
        f"{column} must refer to a row of {target} ({target_column}) that was accepted",
        (table, target),
        _refers_to(table, column, target, target_column),
    )


def _stays_overlap(tables: Tables) -> pd.Series:
    """A stay that starts before one of the same child's earlier stays ended (the later stay is rejected).

    An earlier stay still open (no discharge date) never ends. Each stay is compared with the latest end of
    all the child's earlier stays, not only the one just before it, so a short stay nested inside a long one
    does not hide the overlap of the next stay with the long one.
    """
    stays = tables["stays"]
    if stays.empty:  # (a groupby over no rows loses the date type)
        return pd.Series(False, index=stays.index)
    ordered = stays.sort_values([Stays.child_id, Stays.admission_date, Stays.stay_id], kind="stable")
    ends = ordered[Stays.discharge_date].fillna(pd.Timestamp.max)
    child = ordered[Stays.child_id]
    # Vectorised (no per-child Python function): at national scale this rule dominated loading.
    latest_earlier_end = ends.groupby(child).cummax().groupby(child).shift()
    overlaps = latest_earlier_end.notna() & (ordered[Stays.admission_date] < latest_earlier_end)
    return overlaps.reindex(stays.index).fillna(False).astype(bool)


def _age_at_admission_out_of_range(tables: Tables) -> pd.Series:
    stays = tables["stays"]
    # A lookup in an empty table loses the date type: restore it.
    birth_months = tables["children"].set_index(Children.child_id)[Children.birth_month]
    birth = stays[Stays.child_id].map(birth_months).astype("datetime64[ns]")
    admitted = stays[Stays.admission_date]
    age = admitted.dt.year - birth.dt.year - (admitted.dt.month < birth.dt.month).astype(int)
    return birth.notna() & ~age.between(MIN_AGE_AT_ADMISSION, MAX_AGE_AT_ADMISSION)


def _outside_stay(table: str, date_column: str) -> Callable[[Tables], pd.Series]:
    def failing(tables: Tables) -> pd.Series:
        rows = tables[table]
        stays = tables["stays"].set_index(Stays.stay_id)
        admitted = rows[Incidents.stay_id].map(stays[Stays.admission_date]).astype("datetime64[ns]")
        discharged = rows[Incidents.stay_id].map(stays[Stays.discharge_date]).astype("datetime64[ns]")
        when = rows[date_column]
        return admitted.notna() & ((when < admitted) | (discharged.notna() & (when > discharged)))

    return failing


CROSS_TABLE_RULES: tuple[CrossTableRule, ...] = (
    _reference_rule("X01", "identifiers", Identifiers.child_id, "children", Children.child_id),
    _reference_rule("X02", "referrals", Referrals.child_id, "children", Children.child_id),
    _reference_rule("X03", "referrals", Referrals.urn, "homes", Homes.urn),
    _reference_rule("X04", "home_capacity", HomeCapacity.urn, "homes", Homes.urn),
    _reference_rule("X05", "stays", Stays.child_id, "children", Children.child_id),
    _reference_rule("X06", "stays", Stays.urn, "homes", Homes.urn),
    _reference_rule("X07", "stays", Stays.referral_id, "referrals", Referrals.referral_id),
    CrossTableRule(
        "X08",
        "stays",
        (Stays.child_id, Stays.admission_date),
        "a child's stays must not overlap: this stay starts before the child's previous stay ended",
        ("stays",),
        _stays_overlap,
    ),
    CrossTableRule(
        "X09",
        "stays",
        (Stays.child_id, Stays.admission_date),
        f"age at admission must be {MIN_AGE_AT_ADMISSION} to {MAX_AGE_AT_ADMISSION} (from children.birth_month)",
        ("stays", "children"),
        _age_at_admission_out_of_range,
    ),
    _reference_rule("X10", "care_episodes", CareEpisodes.child_id, "children", Children.child_id),
    _reference_rule("X11", "health_checks", HealthChecks.child_id, "children", Children.child_id),
    _reference_rule("X12", "care_leavers", CareLeavers.child_id, "children", Children.child_id),
    _reference_rule("X13", "education", Education.child_id, "children", Children.child_id),
    _reference_rule("X14", "wellbeing", Wellbeing.child_id, "children", Children.child_id),
    _reference_rule("X15", "wellbeing", Wellbeing.stay_id, "stays", Stays.stay_id),
    _reference_rule("X16", "incidents", Incidents.stay_id, "stays", Stays.stay_id),
    CrossTableRule(
        "X17",
        "incidents",
        (Incidents.incident_date,),
        "incident_date must fall within its stay (admission to discharge)",
        ("incidents", "stays"),
        _outside_stay("incidents", Incidents.incident_date),
    ),
    _reference_rule("X18", "mental_health", MentalHealth.stay_id, "stays", Stays.stay_id),
    CrossTableRule(
        "X19",
        "mental_health",
        (MentalHealth.assessment_date,),
        "assessment_date must fall within its stay (admission to discharge)",
        ("mental_health", "stays"),
        _outside_stay("mental_health", MentalHealth.assessment_date),
    ),
)
"""Applied in this order: a table's references are judged after the tables they point to."""
