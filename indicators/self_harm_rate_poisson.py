"""Sensitivity figure for the self-harm rate: the plain Poisson (exact/Byar) interval, as Fingertips gives it."""

from __future__ import annotations

from dataclasses import replace

from indicators.self_harm_rate import SelfHarmRate
from outcomes.indicator import RateIndicator


class SelfHarmRatePoisson(SelfHarmRate):
    cluster_column = None
    cell_columns = RateIndicator.cell_columns
    ci_method = RateIndicator.ci_method
    declaration = replace(
        SelfHarmRate.declaration,
        code="self_harm_rate_poisson",
        title="Self-harm incidents per 1,000 nights, Poisson interval (comparison)",
        table6_outcome="Sensitivity: Self-harm rates (Poisson interval, no allowance for clustering in children)",
        definition=(
            "For comparison with self_harm_rate only: the same rate, with the exact Poisson (below 10 events) or "
            "Byar interval that Fingertips-style rates use, which assumes incidents are independent."
        ),
        caveats=(
            "Not the headline interval: incidents cluster in children, so this interval is too narrow; "
            "use self_harm_rate.",
        ),
        version="2.0",
    )
