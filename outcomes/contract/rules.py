"""Cross-table rules of the data contract.

Rules within one row or one table are declared on the pandera models in
:mod:`outcomes.contract.tables`. The rules here need more than one table (a
stay's child must be known) or more than one row (a child's stays must not
overlap). Each is declared once with a code, the table and columns it judges,
its message, whether it rejects the row or only warns, and why; the loader
applies the rejecting rules in order, so a row that refers to a rejected row
is itself rejected, and then the warnings on the rows accepted.

A rule rejects when real data hold it: breaking it means a recording error
that would mislead an indicator. A rule warns when real data may break it for
a good reason (the tables cover part of what a home holds, a home's type
changes over the years): the row is kept, and the warning is counted and
listed so an evaluator can look.

:data:`LOADER_RULES` declares the codes the loader itself gives (a line that
cannot be read, a cell that cannot be parsed, a pandera check broken), so that
every code in a rejects or warnings file is documented in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from outcomes.contract import codes
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
ADULT_AGE = 18
REJECT = "reject"
WARNING = "warning"


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
    severity: str = REJECT
    why: str = ""


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
        why=f"A {table} row whose {column} names nothing in {target} cannot be placed in the cohort.",
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


# --- rules between referrals and stays ----------------------------------------------------------------------


def _referral_of_stay(tables: Tables, column: str) -> pd.Series:
    """The referrals' ``column`` for each stay, through ``stays.referral_id`` (missing where none is named)."""
    stays = tables["stays"]
    referrals = tables["referrals"].set_index(Referrals.referral_id)[column]
    return stays[Stays.referral_id].map(referrals)


def _pathways(tables: Tables) -> tuple[np.ndarray, np.ndarray]:
    """Each stay's pathway and its referral's (None where unknown), as plain arrays of text."""
    stays = tables["stays"]
    referred = _referral_of_stay(tables, Referrals.pathway)
    return (
        stays[Stays.pathway].astype(object).where(stays[Stays.pathway].notna(), None).to_numpy(dtype=object),
        referred.astype(object).where(referred.notna(), None).to_numpy(dtype=object),
    )


def _route_differs(tables: Tables) -> pd.Series:
    """The stay is on the welfare route and its referral on the justice route (remand or sentence), or back."""
    stay, referred = _pathways(tables)
    welfare = codes.Pathway.WELFARE.value
    known = (stay != None) & (referred != None)  # noqa: E711 (element-wise)
    return pd.Series(known & ((stay == welfare) != (referred == welfare)), index=tables["stays"].index)


def _justice_pathway_differs(tables: Tables) -> pd.Series:
    """Both on the justice route, but one remand and the other a sentence."""
    stay, referred = _pathways(tables)
    welfare = codes.Pathway.WELFARE.value
    known = (stay != None) & (referred != None)  # noqa: E711 (element-wise)
    both_justice = known & (stay != welfare) & (referred != welfare)
    return pd.Series(both_justice & (stay != referred), index=tables["stays"].index)


def _admitted_before_referral(tables: Tables) -> pd.Series:
    referred = _referral_of_stay(tables, Referrals.referral_date).astype("datetime64[ns]")
    return (referred.notna() & (tables["stays"][Stays.admission_date] < referred)).fillna(False).astype(bool)


def _placed_without_stay(tables: Tables) -> pd.Series:
    referrals = tables["referrals"]
    placed = referrals[Referrals.placed].fillna(False).astype(bool)
    return placed & ~referrals[Referrals.referral_id].isin(tables["stays"][Stays.referral_id].dropna())


def _referral_during_stay(tables: Tables) -> pd.Series:
    """A referral made after one of the same child's stays began and before it ended (an open stay never ends)."""
    referrals = tables["referrals"]
    stays = tables["stays"]
    if referrals.empty or stays.empty:
        return pd.Series(False, index=referrals.index)
    pairs = pd.DataFrame(
        {
            "position": np.arange(len(referrals)),
            Referrals.child_id: referrals[Referrals.child_id].to_numpy(),
            Referrals.referral_date: referrals[Referrals.referral_date].to_numpy(),
        }
    ).merge(
        pd.DataFrame(
            {
                Stays.child_id: stays[Stays.child_id].to_numpy(),
                Stays.admission_date: stays[Stays.admission_date].to_numpy(),
                Stays.discharge_date: stays[Stays.discharge_date].to_numpy(),
            }
        ),
        on=Referrals.child_id,
    )
    ends = pairs[Stays.discharge_date].fillna(pd.Timestamp.max)
    during = (pairs[Referrals.referral_date] > pairs[Stays.admission_date]) & (pairs[Referrals.referral_date] < ends)
    flagged = np.zeros(len(referrals), dtype=bool)
    flagged[pairs.loc[during.to_numpy(), "position"].to_numpy()] = True
    return pd.Series(flagged, index=referrals.index)


