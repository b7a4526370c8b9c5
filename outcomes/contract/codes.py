"""Code lists of the data contract.

Each code list is a ``StrEnum`` whose values are the codes as they appear in
the data. SSDA903 code lists keep the values DfE publishes in the
*Children looked after return* guidance, so files from local authorities load
without translation. Labels are kept beside the codes because the data
dictionary in the book is generated from these classes.
"""

from __future__ import annotations

from enum import StrEnum


class CodeList(StrEnum):
    """A code list: members carry a code (their value) and a label."""

    label: str

    def __new__(cls, code: str, label: str = "") -> CodeList:
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label or code
        return member

    @classmethod
    def codes(cls) -> list[str]:
        """The codes, in declaration order."""
        return [member.value for member in cls]


# --- Secure children's homes ---------------------------------------------------


class Pathway(CodeList):
    WELFARE = "welfare", "Welfare: section 25 Children Act 1989, placed by a local authority"
    REMAND = "remand", "Remand: remanded by a court to youth detention accommodation"
    JUSTICE = "justice", "Justice: sentenced, placed by the Youth Custody Service"


class Route(CodeList):
    SWCU = "swcu", "Secure Welfare Coordination Unit"
    YCS = "ycs", "Youth Custody Service Placement Team"
    LOCAL_AUTHORITY = "local_authority", "Local authority directly"


class HomeType(CodeList):
    WELFARE_ONLY = "welfare_only", "Welfare places only (Children Act)"
    MIXED = "mixed", "Welfare and justice places"
    JUSTICE_ONLY = "justice_only", "Justice places only (commissioned by the Youth Custody Service)"


class Region(CodeList):
    NORTH_EAST = "E12000001", "North East"
    NORTH_WEST = "E12000002", "North West"
    YORKSHIRE = "E12000003", "Yorkshire and The Humber"
    EAST_MIDLANDS = "E12000004", "East Midlands"
    WEST_MIDLANDS = "E12000005", "West Midlands"
    EAST = "E12000006", "East of England"
    LONDON = "E12000007", "London"
    SOUTH_EAST = "E12000008", "South East"
    SOUTH_WEST = "E12000009", "South West"


class LegalBasis(CodeList):
    SECTION_25 = "section_25", "Secure accommodation order, section 25 Children Act 1989"
    REMAND = "remand", "Remand to youth detention accommodation (LASPO 2012 s.102)"
    DTO = "dto", "Detention and training order"
    SECTION_250 = "section_250", "Long-term detention, section 250 Sentencing Act 2020"
    SECTION_259 = "section_259", "Detention during His Majesty's pleasure, section 259 Sentencing Act 2020"
    PACE = "pace", "Police and Criminal Evidence Act 1984 transfer"


class AlternativeSetting(CodeList):
    RESIDENTIAL_CHILDRENS_HOME = "residential_childrens_home", "Residential children's home"
    YOI = "yoi", "Young offender institution"
    SECURE_TRAINING_CENTRE = "secure_training_centre", "Secure training centre or secure school"
    FOSTER_CARE = "foster_care", "Foster care"
    UNREGULATED = "unregulated", "Unregistered or unregulated setting"
    HOSPITAL = "hospital", "Hospital or mental health unit"
    OTHER = "other", "Other or not known"


class Destination(CodeList):
    """Where a child went when the stay in the secure home ended."""

    FAMILY = "family", "Home to parents or relatives"
    FOSTER_CARE = "foster_care", "Foster care"
    CHILDRENS_HOME = "childrens_home", "Open residential children's home"
    SEMI_INDEPENDENT = "semi_independent", "Semi-independent or supported accommodation"
    INDEPENDENT = "independent", "Independent living"
    ANOTHER_SECURE_HOME = "another_secure_home", "Another secure children's home"
    YOI = "yoi", "Young offender institution"
    SECURE_TRAINING_CENTRE = "secure_training_centre", "Secure training centre or secure school"
    HOSPITAL = "hospital", "Hospital or mental health unit"
    OTHER = "other", "Other"
    NOT_KNOWN = "not_known", "Not known"


class Behaviour(CodeList):
    """The 14 presented behaviours of Table 3 of the 2022 report (SWCU referral form)."""

    ABSCONDING = "absconding", "Absconding"
    ADOPTION_BREAKDOWN = "adoption_breakdown", "Adoption breakdown"
    CHALLENGING_BEHAVIOUR = "challenging_behaviour", "Challenging behaviour"
    CRIMINAL_EXPLOITATION = "criminal_exploitation", "Criminal exploitation"
    DISCLOSED_ABUSE = "disclosed_abuse", "Disclosed abuse"
    FIRE_SETTING = "fire_setting", "Fire setting"
    GANG_AFFILIATED = "gang_affiliated", "Gang affiliated"
    MENTAL_HEALTH = "mental_health", "Mental health"
    OFFENDING_BEHAVIOUR = "offending_behaviour", "Offending behaviour"
    SELF_HARM = "self_harm", "Self-harm"
    SEXUAL_EXPLOITATION = "sexual_exploitation", "Sexual exploitation"
    SEXUALISED_BEHAVIOUR = "sexualised_behaviour", "Sexualised behaviour"
    SEXUALLY_HARMFUL_BEHAVIOUR = "sexually_harmful_behaviour", "Sexually harmful behaviour"
    SUBSTANCE_MISUSE = "substance_misuse", "Substance misuse"


