"""Outcome framework for secure children's homes in England.

The public API: what users and notebooks import. Everything else is internal
and may change.
"""

from outcomes.cohort import FollowUp, build_leaver_cohort, time_to_event
from outcomes.config import Settings, load_settings
from outcomes.contract import codes
from outcomes.contract.tables import TABLES
from outcomes.errors import (
    ConfigurationError,
    DataContractError,
    OutcomesError,
    StructuralError,
    SuppressionWarning,
)
from outcomes.loading import LoadResult, load_data

__all__ = [
    "TABLES",
    "ConfigurationError",
    "DataContractError",
    "FollowUp",
    "LoadResult",
    "OutcomesError",
    "Settings",
    "StructuralError",
    "SuppressionWarning",
    "build_leaver_cohort",
    "codes",
    "load_data",
    "load_settings",
    "time_to_event",
]
