"""Probabilistic linkage with Splink: a Fellegi-Sunter model on hashed identifier features.

Records of a follow-up source that carry no child id are linked to the
children of the identifiers table. Both sides are first reduced to the hashed
comparison features of :mod:`outcomes.linkage.pseudonymise`, so Splink never
sees a name, a date of birth or a postcode.

The modules follow Splink's own grouping of a linker's work by purpose:

- :mod:`~outcomes.linkage.probabilistic.model`: comparisons, blocking rules, the
  Splink settings and the trained parameters;
- :mod:`~outcomes.linkage.probabilistic.training`: u probabilities from a fixed
  sample and m probabilities by expectation maximisation;
- :mod:`~outcomes.linkage.probabilistic.inference`: scoring in chunks and
  one-to-one resolution of competing matches;
- :mod:`~outcomes.linkage.probabilistic.evaluation`: the match threshold and the
  F1 the model expects;
- :mod:`~outcomes.linkage.probabilistic.frames`: Splink's input frames and how
  they are put into DuckDB or Spark.

:func:`link_probabilistically` runs them in turn. The match threshold, unless
given, is the one that maximises the F1 score the model itself expects (from
its match probabilities) and is reported.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from outcomes.linkage.engines import Engine
from outcomes.linkage.probabilistic.evaluation import THRESHOLD_GRID, choose_threshold, expected_f1
from outcomes.linkage.probabilistic.frames import Registrar, splink_frame
from outcomes.linkage.probabilistic.inference import (
    PREDICT_CHUNK_RECORDS,
    PREDICT_FLOOR,
    predict_pairs,
    resolve_one_to_one,
)
from outcomes.linkage.probabilistic.model import (
    BLOCKING_RULES,
    EM_BLOCKING_RULES,
    UNIQUE_ID,
    TrainedModel,
    model_settings,
)
from outcomes.linkage.probabilistic.training import M_FLOOR, train_model

__all__ = [
    "BLOCKING_RULES",
    "EM_BLOCKING_RULES",
    "M_FLOOR",
    "PREDICT_CHUNK_RECORDS",
    "PREDICT_FLOOR",
    "THRESHOLD_GRID",
    "UNIQUE_ID",
    "ProbabilisticLinks",
    "TrainedModel",
    "choose_threshold",
    "expected_f1",
    "link_probabilistically",
    "model_settings",
    "predict_pairs",
    "resolve_one_to_one",
    "train_model",
]

logger = logging.getLogger(__name__)


@dataclass
class ProbabilisticLinks:
    """Result of probabilistic linkage.

    Attributes
    ----------
    links : one row per linked record (``record``, ``child``, ``match_weight``, ``match_probability``).
    threshold : match probability threshold used.
    threshold_chosen : True if the threshold was chosen by :func:`choose_threshold`, False if given.
    candidate_pairs : pairs scored above :data:`~outcomes.linkage.probabilistic.inference.PREDICT_FLOOR`.
    ambiguous : records left unlinked because two children were equally probable.
    model : the trained model.
    """

    links: pd.DataFrame
    threshold: float
    threshold_chosen: bool
    candidate_pairs: int
    ambiguous: pd.Index
    model: TrainedModel
    expected_f1: float


def link_probabilistically(
    engine: Engine,
    children: pd.DataFrame,
    records: pd.DataFrame,
    *,
    slots: pd.Series | None = None,
    threshold: float | None = None,
) -> ProbabilisticLinks:
    """Train, predict, resolve and threshold.

    Parameters
    ----------
    engine : open engine.
    children : child pseudonyms (``unique_id``) with hashed features.
    records : record ids (``unique_id``) with hashed features.
    slots : period of each record (see :func:`resolve_one_to_one`).
    threshold : match probability threshold; chosen by :func:`choose_threshold` when ``None``.
    """
    children = splink_frame(children.drop(columns=[UNIQUE_ID]), children[UNIQUE_ID])
    records = splink_frame(records.drop(columns=[UNIQUE_ID]), records[UNIQUE_ID])
    # Splink compares row numbers, not the long string ids: the blocked pairs of a national source take
    # a fifth of the memory. Rows are in id order, so the fixed training samples are unchanged.
    child_ids = children[UNIQUE_ID].to_numpy(dtype=object)
    record_ids = records[UNIQUE_ID].to_numpy(dtype=object)
    children[UNIQUE_ID] = np.arange(len(children), dtype=np.int64)
    records[UNIQUE_ID] = np.arange(len(records), dtype=np.int64)
    splink_logger = logging.getLogger("splink")
    level = splink_logger.level
    # Splink warns of levels EM could not train; training.floor_m deals with them, so the warning is noise here.
    splink_logger.setLevel(max(level, logging.ERROR))
    registrar = Registrar(engine)
    try:
        model = train_model(engine, children, records, registrar)
    finally:
        splink_logger.setLevel(level)
    pairs = predict_pairs(engine, model, children, records, registrar, child_ids=child_ids, record_ids=record_ids)
    registrar.release()
    resolved, ambiguous = resolve_one_to_one(pairs, slots)
    probabilities = resolved["match_probability"].to_numpy()
    chosen = threshold is None
    if threshold is None:
        threshold = choose_threshold(probabilities)
    links = resolved[resolved["match_probability"] >= threshold].reset_index(drop=True)
    logger.info(
        "%d candidate pairs, %d records linked at match probability >= %.3f (%d ambiguous)",
        len(pairs),
        len(links),
        threshold,
        len(ambiguous),
    )
    return ProbabilisticLinks(
        links=links,
        threshold=float(threshold),
        threshold_chosen=chosen,
        candidate_pairs=len(pairs),
        ambiguous=ambiguous,
        model=model,
        expected_f1=expected_f1(probabilities, threshold),
    )
