"""``outcomes analyse NAME [DATA_DIR] --out OUT``: run one analysis and write its results.

The analyses live in the ``analyses`` package (``analyses.ANALYSES``); this
module only parses options, loads the data once, calls the analysis and
writes what it returns. Without DATA_DIR the built-in synthetic cohort is
generated into ``OUT/data`` and its ``truth.json`` fills the ``true_value``
column; with a data folder, true values come only from ``--truth FILE``.
"""

from __future__ import annotations

import importlib
import json
import logging
from pathlib import Path

import click

from analyses import ANALYSES
from outcomes.config import load_settings
from outcomes.errors import ConfigurationError

log = logging.getLogger(__name__)


def _load(data_dir: Path | None, out: Path, settings, truth_file: Path | None):
    from outcomes.loading import load_data

    truth = None
    if data_dir is None:
        import synthetic

        data_dir = synthetic.generate(
            out / "data",
            seed=settings.seed,
            scale=settings.scale,
            start_year=settings.start_year,
            end_year=settings.end_year,
            data_end=settings.data_end,
        )
        truth_file = truth_file or data_dir / "truth.json"
    if truth_file is not None:
        try:
            truth = json.loads(Path(truth_file).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ConfigurationError(f"{truth_file}: cannot read the truth file ({error}).") from None
    loaded = load_data(data_dir)
    if loaded.rejected_rows:
        log.warning(
            "%d rows were rejected by the data contract; run `outcomes validate` to see them", loaded.rejected_rows
        )
    return loaded.tables, truth


def _command(name: str) -> click.Command:
    @click.command(name)
    @click.argument("data_dir", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.option(
        "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for the results."
    )
    @click.option(
        "--config",
        "config_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        help="Settings file (TOML); see outcomes/config.py.",
    )
    @click.option(
        "--truth",
        "truth_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        help="The generator's truth.json, to fill true_value (default: the cohort this command generates).",
    )
    @click.option("--seed", type=int, default=None, help="Seed of the synthetic cohort (default from settings: 0).")
    def command(data_dir: Path | None, out: Path, config_file: Path | None, truth_file: Path | None, seed: int | None):
        settings = load_settings(config_file, seed=seed)
        tables, truth = _load(data_dir, out, settings, truth_file)
        try:
            analysis = importlib.import_module(ANALYSES[name])
        except ModuleNotFoundError:
            raise ConfigurationError(f"the {name} analysis is not part of this version of the framework yet.") from None
        result = analysis.run(tables, settings, truth=truth)
        written = result.write(out)
        click.echo(result.summary("text"))
        click.echo(f"wrote {len(written)} files to {out}")

    command.help = f"Run the {name} analysis on DATA_DIR (default: the built-in synthetic cohort) and write OUT."
    return command


@click.group("analyse", cls=click.Group)
def analyse() -> None:
    """Run an analysis: survival of re-referral, placement success, effect of a placement."""


for _name in ANALYSES:
    analyse.add_command(_command(_name))
