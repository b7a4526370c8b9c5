"""``outcomes validate`` and ``outcomes dictionary``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from outcomes.loading import LoadResult, load_data
from outcomes.ssda903 import missing_files, read_ssda903_folder


def load_with_adapters(data_dir: Path, ssda903: Path | None, today: date | None = None) -> LoadResult:
    """Load a data folder, with tables read from SSDA903 files where the folder has none of its own.

    An ``ssda903`` folder inside the data folder is used when ``ssda903`` is not given.
    """
    if ssda903 is None and (data_dir / "ssda903").is_dir():
        ssda903 = data_dir / "ssda903"
    if ssda903 is None:
        return load_data(data_dir, today=today)
    supplied = _tables_in(data_dir)
    if "incidents" in supplied or not missing_files(ssda903):
        return load_data(data_dir, today=today, extra_tables=read_ssda903_folder(ssda903, skip_tables=supplied))
    # A Missing spell becomes an incident of the stay it falls in, so the stays are judged first.
    first = load_data(
        data_dir, today=today, extra_tables=read_ssda903_folder(ssda903, skip_tables=supplied | {"incidents"})
    )
    extra = read_ssda903_folder(ssda903, skip_tables=supplied, stays=first.tables["stays"])
    return load_data(data_dir, today=today, extra_tables=extra)


def _tables_in(data_dir: Path) -> set[str]:
    return {path.stem for path in data_dir.glob("*") if path.suffix.lower() in (".csv", ".parquet")}


def report_counts(result: LoadResult) -> None:
    """Print rows read, accepted and rejected per table, and the notes."""
    frame = result.counts_frame()
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
    data_dir: Path, rejects_file: Path | None, warnings_file: Path | None, ssda903: Path | None, today
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
    result = load_with_adapters(data_dir, ssda903, today.date() if today else None)
    report_counts(result)
    if warnings_file is not None:
        warnings_file.parent.mkdir(parents=True, exist_ok=True)
        result.warnings.to_csv(warnings_file, index=False, lineterminator="\n")
    if result.rejected_rows:
        target = rejects_file or Path("rejects.csv")
        target.parent.mkdir(parents=True, exist_ok=True)
        result.rejects.to_csv(target, index=False, lineterminator="\n")
        click.echo(f"{result.rejected_rows:,} row(s) rejected ({len(result.rejects):,} problem(s)): see {target}")
        raise click.exceptions.Exit(1)
    if rejects_file is not None:
        result.rejects.to_csv(rejects_file, index=False, lineterminator="\n")
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
