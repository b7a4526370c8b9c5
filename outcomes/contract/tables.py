"""The data contract: one declaration per table.

Every table the framework reads is declared here once, as a pandera
``DataFrameModel``. The rest of the code refers to columns through these
classes (``Stays.discharge_date`` is the string ``"discharge_date"``), so a
misspelt column is an ``AttributeError`` at import time, not a silent ``KeyError``
at run time. The loader, the validator, the data dictionary in the book and the
synthetic generator all read these declarations.

Column metadata keys:

``pii``
    The column identifies a person. Only the linker reads it, after
    pseudonymisation, and it is never written to any output.
``codes``
    The name of the code list in :mod:`outcomes.contract.codes` the column takes.
``format``
    How the value is written in a file (dates are ISO 8601, ``YYYY-MM-DD``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from outcomes.contract import codes

EARLIEST_DATE = pd.Timestamp("1990-01-01")
"""No date in the contract may fall before this."""

ISO_DATE = "YYYY-MM-DD"
ISO_MONTH = "YYYY-MM"

String = pd.StringDtype
Boolean = pd.BooleanDtype
Integer = pd.Int64Dtype
Number = pd.Float64Dtype
Date = pd.Timestamp


def _code_field(code_list: type[codes.CodeList], description: str, *, nullable: bool = False) -> object:
    return pa.Field(
        isin=code_list.codes(),
        nullable=nullable,
        description=description,
        metadata={"codes": code_list.__name__},
    )


def _date_field(description: str, *, nullable: bool = False) -> object:
    return pa.Field(
        nullable=nullable,
        ge=EARLIEST_DATE,
        description=description,
        metadata={"format": ISO_DATE},
    )


def _id_field(description: str, *, unique: bool = False, nullable: bool = False) -> object:
    return pa.Field(
        unique=unique, nullable=nullable, str_length={"min_value": 1, "max_value": 64}, description=description
    )


def _flag_field(description: str, *, nullable: bool = False) -> object:
    return pa.Field(nullable=nullable, description=description, metadata={"format": "true/false (also 1/0, yes/no)"})


def _pii(
    description: str, *, nullable: bool = True, code_list: type[codes.CodeList] | None = None, **checks: object
) -> object:
    metadata: dict[str, object] = {"pii": True}
    if code_list is not None:
        checks["isin"] = code_list.codes()
        metadata["codes"] = code_list.__name__
    return pa.Field(nullable=nullable, description=description, metadata=metadata, **checks)


# Row rules compare values that may be missing. A missing value is the not-null rule's to report, so a
# comparison with it holds here, and a rule always returns plain True/False (pandera cannot judge <NA>).


def _not_before(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later.isna() | earlier.isna() | (later >= earlier)).fillna(True).astype(bool)


def _at_most(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (part <= whole).fillna(True).astype(bool)


class Children(pa.DataFrameModel):
    """One row per child: the pseudonymous child and what is published about them."""

    child_id: Series[String] = _id_field(
        "Pseudonymous child identifier, the key every other table refers to.", unique=True
    )
    sex: Series[String] = _code_field(codes.Sex, "Sex, SSDA903 code.")
    birth_month: Series[Date] = pa.Field(
        ge=EARLIEST_DATE,
        description="Month of birth (the first day of the month is stored).",
        metadata={"format": ISO_MONTH},
    )
    ethnicity: Series[String] = _code_field(codes.Ethnicity, "Ethnicity, SSDA903 ETHNIC code.")
    local_authority: Series[String] = pa.Field(
        str_matches=r"^\d{3}$", description="Responsible local authority, three-digit DfE code (for example 202)."
    )


class Identifiers(pa.DataFrameModel):
    """One row per child: direct identifiers, read only by the linker."""

    child_id: Series[String] = _id_field("Pseudonymous child identifier.", unique=True)
    forename: Series[String] = _pii("Forename.")
    surname: Series[String] = _pii("Surname.")
    date_of_birth: Series[Date] = _pii("Date of birth.", ge=EARLIEST_DATE)
    sex: Series[String] = _pii("Sex, SSDA903 code.", code_list=codes.Sex)
    postcode: Series[String] = _pii("Home postcode before the stay.")


class Referrals(pa.DataFrameModel):
    """One row per referral for a secure children's home place, with its decision."""

    referral_id: Series[String] = _id_field("Referral identifier.", unique=True)
    child_id: Series[String] = _id_field("Child referred.")
    referral_date: Series[Date] = _date_field("Date the referral was made.")
    pathway: Series[String] = _code_field(codes.Pathway, "Pathway the referral came through.")
    route: Series[String] = _code_field(codes.Route, "Who made the referral.")
    placed: Series[Boolean] = _flag_field("True if the child was placed in a secure children's home.")
    decision_date: Series[Date] = _date_field("Date of the placement decision.", nullable=True)
    urn: Series[String] = pa.Field(nullable=True, description="Home the child was placed in (Ofsted URN), if placed.")
    alternative_setting: Series[String] = _code_field(
        codes.AlternativeSetting, "Where the child went instead, if not placed.", nullable=True
    )
    absconding: Series[Boolean] = _flag_field("Presented behaviour: absconding.")
    adoption_breakdown: Series[Boolean] = _flag_field("Presented behaviour: adoption breakdown.")
    challenging_behaviour: Series[Boolean] = _flag_field("Presented behaviour: challenging behaviour.")
    criminal_exploitation: Series[Boolean] = _flag_field(
        "Presented behaviour: criminal exploitation (recorded from 2020; empty before).", nullable=True
    )
    disclosed_abuse: Series[Boolean] = _flag_field(
        "Presented behaviour: disclosed abuse (recorded from 2020; empty before).", nullable=True
    )
    fire_setting: Series[Boolean] = _flag_field("Presented behaviour: fire setting.")
    gang_affiliated: Series[Boolean] = _flag_field("Presented behaviour: gang affiliated.")
    mental_health: Series[Boolean] = _flag_field("Presented behaviour: mental health.")
    offending_behaviour: Series[Boolean] = _flag_field("Presented behaviour: offending behaviour.")
    self_harm: Series[Boolean] = _flag_field("Presented behaviour: self-harm.")
    sexual_exploitation: Series[Boolean] = _flag_field("Presented behaviour: sexual exploitation.")
    sexualised_behaviour: Series[Boolean] = _flag_field("Presented behaviour: sexualised behaviour.")
    sexually_harmful_behaviour: Series[Boolean] = _flag_field("Presented behaviour: sexually harmful behaviour.")
    substance_misuse: Series[Boolean] = _flag_field("Presented behaviour: substance misuse.")

    @pa.dataframe_check(error="decision_date must be on or after referral_date")
    def decision_not_before_referral(cls, df: pd.DataFrame) -> Series[bool]:
        return _not_before(df[cls.decision_date], df[cls.referral_date])

    @pa.dataframe_check(error="a placed referral names its home (urn) and no alternative_setting")
    def placed_names_home(cls, df: pd.DataFrame) -> Series[bool]:
        placed = df[cls.placed].fillna(False).astype(bool)
        return ~placed | (df[cls.urn].notna() & df[cls.alternative_setting].isna())