def _referred_as_adult(tables: Tables) -> pd.Series:
    """Referred on or after the first day of the month after the 18th birthday month: 18 whatever the day of birth."""
    referrals = tables["referrals"]
    birth_months = tables["children"].set_index(Children.child_id)[Children.birth_month]
    birth = referrals[Referrals.child_id].map(birth_months).astype("datetime64[ns]")
    months = (referrals[Referrals.referral_date].dt.year - birth.dt.year) * 12 + (
        referrals[Referrals.referral_date].dt.month - birth.dt.month
    )
    return (birth.notna() & (months > ADULT_AGE * 12)).fillna(False).astype(bool)


# --- rules between homes, their capacity and the stays ------------------------------------------------------

PATHWAYS_A_HOME_TAKES = {
    codes.HomeType.WELFARE_ONLY.value: {codes.Pathway.WELFARE.value},
    codes.HomeType.JUSTICE_ONLY.value: {codes.Pathway.REMAND.value, codes.Pathway.JUSTICE.value},
    codes.HomeType.MIXED.value: {pathway.value for pathway in codes.Pathway},
}


def _home_type_misfits(tables: Tables) -> pd.Series:
    stays = tables["stays"]
    home_type = stays[Stays.urn].map(tables["homes"].set_index(Homes.urn)[Homes.home_type]).astype("string")
    kinds = home_type.astype(object).where(home_type.notna(), None).to_numpy(dtype=object)
    pathway = stays[Stays.pathway].astype(object).to_numpy(dtype=object)
    misfit = np.zeros(len(stays), dtype=bool)
    for kind, pathways in PATHWAYS_A_HOME_TAKES.items():
        misfit |= (kinds == kind) & ~np.isin(pathway, list(pathways))
    return pd.Series(misfit, index=stays.index)


def _accommodated_over_available(tables: Tables) -> pd.Series:
    capacity = tables["home_capacity"]
    over = capacity[HomeCapacity.children_accommodated] > capacity[HomeCapacity.places_available]
    return over.fillna(False).astype(bool)


def stays_open_on_snapshot(tables: Tables) -> pd.Series:
    """Stays at each capacity row's home open on its 31 March: admitted on or before it, discharged on or after it.

    A child admitted or discharged during the day was accommodated on it.
    """
    capacity = tables["home_capacity"]
    stays = tables["stays"]
    pairs = pd.DataFrame(
        {
            "position": np.arange(len(capacity)),
            HomeCapacity.urn: capacity[HomeCapacity.urn].to_numpy(dtype=object),
            HomeCapacity.snapshot_date: capacity[HomeCapacity.snapshot_date].to_numpy(),
        }
    ).merge(
        pd.DataFrame(
            {
                Stays.urn: stays[Stays.urn].to_numpy(dtype=object),
                Stays.admission_date: stays[Stays.admission_date].to_numpy(),
                Stays.discharge_date: stays[Stays.discharge_date].to_numpy(),
            }
        ),
        on=HomeCapacity.urn,
    )
    day = pairs[HomeCapacity.snapshot_date]
    open_ = (pairs[Stays.admission_date] <= day) & (
        pairs[Stays.discharge_date].isna() | (pairs[Stays.discharge_date] >= day)
    )
    counts = np.bincount(pairs.loc[open_.to_numpy(), "position"].to_numpy(), minlength=len(capacity))
    return pd.Series(counts, index=capacity.index)


def _accommodated_differs_from_stays(tables: Tables) -> pd.Series:
    capacity = tables["home_capacity"]
    accommodated = capacity[HomeCapacity.children_accommodated]
    return (accommodated.notna() & (accommodated != stays_open_on_snapshot(tables))).fillna(False).astype(bool)


