"""Indicators: the declaration, the data they read, the family base classes and the result.

An indicator is one class in one module of the ``indicators`` package. It holds a
:class:`Declaration` (metadata modelled on Fingertips' indicator metadata) and the
few lines that say what to count; its family base class does the rest::

    class MentalHealthNeedsMet(ProportionIndicator):
        declaration = Declaration(code="mh_needs_met", ...)

        def denominator(self, data):
            return data.leavers[...]                 # one row per unit counted

        def numerator(self, data, units):
            return units.stay_id.isin(...)           # True where the unit counts

The families and what a concrete indicator writes:

==================  =============================================  ==================
family              writes                                         interval
==================  =============================================  ==================
ProportionIndicator ``denominator(data)``, ``numerator(data, u)``   Wilson score
RateIndicator       ``denominator(data)`` with ``exposure``,        exact Poisson / Byar,
                    ``numerator(data, u)`` (events per unit)       or quasi-Poisson
                    (``cluster_column`` for overdispersion)        across clusters
DurationIndicator   ``durations(data)`` with ``duration``           median, order statistics
TimeToEventIndicator ``events(data)`` (``child_id``, ``event_date``) Aalen-Johansen
                    (``estimator = "kaplan_meier"`` for the       (competing events)
                    sensitivity figure)                            or Kaplan-Meier
MeanIndicator       ``values(data)`` with ``value``                 Student's t
MeanChangeIndicator ``before_after(data)`` with ``before``,         Student's t
                    ``after``
==================  =============================================  ==================

Every unit frame carries ``period_date`` (the date that puts the unit in a
time period) and the breakdown columns ``pathway``, ``urn``, ``sex`` and
``age_band`` where they apply. :class:`IndicatorData` provides ready-made unit
frames (:attr:`IndicatorData.leavers`, :attr:`IndicatorData.referrals`,
:attr:`IndicatorData.capacity`) that already carry them.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa

from outcomes import statistics
from outcomes.cohort import FollowUp, age_band, age_in_years, build_leaver_cohort, time_to_event
from outcomes.contract import codes
from outcomes.contract.tables import (
    TABLES,
    CareEpisodes,
    Children,
    HomeCapacity,
    Referrals,
    Stays,
)
from outcomes.disclosure import DEFAULT_THRESHOLD, apply_disclosure_control
from outcomes.errors import ConfigurationError

DEFAULT_DATA_END = pd.Timestamp("2024-03-31")

TABLE6_OUTCOMES: dict[str, tuple[str, ...]] = {
    "short": (
        "Meeting mental health needs of placed children",
        "Length of placement",
        "Self-harm rates",
        "Meeting placement demand",
        "Well-being of placed children",
        "Children placed in SCHs instead of YOIs",
    ),
    "long": (
        "Resettlement and community reintegration",
        "Health outcomes (e.g. vaccinations and dental treatment)",
        "Educational attainment",
        "Re-referrals",
        "Placement stability",
    ),
}
"""The outcomes of Table 6 of the 2022 report, word for word (reference/table6_outcomes.csv)."""

OUTCOME_LABEL_PREFIXES = ("Pragmatic: ", "Context: ", "Sensitivity: ")
"""A declaration not measuring a Table 6 outcome says which kind of figure it is instead.

``Sensitivity: `` marks a figure published beside a headline indicator to show how much a choice of
method matters (Kaplan-Meier beside Aalen-Johansen, a Poisson interval beside an overdispersed one);
it is not a measure in its own right."""

TERMS = ("short", "long", "context")
POLARITIES = ("higher_is_better", "lower_is_better", "no_judgement")
PERIODS = ("financial_year", "calendar_year")
STANDARD_BREAKDOWNS: tuple[str, ...] = ("all", "pathway", "home", "sex", "age_band")
BREAKDOWN_COLUMNS: dict[str, str] = {
    "pathway": "pathway",
    "route": "route",
    "home": "urn",
    "sex": "sex",
    "age_band": "age_band",
}
MULTI_VALUED_BREAKDOWNS: dict[str, tuple[str, ...]] = {"behaviour": tuple(codes.Behaviour.codes())}
"""Breakdowns whose cells overlap: a unit counts in every cell whose flag column is true."""
RUN_WINDOWS = "run"
"""``Declaration.windows`` value: use the follow-up windows the run was given (6, 12, 24 months by default)."""
UNKNOWN = "unknown"
MIN_AT_RISK_AT_WINDOW_END = 10
"""A time-to-event window estimate is published only if at least this many children are still followed
(at risk) at the window's end, or if nobody in the cell was censored before it (every outcome is then
known and the estimate is a plain share). Below 10, the estimate leans on a handful of children for the
mass of everyone censored earlier: one more event among 9 at risk moves it by more than a tenth of what
is left. The rule is about reliability, so it holds whatever the suppression threshold; the cell's counts
are still published (and suppressed as usual), its value and interval are not."""

TIDY_COLUMNS: list[str] = [
    "indicator",
    "time_period",
    "window_months",
    "breakdown",
    "breakdown_value",
    "numerator",
    "denominator",
    "n",
    "value",
    "ci_lower",
    "ci_upper",
    "unit",
    "suppressed",
    "status",
    "note",
]
"""Columns of every indicator result, in this order.