class Homes(pa.DataFrameModel):
    """One row per secure children's home."""

    urn: Series[String] = pa.Field(unique=True, str_matches=r"^SC\d{6}$", description="Ofsted unique reference number.")
    name: Series[String] = pa.Field(description="Name of the home.")
    home_type: Series[String] = _code_field(codes.HomeType, "What places the home offers.")
    region: Series[String] = _code_field(codes.Region, "Region of England (ONS code).")


class HomeCapacity(pa.DataFrameModel):
    """One row per home at each 31 March, as in DfE's SA1 return."""

    urn: Series[String] = pa.Field(description="Home (Ofsted URN).")
    snapshot_date: Series[Date] = _date_field("Snapshot date: 31 March of the year.")
    places_approved: Series[Integer] = pa.Field(ge=0, description="Places approved by the Secretary of State.")
    places_available: Series[Integer] = pa.Field(ge=0, description="Places available (staffed and open).")
    children_accommodated: Series[Integer] = pa.Field(ge=0, description="Children accommodated on the day.")

    @pa.check(snapshot_date, error="snapshot_date must be a 31 March")
    def is_31_march(cls, series: Series[pd.Timestamp]) -> Series[bool]:
        return (series.dt.month == 3) & (series.dt.day == 31)

    @pa.dataframe_check(error="places_available must not exceed places_approved")
    def available_within_approved(cls, df: pd.DataFrame) -> Series[bool]:
        return _at_most(df[cls.places_available], df[cls.places_approved])

    @pa.dataframe_check(error="children_accommodated must not exceed places_approved")
    def accommodated_within_approved(cls, df: pd.DataFrame) -> Series[bool]:
        return _at_most(df[cls.children_accommodated], df[cls.places_approved])


