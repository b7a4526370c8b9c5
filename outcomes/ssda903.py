"""Reading SSDA903 files (the Children looked after return) into contract tables.

Local authorities hold their looked-after children's records in the SSDA903
format: one folder per collection year with Header, Episodes, OC2, OC3 and
Missing files, published column names and ``dd/mm/yyyy`` dates. This adapter
turns such a folder into raw contract tables; the loader then judges them by
the same rules as any other file, and rejects name the SSDA903 file and line.

Layout: ``FOLDER/<YYYY>/header.csv`` (YYYY is the year the collection ends,
31 March YYYY), or the files directly in ``FOLDER`` for a single year given by
``year``. File names are matched without regard to case (``Episodes.csv``).

Mapping:

=========  ==================  ==================================================
file       contract table      notes
=========  ==================  ==================================================
Header     children            DfE's Header has no local authority column: the
                               authority is given to the adapter (an ``LA``
                               column is used where a file has one); when none
                               is given it is recorded as ``000``, not known
Episodes   care_episodes       an episode open across 31 March appears in two
                               years' returns: the latest year's row is kept
OC2        health_checks       period_end = 31 March of the collection year
OC3        care_leavers        period_end = 31 March of the collection year;
                               ACTIV and ACCOM of 0 (not applicable) are empty
Missing    incidents           only spells that fall within a secure-home stay
=========  ==================  ==================================================

Record ids are made from the file and line (``episodes/2021/3``), never from
the child's id, so that no id from the return reaches an output through them.

Each year's rows are judged by that year's own code lists and DfE's rules that
depend on the year (:mod:`outcomes.contract.ssda903_years`); a row that breaks
one is rejected with the code ``D`` + DfE's rule number:

====  =========================================================================
D101  SEX not valid in the collection year (1/2 until 2023-24, M/F/U after)
D146  PLACE not valid in the collection year (K3 from 2024-25, Z11-Z14 from 2025-26)
D354  DECOM after 31 March of the collection year
D385  DEC after 31 March of the collection year
S01   the same record twice in one year's return (same CHILD, and DECOM for an episode)
====  =========================================================================
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from outcomes.contract.codes import IncidentType
from outcomes.contract.ssda903_years import PLACEMENT, SEX, SEX_TO_CONTRACT, VersionedCodeList
from outcomes.contract.tables import (
    CareEpisodes,
    CareLeavers,
    Children,
    HealthChecks,
    Incidents,
    Stays,
)
from outcomes.errors import StructuralError
from outcomes.reading import FILE_COLUMN, ROW, RawTable, read_csv_cells

log = logging.getLogger(__name__)

SSDA903_DATE = "%d/%m/%Y"

EPISODE_COLUMNS = {
    "CHILD": CareEpisodes.child_id,
    "DECOM": CareEpisodes.decom,
    "RNE": CareEpisodes.rne,
    "LS": CareEpisodes.ls,
    "CIN": CareEpisodes.cin,
    "PLACE": CareEpisodes.place,
    "PLACE_PROVIDER": CareEpisodes.place_provider,
    "DEC": CareEpisodes.dec,
    "REC": CareEpisodes.rec,
    "REASON_PLACE_CHANGE": CareEpisodes.reason_place_change,
    "URN": CareEpisodes.urn,
}
OC2_COLUMNS = {
    "CHILD": HealthChecks.child_id,
    "IMMUNISATIONS": HealthChecks.immunisations,
    "TEETH_CHECK": HealthChecks.teeth_check,
    "HEALTH_ASSESSMENT": HealthChecks.health_assessment,
    "SUBSTANCE_MISUSE": HealthChecks.substance_misuse,
    "CONVICTED": HealthChecks.convicted,
    "SDQ_SCORE": HealthChecks.sdq_score,
}
OC3_COLUMNS = {
    "CHILD": CareLeavers.child_id,
    "IN_TOUCH": CareLeavers.in_touch,
    "ACTIV": CareLeavers.activity,
    "ACCOM": CareLeavers.accommodation,
}
HEADER_COLUMNS = {
    "CHILD": Children.child_id,
    "SEX": Children.sex,
    "DOB": Children.birth_month,
    "ETHNIC": Children.ethnicity,
}
"""The Header columns DfE publishes that the contract needs (the Header has no local authority)."""
LA_COLUMN = "LA"
"""A local authority column some systems add to the Header; used where present."""
LOCAL_AUTHORITY_NOT_KNOWN = "000"
"""Recorded as the responsible local authority when none was given (not a DfE code: it means not known)."""
MISSING_COLUMNS = ("CHILD", "MIS_START")
NOT_APPLICABLE_URN = "XXXXXXX"
NOT_RECORDED = "0"
YEAR = "_year"
KEY = "_key"

# file stem -> (contract table, columns, prefix of record ids, columns that identify a record within a return)
SPECS = (
    ("header", "children", HEADER_COLUMNS, None, ("CHILD",)),
    ("episodes", "care_episodes", EPISODE_COLUMNS, "episodes", ("CHILD", "DECOM")),
    ("oc2", "health_checks", OC2_COLUMNS, "oc2", ("CHILD",)),
    ("oc3", "care_leavers", OC3_COLUMNS, "oc3", ("CHILD",)),
)


def _year_folders(folder: Path) -> list[tuple[int, Path]]:
    years = sorted((int(p.name), p) for p in folder.iterdir() if p.is_dir() and p.name.isdigit() and len(p.name) == 4)
    return years


def _find(folder: Path, stem: str) -> Path | None:
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() == ".csv" and path.stem.lower() == stem:
            return path
    return None


def _read(path: Path, needed: dict[str, str] | tuple[str, ...]) -> RawTable:
    raw = read_csv_cells(path)
    missing = [name for name in needed if name not in raw.header]
    if missing:
        raise StructuralError(
            str(path),
            f"is not a complete SSDA903 file: column(s) {', '.join(missing)} missing",
            "Use the column names DfE publishes for the return.",
        )
    raw.frame[FILE_COLUMN] = raw.file
    return raw


def ssda903_files(folder: Path) -> list[Path]:
    """Every SSDA903 file the adapter reads in ``folder`` (for the run record's hashes)."""
    folders = [path for _, path in _year_folders(folder)] or [folder]
    stems = [spec[0] for spec in SPECS] + ["missing"]
    return [path for year_folder in folders for stem in stems if (path := _find(year_folder, stem)) is not None]


def missing_files(folder: Path) -> list[Path]:
    """The Missing files of an SSDA903 folder (of year folders, or of one year's files)."""
    folders = [path for _, path in _year_folders(folder)] or [folder]
    return [path for year_folder in folders if (path := _find(year_folder, "missing")) is not None]


Problem = tuple[int, str, str, str, str, str]
"""A rejected line: row, column, value, rule, file, code."""


def _positional_ids(prefix: str, frame: pd.DataFrame) -> pd.Series:
    return prefix + "/" + frame[YEAR].astype(str) + "/" + frame[ROW].astype(str)


def _repeated_within_a_return(frame: pd.DataFrame, key: tuple[str, ...], columns: dict[str, str]) -> pd.Series:
    """Rows whose key repeats an earlier row of the same year's file (the first is kept)."""
    names = [columns.get(name, name) for name in key]
    keyed = frame[names].notna().all(axis=1)
    return keyed & frame.duplicated(subset=[*names, YEAR], keep="first")


def _year_code_failures(frame: pd.DataFrame, column: str, code_list: VersionedCodeList) -> pd.Series:
    values = frame[column].str.strip()
    failing = pd.Series(False, index=frame.index)
    for year, rows in frame.groupby(YEAR).groups.items():
        valid = code_list.codes_for(int(year))
        failing.loc[rows] = values.loc[rows].notna() & ~values.loc[rows].isin(valid)
    return failing


def _after_collection_end(frame: pd.DataFrame, column: str) -> pd.Series:
    when = pd.to_datetime(frame[column], format=SSDA903_DATE, errors="coerce")
    end = pd.to_datetime(frame[YEAR].astype(str) + "-03-31")
    return when.notna() & (when > end)


def _reject(frame: pd.DataFrame, failing: pd.Series, column: str, source: str, rule: str, code: str) -> list[Problem]:
    rows = frame[failing]
    return [
        (int(row), column, "" if value is None else str(value), rule, str(file), code)
        for row, value, file in zip(rows[ROW], rows[column], rows[FILE_COLUMN], strict=True)
    ]


def _year_rules(table: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """DfE's rules that depend on the collection year; returns the rows that pass and the problems."""
    problems: list[Problem] = []
    failing = pd.Series(False, index=frame.index)
    checks: list[tuple[pd.Series, str, str, str]] = []
    if table == "care_episodes":
        place = _year_code_failures(frame, CareEpisodes.place, PLACEMENT)
        checks.append((place, CareEpisodes.place, "PLACE", f"DfE rule {PLACEMENT.dfe_rule}: {PLACEMENT.message}"))
        checks.append(
            (
                _after_collection_end(frame, CareEpisodes.decom),
                CareEpisodes.decom,
                "DECOM",
                "DfE rule 354: the episode begins after 31 March of the collection year of its return",
            )
        )
        checks.append(
            (
                _after_collection_end(frame, CareEpisodes.dec),
                CareEpisodes.dec,
                "DEC",
                "DfE rule 385: the episode ends after 31 March of the collection year of its return",
            )
        )
        codes = {"PLACE": "D146", "DECOM": "D354", "DEC": "D385"}
    elif table == "children":
        sex = _year_code_failures(frame, Children.sex, SEX)
        checks.append((sex, Children.sex, "SEX", f"DfE rule {SEX.dfe_rule}: {SEX.message}"))
        codes = {"SEX": "D101"}
    else:
        return frame, problems
    for mask, column, published, rule in checks:
        mask = mask & ~failing  # one reject per row: the first rule it breaks
        by_year = frame.loc[mask, YEAR]
        for year in sorted(by_year.unique()):
            in_year = mask & (frame[YEAR] == year)
            year_rule = f"{rule} ({year - 1} to {year})"
            if published == "SEX":
                valid = ", ".join(sorted(SEX.codes_for(int(year))))
                year_rule += f": the return for the year records {valid}"
                if "U" in SEX.codes_for(int(year)):
                    year_rule += " (U, not known, has no code in the contract's children.sex, which takes 1 or 2)"
            problems += _reject(frame, in_year, column, published, year_rule, codes[published])
        failing |= mask
    if table == "children":
        # U is valid in the return but the contract has no code for it: rejected too, saying why.
        unknown = frame[Children.sex].str.strip().eq("U").fillna(False) & ~failing
        for year in sorted(frame.loc[unknown, YEAR].unique()):
            in_year = unknown & (frame[YEAR] == year)
            problems += _reject(
                frame,
                in_year,
                Children.sex,
                "SEX",
                f"sex U (not known or indeterminate) in the {year - 1} to {year} return has no code in the "
                "contract's children.sex (1 male, 2 female)",
                "D101",
            )
        failing |= unknown
        kept = frame[~failing].copy()
        kept[Children.sex] = kept[Children.sex].str.strip().replace(SEX_TO_CONTRACT)
        return kept, problems
    return frame[~failing], problems


def read_ssda903_folder(
    folder: Path,
    *,
    skip_tables: set[str] | None = None,
    year: int | None = None,
    stays: pd.DataFrame | None = None,
    local_authority: str | None = None,
) -> dict[str, RawTable]:
    """Raw contract tables from a folder of SSDA903 files.

    Parameters
    ----------
    folder : folder of year folders, or of one year's files (then give ``year``).
    skip_tables : contract tables not to read here (supplied otherwise).
    year : collection year of a folder without year folders.
    stays : the stays table (typed), needed to turn Missing spells into incidents of a stay.
    local_authority : three-digit DfE code of the authority whose returns these are, for the Header
        (which has no local authority column as DfE publishes it). An ``LA`` column in a Header is used
        where it has a value. Without either the authority is recorded as not known
        (:data:`LOCAL_AUTHORITY_NOT_KNOWN`) and a warning says so.

    Returns
    -------
    dict of table name to :class:`~outcomes.reading.RawTable`, with dates still
    in ``dd/mm/yyyy`` (the raw table says so) and rows traced to their file and line.
    Rows that break a rule of their collection year are already set aside as problems with their code.
    """
    skip = skip_tables or set()
    if not folder.is_dir():
        raise StructuralError(str(folder), "is not a folder", "Give the folder holding the SSDA903 files.")
    years = _year_folders(folder)
    if not years:
        if year is None:
            raise StructuralError(
                str(folder),
                "holds no year folders (for example 2022/) and no collection year was given",
                "Put each year's files in a folder named by the year the collection ends.",
            )
        years = [(year, folder)]

    parts: dict[str, list[pd.DataFrame]] = {
        "children": [],
        "care_episodes": [],
        "health_checks": [],
        "care_leavers": [],
        "incidents": [],
    }
    problems: dict[str, list] = {name: [] for name in parts}
    for collection_year, year_folder in years:
        period_end = f"31/03/{collection_year}"
        for stem, table, columns, _prefix, _key in SPECS:
            path = _find(year_folder, stem)
            if table in skip or path is None:
                continue
            raw = _read(path, columns)
            wanted = dict(columns)
            if stem == "header" and LA_COLUMN in raw.header:
                wanted[LA_COLUMN] = Children.local_authority
            frame = raw.frame.rename(columns=wanted)[[*wanted.values(), ROW, FILE_COLUMN]]
            frame[YEAR] = collection_year
            if table == "care_episodes":
                frame[CareEpisodes.urn] = frame[CareEpisodes.urn].where(frame[CareEpisodes.urn] != NOT_APPLICABLE_URN)
            elif table in ("health_checks", "care_leavers"):
                frame[HealthChecks.period_end] = period_end
                if table == "care_leavers":
                    # OC3 writes 0 for ACTIV and ACCOM where they do not apply (not in touch, died, returned
                    # home): that is "not recorded", not a code (DfE validator rules 344 and 345).
                    for column in (CareLeavers.activity, CareLeavers.accommodation):
                        frame[column] = frame[column].where(frame[column].str.strip() != NOT_RECORDED, None)
            parts[table].append(frame)
            # Rows of several files are gathered into one table: a malformed line keeps its own file.
            problems[table] += [(row, column, value, rule, raw.file) for row, column, value, rule in raw.problems]
        if "incidents" not in skip and (path := _find(year_folder, "missing")) is not None:
            raw = _read(path, MISSING_COLUMNS)
            parts["incidents"].append(raw.frame.assign(**{YEAR: collection_year}))
            problems["incidents"] += [(row, column, value, rule, raw.file) for row, column, value, rule in raw.problems]

    tables: dict[str, RawTable] = {}
    specs = {spec[1]: spec for spec in SPECS}
    for table, frames in parts.items():
        if not frames:
            continue
        if table == "incidents":
            if stays is None:
                log.warning("SSDA903 Missing files ignored: no stays table to place the spells in")
                continue
            spells = pd.concat(frames, ignore_index=True)
            incidents, outside = missing_spells_as_incidents(spells, stays)
            raw = RawTable("ssda903:incidents", incidents, list(incidents.columns[:4]), problems[table])
            raw.notes = [f"{outside} missing spell(s) outside any secure-home stay not loaded as incidents"]
            raw.date_formats = {Incidents.incident_date: SSDA903_DATE}
            tables[table] = raw
            continue
        _stem, _table, columns, prefix, key = specs[table]
        frame = pd.concat(frames, ignore_index=True)
        notes = []
        repeated = _repeated_within_a_return(frame, key, columns)
        problems[table] += _reject(
            frame,
            repeated,
            columns[key[-1]],
            key[-1],
            f"the same record ({' and '.join(key)}) is already on an earlier line of this year's return",
            "S01",
        )
        frame = frame[~repeated]
        if table in ("care_episodes", "children"):
            # The same episode (or child) is in every return it spans: keep the latest year's rows.
            names = [columns[name] for name in key]
            keys = frame[names].fillna("").astype(str).agg("/".join, axis=1)
            latest_year = frame.groupby(keys)[YEAR].transform("max")
            latest = frame[frame[YEAR] == latest_year]
            superseded = len(frame) - len(latest)
            if superseded:
                notes.append(f"{superseded} row(s) repeated in a later year's return were superseded by it")
            frame = latest
        frame, year_problems = _year_rules(table, frame)
        problems[table] += year_problems
        if prefix is not None:
            frame = frame.assign(**{CareEpisodes.record_id: _positional_ids(prefix, frame)})
        if table == "children":
            frame, la_notes = _with_local_authority(frame, local_authority)
            notes += la_notes
        frame = frame.drop(columns=[YEAR])
        raw = RawTable(
            f"ssda903:{table}", frame, [c for c in frame.columns if c not in (ROW, FILE_COLUMN)], problems[table]
        )
        raw.notes = notes
        raw.date_formats = dict.fromkeys(raw.header, SSDA903_DATE)
        tables[table] = raw
    return tables


def local_authority_note(children: int) -> str:
    """The note (and warning) that the Header gave no local authority for some children."""
    return (
        f"local authority not known for {children} child(ren) of the SSDA903 Header (DfE's Header has no "
        f"local authority column): recorded as {LOCAL_AUTHORITY_NOT_KNOWN}. Give --local-authority or "
        "local_authority in the settings file"
    )


def _with_local_authority(frame: pd.DataFrame, local_authority: str | None) -> tuple[pd.DataFrame, list[str]]:
    """The Header rows with their local authority: from an LA column, else the one given, else not known."""
    frame = frame.copy()
    given = frame[Children.local_authority] if Children.local_authority in frame.columns else None
    fill = local_authority if local_authority else LOCAL_AUTHORITY_NOT_KNOWN
    if given is None:
        frame[Children.local_authority] = fill
    else:
        frame[Children.local_authority] = given.where(given.notna() & (given.str.strip() != ""), fill)
    notes = []
    if not local_authority:
        unknown = int((frame[Children.local_authority] == LOCAL_AUTHORITY_NOT_KNOWN).sum())
        if unknown:
            notes.append(local_authority_note(unknown))
    return frame, notes


def missing_spells_as_incidents(spells: pd.DataFrame, stays: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Missing spells that began during a secure-home stay, as incidents of type ``missing``.

    A spell whose ``MIS_START`` is not a ``dd/mm/yyyy`` date cannot be placed in a stay; it is kept as an
    incident with no stay so that the loader rejects it, naming its file and line, rather than dropping it.

    Returns the incidents (dates still ``dd/mm/yyyy``) and the number of spells outside any stay
    (reported, not loaded).
    """
    start = pd.to_datetime(spells["MIS_START"], format=SSDA903_DATE, errors="coerce")
    keyed = spells.assign(_start=start).reset_index(names="_spell")
    joined = keyed.merge(stays, left_on="CHILD", right_on=Stays.child_id, how="inner")
    within = joined[
        (joined["_start"] >= joined[Stays.admission_date])
        & (joined[Stays.discharge_date].isna() | (joined["_start"] <= joined[Stays.discharge_date]))
    ].drop_duplicates("_spell")
    undated = keyed[keyed["_start"].isna()].assign(**{Stays.stay_id: ""})  # an empty cell, as in a file
    kept = (pd.concat([within, undated], ignore_index=True) if len(undated) else within).sort_values(
        "_spell", kind="stable"
    )
    incidents = pd.DataFrame(
        {
            ROW: kept[ROW].to_numpy(),
            FILE_COLUMN: kept[FILE_COLUMN].to_numpy(),
            # From the file and line, not the child's id: incident ids reach the linked output.
            Incidents.incident_id: ("missing/" + kept[YEAR].astype(str) + "/" + kept[ROW].astype(str)).to_numpy(),
            Incidents.stay_id: kept[Stays.stay_id].to_numpy(dtype=object),
            Incidents.incident_date: kept["MIS_START"].to_numpy(dtype=object),
            Incidents.incident_type: IncidentType.MISSING.value,
        }
    )[[Incidents.incident_id, Incidents.stay_id, Incidents.incident_date, Incidents.incident_type, ROW, FILE_COLUMN]]
    return incidents.reset_index(drop=True), int(len(spells) - len(kept))
