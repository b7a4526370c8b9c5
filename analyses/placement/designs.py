"""Design matrices of the placement models, built from the analysis frame.

Coding (the same as the synthetic generator's true model, so its log odds
ratios can be recovered; see ``synthetic/calibration.py``, ``PlacementModel``):

- one intercept per referral year (``year[2019]``), no common intercept;
- ``female`` (0/1), ``age_at_referral`` (whole years, linear),
  ``previous_secure_placement`` (0/1);
- behaviours either with one coefficient per year (``self_harm[2019]``: the
  generator's placement model is fitted to Table 3 year by year, so its
  behaviour effects differ by year) or with one coefficient across years
  (``self_harm``).

Behaviours not recorded in a year (criminal exploitation and disclosed abuse
before 2020) are handled as a *not-recorded category*: the flag is set to 0
for those years, and the not-recorded indicator is the year's own intercept,
so their coefficients are estimated from the years that record them only (from
2020), while every other coefficient uses every year. A behaviour recorded for
some referrals of a year but not others keeps its not-recorded indicator as a
column of its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyses.placement.data import (
    AGE,
    BEHAVIOUR_COUNT,
    BEHAVIOURS,
    CHILD,
    FEMALE,
    HARDEST_TO_PLACE,
    LOCAL_AUTHORITY,
    PATHWAY,
    PLACED,
    PREVIOUS,
    YEAR,
)
from analyses.placement.models import Design, Term
from outcomes.contract.codes import Pathway

COVARIATES: tuple[str, ...] = (FEMALE, AGE, PREVIOUS)


def year_term(year: int) -> str:
    return f"year[{year}]"


def by_year_term(behaviour: str, year: int) -> str:
    return f"{behaviour}[{year}]"


def interaction_term(first: str, second: str) -> str:
    return f"{first}:{second}"


def pathway_term(pathway: str) -> str:
    return f"pathway[{pathway}]"


def _clusters(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {"local_authority": frame[LOCAL_AUTHORITY].to_numpy(), "child": frame[CHILD].to_numpy()}


def _base(frame: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, Term]]:
    """Year intercepts and the three person covariates."""
    columns: dict[str, np.ndarray] = {}
    terms: dict[str, Term] = {}
    everyone = np.ones(len(frame), dtype=bool)
    for year in sorted(frame[YEAR].unique()):
        in_year = (frame[YEAR] == year).to_numpy()
        columns[year_term(year)] = in_year.astype(float)
        terms[year_term(year)] = Term(year_term(year), "intercept", in_year, in_year.astype(float), reported=False)
    for name in COVARIATES:
        values = frame[name].to_numpy(dtype=float)
        indicator = None if name == AGE else values
        columns[name] = values
        terms[name] = Term(name, "covariate", everyone, indicator)
    return columns, terms


def _pooled_behaviours(frame: pd.DataFrame, behaviours: tuple[str, ...]) -> tuple[dict, dict]:
    columns: dict[str, np.ndarray] = {}
    terms: dict[str, Term] = {}
    year = frame[YEAR].to_numpy()
    for behaviour in behaviours:
        flag = frame[behaviour].to_numpy(dtype=float)
        recorded = ~np.isnan(flag)
        values = np.where(recorded, flag, 0.0)
        columns[behaviour] = values
        terms[behaviour] = Term(behaviour, "behaviour", recorded, values)
        # Missing for whole years only: the year intercepts are the not-recorded category.
        whole_years = all(recorded[year == y].all() or not recorded[year == y].any() for y in np.unique(year))
        if not whole_years:
            name = f"{behaviour}_not_recorded"
            columns[name] = (~recorded).astype(float)
            terms[name] = Term(name, "not_recorded", np.ones(len(frame), bool), (~recorded).astype(float), False)
    return columns, terms


def _by_year_behaviours(frame: pd.DataFrame) -> tuple[dict, dict]:
    columns: dict[str, np.ndarray] = {}
    terms: dict[str, Term] = {}
    year = frame[YEAR].to_numpy()
    for behaviour in BEHAVIOURS:
        flag = frame[behaviour].to_numpy(dtype=float)
        for y in sorted(np.unique(year)):
            in_year = year == y
            recorded = in_year & ~np.isnan(flag)
            if not recorded.any():
                continue  # not recorded that year: the year's intercept is the not-recorded category
            name = by_year_term(behaviour, int(y))
            values = np.where(recorded, flag, 0.0)
            columns[name] = values
            terms[name] = Term(name, "behaviour", recorded, values)
            if (in_year & np.isnan(flag)).any():
                extra = f"{name}_not_recorded"
                columns[extra] = (in_year & np.isnan(flag)).astype(float)
                terms[extra] = Term(extra, "not_recorded", in_year, columns[extra], False)
    return columns, terms


def _design(name: str, frame: pd.DataFrame, columns: dict, terms: dict, description: str) -> Design:
    return Design(
        name=name,
        X=pd.DataFrame(columns, index=frame.index),
        y=frame[PLACED].to_numpy(dtype=float),
        terms=terms,
        clusters=_clusters(frame),
        description=description,
    )


def by_year(frame: pd.DataFrame, *, interactions: bool = False, name: str = "logit_by_year") -> Design:
    """Behaviour effects that differ by year, as the generator's; with ``interactions``, the hardest-to-place pairs."""
    columns, terms = _base(frame)
    more_columns, more_terms = _by_year_behaviours(frame)
    columns.update(more_columns)
    terms.update(more_terms)
    if interactions:
        for i, first in enumerate(HARDEST_TO_PLACE):
            for second in HARDEST_TO_PLACE[i + 1 :]:
                a = frame[first].fillna(0).to_numpy(dtype=float)
                b = frame[second].fillna(0).to_numpy(dtype=float)
                term = interaction_term(first, second)
                columns[term] = a * b
                support = (frame[first].notna() & frame[second].notna()).to_numpy()
                terms[term] = Term(term, "interaction", support, a * b)
    description = "behaviour effects by year, year intercepts, female, age, previous placement"
    if interactions:
        description += ", and the pairwise interactions of " + ", ".join(HARDEST_TO_PLACE)
    return _design(name, frame, columns, terms, description)


