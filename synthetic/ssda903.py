"""SSDA903 (children looked after return) files, one folder per collection year.

``ssda903/<YYYY>/{header,episodes,oc2,oc3,missing}.csv`` with DfE's column names
and dd/mm/yyyy dates; ``YYYY`` is the year ending 31 March (2022 = 2021-22).
CHILD is the contract's child_id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic.followup import march_31
from synthetic.identifiers import postcodes

COLUMNS = {
    "header": ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
    "episodes": [
        "CHILD",
        "DECOM",
        "RNE",
        "LS",
        "CIN",
        "PLACE",
        "PLACE_PROVIDER",
        "DEC",
        "REC",
        "REASON_PLACE_CHANGE",
        "HOME_POST",
        "PL_POST",
        "URN",
    ],  # fmt: skip
    "oc2": [
        "CHILD",
        "DOB",
        "SDQ_SCORE",
        "SDQ_REASON",
        "CONVICTED",
        "HEALTH_CHECK",
        "IMMUNISATIONS",
        "TEETH_CHECK",
        "HEALTH_ASSESSMENT",
        "SUBSTANCE_MISUSE",
        "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED",
    ],  # fmt: skip
    "oc3": ["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"],
    "missing": ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
}
UPN_CHECK_LETTERS = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"))


def upns(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique pupil numbers in DfE's format: check letter, LA (3), school (4), year (2), serial (3)."""
    digits = rng.integers(0, 10, (n, 12))
    digits[:, 0] = rng.integers(2, 9, n)  # LA codes start 2 to 9
    check = UPN_CHECK_LETTERS[(digits * np.arange(2, 14)).sum(axis=1) % 23]
    body = digits @ (10 ** np.arange(11, -1, -1, dtype=np.int64))
    return np.char.add(check.astype(str), body.astype(str)).astype(object)


def _dmy(days: np.ndarray | pd.Series) -> np.ndarray:
    """Days since 1970 as dd/mm/yyyy text (None where missing); each distinct day is formatted once."""
    values = pd.to_numeric(pd.Series(days), errors="coerce").to_numpy(dtype=float)
    present = ~np.isnan(values)
    out = np.full(len(values), None, dtype=object)
    if present.any():
        unique, inverse = np.unique(values[present].astype(np.int64), return_inverse=True)
        text = pd.to_datetime(unique, unit="D").strftime("%d/%m/%Y").to_numpy(dtype=object)
        out[present] = text[inverse]
    return out


def _flag(values: pd.Series) -> np.ndarray:
    return np.where(values.isna(), None, np.where(values.astype(bool), "1", "0")).astype(object)