class IncidentType(CodeList):
    SELF_HARM = "self_harm", "Self-harm"
    RESTRAINT = "restraint", "Physical restraint"
    MISSING = "missing", "Missing or absent"
    ASSAULT = "assault", "Assault"


class WellbeingInstrument(CodeList):
    SDQ = "sdq", "Strengths and Difficulties Questionnaire, total difficulties (0 to 40; higher is worse)"
    SWEMWBS = "swemwbs", "Short Warwick-Edinburgh Mental Wellbeing Scale (7 to 35; higher is better)"


class WellbeingTiming(CodeList):
    ADMISSION = "admission", "At admission"
    DISCHARGE = "discharge", "At discharge"
    FOLLOW_UP = "follow_up", "After leaving"


# --- SSDA903 (Children looked after return) ------------------------------------


class Sex(CodeList):
    MALE = "1", "Male"
    FEMALE = "2", "Female"


class Ethnicity(CodeList):
    WBRI = "WBRI", "White British"
    WIRI = "WIRI", "White Irish"
    WOTH = "WOTH", "Any other White background"
    WIRT = "WIRT", "Traveller of Irish heritage"
    WROM = "WROM", "Gypsy/Roma"
    MWBC = "MWBC", "White and Black Caribbean"
    MWBA = "MWBA", "White and Black African"
    MWAS = "MWAS", "White and Asian"
    MOTH = "MOTH", "Any other mixed background"
    AIND = "AIND", "Indian"
    APKN = "APKN", "Pakistani"
    ABAN = "ABAN", "Bangladeshi"
    AOTH = "AOTH", "Any other Asian background"
    BCRB = "BCRB", "Caribbean"
    BAFR = "BAFR", "African"
    BOTH = "BOTH", "Any other Black background"
    CHNE = "CHNE", "Chinese"
    OOTH = "OOTH", "Any other ethnic group"
    REFU = "REFU", "Refused"
    NOBT = "NOBT", "Information not yet obtained"


class ReasonNewEpisode(CodeList):
    """SSDA903 RNE."""

    S = "S", "Started to be looked after"
    L = "L", "Change of legal status only"
    P = "P", "Change of placement and carer(s) only"
    T = "T", "Change of placement only, carer(s) the same"
    B = "B", "Change of legal status and of placement and carer(s) at the same time"
    U = "U", "Change of legal status and of placement, carer(s) the same"


class LegalStatus(CodeList):
    """SSDA903 LS."""

    C1 = "C1", "Interim care order"
    C2 = "C2", "Full care order"
    D1 = "D1", "Freeing order granted"
    E1 = "E1", "Placement order granted"
    J1 = "J1", "Remanded to local authority accommodation or youth detention accommodation"
    J2 = "J2", "Placed in local authority accommodation under PACE"
    J3 = "J3", "Youth rehabilitation order with local authority residence requirement"
    L1 = "L1", "Under police protection"
    L2 = "L2", "Emergency protection order"
    L3 = "L3", "Child assessment order"
    V2 = "V2", "Single period of accommodation under section 20"
    V3 = "V3", "Accommodated under an agreed series of short-term breaks (individual episodes)"
    V4 = "V4", "Accommodated under an agreed series of short-term breaks (multiple episodes)"


class CategoryOfNeed(CodeList):
    """SSDA903 CIN."""

    N1 = "N1", "Abuse or neglect"
    N2 = "N2", "Child's disability"
    N3 = "N3", "Parental illness or disability"
    N4 = "N4", "Family in acute stress"
    N5 = "N5", "Family dysfunction"
    N6 = "N6", "Socially unacceptable behaviour"
    N7 = "N7", "Low income"
    N8 = "N8", "Absent parenting"


