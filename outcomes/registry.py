"""The indicator registry: every indicator class found in the ``indicators`` package.

Discovery lives in this one function. Nothing else lists the indicators: adding
a module with an indicator class to ``indicators/`` registers it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

from outcomes.errors import ConfigurationError
from outcomes.indicator import FAMILIES, Indicator

DEFAULT_PACKAGE = "indicators"


class DuplicateIndicatorError(ConfigurationError):
    """Two indicator classes declare the same code."""


class IncompleteDeclarationError(ConfigurationError):
    """An indicator's declaration is missing a field or has a wrong value."""


def _source(cls: type) -> str:
    try:
        return inspect.getfile(cls)
    except (TypeError, OSError):
        return cls.__module__


def discover_indicators(package: str | ModuleType = DEFAULT_PACKAGE) -> dict[str, type[Indicator]]:
    """Import every module of ``package`` and return its indicator classes by code, sorted by code.

    Modules whose names start with ``test_`` or ``_`` are skipped. A class is an
    indicator when it subclasses :class:`~outcomes.indicator.Indicator`, has a
    ``declaration`` and is defined in the module being read (so imported base
    classes and indicators imported from elsewhere are not counted twice).

    Raises
    ------
    DuplicateIndicatorError
        Two classes declare the same code; the message names both files.
    IncompleteDeclarationError
        A declaration is incomplete; the message names the file and what is missing.
    """
    module = importlib.import_module(package) if isinstance(package, str) else package
    found: dict[str, type[Indicator]] = {}
    for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda m: m.name):
        if info.name.startswith(("test_", "_")):
            continue
        submodule = importlib.import_module(f"{module.__name__}.{info.name}")
        for _, cls in sorted(inspect.getmembers(submodule, inspect.isclass)):
            if (
                not issubclass(cls, Indicator)
                or cls in FAMILIES
                or cls.__module__ != submodule.__name__
                or "declaration" not in vars(cls)
            ):
                continue
            problems = cls.metadata().problems()
            if problems:
                raise IncompleteDeclarationError(
                    f"{_source(cls)}: indicator {cls.__name__} has an incomplete declaration: {'; '.join(problems)}"
                )
            code = cls.declaration.code
            if code in found:
                raise DuplicateIndicatorError(
                    f"indicator code {code!r} is declared twice: in {_source(found[code])} ({found[code].__name__}) "
                    f"and in {_source(cls)} ({cls.__name__}). Give one of them a new code."
                )
            found[code] = cls
    return dict(sorted(found.items()))
