"""Inference: scoring the blocked pairs in chunks, and resolving competing matches one to one.

Competing matches are resolved one to one: a record goes to at most one child,
a child gets at most one record per source and period (a child has one OC2
return a year), taking the most probable pairs first; a record whose two best
children are equally probable is left unlinked as *ambiguous*.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from outcomes.linkage.engines import Engine
from outcomes.linkage.probabilistic.frames import Registrar, splink_linker
from outcomes.linkage.probabilistic.model import UNIQUE_ID, TrainedModel
from outcomes.progress import progress

PREDICT_FLOOR = 0.01
"""Pairs less probable than this are not kept from prediction."""

PREDICT_CHUNK_RECORDS = 250_000
"""Records scored at once: larger sources are predicted in chunks."""


def predict_pairs(
    engine: Engine,
    model: TrainedModel,
    children: pd.DataFrame,
    records: pd.DataFrame,
    registrar: Registrar | None = None,
    *,
    child_ids: np.ndarray | None = None,
    record_ids: np.ndarray | None = None,
) -> pd.DataFrame:
    """Scored candidate pairs (``child``, ``record``, ``match_weight``, ``match_probability``) above the floor.

    Parameters
    ----------
    engine, model : open engine and trained model.
    children, records : Splink frames; their ``unique_id`` is the row number
        (see :func:`~outcomes.linkage.probabilistic.link_probabilistically`).
    registrar : puts frames into the engine.
    child_ids, record_ids : the identifiers of the rows, returned in place of row numbers.

    Notes
    -----
    The records are scored in chunks of about :data:`PREDICT_CHUNK_RECORDS`
    (Splink's own chunks: each holds the records whose hashed id falls in it),
    each chunk's pairs above :data:`PREDICT_FLOOR` kept, so the blocked pairs of
    a national source are never all held at once. The pairs are sorted at the
    end, so the chunking cannot change the result.
    """
    settings = {**model.settings, "probability_two_random_records_match": model.prior}
    linker = splink_linker(registrar or Registrar(engine), children, records, settings)
    chunks = max(1, math.ceil(len(records) / PREDICT_CHUNK_RECORDS))
    columns = f"{UNIQUE_ID}_l, {UNIQUE_ID}_r, source_dataset_l, match_weight, match_probability"
    scored = []
    for chunk in progress(range(1, chunks + 1), desc="scoring candidate pairs", unit="chunk"):
        predictions = linker.inference.predict_chunk(
            left_chunk=(1, 1),
            right_chunk=(chunk, chunks),
            threshold_match_probability=PREDICT_FLOOR,
            warning_mode="never",
        )
        sql = f"SELECT {columns} FROM {predictions.physical_name}"
        scored.append(linker.misc.query_sql(sql, output_type="pandas"))
        predictions.drop_table_from_database_and_remove_from_cache()
    frame = pd.concat([part for part in scored if len(part)] or scored[:1], ignore_index=True)
    # Splink orders the two datasets by name; put the child on the left whatever that order was.
    left_is_child = frame["source_dataset_l"].astype(str).str.contains("children").to_numpy()
    child = np.where(left_is_child, frame[f"{UNIQUE_ID}_l"], frame[f"{UNIQUE_ID}_r"]).astype(np.int64)
    record = np.where(left_is_child, frame[f"{UNIQUE_ID}_r"], frame[f"{UNIQUE_ID}_l"]).astype(np.int64)
    pairs = pd.DataFrame(
        {
            "child": child_ids[child] if child_ids is not None else child.astype(str),
            "record": record_ids[record] if record_ids is not None else record.astype(str),
            "match_weight": frame["match_weight"].astype(float).round(9).to_numpy(),
            "match_probability": frame["match_probability"].astype(float).round(12).to_numpy(),
        }
    )
    return pairs.sort_values(["record", "child"], kind="stable").reset_index(drop=True)


def _first_of_groups(keys: np.ndarray) -> np.ndarray:
    """Positions where a run of equal keys starts, in an array sorted by key."""
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = keys[1:] != keys[:-1]
    return starts


def resolve_one_to_one(pairs: pd.DataFrame, slots: pd.Series | None = None) -> tuple[pd.DataFrame, pd.Index]:
    """Keep, for each record, at most one child, taking the most probable pairs first.

    Parameters
    ----------
    pairs : scored pairs (``child``, ``record``, ``match_weight``, ``match_probability``).
    slots : for each record id, the period it covers (its *slot*): a child may
        take at most one record per slot. ``None`` or a missing value: no limit.

    Returns
    -------
    (links, ambiguous) : the resolved pairs, sorted by record; and the records
    left unlinked because their two best children were equally probable.

    Notes
    -----
    Pairs are accepted when each is the best remaining pair of both its record
    and its (child, slot); accepted records and slots are removed and the step
    repeated. With distinct weights this gives the same links as taking pairs
    greedily in order of weight; ties are broken by child and record id.
    Records, children and slots are handled as integer codes in id order, so
    millions of pairs are resolved in seconds.
    """
    if pairs.empty:
        return pairs.copy(), pd.Index([], dtype=object)
    record, record_ids = pd.factorize(pairs["record"], sort=True)
    child, _ = pd.factorize(pairs["child"], sort=True)
    weight = pairs["match_weight"].to_numpy(dtype=float)

    # Each record's pairs, best first (ties to the lower child id); a record whose two best are tied is ambiguous.
    by_record = np.lexsort((child, -weight, record))
    first = _first_of_groups(record[by_record])
    second = np.zeros(len(first), dtype=bool)
    second[1:] = first[:-1] & ~first[1:]
    tied = np.zeros(len(record_ids), dtype=bool)
    best_weight = weight[by_record][np.flatnonzero(second) - 1]
    tied[record[by_record][second]] = weight[by_record][second] == best_weight
    ambiguous = pd.Index(record_ids[np.flatnonzero(tied)], dtype=object)

    if slots is None:
        slot_codes = np.arange(len(record_ids))
    else:
        ids = pd.Series(record_ids, dtype=object)
        period = ids.map(slots)
        # A record without a period is its own slot, named apart from every period.
        slot_codes, _ = pd.factorize(period.astype(object).where(period.notna(), "\x00" + ids))
    slot = child.astype(np.int64) * (int(slot_codes.max()) + 1) + slot_codes[record]
    by_slot = np.lexsort((record, -weight, slot))

    alive = ~tied[record]
    record_taken = np.zeros(len(record_ids), dtype=bool)
    accepted = np.zeros(len(pairs), dtype=bool)
    while alive.any():
        live_by_record = by_record[alive[by_record]]
        best_of_record = live_by_record[_first_of_groups(record[live_by_record])]
        live_by_slot = by_slot[alive[by_slot]]
        best_of_slot = live_by_slot[_first_of_groups(slot[live_by_slot])]
        mutual = np.intersect1d(best_of_record, best_of_slot, assume_unique=True)
        if not len(mutual):  # cannot happen with a total order, but never loop forever
            break
        accepted[mutual] = True
        record_taken[record[mutual]] = True
        taken_slots = np.unique(slot[mutual])
        alive &= ~record_taken[record] & ~np.isin(slot, taken_slots)
    links = pairs[accepted]
    return links.sort_values("record", kind="stable").reset_index(drop=True), ambiguous
