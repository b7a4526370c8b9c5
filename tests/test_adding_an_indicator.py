"""The example in the guide page 'Adding an indicator' runs as written."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[1] / "book" / "guide" / "adding-an-indicator.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_guide_example_runs_and_its_assertions_hold(capsys) -> None:
    blocks = python_blocks(GUIDE.read_text(encoding="utf-8"))
    assert len(blocks) == 1, "the guide should hold one runnable example"
    namespace: dict[str, object] = {"__name__": "guide_example"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the example must not trigger warnings (suppression is off in it)
        exec(compile(blocks[0], str(GUIDE), "exec"), namespace)
    assert "Stays longer than 90 nights" in capsys.readouterr().out
    declaration = namespace["LongStays"].metadata()
    assert declaration.problems() == []


def test_guide_example_is_suppressed_at_the_default_threshold() -> None:
    """The guide says so: with counts of 1 and 2 the published row is suppressed."""
    namespace: dict[str, object] = {"__name__": "guide_example"}
    block = python_blocks(GUIDE.read_text(encoding="utf-8"))[0]
    exec(compile(block.split("# threshold=0")[0], str(GUIDE), "exec"), namespace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = namespace["LongStays"]().compute(namespace["data"])
    total = result.to_frame().query("breakdown == 'all'").iloc[0]
    assert bool(total["suppressed"]) and any("suppressed" in note for note in result.notes)
