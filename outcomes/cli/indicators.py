"""``outcomes indicators``: list, describe, run and scaffold indicators.

The commands mirror the registry: ``list`` shows what is registered, ``describe``
one declaration, ``run`` computes every indicator on a data folder and writes
``OUT/indicators.csv``, and ``new`` writes a new indicator and its test from the
template kept beside this module.
"""

from __future__ import annotations

import keyword
import logging
import re
import sys
import warnings
from importlib import resources
from pathlib import Path

import click
import pandas as pd

from outcomes.config import Settings, load_settings
from outcomes.errors import ConfigurationError

log = logging.getLogger(__name__)

COUNT_COLUMNS = ("numerator", "denominator", "n")
FLOAT_COLUMNS = ("value", "ci_lower", "ci_upper")


def parse_windows(text: str) -> tuple[int, ...]:
    """``"6,12,24"`` to ``(6, 12, 24)``."""
    try:
        windows = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError as error:
        raise click.BadParameter(f"windows must be whole months separated by commas, not {text!r}") from error
    if not windows or min(windows) <= 0:
        raise click.BadParameter(f"windows must be positive months, not {text!r}")
    return windows


def format_for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Fixed text for every number, so the file is byte-identical across runs and platforms.

    Counts are written as integers when whole; values and limits with six decimals;
    empty cells stay empty.
    """
    out = frame.copy()
    for column in COUNT_COLUMNS:
        out[column] = [
            "" if pd.isna(v) else (f"{int(v)}" if float(v).is_integer() else f"{float(v):.6f}") for v in out[column]
        ]
    for column in FLOAT_COLUMNS:
        out[column] = ["" if pd.isna(v) else f"{float(v):.6f}" for v in out[column]]
    out["window_months"] = ["" if pd.isna(v) else str(int(v)) for v in out["window_months"]]
    out["suppressed"] = out["suppressed"].map({True: "true", False: "false"})
    return out


def run_indicators(
    tables: dict[str, pd.DataFrame],
    data_end: str | pd.Timestamp,
    windows: tuple[int, ...],
    *,
    threshold: int | None = None,
    codes: list[str] | None = None,
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Every registered indicator (or those named) on the tables: the tidy frame and the notes by indicator.

    ``threshold``: counts from 1 up to it are suppressed (None: ``Settings().suppression_threshold``, 4).
    """
    from outcomes.cohort import FollowUp
    from outcomes.disclosure import DEFAULT_THRESHOLD
    from outcomes.indicator import TIDY_COLUMNS, IndicatorData
    from outcomes.registry import discover_indicators

    registry = discover_indicators()
    unknown = sorted(set(codes or []) - set(registry))
    if unknown:
        raise ConfigurationError(f"no indicator with code(s) {unknown}; see `outcomes indicators list`")
    data = IndicatorData(tables, FollowUp(pd.Timestamp(data_end), windows))
    frames, notes = [], {}
    with warnings.catch_warnings():
        # Suppression is reported in each indicator's notes; one warning per indicator would be noise here.
        warnings.simplefilter("ignore")
        selected = [c for c in registry if not codes or c in codes]
        from tqdm import tqdm

        for code in tqdm(selected, desc="indicators", disable=not sys.stderr.isatty()):
            result = registry[code]().compute(data, threshold=DEFAULT_THRESHOLD if threshold is None else threshold)
            frames.append(result.to_frame())
            notes[code] = result.notes
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TIDY_COLUMNS)
    return frame, notes


def write_indicator_outputs(frame: pd.DataFrame, notes: dict[str, list[str]], out_dir: Path) -> None:
    """Write ``indicators.csv`` (tidy, fixed number formats) and ``indicator_notes.md`` into ``out_dir``."""
    from outcomes.outputs import write_csv

    out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(format_for_csv(frame), out_dir / "indicators.csv")
    lines = ["# Indicator notes", ""]
    for code, code_notes in notes.items():
        lines += [f"## {code}", ""] + [f"{i}. {note}" for i, note in enumerate(code_notes, 1)] + [""]
    (out_dir / "indicator_notes.md").write_text("\n".join(lines), encoding="utf-8")


def read_tables(data_dir: Path) -> dict[str, pd.DataFrame]:
    """The accepted rows of every table in the folder (SSDA903 returns included), through the project's loader."""
    from outcomes.pipeline import load_with_adapters

    result = load_with_adapters(data_dir)
    if result.rejected_rows:
        log.warning(
            "%d rows were rejected by the data contract; run `outcomes validate` to see them", result.rejected_rows
        )
    return result.tables


@click.group("indicators")
def indicators() -> None:
    """List, describe, run and scaffold indicators."""


