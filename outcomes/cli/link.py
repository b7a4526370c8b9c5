"""``outcomes link``: link follow-up sources to secure-home leavers."""

from __future__ import annotations

from pathlib import Path

import click

from outcomes.cohort import DEFAULT_WINDOWS_MONTHS


def _windows(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, ...]:
    try:
        windows = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise click.BadParameter(f"expected whole numbers of months separated by commas, not {value!r}") from None
    if not windows or any(w <= 0 for w in windows):
        raise click.BadParameter(f"expected positive numbers of months, not {value!r}")
    return windows


def _probability(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not 0 < value < 1:
        raise click.BadParameter(f"a match probability threshold lies strictly between 0 and 1, not {value}")
    return value


@click.command()
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write: linked/{table}.parquet, cohort.parquet and linkage_quality.json.",
)
@click.option(
    "--sources",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder of follow-up tables (care_episodes, health_checks, care_leavers, education) to link instead of "
    "DATA_DIR's own, for example DATA_DIR/unlinked of the synthetic data.",
)
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="SQL engine for Splink: DuckDB on this machine, or Spark (local mode) for national-scale sources.",
)
@click.option(
    "--threshold",
    type=float,
    default=None,
    callback=_probability,
    help="Match probability a link needs (between 0 and 1). Default: the threshold that maximises the F1 "
    "score the model expects; the one used is written to linkage_quality.json.",
)
@click.option(
    "--data-end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Last day the follow-up sources cover (YYYY-MM-DD); follow-up is censored there. "
    "Default: the latest date in the data.",
)
@click.option(
    "--windows",
    default=",".join(str(w) for w in DEFAULT_WINDOWS_MONTHS),
    show_default=True,
    callback=_windows,
    help="Follow-up windows in months after discharge, separated by commas.",
)
@click.option(
    "--demo-key",
    is_flag=True,
    default=False,
    help="Link with the PUBLIC demonstration key when OUTCOMES_PSEUDONYM_KEY is not set (synthetic data only; "
    "it protects nothing).",
)
@click.option(
    "--local-authority",
    default=None,
    help="Three-digit DfE code of the authority whose SSDA903 returns DATA_DIR/ssda903 holds.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="Threads for the engine. Default: all cores.",
)
def link(
    data_dir: Path,
    out: Path,
    sources: Path | None,
    engine: str,
    threshold: float | None,
    data_end,
    windows: tuple[int, ...],
    demo_key: bool,
    local_authority: str | None,
    threads: int | None,
) -> None:
    """Link the follow-up sources of DATA_DIR to the children who left a secure home.

    Records that carry the child id are linked on it; the others are linked on
    their identifiers (name, date of birth, sex, postcode) with a Splink
    Fellegi-Sunter model. Identifiers are replaced by keyed hashes before
    anything is compared: the key comes from OUTCOMES_PSEUDONYM_KEY (on
    synthetic data, with --demo-key, a public demonstration key stands in, with a warning).
    The output holds pseudonymous ids only: no names, dates of birth or postcodes.
    """
    from outcomes.config import load_settings
    from outcomes.linkage import link_folder, write_result

    settings = load_settings(None, local_authority=local_authority)
    if demo_key:
        click.echo(
            "WARNING: --demo-key links with the PUBLIC demonstration key, which protects nothing. "
            "Never use it on real records.",
            err=True,
        )
    result = link_folder(
        data_dir,
        sources_dir=sources,
        engine=engine,
        threshold=threshold,
        data_end=data_end,
        windows_months=windows,
        threads=threads,
        demonstration_key=demo_key,
        local_authority=settings.local_authority,
    )
    written = write_result(result, out)
    quality = result.quality
    click.echo(
        f"linked {quality['linked']:,} of {quality['records']:,} follow-up records "
        f"({100 * quality['match_rate']:.1f}%); {len(result.cohort):,} leavers in the cohort"
    )
    if quality.get("threshold") is not None:
        click.echo(f"match probability threshold: {quality['threshold']:.3f}")
    if "f1" in quality:
        click.echo(
            f"against the true links: precision {quality['precision']:.4f}, recall {quality['recall']:.4f}, "
            f"F1 {quality['f1']:.4f}"
        )
    click.echo(f"wrote {len(written)} files to {out}")
