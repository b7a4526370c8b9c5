"""Configuration: one file, with defaults, read once.

Every setting a run depends on lives in one TOML file (``--config FILE``);
anything not set there takes the default below. Secrets never live here: the
pseudonymisation key comes from the environment (``OUTCOMES_PSEUDONYM_KEY``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from outcomes.errors import ConfigurationError

PSEUDONYM_KEY_VARIABLE = "OUTCOMES_PSEUDONYM_KEY"


@dataclass(frozen=True)
class Settings:
    """Settings of a run.

    Attributes
    ----------
    data_end : last date the follow-up sources cover (ISO date).
    windows_months : follow-up windows after discharge.
    seed, scale, start_year, end_year : the synthetic cohort, when no data folder is given.
    suppression_threshold : counts from 1 up to this are suppressed in published tables.
    linkage_engine : ``duckdb`` or ``spark``.
    linkage_threshold : match probability above which a pair is a link (None: chosen by the linker).
    local_authority : three-digit DfE code of the authority whose SSDA903 returns are read (DfE's Header
        has no local authority column); None: not known, recorded as ``000`` with a warning.
    """

    data_end: str = "2024-03-31"
    windows_months: tuple[int, ...] = (6, 12, 24)
    seed: int = 0
    scale: float = 1.0
    start_year: int = 2017
    end_year: int = 2021
    suppression_threshold: int = 4
    linkage_engine: str = "duckdb"
    linkage_threshold: float | None = None
    local_authority: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        values = asdict(self)
        values["windows_months"] = list(self.windows_months)
        return values


def load_settings(path: Path | None = None, **overrides: object) -> Settings:
    """Settings from a TOML file (if given) with command-line overrides on top.

    Raises
    ------
    ConfigurationError
        If the file cannot be read or names a setting that does not exist.
    """
    values: dict[str, object] = {}
    if path is not None:
        try:
            values = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ConfigurationError(
                f"{path}: cannot read the configuration ({error}). Fix the file or leave it out."
            ) from None
    values.update({key: value for key, value in overrides.items() if value is not None})
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigurationError(
            f"{path or 'options'}: unknown setting(s) {', '.join(unknown)}. Known settings: {', '.join(sorted(known))}."
        )
    if values.get("local_authority") is not None:
        values["local_authority"] = str(values["local_authority"]).strip()
        if not re.fullmatch(r"\d{3}", values["local_authority"]):  # type: ignore[arg-type]
            raise ConfigurationError(
                f"{path or 'options'}: local_authority must be a three-digit DfE code (for example 202), "
                f"not {values['local_authority']!r}."
            )
    if "windows_months" in values:
        values["windows_months"] = tuple(int(w) for w in values["windows_months"])  # type: ignore[union-attr]
    return Settings(**values)  # type: ignore[arg-type]
