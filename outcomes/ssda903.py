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
Header     children            needs an ``LA`` column (three-digit code)
Episodes   care_episodes       an episode open across 31 March appears in two
                               years' returns: the latest year's row is kept
OC2        health_checks       period_end = 31 March of the collection year
OC3        care_leavers        period_end = 31 March of the collection year;
                               ACTIV and ACCOM of 0 (not applicable) are empty
Missing    incidents           only spells that fall within a secure-home stay
=========  ==================  ==================================================
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from outcomes.contract.codes import IncidentType
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
    "LA": Children.local_authority,
}
MISSING_COLUMNS = ("CHILD", "MIS_START")
NOT_APPLICABLE_URN = "XXXXXXX"
NOT_RECORDED = "0"


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


def _combine(parts: list[pd.DataFrame], problems: list[tuple], name: str) -> RawTable:
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return RawTable(f"ssda903:{name}", frame, [c for c in frame.columns if c not in (ROW, FILE_COLUMN)], problems)


def missing_files(folder: Path) -> list[Path]:
    """The Missing files of an SSDA903 folder (of year folders, or of one year's files)."""
    folders = [path for _, path in _year_folders(folder)] or [folder]
    return [path for year_folder in folders if (path := _find(year_folder, "missing")) is not None]


def read_ssda903_folder(
    folder: Path, *, skip_tables: set[str] | None = None, year: int | None = None, stays: pd.DataFrame | None = None
) -> dict[str, RawTable]:
    """Raw contract tables from a folder of SSDA903 files.

    Parameters
    ----------
    folder : folder of year folders, or of one year's files (then give ``year``).
    skip_tables : contract tables already supplied by their own files; not read here.
    year : collection year of a folder without year folders.
    stays : the stays table (typed), needed to turn Missing spells into incidents of a stay.

    Returns
    -------
    dict of table name to :class:`~outcomes.reading.RawTable`, with dates still
    in ``dd/mm/yyyy`` (the raw table says so) and rows traced to their file and line.
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
        specs = (
            ("header", "children", HEADER_COLUMNS),
            ("episodes", "care_episodes", EPISODE_COLUMNS),
            ("oc2", "health_checks", OC2_COLUMNS),
            ("oc3", "care_leavers", OC3_COLUMNS),
        )
        for stem, table, columns in specs:
            path = _find(year_folder, stem)
            if table in skip or path is None:
                continue
            raw = _read(path, columns)
            frame = raw.frame.rename(columns=columns)[[*columns.values(), ROW, FILE_COLUMN]]
            frame["_year"] = collection_year
            if table == "care_episodes":
                frame[CareEpisodes.record_id] = (
                    frame[CareEpisodes.child_id].fillna("") + "/" + frame[CareEpisodes.decom].fillna("")
                )
                frame[CareEpisodes.urn] = frame[CareEpisodes.urn].where(frame[CareEpisodes.urn] != NOT_APPLICABLE_URN)
            elif table in ("health_checks", "care_leavers"):
                prefix = "OC2" if table == "health_checks" else "OC3"
                frame[HealthChecks.record_id] = f"{prefix}/{collection_year}/" + frame[HealthChecks.child_id].fillna("")
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
            parts["incidents"].append(raw.frame.assign(_year=collection_year))
            problems["incidents"] += [(row, column, value, rule, raw.file) for row, column, value, rule in raw.problems]

    tables: dict[str, RawTable] = {}
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
        frame = pd.concat(frames, ignore_index=True)
        notes = []
        if table in ("care_episodes", "children"):
            key = CareEpisodes.record_id if table == "care_episodes" else Children.child_id
            # The same episode (or child) is in every return it spans: keep the latest year's rows. A key
            # repeated within one year's return is not superseded: it stays, and is rejected as a duplicate.
            latest_year = frame.groupby(frame[key].fillna(""))["_year"].transform("max")
            latest = frame[frame["_year"] == latest_year]
            superseded = len(frame) - len(latest)
            if superseded:
                notes.append(f"{superseded} row(s) repeated in a later year's return were superseded by it")
            frame = latest
        raw = _combine([frame.drop(columns=["_year"])], problems[table], table)
        raw.notes = notes
        raw.date_formats = {column: SSDA903_DATE for column in raw.header} | ({})
        tables[table] = raw
    return tables


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
            Incidents.incident_id: (
                "MIS/" + kept["CHILD"].fillna("").astype(str) + "/" + kept["MIS_START"].fillna("").astype(str)
            ).to_numpy(),
            Incidents.stay_id: kept[Stays.stay_id].to_numpy(dtype=object),
            Incidents.incident_date: kept["MIS_START"].to_numpy(dtype=object),
            Incidents.incident_type: IncidentType.MISSING.value,
        }
    )[[Incidents.incident_id, Incidents.stay_id, Incidents.incident_date, Incidents.incident_type, ROW, FILE_COLUMN]]
    return incidents.reset_index(drop=True), int(len(spells) - len(kept))