def pooled(frame: pd.DataFrame, *, name: str = "logit_pooled") -> Design:
    """One effect per behaviour across years, with year intercepts, female, age and previous placement."""
    columns, terms = _base(frame)
    more_columns, more_terms = _pooled_behaviours(frame, BEHAVIOURS)
    columns.update(more_columns)
    terms.update(more_terms)
    return _design(
        name, frame, columns, terms, "one effect per behaviour across years, year intercepts, female, age, previous"
    )


def multimorbidity(frame: pd.DataFrame, *, name: str = "logit_behaviour_count") -> Design:
    """The number of behaviours presented instead of the behaviours themselves."""
    columns, terms = _base(frame)
    columns[BEHAVIOUR_COUNT] = frame[BEHAVIOUR_COUNT].to_numpy(dtype=float)
    terms[BEHAVIOUR_COUNT] = Term(BEHAVIOUR_COUNT, "count", np.ones(len(frame), bool), None)
    return _design(
        name, frame, columns, terms, "number of behaviours presented, year intercepts, female, age, previous"
    )


def pathways(frame: pd.DataFrame, *, name: str = "logit_pathway") -> Design:
    """Every route's referrals: pathway (welfare the reference) adjusted for the behaviours and covariates."""
    columns, terms = _base(frame)
    for pathway in (Pathway.REMAND.value, Pathway.JUSTICE.value):
        values = (frame[PATHWAY].astype(str) == pathway).to_numpy(dtype=float)
        columns[pathway_term(pathway)] = values
        terms[pathway_term(pathway)] = Term(pathway_term(pathway), "pathway", np.ones(len(frame), bool), values)
    more_columns, more_terms = _pooled_behaviours(frame, BEHAVIOURS)
    columns.update(more_columns)
    terms.update(more_terms)
    return _design(
        name, frame, columns, terms, "pathway, one effect per behaviour, year intercepts, female, age, previous"
    )