CROSS_TABLE_RULES: tuple[CrossTableRule, ...] = (
    _reference_rule("X01", "identifiers", Identifiers.child_id, "children", Children.child_id),
    _reference_rule("X02", "referrals", Referrals.child_id, "children", Children.child_id),
    _reference_rule("X03", "referrals", Referrals.urn, "homes", Homes.urn),
    CrossTableRule(
        "X20",
        "referrals",
        (Referrals.child_id, Referrals.referral_date),
        "referral_date is after the child's 18th birthday (from children.birth_month)",
        ("referrals", "children"),
        _referred_as_adult,
        why="Secure children's homes take children: neither a section 25 order nor a remand to youth detention "
        "accommodation applies from 18, so a referral of an adult is a wrong date or birth month. Judged from "
        "the first day of the month after the 18th birthday month, when the child is 18 whatever the day of birth.",
    ),
    _reference_rule("X04", "home_capacity", HomeCapacity.urn, "homes", Homes.urn),
    _reference_rule("X05", "stays", Stays.child_id, "children", Children.child_id),
    _reference_rule("X06", "stays", Stays.urn, "homes", Homes.urn),
    _reference_rule("X07", "stays", Stays.referral_id, "referrals", Referrals.referral_id),
    CrossTableRule(
        "X21",
        "stays",
        (Stays.referral_id, Stays.pathway),
        "a stay's pathway must be on the same route as its referral's (welfare, or remand and justice)",
        ("stays", "referrals"),
        _route_differs,
        why="A section 25 secure accommodation order (welfare, through the SWCU) and a criminal court's remand "
        "or sentence (through the Youth Custody Service) are different legal routes: a stay cannot come from a "
        "referral on the other one. A change between remand and sentence is only a warning (W02).",
    ),
    CrossTableRule(
        "X22",
        "stays",
        (Stays.referral_id, Stays.admission_date),
        "admission_date must be on or after its referral's referral_date",
        ("stays", "referrals"),
        _admitted_before_referral,
        why="referral_id names the referral that led to the stay: a referral made after the admission cannot "
        "have led to it, so one of the two dates (or the referral named) is wrong.",
    ),
    CrossTableRule(
        "X08",
        "stays",
        (Stays.child_id, Stays.admission_date),
        "a child's stays must not overlap: this stay starts before the child's previous stay ended",
        ("stays",),
        _stays_overlap,
        why="A child is in one secure home at a time; a move between homes ends one stay the day the next begins.",
    ),
    CrossTableRule(
        "X09",
        "stays",
        (Stays.child_id, Stays.admission_date),
        f"age at admission must be {MIN_AGE_AT_ADMISSION} to {MAX_AGE_AT_ADMISSION} (from children.birth_month)",
        ("stays", "children"),
        _age_at_admission_out_of_range,
        why="Secure children's homes admit children from 10 (the age of criminal responsibility, and the youngest "
        "the welfare route places in practice) to 17.",
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
        why="An incident is recorded by the home during a stay; one outside the stay's dates belongs to no stay.",
    ),
    _reference_rule("X18", "mental_health", MentalHealth.stay_id, "stays", Stays.stay_id),
    CrossTableRule(
        "X19",
        "mental_health",
        (MentalHealth.assessment_date,),
        "assessment_date must fall within its stay (admission to discharge)",
        ("mental_health", "stays"),
        _outside_stay("mental_health", MentalHealth.assessment_date),
        why="The assessment is the home's, made during the stay; one outside it belongs to no stay.",
    ),
    # Warnings: judged on the rows accepted, after every rule above; the rows are kept.
    CrossTableRule(
        "W01",
        "referrals",
        (Referrals.referral_id, Referrals.placed),
        "a placed referral has no stay (no stays.referral_id names it)",
        ("referrals", "stays"),
        _placed_without_stay,
        severity=WARNING,
        why="stays.referral_id is recorded only where known, and a child placed just before the data end may be "
        "admitted after it, so real data can hold a placed referral without its stay.",
    ),
    CrossTableRule(
        "W02",
        "stays",
        (Stays.referral_id, Stays.pathway),
        "the stay is on remand and its referral a sentence, or the other way round",
        ("stays", "referrals"),
        _justice_pathway_differs,
        severity=WARNING,
        why="A child remanded may be sentenced during the stay, and systems record the stay's pathway as it "
        "began or as it ended.",
    ),
    CrossTableRule(
        "W03",
        "referrals",
        (Referrals.child_id, Referrals.referral_date),
        "referral_date falls during one of the child's stays",
        ("referrals", "stays"),
        _referral_during_stay,
        severity=WARNING,
        why="A child may be referred again while placed: a move to another secure home, a new order when a "
        "section 25 order runs out, a remand while on a welfare placement.",
    ),
    CrossTableRule(
        "W04",
        "stays",
        (Stays.urn, Stays.pathway),
        "the home's type does not take the stay's pathway (welfare only: welfare; justice only: remand, justice)",
        ("stays", "homes"),
        _home_type_misfits,
        severity=WARNING,
        why="homes holds each home's type now, and a home's registration and contracts change over the years "
        "(a welfare-only home may have held justice places when the stay began).",
    ),
    CrossTableRule(
        "W05",
        "home_capacity",
        (HomeCapacity.places_available, HomeCapacity.children_accommodated),
        "children_accommodated exceeds places_available",
        ("home_capacity",),
        _accommodated_over_available,
        severity=WARNING,
        why="Places available are the staffed places on the day: a home short of staff can hold more children "
        "than it has places available until they move on. Places approved are the legal ceiling, a row rule "
        "that rejects.",
    ),
    CrossTableRule(
        "W06",
        "home_capacity",
        (HomeCapacity.snapshot_date, HomeCapacity.children_accommodated),
        "children_accommodated differs from the stays open at the home on that 31 March",
        ("home_capacity", "stays"),
        _accommodated_differs_from_stays,
        severity=WARNING,
        why="The stays table holds the evaluation's children, which can be fewer than a home holds (children "
        "placed from Wales, stays begun before the first year of the extract), and the return may be counted at "
        "another time of day.",
    ),
)
"""Applied in this order: a table's references are judged after the tables they point to; warnings last."""


