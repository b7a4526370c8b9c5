"""The analysis frame: one row per referral, with what the placement models need.

Columns are built from the data contract (``Referrals``, ``Children``,
``Stays``); the derived ones are named here once:

- ``year``: calendar year of the referral date;
- ``female``: 1 if the child's SSDA903 sex code is 2;
- ``age_at_referral``: whole years from the first day of the birth month to the
  referral date (``floor(days / 365.25)``), the only age the contract allows
  (it stores the month of birth, not the day);
- ``previous_secure_placement``: 1 if the child was admitted to a secure
  children's home before the referral date (any stay in ``stays``; without a
  stays table, an earlier placed referral of the same child);
- ``days_to_placement``: days from the referral to the admission its stay
  records (placed referrals only);
- ``local_authority``: the child's responsible local authority (for clustering
  and the fixed-effects model).

Behaviour flags stay nullable: a missing flag means *not recorded* (criminal
exploitation and disclosed abuse before 2020), never *absent*.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from outcomes.contract.codes import Behaviour, Route
from outcomes.contract.tables import Children, Referrals, Stays
from outcomes.errors import OutcomesError

BEHAVIOURS: tuple[str, ...] = tuple(Behaviour.codes())
"""The 14 presented behaviours of Table 3, in the contract's order."""

HARDEST_TO_PLACE: tuple[str, ...] = (
    Behaviour.CHALLENGING_BEHAVIOUR.value,
    Behaviour.GANG_AFFILIATED.value,
    Behaviour.SEXUALLY_HARMFUL_BEHAVIOUR.value,
)
"""The behaviours the 2022 report names as hardest to place; their pairwise interactions are modelled."""

YEAR = "year"
FEMALE = "female"
AGE = "age_at_referral"
PREVIOUS = "previous_secure_placement"
DAYS_TO_PLACEMENT = "days_to_placement"
LOCAL_AUTHORITY = Children.local_authority
CHILD = Referrals.child_id
PLACED = Referrals.placed
ROUTE = Referrals.route
PATHWAY = Referrals.pathway
BEHAVIOUR_COUNT = "behaviours_presented"
SWCU = Route.SWCU.value
YCS = Route.YCS.value

DAYS_PER_YEAR = 365.25


class PlacementDataError(OutcomesError, ValueError):
    """The tables cannot support the placement analysis (a table or column is missing, or nothing is left).

    The command line prints the message and exits with status 2, without a traceback.
    """

    exit_code = 2


@dataclass
class AnalysisFrame:
    """Referrals ready for modelling, and what was left out on the way (for the notes)."""

    frame: pd.DataFrame
    excluded: dict[str, int] = field(default_factory=dict)
    previous_source: str = "stays"


def _require(tables: dict[str, pd.DataFrame], name: str, columns: list[str]) -> pd.DataFrame:
    if name not in tables or tables[name] is None:
        raise PlacementDataError(f"the placement analysis needs the {name} table, which the data folder lacks.")
    table = tables[name]
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise PlacementDataError(f"table {name}: missing column(s) {', '.join(missing)} the placement analysis needs.")
    return table