``n`` is the number of units (children, stays, referrals, places) behind the cell;
``window_months`` is empty for indicators without a follow-up window; ``status`` is
``ok``, ``suppressed``, ``not_estimable``, ``no_data`` or ``not_available``.
"""

STATUS_OK = "ok"
STATUS_NOT_AVAILABLE = "not_available"
STATUS_NOT_ESTIMABLE = "not_estimable"
STATUS_NO_DATA = "no_data"


# --- declaration -----------------------------------------------------------------


def uses(model: type[pa.DataFrameModel], *columns: str) -> tuple[str, tuple[str, ...]]:
    """Name a contract table and the columns of it an indicator reads.

    ``uses(Stays, Stays.admission_date)`` gives ``("stays", ("admission_date",))``.
    A column the model does not declare is a :class:`ConfigurationError`.
    """
    names = [name for name, table in TABLES.items() if table.model is model]
    if not names:
        raise ConfigurationError(f"{model.__name__} is not a table of the data contract")
    declared = set(TABLES[names[0]].columns)
    unknown = [column for column in columns if column not in declared]
    if unknown:
        raise ConfigurationError(f"{model.__name__} has no column(s) {unknown}; see outcomes/contract/tables.py")
    return names[0], tuple(columns)


@dataclass(frozen=True)
class Declaration:
    """What an indicator measures and how; modelled on Fingertips' indicator metadata.

    Parameters
    ----------
    code : unique, lower-case identifier (``rereferral``); the registry fails on a duplicate.
    title : short title for tables and charts.
    term : ``short``, ``long`` or ``context``.
    table6_outcome : the Table 6 outcome it measures, word for word, or a label
        starting ``Pragmatic: `` or ``Context: `` for figures stakeholders asked for.
    definition : one or two sentences a reader outside the project understands.
    numerator, denominator : what is counted, in words.
    unit : ``%``, ``per 1,000 nights``, ``days``, ``points`` ...
    polarity : ``higher_is_better``, ``lower_is_better`` or ``no_judgement``.
    needs : tables and columns read, each from :func:`uses`.
    source : where the definition comes from.
    breakdowns : the cuts published (``all`` first).
    caveats : what a reader must know to read the figure.
    windows : follow-up windows in months, :data:`RUN_WINDOWS`, or None for no window.
    period : how units are put into time periods (``financial_year`` April to March, or ``calendar_year``).
    version : bumped when the definition changes.
    ci_method : set by the family when left empty.
    """

    code: str
    title: str
    term: Literal["short", "long", "context"]
    table6_outcome: str
    definition: str
    numerator: str
    denominator: str
    unit: str
    polarity: Literal["higher_is_better", "lower_is_better", "no_judgement"]
    needs: tuple[tuple[str, tuple[str, ...]], ...]
    source: str
    breakdowns: tuple[str, ...] = STANDARD_BREAKDOWNS
    caveats: tuple[str, ...] = ()
    windows: tuple[int, ...] | str | None = None
    period: Literal["financial_year", "calendar_year"] = "financial_year"
    version: str = "1.0"
    ci_method: str = ""

    def problems(self) -> list[str]:
        """What is missing or wrong in the declaration (empty when complete)."""
        found = []
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name in ("caveats", "windows", "ci_method"):
                continue
            if value in ("", (), None):
                found.append(f"{item.name} is empty")
        if not self.code.replace("_", "").isalnum() or self.code.lower() != self.code:
            found.append(f"code {self.code!r} must be lower-case letters, digits and underscores")
        if self.term not in TERMS:
            found.append(f"term {self.term!r} is not one of {TERMS}")
        if self.polarity not in POLARITIES:
            found.append(f"polarity {self.polarity!r} is not one of {POLARITIES}")
        if self.period not in PERIODS:
            found.append(f"period {self.period!r} is not one of {PERIODS}")
        table6 = {outcome for outcomes in TABLE6_OUTCOMES.values() for outcome in outcomes}
        if self.table6_outcome not in table6 and not self.table6_outcome.startswith(OUTCOME_LABEL_PREFIXES):
            found.append(
                f"table6_outcome {self.table6_outcome!r} is neither a Table 6 outcome nor labelled "
                f"{' or '.join(repr(p) for p in OUTCOME_LABEL_PREFIXES)}"
            )
        for outcome_term, outcomes in TABLE6_OUTCOMES.items():
            if self.table6_outcome in outcomes and self.term != outcome_term:
                found.append(f"{self.table6_outcome!r} is a {outcome_term}-term outcome, not {self.term}")
        if self.breakdowns[:1] != ("all",):
            found.append("breakdowns must start with 'all'")
        known = set(BREAKDOWN_COLUMNS) | set(MULTI_VALUED_BREAKDOWNS) | {"all"}
        found += [f"unknown breakdown {b!r}" for b in self.breakdowns if b not in known]
        if isinstance(self.windows, str) and self.windows != RUN_WINDOWS:
            found.append(f"windows must be a tuple of months, {RUN_WINDOWS!r} or None")
        return found

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(table for table, _ in self.needs)

    def describe(self) -> str:
        """The declaration as text, one field a line."""
        lines = []
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "needs":
                value = "; ".join(f"{table} ({', '.join(columns)})" for table, columns in value)
            elif item.name == "caveats":
                value = "".join(f"\n  {i}. {caveat}" for i, caveat in enumerate(value, 1)) or "none"
            elif isinstance(value, tuple):
                value = ", ".join(str(v) for v in value)
            lines.append(f"{item.name}: {value}")
        return "\n".join(lines)


LEAVER_NEEDS = (
    uses(Children, Children.child_id, Children.sex, Children.birth_month),
    uses(Stays, Stays.stay_id, Stays.child_id, Stays.urn, Stays.admission_date, Stays.discharge_date, Stays.pathway),
)
"""What :attr:`IndicatorData.leavers` reads; add it to ``needs`` of indicators built on leavers."""

REFERRAL_NEEDS = (
    uses(Children, Children.child_id, Children.sex, Children.birth_month),
    uses(Referrals, Referrals.referral_id, Referrals.child_id, Referrals.referral_date, Referrals.pathway),
)
"""What :attr:`IndicatorData.referrals` reads."""


# --- the data an indicator reads ---------------------------------------------------


def period_label(dates: pd.Series, period: str) -> pd.Series:
    """``2022-23`` for financial years (April to March) or ``2022`` for calendar years."""
    dates = pd.to_datetime(dates)
    if period == "calendar_year":
        labels = dates.dt.year.astype("Int64").astype(str)
    else:
        start = (dates.dt.year - (dates.dt.month < 4).astype(int)).astype("Int64")
        labels = start.astype(str) + "-" + ((start + 1) % 100).astype(str).str.zfill(2)
    return labels.where(dates.notna(), UNKNOWN)


def academic_year(dates: pd.Series) -> pd.Series:
    """Academic year by the calendar year it starts (1 September)."""
    dates = pd.to_datetime(dates)
    return (dates.dt.year - (dates.dt.month < 9).astype(int)).astype("Int64")


class IndicatorData:
    """The tables an indicator reads, the follow-up settings and ready-made unit frames.

    Parameters
    ----------
    tables : contract tables by name, as :func:`outcomes.loading.load_data` returns them.
        Optional tables may be absent.
    follow_up : data end date and follow-up windows.

    Notes
    -----
    Follow-up tables (care_episodes, health_checks, care_leavers, education) are
    given to indicators with only their linked rows (a ``child_id``); the rows
    without one are counted in :attr:`unlinked`, because they cannot be used until
    ``outcomes link`` has given them an id.
    """

    def __init__(
        self,
        tables: Mapping[str, pd.DataFrame],
        follow_up: FollowUp | None = None,
        *,
        window_months: int | None = None,
        _cache: dict[str, Any] | None = None,
    ) -> None:
        self._tables = {
            name: coerce_to_contract(name, frame) if name in TABLES and frame is not None else frame
            for name, frame in tables.items()
        }
        self.follow_up = follow_up or FollowUp(DEFAULT_DATA_END)
        self.window_months = window_months
        self._cache = {} if _cache is None else _cache

    def for_window(self, months: int | None) -> IndicatorData:
        """The same data seen through one follow-up window (shares the cached frames)."""
        return IndicatorData(self._tables, self.follow_up, window_months=months, _cache=self._cache)

    def has(self, name: str) -> bool:
        return name in self._tables and self._tables[name] is not None

    def table(self, name: str) -> pd.DataFrame:
        """A table; for follow-up sources, only the rows linked to a child."""
        if not self.has(name):
            raise ConfigurationError(f"table {name!r} is not in the data; the indicator should have declared it")
        frame = self._tables[name]
        if TABLES[name].follow_up and "child_id" in frame:
            return frame[frame["child_id"].notna()]
        return frame

    @property
    def unlinked(self) -> dict[str, int]:
        """Rows without a child id, by follow-up table."""
        counts = {}
        for name, frame in sorted(self._tables.items()):
            if name in TABLES and TABLES[name].follow_up and frame is not None and "child_id" in frame:
                missing = int(frame["child_id"].isna().sum())
                if missing:
                    counts[name] = missing
        return counts

    def _cached(self, key: str, build: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    @property
    def deaths(self) -> pd.Series | None:
        """Date of death by child, from SSDA903 episodes ceased with REC ``E2``."""
        if not self.has("care_episodes"):
            return None
        episodes = self.table("care_episodes")
        died = episodes[episodes[CareEpisodes.rec] == codes.ReasonEpisodeCeased.E2]
        return died.groupby(CareEpisodes.child_id)[CareEpisodes.dec].min()

    @property
    def leavers(self) -> pd.DataFrame:
        """The leaver cohort (one row per discharged stay), with ``period_date`` = discharge."""

        def build() -> pd.DataFrame:
            cohort = build_leaver_cohort(
                self.table("children"), self.table("stays"), self.follow_up, deaths=self.deaths
            )
            cohort["period_date"] = cohort["index_date"]
            return cohort

        return self._cached("leavers", build).copy()

    def first_exits(self, period: str = "financial_year") -> pd.DataFrame:
        """The leaver cohort narrowed to each child's first discharge in each period (one row per child and period).

        The unit of the time-to-event indicators: a child who left twice in a year is followed once, from the
        first exit, so that no child counts twice in a cell and the variance treats children as independent.
        Ties on the discharge date go to the smaller ``stay_id``.
        """

        def build() -> pd.DataFrame:
            leavers = self.leavers.sort_values(["index_date", "stay_id"], kind="stable")
            keys = period_label(leavers["period_date"], period)
            first = leavers[~pd.DataFrame({"c": leavers["child_id"], "p": keys}).duplicated()]
            return first.sort_values("stay_id", kind="stable")

        return self._cached(f"first_exits|{period}", build).copy()

    @property
    def referrals(self) -> pd.DataFrame:
        """Referrals with the child's sex and age band at referral; ``period_date`` = referral date."""

        def build() -> pd.DataFrame:
            children = self.table("children")[[Children.child_id, Children.sex, Children.birth_month]]
            frame = self.table("referrals").merge(children, on=Referrals.child_id, how="left", validate="many_to_one")
            known = frame[Children.birth_month].notna()
            ages = pd.Series(-1, index=frame.index)
            if known.any():
                ages[known] = age_in_years(
                    frame.loc[known, Children.birth_month], frame.loc[known, Referrals.referral_date]
                )
            frame["age_band"] = age_band(ages).where(known, UNKNOWN)
            frame["period_date"] = frame[Referrals.referral_date]
            return frame.sort_values(Referrals.referral_id, kind="stable").reset_index(drop=True)

        return self._cached("referrals", build).copy()

    @property
    def capacity(self) -> pd.DataFrame:
        """Home capacity snapshots (SA1), with ``period_date`` = snapshot date."""
        frame = self.table("home_capacity").copy()
        frame["period_date"] = frame[HomeCapacity.snapshot_date]
        return frame.sort_values([HomeCapacity.snapshot_date, HomeCapacity.urn], kind="stable").reset_index(drop=True)

    def annual_record_at(
        self,
        table: str,
        months: int,
        date_column: str = "period_end",
        *,
        observed: Literal["period_end", "birthday"] = "period_end",
    ) -> pd.DataFrame:
        """Leavers followed to ``months`` after discharge, with their annual record for that point.

        Annual returns (OC2, OC3) hold one record a year, dated 31 March. Each record
        has an observation date: ``period_end`` itself (``observed="period_end"``), or,
        for OC3, the young person's birthday in the collection year that ends then
        (``observed="birthday"``), because OC3 records activity and accommodation around
        the 17th to 21st birthday, not at 31 March. The record taken for "``months``
        after discharge" is the one observed in the 12 months centred on that point,
        ``(index + months - 6, index + months + 6]``; exactly one 31 March, and exactly
        one birthday, falls in such an interval. Birthdays use the first of the birth
        month, as everywhere in the cohort.

        A leaver is eligible only when the return that would hold that record has
        been made: the interval has ended by the end of follow-up, and the collection
        year holding its last day has ended by the data end. So a missing record
        means no return for that child, never a return not yet due.

        Returns
        -------
        The eligible leavers, one row per stay, with the record's columns (empty where
        there is no record), ``observed_date`` and ``has_record``.
        """
        return self._cached(
            f"annual_record_at|{table}|{months}|{date_column}|{observed}",
            lambda: self._annual_record_at(table, months, date_column, observed),
        ).copy()

    def _annual_record_at(self, table: str, months: int, date_column: str, observed: str) -> pd.DataFrame:
        if observed not in ("period_end", "birthday"):
            raise ValueError(f"observed must be 'period_end' or 'birthday', not {observed!r}")
        leavers = self.leavers
        start = leavers["index_date"] + pd.DateOffset(months=months - 6)
        end = leavers["index_date"] + pd.DateOffset(months=months + 6)
        returned = (end <= leavers["follow_up_end"]) & (next_march_31(end) <= self.follow_up.data_end)
        eligible = leavers[returned].copy()
        eligible["_start"], eligible["_end"] = start[eligible.index], end[eligible.index]
        eligible["_birth_month"] = eligible["turns_18"] - pd.DateOffset(years=18)
        records = self.table(table)
        record_columns = [c for c in records.columns if c not in TABLES[table].pii_columns and c != "child_id"]
        joined = eligible[["stay_id", "child_id", "_start", "_end", "_birth_month"]].merge(
            records[["child_id", *record_columns]], on="child_id", how="inner"
        )
        if observed == "birthday":
            joined["observed_date"] = birthday_in_year_to(joined["_birth_month"], joined[date_column])
        else:
            joined["observed_date"] = joined[date_column]
        joined = joined[(joined["observed_date"] > joined["_start"]) & (joined["observed_date"] <= joined["_end"])]
        joined = joined.sort_values(["stay_id", "observed_date", "record_id"], kind="stable").drop_duplicates("stay_id")
        out = eligible.drop(columns=["_start", "_end", "_birth_month"]).merge(
            joined[["stay_id", *record_columns, "observed_date"]], on="stay_id", how="left", validate="one_to_one"
        )
        out["has_record"] = out["record_id"].notna()
        return out


