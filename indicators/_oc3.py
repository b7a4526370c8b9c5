"""What the three OC3 resettlement indicators share: one field of the care leaver's OC3 record near the point.

OC3 is an annual return that records a care leaver's activity and accommodation
around the 17th to 21st birthday; each indicator counts one field of the record
whose birthday falls within six months of the point 6 or 12 months after
discharge. The declaration texts every one of them repeats are here too.
"""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from outcomes.contract.tables import CareLeavers
from outcomes.indicator import LEAVER_NEEDS, IndicatorData, ProportionIndicator, uses

OC3_MATCHING = (
    "Matching rule: OC3 is an annual return dated 31 March that records activity and accommodation around the "
    "young person's 17th to 21st birthday, so each record is placed at that birthday (first of the birth month) "
    "in its collection year, and the record used for the 6- or 12-month point is the one whose birthday falls "
    "within six months either side of it. A leaver counts only once that return is due (the 12 months around the "
    "point and its collection year have ended by the data end)."
)
OC3_COVERAGE = (
    "Who is in the denominator: care leavers only. DfE collects OC3 for young people who were looked after for "
    "13 weeks or more since their 14th birthday, including some time after their 16th, whose care ended before "
    "the birthday, and only at the 17th to 21st birthdays; most secure-home leavers are 14 to 16 at exit and "
    "children sentenced without being looked after have no OC3 at all. The figure describes the older, "
    "looked-after leavers, not all leavers; the run notes give how many of the leavers followed that far it covers."
)
OC3_DENOMINATOR = (
    "Leavers followed to the point whose OC3 return has a birthday within six months either side of it and records "
    "{field} (care leavers aged about 16 and a half or more at the point and in touch with the local authority)."
)
OC3_DEFINITION = (
    "Of care leavers with an SSDA903 OC3 record at a birthday within six months of the point 6 or 12 months "
    "after discharge, the share {share}."
)


def oc3_needs(field: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The leaver cohort and the OC3 columns an indicator of ``field`` reads."""
    return (*LEAVER_NEEDS, uses(CareLeavers, CareLeavers.child_id, CareLeavers.period_end, field))


class OC3RecordIndicator(ProportionIndicator):
    """Share of care leavers whose OC3 record near the window point has a ``field`` that :meth:`counts`.

    A subclass declares itself, names its field (a column of ``CareLeavers``) and says which codes count;
    nothing else.
    """

    field: ClassVar[str]
    """The OC3 column read."""

    def counts(self, code: str) -> bool:
        """Whether a leaver whose record has this code in :attr:`field` is in the numerator."""
        raise NotImplementedError

    def _followed(self, data: IndicatorData) -> pd.DataFrame:
        return data.annual_record_at("care_leavers", data.window_months, observed="birthday")

    def denominator(self, data: IndicatorData) -> pd.DataFrame:
        """Leavers followed to the window point whose OC3 record, placed at its birthday, is near it and has the field."""
        followed = self._followed(data)
        return followed[followed[self.field].notna()]

    def numerator(self, data: IndicatorData, units: pd.DataFrame) -> pd.Series:
        return units[self.field].map(self.counts)

    def run_notes(self, data: IndicatorData, units: pd.DataFrame) -> list[str]:
        followed = self._followed(data)
        return [
            f"{data.window_months} months: {len(units)} of {len(followed)} leavers followed that far had an OC3 record "
            f"(birthday within six months of the point) recording this field; {int(followed['has_record'].sum())} had "
            "a record at all. The others were not care leavers of OC3 age then, were not in touch, or were not linked"
        ]
