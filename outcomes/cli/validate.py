"""``outcomes validate`` and ``outcomes dictionary``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click
import pandas as pd

from outcomes.loading import LoadResult


def report_counts(result: LoadResult, frame: pd.DataFrame | None = None) -> None:
    """Print rows read, accepted and rejected per table (``frame``: the counts, default the result's), and notes."""
    frame = result.counts_frame() if frame is None else frame
    if "input" in frame.columns:  # the sources' tables are named apart from the data folder's
        frame = frame.assign(
            table=[t if i == "data" else f"{i}:{t}" for i, t in zip(frame["input"], frame["table"], strict=True)]
        )
    width = max(len(name) for name in frame["table"]) if len(frame) else 5
    click.echo(f"{'table':<{width}}  {'read':>9}  {'accepted':>9}  {'rejected':>9}")
    for row in frame.itertuples():
        click.echo(f"{row.table:<{width}}  {row.read:>9,}  {row.accepted:>9,}  {row.rejected:>9,}")
    click.echo(
        f"{'total':<{width}}  {frame['read'].sum():>9,}  {frame['accepted'].sum():>9,}  {frame['rejected'].sum():>9,}"
    )
    for note in result.notes:
        click.echo(f"note: {note}")
    if len(result.warnings):
        # Warnings keep their rows: one line per rule, with the rows it flagged.
        for (code, rule), group in result.warnings.groupby(["code", "rule"], sort=True):
            click.echo(f"warning: {code} {len(group):,} row(s): {rule}")


@click.command()
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option(
    "--rejects",
    "rejects_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write rejected rows here as CSV (file, row, column, value, rule, code). "
    "Default: rejects.csv in the current folder when rows are rejected.",
)
@click.option(
    "--ssda903",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of SSDA903 CSV files (Header, Episodes, OC2, OC3, Missing) for the tables the data folder "
    "does not hold. Default: DATA_DIR/ssda903 if it exists.",
)
@click.option(
    "--local-authority",
    default=None,
    help="Three-digit DfE code of the authority whose SSDA903 returns these are (DfE's Header has no such "
    "column). Default: recorded as 000, not known, with a warning.",
)
@click.option(
    "--warnings",
    "warnings_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the rows with a warning here as CSV (file, row, column, value, rule, code); they are kept.",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Treat dates after this day (YYYY-MM-DD) as in the future. Default: the real today.",
)
def validate(
    data_dir: Path,
    rejects_file: Path | None,
    warnings_file: Path | None,
    ssda903: Path | None,
    local_authority: str | None,
    today,
) -> None:
    """Check DATA_DIR against the data contract.

    DATA_DIR holds one CSV or Parquet file per table, named after the table
    (children.csv, stays.parquet, ...). Every row is checked in one pass; a bad
    row is written to the rejects file with its file, row, column, value and
    the rule it broke, and the other rows load. Prints rows read, accepted and
    rejected per table.

    Exit status: 0 nothing rejected; 1 rows rejected; 2 a structural problem
    (a required table or column missing, a file unreadable, empty or not UTF-8).
    """
    from outcomes.config import load_settings
    from outcomes.outputs import withhold_child_ids, write_csv
    from outcomes.pipeline import load_inputs

    settings = load_settings(None, local_authority=local_authority)
    inputs = load_inputs(
        data_dir,
        ssda903=ssda903,
        today=today.date() if today else None,
        local_authority=settings.local_authority,
        data_end=settings.data_end,
    )
    result = replace(inputs.load, notes=inputs.notes)  # with the adapters' notes
    report_counts(result)
    # Rows are named by file and line; child ids are withheld (the file may be read by someone who may not see them).
    rejects = withhold_child_ids(result.rejects)
    if warnings_file is not None:
        write_csv(withhold_child_ids(result.warnings), warnings_file, private=True)
    if result.rejected_rows:
        target = rejects_file or Path("rejects.csv")
        write_csv(rejects, target, private=True)
        click.echo(f"{result.rejected_rows:,} row(s) rejected ({len(result.rejects):,} problem(s)): see {target}")
        raise click.exceptions.Exit(1)
    if rejects_file is not None:
        write_csv(rejects, rejects_file, private=True)
    click.echo("all rows accepted")


@click.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the data dictionary (Markdown) to this file. Default: print it.",
)
def dictionary(out: Path | None) -> None:
    """Write the data dictionary, generated from the data contract's declarations."""
    from outcomes.contract.dictionary import data_dictionary_markdown

    text = data_dictionary_markdown()
    if out is None:
        click.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}")
