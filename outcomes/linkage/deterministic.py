"""Deterministic linkage: records that carry the child id.

A follow-up source that comes from the same system as the secure-home data
(the SSDA903 return of the same local authority, say) carries the child id
itself. Its records are linked by pseudonymising that id with the same key
as the children, so equal ids give equal pseudonyms; an id that names no known
child is left unlinked and counted, never guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from outcomes.linkage.pseudonymise import Pseudonymiser


@dataclass
class DeterministicLinks:
    """Records linked on their child id.

    Attributes
    ----------
    child : pseudonym of each record's child, indexed like the records; missing where not linked.
    with_id : records that carry a child id.
    unknown_id : records whose child id names no known child.
    """

    child: pd.Series
    with_id: int
    unknown_id: int


def link_on_child_id(
    child_ids: pd.Series, known_children: pd.Series, pseudonymiser: Pseudonymiser
) -> DeterministicLinks:
    """Link records on their child id.

    Parameters
    ----------
    child_ids : each record's child id (missing where the record has none).
    known_children : the child ids of the children table.
    pseudonymiser : keyed hashing.

    Returns
    -------
    DeterministicLinks
    """
    child_ids = child_ids.astype("string").str.strip().replace("", pd.NA)
    has_id = child_ids.notna()
    known = has_id & child_ids.isin(known_children.astype("string"))
    pseudonyms = pseudonymiser.child_pseudonyms(child_ids.where(known))
    return DeterministicLinks(child=pseudonyms, with_id=int(has_id.sum()), unknown_id=int((has_id & ~known).sum()))
