"""SSDA903 code lists by collection year, as DfE's validators version them.

DfE changes the SSDA903 code lists from one collection year to the next. Its
validator (``csc-validator-be-903``, data-to-insight) keeps one ruleset per
year; each year inherits the previous year's rules and names what it added,
changed or deleted. The lists here follow the same pattern: a base list for the
earliest year, then for each later year the codes it added and removed. The
adapter (:mod:`outcomes.ssda903`) judges every row of a return by its own
year's list, so a code that is valid in 2025-26 is rejected in a 2022-23 return
and a code DfE withdrew is rejected in the returns after its withdrawal.

Years are collection years by the year the collection ends: 2025 is 1 April
2024 to 31 March 2025.

Sources (read in data-to-insight/csc-validator-be-903, rule 146 "Placement
type code is not a valid code" and rule 101 "reported sex is not valid" in the
``lac2022_23``, ``lac2024_25`` and ``lac2025_26`` rulesets):

- PLACE: the 2022-23 list is the contract's list without K3 and Z11 to Z14;
  2024-25 adds K3; 2025-26 adds Z11, Z12, Z13 and Z14 and withdraws H5, P2 and
  Z1. Years before 2022-23 are taken to use the 2022-23 list (not checked
  against earlier rulesets).
- SEX: 1 and 2 until 2023-24; from 2024-25 the return records M, F or U.

The labels of the codes added from 2024-25 are DfE's to give (see its guide
to the return for the year); this module records only which codes are valid.
"""

from __future__ import annotations

from dataclasses import dataclass

from outcomes.contract import codes


@dataclass(frozen=True)
class YearChange:
    """What one collection year changed in a code list."""

    year: int
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class VersionedCodeList:
    """A code list whose valid codes depend on the collection year.

    ``base`` holds the codes of every year up to the first change; each change
    then applies from its year on, in order.
    """

    field: str
    dfe_rule: str
    message: str
    base: tuple[str, ...]
    changes: tuple[YearChange, ...]

    def codes_for(self, year: int) -> frozenset[str]:
        """The codes valid in the return for the collection year ending 31 March ``year``."""
        valid = set(self.base)
        for change in sorted(self.changes, key=lambda c: c.year):
            if change.year > year:
                break
            valid |= set(change.added)
            valid -= set(change.removed)
        return frozenset(valid)

    def every_code(self) -> frozenset[str]:
        """Every code valid in some year."""
        return frozenset(self.base).union(*(change.added for change in self.changes))


_PLACEMENT_ADDED_LATER = ("K3", "Z11", "Z12", "Z13", "Z14")

PLACEMENT = VersionedCodeList(
    field="PLACE",
    dfe_rule="146",
    message="placement type code is not valid in this collection year",
    base=tuple(code for code in codes.Placement.codes() if code not in _PLACEMENT_ADDED_LATER),
    changes=(
        YearChange(2025, added=("K3",), source="csc-validator-be-903 lac2024_25 rule 146"),
        YearChange(
            2026,
            added=("Z11", "Z12", "Z13", "Z14"),
            removed=("H5", "P2", "Z1"),
            source="csc-validator-be-903 lac2025_26 rule 146",
        ),
    ),
)

SEX = VersionedCodeList(
    field="SEX",
    dfe_rule="101",
    message="sex code is not valid in this collection year",
    base=("1", "2"),
    changes=(
        YearChange(2025, added=("M", "F", "U"), removed=("1", "2"), source="csc-validator-be-903 lac2024_25 rule 101"),
    ),
)

SEX_TO_CONTRACT = {"M": codes.Sex.MALE.value, "F": codes.Sex.FEMALE.value}
"""From 2024-25 the return writes sex as M or F (or U); the contract keeps the earlier codes 1 and 2.
U (not known or indeterminate) has no contract code and is rejected with a message that says so."""

VERSIONED: tuple[VersionedCodeList, ...] = (PLACEMENT, SEX)