def next_march_31(dates: pd.Series) -> pd.Series:
    """The first 31 March on or after each date: the end of the collection year holding it."""
    dates = pd.to_datetime(dates)
    year = dates.dt.year + (dates.dt.month > 3).astype(int)
    return pd.to_datetime(year.astype(str) + "-03-31")


def birthday_in_year_to(birth_month: pd.Series, period_end: pd.Series) -> pd.Series:
    """The birthday (first of the birth month) in the 12 months up to each 31 March ``period_end``."""
    birth_month, period_end = pd.to_datetime(birth_month), pd.to_datetime(period_end)
    same_year = pd.to_datetime(
        pd.DataFrame({"year": period_end.dt.year, "month": birth_month.dt.month, "day": 1}), errors="coerce"
    )
    return same_year.where(same_year <= period_end, same_year - pd.DateOffset(years=1))


def make_table(name: str, rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """A contract table from hand-written rows, typed as the loader types it.

    Every required column of the table is present (missing values are empty);
    optional identifier columns appear only if a row gives them. Meant for tests:
    ``make_table("stays", [{"stay_id": "s1", "admission_date": "2022-01-01", ...}])``.
    """
    spec = TABLES[name]
    given = {key for row in rows for key in row}
    unknown = sorted(given - set(spec.columns))
    if unknown:
        raise ConfigurationError(f"table {name!r} has no column(s) {unknown}")
    columns = [c for c, column in spec.columns.items() if column.required or c in given]
    frame = pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=columns)
    return coerce_to_contract(name, frame)


