"""Synthetic national cohort of secure children's homes, calibrated to published figures, with known truth.

There is no real child data in this project. :func:`generate` writes every
table of the data contract, the same follow-up sources without child ids but
with error-prone identifiers (``unlinked/``), the true links, SSDA903 files per
collection year and ``truth.json`` with every parameter the generator used.

Who has follow-up rows (as the national sources hold them, no more and no fewer):

- ``care_episodes``: every episode of every looked-after child, before, during and after the stays.
- ``health_checks`` (SSDA903 OC2): each year to 31 March through which a child was looked after
  continuously (period of care begun by 1 April, not ceased before 31 March).
- ``care_leavers`` (SSDA903 OC3): every relevant or former relevant child (looked after 13 weeks in
  all since the 14th birthday and at some time after the 16th; remand counts) has a row for each
  year to 31 March holding the 17th to 21st birthday, up to the data end, unless still looked
  after on that birthday (DfE collects nothing then: 903 rule 1016). A child who stays in care to
  18 therefore has rows from the 19th birthday; children never looked after have none.
- ``education``: every child admitted to a secure home has a row for each academic year from the
  first admission's to the data end's while under 18 on 31 August before it, so every leaver of
  compulsory school age has a row for every year followed.

The follow-up tables keep the years ending after the child's first discharge;
``truth.json["follow_up_coverage"]`` counts the leavers with and without OC3 rows (and why) and
checks that no leaver-year of compulsory school age lacks an education row.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

__all__ = ["generate", "build"]

logger = logging.getLogger(__name__)


def generate(
    out_dir: Path | str,
    *,
    seed: int = 0,
    scale: float = 1.0,
    start_year: int = 2017,
    end_year: int = 2021,
    data_end: str = "2024-03-31",
    fmt: str = "parquet",
) -> Path:
    """Write a synthetic cohort to ``out_dir`` and return the folder.

    Parameters
    ----------
    out_dir : folder to write (created if needed; existing files of the same names are replaced).
    seed : random seed; the same seed and options give byte-identical files.
    scale : size relative to England (1.0 = the published numbers of referrals; homes are copied per unit).
    start_year, end_year : calendar years of referrals (Table 3 covers 2017 to 2021).
    data_end : last date the follow-up sources cover (ISO date); stays open then have no discharge.
    fmt : ``parquet`` or ``csv`` for the contract tables (SSDA903 files and truth_links are always CSV).
    """
    from synthetic.assemble import build, write

    if fmt not in ("parquet", "csv"):
        raise ValueError(f"fmt must be 'parquet' or 'csv', not {fmt!r}")
    if scale <= 0:
        raise ValueError(f"scale must be positive, not {scale}")
    if end_year < start_year:
        raise ValueError(f"end_year ({end_year}) is before start_year ({start_year})")
    began = time.perf_counter()
    tables, document = build(seed=seed, scale=scale, start_year=start_year, end_year=end_year, data_end=data_end)
    out = Path(out_dir)
    write(out, tables, document, fmt)
    logger.info("synthetic cohort written to %s in %.1f s", out, time.perf_counter() - began)
    return out


def build(**options):
    """The tables (by output file stem) and truth document, in memory; see :func:`generate` for the options."""
    from synthetic.assemble import build as _build

    return _build(**options)
