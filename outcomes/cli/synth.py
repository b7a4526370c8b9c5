"""``outcomes synth``: write a synthetic national cohort."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("synth")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the cohort to (created if needed).",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed; same seed and options, same bytes.")
@click.option(
    "--scale",
    default=1.0,
    show_default=True,
    type=float,
    help="Size relative to England's published referrals (100 = national-source size follow-up).",
)
@click.option("--start-year", default=2017, show_default=True, type=int, help="First calendar year of referrals.")
@click.option("--end-year", default=2021, show_default=True, type=int, help="Last calendar year of referrals.")
@click.option(
    "--data-end",
    default="2024-03-31",
    show_default=True,
    help="Last date the follow-up sources cover (YYYY-MM-DD); censoring date.",
)
@click.option(
    "--format",
    "fmt",
    default="parquet",
    show_default=True,
    type=click.Choice(["parquet", "csv"]),
    help="File format of the contract tables (SSDA903 files are always CSV).",
)
def synth(out_dir: Path, seed: int, scale: float, start_year: int, end_year: int, data_end: str, fmt: str) -> None:
    """Write every contract table, unlinked follow-up sources, SSDA903 files and truth.json to OUT."""
    from synthetic import generate

    written = generate(out_dir, seed=seed, scale=scale, start_year=start_year, end_year=end_year,
                       data_end=data_end, fmt=fmt)  # fmt: skip
    click.echo(f"synthetic cohort written to {written}")
