"""The leaver cohort: one row per stay that ended, with follow-up windows and censoring.

Every long-term outcome is measured from the day a child left a secure home
(the *index date*). A child who left near the end of the data has not been
followed for 24 months, and a child who turns 18 leaves the scope of
children's outcomes; counting them as "no re-referral" would bias every
figure downwards. This module therefore records, for each stay, how long it
could be followed and why follow-up stopped, and gives the time to a later
event with the censoring made explicit.

Ages use the month of birth only (the contract holds no day), taken as the
first day of the month: an age may be overstated by up to a month, and the
18th birthday is taken at the earliest it can be, so censoring at 18 is never
late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from outcomes.contract.tables import Children, Stays

DEFAULT_WINDOWS_MONTHS: tuple[int, ...] = (6, 12, 24)
AGE_BANDS: tuple[tuple[str, int, int], ...] = (("10-13", 10, 13), ("14-15", 14, 15), ("16-17", 16, 17))


class LeaverCohort(pa.DataFrameModel):
    """One row per stay in a secure children's home that ended before the data end date."""

    stay_id: Series[str] = pa.Field(unique=True, description="Stay.")
    child_id: Series[str] = pa.Field(description="Pseudonymous child.")
    urn: Series[str] = pa.Field(description="Home.")
    pathway: Series[str] = pa.Field(description="Pathway of the stay.")
    sex: Series[str] = pa.Field(description="Sex, SSDA903 code.")
    ethnicity: Series[str] = pa.Field(description="Ethnicity, SSDA903 code.")
    local_authority: Series[str] = pa.Field(description="Responsible local authority.")
    admission_date: Series[pd.Timestamp] = pa.Field(description="Admission.")
    index_date: Series[pd.Timestamp] = pa.Field(description="Discharge date: the day follow-up starts.")
    length_of_stay_days: Series[int] = pa.Field(ge=0, description="Nights in the home.")
    age_at_exit: Series[int] = pa.Field(ge=0, description="Age in whole years at discharge.")
    age_band: Series[str] = pa.Field(description="Age band at discharge.")
    destination: Series[str] = pa.Field(nullable=True, description="Destination on discharge.")
    transition_plan: Series[pd.BooleanDtype] = pa.Field(nullable=True, description="Transition plan in place.")
    turns_18: Series[pd.Timestamp] = pa.Field(description="Earliest possible 18th birthday.")
    death_date: Series[pd.Timestamp] = pa.Field(nullable=True, description="Date of death where recorded.")
    follow_up_end: Series[pd.Timestamp] = pa.Field(description="End of follow-up: data end or death.")


@dataclass(frozen=True)
class FollowUp:
    """How leavers are followed.

    Parameters
    ----------
    data_end : the last date the follow-up sources cover.
    windows_months : the follow-up windows, in months after discharge.
    """

    data_end: pd.Timestamp
    windows_months: tuple[int, ...] = DEFAULT_WINDOWS_MONTHS

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_end", pd.Timestamp(self.data_end))
        if not self.windows_months or any(w <= 0 for w in self.windows_months):
            raise ValueError(f"follow-up windows must be positive numbers of months, not {self.windows_months}")


def age_in_years(birth_month: pd.Series, on: pd.Series) -> pd.Series:
    """Whole years between the first of the birth month and a date."""
    years = on.dt.year - birth_month.dt.year
    before_birthday = (on.dt.month < birth_month.dt.month) | (
        (on.dt.month == birth_month.dt.month) & (on.dt.day < birth_month.dt.day)
    )
    return (years - before_birthday.astype(int)).astype(int)


def age_band(age: pd.Series) -> pd.Series:
    """The published age bands; ages outside 10 to 17 are labelled ``other``."""
    labels = np.full(len(age), "other", dtype=object)
    for label, low, high in AGE_BANDS:
        labels[(age >= low).to_numpy() & (age <= high).to_numpy()] = label
    return pd.Series(labels, index=age.index, dtype=str)