class Placement(CodeList):
    """SSDA903 PLACE: every code valid in some collection year.

    Which codes a given year's return may use is in :mod:`outcomes.contract.ssda903_years` (K3 from
    2024-25; Z11 to Z14 from 2025-26, when H5, P2 and Z1 were withdrawn).
    """

    A3 = "A3", "Placed for adoption with parental consent, with current foster carers"
    A4 = "A4", "Placed for adoption with parental consent, not with current foster carers"
    A5 = "A5", "Placed for adoption with placement order, with current foster carers"
    A6 = "A6", "Placed for adoption with placement order, not with current foster carers"
    H5 = "H5", "Semi-independent living accommodation not subject to children's homes regulations"
    K1 = "K1", "Secure children's home"
    K2 = "K2", "Children's home subject to children's homes regulations"
    K3 = "K3", "Placement type K3 (from the 2024 to 2025 return; see DfE's guide for the year)"
    P1 = "P1", "Placed with own parent(s) or other person(s) with parental responsibility"
    P2 = "P2", "Independent living"
    P3 = "P3", "Residential employment"
    R1 = "R1", "Residential care home"
    R2 = "R2", "NHS or health trust or other establishment providing medical or nursing care"
    R3 = "R3", "Family centre or mother and baby unit"
    R5 = "R5", "Young offender institution or prison"
    S1 = "S1", "All residential schools, except where dual-registered as a school and children's home"
    T0 = "T0", "All types of temporary move"
    T1 = "T1", "Temporary periods in hospital"
    T2 = "T2", "Temporary absences of the child on holiday"
    T3 = "T3", "Temporary accommodation whilst normal foster carer is on holiday"
    T4 = "T4", "Temporary accommodation of seven days or less"
    U1 = "U1", "Foster placement with relative or friend, long-term fostering"
    U2 = "U2", "Foster placement with relative or friend, who is also an approved adopter (FFA)"
    U3 = "U3", "Foster placement with relative or friend, not long-term or FFA"
    U4 = "U4", "Foster placement with other foster carer, long-term fostering"
    U5 = "U5", "Foster placement with other foster carer, who is also an approved adopter (FFA)"
    U6 = "U6", "Foster placement with other foster carer, not long-term or FFA"
    Z1 = "Z1", "Other placements (to the 2024 to 2025 return)"
    Z11 = "Z11", "Other placements, Z11 (from the 2025 to 2026 return; see DfE's guide for the year)"
    Z12 = "Z12", "Other placements, Z12 (from the 2025 to 2026 return; see DfE's guide for the year)"
    Z13 = "Z13", "Other placements, Z13 (from the 2025 to 2026 return; see DfE's guide for the year)"
    Z14 = "Z14", "Other placements, Z14 (from the 2025 to 2026 return; see DfE's guide for the year)"


class PlacementProvider(CodeList):
    """SSDA903 PLACE_PROVIDER."""

    PR0 = "PR0", "Parent(s) or other person(s) with parental responsibility"
    PR1 = "PR1", "Own provision (by the local authority)"
    PR2 = "PR2", "Other local authority provision"
    PR3 = "PR3", "Other public provision (for example a primary care trust)"
    PR4 = "PR4", "Private provision"
    PR5 = "PR5", "Voluntary or third sector provision"


class ReasonEpisodeCeased(CodeList):
    """SSDA903 REC."""

    E11 = "E11", "Adopted: application for an adoption order unopposed"
    E12 = "E12", "Adopted: consent dispensed with by the court"
    E13 = "E13", "Left care to live with parent(s), relative(s) or other person(s) with no parental responsibility"
    E14 = "E14", "Accommodation on remand ended"
    E15 = "E15", "Age assessment determined child is aged 18 or over"
    E16 = "E16", "Child moved abroad"
    E17 = "E17", "Aged 18 (or over) and remained with current carers (staying put)"
    E2 = "E2", "Died"
    E3 = "E3", "Care taken over by another local authority in the UK"
    E41 = "E41", "Residence order (or child arrangement order) granted"
    E45 = "E45", "Special guardianship order made to former foster carer(s)"
    E46 = "E46", "Special guardianship order made to carer(s), other than former foster carer(s)"
    E47 = "E47", "Special guardianship order made to former foster carer(s), other than relative(s)"
    E48 = "E48", "Special guardianship order made to carer(s), other than relative(s) or former foster carer(s)"
    E4A = "E4A", "Returned home to live with parent(s), relative(s), or other person(s) with parental responsibility"
    E4B = "E4B", "Returned home, not as part of the care planning process"
    E5 = "E5", "Moved into independent living arrangement with formalised support"
    E6 = "E6", "Moved into independent living arrangement without formalised support"
    E7 = "E7", "Transferred to residential care funded by adult social care services"
    E8 = "E8", "Period of being looked after ceased for any other reason"
    E9 = "E9", "Sentenced to custody"
    X1 = "X1", "Episode ceases, and new episode begins on same day"


