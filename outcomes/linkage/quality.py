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


def _metrics(true_positives: int, links: int, truths: int) -> dict[str, float | int | None]:
    return {
        "precision": _ratio(true_positives, links),
        "recall": _ratio(true_positives, truths),
        "f1": _ratio(2 * true_positives, links + truths),
        "true_positives": true_positives,
        "false_positives": links - true_positives,
        "false_negatives": truths - true_positives,
    }


def _correct(links: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """For each link, whether the truth holds it (same source, record and child).

    A record has one true child at most, so the truth is a lookup from record to child.
    """
    true_child = pd.Series(
        truth["child"].astype(str).to_numpy(),
        index=truth["source"].astype(str) + "\x1f" + truth["record_id"].astype(str),
    )
    true_child = true_child[~true_child.index.duplicated(keep="first")]
    linked_key = links["source"].astype(str) + "\x1f" + links["record_id"].astype(str)
    expected = linked_key.map(true_child)
    return pd.Series((expected.to_numpy() == links["child"].astype(str).to_numpy()), index=links.index)


def truth_metrics(links: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float | int | None]:
    """Precision, recall and F1 of predicted links against the true links.

    Parameters
    ----------
    links, truth : one row per link with ``source``, ``record_id`` and ``child`` (pseudonym);
        a record appears at most once in each.

    Returns
    -------
    dict with ``precision`` (share of links that are true), ``recall`` (share of
    true links found), ``f1`` (their harmonic mean), and the counts behind them.
    """
    return _metrics(int(_correct(links, truth).sum()), len(links), len(truth))


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
    groups = child_groups(cohort)
    flags = pd.DataFrame(index=groups.index)
    for source, linked in sorted(linked_children.items()):
        flags[source] = groups.index.isin(pd.Index(list(linked), dtype=object))
    flags.insert(0, "any_source", flags.any(axis=1) if len(flags.columns) else False)

    def rates(members: pd.DataFrame) -> dict[str, object]:
        row: dict[str, object] = {"leavers": len(members)}
        for column in members.columns:
            row[column] = _ratio(int(members[column].sum()), len(members))
        return row

    result: dict[str, object] = {"overall": rates(flags)}
    by: dict[str, dict[str, object]] = {}
    for breakdown in BREAKDOWNS:
        by[breakdown] = {
            str(group): rates(members) for group, members in flags.groupby(groups[breakdown], sort=True, observed=True)
        }
    result["by"] = by
    return result


def truth_metrics_by_group(links: pd.DataFrame, truth: pd.DataFrame, groups: pd.DataFrame) -> dict[str, object]:
    """Precision, recall and F1 by the groups of the *true* child of each record (and of the linked child).

    A link is counted in the group of the child it names, a true link in the
    group of its true child; children outside the leaver cohort form the group
    ``not_a_leaver``. A correct link names the true child, so it falls in the
    group of its true link.
    """
    correct = _correct(links, truth)
    by: dict[str, object] = {}
    for breakdown in BREAKDOWNS:
        link_group = links["child"].map(groups[breakdown]).fillna("not_a_leaver").astype(str)
        truth_group = truth["child"].map(groups[breakdown]).fillna("not_a_leaver").astype(str)
        link_counts = link_group.value_counts()
        truth_counts = truth_group.value_counts()
        correct_counts = link_group[correct].value_counts()
        by[breakdown] = {
            group: _metrics(
                int(correct_counts.get(group, 0)), int(link_counts.get(group, 0)), int(truth_counts.get(group, 0))
            )
            for group in sorted(set(link_group) | set(truth_group))
        }
    return by
