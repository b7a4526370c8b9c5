"""The pipeline as library functions: load and validate once, link, indicators, run record.

Each stage takes the result of the one before, so the data are read once and
every stage works on the same loaded tables:

1. :func:`load_inputs` reads and validates the data folder, with tables read
   from SSDA903 returns (``DATA_DIR/ssda903/<year>/``) where the folder has
   them, and the follow-up sources of ``--sources``, validated row by row like
   every other input. It returns :class:`Inputs` (tables, rejects, counts and
   the SHA-256 of every file read).
2. :func:`link_inputs` pseudonymises and links them
   (:func:`outcomes.linkage.link_tables`).
3. :func:`compute_indicators` computes every indicator from the linked tables.
4. :func:`run_pipeline` runs the three and writes everything in a fresh
   staging folder, moved into place only when the run is complete
   (:class:`Staging`), with the run record ``run.json``.

The pseudonymisation key is the environment's (``OUTCOMES_PSEUDONYM_KEY``); the
public demonstration key is used only for a synthetic cohort the run generated
itself, or when the caller asks for it explicitly (``demo_key``) — never because
of a file in the data folder.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pandas as pd

from outcomes.config import Settings
from outcomes.contract.tables import TABLES, Children, Incidents
from outcomes.errors import ConfigurationError, StructuralError
from outcomes.loading import SUFFIXES, LoadResult, load_data, validate_file
from outcomes.outputs import make_private, private_folder, withhold_child_ids, write_csv
from outcomes.provenance import file_sha256, folder_hashes, package_versions, source_revision, write_run_record
from outcomes.reading import FILE_COLUMN, RawTable, read_cells
from outcomes.ssda903 import (
    LOCAL_AUTHORITY_NOT_KNOWN,
    SSDA903_DATE,
    local_authority_note,
    missing_files,
    read_ssda903_folder,
    ssda903_files,
)

log = logging.getLogger(__name__)

FOLLOW_UP_TABLES: tuple[str, ...] = tuple(name for name, table in TABLES.items() if table.follow_up)
SSDA903_FOLDER = "ssda903"
PARTIAL_MARKER = "PARTIAL"
RUN_RECORD = "run.json"
DATA_FOLDER = "data"

Progress = Callable[[str], None]


# --- stage 1: load and validate once -------------------------------------------------------------------------


@dataclass
class Inputs:
    """Everything a run read, validated: the data folder (SSDA903 returns included) and the sources.

    Attributes
    ----------
    data_dir : the data folder.
    load : what the loader accepted and rejected in the data folder.
    sources : per follow-up table of ``--sources``, what the loader accepted and rejected (empty without sources).
    input_hashes : SHA-256 of every file of the data folder that was read (SSDA903 files included), by path
        relative to the data folder.
    source_hashes : SHA-256 of every file of the sources folder that was read, by name.
    notes : notes of the loader and the adapters.
    """

    data_dir: Path
    load: LoadResult
    sources: dict[str, LoadResult] = field(default_factory=dict)
    sources_dir: Path | None = None
    input_hashes: dict[str, str] = field(default_factory=dict)
    source_hashes: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return self.load.tables

    @property
    def source_tables(self) -> dict[str, pd.DataFrame] | None:
        """The validated follow-up sources, or None when the data folder's own follow-up tables are linked."""
        if self.sources_dir is None:
            return None
        return {name: result.tables[name] for name, result in self.sources.items()}

    @property
    def rejected_rows(self) -> int:
        return self.load.rejected_rows + sum(result.rejected_rows for result in self.sources.values())

    def counts_frame(self) -> pd.DataFrame:
        """Rows read, accepted and rejected per table and input (``data`` or ``sources``)."""
        frames = [self.load.counts_frame().assign(input="data")]
        frames += [result.counts_frame().assign(input="sources") for result in self.sources.values()]
        frame = pd.concat([f for f in frames if len(f)], ignore_index=True)
        return frame[["input", "table", "file", "read", "accepted", "rejected"]]

    def rejects_frame(self) -> pd.DataFrame:
        frames = [self.load.rejects] + [result.rejects for result in self.sources.values()]
        return pd.concat(frames, ignore_index=True) if any(len(f) for f in frames) else self.load.rejects


