"""Discovery of indicator modules, and its failures."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from outcomes.registry import DuplicateIndicatorError, IncompleteDeclarationError, discover_indicators

INDICATOR = textwrap.dedent(
    """
    from outcomes.indicator import LEAVER_NEEDS, Declaration, ProportionIndicator

    class {name}(ProportionIndicator):
        declaration = Declaration(
            code="{code}", title="t", term="short", table6_outcome="Length of placement", definition="d",
            numerator="n", denominator="d", unit="%", polarity="no_judgement", needs=LEAVER_NEEDS, source="s",
        )
    """
)


def make_package(tmp_path: Path, name: str, modules: dict[str, str]) -> str:
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    for module, text in modules.items():
        (package / f"{module}.py").write_text(text)
    sys.path.insert(0, str(tmp_path))
    return name


def test_discovers_every_module_of_the_real_package() -> None:
    registry = discover_indicators()
    assert len(registry) >= 25
    assert list(registry) == sorted(registry)
    assert {"rereferral", "length_of_stay", "self_harm_rate", "sch_not_yoi", "capacity_occupancy"} <= set(registry)


def test_discovers_modules_and_skips_tests(tmp_path: Path) -> None:
    name = make_package(
        tmp_path,
        "pkg_ok",
        {"first": INDICATOR.format(name="First", code="first"), "test_first": "raise AssertionError('not imported')"},
    )
    assert list(discover_indicators(name)) == ["first"]


def test_duplicate_code_names_both_files(tmp_path: Path) -> None:
    name = make_package(
        tmp_path,
        "pkg_dup",
        {"one": INDICATOR.format(name="One", code="same"), "two": INDICATOR.format(name="Two", code="same")},
    )
    with pytest.raises(DuplicateIndicatorError) as error:
        discover_indicators(name)
    message = str(error.value)
    assert "'same'" in message and "one.py" in message and "two.py" in message


def test_incomplete_declaration_is_refused(tmp_path: Path) -> None:
    text = INDICATOR.format(name="Bad", code="bad").replace('title="t"', 'title=""')
    name = make_package(tmp_path, "pkg_bad", {"bad": text})
    with pytest.raises(IncompleteDeclarationError, match="title is empty"):
        discover_indicators(name)
