"""Linking a data folder: pseudonymise, link every follow-up source, build the leaver cohort, report quality.

The steps, in order:

1. choose the key (:func:`~outcomes.linkage.pseudonymise.resolve_key`): the
   public demonstration key only when the caller says so (a cohort the run
   generated itself, or an explicit option), never because of a file in the
   data folder;
2. take the loaded, validated tables (:func:`link_tables`; :func:`link_folder`
   loads a folder first, SSDA903 returns included) and, if given, the
   follow-up sources of another folder (which then replace the folder's own
   follow-up tables);
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
from outcomes.linkage.pseudonymise import DEMONSTRATION_KEY, Pseudonymiser, resolve_key
from outcomes.linkage.quality import DECIMALS, child_groups, match_rates, truth_metrics, truth_metrics_by_group

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


def _read_truth(
    path: Path | None, pseudonymiser: Pseudonymiser, sources: dict[str, pd.DataFrame]
) -> pd.DataFrame | None:
    if path is None or not path.is_file():
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
    demonstration_key: bool = False,
    threads: int | None = None,
    spark_session: Any = None,
    local_authority: str | None = None,
) -> LinkageResult:
    """Load a data folder (SSDA903 returns included) and link it: :func:`link_tables` on what loads.

    Parameters
    ----------
    data_dir : the data folder (contract tables, with ``identifiers`` when records must be linked
        probabilistically, and ``ssda903/<year>/`` returns where it has them).
    sources_dir : a folder whose follow-up tables are linked instead of the data folder's own (which are
        then neither read nor validated, nor written to the linked output). Its rows are validated too.
    key : pseudonymisation key; by default from ``OUTCOMES_PSEUDONYM_KEY``.
    demonstration_key : allow the public demonstration key when no key is set (synthetic data only).
    local_authority : for SSDA903 Header files, which have no local authority column.

    Other parameters are those of :func:`link_tables`.

    Raises
    ------
    ConfigurationError
        When no key is set and the demonstration key was not allowed.
    """
    from outcomes.pipeline import load_inputs

    data_dir = Path(data_dir)
    inputs = load_inputs(
        data_dir, sources_dir=Path(sources_dir) if sources_dir is not None else None, local_authority=local_authority
    )
    return link_tables(
        inputs.tables,
        sources=inputs.source_tables,
        key=key if key is not None else resolve_key(synthetic=demonstration_key),
        engine=engine,
        threshold=threshold,
        data_end=data_end,
        windows_months=windows_months,
        threads=threads,
        spark_session=spark_session,
        truth_file=data_dir / TRUTH_FILE,
    )


def link_tables(
    tables: dict[str, pd.DataFrame],
    *,
    key: bytes,
    sources: dict[str, pd.DataFrame] | None = None,
    engine: str = "duckdb",
    threshold: float | None = None,
    data_end: pd.Timestamp | str | None = None,
    windows_months: tuple[int, ...] = DEFAULT_WINDOWS_MONTHS,
    threads: int | None = None,
    spark_session: Any = None,
    truth_file: Path | None = None,
) -> LinkageResult:
    """Link the follow-up sources of loaded tables to their children and build the leaver cohort.

    Parameters
    ----------
    tables : accepted rows of every contract table, as the loader returns them (loaded once, by the caller).
    key : pseudonymisation key (see :func:`~outcomes.linkage.pseudonymise.resolve_key`).
    sources : validated follow-up tables that replace those of ``tables`` (records carrying identifiers
        instead of child ids, say); None links the follow-up tables of ``tables``.
    engine : ``duckdb`` or ``spark``.
    threshold : match probability threshold; chosen from the model when ``None``.
    data_end : end of follow-up for the cohort; by default the latest date in the data.
    windows_months : follow-up windows of the cohort.
    threads : engine threads (default: all cores).
    spark_session : a Spark session to use with ``engine="spark"``.
    truth_file : the true links (synthetic data), for precision and recall; absent on real data.
    """
    pseudonymiser = Pseudonymiser(key)
    tables = dict(tables)
    sources_given = sources is not None
    linked_sources: dict[str, pd.DataFrame] = {}
    for name in FOLLOW_UP_SOURCES:
        if sources is not None:
            if name in sources:
                linked_sources[name] = sources[name]
        elif name in tables:
            linked_sources[name] = tables[name]
    sources = linked_sources

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
                "the data have no identifiers table to link them to. Add identifiers.csv or identifiers.parquet."
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
        # The public key protects nothing: say so wherever it was used.
        "synthetic": key == DEMONSTRATION_KEY,
        "demonstration_key": key == DEMONSTRATION_KEY,
        "data_end": follow_up.data_end.strftime("%Y-%m-%d"),
        "windows_months": list(follow_up.windows_months),
        "sources_dir": "sources" if sources_given else "data folder",
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
    truth = _read_truth(truth_file, pseudonymiser, sources)
    if truth is not None:
        quality.update(truth_metrics(links, truth))
        quality["truth_by_group"] = truth_metrics_by_group(links, truth, child_groups(cohort))
    return LinkageResult(tables=linked_tables, cohort=cohort, links=links, quality=quality, probabilistic=probabilistic)


def write_result(result: LinkageResult, out_dir: Path | str) -> list[Path]:
    """Write ``linked/{table}.parquet``, ``cohort.parquet`` and ``linkage_quality.json``; return the paths.

    The linked tables and the cohort are record-level: the folder and its files are readable by the owner only.
    """
    from outcomes.outputs import make_private, private_folder

    out_dir = private_folder(Path(out_dir))
    private_folder(out_dir / "linked")
    written = []
    for name, frame in sorted(result.tables.items()):
        path = out_dir / "linked" / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        written.append(path)
    cohort_path = out_dir / "cohort.parquet"
    result.cohort.to_parquet(cohort_path, index=False)
    quality_path = out_dir / "linkage_quality.json"
    quality_path.write_text(json.dumps(_jsonable(result.quality), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    make_private(out_dir)
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
