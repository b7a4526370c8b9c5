"""Progress bars for long stages: shown on a terminal, silent otherwise (a log file, a pipe, a test)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from tqdm import tqdm


def progress(iterable: Iterable[Any] | None = None, *, desc: str, total: int | None = None, unit: str = "step") -> tqdm:
    """A tqdm bar on standard error when it is a terminal; a silent one (still iterable and updatable) otherwise.

    Parameters
    ----------
    iterable : what to iterate over, or None to advance the bar with ``update()``.
    desc : what the stage is doing, shown before the bar.
    total : number of steps (taken from ``iterable`` when it has a length).
    unit : what one step is.
    """
    stream = sys.stderr
    return tqdm(iterable, desc=desc, total=total, unit=unit, file=stream, disable=not stream.isatty(), leave=False)