class Stays(pa.DataFrameModel):
    """One row per stay in a secure children's home."""

    stay_id: Series[String] = _id_field("Stay identifier.", unique=True)
    child_id: Series[String] = _id_field("Child.")
    urn: Series[String] = pa.Field(description="Home (Ofsted URN).")
    referral_id: Series[String] = pa.Field(nullable=True, description="Referral that led to the stay, where known.")
    admission_date: Series[Date] = _date_field("Date of admission.")
    discharge_date: Series[Date] = _date_field(
        "Date of discharge; empty while the child is still there.", nullable=True
    )
    pathway: Series[String] = _code_field(codes.Pathway, "Pathway of the stay.")
    legal_basis: Series[String] = _code_field(codes.LegalBasis, "Legal basis of the stay.")
    destination: Series[String] = _code_field(
        codes.Destination, "Where the child went on discharge; empty while still there.", nullable=True
    )
    transition_plan: Series[Boolean] = _flag_field(
        "True if a transition plan was in place at discharge; empty while still there.", nullable=True
    )

    @pa.dataframe_check(error="discharge_date must be on or after admission_date")
    def discharge_not_before_admission(cls, df: pd.DataFrame) -> Series[bool]:
        return _not_before(df[cls.discharge_date], df[cls.admission_date])

    @pa.dataframe_check(error="a discharged stay needs a destination")
    def discharged_has_destination(cls, df: pd.DataFrame) -> Series[bool]:
        return df[cls.discharge_date].isna() | df[cls.destination].notna()


class _FollowUpSource(pa.DataFrameModel):
    """Columns shared by the follow-up sources.

    A follow-up source carries either the child id (when it comes from the same
    system) or the child's identifiers (when it comes from elsewhere and must be
    linked). Identifier columns are optional and are read only by the linker.
    """

    record_id: Series[String] = _id_field("Record identifier within the source.", unique=True)
    child_id: Series[String] = _id_field("Child, where the source carries the id; empty otherwise.", nullable=True)
    forename: Series[String] | None = _pii("Forename, where the source has no child id.")
    surname: Series[String] | None = _pii("Surname, where the source has no child id.")
    date_of_birth: Series[Date] | None = _pii("Date of birth, where the source has no child id.", ge=EARLIEST_DATE)
    sex_recorded: Series[String] | None = _pii("Sex as the source recorded it (SSDA903 code).")
    postcode: Series[String] | None = _pii("Postcode, where the source has no child id.")

    @pa.dataframe_check(error="a record needs child_id or identifiers (surname and date_of_birth) to be linked")
    def linkable(cls, df: pd.DataFrame) -> Series[bool]:
        has_identifiers = pd.Series(False, index=df.index)
        if "surname" in df and "date_of_birth" in df:
            # Both, as the message says: a date of birth alone (or a surname alone) rarely singles out a child.
            has_identifiers = df["surname"].notna() & df["date_of_birth"].notna()
        return df["child_id"].notna() | has_identifiers