def files(
    children, child_id, sex, ident, episodes, oc2, oc3, incidents, stays, homes, first_year, last_year, data_end, rng
) -> dict[str, pd.DataFrame]:
    """The SSDA903 tables of each collection year, as text, keyed ``ssda903/<YYYY>/<table>``."""
    n_children = len(children)
    dob = children["birth_day"].to_numpy()
    dob_text = _dmy(dob)
    upn = upns(rng, n_children)
    home_post = ident["postcode"].to_numpy(dtype=object)
    pool = postcodes()
    child = episodes["child_index"].to_numpy()
    other = pool[rng.integers(0, len(pool), len(episodes))]
    other = np.where(other == home_post[child], pool[(rng.integers(1, len(pool), len(episodes)))], other)
    place = episodes["place"].to_numpy()
    pl_post = np.where(place == "K1", episodes["home_urn_postcode"].to_numpy(dtype=object),
                       np.where(place == "P1", home_post[child], other))  # fmt: skip
    # The secure home may share the child's postcode only by chance; move the child's home postcode then.
    clash = (place != "P1") & (pl_post == home_post[child])
    episode_home_post = np.where(
        clash, pool[(np.searchsorted(pool, home_post[child]) + 1) % len(pool)], home_post[child]
    )
    out: dict[str, pd.DataFrame] = {}
    missing_incidents = incidents[incidents["incident_type"] == "missing"]
    for year in range(first_year, last_year + 1):
        start = int(march_31(year - 1)) + 1
        end = int(march_31(year))
        if start > data_end:
            break
        dec = episodes["dec"].to_numpy()
        in_year = (episodes["decom"].to_numpy() <= end) & (np.isnan(dec) | (dec >= start))
        ep = episodes[in_year]
        closed = ~np.isnan(dec[in_year]) & (dec[in_year] <= end)
        epi = pd.DataFrame({
            "CHILD": child_id[ep["child_index"].to_numpy()],
            "DECOM": _dmy(ep["decom"].to_numpy()),
            "RNE": ep["rne"].to_numpy(), "LS": ep["ls"].to_numpy(), "CIN": ep["cin"].to_numpy(),
            "PLACE": ep["place"].to_numpy(), "PLACE_PROVIDER": ep["place_provider"].to_numpy(),
            "DEC": np.where(closed, _dmy(dec[in_year]), None),
            "REC": np.where(closed, ep["rec"].to_numpy(), None),
            "REASON_PLACE_CHANGE": np.where(closed, ep["reason_place_change"].to_numpy(), None),
            "HOME_POST": episode_home_post[in_year], "PL_POST": pl_post[in_year],
            "URN": ep["urn"].to_numpy(),
        })  # fmt: skip
        oc2_year = oc2[oc2["year"] == year]
        oc3_year = oc3[oc3["year"] == year]
        header_children = np.unique(np.concatenate([ep["child_index"].to_numpy(), oc3_year["child_index"].to_numpy()]))
        looked_after = np.isin(header_children, ep["child_index"].to_numpy())
        header = pd.DataFrame({
            "CHILD": child_id[header_children], "SEX": sex[header_children], "DOB": dob_text[header_children],
            "ETHNIC": children["ethnicity"].to_numpy()[header_children], "UPN": upn[header_children],
            "MOTHER": np.where(looked_after & (sex[header_children] == "2"), "0", None), "MC_DOB": None,
        })  # fmt: skip
        age_start = np.floor((start - dob[oc2_year["child_index"].to_numpy()]) / 365.25)
        sdq = oc2_year["sdq_score"]
        sdq_due = age_start < 17
        substance = _flag(oc2_year["substance_misuse"])
        received = np.where(substance == "1", np.where(rng.random(len(oc2_year)) < 0.7, "1", "0"), None)
        offered = np.where(received == "0", np.where(rng.random(len(oc2_year)) < 0.5, "1", "0"), None)
        oc2_frame = pd.DataFrame({
            "CHILD": child_id[oc2_year["child_index"].to_numpy()], "DOB": dob_text[oc2_year["child_index"].to_numpy()],
            "SDQ_SCORE": np.where(sdq_due & sdq.notna(), sdq.fillna(0).astype(int).astype(str), None),
            "SDQ_REASON": np.where(sdq_due & sdq.isna(), "SDQ4", None),
            "CONVICTED": _flag(oc2_year["convicted"]), "HEALTH_CHECK": None,
            "IMMUNISATIONS": _flag(oc2_year["immunisations"]), "TEETH_CHECK": _flag(oc2_year["teeth_check"]),
            "HEALTH_ASSESSMENT": _flag(oc2_year["health_assessment"]), "SUBSTANCE_MISUSE": substance,
            "INTERVENTION_RECEIVED": received, "INTERVENTION_OFFERED": offered,
        })  # fmt: skip
        oc3_frame = pd.DataFrame({
            "CHILD": child_id[oc3_year["child_index"].to_numpy()], "DOB": dob_text[oc3_year["child_index"].to_numpy()],
            # DfE codes "0" for activity and accommodation when the young person is not in touch.
            "IN_TOUCH": oc3_year["in_touch"].to_numpy(),
            "ACTIV": oc3_year["activity"].fillna("0").to_numpy(),
            "ACCOM": oc3_year["accommodation"].fillna("0").to_numpy(),
        })  # fmt: skip
        spells = missing_incidents[(missing_incidents["day"] >= start) & (missing_incidents["day"] <= end - 1)]
        spells = spells.merge(ep[["child_index", "decom", "dec"]], on="child_index")
        spells = spells[
            (spells["day"] >= spells["decom"]) & (spells["dec"].isna() | (spells["day"] + 1 <= spells["dec"]))
        ]
        spells = spells.drop_duplicates(["child_index", "day"]).sort_values(["child_index", "day"])
        missing = pd.DataFrame({
            "CHILD": child_id[spells["child_index"].to_numpy()], "DOB": dob_text[spells["child_index"].to_numpy()],
            "MISSING": "M", "MIS_START": _dmy(spells["day"].to_numpy()), "MIS_END": _dmy(spells["day"].to_numpy() + 1),
        })  # fmt: skip
        for name, frame in (("header", header), ("episodes", epi), ("oc2", oc2_frame), ("oc3", oc3_frame),
                            ("missing", missing)):  # fmt: skip
            frame = frame.reindex(columns=COLUMNS[name])
            # Rows are already in child then date order (CHILD ids sort as the children were created).
            out[f"ssda903/{year}/{name}"] = frame.reset_index(drop=True)
    return out
