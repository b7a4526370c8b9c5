"""A tiny, hand-checkable data folder that satisfies the data contract.

Tests copy it and break one thing at a time. Every value is written out so a
reader can check by eye what a rule should say about it.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from outcomes.contract.codes import Behaviour

BEHAVIOURS = [b.value for b in Behaviour]
NO_BEHAVIOURS = ",".join("false" for _ in BEHAVIOURS)


def _behaviours(*present: str) -> str:
    return ",".join("true" if b in present else "false" for b in BEHAVIOURS)


VALID_FILES: dict[str, str] = {
    "children": (
        "child_id,sex,birth_month,ethnicity,local_authority\n"
        "C001,2,2006-04,WBRI,202\n"
        "C002,1,2005-09,BCRB,330\n"
        "C003,2,2007-01,MWBC,886\n"
    ),
    "homes": (
        "urn,name,home_type,region\nSC000001,Aspen House,welfare_only,E12000002\nSC000002,Birch Lodge,mixed,E12000008\n"
    ),
    "referrals": (
        "referral_id,child_id,referral_date,pathway,route,placed,decision_date,urn,alternative_setting,"
        + ",".join(BEHAVIOURS)
        + "\n"
        + f"R001,C001,2020-03-02,welfare,swcu,true,2020-03-04,SC000001,,{_behaviours('absconding', 'self_harm')}\n"
        + f"R002,C002,2020-05-10,remand,ycs,true,2020-05-10,SC000002,,{_behaviours('offending_behaviour')}\n"
        + f"R003,C003,2021-02-01,welfare,swcu,false,2021-02-03,,residential_childrens_home,{_behaviours('absconding')}\n"
        + f"R004,C001,2021-06-01,welfare,swcu,false,2021-06-02,,other,{NO_BEHAVIOURS}\n"
    ),
    "stays": (
        "stay_id,child_id,urn,referral_id,admission_date,discharge_date,pathway,legal_basis,destination,transition_plan\n"
        "S001,C001,SC000001,R001,2020-03-04,2020-06-30,welfare,section_25,foster_care,true\n"
        "S002,C002,SC000002,R002,2020-05-10,2020-08-01,remand,remand,family,false\n"
    ),
    "home_capacity": (
        "urn,snapshot_date,places_approved,places_available,children_accommodated\n"
        "SC000001,2020-03-31,8,6,1\n"
        "SC000002,2020-03-31,12,12,0\n"
    ),
    "incidents": (
        "incident_id,stay_id,incident_date,incident_type\n"
        "I001,S001,2020-04-01,self_harm\n"
        "I002,S002,2020-06-01,restraint\n"
    ),
    "care_episodes": (
        "record_id,child_id,decom,rne,ls,cin,place,place_provider,dec,rec,reason_place_change,urn\n"
        "E001,C001,2020-03-04,P,C2,N1,K1,PR1,2020-06-30,X1,CARPL,SC000001\n"
        "E002,C001,2020-06-30,P,C2,N1,U6,PR4,,,,\n"
    ),
    "identifiers": (
        "child_id,forename,surname,date_of_birth,sex,postcode\n"
        "C001,Amy,Smith,2006-04-12,2,LS1 4AB\n"
        "C002,Ben,Jones,2005-09-03,1,M1 2CD\n"
        "C003,Cara,Brown,2007-01-20,2,NE1 5EF\n"
    ),
    "mental_health": (
        "assessment_id,stay_id,assessment_date,need_identified,need_met,need_met_date\n"
        "M001,S001,2020-03-10,true,true,2020-03-20\n"
        "M002,S002,2020-05-15,false,,\n"
    ),
    "wellbeing": (
        "measurement_id,child_id,stay_id,instrument,score,measured_date,timing\n"
        "W001,C001,S001,sdq,18,2020-03-05,admission\n"
        "W002,C001,S001,sdq,12,2020-06-29,discharge\n"
        "W003,C002,,swemwbs,24.5,2021-01-10,follow_up\n"
    ),
    "health_checks": (
        "record_id,child_id,forename,surname,date_of_birth,sex_recorded,postcode,period_end,"
        "immunisations,teeth_check,health_assessment,substance_misuse,convicted,sdq_score\n"
        "H001,C001,,,,,,2021-03-31,true,true,true,false,false,14\n"
        "H002,,Ben,Jones,2005-09-03,1,M1 2CD,2021-03-31,true,false,true,true,false,\n"
    ),
    "care_leavers": (
        "record_id,child_id,forename,surname,date_of_birth,sex_recorded,postcode,period_end,in_touch,activity,accommodation\n"
        "L001,C002,,,,,,2021-03-31,YES,F2,D1\n"
        "L002,,Amy,Smith,2006-04-12,2,LS1 4AB,2022-03-31,NO,,\n"
    ),
    "education": (
        "record_id,child_id,forename,surname,date_of_birth,sex_recorded,postcode,academic_year,attendance_pct,"
        "attainment8,in_eet\n"
        "ED01,C001,,,,,,2020,85.5,32.0,true\n"
        "ED02,C003,,,,,,2021,,,\n"
    ),
}
"""File contents by table: three children, two homes, four referrals, two stays, a few events, and one or
two rows of every optional table (follow-up sources have a row with child_id and one with identifiers only).
The folder breaks no rule and raises no warning: on 31 March 2020 one stay is open at SC000001 (S001, from 4 March)
and none at SC000002 (S002 begins on 10 May), as home_capacity says."""

TODAY = date(2024, 1, 1)
"""The "today" the tests judge future dates by, so that they do not change with the calendar."""

ROWS = {name: text.count("\n") - 1 for name, text in VALID_FILES.items()}


def write_valid_folder(folder: Path, files: dict[str, str] | None = None) -> Path:
    """Write the valid data folder (optionally with some files replaced) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (files or VALID_FILES).items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def read_rows(table: str, files: dict[str, str] | None = None) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows (as dicts of text) of one fixture table."""
    reader = csv.DictReader(io.StringIO((files or VALID_FILES)[table]))
    return list(reader.fieldnames or []), list(reader)


def csv_text(header: list[str], rows: list[dict[str, str]]) -> str:
    """CSV text of rows (missing cells written empty), with ``\\n`` line endings."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    writer.writerows([{name: row.get(name, "") for name in header} for row in rows])
    return out.getvalue()
