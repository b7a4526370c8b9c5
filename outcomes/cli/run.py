"""``outcomes run``: the whole pipeline in one command.

data (or the synthetic cohort) -> validate -> link -> indicators -> run record.
Each stage writes to its own folder under OUT, so a stage's output can be
checked on its own:

- ``OUT/data/`` the synthetic cohort, when no data folder is given;
- ``OUT/validation/`` rows read, accepted and rejected per table, and the rejects;
- ``OUT/linkage/`` the linked tables (pseudonymous ids only), the leaver cohort and the linkage quality;
- ``OUT/indicators/`` every indicator, tidy, with its notes;
- ``OUT/run.json`` what the run ran on: software versions, settings, and hashes of inputs and outputs.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import click

from outcomes.config import load_settings
from outcomes.provenance import folder_hashes, package_versions, source_revision, write_run_record

log = logging.getLogger(__name__)


def _relative(file: str, folder: Path) -> str:
    try:
        return str(Path(file).relative_to(folder))
    except ValueError:
        return file


def _stage(name: str) -> float:
    click.echo(f"[{name}]", err=True)
    return time.perf_counter()


@click.command()
@click.argument("data_dir", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for everything the run writes (data, validation, linkage, indicators, run.json).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Settings file (TOML); see outcomes/config.py for the settings and their defaults.",
)
@click.option(
    "--sources",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder of follow-up tables to link instead of DATA_DIR's own. "
    "Default with synthetic data: its unlinked/ folder (records carrying identifiers, not ids).",
)
@click.option("--seed", type=int, default=None, help="Seed of the synthetic cohort (default from settings: 0).")
@click.option("--scale", type=float, default=None, help="Size of the synthetic cohort, 1 = national (default 1).")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default=None, help="Linkage engine (default duckdb).")
def run(
    data_dir: Path | None,
    out: Path,
    config_file: Path | None,
    sources: Path | None,
    seed: int | None,
    scale: float | None,
    engine: str | None,
) -> None:
    """Run the pipeline on DATA_DIR, or on the built-in synthetic cohort when DATA_DIR is left out.

    Exit status: 0 when every row was accepted, 1 when the data contract
    rejected rows (they are listed in OUT/validation/rejects.csv and the run
    goes on without them), 2 on a structural problem or a configuration error.
    """
    settings = load_settings(config_file, seed=seed, scale=scale, linkage_engine=engine)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    synthetic = data_dir is None
    if synthetic:
        import synthetic as synthetic_cohort

        started = _stage("synthetic cohort")
        data_dir = synthetic_cohort.generate(
            out / "data",
            seed=settings.seed,
            scale=settings.scale,
            start_year=settings.start_year,
            end_year=settings.end_year,
            data_end=settings.data_end,
        )
        sources = sources or data_dir / "unlinked"
        timings["synthetic"] = time.perf_counter() - started
    assert data_dir is not None

    from outcomes.cli.validate import load_with_adapters, report_counts

    started = _stage("validate")
    loaded = load_with_adapters(data_dir, None)
    report_counts(loaded)
    validation = out / "validation"
    validation.mkdir(exist_ok=True)
    # Files are named relative to the data folder, so the record does not depend on where the data sit.
    for name, frame in (("counts.csv", loaded.counts_frame()), ("rejects.csv", loaded.rejects)):
        frame = frame.assign(file=frame["file"].map(lambda f: _relative(f, data_dir)))
        frame.to_csv(validation / name, index=False, lineterminator="\n")
    timings["validate"] = time.perf_counter() - started

    from outcomes.linkage import link_folder, write_result

    started = _stage("link")
    linked = link_folder(
        data_dir,
        sources_dir=sources,
        engine=settings.linkage_engine,
        threshold=settings.linkage_threshold,
        data_end=settings.data_end,
        windows_months=settings.windows_months,
    )
    write_result(linked, out / "linkage")
    quality = linked.quality
    click.echo(f"linked {quality['linked']:,} of {quality['records']:,} follow-up records")
    if "f1" in quality:
        click.echo(f"against the true links: precision {quality['precision']:.4f}, recall {quality['recall']:.4f}")
    timings["link"] = time.perf_counter() - started

    from outcomes.cli.indicators import read_tables, run_indicators, write_indicator_outputs

    started = _stage("indicators")
    tables = read_tables(out / "linkage" / "linked")
    frame, notes = run_indicators(
        tables, settings.data_end, settings.windows_months, threshold=settings.suppression_threshold
    )
    write_indicator_outputs(frame, notes, out / "indicators")
    click.echo(f"{frame['indicator'].nunique()} indicators, {len(frame):,} rows")
    timings["indicators"] = time.perf_counter() - started

    record = {
        "synthetic": synthetic,
        "data_dir": str(data_dir) if not synthetic else "OUT/data (synthetic)",
        "settings": settings.as_dict(),
        "software": package_versions(),
        "source_revision": source_revision(),
        "inputs": loaded.input_hashes,
        "sources": folder_hashes(sources) if sources is not None else {},
        "rows": {name: vars(count) | {"file": Path(count.file).name} for name, count in loaded.counts.items()},
        "outputs": folder_hashes(out, exclude=("data", "run.json")),
    }
    write_run_record(out / "run.json", record)
    click.echo(f"wrote {out / 'run.json'}; stage times (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    if loaded.rejected_rows:
        raise click.exceptions.Exit(1)