class CareEpisodes(_FollowUpSource):
    """One row per SSDA903 episode of care, before and after the stay."""

    decom: Series[Date] = _date_field("DECOM: date episode commenced.")
    rne: Series[String] = _code_field(codes.ReasonNewEpisode, "RNE: reason for new episode.")
    ls: Series[String] = _code_field(codes.LegalStatus, "LS: legal status.")
    cin: Series[String] = _code_field(codes.CategoryOfNeed, "CIN: category of need.")
    place: Series[String] = _code_field(codes.Placement, "PLACE: placement type (K1 secure children's home).")
    place_provider: Series[String] = _code_field(codes.PlacementProvider, "PLACE_PROVIDER.", nullable=True)
    dec: Series[Date] = _date_field("DEC: date episode ceased; empty if open.", nullable=True)
    rec: Series[String] = _code_field(codes.ReasonEpisodeCeased, "REC: reason episode ceased.", nullable=True)
    reason_place_change: Series[String] = _code_field(
        codes.ReasonPlaceChange, "REASON_PLACE_CHANGE: why the placement ended.", nullable=True
    )
    urn: Series[String] = pa.Field(nullable=True, description="URN of the placement, where Ofsted registered.")

    @pa.dataframe_check(error="dec must be on or after decom")
    def ceased_not_before_commenced(cls, df: pd.DataFrame) -> Series[bool]:
        return _not_before(df[cls.dec], df[cls.decom])

    @pa.dataframe_check(error="a ceased episode (dec) needs a reason (rec), and an open one has none")
    def ceased_has_reason(cls, df: pd.DataFrame) -> Series[bool]:
        return df[cls.dec].isna() == df[cls.rec].isna()


class Incidents(pa.DataFrameModel):
    """One row per incident during a stay."""

    incident_id: Series[String] = _id_field("Incident identifier.", unique=True)
    stay_id: Series[String] = _id_field("Stay the incident happened in.")
    incident_date: Series[Date] = _date_field("Date of the incident.")
    incident_type: Series[String] = _code_field(codes.IncidentType, "Type of incident.")


class MentalHealth(pa.DataFrameModel):
    """One row per mental-health assessment during a stay."""

    assessment_id: Series[String] = _id_field("Assessment identifier.", unique=True)
    stay_id: Series[String] = _id_field("Stay the assessment happened in.")
    assessment_date: Series[Date] = _date_field("Date of the assessment.")
    need_identified: Series[Boolean] = _flag_field("True if a mental-health need was identified.")
    need_met: Series[Boolean] = _flag_field(
        "True if the identified need was met; empty if none identified.", nullable=True
    )
    need_met_date: Series[Date] = _date_field("Date the need was first met (treatment began).", nullable=True)

    @pa.dataframe_check(error="need_met is recorded only where a need was identified")
    def met_only_if_identified(cls, df: pd.DataFrame) -> Series[bool]:
        identified = df[cls.need_identified].fillna(True).astype(bool)  # unknown: the not-null rule's to report
        return identified | df[cls.need_met].isna()

    @pa.dataframe_check(error="need_met_date must be on or after assessment_date")
    def met_not_before_assessed(cls, df: pd.DataFrame) -> Series[bool]:
        return _not_before(df[cls.need_met_date], df[cls.assessment_date])


class Wellbeing(pa.DataFrameModel):
    """One row per wellbeing measurement."""

    measurement_id: Series[String] = _id_field("Measurement identifier.", unique=True)
    child_id: Series[String] = _id_field("Child measured.")
    stay_id: Series[String] = pa.Field(nullable=True, description="Stay the measurement belongs to, where it does.")
    instrument: Series[String] = _code_field(codes.WellbeingInstrument, "Instrument used.")
    score: Series[Number] = pa.Field(ge=0, le=40, description="Score on the instrument's own scale.")
    measured_date: Series[Date] = _date_field("Date of the measurement.")
    timing: Series[String] = _code_field(codes.WellbeingTiming, "When in the stay the measurement was taken.")

    @pa.dataframe_check(error="score is outside the instrument's range (SDQ 0 to 40, SWEMWBS 7 to 35)")
    def score_in_instrument_range(cls, df: pd.DataFrame) -> Series[bool]:
        sdq = df[cls.instrument] == codes.WellbeingInstrument.SDQ
        swemwbs = df[cls.instrument] == codes.WellbeingInstrument.SWEMWBS
        score = df[cls.score]
        in_range = (sdq & score.between(0, 40)) | (swemwbs & score.between(7, 35)) | ~(sdq | swemwbs)
        return score.isna() | in_range.fillna(True).astype(bool)


