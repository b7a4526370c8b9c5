"""docs/outputs.md is generated from the framework's constants and describes every column and status value."""

from __future__ import annotations

from pathlib import Path

import outcomes.indicator as indicator
from outcomes.disclosure import SUPPRESSED_STATUS
from outcomes.outputs_reference import INDICATOR_COLUMNS, STATUSES, outputs_reference

DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "outputs.md"


def test_the_document_is_what_the_constants_render():
    assert DOCUMENT.read_text(encoding="utf-8") == outputs_reference(), (
        "docs/outputs.md is out of date: python -m outcomes.outputs_reference > docs/outputs.md"
    )


def test_every_column_of_indicators_csv_is_described_in_order():
    assert list(INDICATOR_COLUMNS) == indicator.TIDY_COLUMNS
    rendered = outputs_reference()
    positions = [rendered.index(f"| `{column}` |") for column in indicator.TIDY_COLUMNS]
    assert positions == sorted(positions)


def test_every_status_value_is_described():
    declared = {value for name, value in vars(indicator).items() if name.startswith("STATUS_")} | {SUPPRESSED_STATUS}
    assert set(STATUSES) == declared


def test_every_status_a_run_writes_is_described():
    from indicator_fixtures import world_results

    written = {status for result in world_results().values() for status in result.to_frame()["status"]}
    assert written <= set(STATUSES), written - set(STATUSES)
    assert {"ok", SUPPRESSED_STATUS} <= written
