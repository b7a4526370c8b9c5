"""Training the model: u probabilities from a fixed sample of pairs, m probabilities by expectation maximisation.

Training is deterministic and engine-independent, so DuckDB and Spark fit
the same parameters:

1. u probabilities from *every* pair of a fixed sample of children and
   records (the first rows in hashed-id order): no random sampling, hence no
   dependence on an engine's random-number generator;
2. m probabilities by expectation maximisation on the pairs of a fixed
   sample of records blocked first on date of birth (estimating the name,
   sex and postcode comparisons) and then on forename and surname
   (estimating date of birth);
3. the prior probability that a child and a record match is taken as
   ``1 / number of children``: each record belongs to one child at most.

Trained probabilities are rounded to 12 significant figures, so that the
last bits of floating-point sums (which depend on how an engine orders
them) cannot change a link.
"""

from __future__ import annotations

import logging

import pandas as pd

from outcomes.linkage.engines import Engine
from outcomes.linkage.probabilistic.frames import Registrar, splink_linker
from outcomes.linkage.probabilistic.model import (
    EM_BLOCKING_RULES,
    Parameters,
    TrainedModel,
    blocking_rule,
    model_settings,
    round_significant,
    trained_parameters,
    with_parameters,
)
from outcomes.progress import progress

logger = logging.getLogger(__name__)

U_SAMPLE_CHILDREN = 1_000
U_SAMPLE_RECORDS = 1_000
EM_SAMPLE_RECORDS = 25_000
"""Sample sizes for training (records chosen in hashed-id order, so the samples are fixed)."""

M_FLOOR = 1e-3
"""Least m probability of a level: no single disagreement may rule a link out on its own."""


def fixed_sample(frame: pd.DataFrame, size: int) -> pd.DataFrame:
    """The first ``size`` rows of ``frame`` (all of them if it has fewer)."""
    # The ids are keyed hashes (or built from them), so their order is a fixed pseudo-random order.
    return frame.iloc[:size] if len(frame) > size else frame


def floor_m(parameters: Parameters) -> Parameters:
    """Raise every m probability to at least :data:`M_FLOOR`, then make each comparison's m sum to 1 again.

    EM gives an m of (nearly) zero to a level no training pair reached, such as a
    sex recorded differently; that weight would veto a link for one slip of the
    pen, however well everything else agrees.
    """
    floored = {key: (max(m if m is not None else 0.0, M_FLOOR), u) for key, (m, u) in parameters.items()}
    totals: dict[str, float] = {}
    for (comparison, _), (m, _) in floored.items():
        totals[comparison] = totals.get(comparison, 0.0) + m
    return {
        (comparison, level): (round_significant(m / totals[comparison]), u)
        for (comparison, level), (m, u) in floored.items()
    }


def train_model(
    engine: Engine, children: pd.DataFrame, records: pd.DataFrame, registrar: Registrar | None = None
) -> TrainedModel:
    """Fit the Fellegi-Sunter model.

    Parameters
    ----------
    engine : open engine.
    children : Splink frame of the children (``unique_id`` and hashed features), sorted by id.
    records : Splink frame of the records to link, sorted by id.
    registrar : puts frames into the engine (pass the one prediction uses, so frames go in once).
    """
    prior = 1.0 / max(len(children), 1)
    base = model_settings(engine.dialect, prior)
    registrar = registrar or Registrar(engine)

    with progress(desc="training the linkage model", total=1 + len(EM_BLOCKING_RULES), unit="pass") as bar:
        u_children = fixed_sample(children, U_SAMPLE_CHILDREN)
        u_records = fixed_sample(records, U_SAMPLE_RECORDS)
        all_pairs = float(len(u_children) * len(u_records))
        logger.info("estimating u from all %d pairs of a fixed sample", int(all_pairs))
        u_linker = splink_linker(registrar, u_children, u_records, base)
        # max_pairs equal to every pair of the sample: Splink then samples nothing, so u is engine-independent.
        u_linker.training.estimate_u_using_random_sampling(
            max_pairs=max(all_pairs, 1.0) + 1.0, seed=0, min_count_per_level=None, num_chunks=1
        )
        u_parameters = trained_parameters(u_linker.misc.save_model_to_json())
        bar.update()

        em_records = fixed_sample(records, EM_SAMPLE_RECORDS)
        em_linker = splink_linker(registrar, children, em_records, with_parameters(base, u_parameters, "u"))
        iterations = []
        for rule in EM_BLOCKING_RULES:
            logger.info("expectation maximisation blocked on %s", ", ".join(rule))
            session = em_linker.training.estimate_parameters_using_expectation_maximisation(
                blocking_rule(rule)["blocking_rule"], fix_u_probabilities=True
            )
            iterations.append(len(getattr(session, "_lambda_history_records", [])) or -1)
            bar.update()
    parameters = floor_m(trained_parameters(em_linker.misc.save_model_to_json()))
    settings = with_parameters(base, parameters, "mu")
    return TrainedModel(settings=settings, parameters=parameters, prior=prior, em_iterations=iterations)