class HealthChecks(_FollowUpSource):
    """One row per child per year ending 31 March after exit: SSDA903 OC2."""

    period_end: Series[Date] = _date_field("End of the year the record covers (31 March).")
    immunisations: Series[Boolean] = _flag_field("OC2 IMMUNISATIONS: immunisations up to date.", nullable=True)
    teeth_check: Series[Boolean] = _flag_field("OC2 TEETH_CHECK: dental check in the year.", nullable=True)
    health_assessment: Series[Boolean] = _flag_field("OC2 HEALTH_ASSESSMENT: annual health assessment.", nullable=True)
    substance_misuse: Series[Boolean] = _flag_field("OC2 SUBSTANCE_MISUSE: identified substance misuse.", nullable=True)
    convicted: Series[Boolean] = _flag_field("OC2 CONVICTED: convicted or given a final warning.", nullable=True)
    sdq_score: Series[Integer] = pa.Field(ge=0, le=40, nullable=True, description="OC2 SDQ_SCORE, 0 to 40.")


class CareLeavers(_FollowUpSource):
    """One row per care leaver per year after exit: SSDA903 OC3."""

    period_end: Series[Date] = _date_field("End of the year the record covers (31 March).")
    in_touch: Series[String] = _code_field(codes.CareLeaverInTouch, "OC3 IN_TOUCH.")
    activity: Series[String] = _code_field(codes.CareLeaverActivity, "OC3 ACTIV.", nullable=True)
    accommodation: Series[String] = _code_field(
        codes.CareLeaverAccommodation, "OC3 ACCOM, with suitability suffix.", nullable=True
    )


class Education(_FollowUpSource):
    """One row per child per academic year: attendance, attainment and participation."""

    academic_year: Series[Integer] = pa.Field(
        ge=1990, le=2100, description="Academic year, by the calendar year it starts (2021 is 2021/22)."
    )
    attendance_pct: Series[Number] = pa.Field(
        ge=0, le=100, nullable=True, description="Sessions attended, percent of possible."
    )
    attainment8: Series[Number] = pa.Field(
        ge=0, le=90, nullable=True, description="Key stage 4 Attainment 8 score, in the year the child sat it."
    )
    in_eet: Series[Boolean] = _flag_field("In education, employment or training during the year.", nullable=True)


@dataclass(frozen=True)
class Table:
    """A table of the contract: its declaration and how it is keyed and used."""

    name: str
    model: type[pa.DataFrameModel]
    grain: str
    key: tuple[str, ...]
    required: bool = False
    follow_up: bool = False
    depends_on: tuple[str, ...] = field(default=())

    @property
    def schema(self) -> pa.DataFrameSchema:
        return self.model.to_schema()

    @property
    def columns(self) -> dict[str, pa.Column]:
        return dict(self.schema.columns)

    @property
    def required_columns(self) -> list[str]:
        return [name for name, column in self.columns.items() if column.required]

    @property
    def pii_columns(self) -> list[str]:
        return [name for name, column in self.columns.items() if (column.metadata or {}).get("pii")]


TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        Table("children", Children, "child", (Children.child_id,), required=True),
        Table("identifiers", Identifiers, "child", (Identifiers.child_id,)),
        Table("referrals", Referrals, "referral", (Referrals.referral_id,), required=True),
        Table("homes", Homes, "home", (Homes.urn,), required=True),
        Table("home_capacity", HomeCapacity, "home x 31 March", (HomeCapacity.urn, HomeCapacity.snapshot_date)),
        Table("stays", Stays, "stay in a secure home", (Stays.stay_id,), required=True),
        Table("care_episodes", CareEpisodes, "SSDA903 episode", (CareEpisodes.record_id,), follow_up=True),
        Table("incidents", Incidents, "incident during a stay", (Incidents.incident_id,)),
        Table("mental_health", MentalHealth, "assessment during a stay", (MentalHealth.assessment_id,)),
        Table("wellbeing", Wellbeing, "measurement", (Wellbeing.measurement_id,)),
        Table(
            "health_checks", HealthChecks, "child x year after exit (OC2)", (HealthChecks.record_id,), follow_up=True
        ),
        Table("care_leavers", CareLeavers, "child x year after exit (OC3)", (CareLeavers.record_id,), follow_up=True),
        Table("education", Education, "child x academic year", (Education.record_id,), follow_up=True),
    )
}
"""Every table of the contract, in load order (a table's references come before it)."""
