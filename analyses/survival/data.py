"""The analysis frames: one row per leaver stay with its time to the next referral (or admission).

Time is counted in days from discharge (the index date of the leaver cohort,
:func:`outcomes.cohort.build_leaver_cohort`) and reported in months of
``DAYS_PER_MONTH`` days (365.25 / 12). Follow-up of a stay ends at

- the next referral for secure accommodation (the event), or, for the second
  endpoint, the next admission to a secure children's home;
- the data end date (censoring);
- death, where recorded (a competing event);
- the end of eligibility (a competing event). A child can be referred for a
  secure place only while there is time to be admitted before 18: no referral
  is made in the last ``REFERRAL_AGE_LIMIT_DAYS`` days before the (earliest)
  18th birthday, and no admission on or after it. A child discharged after the
  limit is at risk for no time at all and counts as reaching it at time 0, so
  absolute risks stay over all leavers.

The covariates are coded as the synthetic generator codes them
(``synthetic/simulation.py``: ``rereferral_linear_predictor``), so that on
synthetic data the models are correctly specified:

- pathway of the stay (remand and justice against welfare);
- a stay of under 90 nights (nights between admission and discharge);
- age at exit in completed years counted from the first day of the birth month
  (the contract records the month of birth only), ``floor((discharge - first
  day of birth month) / 365.25)``, entered per year over 15
  (``age_at_exit_per_year_over_15`` is that age minus 15);
- a transition plan in place at discharge (stays with it unrecorded are left
  out of the models: a complete-case analysis, reported in the notes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from outcomes.cohort import FollowUp, build_leaver_cohort, time_to_event
from outcomes.contract import codes
from outcomes.contract.tables import Children, Referrals, Stays

DAYS_PER_MONTH = 365.25 / 12
"""Days in a month of follow-up (the generator's month)."""

REFERRAL_AGE_LIMIT_DAYS = 60
"""No referral in the last 60 days before the 18th birthday (17 years 10 months): there is no time to admit."""

BEHAVIOURS: tuple[str, ...] = (
    Referrals.absconding,
    Referrals.adoption_breakdown,
    Referrals.challenging_behaviour,
    Referrals.criminal_exploitation,
    Referrals.disclosed_abuse,
    Referrals.fire_setting,
    Referrals.gang_affiliated,
    Referrals.mental_health,
    Referrals.offending_behaviour,
    Referrals.self_harm,
    Referrals.sexual_exploitation,
    Referrals.sexualised_behaviour,
    Referrals.sexually_harmful_behaviour,
    Referrals.substance_misuse,
)
"""The 14 presented behaviours of Table 3 (flags on the referral)."""

# Outcome codes of the competing-risks status column.
CENSORED, EVENT, AGE_LIMIT, DEATH = 0, 1, 2, 3
STATUS_LABELS = {CENSORED: "censored at data end", EVENT: "event", AGE_LIMIT: "reached 18", DEATH: "died"}

# Column names of the analysis frame (these are the analysis's own, not the contract's).
DURATION = "duration_days"
MONTHS = "duration_months"
STATUS = "status"
EVENT_FLAG = "event"
REMAND = "pathway_remand"
JUSTICE = "pathway_justice"
SHORT_STAY = "short_stay_under_90_nights"
AGE_OVER_15 = "age_at_exit_per_year_over_15"
PLAN = "transition_plan"
FEMALE = "female"
BEHAVIOUR_COUNT = "presented_behaviours"
EXIT_YEAR = "year_of_exit"
LENGTH_OF_STAY = "length_of_stay_days"
AGE_AT_EXIT = "age_at_exit"

GENERATOR_TERMS: tuple[str, ...] = (REMAND, JUSTICE, SHORT_STAY, AGE_OVER_15, PLAN)
"""The terms of the generator's re-referral hazard, named as in ``truth.json``."""


@dataclass(frozen=True)
class Endpoint:
    """What ends a spell at risk: the event, its label, and how long before 18 eligibility ends."""

    name: str
    label: str
    age_limit_days: int


NEXT_REFERRAL = Endpoint("next_referral", "next referral for secure accommodation", REFERRAL_AGE_LIMIT_DAYS)
NEXT_ADMISSION = Endpoint("next_admission", "next admission to a secure children's home", 0)


def leaver_frame(tables: dict[str, pd.DataFrame], data_end: str | pd.Timestamp) -> pd.DataFrame:
    """The leaver cohort with the covariates of the models, one row per discharged stay.

    Parameters
    ----------
    tables : validated contract tables (``children``, ``stays``, ``referrals``; ``care_episodes`` for deaths).
    data_end : last date the data cover.
    """
    children, stays = tables["children"], tables["stays"]
    cohort = build_leaver_cohort(children, stays, FollowUp(pd.Timestamp(data_end)), deaths=_deaths(tables))
    if cohort.empty:
        return cohort
    birth = cohort[Stays.child_id].map(children.set_index(Children.child_id)[Children.birth_month])
    days_since_birth_month = (cohort["index_date"] - pd.to_datetime(birth)).dt.days.to_numpy()
    cohort[AGE_AT_EXIT] = np.floor(days_since_birth_month / 365.25).astype(int)
    pathway = cohort[Stays.pathway]
    cohort[REMAND] = (pathway == codes.Pathway.REMAND.value).astype(float)
    cohort[JUSTICE] = (pathway == codes.Pathway.JUSTICE.value).astype(float)
    cohort[SHORT_STAY] = (cohort[LENGTH_OF_STAY] < 90).astype(float)
    cohort[AGE_OVER_15] = (cohort[AGE_AT_EXIT] - 15).astype(float)
    cohort[PLAN] = cohort[Stays.transition_plan].astype("Float64").astype(float)
    cohort[FEMALE] = (cohort[Children.sex] == codes.Sex.FEMALE.value).astype(float)
    cohort[EXIT_YEAR] = cohort["index_date"].dt.year.astype(int)
    cohort[BEHAVIOUR_COUNT] = _behaviour_count(cohort, stays, tables.get("referrals"))
    return cohort


def _deaths(tables: dict[str, pd.DataFrame]) -> pd.Series | None:
    """Date of death by child, from SSDA903 episodes ceased with REC ``E2`` (as the indicators read it)."""
    from outcomes.contract.tables import CareEpisodes

    episodes = tables.get("care_episodes")
    if episodes is None or episodes.empty:
        return None
    died = episodes[
        (episodes[CareEpisodes.rec] == codes.ReasonEpisodeCeased.E2.value) & episodes[CareEpisodes.child_id].notna()
    ]
    if died.empty:
        return None
    return died.groupby(CareEpisodes.child_id)[CareEpisodes.dec].min()


def _behaviour_count(cohort: pd.DataFrame, stays: pd.DataFrame, referrals: pd.DataFrame | None) -> np.ndarray:
    """Presented behaviours on the referral that led to each stay (unrecorded flags count as absent)."""
    if referrals is None or Stays.referral_id not in stays:
        return np.full(len(cohort), np.nan)
    present = [b for b in BEHAVIOURS if b in referrals]
    counts = referrals[present].fillna(False).astype(bool).sum(axis=1)
    by_referral = pd.Series(counts.to_numpy(), index=referrals[Referrals.referral_id].to_numpy())
    referral_of_stay = cohort[Stays.stay_id].map(stays.set_index(Stays.stay_id)[Stays.referral_id])
    return referral_of_stay.map(by_referral).astype(float).to_numpy()


def time_to_next(cohort: pd.DataFrame, tables: dict[str, pd.DataFrame], endpoint: Endpoint) -> pd.DataFrame:
    """Each leaver's time to the endpoint, with the competing-risks status.

    Uses :func:`outcomes.cohort.time_to_event` with the 18th birthday moved
    ``endpoint.age_limit_days`` (plus one) earlier, so that follow-up runs
    through the last day on which the event can still happen.

    Returns
    -------
    ``cohort`` with ``duration_days``, ``duration_months``, ``status``
    (0 censored at the data end, 1 event, 2 reached the age limit, 3 died) and
    ``event`` (status == 1).
    """
    if endpoint is NEXT_ADMISSION:
        events = tables["stays"][[Stays.child_id, Stays.admission_date]]
        date_column = Stays.admission_date
    else:
        events = tables["referrals"][[Referrals.child_id, Referrals.referral_date]]
        date_column = Referrals.referral_date
    # time_to_event counts an event on the censoring day: the last day at risk is the limit minus one day.
    shifted = cohort.assign(turns_18=cohort["turns_18"] - pd.Timedelta(days=endpoint.age_limit_days + 1))
    timed = time_to_event(shifted, events, date_column=date_column, censor_at_18=True)
    status = timed["censor_reason"].map({"event": EVENT, "data_end": CENSORED, "age_18": AGE_LIMIT, "death": DEATH})
    out = cohort.copy()
    out[DURATION] = timed["duration_days"].to_numpy()
    out[MONTHS] = out[DURATION] / DAYS_PER_MONTH
    out[STATUS] = status.astype(int).to_numpy()
    out[EVENT_FLAG] = (out[STATUS] == EVENT).astype(int)
    return out


def spells_at_risk_of_referral(referral: pd.DataFrame, admission: pd.DataFrame) -> pd.DataFrame:
    """Each leaver's spell in the community: from discharge to the next admission, capped where referrals stop.

    A referral that does not lead to a placement leaves the child at risk of
    another, so a spell runs to the next admission (or the data end, or death)
    and no further than the last day a referral can be made before 18.
    ``referral`` and ``admission`` are :func:`time_to_next` frames of the same cohort.
    """
    last_day = referral["turns_18"] - pd.Timedelta(days=REFERRAL_AGE_LIMIT_DAYS + 1) - referral["index_date"]
    limit = last_day.dt.days.clip(lower=0).to_numpy()
    return referral.assign(**{DURATION: np.minimum(admission[DURATION].to_numpy(), limit)})
