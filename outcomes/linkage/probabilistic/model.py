"""The linkage model: comparisons, blocking rules, Splink settings and the trained parameters.

Comparisons (most to least specific level; a missing value on either side is
a neutral null level):

- forename and surname: exact, bigram Dice >= 0.8, same Soundex code,
  bigram Dice >= 0.5, else;
- date of birth: exact, day and month swapped, two of year, month and day
  agree, else;
- sex: exact, else;
- postcode: exact, same sector, same district, else.

Blocking rules for prediction each require two features to agree, so that one
error in any identifier still leaves a rule that finds the pair. Exact forename
and surname are combined with the postcode district: on national sources one
full name is shared by dozens of children, and a rule on names alone would
score tens of millions of pairs that the other rules either already find or
that names alone could not decide.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

UNIQUE_ID = "unique_id"
"""Column of the Splink input frames: child pseudonym (left) or ``source:record_id`` (right)."""

SIGNIFICANT_FIGURES = 12
"""Trained probabilities are rounded to this many figures, so that the order in which an engine sums cannot
change a link."""

BLOCKING_RULES: tuple[tuple[str, ...], ...] = (
    ("dob", "forename_soundex"),
    ("dob", "surname_soundex"),
    ("dob_year", "forename_soundex", "surname_soundex"),
    ("forename_name", "surname_name", "postcode_district"),
    ("postcode", "forename_soundex"),
    ("postcode", "surname_soundex"),
)
"""Blocking rules for prediction: each needs two features (or both names) to agree, so one error still leaves a rule."""

EM_BLOCKING_RULES: tuple[tuple[str, ...], ...] = (("dob",), ("forename_name", "surname_name"))
"""Blocking rules of the two EM passes (each estimates the comparisons it does not block on)."""

Parameters = dict[tuple[str, str], tuple[float | None, float | None]]
"""(comparison, level label) -> (m, u) probabilities."""


def _dice(dialect: str, column: str) -> str:
    left, right = f"{column}_l", f"{column}_r"
    if dialect == "spark":
        common = f"size(array_intersect({left}, {right}))"
        total = f"(size({left}) + size({right}))"
    else:
        common = f"len(list_intersect({left}, {right}))"
        total = f"(len({left}) + len({right}))"
    return f"(2.0 * {common} / {total})"


def _level(sql: str, label: str, *, null: bool = False) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if null:
        level["is_null_level"] = True
    return level


def _comparison(column: str, description: str, *levels: tuple[str, str], missing: str | None = None) -> dict[str, Any]:
    """A Splink comparison: a null level when ``missing`` (or ``column``) is null on either side, ``levels``
    (SQL condition, label) from the most to the least specific, then every other pair as ``different``."""
    missing = missing or column
    return {
        "output_column_name": column,
        "comparison_description": description,
        "comparison_levels": [
            _level(f"{missing}_l IS NULL OR {missing}_r IS NULL", "missing", null=True),
            *(_level(sql, label) for sql, label in levels),
            _level("ELSE", "different"),
        ],
    }


def _name_comparison(dialect: str, prefix: str) -> dict[str, Any]:
    name, sx, grams = f"{prefix}_name", f"{prefix}_soundex", f"{prefix}_bigrams"
    dice = _dice(dialect, grams)
    return _comparison(
        prefix,
        f"{prefix}: hashed name, Soundex and bigram Dice",
        (f"{name}_l = {name}_r", "exact"),
        (f"{dice} >= 0.8", "bigram Dice >= 0.8"),
        (f"{sx}_l = {sx}_r", "same Soundex"),
        (f"{dice} >= 0.5", "bigram Dice >= 0.5"),
        missing=name,
    )


def _dob_comparison() -> dict[str, Any]:
    two_of_three = (
        "(dob_year_l = dob_year_r AND dob_month_l = dob_month_r)"
        " OR (dob_year_l = dob_year_r AND dob_day_l = dob_day_r)"
        " OR (dob_month_l = dob_month_r AND dob_day_l = dob_day_r)"
    )
    return _comparison(
        "date_of_birth",
        "date of birth: exact, day and month swapped, two parts of three",
        ("dob_l = dob_r", "exact"),
        ("dob_swapped_l = dob_r", "day and month swapped"),
        (two_of_three, "two of year, month, day"),
        missing="dob",
    )


def _sex_comparison() -> dict[str, Any]:
    return _comparison("sex", "sex as recorded", ("sex_l = sex_r", "exact"))


def _postcode_comparison() -> dict[str, Any]:
    return _comparison(
        "postcode",
        "postcode: exact, sector, district",
        ("postcode_l = postcode_r", "exact"),
        ("postcode_sector_l = postcode_sector_r", "same sector"),
        ("postcode_district_l = postcode_district_r", "same district"),
    )


def blocking_rule(columns: Sequence[str]) -> dict[str, Any]:
    """A Splink blocking rule requiring every one of ``columns`` to agree."""
    return {"blocking_rule": " AND ".join(f"l.{c} = r.{c}" for c in columns)}


def model_settings(dialect: str, prior: float) -> dict[str, Any]:
    """The untrained Splink settings of the model, for the ``duckdb`` or ``spark`` dialect.

    Parameters
    ----------
    dialect : SQL dialect of the engine.
    prior : probability that a random child and record match.
    """
    return {
        "link_type": "link_only",
        "unique_id_column_name": UNIQUE_ID,
        "probability_two_random_records_match": prior,
        "comparisons": [
            _name_comparison(dialect, "forename"),
            _name_comparison(dialect, "surname"),
            _dob_comparison(),
            _sex_comparison(),
            _postcode_comparison(),
        ],
        "blocking_rules_to_generate_predictions": [blocking_rule(rule) for rule in BLOCKING_RULES],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "em_convergence": 1e-4,
        "max_iterations": 25,
    }


def round_significant(value: float | None) -> float | None:
    """``value`` to :data:`SIGNIFICANT_FIGURES` significant figures (None, zero and non-finite values unchanged)."""
    if value is None or not math.isfinite(value) or value == 0:
        return value
    return float(f"{value:.{SIGNIFICANT_FIGURES}g}")


def trained_parameters(model: dict[str, Any]) -> Parameters:
    """The rounded m and u of every non-null level of a model saved by Splink (``save_model_to_json``)."""
    parameters = {}
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            key = (comparison["output_column_name"], level["label_for_charts"])
            parameters[key] = (
                round_significant(level.get("m_probability")),
                round_significant(level.get("u_probability")),
            )
    return parameters


def with_parameters(settings: dict[str, Any], parameters: Parameters, which: str) -> dict[str, Any]:
    """A copy of ``settings`` with the m (``"m"`` in ``which``) and u (``"u"`` in ``which``) of ``parameters``."""
    settings = {**settings, "comparisons": [dict(c) for c in settings["comparisons"]]}
    for comparison in settings["comparisons"]:
        levels = []
        for level in comparison["comparison_levels"]:
            level = dict(level)
            m, u = parameters.get((comparison["output_column_name"], level["label_for_charts"]), (None, None))
            if "m" in which and m is not None:
                level["m_probability"] = m
            if "u" in which and u is not None:
                level["u_probability"] = u
            levels.append(level)
        comparison["comparison_levels"] = levels
    return settings


@dataclass
class TrainedModel:
    """A trained linkage model.

    Attributes
    ----------
    settings : Splink settings with trained m and u probabilities (dialect-specific SQL).
    parameters : (comparison, level) -> (m, u), rounded; the same for every engine.
    prior : probability that a random child and record match.
    em_iterations : iterations of each EM pass.
    """

    settings: dict[str, Any]
    parameters: Parameters
    prior: float
    em_iterations: list[int] = field(default_factory=list)

    def parameter_frame(self) -> pd.DataFrame:
        """m, u and match weight of every non-null level, as a tidy frame."""
        rows = []
        for (comparison, level), (m, u) in self.parameters.items():
            weight = math.log2(m / u) if m and u else float("nan")
            rows.append({"comparison": comparison, "level": level, "m": m, "u": u, "match_weight": weight})
        return pd.DataFrame(rows)
