"""Session fixtures shared by the whole suite, and the markers of the quick loop.

Each synthetic cohort is generated once per session and shared, read-only: a
test that needs to change files copies the folder first. The tests that need
a synthetic cohort are marked ``slow`` here (see
:func:`pytest_collection_modifyitems`), so ``make test-fast`` (``-m "not slow
and not spark and not browser"``) generates none; ``make test`` runs everything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

NATIONAL_COHORT = {"seed": 0, "scale": 1.0}
"""The national-scale synthetic cohort (Parquet): calibration, truth and the end-to-end indicator run."""

SMALL_COHORT = {"seed": 3, "scale": 0.2}
"""A fifth of the national cohort (CSV): the format, linkage and SSDA903 round trips."""

SLOW_FIXTURES = frozenset({"national_cohort", "small_cohort"})
"""Fixtures that take long enough to build to make every test using them slow."""


@pytest.fixture(scope="session")
def national_cohort(tmp_path_factory) -> Path:
    """The scale-1 cohort (seed 0, Parquet), generated once for the whole session; do not write into it."""
    from synthetic import generate

    return generate(tmp_path_factory.mktemp("national") / "data", **NATIONAL_COHORT, fmt="parquet")


@pytest.fixture(scope="session")
def small_cohort(tmp_path_factory) -> Path:
    """The seed-3 cohort at scale 0.2 in CSV, written by ``outcomes synth`` as the README documents it.

    Generated once for the whole session; do not write into it (copy it first).
    """
    from outcomes.cli import cli

    out = tmp_path_factory.mktemp("small") / "data"
    options = ["--seed", str(SMALL_COHORT["seed"]), "--scale", str(SMALL_COHORT["scale"]), "--format", "csv"]
    made = CliRunner().invoke(cli, ["synth", "--out", str(out), *options])
    assert made.exit_code == 0, made.output
    return out


@pytest.fixture(scope="session")
def linkage_folder(tmp_path_factory) -> Path:
    """The small corrupted folder of the linkage tests (300 children, tests/linkage_fixtures.py); do not write into it."""
    from linkage_fixtures import write_fixture

    return write_fixture(tmp_path_factory.mktemp("linkage") / "data", n_children=300, seed=1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that uses a fixture of :data:`SLOW_FIXTURES`, directly or through another."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