def build_frame(tables: dict[str, pd.DataFrame], *, first_year: int, last_year: int) -> AnalysisFrame:
    """One row per referral made from ``first_year`` to ``last_year``, with the model covariates.

    Parameters
    ----------
    tables : the loaded contract tables (``referrals`` and ``children`` needed; ``stays`` used when present).
    first_year, last_year : calendar years of referral kept (the settings' referral years).

    Raises
    ------
    PlacementDataError
        A table or column is missing, or no referral is left.
    """
    referral_columns = [
        Referrals.referral_id,
        Referrals.child_id,
        Referrals.referral_date,
        Referrals.pathway,
        Referrals.route,
        Referrals.placed,
        *BEHAVIOURS,
    ]
    referrals = _require(tables, "referrals", referral_columns)
    children = _require(tables, "children", [Children.child_id, Children.sex, Children.birth_month, LOCAL_AUTHORITY])
    excluded: dict[str, int] = {}

    frame = referrals[referral_columns].copy()
    frame[Referrals.referral_date] = pd.to_datetime(frame[Referrals.referral_date])
    frame[YEAR] = frame[Referrals.referral_date].dt.year.astype(int)
    in_years = frame[YEAR].between(first_year, last_year)
    excluded[f"referred outside {first_year} to {last_year}"] = int((~in_years).sum())
    frame = frame[in_years]
    unknown_outcome = frame[PLACED].isna()
    excluded["placement decision not recorded"] = int(unknown_outcome.sum())
    frame = frame[~unknown_outcome]

    child_columns = children[[Children.child_id, Children.sex, Children.birth_month, LOCAL_AUTHORITY]]
    frame = frame.merge(child_columns, on=Referrals.child_id, how="left", validate="many_to_one")
    no_child = frame[Children.birth_month].isna() | frame[LOCAL_AUTHORITY].isna() | frame[Children.sex].isna()
    excluded["child not in the children table (or no sex, birth month or local authority)"] = int(no_child.sum())
    frame = frame[~no_child].copy()

    days_old = (frame[Referrals.referral_date] - pd.to_datetime(frame[Children.birth_month])).dt.days
    frame[AGE] = np.floor(days_old.to_numpy(dtype=float) / DAYS_PER_YEAR)
    frame[FEMALE] = (frame[Children.sex].astype(str) == "2").astype(float)
    frame[PLACED] = frame[PLACED].astype(bool)
    frame[LOCAL_AUTHORITY] = frame[LOCAL_AUTHORITY].astype(str)
    frame[CHILD] = frame[CHILD].astype(str)
    for behaviour in BEHAVIOURS:
        frame[behaviour] = frame[behaviour].astype("boolean").astype("Float64").astype(float)

    stays = tables.get("stays")
    if stays is not None and {Stays.child_id, Stays.admission_date}.issubset(stays.columns):
        previous_source = "stays"
        admissions = stays[[Stays.child_id, Stays.admission_date]].copy()
        admissions[Stays.admission_date] = pd.to_datetime(admissions[Stays.admission_date])
        first_admission = admissions.groupby(Stays.child_id)[Stays.admission_date].min()
        frame[PREVIOUS] = (
            frame[CHILD].map(first_admission).lt(frame[Referrals.referral_date]).fillna(False).astype(float)
        )
        if Stays.referral_id in stays.columns:
            admission_of = (
                stays.dropna(subset=[Stays.referral_id])
                .assign(**{Stays.admission_date: lambda s: pd.to_datetime(s[Stays.admission_date])})
                .groupby(Stays.referral_id)[Stays.admission_date]
                .min()
            )
            admitted = frame[Referrals.referral_id].map(admission_of)
            frame[DAYS_TO_PLACEMENT] = (admitted - frame[Referrals.referral_date]).dt.days.astype(float)
        else:
            frame[DAYS_TO_PLACEMENT] = np.nan
    else:
        previous_source = "referrals"
        placed_dates = frame.loc[frame[PLACED], [CHILD, Referrals.referral_date]]
        first_placed = placed_dates.groupby(CHILD)[Referrals.referral_date].min()
        frame[PREVIOUS] = frame[CHILD].map(first_placed).lt(frame[Referrals.referral_date]).fillna(False).astype(float)
        frame[DAYS_TO_PLACEMENT] = np.nan
    frame.loc[~frame[PLACED], DAYS_TO_PLACEMENT] = np.nan

    recorded = frame[list(BEHAVIOURS)]
    frame[BEHAVIOUR_COUNT] = recorded.fillna(0.0).sum(axis=1)
    frame = frame.sort_values([Referrals.referral_date, Referrals.referral_id], kind="stable").reset_index(drop=True)
    if frame.empty:
        raise PlacementDataError(
            f"no referral from {first_year} to {last_year} has a recorded decision and a known child: "
            "nothing to analyse."
        )
    return AnalysisFrame(
        frame=frame, excluded={k: v for k, v in excluded.items() if v}, previous_source=previous_source
    )


def recorded_behaviours(frame: pd.DataFrame) -> list[str]:
    """Behaviours recorded (not missing) for every referral of ``frame``."""
    return [b for b in BEHAVIOURS if frame[b].notna().all()]
