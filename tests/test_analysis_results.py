"""The results convention shared by the analyses (analyses/results.py)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from analyses.results import (  # noqa: E402
    ESTIMATE_COLUMNS,
    STATUS_NOT_ESTIMABLE,
    AnalysisResult,
    Figure,
    estimates_frame,
    not_estimable_row,
)


def _result() -> AnalysisResult:
    rows = [
        {"model": "cox", "term": "pathway_remand", "estimate": 1.5, "ci_lower": 1.1, "ci_upper": 2.0,
         "p_value": 0.01, "scale": "hazard_ratio", "n": 200, "events": 60, "true_value": 1.4},
        not_estimable_row("cox", "rare_flag", "3 events for 1 parameter; at least 10 are needed", n=200, events=3),
    ]  # fmt: skip
    figure, axes = plt.subplots()
    axes.plot([0, 1, 2], [0.0, 0.2, 0.3])
    axes.set_title("A curve")
    return AnalysisResult(
        name="survival",
        title="Survival",
        estimates=estimates_frame(rows),
        tables={"curve": estimates_frame(rows)[["model", "term"]]},
        figures={"curve": Figure(figure, "A rising curve from 0 to 30%.")},
        notes=["A note."],
    )


def test_frame_has_the_fixed_columns_and_a_reasoned_not_estimable_row():
    frame = _result().to_frame()
    assert list(frame.columns) == ESTIMATE_COLUMNS
    missing = frame[frame["term"] == "rare_flag"].iloc[0]
    assert missing["status"] == STATUS_NOT_ESTIMABLE
    assert np.isnan(missing["estimate"])
    assert "at least 10" in missing["note"]
    assert frame.loc[frame["term"] == "pathway_remand", "status"].item() == "ok"


def test_summary_renders_in_every_format():
    result = _result()
    for fmt, marker in (("text", "Notes:"), ("markdown", "| model |"), ("html", "<ol><li>A note.</li></ol>")):
        text = result.summary(fmt)
        assert "pathway_remand" in text and marker in text


def test_write_is_byte_identical_across_runs(tmp_path):
    first = _result().write(tmp_path / "a")
    second = _result().write(tmp_path / "b")
    names = sorted(p.name for p in first)
    assert names == sorted(p.name for p in second)
    assert {"survival_estimates.csv", "curve.csv", "curve.svg", "curve.png", "curve.alt.txt"} <= set(names)
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    csv = (tmp_path / "a" / "survival_estimates.csv").read_text().splitlines()
    assert csv[1].startswith("cox,pathway_remand,1.500000,1.100000,2.000000,0.010000,hazard_ratio,200,60,1.400000,ok")
