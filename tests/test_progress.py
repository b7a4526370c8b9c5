"""Long stages show a progress bar on a terminal and write nothing when standard error is not one."""

from __future__ import annotations

import io
import sys

import pytest

from outcomes.linkage import link_folder
from outcomes.progress import progress
from synthetic import generate


class Terminal(io.StringIO):
    """Standard error as a terminal sees it."""

    def isatty(self) -> bool:
        return True


class Pipe(io.StringIO):
    """Standard error redirected to a file or a pipe."""

    def isatty(self) -> bool:
        return False


@pytest.mark.parametrize(("stream", "shown"), [(Terminal, True), (Pipe, False)])
def test_a_bar_is_drawn_only_on_a_terminal(monkeypatch, stream, shown):
    monkeypatch.setattr(sys, "stderr", stream())
    with progress(desc="counting sheep", total=3) as bar:
        for _ in range(3):
            bar.update()
    assert list(progress(range(4), desc="iterating", unit="sheep")) == [0, 1, 2, 3]
    written = sys.stderr.getvalue()
    assert ("counting sheep" in written and "iterating" in written) if shown else written == ""


def test_the_generator_shows_its_stages_on_a_terminal(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "stderr", Terminal())
    generate(tmp_path / "cohort", seed=5, scale=0.05)
    written = sys.stderr.getvalue()
    for stage in ("simulating", "outcomes in and after the stays", "SSDA903 files and truth", "writing the cohort"):
        assert stage in written, stage


def test_linkage_training_and_scoring_show_progress_on_a_terminal(monkeypatch, linkage_folder):
    monkeypatch.setattr(sys, "stderr", Terminal())
    link_folder(linkage_folder, sources_dir=linkage_folder / "unlinked", key=b"test key for the progress tests, 32+")
    written = sys.stderr.getvalue()
    assert "training the linkage model" in written and "scoring candidate pairs" in written