def build_leaver_cohort(
    children: pd.DataFrame,
    stays: pd.DataFrame,
    follow_up: FollowUp,
    deaths: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per stay discharged on or before the data end date.

    Parameters
    ----------
    children, stays : validated contract tables.
    follow_up : data end date and windows.
    deaths : date of death by child id, where known (for example SSDA903 REC ``E2``).

    Returns
    -------
    DataFrame following :class:`LeaverCohort`, plus for each window ``w``
    the columns ``window_end_{w}m`` and ``complete_{w}m`` (the child could be
    followed for the whole window), sorted by ``stay_id``.
    """
    ended = stays[stays[Stays.discharge_date].notna() & (stays[Stays.discharge_date] <= follow_up.data_end)]
    child_columns = [
        Children.child_id,
        Children.sex,
        Children.birth_month,
        Children.ethnicity,
        Children.local_authority,
    ]
    cohort = ended.merge(children[child_columns], on=Stays.child_id, how="left", validate="many_to_one")
    cohort = cohort.rename(columns={Stays.discharge_date: "index_date"})
    cohort["length_of_stay_days"] = (cohort["index_date"] - cohort[Stays.admission_date]).dt.days.astype(int)
    cohort["age_at_exit"] = age_in_years(cohort[Children.birth_month], cohort["index_date"])
    cohort["age_band"] = age_band(cohort["age_at_exit"])
    cohort["turns_18"] = cohort[Children.birth_month] + pd.DateOffset(years=18)
    death = cohort[Stays.child_id].map(deaths) if deaths is not None else pd.Series(pd.NaT, index=cohort.index)
    cohort["death_date"] = pd.to_datetime(death)
    cohort["follow_up_end"] = cohort["death_date"].where(cohort["death_date"] < follow_up.data_end, follow_up.data_end)
    for months in follow_up.windows_months:
        window_end = cohort["index_date"] + pd.DateOffset(months=months)
        cohort[f"window_end_{months}m"] = window_end
        cohort[f"complete_{months}m"] = window_end <= cohort["follow_up_end"]
    columns = list(LeaverCohort.to_schema().columns) + [
        c for months in follow_up.windows_months for c in (f"window_end_{months}m", f"complete_{months}m")
    ]
    cohort[Stays.transition_plan] = cohort[Stays.transition_plan].astype("boolean")
    for column in (Stays.stay_id, Stays.child_id, Stays.urn, Stays.pathway, Children.sex, Children.ethnicity):
        cohort[column] = cohort[column].astype(str)
    cohort[Children.local_authority] = cohort[Children.local_authority].astype(str)
    return cohort[columns].sort_values(Stays.stay_id, kind="stable").reset_index(drop=True)


def time_to_event(
    cohort: pd.DataFrame,
    events: pd.DataFrame,
    *,
    date_column: str,
    censor_at_18: bool = False,
    horizon_months: int | None = None,
) -> pd.DataFrame:
    """Time from discharge to the first later event, with censoring.

    Parameters
    ----------
    cohort : the leaver cohort.
    events : rows with ``child_id`` and a date column (re-referrals, re-admissions ...).
        An event counts when it falls strictly after the index date.
    date_column : the events' date column.
    censor_at_18 : stop follow-up at the 18th birthday (for outcomes of children only).
    horizon_months : stop follow-up this many months after discharge.

    Returns
    -------
    DataFrame indexed like ``cohort`` with ``duration_days`` (to the event or to
    censoring), ``event`` (1 if the event was seen, 0 if censored) and
    ``censor_reason`` (``event``, ``data_end``, ``death``, ``age_18`` or ``horizon``).
    """
    keyed = cohort[["child_id", "index_date"]].reset_index(names="_row")
    later = keyed.merge(events[["child_id", date_column]], on="child_id", how="inner")
    later = later[later[date_column] > later["index_date"]]
    first_event = later.groupby("_row")[date_column].min().reindex(keyed["_row"]).to_numpy()

    limits = {"data_end": cohort["follow_up_end"].where(cohort["death_date"].isna())}
    limits["death"] = cohort["death_date"]
    if censor_at_18:
        limits["age_18"] = cohort["turns_18"]
    if horizon_months is not None:
        limits["horizon"] = cohort["index_date"] + pd.DateOffset(months=horizon_months)
    limit_frame = pd.DataFrame({reason: pd.to_datetime(values) for reason, values in limits.items()})
    censor_date = limit_frame.min(axis=1)
    censor_reason = limit_frame.idxmin(axis=1)

    first_event = pd.Series(pd.to_datetime(first_event), index=cohort.index)
    observed = first_event.notna() & (first_event <= censor_date)
    end = first_event.where(observed, censor_date)
    duration = (end - cohort["index_date"]).dt.days.clip(lower=0)
    return pd.DataFrame(
        {
            "duration_days": duration.astype(int),
            "event": observed.astype(int),
            "censor_reason": censor_reason.where(~observed, "event"),
        },
        index=cohort.index,
    )


def window_columns(windows_months: Sequence[int]) -> list[str]:
    """Names of the completeness flags for the given windows."""
    return [f"complete_{months}m" for months in windows_months]
