"""What the published outputs hold: the columns and status values of ``indicators.csv`` and the fields of
``linkage_quality.json``, rendered as ``docs/outputs.md``.

The column and status names are the framework's own constants
(:data:`outcomes.indicator.TIDY_COLUMNS`, the ``STATUS_*`` constants and
:data:`outcomes.disclosure.SUPPRESSED_STATUS`); the tests check that every one
of them is described here, that the linkage fields are the ones a linkage run
writes, and that ``docs/outputs.md`` is what :func:`outputs_reference` renders.
Regenerate it with ``python -m outcomes.outputs_reference > docs/outputs.md``.
"""

from __future__ import annotations

import sys

from outcomes.config import Settings
from outcomes.disclosure import SUPPRESSED_STATUS
from outcomes.indicator import STATUS_NO_DATA, STATUS_NOT_AVAILABLE, STATUS_NOT_ESTIMABLE, STATUS_OK, TIDY_COLUMNS
from outcomes.linkage.probabilistic.inference import PREDICT_FLOOR

INDICATOR_COLUMNS: dict[str, str] = {
    "indicator": "Code of the indicator (`outcomes indicators describe CODE` gives its declaration).",
    "time_period": "Period the row covers: a financial year (`2022-23`, April to March) or a calendar year "
    "(`2022`), as the indicator declares; `all` on the one row of an indicator with no data at all, `unknown` "
    "for units whose date is missing.",
    "window_months": "Follow-up window in months after leaving (6, 12, 24 by default); empty for indicators "
    "without a window.",
    "breakdown": "What the rows are split by: `all` (no split), `pathway`, `home`, `sex`, `age_band` or "
    "`behaviour` (a child presenting several behaviours counts in each).",
    "breakdown_value": "The group of the breakdown (`all` for the whole population; a pathway, a home's URN, an "
    "SSDA903 sex code, an age band such as `14-15`, a behaviour code).",
    "numerator": "Units that count (proportions), events (rates) or units with the event (time to event); empty "
    "for durations and means.",
    "denominator": "Units in the population (proportions, time to event), exposure (rates: nights, for "
    "example) or units with a value (durations and means).",
    "n": "Units behind the row (children, stays, referrals or places): what suppression tests.",
    "value": "The estimate, in `unit`: a percentage, a rate, a median or a mean; for time-to-event indicators "
    "the Kaplan-Meier cumulative incidence at the window, so not numerator / denominator.",
    "ci_lower": "Lower limit of the 95% confidence interval (its method is the `ci_method` of "
    "`outcomes indicators describe CODE`: Wilson score, Byar, Kaplan-Meier with Greenwood variance, ...).",
    "ci_upper": "Upper limit of the 95% confidence interval.",
    "unit": "Unit of `value`, `ci_lower` and `ci_upper` (`%`, `per 1,000 nights`, `days`, `SDQ points`, ...).",
    "suppressed": "`true` if the row's figures are hidden by disclosure control (then numerator, denominator, "
    "n, value and interval are empty); `false` otherwise.",
    "status": "Whether the row has a figure and why not; see the status values below.",
    "note": "Why a row has no figure (for example `empty denominator`, or the table an indicator needs that the "
    "data folder lacks); empty otherwise.",
}
"""Description of every column of ``indicators.csv``, in :data:`~outcomes.indicator.TIDY_COLUMNS` order."""

STATUSES: dict[str, str] = {
    STATUS_OK: "A figure is published.",
    SUPPRESSED_STATUS: "A figure was computed but is hidden: a count from 1 to the suppression threshold "
    f"({Settings().suppression_threshold} by default), or a cell from which a hidden one could be worked back (secondary suppression).",
    STATUS_NOT_ESTIMABLE: "There are data but no estimate can be made (an empty denominator, no exposure, "
    "nobody followed for the whole window); `note` says which.",
    STATUS_NO_DATA: "Nobody is in the population for this window (for example no leaver followed long enough); "
    "the row says so rather than publishing 0 of 0.",
    STATUS_NOT_AVAILABLE: "The data folder lacks a table or column the indicator needs; `note` names it.",
}
"""Every value of the ``status`` column."""

INDICATOR_FORMAT = (
    "One row per indicator, period, window, breakdown and group, sorted by indicator; UTF-8, comma-separated, "
    "`\\n` line endings. Counts are written as whole numbers when whole, values and limits with six decimals, "
    "missing figures as empty cells, so the same data, settings and seed give the same bytes. The notes of each "
    "indicator (coverage, caveats, suppression) are in `indicator_notes.md` beside it."
)