@dataclass(frozen=True)
class LoaderRule:
    """A code the loader gives itself: a line or cell that cannot be read, or a kind of pandera check broken."""

    code: str
    applies_to: str
    message: str
    severity: str = REJECT
    why: str = ""


LOADER_RULES: tuple[LoaderRule, ...] = (
    LoaderRule("P00", "a line of a CSV file", "row has N fields but the header has M (the whole line is shown, "
               "or withheld when the file holds identifiers)",
               why="The cells cannot be matched to their columns."),
    LoaderRule("P01", "any text cell", "value longer than 1,000 characters",
               why="No value of the contract is that long; it is a delimiter or quote gone wrong."),
    LoaderRule("P02", "any typed cell", "the cell cannot be read as its type: a date that is not written "
               "YYYY-MM-DD (or YYYY-MM), a date that does not exist, a date outside the range that can be "
               "held, a true/false flag, a whole number or a number that is not one",
               why="A value that cannot be read cannot be judged or used."),
    LoaderRule("T01", "a coded column", "not a valid code of the column's code list"),
    LoaderRule("T02", "a column that may not be empty", "a value is required"),
    LoaderRule("T03", "a date column", "date is before 1990-01-01",
               why="No record of the framework goes back that far: a date before it is a wrong century or a "
               "placeholder."),
    LoaderRule("T04", "a numeric column", "out of range (the column's bound)"),
    LoaderRule("T05", "an id or code with a set form", "does not have the required form (the pattern)"),
    LoaderRule("T06", "an identifier column", "must be 1 to 64 characters"),
    LoaderRule("T07", "a column with its own check", "the check's own message (for example a 31 March)"),
    LoaderRule("T08", "the table's key", "duplicate key: first seen on row N (the first row is kept)"),
    LoaderRule("T09", "a rule across a row's columns", "the rule's own message (see each table's rules)"),
    LoaderRule("T10", "any date column", "date is in the future (after today)",
               why="A date after the day the data are read cannot have happened yet."),
    LoaderRule("W07", "any date column", "date is after the data end (the `data_end` setting)", WARNING,
               why="An extract taken after the data end holds later records that are real; the analyses censor "
               "at the data end, so the rows are kept and counted."),
)  # fmt: skip
"""The codes the loader gives before the cross-table rules, in the order it judges a row."""
