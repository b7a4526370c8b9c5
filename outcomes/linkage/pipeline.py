"""Linking a data folder: pseudonymise, link every follow-up source, build the leaver cohort, report quality.

The steps, in order:

1. choose the key (:func:`~outcomes.linkage.pseudonymise.resolve_key`);
2. load the data folder and, if given, the follow-up sources of another folder
   (which then replace the folder's own follow-up tables: those are not read);
3. for each follow-up source, link the records with a child id on that id
   and the others probabilistically against the identifiers table;
4. replace every child id by its pseudonym, drop the identifier columns and
   the records that could not be linked;
5. build the leaver cohort and measure linkage quality (against the true
   links when the folder has them).

Nothing in :class:`LinkageResult` holds a name, a date of birth or a postcode.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from outcomes.cohort import DEFAULT_WINDOWS_MONTHS, FollowUp, build_leaver_cohort
from outcomes.contract.codes import ReasonEpisodeCeased
from outcomes.contract.tables import (
    TABLES,
    CareEpisodes,
    CareLeavers,
    Education,
    HealthChecks,
    Identifiers,
    Stays,
)
from outcomes.errors import DataContractError
from outcomes.linkage.deterministic import link_on_child_id
from outcomes.linkage.engines import open_engine
from outcomes.linkage.probabilistic import UNIQUE_ID, ProbabilisticLinks, link_probabilistically
from outcomes.linkage.pseudonymise import Pseudonymiser, is_synthetic, resolve_key
from outcomes.linkage.quality import DECIMALS, child_groups, match_rates, truth_metrics, truth_metrics_by_group
from outcomes.loading import SUFFIXES

logger = logging.getLogger(__name__)

FOLLOW_UP_SOURCES: tuple[str, ...] = tuple(name for name, table in TABLES.items() if table.follow_up)
"""The follow-up tables, in contract order."""

IDENTIFIER_COLUMNS = ("forename", "surname", "date_of_birth", "sex_recorded", "postcode")
"""Identifier columns a follow-up source may carry (the contract marks them ``pii``)."""

PERIOD_COLUMNS = {
    "care_episodes": CareEpisodes.decom,
    "health_checks": HealthChecks.period_end,
    "care_leavers": CareLeavers.period_end,
    "education": Education.academic_year,
}
"""The period a record covers: a child has at most one record per source and period."""

TRUTH_FILE = "truth_links.csv"


@dataclass
class SourceCounts:
    """How the records of one follow-up source were linked."""

    records: int = 0
    with_child_id: int = 0
    unknown_child_id: int = 0
    to_link: int = 0
    without_identifiers: int = 0
    linked_deterministically: int = 0
    linked_probabilistically: int = 0
    ambiguous: int = 0

    @property
    def linked(self) -> int:
        return self.linked_deterministically + self.linked_probabilistically

    def as_dict(self) -> dict[str, Any]:
        result = dict(self.__dict__)
        result["linked"] = self.linked
        result["unlinked"] = self.records - self.linked
        result["match_rate"] = round(self.linked / self.records, DECIMALS) if self.records else None
        return result


@dataclass
class LinkageResult:
    """A linked data folder, pseudonymous throughout.

    Attributes
    ----------
    tables : every contract table but ``identifiers``, child ids replaced by
        pseudonyms; follow-up tables hold only their linked records, without identifier columns.
    cohort : the leaver cohort (pseudonymous child ids).
    links : one row per linked follow-up record: ``source``, ``record_id``, ``child``
        (pseudonym), ``method`` (``deterministic`` or ``probabilistic``), ``match_probability``.
    quality : the linkage quality report (what ``linkage_quality.json`` holds).
    """

    tables: dict[str, pd.DataFrame]
    cohort: pd.DataFrame
    links: pd.DataFrame
    quality: dict[str, Any]
    probabilistic: ProbabilisticLinks | None = field(default=None, repr=False)


def read_source_table(path: Path, table: str) -> pd.DataFrame:
    """Read one follow-up source file, typing its contract columns (cells that do not parse become missing)."""
    from outcomes.loading import _kind
    from outcomes.reading import ROW, parse_column, read_cells

    raw = read_cells(path)
    frame = raw.frame.drop(columns=[ROW], errors="ignore")
    columns = TABLES[table].columns
    typed = {}
    for name, column in columns.items():
        if name not in frame.columns:
            typed[name] = pd.Series(pd.NA, index=frame.index, dtype="string")
            continue
        values, failed, _ = parse_column(frame[name], _kind(column))
        if failed.any():
            logger.warning(
                "%s: %d value(s) of %s could not be read and are treated as missing", path, failed.sum(), name
            )
        typed[name] = values
    return pd.DataFrame(typed, index=frame.index).reset_index(drop=True)


def _source_file(folder: Path, table: str) -> Path | None:
    for suffix in (".parquet", ".csv"):
        if (folder / f"{table}{suffix}").is_file():
            return folder / f"{table}{suffix}"
    return None


def _folder_without(data_dir: Path, tables: tuple[str, ...], view: Path) -> Path:
    """A folder of links to the table files of ``data_dir`` except those of ``tables``."""
    for path in sorted(data_dir.iterdir()):
        if path.is_file() and path.suffix.lower() in SUFFIXES and path.stem in TABLES and path.stem not in tables:
            (view / path.name).symlink_to(path.resolve())
    return view


def _record_features(pseudonymiser: Pseudonymiser, frame: pd.DataFrame) -> pd.DataFrame:
    return pseudonymiser.comparison_features(
        forename=frame["forename"],
        surname=frame["surname"],
        date_of_birth=frame["date_of_birth"],
        sex=frame["sex_recorded"],
        postcode=frame["postcode"],
    )


def _has_identifiers(frame: pd.DataFrame) -> pd.Series:
    present = [c for c in IDENTIFIER_COLUMNS if c in frame.columns]
    if not present:
        return pd.Series(False, index=frame.index)
    return frame[present].notna().any(axis=1)


def _default_data_end(tables: dict[str, pd.DataFrame]) -> pd.Timestamp:
    """The latest date the data hold (stays and follow-up periods): the default end of follow-up."""
    candidates = []
    stays = tables["stays"]
    for column in (Stays.admission_date, Stays.discharge_date):
        candidates.append(stays[column].max())
    for table, column in (("health_checks", HealthChecks.period_end), ("care_leavers", CareLeavers.period_end)):
        if table in tables and len(tables[table]):
            candidates.append(tables[table][column].max())
    if "care_episodes" in tables and len(tables["care_episodes"]):
        candidates += [
            tables["care_episodes"][CareEpisodes.decom].max(),
            tables["care_episodes"][CareEpisodes.dec].max(),
        ]
    dates = [pd.Timestamp(c) for c in candidates if pd.notna(c)]
    return max(dates)


def _deaths(care_episodes: pd.DataFrame | None) -> pd.Series | None:
    if care_episodes is None or care_episodes.empty:
        return None
    died = care_episodes[care_episodes[CareEpisodes.rec] == ReasonEpisodeCeased.E2.value]
    died = died[died[CareEpisodes.child_id].notna()]
    if died.empty:
        return None
    return died.groupby(CareEpisodes.child_id)[CareEpisodes.dec].min()


def _pseudonymise_table(frame: pd.DataFrame, pseudonymiser: Pseudonymiser) -> pd.DataFrame:
    frame = frame.copy()
    if "child_id" in frame.columns:
        frame["child_id"] = pseudonymiser.child_pseudonyms(frame["child_id"])
    return frame


def _read_truth(data_dir: Path, pseudonymiser: Pseudonymiser, sources: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    path = data_dir / TRUTH_FILE
    if not path.is_file():
        return None
    truth = pd.read_csv(path, dtype=str, keep_default_na=False)
    truth = truth[truth["source"].isin(list(sources))]
    present = pd.concat(
        [
            pd.DataFrame({"source": name, "record_id": frame["record_id"].astype(str)})
            for name, frame in sources.items()
        ],
        ignore_index=True,
    )
    truth = truth.merge(present, on=["source", "record_id"], how="inner")
    truth = truth.assign(child=pseudonymiser.child_pseudonyms(truth["child_id"].astype("string")).astype(str))
    return truth[["source", "record_id", "child"]].sort_values(["source", "record_id"]).reset_index(drop=True)


def link_folder(
    data_dir: Path | str,
    *,
    sources_dir: Path | str | None = None,
    engine: str = "duckdb",
    threshold: float | None = None,
    data_end: pd.Timestamp | str | None = None,
    windows_months: tuple[int, ...] = DEFAULT_WINDOWS_MONTHS,
    key: bytes | None = None,
    threads: int | None = None,
    spark_session: Any = None,
) -> LinkageResult:
    """Link the follow-up sources of a data folder to its children and build the leaver cohort.

    Parameters
    ----------
    data_dir : the data folder (contract tables, with ``identifiers`` when records must be linked
        probabilistically).
    sources_dir : a folder whose follow-up tables are linked instead of the data folder's own (which are
        then neither read nor validated, nor written to the linked output).
    engine : ``duckdb`` or ``spark``.
    threshold : match probability threshold; chosen from the model when ``None``.
    data_end : end of follow-up for the cohort; by default the latest date in the data.
    windows_months : follow-up windows of the cohort.
    key : pseudonymisation key; by default from ``OUTCOMES_PSEUDONYM_KEY`` (see
        :func:`~outcomes.linkage.pseudonymise.resolve_key`).
    threads : engine threads (default: all cores).
    spark_session : a Spark session to use with ``engine="spark"``.

    Raises
    ------
    ConfigurationError
        When the key is missing on real data.
    """
    from outcomes.loading import load_data

    data_dir = Path(data_dir)
    pseudonymiser = Pseudonymiser(key if key is not None else resolve_key(synthetic=is_synthetic(data_dir)))
    if sources_dir is None:
        loaded = load_data(data_dir)
    else:
        # The sources replace the folder's own follow-up tables, which at national scale are the largest:
        # they are neither read nor validated.
        with tempfile.TemporaryDirectory(prefix="outcomes-link-") as view:
            loaded = load_data(_folder_without(data_dir, FOLLOW_UP_SOURCES, Path(view)))
    tables = dict(loaded.tables)
    if loaded.rejected_rows:
        logger.warning("%s: %d rows rejected by the data contract were left out", data_dir, loaded.rejected_rows)

    sources: dict[str, pd.DataFrame] = {}
    for name in FOLLOW_UP_SOURCES:
        if sources_dir is not None:
            path = _source_file(Path(sources_dir), name)
            if path is not None:
                sources[name] = read_source_table(path, name)
        elif name in tables:
            sources[name] = tables[name]

    children = tables["children"]
    identifiers = tables.get("identifiers")
    counts = {name: SourceCounts() for name in sources}
    link_frames = []
    to_link = []
    for name, frame in sources.items():
        frame = frame.reset_index(drop=True)
        sources[name] = frame
        counts[name].records = len(frame)
        deterministic = link_on_child_id(frame["child_id"], children["child_id"], pseudonymiser)
        counts[name].with_child_id = deterministic.with_id
        counts[name].unknown_child_id = deterministic.unknown_id
        linked = deterministic.child.notna()
        counts[name].linked_deterministically = int(linked.sum())
        link_frames.append(
            pd.DataFrame(
                {
                    "source": name,
                    "record_id": frame.loc[linked, "record_id"].astype(str),
                    "child": deterministic.child[linked].astype(str),
                    "method": "deterministic",
                    "match_probability": 1.0,
                }
            )
        )
        without_id = frame["child_id"].isna()
        identified = without_id & _has_identifiers(frame)
        counts[name].to_link = int(identified.sum())
        counts[name].without_identifiers = int((without_id & ~identified).sum())
        if identified.any():
            rows = frame[identified]
            features = _record_features(pseudonymiser, rows)
            features.insert(0, UNIQUE_ID, (name + ":" + rows["record_id"].astype(str)).to_numpy())
            features["_slot"] = (
                (name + ":" + rows[PERIOD_COLUMNS[name]].astype(str))
                .where(rows[PERIOD_COLUMNS[name]].notna())
                .to_numpy()
            )
            to_link.append(features)

    probabilistic = None
    if to_link:
        if identifiers is None or identifiers.empty:
            raise DataContractError(
                f"{sum(len(f) for f in to_link)} follow-up records carry identifiers instead of a child id, but "
                f"{data_dir} has no identifiers table to link them to. Add identifiers.csv or identifiers.parquet."
            )
        records = pd.concat(to_link, ignore_index=True)
        to_link.clear()  # the per-source frames are copied into records: keep one copy only
        slots = records.set_index(UNIQUE_ID)["_slot"]
        records = records.drop(columns="_slot")
        child_features = pseudonymiser.comparison_features(
            forename=identifiers[Identifiers.forename],
            surname=identifiers[Identifiers.surname],
            date_of_birth=identifiers[Identifiers.date_of_birth],
            sex=identifiers[Identifiers.sex],
            postcode=identifiers[Identifiers.postcode],
        )
        child_features.insert(
            0, UNIQUE_ID, pseudonymiser.child_pseudonyms(identifiers[Identifiers.child_id]).astype(str)
        )
        with open_engine(engine, threads=threads, spark_session=spark_session) as opened:
            probabilistic = link_probabilistically(opened, child_features, records, slots=slots, threshold=threshold)
        found = probabilistic.links
        source_record = found["record"].str.split(":", n=1, expand=True)
        link_frames.append(
            pd.DataFrame(
                {
                    "source": source_record[0],
                    "record_id": source_record[1],
                    "child": found["child"],
                    "method": "probabilistic",
                    "match_probability": found["match_probability"].round(DECIMALS),
                }
            )
        )
        ambiguous_sources = pd.Series(list(probabilistic.ambiguous), dtype=object).str.split(":", n=1).str[0]
        for name in counts:
            counts[name].linked_probabilistically = int((source_record[0] == name).sum())
            counts[name].ambiguous = int((ambiguous_sources == name).sum())

    links = (
        pd.concat(link_frames, ignore_index=True)
        if link_frames
        else pd.DataFrame(columns=["source", "record_id", "child", "method", "match_probability"])
    )
    links = links.sort_values(["source", "record_id"], kind="stable").reset_index(drop=True)

    linked_tables: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        if name == "identifiers" or name in FOLLOW_UP_SOURCES:
            continue
        linked_tables[name] = _pseudonymise_table(frame, pseudonymiser)
    for name, frame in sources.items():
        child_of = links[links["source"] == name].set_index("record_id")["child"]
        frame = frame.copy()
        frame["child_id"] = frame["record_id"].astype(str).map(child_of).astype("string")
        frame = frame[frame["child_id"].notna()].drop(columns=list(IDENTIFIER_COLUMNS), errors="ignore")
        linked_tables[name] = frame.sort_values("record_id", kind="stable").reset_index(drop=True)

    follow_up = FollowUp(
        data_end=pd.Timestamp(data_end) if data_end is not None else _default_data_end({**tables, **sources}),
        windows_months=tuple(windows_months),
    )
    cohort = build_leaver_cohort(
        linked_tables["children"],
        linked_tables["stays"],
        follow_up,
        deaths=_deaths(linked_tables.get("care_episodes")),
    )

    linked_children = {name: set(links.loc[links["source"] == name, "child"]) for name in sources}
    quality: dict[str, Any] = {
        "engine": engine,
        "synthetic": is_synthetic(data_dir),
        "data_end": follow_up.data_end.strftime("%Y-%m-%d"),
        "windows_months": list(follow_up.windows_months),
        "sources_dir": "sources" if sources_dir is not None else "data folder",
        "counts": {name: counts[name].as_dict() for name in sorted(counts)},
        "records": sum(c.records for c in counts.values()),
        "linked": len(links),
        "match_rate": round(len(links) / max(sum(c.records for c in counts.values()), 1), DECIMALS),
        "leaver_match_rates": match_rates(cohort, linked_children),
    }
    if probabilistic is not None:
        quality["threshold"] = probabilistic.threshold
        quality["threshold_chosen_by"] = "maximum expected F1" if probabilistic.threshold_chosen else "given"
        quality["expected_f1"] = round(probabilistic.expected_f1, DECIMALS)
        quality["candidate_pairs"] = probabilistic.candidate_pairs
        quality["model"] = {
            "prior_match_probability": round(probabilistic.model.prior, 12),
            "parameters": [
                {k: (round(v, DECIMALS) if isinstance(v, float) else v) for k, v in row.items()}
                for row in probabilistic.model.parameter_frame().to_dict("records")
            ],
        }
    else:
        quality["threshold"] = threshold
    truth = _read_truth(data_dir, pseudonymiser, sources)
    if truth is not None:
        quality.update(truth_metrics(links, truth))
        quality["truth_by_group"] = truth_metrics_by_group(links, truth, child_groups(cohort))
    return LinkageResult(tables=linked_tables, cohort=cohort, links=links, quality=quality, probabilistic=probabilistic)


def write_result(result: LinkageResult, out_dir: Path | str) -> list[Path]:
    """Write ``linked/{table}.parquet``, ``cohort.parquet`` and ``linkage_quality.json``; return the paths."""
    out_dir = Path(out_dir)
    (out_dir / "linked").mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in sorted(result.tables.items()):
        path = out_dir / "linked" / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        written.append(path)
    cohort_path = out_dir / "cohort.parquet"
    result.cohort.to_parquet(cohort_path, index=False)
    quality_path = out_dir / "linkage_quality.json"
    quality_path.write_text(json.dumps(_jsonable(result.quality), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return [*written, cohort_path, quality_path]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return None if value != value else round(value, DECIMALS)
    if hasattr(value, "item"):
        return _jsonable(value.item())
    return value