LINKAGE_QUALITY_FIELDS: dict[str, str] = {
    "engine": "Engine that ran the linkage: `duckdb` or `spark`.",
    "synthetic": "`true` when the public demonstration key was used, which only a synthetic cohort may use "
    "(a file in the data folder does not decide it).",
    "demonstration_key": "`true` when the public demonstration key pseudonymised the identifiers: the cohort was "
    "generated by this run, or `--demo-key` was given. Pseudonyms made with it protect nothing.",
    "data_end": "Last date the follow-up sources cover (`YYYY-MM-DD`); the leaver cohort is censored there.",
    "windows_months": "Follow-up windows of the leaver cohort, in months.",
    "sources_dir": "Where the follow-up sources were read from: `sources` (a folder given with `--sources`) or "
    "`data folder`.",
    "counts": "For each follow-up source, how its records were linked (fields below).",
    "records": "Records of all follow-up sources.",
    "linked": "Records linked to a child, by either method.",
    "match_rate": "`linked / records`.",
    "leaver_match_rates": "Share of leavers with at least one linked record: `overall` and `by` breakdown "
    "(pathway, sex, ethnicity, age band) and group, each with `leavers`, `any_source` and one share per source.",
    "threshold": "Match probability a probabilistic link needs.",
    "threshold_chosen_by": "`maximum expected F1` (chosen from the model's own match probabilities) or `given`.",
    "expected_f1": "F1 the model expects at the threshold, taking its match probabilities at face value.",
    "candidate_pairs": f"Child and record pairs scored above the prediction floor (match probability {PREDICT_FLOOR}).",
    "model": "The trained Fellegi-Sunter model: `prior_match_probability`, and `parameters` with `comparison`, "
    "`level`, `m`, `u` and `match_weight` (log2 of m / u) of every comparison level.",
    "precision": "Share of links that are true links (only where true links are known: synthetic data).",
    "recall": "Share of true links that were made (synthetic data).",
    "f1": "Harmonic mean of precision and recall (synthetic data).",
    "true_positives": "Links that are true links (synthetic data).",
    "false_positives": "Links that are not true links (synthetic data).",
    "false_negatives": "True links not made (synthetic data).",
    "truth_by_group": "Precision, recall, F1 and their counts by breakdown and group of the child (synthetic "
    "data); children outside the leaver cohort form the group `not_a_leaver`.",
}
"""Every top-level field of ``linkage_quality.json``; the model fields appear only when some records were linked
probabilistically, the truth fields only when the true links are known."""

PROBABILISTIC_FIELDS = ("threshold_chosen_by", "expected_f1", "candidate_pairs", "model")
"""Fields written only when some records were linked probabilistically."""

TRUTH_FIELDS = ("precision", "recall", "f1", "true_positives", "false_positives", "false_negatives", "truth_by_group")
"""Fields written only when the true links are known (synthetic data)."""

SOURCE_COUNT_FIELDS: dict[str, str] = {
    "records": "Records of the source.",
    "with_child_id": "Records that carry a `child_id`.",
    "unknown_child_id": "Of those, records whose `child_id` names no child of the children table (left unlinked).",
    "to_link": "Records without `child_id` that carry identifiers: linked probabilistically.",
    "without_identifiers": "Records with neither `child_id` nor any identifier (left unlinked).",
    "linked_deterministically": "Records linked on their `child_id`.",
    "linked_probabilistically": "Records linked by the model at the threshold.",
    "ambiguous": "Records left unlinked because two children were equally probable.",
    "linked": "`linked_deterministically + linked_probabilistically`.",
    "unlinked": "`records - linked`.",
    "match_rate": "`linked / records` (`null` if the source has no records).",
}
"""Fields of each source in ``counts``."""


def _table(header: tuple[str, str], rows: dict[str, str]) -> list[str]:
    lines = [f"| {header[0]} | {header[1]} |", "| --- | --- |"]
    lines += [f"| `{name}` | {text} |" for name, text in rows.items()]
    return lines


def outputs_reference() -> str:
    """The reference of the published outputs, as Markdown (the text of ``docs/outputs.md``)."""
    lines = [
        "# Outputs",
        "",
        "Generated by `python -m outcomes.outputs_reference` from the framework's constants (`outcomes/outputs_reference.py`); "
        "do not edit by hand. A test checks that it is up to date.",
        "",
        "## `indicators/indicators.csv`",
        "",
        INDICATOR_FORMAT,
        "",
        *_table(("column", "what it holds"), {column: INDICATOR_COLUMNS[column] for column in TIDY_COLUMNS}),
        "",
        "### Values of `status`",
        "",
        *_table(("status", "meaning"), STATUSES),
        "",
        "## `linkage/linkage_quality.json`",
        "",
        "How well the follow-up sources were linked to the children. It holds counts, shares and the model's "
        "parameters, never an identifier or a pseudonym. Fields written only when some records were linked probabilistically: "
        + ", ".join(f"`{field}`" for field in PROBABILISTIC_FIELDS)
        + ". Fields written only when the true links are known (synthetic data): "
        + ", ".join(f"`{field}`" for field in TRUTH_FIELDS)
        + ".",
        "",
        *_table(("field", "what it holds"), LINKAGE_QUALITY_FIELDS),
        "",
        "### Fields of each source in `counts`",
        "",
        *_table(("field", "what it holds"), SOURCE_COUNT_FIELDS),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(outputs_reference())