def coerce_to_contract(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The table with each declared column in the contract's dtype (dates as datetime64[ns]).

    The loader already types its tables; this makes indicators safe on frames read
    any other way (Parquet with date32 columns, hand-made rows).
    """
    spec = TABLES[name]
    frame = frame.copy()
    for column in frame.columns:
        if column not in spec.columns:
            continue
        dtype = str(spec.columns[column].dtype)
        current = str(frame[column].dtype)
        if dtype.startswith("datetime"):
            if current != "datetime64[ns]":
                frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
        elif dtype.startswith("string"):
            if not current.startswith("string"):
                frame[column] = frame[column].astype("string")
        elif current != dtype:
            frame[column] = frame[column].astype(dtype)
    return frame


def education_in_year(data: IndicatorData, units: pd.DataFrame, years: pd.Series) -> pd.DataFrame:
    """``units`` with the linked education record (if any) of the academic year given per unit."""
    records = data.table("education")
    columns = ["record_id", "academic_year", "attendance_pct", "attainment8", "in_eet"]
    keyed = units.assign(academic_year=years.astype("Int64").to_numpy())
    records = records.sort_values(["child_id", "academic_year", "record_id"], kind="stable").drop_duplicates(
        ["child_id", "academic_year"]
    )
    out = keyed.merge(records[["child_id", *columns]], on=["child_id", "academic_year"], how="left")
    out.index = units.index
    return out


# --- results -----------------------------------------------------------------------


def _format_number(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float | np.floating):
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return str(value)


@dataclass
class IndicatorResult:
    """What an indicator computed: tidy rows, its declaration and numbered notes.

    Attributes
    ----------
    declaration : the indicator's metadata.
    frame : tidy rows with :data:`TIDY_COLUMNS`.
    notes : caveats of this run (suppression, unlinked records, exclusions).
    """

    declaration: Declaration
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return not (self.frame["status"] == STATUS_NOT_AVAILABLE).all()

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows with the fixed columns, sorted."""
        return self.frame[TIDY_COLUMNS].copy()

    def summary(self, fmt: Literal["text", "markdown", "html"] = "text") -> str:
        """The declaration's headline, the ``all`` rows and the notes, as text, Markdown or HTML."""
        d = self.declaration
        shown = self.frame[self.frame["breakdown"] == "all"]
        headers = [
            "time_period",
            "window_months",
            "numerator",
            "denominator",
            "value",
            "ci_lower",
            "ci_upper",
            "status",
        ]
        rows = [[_format_number(row[h]) for h in headers] for _, row in shown.iterrows()]
        notes = list(d.caveats) + self.notes
        if fmt == "html":
            table = shown[headers].to_html(index=False, na_rep="", float_format=lambda v: f"{v:.1f}")
            items = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
            return (
                f"<h3>{html.escape(d.title)} <code>{html.escape(d.code)}</code></h3>"
                f"<p>{html.escape(d.definition)} Unit: {html.escape(d.unit)}.</p>{table}<ol>{items}</ol>"
            )
        if fmt == "markdown":
            lines = [f"### {d.title} (`{d.code}`)", "", f"{d.definition} Unit: {d.unit}.", ""]
            lines.append("| " + " | ".join(headers) + " |")
            lines.append("|" + "---|" * len(headers))
            lines += ["| " + " | ".join(row) + " |" for row in rows]
            lines += ["", *[f"{i}. {note}" for i, note in enumerate(notes, 1)]]
            return "\n".join(lines)
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
        lines = [f"{d.title} [{d.code}]  ({d.term} term; {d.unit}; {d.polarity.replace('_', ' ')})", d.definition, ""]
        lines.append("  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
        lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
        if notes:
            lines += ["", "Notes:", *[f"[{i}] {note}" for i, note in enumerate(notes, 1)]]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.summary("markdown")

    def __str__(self) -> str:
        return self.summary("text")


def _row(declaration: Declaration, unit: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {column: np.nan for column in TIDY_COLUMNS}
    row.update(
        indicator=declaration.code,
        time_period="all",
        window_months=pd.NA,
        breakdown="all",
        breakdown_value="all",
        unit=unit,
        suppressed=False,
        status=STATUS_OK,
        note="",
    )
    row.update(values)
    return row


def tidy_frame(rows: Sequence[dict[str, Any]], breakdowns: Sequence[str] = STANDARD_BREAKDOWNS) -> pd.DataFrame:
    """Rows to a tidy frame with fixed columns and dtypes, sorted."""
    frame = pd.DataFrame(list(rows), columns=TIDY_COLUMNS)
    for column in ("numerator", "denominator", "n", "value", "ci_lower", "ci_upper"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Float64")
    frame["window_months"] = frame["window_months"].astype("Int64")
    for column in ("indicator", "time_period", "breakdown", "breakdown_value", "unit", "status", "note"):
        frame[column] = frame[column].astype(str)
    frame["suppressed"] = frame["suppressed"].astype(bool)
    rank = {name: i for i, name in enumerate(breakdowns)}
    frame["_rank"] = frame["breakdown"].map(rank).fillna(len(rank))
    frame = frame.sort_values(
        ["indicator", "time_period", "window_months", "_rank", "breakdown_value"], kind="stable", na_position="first"
    )
    return frame.drop(columns="_rank").reset_index(drop=True)


def not_available(declaration: Declaration, unit: str, reason: str) -> IndicatorResult:
    """A result that says the indicator could not be computed, and why."""
    row = _row(declaration, unit, status=STATUS_NOT_AVAILABLE, note=reason)
    return IndicatorResult(declaration, tidy_frame([row], declaration.breakdowns), [f"Not available: {reason}"])


# --- base classes ------------------------------------------------------------------


class Indicator:
    """Base of every indicator: runs a family's estimate over periods, windows and breakdowns.

    Subclasses set ``declaration`` and implement their family's counting methods.
    """

    declaration: ClassVar[Declaration]
    family: ClassVar[str] = ""
    ci_method: ClassVar[str] = ""
    unit_multiplier: ClassVar[float] = 1.0
    disclosive: ClassVar[bool] = True
    """False only for figures about things, not people (places in homes): they are not suppressed."""
    cell_columns: ClassVar[tuple[str, ...]] = ()
    """Columns of the units that :meth:`estimate` (and an overridden :meth:`groups`) read, besides the
    breakdown columns; the family sets them, and an indicator that overrides either adds its own."""

    @classmethod
    def metadata(cls) -> Declaration:
        """The declaration with the family's interval method filled in."""
        declaration = cls.declaration
        if not declaration.ci_method:
            declaration = replace(declaration, ci_method=cls.ci_method)
        return declaration

    # the family's hooks
    def units(self, data: IndicatorData) -> pd.DataFrame:
        """One row per unit, with ``period_date``, the breakdown columns and the family's columns."""
        raise NotImplementedError

    def estimate(self, units: pd.DataFrame, data: IndicatorData, confidence: float) -> dict[str, Any]:
        """numerator, denominator, n, value, ci_lower, ci_upper (and status, note) for one cell."""
        raise NotImplementedError

    def run_notes(self, data: IndicatorData, units: pd.DataFrame) -> list[str]:
        """Notes about this run (exclusions, coverage); families and indicators may add to them."""
        return []

    # the machinery
    def missing_inputs(self, data: IndicatorData) -> str | None:
        """Why the indicator cannot run on this data, or None."""
        declaration = self.metadata()
        for table, columns in declaration.needs:
            if not data.has(table):
                return f"table {table!r} is not in the data folder (it is optional in the data contract)"
            absent = [column for column in columns if column not in data._tables[table].columns]
            if absent:
                return f"table {table!r} has no column(s) {', '.join(absent)}"
        return None

    def windows(self, data: IndicatorData) -> list[int | None]:
        windows = self.metadata().windows
        if windows is None:
            return [None]
        if windows == RUN_WINDOWS:
            return list(data.follow_up.windows_months)
        return list(windows)

    def groups(self, units: pd.DataFrame, breakdown: str) -> Iterator[tuple[str, pd.DataFrame]]:
        """The cells of one breakdown: (value, units in the cell). Override for cells that are not subsets."""
        if breakdown == "all":
            yield "all", units
        elif breakdown in MULTI_VALUED_BREAKDOWNS:
            for value in MULTI_VALUED_BREAKDOWNS[breakdown]:
                if value in units and units[value].notna().any():
                    yield value, units[units[value].fillna(False).astype(bool)]
        else:
            labels = units[BREAKDOWN_COLUMNS[breakdown]].astype("string").fillna(UNKNOWN)
            for value, positions in sorted(labels.groupby(labels, sort=False).indices.items()):
                yield str(value), units.iloc[positions]

    def cell_frame(self, units: pd.DataFrame) -> pd.DataFrame:
        """The units narrowed to the columns that cells are cut and estimated from.

        Splitting a wide frame (referrals carry 14 behaviour flags) hundreds of times
        dominated the run; the estimate reads only :attr:`cell_columns`.
        """
        breakdowns = self.metadata().breakdowns
        keep = ["period_date", *self.cell_columns]
        keep += [BREAKDOWN_COLUMNS[b] for b in breakdowns if b in BREAKDOWN_COLUMNS]
        keep += [flag for b in breakdowns for flag in MULTI_VALUED_BREAKDOWNS.get(b, ())]
        return units[[column for column in dict.fromkeys(keep) if column in units.columns]]

    def compute(
        self,
        data: IndicatorData,
        *,
        threshold: int = DEFAULT_THRESHOLD,
        confidence: float = 0.95,
        warn: bool = True,
    ) -> IndicatorResult:
        """Compute every period, window and breakdown, then apply disclosure control.

        Parameters
        ----------
        data : the tables and follow-up settings.
        threshold : counts from 1 up to this are suppressed (see :mod:`outcomes.disclosure`);
            0 turns suppression off, for hand checks.
        confidence : two-sided level of the intervals.
        warn : issue a :class:`~outcomes.errors.SuppressionWarning` when cells are suppressed.

        Returns a 'not available' result (never raises) when a table the indicator
        needs is missing.
        """
        declaration = self.metadata()
        reason = self.missing_inputs(data)
        if reason:
            return not_available(declaration, declaration.unit, reason)
        notes: list[str] = []
        unlinked = {t: n for t, n in data.unlinked.items() if t in declaration.tables}
        for table, count in unlinked.items():
            notes.append(f"{count} {table} records not linked; run `outcomes link` first")
        rows: list[dict[str, Any]] = []
        for window in self.windows(data):
            scoped = data.for_window(window)
            units = self.units(scoped)
            notes += self.run_notes(scoped, units)
            cells = self.cell_frame(units)
            periods = period_label(cells["period_date"], declaration.period) if len(cells) else pd.Series(dtype=str)
            for period, positions in sorted(periods.groupby(periods, sort=False).indices.items()):
                in_period = cells.iloc[positions]
                for breakdown in declaration.breakdowns:
                    for value, group in self.groups(in_period, breakdown):
                        cell = self.estimate(group, scoped, confidence)
                        rows.append(
                            _row(
                                declaration,
                                declaration.unit,
                                time_period=period,
                                window_months=window if window is not None else pd.NA,
                                breakdown=breakdown,
                                breakdown_value=value,
                                **cell,
                            )
                        )
            if not len(units):
                rows.append(
                    _row(
                        declaration,
                        declaration.unit,
                        window_months=window if window is not None else pd.NA,
                        status=STATUS_NO_DATA,
                        note="no units in the data for this indicator",
                    )
                )
        frame = tidy_frame(rows, declaration.breakdowns)
        if self.disclosive:
            frame, suppression_notes = apply_disclosure_control(frame, threshold, warn=warn)
        else:
            frame["suppressed"], suppression_notes = False, []
        return IndicatorResult(declaration, frame, notes + suppression_notes)


def _counts(x: float, d: float, n: float) -> dict[str, Any]:
    return {"numerator": x, "denominator": d, "n": n}


class ProportionIndicator(Indicator):
    """Share of units that count: ``numerator / denominator``, in percent, Wilson score interval.

    ``denominator(data)`` returns the units; ``numerator(data, units)`` returns, aligned
    with them, True (or a count) where a unit counts. A ``weight`` column in the units
    (for example places approved) makes the denominator a sum of weights and the
    numerator a sum of counts.
    """

    family = "proportion"
    cell_columns = ("_numerator", "_weight")
    ci_method = "Wilson score"
    unit_multiplier = 100.0

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        raise NotImplementedError

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        raise NotImplementedError

    def units(self, data: IndicatorData) -> pd.DataFrame:
        units = self.denominator(data).copy()
        counted = self.numerator(data, units)
        units["_numerator"] = pd.Series(counted, index=units.index).astype("Float64").fillna(0).astype(float)
        units["_weight"] = units["weight"].astype(float) if "weight" in units else 1.0
        return units

    def estimate(self, units: pd.DataFrame, data: IndicatorData, confidence: float) -> dict[str, Any]:
        x, d = float(units["_numerator"].sum()), float(units["_weight"].sum())
        if d == 0:
            return {**_counts(x, d, d), "status": STATUS_NOT_ESTIMABLE, "note": "empty denominator"}
        lower, upper = statistics.wilson_interval(x, d, confidence)
        m = self.unit_multiplier
        return {**_counts(x, d, d), "value": m * x / d, "ci_lower": m * float(lower), "ci_upper": m * float(upper)}


class RateIndicator(Indicator):
    """Events per unit of exposure (per 1,000 nights by default).

    ``denominator(data)`` returns the units with an ``exposure`` column;
    ``numerator(data, units)`` returns the events of each unit. Exact Poisson limits
    below 10 events, Byar's from 10. With ``cluster_column`` set (for example ``child_id``
    where a child's stays share its tendency to self-harm), the interval is the
    quasi-Poisson one of :func:`outcomes.statistics.quasi_poisson_rate_interval`, with the
    Pearson dispersion of the clusters' counts in the cell.
    """

    family = "rate"
    cell_columns = ("_events", "exposure")
    ci_method = "exact Poisson (Garwood) below 10 events, Byar's method from 10"
    unit_multiplier = 1000.0
    cluster_column: ClassVar[str | None] = None

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        raise NotImplementedError

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        raise NotImplementedError

    def units(self, data: IndicatorData) -> pd.DataFrame:
        units = self.denominator(data).copy()
        units["_events"] = pd.Series(self.numerator(data, units), index=units.index).astype(float).fillna(0)
        return units

    def estimate(self, units: pd.DataFrame, data: IndicatorData, confidence: float) -> dict[str, Any]:
        events, exposure = float(units["_events"].sum()), float(units["exposure"].sum())
        counts = _counts(events, exposure, float(len(units)))
        if exposure == 0:
            return {**counts, "status": STATUS_NOT_ESTIMABLE, "note": "no exposure"}
        if self.cluster_column is None:
            rate, lower, upper = statistics.poisson_rate_interval(events, exposure, self.unit_multiplier, confidence)
            return {**counts, "value": float(rate), "ci_lower": float(lower), "ci_upper": float(upper)}
        per_cluster = units.groupby(self.cluster_column, sort=True)[["_events", "exposure"]].sum()
        result = statistics.quasi_poisson_rate_interval(
            per_cluster["_events"].to_numpy(), per_cluster["exposure"].to_numpy(), self.unit_multiplier, confidence
        )
        # The dispersion, not the number of children: a count of children in a note would escape suppression.
        note = f"Pearson dispersion across children {result.dispersion:.2f}"
        return {**counts, "value": result.rate, "ci_lower": result.lower, "ci_upper": result.upper, "note": note}


class DurationIndicator(Indicator):
    """Median of a duration (days) with a distribution-free interval from order statistics.

    ``durations(data)`` returns the units with a ``duration`` column.
    ``numerator`` is empty; ``denominator`` and ``n`` are the units with a duration.
    """

    family = "duration"
    cell_columns = ("duration",)
    ci_method = "median; binomial order-statistic interval"

    def durations(self, data: IndicatorData) -> pd.DataFrame:
        raise NotImplementedError

    def units(self, data: IndicatorData) -> pd.DataFrame:
        units = self.durations(data)
        return units[units["duration"].notna()].copy()

    def estimate(self, units: pd.DataFrame, data: IndicatorData, confidence: float) -> dict[str, Any]:
        median, lower, upper = statistics.median_interval(units["duration"].to_numpy(dtype=float), confidence)
        n = float(len(units))
        return {"numerator": np.nan, "denominator": n, "n": n, "value": median, "ci_lower": lower, "ci_upper": upper}


class MeanIndicator(Indicator):
    """Mean of a per-unit value with a Student's t interval; ``values(data)`` returns units with ``value``."""

    family = "mean"
    cell_columns = ("_value",)
    ci_method = "mean; Student's t interval"

    def values(self, data: IndicatorData) -> pd.DataFrame:
        raise NotImplementedError

    def units(self, data: IndicatorData) -> pd.DataFrame:
        units = self.values(data)
        return units[units["value"].notna()].rename(columns={"value": "_value"}).copy()

    def estimate(self, units: pd.DataFrame, data: IndicatorData, confidence: float) -> dict[str, Any]:
        mean, lower, upper = statistics.mean_interval(units["_value"].to_numpy(dtype=float), confidence)
        n = float(len(units))
        return {"numerator": np.nan, "denominator": n, "n": n, "value": mean, "ci_lower": lower, "ci_upper": upper}


class MeanChangeIndicator(MeanIndicator):
    """Mean change ``after - before`` per unit, with a paired t interval.

    ``before_after(data)`` returns units with ``before`` and ``after``; units missing
    either are left out and counted in the notes.
    """

    family = "mean change"
    ci_method = "mean of paired differences; Student's t interval"

    def before_after(self, data: IndicatorData) -> pd.DataFrame:
        raise NotImplementedError

    def values(self, data: IndicatorData) -> pd.DataFrame:
        units = self.before_after(data).copy()
        units["value"] = units["after"].astype(float) - units["before"].astype(float)
        return units

    def run_notes(self, data: IndicatorData, units: pd.DataFrame) -> list[str]:
        return []


class TimeToEventIndicator(Indicator):
    """Share with the event within a window after discharge, allowing for censoring and competing events.

    ``events(data)`` returns ``child_id`` and ``event_date``. The unit is a child's first
    discharge in the period (:meth:`IndicatorData.first_exits`), so that each child counts
    once in a cell. Follow-up starts at discharge and ends at the event, the data end,
    death or (by default) the 18th birthday, through :func:`outcomes.cohort.time_to_event`.

    By default (``estimator = "aalen_johansen"``) death and the 18th birthday are competing
    events: they end the chance of the event for good, so the share is the Aalen-Johansen
    cumulative incidence, the real-world risk. ``estimator = "kaplan_meier"`` treats them as
    censoring (``1 - S(window)``): the risk had they not happened, published only as a
    labelled sensitivity figure.

    ``numerator`` counts events seen within the window, ``denominator`` and ``n`` the children
    followed from discharge. A cell is ``not_estimable`` when the data cannot identify it, and
    is not given a value when fewer than :data:`MIN_AT_RISK_AT_WINDOW_END` children are still
    followed at the window's end after some were censored before it.
    """

    family = "time to event"
    cell_columns = ("duration_days", "event_type")
    ci_method = (
        "Aalen-Johansen cumulative incidence with turning 18 and death as competing events; delta-method "
        "(Marubini-Valsecchi) variance on the log(-log) scale"
    )
    unit_multiplier = 100.0
    censor_at_18: ClassVar[bool] = True
    estimator: ClassVar[Literal["aalen_johansen", "kaplan_meier"]] = "aalen_johansen"
    competing_reasons: ClassVar[tuple[str, ...]] = ("age_18", "death")
    """Reasons follow-up stops (``time_to_event``'s ``censor_reason``) that are competing events for Aalen-Johansen."""
    min_at_risk: ClassVar[int] = MIN_AT_RISK_AT_WINDOW_END

    def events(self, data: IndicatorData) -> pd.DataFrame:
        raise NotImplementedError

    def cohort(self, data: IndicatorData) -> pd.DataFrame:
        """The units followed: each child's first discharge in the period."""
        return data.first_exits(self.metadata().period)

    def units(self, data: IndicatorData) -> pd.DataFrame:
        cohort = self.cohort(data)
        events = self.events(data)
        times = time_to_event(cohort, events, date_column="event_date", censor_at_18=self.censor_at_18)
        competing = times["censor_reason"].isin(self.competing_reasons) & (self.estimator == "aalen_johansen")
        times["event_type"] = np.where(times["event"] == 1, 1, np.where(competing, 2, 0))
        return cohort.join(times)

    def estimate(self, units: pd.DataFrame, data: IndicatorData, confidence: float) -> dict[str, Any]:
        horizon_days = data.window_months * 365.25 / 12
        durations, types = units["duration_days"].to_numpy(), units["event_type"].to_numpy()
        if self.estimator == "kaplan_meier":
            result = statistics.km_cumulative_incidence(durations, (types == 1).astype(int), horizon_days, confidence)
        else:
            result = statistics.aj_cumulative_incidence(durations, types, horizon_days, confidence)
        counts = _counts(float(result.events), float(result.n), float(result.n))
        if not result.estimable:
            return {**counts, "status": STATUS_NOT_ESTIMABLE, "note": "nobody followed for the whole window"}
        if result.at_risk < self.min_at_risk and result.censored > 0:
            note = f"fewer than {self.min_at_risk} children still followed at the window's end; value not published"
            return {**counts, "status": STATUS_NOT_ESTIMABLE, "note": note}
        m = self.unit_multiplier
        return {**counts, "value": m * result.estimate, "ci_lower": m * result.lower, "ci_upper": m * result.upper}

    def run_notes(self, data: IndicatorData, units: pd.DataFrame) -> list[str]:
        if not len(units):
            return []
        horizon_days = data.window_months * 365.25 / 12
        before = units["duration_days"] < horizon_days
        censored = int(((units["event_type"] == 0) & before).sum())
        competing = int(((units["event_type"] == 2) & before).sum())
        if self.estimator == "kaplan_meier":
            return [
                f"{data.window_months} months: {censored} of {len(units)} children were followed for less than the "
                "window without the event (including those who turned 18); Kaplan-Meier counts them while they were "
                "followed, as if they could still have had the event afterwards"
            ]
        return [
            f"{data.window_months} months: of {len(units)} children, {competing} turned 18 or died before the "
            f"window's end without the event (competing events: they can no longer have it), and {censored} were "
            "followed for less than the window because the data end; Aalen-Johansen counts the latter while they "
            "were followed"
        ]


FAMILIES: tuple[type[Indicator], ...] = (
    ProportionIndicator,
    RateIndicator,
    DurationIndicator,
    MeanIndicator,
    MeanChangeIndicator,
    TimeToEventIndicator,
)

__all__ = [
    "DEFAULT_DATA_END",
    "Declaration",
    "DurationIndicator",
    "Indicator",
    "IndicatorData",
    "IndicatorResult",
    "MeanChangeIndicator",
    "MeanIndicator",
    "ProportionIndicator",
    "RateIndicator",
    "RUN_WINDOWS",
    "TIDY_COLUMNS",
    "TimeToEventIndicator",
    "academic_year",
    "make_table",
    "education_in_year",
    "birthday_in_year_to",
    "next_march_31",
    "period_label",
    "uses",
    "LEAVER_NEEDS",
    "REFERRAL_NEEDS",
]
