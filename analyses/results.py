"""The results convention shared by every analysis.

A fitted analysis returns an :class:`AnalysisResult`, as a statsmodels model
returns a results object:

- ``estimates``: one row per model term, with :data:`ESTIMATE_COLUMNS`
  (ratios on the ratio scale, the scale named in ``scale``);
- ``tables``: other tidy tables the analysis publishes (cumulative incidence
  by time, Table 3 reproduced, balance), by name;
- ``figures``: matplotlib figures by name, each with its alt text;
- ``notes``: numbered caveats (convergence, separation, failed checks,
  terms not estimable and why).

``to_frame()`` gives the estimates; ``summary()`` renders them as text,
Markdown or HTML; ``write(folder)`` writes every table as CSV with fixed
number formats (byte-identical reruns) and every figure as PNG and SVG with
its alt text in a ``.alt.txt`` sidecar.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

ESTIMATE_COLUMNS: list[str] = [
    "model",
    "term",
    "estimate",
    "ci_lower",
    "ci_upper",
    "p_value",
    "scale",
    "n",
    "events",
    "true_value",
    "status",
    "note",
]
"""Columns of every analysis's estimates, in this order.

``scale`` names the scale of ``estimate`` and its interval (``hazard_ratio``,
``odds_ratio``, ``percentage_points``, ``rate_per_month``, ``risk``, ...);
``n`` is the number of units the estimate rests on and ``events`` the number of
events (empty where it does not apply); ``true_value`` is the generator's
value where the data are synthetic and carry it, on the same scale;
``status`` is ``ok`` or ``not_estimable`` (``note`` then says why).
"""

STATUS_OK = "ok"
STATUS_NOT_ESTIMABLE = "not_estimable"
FLOAT_FORMAT = "{:.6f}"


def not_estimable_row(model: str, term: str, reason: str, *, n: int | None = None, events: int | None = None) -> dict:
    """A row saying a term could not be estimated, and why (never a silent NaN)."""
    return {
        "model": model,
        "term": term,
        "estimate": np.nan,
        "ci_lower": np.nan,
        "ci_upper": np.nan,
        "p_value": np.nan,
        "scale": "",
        "n": n,
        "events": events,
        "true_value": np.nan,
        "status": STATUS_NOT_ESTIMABLE,
        "note": reason,
    }


def estimates_frame(rows: list[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows as a frame with exactly :data:`ESTIMATE_COLUMNS` (missing ones empty, ``status`` ok)."""
    frame = pd.DataFrame(list(rows), columns=ESTIMATE_COLUMNS)
    frame["status"] = frame["status"].fillna(STATUS_OK)
    frame["note"] = frame["note"].fillna("")
    frame["scale"] = frame["scale"].fillna("")
    return frame


def format_for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Fixed text for every number, so files are byte-identical across runs and platforms."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_bool_dtype(values):
            out[column] = values.map({True: "true", False: "false"})
        elif pd.api.types.is_integer_dtype(values):
            out[column] = ["" if pd.isna(v) else str(int(v)) for v in values]
        elif pd.api.types.is_float_dtype(values):
            out[column] = [
                "" if pd.isna(v) else (str(int(v)) if column in ("n", "events") else FLOAT_FORMAT.format(v))
                for v in values
            ]
    return out


@dataclass
class Figure:
    """A chart with the alt text a screen reader reads instead."""

    figure: Any  # matplotlib.figure.Figure
    alt_text: str


@dataclass
class AnalysisResult:
    """What an analysis estimated: its estimates, other tables, figures and numbered notes."""

    name: str
    title: str
    estimates: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The estimates, one row per model term, with :data:`ESTIMATE_COLUMNS`."""
        return self.estimates[ESTIMATE_COLUMNS].copy()

    def summary(self, fmt: Literal["text", "markdown", "html"] = "text") -> str:
        """The estimates and the notes, as text, Markdown or HTML."""
        shown = format_for_csv(
            self.to_frame()[["model", "term", "estimate", "ci_lower", "ci_upper", "p_value", "scale", "n", "status"]]
        )
        if fmt == "html":
            items = "".join(f"<li>{html.escape(note)}</li>" for note in self.notes)
            return f"<h3>{html.escape(self.title)}</h3>{shown.to_html(index=False)}<ol>{items}</ol>"
        if fmt == "markdown":
            lines = [f"### {self.title}", "", "| " + " | ".join(shown.columns) + " |", "|" + "---|" * shown.shape[1]]
            lines += ["| " + " | ".join(map(str, row)) + " |" for row in shown.itertuples(index=False)]
            lines += ["", *[f"{i}. {note}" for i, note in enumerate(self.notes, 1)]]
            return "\n".join(lines)
        lines = [self.title, "", shown.to_string(index=False)]
        if self.notes:
            lines += ["", "Notes:", *[f"[{i}] {note}" for i, note in enumerate(self.notes, 1)]]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.summary("markdown")

    def __str__(self) -> str:
        return self.summary("text")

    def write(self, folder: Path) -> list[Path]:
        """Write ``<name>_estimates.csv``, each table as ``<table>.csv``, figures as PNG and SVG with alt text.

        SVG and PNG are written with fixed metadata so reruns are byte-identical.
        """
        import matplotlib

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        # A fixed salt makes the ids inside SVG files, and so the files, the same on every run.
        matplotlib.rcParams["svg.hashsalt"] = "sch-outcomes"
        written = []
        for name, frame in {f"{self.name}_estimates": self.to_frame(), **self.tables}.items():
            path = folder / f"{name}.csv"
            format_for_csv(frame).to_csv(path, index=False, lineterminator="\n")
            written.append(path)
        for name, figure in self.figures.items():
            for suffix, metadata in ((".svg", {"Date": None, "Creator": None}), (".png", {"Software": None})):
                path = folder / f"{name}{suffix}"
                figure.figure.savefig(path, metadata=metadata, bbox_inches="tight")
                written.append(path)
            alt = folder / f"{name}.alt.txt"
            alt.write_text(figure.alt_text.strip() + "\n", encoding="utf-8")
            written.append(alt)
        notes = folder / f"{self.name}_notes.md"
        notes.write_text(
            "\n".join([f"# {self.title}: notes", "", *[f"{i}. {n}" for i, n in enumerate(self.notes, 1)], ""]),
            encoding="utf-8",
        )
        written.append(notes)
        return written