class ReasonPlaceChange(CodeList):
    """SSDA903 REASON_PLACE_CHANGE."""

    ALLEG = "ALLEG", "Allegation (s47)"
    APPRR = "APPRR", "Approval removed"
    CARPL = "CARPL", "Change to/implementation of care plan"
    CHILD = "CHILD", "Child requests placement end"
    CLOSE = "CLOSE", "Resignation or closure of provision"
    CREQB = "CREQB", "Carer requests placement end due to child's behaviour"
    CREQO = "CREQO", "Carer requests placement end, other than due to child's behaviour"
    CUSTOD = "CUSTOD", "Custody arrangement"
    LAREQ = "LAREQ", "Responsible or area authority requests placement end"
    OTHER = "OTHER", "Other"
    PLACE = "PLACE", "Change of placement in the same provision"
    STAND = "STAND", "Standards of care concern"


class CareLeaverInTouch(CodeList):
    """SSDA903 OC3 IN_TOUCH."""

    YES = "YES", "In touch"
    NO = "NO", "Not in touch"
    DIED = "DIED", "Died"
    REFU = "REFU", "Young person refuses contact"
    NREQ = "NREQ", "Local authority no longer required to be in touch"
    RHOM = "RHOM", "Returned home for more than six months"


class CareLeaverActivity(CodeList):
    """SSDA903 OC3 ACTIV."""

    F1 = "F1", "Full-time higher education"
    P1 = "P1", "Part-time higher education"
    F2 = "F2", "Full-time education other than higher education"
    P2 = "P2", "Part-time education other than higher education"
    F4 = "F4", "Full-time employment"
    P4 = "P4", "Part-time employment"
    F5 = "F5", "Full-time training or apprenticeship"
    P5 = "P5", "Part-time training or apprenticeship"
    G4 = "G4", "Not in education, employment or training: illness or disability"
    G5 = "G5", "Not in education, employment or training: other reasons"
    G6 = "G6", "Not in education, employment or training: pregnancy or parenting"

    @property
    def in_eet(self) -> bool:
        """True for education, employment or training (the ``F`` and ``P`` codes)."""
        return not self.value.startswith("G")


class CareLeaverAccommodation(CodeList):
    """SSDA903 OC3 ACCOM; the second character is 1 when suitable, 2 when not."""

    B1 = "B1", "With parents or relatives: suitable"
    B2 = "B2", "With parents or relatives: not suitable"
    C1 = "C1", "Community home: suitable"
    C2 = "C2", "Community home: not suitable"
    D1 = "D1", "Semi-independent, transitional accommodation: suitable"
    D2 = "D2", "Semi-independent, transitional accommodation: not suitable"
    E1 = "E1", "Supported lodgings: suitable"
    E2 = "E2", "Supported lodgings: not suitable"
    G1 = "G1", "Gone abroad: suitable"
    G2 = "G2", "Gone abroad: not suitable"
    H1 = "H1", "Deported: suitable"
    H2 = "H2", "Deported: not suitable"
    K1 = "K1", "Ordinary lodgings without formal support: suitable"
    K2 = "K2", "Ordinary lodgings without formal support: not suitable"
    R1 = "R1", "Residence not known: suitable"
    R2 = "R2", "Residence not known: not suitable"
    S2 = "S2", "No fixed abode or homeless: not suitable"
    T1 = "T1", "Foyers or similar supported accommodation: suitable"
    T2 = "T2", "Foyers or similar supported accommodation: not suitable"
    U1 = "U1", "Independent living: suitable"
    U2 = "U2", "Independent living: not suitable"
    V1 = "V1", "Emergency accommodation: suitable"
    V2 = "V2", "Emergency accommodation: not suitable"
    W1 = "W1", "Bed and breakfast: suitable"
    W2 = "W2", "Bed and breakfast: not suitable"
    X1 = "X1", "In custody: suitable"
    X2 = "X2", "In custody: not suitable"
    Y1 = "Y1", "Other accommodation: suitable"
    Y2 = "Y2", "Other accommodation: not suitable"
    Z1 = "Z1", "With former foster carers: suitable"
    Z2 = "Z2", "With former foster carers: not suitable"

    @property
    def suitable(self) -> bool:
        return self.value.endswith("1")

    @property
    def in_custody(self) -> bool:
        return self.value.startswith("X")


#: Every code list, by name, for the data dictionary.
CODE_LISTS: dict[str, type[CodeList]] = {
    cls.__name__: cls
    for cls in (
        Pathway,
        Route,
        HomeType,
        Region,
        LegalBasis,
        AlternativeSetting,
        Destination,
        Behaviour,
        IncidentType,
        WellbeingInstrument,
        WellbeingTiming,
        Sex,
        Ethnicity,
        ReasonNewEpisode,
        LegalStatus,
        CategoryOfNeed,
        Placement,
        PlacementProvider,
        ReasonEpisodeCeased,
        ReasonPlaceChange,
        CareLeaverInTouch,
        CareLeaverActivity,
        CareLeaverAccommodation,
    )
}