def _table_files(folder: Path) -> dict[str, Path]:
    return {
        path.stem: path
        for path in sorted(folder.iterdir())
        if path.is_file() and path.suffix.lower() in SUFFIXES and path.stem in TABLES
    }


def _text_cells(raw: RawTable, table: str) -> pd.DataFrame:
    """A raw table's cells as ISO text (Parquet values typed), so rows of two sources can share one table."""
    frame = raw.frame.copy()
    if not raw.native:
        return frame
    for name, column in TABLES[table].columns.items():
        if name not in frame.columns:
            continue
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            month = (column.metadata or {}).get("format") == "YYYY-MM"
            text = values.dt.strftime("%Y-%m" if month else "%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(values):
            text = values.map({True: "true", False: "false"})
        else:
            text = values.astype("string")
        frame[name] = text.astype(object).where(values.notna(), None)
    return frame


def _iso(text: pd.Series, month: bool = False) -> pd.Series:
    """SSDA903 dd/mm/yyyy dates as ISO text; a cell that is not such a date is kept as it is, to be rejected."""
    parsed = pd.to_datetime(text, format=SSDA903_DATE, errors="coerce")
    iso = parsed.dt.strftime("%Y-%m" if month else "%Y-%m-%d")
    return iso.where(parsed.notna(), text).astype(object)


def _merged(
    table: str, path: Path, adapter: RawTable, key: Callable[[pd.DataFrame], pd.Series]
) -> tuple[RawTable, str]:
    """The rows of the folder's own file, then the adapter's rows that it does not already hold.

    The file is the secure home's own record and wins where both hold the same row (``key``).
    """
    own = read_cells(path)
    cells = _text_cells(own, table)
    cells[FILE_COLUMN] = str(path)
    extra = adapter.frame.copy()
    for name, fmt in adapter.date_formats.items():
        if name in extra.columns and fmt == SSDA903_DATE:
            extra[name] = _iso(extra[name], month=name == Children.birth_month)
    already = key(extra).isin(set(key(cells)))
    kept = extra[~already]
    frame = pd.concat([cells, kept], ignore_index=True)
    header = list(dict.fromkeys([*own.header, *adapter.header]))
    merged = RawTable(str(path), frame, header, list(own.problems) + list(adapter.problems))
    merged.notes = own.notes + adapter.notes
    note = f"{int(already.sum())} row(s) from SSDA903 already in {path.name}: the file's row is kept"
    return merged, note


def _child_key(frame: pd.DataFrame) -> pd.Series:
    return frame[Children.child_id].astype(str)


def _missing_incident_key(frame: pd.DataFrame) -> pd.Series:
    return (
        frame[Incidents.stay_id].astype(str)
        + "|"
        + frame[Incidents.incident_date].astype(str)
        + "|"
        + frame[Incidents.incident_type].astype(str)
    )


def _adapter_tables(
    data_dir: Path,
    ssda903: Path,
    own_files: dict[str, Path],
    skip: set[str],
    today: date | None,
    local_authority: str | None,
) -> tuple[dict[str, RawTable], list[str]]:
    """Tables read from the SSDA903 returns; children and incidents merged with the folder's own files."""
    notes: list[str] = []
    supplied_whole = {name for name in own_files if name not in ("children", "incidents")}
    skip_here = skip | supplied_whole
    stays = None
    if "incidents" not in skip and missing_files(ssda903) and "stays" in own_files:
        # A Missing spell becomes an incident of the stay it falls in, so the stays are typed first.
        stays = validate_file(own_files["stays"], "stays", today=today).tables["stays"]
    extra = read_ssda903_folder(ssda903, skip_tables=skip_here, stays=stays, local_authority=local_authority)
    for table, key in (("children", _child_key), ("incidents", _missing_incident_key)):
        if table in extra and table in own_files:
            extra[table], note = _merged(table, own_files[table], extra[table], key)
            notes.append(note)
    if "children" in extra:
        # Warned once, about the Header children actually loaded (not those the children file already holds).
        children = extra["children"]
        from_header = children.frame[FILE_COLUMN].astype(str) != str(own_files.get("children", ""))
        unknown = int((from_header & (children.frame[Children.local_authority] == LOCAL_AUTHORITY_NOT_KNOWN)).sum())
        children.notes = [note for note in children.notes if not note.startswith("local authority not known")]
        if unknown and not local_authority:
            log.warning(local_authority_note(unknown))
            children.notes.append(local_authority_note(unknown))
    return extra, notes


def _relative_to(folder: Path) -> Callable[[str], str]:
    prefix = str(folder)

    def relative(file: str) -> str:
        return file[len(prefix) + 1 :] if file.startswith(prefix + os.sep) else file

    return relative


def load_inputs(
    data_dir: Path,
    *,
    ssda903: Path | None = None,
    sources_dir: Path | None = None,
    today: date | None = None,
    local_authority: str | None = None,
    data_end: date | str | None = None,
) -> Inputs:
    """Read and validate every input of a run, once.

    Parameters
    ----------
    data_dir : one file per contract table; SSDA903 returns in ``data_dir/ssda903/<year>/`` (or ``ssda903``).
        Returns supply the tables the folder does not hold (care_episodes from Episodes, health_checks from
        OC2, care_leavers from OC3); the Header adds the children the folder's children table does not
        hold, and Missing spells within a stay add incidents the incidents table does not hold.
    ssda903 : the folder of SSDA903 returns, when not ``data_dir/ssda903``.
    sources_dir : follow-up tables linked instead of the data folder's own (which are then not read);
        validated file by file, each row rejected or accepted and counted.
    today : dates after this day are in the future (default: the real today).
    local_authority : the authority whose SSDA903 returns these are (the Header has no such column).
    data_end : the last date the data cover (a setting): later dates are warned about (W07).

    Raises
    ------
    StructuralError
        For a missing required table, an unreadable file, a missing column (every such problem at once).
    """
    data_dir = Path(data_dir)
    if ssda903 is None and (data_dir / SSDA903_FOLDER).is_dir():
        ssda903 = data_dir / SSDA903_FOLDER
    skip = set(FOLLOW_UP_TABLES) if sources_dir is not None else set()
    own_files = (
        {name: path for name, path in _table_files(data_dir).items() if name not in skip} if (data_dir.is_dir()) else {}
    )
    extra: dict[str, RawTable] = {}
    notes: list[str] = []
    if ssda903 is not None:
        extra, notes = _adapter_tables(data_dir, ssda903, own_files, skip, today, local_authority)
    # The loader reads a folder: it is given a view of the files this run reads (links, not copies), without
    # those the adapters replace, and every file name is mapped back to the data folder afterwards.
    with tempfile.TemporaryDirectory(prefix="outcomes-inputs-") as temporary:
        view = Path(temporary)
        try:
            if data_dir.is_dir():
                # Every table file, so that the loader sees (and reports) a table given as both CSV and Parquet.
                for path in sorted(data_dir.iterdir()):
                    name = path.stem
                    if path.suffix.lower() not in SUFFIXES or name in extra:
                        continue
                    if path.is_file() and name in own_files:
                        (view / path.name).symlink_to(path.resolve())
                    elif path.is_dir() and name in TABLES and name not in skip:
                        # A folder named like a table file: the loader reports it ("is a folder, not a file").
                        (view / path.name).symlink_to(path.resolve(), target_is_directory=True)
                load = load_data(view, today=today, extra_tables=extra, data_end=data_end)
            else:
                load = load_data(data_dir, today=today, extra_tables=extra, data_end=data_end)
        except StructuralError as error:
            raise StructuralError.many(
                [problem.replace(str(view), str(data_dir)) for problem in error.problems]
            ) from None
        load = _renamed(load, view, data_dir)
    hashes = {name: file_sha256(path) for name, path in sorted((p.name, p) for p in own_files.values())}
    if ssda903 is not None:
        relative = _relative_to(data_dir)
        hashes |= {relative(str(path)): file_sha256(path) for path in ssda903_files(ssda903)}
    inputs = Inputs(data_dir, load, input_hashes=dict(sorted(hashes.items())), notes=notes + list(load.notes))
    if sources_dir is not None:
        inputs.sources_dir = Path(sources_dir)
        for name, path in _table_files(Path(sources_dir)).items():
            if name in FOLLOW_UP_TABLES:
                inputs.sources[name] = validate_file(path, name, today=today, data_end=data_end)
                inputs.source_hashes[path.name] = file_sha256(path)
    return inputs


def _renamed(load: LoadResult, view: Path, data_dir: Path) -> LoadResult:
    """The load result with every file named in the data folder rather than in the loader's view."""
    prefix = str(view)

    def real(file: str) -> str:
        return str(data_dir) + file[len(prefix) :] if file.startswith(prefix) else file

    rejects = load.rejects.assign(file=load.rejects["file"].map(real)) if len(load.rejects) else load.rejects
    counts = {name: replace(count, file=real(count.file)) for name, count in load.counts.items()}
    notes = [note.replace(prefix, str(data_dir)) for note in load.notes]
    renamed = replace(load, data_dir=data_dir, rejects=rejects, counts=counts, notes=notes)
    warnings = getattr(load, "warnings", None)  # rules real data may break, where the loader counts them
    if isinstance(warnings, pd.DataFrame) and "file" in warnings.columns and len(warnings):
        renamed.warnings = warnings.assign(file=warnings["file"].astype(str).map(real))
    return renamed


def write_validation(inputs: Inputs, folder: Path) -> None:
    """``counts.csv``, ``rejects.csv`` (child ids withheld) and ``notes.txt``, readable by the owner only.

    Files are named relative to the data folder (``sources/...`` for the sources), so the report does not
    depend on where the data sit. Warnings of the loader (rules real data may break, counted), when it gives
    them, go to ``warnings.csv``.
    """
    private_folder(folder)
    data_relative = _relative_to(inputs.data_dir)

    def relative(file: str) -> str:
        if inputs.sources_dir is not None and file.startswith(str(inputs.sources_dir) + os.sep):
            return "sources/" + file[len(str(inputs.sources_dir)) + 1 :]
        return data_relative(file)

    counts = inputs.counts_frame()
    write_csv(counts.assign(file=counts["file"].map(relative)), folder / "counts.csv", private=True)
    rejects = withhold_child_ids(inputs.rejects_frame())
    write_csv(rejects.assign(file=rejects["file"].map(relative)), folder / "rejects.csv", private=True)
    warnings = getattr(inputs.load, "warnings", None)
    if isinstance(warnings, pd.DataFrame):
        warnings = withhold_child_ids(warnings) if {"column", "value", "code"} <= set(warnings.columns) else warnings
        if "file" in warnings.columns:
            warnings = warnings.assign(file=warnings["file"].astype(str).map(relative))
        write_csv(warnings, folder / "warnings.csv", private=True)
    text = "".join(f"{note.replace(str(inputs.data_dir) + os.sep, '')}\n" for note in inputs.notes)
    (folder / "notes.txt").write_text(text, encoding="utf-8")
    make_private(folder)


# --- stage 2: link --------------------------------------------------------------------------------------------


def link_inputs(inputs: Inputs, settings: Settings, key: bytes, *, truth_file: Path | None = None):
    """Pseudonymise and link the loaded inputs (no file is read again but the true links, when given)."""
    from outcomes.linkage import link_tables

    return link_tables(
        inputs.tables,
        sources=inputs.source_tables,
        key=key,
        engine=settings.linkage_engine,
        threshold=settings.linkage_threshold,
        data_end=settings.data_end,
        windows_months=settings.windows_months,
        truth_file=truth_file,
    )


# --- stage 3: indicators ---------------------------------------------------------------------------------------


def compute_indicators(tables: dict[str, pd.DataFrame], settings: Settings) -> tuple[pd.DataFrame, dict]:
    """Every registered indicator on the linked tables: the tidy frame and the notes by indicator."""
    from outcomes.cli.indicators import run_indicators

    return run_indicators(tables, settings.data_end, settings.windows_months, threshold=settings.suppression_threshold)


# --- staging: a run never reads or leaves behind another run's files ------------------------------------------


class Staging:
    """A fresh folder for one run, moved into place as ``OUT`` only when the run is complete.

    The run writes into ``.OUT.staging-<pid>`` beside ``OUT`` (same file system, so the final move is a
    rename), which starts empty and holds a ``PARTIAL`` marker until the run completes. Then ``OUT``, if it
    held a previous run, is replaced as a whole. A run that fails leaves ``OUT`` as it was and its own
    output in ``OUT.partial`` (with the marker); one killed outright leaves the staging folder, marked.
    """

    def __init__(self, out: Path) -> None:
        self.out = Path(out).absolute()
        if self.out.exists() and not self.out.is_dir():
            raise ConfigurationError(f"{self.out} is a file; give a folder for --out.")
        if self.out.is_dir() and any(self.out.iterdir()) and not (self.out / RUN_RECORD).is_file():
            raise ConfigurationError(
                f"{self.out} holds files that are not the output of a run (no {RUN_RECORD}); a run replaces its "
                "output folder as a whole, so give a new or empty folder."
            )
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.folder = self.out.parent / f".{self.out.name}.staging-{os.getpid()}"
        self.partial = self.out.parent / f"{self.out.name}.partial"

    def __enter__(self) -> Staging:
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir()
        (self.folder / PARTIAL_MARKER).write_text(
            f"This run did not finish: nothing here is complete. The last complete output is in {self.out}.\n",
            encoding="utf-8",
        )
        return self

    def commit(self) -> None:
        """Move the complete run into place, replacing the previous run's output as a whole."""
        (self.folder / PARTIAL_MARKER).unlink()
        previous = self.out.parent / f".{self.out.name}.previous-{os.getpid()}"
        if self.out.exists():
            self.out.rename(previous)
        self.folder.rename(self.out)
        if previous.exists():
            shutil.rmtree(previous)
        if self.partial.exists():
            shutil.rmtree(self.partial)

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None or not self.folder.exists():
            return
        if self.partial.exists():
            shutil.rmtree(self.partial)
        self.folder.rename(self.partial)
        log.warning("the run did not finish: its partial output is in %s; %s is unchanged", self.partial, self.out)


# --- the whole run ---------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    """What :func:`run_pipeline` did: its inputs, linkage, indicators and the record it wrote."""

    out: Path
    inputs: Inputs
    linkage: object
    indicators: pd.DataFrame
    record: dict[str, object]
    timings: dict[str, float]

    @property
    def exit_code(self) -> int:
        """0 when every row was accepted, 1 when rows were rejected (the run went on without them)."""
        return 1 if self.inputs.rejected_rows else 0


def resolve_run_key(*, generated: bool, demo_key: bool, environ: dict[str, str] | None = None) -> bytes:
    """The pseudonymisation key of a run.

    The environment's key when set. Otherwise the public demonstration key, but only for a synthetic
    cohort this run generated itself or when ``demo_key`` was asked for explicitly (with a warning);
    nothing in the data folder can choose it.
    """
    from outcomes.linkage.pseudonymise import KEY_VARIABLE, resolve_key

    environ = dict(os.environ) if environ is None else environ
    if demo_key and not environ.get(KEY_VARIABLE):
        log.warning(
            "--demo-key: linking with the PUBLIC demonstration key, which protects nothing. "
            "Never use it on real records; set %s instead.",
            KEY_VARIABLE,
        )
    return resolve_key(synthetic=generated or demo_key, environ=environ)


def run_pipeline(
    data_dir: Path | None,
    out: Path,
    settings: Settings,
    *,
    sources: Path | None = None,
    ssda903: Path | None = None,
    demo_key: bool = False,
    today: date | None = None,
    progress: Progress = log.info,
) -> RunResult:
    """Run every stage on ``data_dir`` (or on a synthetic cohort generated here) and write ``out``.

    ``out`` is replaced as a whole only when the run completes (:class:`Staging`); ``run.json`` hashes every
    file read (the data folder's, the SSDA903 returns and the sources) and every file written.
    """
    generated = data_dir is None
    target = Path(out).absolute()
    for given in (data_dir, sources, ssda903):
        if given is not None and Path(given).absolute().is_relative_to(target):
            raise ConfigurationError(
                f"{given} is inside the output folder {out}, which a run replaces as a whole. "
                "Copy the data elsewhere, or choose another --out."
            )
    if not generated:
        # Resolved before anything is written: a run on real data without a key stops here.
        key = resolve_run_key(generated=False, demo_key=demo_key)
    timings: dict[str, float] = {}
    with Staging(out) as staging:
        folder = staging.folder
        if generated:
            import synthetic as synthetic_cohort

            progress("[synthetic cohort]")
            started = time.perf_counter()
            data_dir = synthetic_cohort.generate(
                folder / DATA_FOLDER,
                seed=settings.seed,
                scale=settings.scale,
                start_year=settings.start_year,
                end_year=settings.end_year,
                data_end=settings.data_end,
            )
            make_private(data_dir)
            sources = sources or data_dir / "unlinked"
            key = resolve_run_key(generated=True, demo_key=demo_key)
            timings["synthetic"] = time.perf_counter() - started
        assert data_dir is not None

        progress("[validate]")
        started = time.perf_counter()
        inputs = load_inputs(
            data_dir,
            ssda903=ssda903,
            sources_dir=sources,
            today=today,
            local_authority=settings.local_authority,
            data_end=settings.data_end,
        )
        write_validation(inputs, folder / "validation")
        timings["validate"] = time.perf_counter() - started

        from outcomes.linkage import write_result

        progress("[link]")
        started = time.perf_counter()
        linkage = link_inputs(inputs, settings, key, truth_file=Path(data_dir) / "truth_links.csv")
        write_result(linkage, folder / "linkage")
        timings["link"] = time.perf_counter() - started

        from outcomes.cli.indicators import write_indicator_outputs

        progress("[indicators]")
        started = time.perf_counter()
        frame, notes = compute_indicators(linkage.tables, settings)
        write_indicator_outputs(frame, notes, folder / "indicators")
        timings["indicators"] = time.perf_counter() - started

        record = {
            "synthetic": generated,
            "demonstration_key": linkage.quality.get("demonstration_key", False),
            "data_dir": "OUT/data (synthetic)" if generated else str(data_dir),
            "settings": settings.as_dict(),
            "software": package_versions(),
            "source_revision": source_revision(),
            "inputs": inputs.input_hashes,
            "sources": inputs.source_hashes,
            "rows": {
                f"{row.input}:{row.table}": {
                    "read": int(row.read),
                    "accepted": int(row.accepted),
                    "rejected": int(row.rejected),
                    "file": Path(str(row.file)).name,
                }
                for row in inputs.counts_frame().itertuples()
            },
            "outputs": folder_hashes(folder, exclude=(DATA_FOLDER, RUN_RECORD, PARTIAL_MARKER)),
        }
        write_run_record(folder / RUN_RECORD, record)
        staging.commit()
    return RunResult(Path(out), inputs, linkage, frame, record, timings)


def load_with_adapters(
    data_dir: Path, ssda903: Path | None = None, today: date | None = None, *, local_authority: str | None = None
) -> LoadResult:
    """The data folder loaded and validated, with SSDA903 returns read for it: :func:`load_inputs`'s result."""
    inputs = load_inputs(data_dir, ssda903=ssda903, today=today, local_authority=local_authority)
    return replace(inputs.load, notes=inputs.notes)  # the adapters' notes (rows already held) included
