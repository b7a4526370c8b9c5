"""Cohort linkage: pseudonymise identifiers, link follow-up sources to secure-home leavers, report quality.

The public API of the linker. Internals live in the submodules:
:mod:`~outcomes.linkage.pseudonymise` (keyed hashes), :mod:`~outcomes.linkage.deterministic`
(on the child id), :mod:`~outcomes.linkage.probabilistic` (Splink),
:mod:`~outcomes.linkage.quality` (match rates, precision and recall),
:mod:`~outcomes.linkage.engines` (DuckDB or Spark) and
:mod:`~outcomes.linkage.pipeline` (a whole data folder).
"""

from outcomes.linkage.engines import ENGINES, open_engine
from outcomes.linkage.pipeline import LinkageResult, link_folder, link_tables, write_result
from outcomes.linkage.probabilistic import ProbabilisticLinks, link_probabilistically, resolve_one_to_one
from outcomes.linkage.pseudonymise import (
    DEMONSTRATION_KEY,
    KEY_VARIABLE,
    Pseudonymiser,
    is_synthetic,
    resolve_key,
)
from outcomes.linkage.quality import match_rates, truth_metrics

__all__ = [
    "DEMONSTRATION_KEY",
    "ENGINES",
    "KEY_VARIABLE",
    "LinkageResult",
    "ProbabilisticLinks",
    "Pseudonymiser",
    "is_synthetic",
    "link_folder",
    "link_tables",
    "link_probabilistically",
    "match_rates",
    "open_engine",
    "resolve_key",
    "resolve_one_to_one",
    "truth_metrics",
    "write_result",
]