@indicators.command("list")
def list_indicators() -> None:
    """Every registered indicator: code, term, family and title."""
    from outcomes.registry import discover_indicators

    for code, cls in discover_indicators().items():
        declaration = cls.metadata()
        click.echo(f"{code:<30} {declaration.term:<8} {cls.family:<14} {declaration.title}")


@indicators.command("describe")
@click.argument("code")
def describe(code: str) -> None:
    """The full declaration of one indicator."""
    from outcomes.registry import discover_indicators

    registry = discover_indicators()
    if code not in registry:
        raise ConfigurationError(f"no indicator with code {code!r}; see `outcomes indicators list`")
    cls = registry[code]
    click.echo(f"family: {cls.family}\nclass: {cls.__module__}.{cls.__name__}")
    click.echo(cls.metadata().describe())


@indicators.command("run")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder."
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Settings file (TOML); the options below override it.",
)
@click.option(
    "--data-end", default=None, help=f"Last date the follow-up sources cover (default {Settings().data_end})."
)
@click.option(
    "--windows",
    default=None,
    help=f"Follow-up windows in months (default {','.join(map(str, Settings().windows_months))}).",
)
@click.option(
    "--threshold",
    type=click.IntRange(min=0),
    default=None,
    help=f"Suppress counts from 1 up to THRESHOLD (default {Settings().suppression_threshold}; 0 suppresses nothing).",
)
@click.option("--only", "codes", multiple=True, help="Run only this indicator (repeatable).")
def run(
    data_dir: Path,
    out_dir: Path,
    config_file: Path | None,
    data_end: str | None,
    windows: str | None,
    threshold: int | None,
    codes: tuple[str, ...],
) -> None:
    """Compute every indicator on DATA_DIR and write OUT/indicators.csv and OUT/indicator_notes.md.

    Settings come from ``outcomes.config.Settings`` (the configuration file when
    given), so the suppression threshold is the same here as in ``outcomes run``.
    """
    settings = load_settings(
        config_file,
        data_end=data_end,
        windows_months=parse_windows(windows) if windows else None,
        suppression_threshold=threshold,
    )
    tables = read_tables(data_dir)
    frame, notes = run_indicators(
        tables,
        settings.data_end,
        settings.windows_months,
        threshold=settings.suppression_threshold,
        codes=list(codes),
    )
    write_indicator_outputs(frame, notes, out_dir)
    statuses = frame.groupby("status").size().to_dict()
    click.echo(f"wrote {len(frame)} rows for {frame['indicator'].nunique()} indicators to {out_dir / 'indicators.csv'}")
    click.echo("rows by status: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    unavailable = frame.loc[frame["status"] == "not_available", ["indicator", "note"]]
    for _, row in unavailable.iterrows():
        click.echo(f"not available: {row['indicator']}: {row['note']}")


def class_name_for(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("_"))


@indicators.command("new")
@click.argument("code")
@click.option("--title", default=None, help="Title of the indicator (default from the code).")
@click.option(
    "--dir",
    "target",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write into (default: the indicators package).",
)
@click.option(
    "--module", "module_prefix", default="indicators", show_default=True, help="Package the test imports from."
)
def new(code: str, title: str | None, target: Path | None, module_prefix: str) -> None:
    """Write indicators/CODE.py and indicators/test_CODE.py from the template."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", code) or keyword.iskeyword(code):
        raise ConfigurationError(f"code {code!r} must start with a letter and use only a-z, 0-9 and _")
    from outcomes.registry import discover_indicators

    if target is None:
        import indicators as package

        target = Path(package.__file__).parent
        if code in discover_indicators():
            raise ConfigurationError(f"an indicator with code {code!r} already exists; choose another code")
    module_path, test_path = target / f"{code}.py", target / f"test_{code}.py"
    for path in (module_path, test_path):
        if path.exists():
            raise ConfigurationError(f"{path} already exists; choose another code or delete the file")
    values = {
        "code": code,
        "class_name": class_name_for(code),
        "title": title or code.replace("_", " ").capitalize(),
        "module": f"{module_prefix}.{code}" if module_prefix else code,
    }
    templates = resources.files("outcomes.cli")
    target.mkdir(parents=True, exist_ok=True)
    module_path.write_text(templates.joinpath("new_indicator.py.tmpl").read_text("utf-8").format(**values), "utf-8")
    test_path.write_text(templates.joinpath("new_indicator_test.py.tmpl").read_text("utf-8").format(**values), "utf-8")
    click.echo(
        f"wrote {module_path} and {test_path}; edit the declaration and the counting, then run pytest {test_path}"
    )
