"""Linkage quality: how many records were linked, for whom, and how well.

Linkage errors are not spread evenly: names are misspelt more often for some
groups than others, and a group whose records link less often looks as if it
had fewer outcomes (Bohensky and colleagues' systematic review, 2010, found
this in most linked-data studies that looked). So match rates are given by
pathway, sex, ethnicity and age band as well as overall, and, where the true
links are known (synthetic data), precision, recall and F1 both overall and
by group.
"""

from __future__ import annotations

import pandas as pd

BREAKDOWNS = ("pathway", "sex", "ethnicity", "age_band")
"""Cohort columns match rates are broken down by."""

DECIMALS = 6


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, DECIMALS) if denominator else None


def truth_metrics(links: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float | int | None]:
    """Precision, recall and F1 of predicted links against the true links.

    Parameters
    ----------
    links, truth : one row per link with ``source``, ``record_id`` and ``child`` (pseudonym).

    Returns
    -------
    dict with ``precision`` (share of links that are true), ``recall`` (share of
    true links found), ``f1`` (their harmonic mean), and the counts behind them.
    """
    keys = ["source", "record_id", "child"]
    found = links[keys].drop_duplicates().merge(truth[keys].drop_duplicates(), on=keys, how="inner")
    true_positives = len(found)
    precision = _ratio(true_positives, len(links))
    recall = _ratio(true_positives, len(truth))
    f1 = _ratio(2 * true_positives, len(links) + len(truth))
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_positives": true_positives,
        "false_positives": len(links) - true_positives,
        "false_negatives": len(truth) - true_positives,
    }


def child_groups(cohort: pd.DataFrame) -> pd.DataFrame:
    """Each child's groups: pathway and age band of their last leaving, sex and ethnicity."""
    last = cohort.sort_values(["child_id", "index_date", "stay_id"], kind="stable").drop_duplicates(
        "child_id", keep="last"
    )
    return last.set_index("child_id")[list(BREAKDOWNS)]


def match_rates(cohort: pd.DataFrame, linked_children: dict[str, set[str]]) -> dict[str, object]:
    """Share of leavers with at least one linked record, overall, by source and by group.

    Parameters
    ----------
    cohort : the leaver cohort (one row per stay; pseudonymous ``child_id``).
    linked_children : for each source, the pseudonyms of children with at least one linked record.

    Returns
    -------
    dict: ``overall`` (leavers, and the share linked in any source and in each),
    and ``by`` (breakdown -> group -> the same).
    """
    any_source = set().union(*linked_children.values()) if linked_children else set()

    def rates(children: pd.Index) -> dict[str, object]:
        row: dict[str, object] = {"leavers": len(children)}
        row["any_source"] = _ratio(int(children.isin(list(any_source)).sum()), len(children))
        for source, linked in sorted(linked_children.items()):
            row[source] = _ratio(int(children.isin(list(linked)).sum()), len(children))
        return row

    groups = child_groups(cohort)
    result: dict[str, object] = {"overall": rates(groups.index)}
    by: dict[str, dict[str, object]] = {}
    for breakdown in BREAKDOWNS:
        by[breakdown] = {
            str(group): rates(members.index) for group, members in groups.groupby(breakdown, sort=True, observed=True)
        }
    result["by"] = by
    return result


def truth_metrics_by_group(links: pd.DataFrame, truth: pd.DataFrame, groups: pd.DataFrame) -> dict[str, object]:
    """Precision, recall and F1 by the groups of the *true* child of each record (and of the linked child).

    A link is counted in the group of the child it names, a true link in the
    group of its true child; children outside the leaver cohort form the group
    ``not_a_leaver``.
    """
    by: dict[str, object] = {}
    for breakdown in BREAKDOWNS:
        link_group = links["child"].map(groups[breakdown]).fillna("not_a_leaver").astype(str)
        truth_group = truth["child"].map(groups[breakdown]).fillna("not_a_leaver").astype(str)
        by[breakdown] = {
            group: truth_metrics(links[link_group == group], truth[truth_group == group])
            for group in sorted(set(link_group) | set(truth_group))
        }
    return by
