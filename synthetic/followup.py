"""What happens to children during and after their stays: the outcome models.

Every function takes the simulated children and stays (internal frames with
days since 1970 as dates) and returns an internal frame; :mod:`synthetic.tables`
turns them into contract tables. Each model's parameters are in
:mod:`synthetic.parameters` and so in ``truth.json``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from synthetic.simulation import PATHWAY_CODE, add_years, choose

DESTINATION_PLACEMENT = {
    "family": "family",
    "foster_care": "foster_care",
    "childrens_home": "childrens_home",
    "semi_independent": "semi_independent",
    "independent": "semi_independent",
    "another_secure_home": "childrens_home",
    "yoi": "custody",
    "secure_training_centre": "custody",
    "hospital": "hospital",
    "other": "other",
    "not_known": "other",
}
PLACE_PROVIDER = {"P1": "PR0", "R5": "PR3", "R2": "PR3", "K1": "PR2"}
# Ofsted-registered placements carry the provider's URN (DfE 903 rule 218): children's homes and foster
# care always; semi-independent accommodation (H5) from the start of its registration, 28 October 2023
# (rule 230), and never before (rule 222 of 2022-23).
REGISTERED_PLACES = ("K2", "U1", "U2", "U3", "U4", "U5", "U6")  # K1 carries the secure home's URN
SUPPORTED_ACCOMMODATION_REGISTRATION = "2023-10-28"
# Semi-independent accommodation is for young people of 16 or over (903 rule 371); younger children go
# to a children's home instead.
H5_MIN_AGE = 16
MOVE_REASONS = {"CARPL": 0.35, "CREQB": 0.25, "CHILD": 0.15, "LAREQ": 0.15, "OTHER": 0.10}


def _placement_for(rng: np.random.Generator, params: dict, kind: np.ndarray) -> np.ndarray:
    """SSDA903 PLACE for a placement of each kind (destination group)."""
    shares = dict(params["looked_after"]["placement_after_exit_share"])
    shares["custody"] = {"R5": 1.0}
    shares["hospital"] = {"R2": 1.0}
    out = np.empty(len(kind), dtype=object)
    for name, share in shares.items():
        rows = kind == name
        if rows.any():
            out[rows] = choose(rng, share, int(rows.sum()))
    return out


def looked_after_children(rng: np.random.Generator, params: dict, children: pd.DataFrame, stays: pd.DataFrame):
    """Which children are looked after for a whole period of care (not only while on remand)."""
    share = params["looked_after"]["share_looked_after"]
    draw = rng.random(len(children))
    first = children["first_pathway"].to_numpy()
    in_care = np.where(first == PATHWAY_CODE["welfare"], True, draw < share["justice"])
    in_care &= first != PATHWAY_CODE["remand"]
    ever_welfare = stays.loc[stays["pathway"] == PATHWAY_CODE["welfare"], "child_index"].unique()
    in_care[ever_welfare] = True
    return in_care


def care_episodes(
    rng: np.random.Generator,
    params: dict,
    children: pd.DataFrame,
    stays: pd.DataFrame,
    homes: pd.DataFrame,
    data_end: int,
) -> pd.DataFrame:
    """SSDA903 episodes before, during and after the stays (internal frame, days since 1970).

    Children looked after for a whole period of care get one period from before their
    first stay to their 18th birthday (or to the discharge that ends care, or open at the
    data end), with a new episode at each admission, discharge and placement move.
    Children who are looked after only because they are remanded get one episode per
    remand stay (LS J1, ending E14, or E9 when sentenced to custody).
    """
    la = params["looked_after"]
    in_care = looked_after_children(rng, params, children, stays)
    n_children = len(children)
    dob = children["birth_day"].to_numpy()
    turns_18 = add_years(dob, 18)
    stays_sorted = stays.sort_values(["child_index", "admission_day"], kind="stable")
    care_stays = stays_sorted[in_care[stays_sorted["child_index"].to_numpy()]]

    first_admission = care_stays.groupby("child_index")["admission_day"].min()
    care_children = first_admission.index.to_numpy()
    lead = rng.integers(la["care_start_before_admission_days"]["min"], la["care_start_before_admission_days"]["max"],
                        len(care_children))  # fmt: skip
    care_start = np.maximum(first_admission.to_numpy() - lead, dob[care_children] + int(8 * 365.25))
    base_ls = choose(rng, la["legal_status_share_welfare"], n_children)
    pathway_first = children["first_pathway"].to_numpy()
    cin = np.where(pathway_first == PATHWAY_CODE["welfare"], choose(rng, {"N6": 0.6, "N1": 0.2, "N4": 0.1, "N5": 0.1},
                   n_children), "N6")  # fmt: skip

    last = care_stays.groupby("child_index").tail(1).set_index("child_index").loc[care_children]
    ends_with_family = (
        (last["destination"].to_numpy() == "family")
        & (last["discharge_day"].to_numpy() >= 0)
        & (rng.random(len(care_children)) < la["care_ends_on_family_destination_share"])
    )
    # Accommodation under section 20 (V2) ends when the child goes home: a V2 child cannot be placed
    # with parents (903 rule 378), so a last stay ending with the family ends care.
    ends_with_family |= (
        (last["destination"].to_numpy() == "family")
        & (last["discharge_day"].to_numpy() >= 0)
        & (base_ls[care_children] == "V2")
    )
    care_end = np.where(ends_with_family, last["discharge_day"].to_numpy(), turns_18[care_children])
    care_end_reason = np.where(ends_with_family, "E4A", "")

    # Events: (child, day, place kind, legal status, urn, is_move_into_or_out_of_secure_home)
    events = []
    pre_place = choose(rng, la["placement_before_stay_share"], len(care_children))
    events.append(pd.DataFrame({"child_index": care_children, "day": care_start, "place": pre_place,
                                "ls": base_ls[care_children], "urn": None, "reason": "CARPL", "order": 0}))  # fmt: skip
    child = care_stays["child_index"].to_numpy()
    admission = care_stays["admission_day"].to_numpy()
    discharge = care_stays["discharge_day"].to_numpy()
    is_remand = care_stays["pathway"].to_numpy() == PATHWAY_CODE["remand"]
    events.append(pd.DataFrame({"child_index": child, "day": admission, "place": "K1",
                                "ls": np.where(is_remand, "J1", base_ls[child]), "urn": care_stays["urn"].to_numpy(),
                                "reason": "CARPL", "order": 1}))  # fmt: skip
    left = discharge >= 0
    kind = np.array([DESTINATION_PLACEMENT[d] for d in care_stays["destination"].to_numpy()[left]], dtype=object)
    after_place = _placement_for(rng, params, kind)
    events.append(pd.DataFrame({"child_index": child[left], "day": discharge[left], "place": after_place,
                                "ls": base_ls[child[left]], "urn": None, "reason": "CARPL", "order": 2}))  # fmt: skip

    # Placement moves after each discharge, until the next admission, the end of care or the data end.
    next_admission = care_stays.groupby("child_index")["admission_day"].shift(-1).to_numpy()
    end_of_care = care_end[np.searchsorted(care_children, child)]
    window_end = np.fmin(np.fmin(next_admission, end_of_care), data_end)[left]
    window_start = discharge[left]
    plan = care_stays["transition_plan"].to_numpy()[left] == 1
    rate = np.where(plan, la["moves_per_year_after_exit"]["transition_plan"],
                    la["moves_per_year_after_exit"]["no_transition_plan"])  # fmt: skip
    span = np.maximum(window_end - window_start, 0)
    n_moves = rng.poisson(rate * span / 365.25)
    move_row = np.repeat(np.arange(len(span)), n_moves)
    move_day = window_start[move_row] + 1 + np.floor(rng.random(len(move_row)) * np.maximum(span[move_row] - 2, 1))
    move_place = _placement_for(rng, params, np.full(len(move_row), "other", dtype=object))
    events.append(pd.DataFrame({"child_index": child[left][move_row], "day": move_day.astype(np.int64),
                                "place": move_place, "ls": base_ls[child[left][move_row]], "urn": None,
                                "reason": choose(rng, MOVE_REASONS, len(move_row)), "order": 3}))  # fmt: skip
    ev = pd.concat(events, ignore_index=True)
    ev["care_end"] = care_end[np.searchsorted(care_children, ev["child_index"].to_numpy())]
    ev = ev[(ev["day"] < ev["care_end"]) & (ev["day"] <= data_end)]
    ev = ev.sort_values(["child_index", "day", "order"], kind="stable")
    ev = ev.drop_duplicates(["child_index", "day"], keep="last").reset_index(drop=True)
    ev = _placements_as_903_allows(rng, ev, dob, data_end)
    episodes = _episodes_from_events(ev, data_end)
    reason_end = dict(zip(care_children, care_end_reason, strict=True))
    final = episodes["dec"].notna() & episodes["rec"].isna()
    age_end_reason = np.where(episodes["place"].isin(["U4", "U6", "U3"]), "E17",
                              np.where(episodes["place"] == "H5", "E5", "E8"))  # fmt: skip
    family_end = episodes["child_index"].map(reason_end).fillna("").to_numpy()
    episodes.loc[final, "rec"] = np.where(family_end[final] == "E4A", "E4A", age_end_reason[final])

    # Remanded children who are not otherwise in care: one episode per remand stay.
    remand = stays_sorted[(~in_care[stays_sorted["child_index"].to_numpy()])
                          & (stays_sorted["pathway"] == PATHWAY_CODE["remand"])]  # fmt: skip
    open_remand = remand["discharge_day"].to_numpy() < 0
    remand_rec = np.where(remand["destination"].isin(["yoi", "secure_training_centre"]), "E9", "E14")
    remand_episodes = pd.DataFrame(
        {
            "child_index": remand["child_index"].to_numpy(),
            "decom": remand["admission_day"].to_numpy(),
            "dec": np.where(open_remand, np.nan, remand["discharge_day"].to_numpy().astype(float)),
            "rne": "S",
            "ls": "J1",
            "place": "K1",
            "urn": remand["urn"].to_numpy(),
            "rec": np.where(open_remand, None, remand_rec),
            "reason_place_change": None,
        }
    )
    out = pd.concat([episodes, remand_episodes], ignore_index=True)
    out["cin"] = cin[out["child_index"].to_numpy()]
    out["place_provider"] = out["place"].map(PLACE_PROVIDER).fillna("PR4")
    # SSDA903: "other placements" (Z1) have no provider.
    out.loc[out["place"] == "Z1", "place_provider"] = None
    home_postcode = dict(zip(homes["urn"], homes["postcode"], strict=True))
    out["home_urn_postcode"] = out["urn"].map(home_postcode)
    out = out.sort_values(["child_index", "decom"], kind="stable").reset_index(drop=True)
    out["in_care_period"] = in_care[out["child_index"].to_numpy()]
    return out


def _placements_as_903_allows(rng: np.random.Generator, ev: pd.DataFrame, dob: np.ndarray, data_end: int):
    """Adjust placement events to what DfE's SSDA903 rules allow.

    - H5 (semi-independent) before the 16th birthday becomes K2 (a children's home).
    - A child with a P1 placement (with parents) is on a care order (C2), not accommodated under
      section 20 (V2), wherever the drawn status was V2.
    - An H5 placement running on 28 October 2023, when supported accommodation became registered,
      gets a new episode that day carrying the provider's new URN.
    - Registered placements get a URN; each placement gets its own (a move within the same
      placement type is a new provider or carer, which is what makes it a change of placement).
    """
    child = ev["child_index"].to_numpy()
    place = ev["place"].to_numpy().copy()
    day = ev["day"].to_numpy()
    sixteen = add_years(dob, H5_MIN_AGE)[child]
    place[(place == "H5") & (day < sixteen)] = "K2"
    ls = ev["ls"].to_numpy().copy()
    v2_with_parents = np.unique(child[(place == "P1") & (ls == "V2")])
    ls[np.isin(child, v2_with_parents) & (ls == "V2")] = "C2"
    ev = ev.assign(place=place, ls=ls)

    registration = int(pd.Timestamp(SUPPORTED_ACCOMMODATION_REGISTRATION).value // 86_400_000_000_000)
    same_next = np.append(child[1:] == child[:-1], False)
    next_day = np.where(same_next, np.append(day[1:], 0), ev["care_end"].to_numpy())
    spanning = (place == "H5") & (day < registration) & (next_day > registration) & (registration <= data_end)
    if spanning.any():
        split = ev[spanning].assign(day=registration, reason="OTHER", order=5)
        ev = pd.concat([ev, split], ignore_index=True).sort_values(["child_index", "day"], kind="stable")
        ev = ev.reset_index(drop=True)
    place = ev["place"].to_numpy()
    registered = np.isin(place, REGISTERED_PLACES) | ((place == "H5") & (ev["day"].to_numpy() >= registration))
    fresh = np.char.add("SC", rng.integers(100_000, 1_000_000, len(ev)).astype(str)).astype(object)
    # K1 keeps the secure home's own URN.
    ev["urn"] = np.where(registered, fresh, ev["urn"].to_numpy())
    return ev


def _episodes_from_events(ev: pd.DataFrame, data_end: int) -> pd.DataFrame:
    child = ev["child_index"].to_numpy()
    same_next = np.append(child[1:] == child[:-1], False)
    same_prev = np.insert(child[1:] == child[:-1], 0, False)
    day = ev["day"].to_numpy()
    next_day = np.append(day[1:], 0)
    care_end = ev["care_end"].to_numpy()
    dec = np.where(same_next, next_day, np.where(care_end <= data_end, care_end, -1)).astype(float)
    dec[dec < 0] = np.nan
    place = ev["place"].to_numpy()
    ls = ev["ls"].to_numpy()
    prev_place = np.insert(place[:-1], 0, None)
    prev_ls = np.insert(ls[:-1], 0, None)
    place_changed = place != prev_place
    ls_changed = ls != prev_ls
    # SSDA903 RNE: B = legal status and placement (new carer) change together; T would mean a change of
    # placement with the same carer, which never happens here.
    rne = np.where(~same_prev, "S", np.where(place_changed & ls_changed, "B", np.where(ls_changed, "L", "P")))
    # A move within the same placement type with no other change is recorded as a placement change.
    rne_next = np.append(rne[1:], "S")
    reason_next = np.append(ev["reason"].to_numpy()[1:], None)
    reason = np.where(same_next & np.isin(rne_next, ["P", "B", "T", "U"]), reason_next, None)
    return pd.DataFrame(
        {
            "child_index": child,
            "decom": day,
            "dec": dec,
            "rne": rne,
            "ls": ls,
            "place": place,
            "urn": ev["urn"].to_numpy(),
            "rec": np.where(same_next, "X1", None),
            "reason_place_change": reason,
        }
    )


def incidents(rng: np.random.Generator, params: dict, stays: pd.DataFrame, data_end: int) -> pd.DataFrame:
    """Incidents during stays: Poisson counts at a known rate per 1,000 nights, dates uniform in the stay."""
    p = params["incidents"]
    end = np.where(stays["discharge_day"].to_numpy() >= 0, stays["discharge_day"].to_numpy(), data_end)
    nights = np.maximum(end - stays["admission_day"].to_numpy(), 0)
    frames = []
    for kind, rate in p["rate_per_1000_nights"].items():
        multiplier = np.ones(len(stays))
        if kind == "self_harm":
            multiplier = np.where(stays["self_harm_behaviour"], p["self_harm_rate_ratio_if_self_harm_behaviour"], 1.0)
        if kind == "restraint":
            multiplier = np.where(stays["challenging_behaviour"], p["restraint_rate_ratio_if_challenging_behaviour"],
                                  1.0)  # fmt: skip
        counts = rng.poisson(rate / 1000 * nights * multiplier)
        row = np.repeat(np.arange(len(stays)), counts)
        day = stays["admission_day"].to_numpy()[row] + np.floor(rng.random(len(row)) * np.maximum(nights[row], 1))
        frames.append(pd.DataFrame({"stay_index": stays["stay_index"].to_numpy()[row], "day": day.astype(np.int64),
                                    "incident_type": kind, "child_index": stays["child_index"].to_numpy()[row]}))  # fmt: skip
    return pd.concat(frames, ignore_index=True).sort_values(["stay_index", "day", "incident_type"], kind="stable")


def mental_health(rng: np.random.Generator, params: dict, stays: pd.DataFrame, data_end: int) -> pd.DataFrame:
    """One assessment early in most stays; need identified more often with the mental-health behaviour."""
    p = params["mental_health"]
    n = len(stays)
    end = np.where(stays["discharge_day"].to_numpy() >= 0, stays["discharge_day"].to_numpy(), data_end)
    assessed = rng.random(n) < p["assessed_share"]
    day = stays["admission_day"].to_numpy() + np.minimum(
        rng.integers(0, p["assessment_within_days_max"] + 1, n), end - stays["admission_day"].to_numpy()
    )
    share = np.where(stays["mental_health_behaviour"], p["need_identified_share"]["mental_health_behaviour"],
                     p["need_identified_share"]["otherwise"])  # fmt: skip
    identified = rng.random(n) < share
    met = identified & (rng.random(n) < p["need_met_share"])
    met_day = day + np.ceil(rng.exponential(p["need_met_days_mean"], n))
    met_day = np.where(met & (met_day <= data_end) & (rng.random(n) >= p["need_met_date_missing_share"]), met_day,
                       np.nan)  # fmt: skip
    frame = pd.DataFrame({"stay_index": stays["stay_index"].to_numpy(), "day": day, "need_identified": identified,
                          "need_met": np.where(identified, met, None), "need_met_day": met_day})  # fmt: skip
    return frame[assessed]


def wellbeing(rng: np.random.Generator, params: dict, stays: pd.DataFrame) -> pd.DataFrame:
    """SDQ total difficulties at admission and discharge, with a known mean change."""
    p = params["wellbeing"]
    n = len(stays)
    admission_score = np.clip(np.round(rng.normal(p["admission_mean"], p["admission_sd"], n)), 0, 40)
    change = rng.normal(p["discharge_change_mean"], p["discharge_change_sd"], n)
    discharge_score = np.clip(np.round(admission_score + change), 0, 40)
    at_admission = rng.random(n) < p["measured_at_admission_share"]
    discharged = stays["discharge_day"].to_numpy() >= 0
    at_discharge = discharged & (rng.random(n) < p["measured_at_discharge_share"])
    base = {"stay_index": stays["stay_index"].to_numpy(), "child_index": stays["child_index"].to_numpy()}
    first = pd.DataFrame({**base, "score": admission_score, "day": stays["admission_day"].to_numpy(),
                          "timing": "admission"})[at_admission]  # fmt: skip
    second = pd.DataFrame({**base, "score": discharge_score, "day": stays["discharge_day"].to_numpy(),
                           "timing": "discharge"})[at_discharge]  # fmt: skip
    return pd.concat([first, second], ignore_index=True).sort_values(["stay_index", "day", "timing"], kind="stable")


def march_31(year: np.ndarray | int) -> np.ndarray:
    """31 March of each year, as days since 1970."""
    months = (np.asarray(year, dtype=np.int64) - 1970) * 12 + 2
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + 30


def first_of_month(year: np.ndarray, month: int) -> np.ndarray:
    months = (np.asarray(year, dtype=np.int64) - 1970) * 12 + (month - 1)
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def care_periods(episodes: pd.DataFrame, data_end: int) -> pd.DataFrame:
    """One row per period of care: child, start, end (data end + 1 when open)."""
    start = episodes["rne"] == "S"
    period = start.cumsum()
    # An open episode (no DEC) keeps the period open: its end is the day after the data end.
    ceased = episodes["dec"].fillna(data_end + 1)
    grouped = episodes.assign(period=period.to_numpy(), ceased=ceased.to_numpy()).groupby("period")
    out = grouped.agg(child_index=("child_index", "first"), start=("decom", "min"), end=("ceased", "max"))
    out["end"] = out["end"].astype(np.int64)
    return out.reset_index(drop=True)


def health_checks(
    rng: np.random.Generator,
    params: dict,
    periods: pd.DataFrame,
    children: pd.DataFrame,
    justice_children: np.ndarray,
    first_year: int,
    last_year: int,
) -> pd.DataFrame:
    """OC2 rows: each year to 31 March through which a child was looked after continuously.

    As DfE's 903 rules read "looked after continuously for 12 months at 31 March": the period of
    care began on or before 1 April and had not ceased before 31 March.
    """
    p = params["health_checks"]
    years = np.arange(first_year, last_year + 1)
    snapshot = march_31(years)
    start = periods["start"].to_numpy()[:, None]
    end = periods["end"].to_numpy()[:, None]
    eligible = (start <= march_31(years - 1)[None, :] + 1) & (end >= snapshot[None, :])
    row, col = np.nonzero(eligible)
    child = periods["child_index"].to_numpy()[row]
    n = len(row)
    out = pd.DataFrame({"child_index": child, "period_end": snapshot[col], "year": years[col]})
    for flag, share in p["share_true"].items():
        prob = np.full(n, share)
        if flag == "convicted":
            odds = share / (1 - share) * np.where(np.isin(child, justice_children),
                                                   p["convicted_odds_ratio_justice_pathway"], 1.0)  # fmt: skip
            prob = odds / (1 + odds)
        out[flag] = rng.random(n) < prob
    out["sdq_score"] = np.clip(np.round(rng.normal(p["sdq_mean"], p["sdq_sd"], n)), 0, 40)
    out.loc[rng.random(n) < p["sdq_missing_share"], "sdq_score"] = np.nan
    return out.sort_values(["child_index", "period_end"], kind="stable").reset_index(drop=True)


def relevant_children_of(periods: pd.DataFrame, dob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Relevant and former relevant children (13 weeks looked after since 14, some time after 16), and when
    each last ceased to be looked after (the day after the data end if still looked after)."""
    child = periods["child_index"].to_numpy()
    fourteen = add_years(dob[child], 14)
    days_after_14 = np.maximum(periods["end"].to_numpy() - np.maximum(periods["start"].to_numpy(), fourteen), 0)
    per_child = (
        pd.DataFrame({"child_index": child, "days_after_14": days_after_14, "end": periods["end"].to_numpy()})
        .groupby("child_index")
        .agg(days_after_14=("days_after_14", "sum"), last_end=("end", "max"))
    )
    ids = per_child.index.to_numpy()
    last_end = per_child["last_end"].to_numpy()
    relevant = (per_child["days_after_14"].to_numpy() >= 91) & (last_end > add_years(dob[ids], 16))
    return ids[relevant], last_end[relevant]


def follow_up_coverage(
    stays: pd.DataFrame,
    children: pd.DataFrame,
    periods: pd.DataFrame,
    care_leaver_rows: pd.DataFrame,
    education_rows: pd.DataFrame,
    data_end: int,
) -> dict[str, object]:
    """Who among the leavers has OC3 and education rows, and why the others have none (for ``truth.json``).

    ``care_leaver_rows`` are the OC3 rows kept for after the first exit; education coverage counts every
    (leaver, academic year) from the academic year of the first exit to the data end's while the child is of
    compulsory school age (under 16 on 31 August before the year), and the ones without a row (none expected).
    """
    dob = children["birth_day"].to_numpy()
    discharged = stays[stays["discharge_day"] >= 0]
    first_exit = discharged.groupby("child_index")["discharge_day"].min()
    leavers = first_exit.index.to_numpy()
    relevant, _ = relevant_children_of(periods, dob)
    looked_after = np.isin(leavers, periods["child_index"].to_numpy())
    is_relevant = np.isin(leavers, relevant)
    with_row = np.isin(leavers, care_leaver_rows["child_index"].to_numpy())

    exit_dates = pd.DatetimeIndex(first_exit.to_numpy().astype("datetime64[D]"))
    exit_year = np.asarray(np.where(exit_dates.month >= 9, exit_dates.year, exit_dates.year - 1))
    end = pd.Timestamp(data_end, unit="D")
    last_year = end.year if end.month >= 9 else end.year - 1
    births = pd.DatetimeIndex(dob[leavers].astype("datetime64[D]"))
    expected = []
    for offset in range(0, max(last_year - int(exit_year.min()) + 1, 0) if len(leavers) else 0):
        year = exit_year + offset
        age_31_august = year - births.year.to_numpy() - (births.month.to_numpy() > 8)
        keep = (year <= last_year) & (age_31_august < 16)
        expected.append(pd.DataFrame({"child_index": leavers[keep], "academic_year": year[keep]}))
    expected_years = pd.concat(expected, ignore_index=True) if expected else pd.DataFrame(columns=["child_index"])
    present = expected_years.merge(education_rows[["child_index", "academic_year"]].drop_duplicates(), how="left",
                                   indicator=True)  # fmt: skip
    return {
        "care_leavers": {
            "rule": "a row for each year to 31 March holding a relevant or former relevant child's 17th to 21st "
            "birthday, unless still looked after on that birthday; kept when the year ends after the first exit "
            "and by the data end",
            "leavers": int(len(leavers)),
            "leavers_never_looked_after": int((~looked_after).sum()),
            "leavers_looked_after_not_relevant": int((looked_after & ~is_relevant).sum()),
            "leavers_relevant_without_row_by_data_end": int((is_relevant & ~with_row).sum()),
            "leavers_with_row": int(with_row.sum()),
            "rows": int(len(care_leaver_rows)),
        },
        "education": {
            "rule": "a row for every child admitted, each academic year from the first admission's to the data "
            "end's while under 18 on 31 August before it",
            "leaver_years_of_compulsory_school_age": int(len(present)),
            "missing": int((present["_merge"] != "both").sum()),
            "rows": int(len(education_rows)),
        },
    }


def care_leavers(
    rng: np.random.Generator,
    params: dict,
    periods: pd.DataFrame,
    children: pd.DataFrame,
    plan_by_child: pd.Series,
    data_end: int,
) -> pd.DataFrame:
    """OC3 rows: care leavers in each collection year of their 17th to 21st birthday.

    Who gets a row, as the SSDA903 OC3 collection: every relevant or former relevant child
    (looked after for at least 13 weeks in all since the 14th birthday, and at some time after
    the 16th), for each year ending 31 March in which the 17th, 18th, 19th, 20th or 21st birthday
    falls, up to the data end, provided care had ceased before that birthday. DfE collects no OC3
    information for a 17- or 18-year-old who is still looked after on the birthday (903 rule 1016),
    and care ends at 18 at the latest, so a child leaving care on the 18th birthday has rows from
    the 19th. Remanded children count: remand makes a child looked after. Children never looked
    after (most sentenced children) have no rows. Rows are not thinned at random: every eligible
    year has one.
    """
    p = params["care_leavers"]
    dob = children["birth_day"].to_numpy()
    relevant_children, last_end = relevant_children_of(periods, dob)
    rows = []
    for age in range(17, 22):
        birthday = add_years(dob[relevant_children], age)
        keep = (birthday <= data_end) & (last_end < birthday)
        bday = pd.DatetimeIndex(birthday[keep].astype("datetime64[D]"))
        year_end = np.where(bday.month > 3, bday.year + 1, bday.year)
        rows.append(pd.DataFrame({"child_index": relevant_children[keep], "period_end": march_31(year_end),
                                  "year": year_end, "age": age}))  # fmt: skip
    out = pd.concat(rows, ignore_index=True)
    out = out[out["period_end"] <= data_end].sort_values(["child_index", "period_end"], kind="stable")
    out = out.drop_duplicates(["child_index", "year"]).reset_index(drop=True)
    n = len(out)
    out["in_touch"] = choose(rng, p["in_touch_share"], n)
    # A transition plan raises the odds of being in education, employment or training (activity codes not G*).
    plan = plan_by_child.reindex(out["child_index"]).fillna(False).to_numpy().astype(bool)
    eet_codes = {k: v for k, v in p["activity_share"].items() if not k.startswith("G")}
    neet_codes = {k: v for k, v in p["activity_share"].items() if k.startswith("G")}
    p_eet = sum(eet_codes.values()) / sum(p["activity_share"].values())
    logit = special.logit(p_eet) + np.log(p["eet_odds_ratio_transition_plan"]) * plan
    want_eet = rng.random(n) < special.expit(logit)
    activity = np.where(want_eet, choose(rng, eet_codes, n), choose(rng, neet_codes, n))
    accommodation = choose(rng, p["accommodation_share"], n)
    contact = np.isin(out["in_touch"].to_numpy(), ["YES"])
    out["activity"] = np.where(contact, activity, None)
    out["accommodation"] = np.where(contact, accommodation, None)
    # Around the 17th birthday the young person cannot yet be with former foster carers (staying put is 18+).
    out.loc[(out["age"] == 17) & (out["accommodation"] == "Z1"), "accommodation"] = "D1"
    return out


def education(
    rng: np.random.Generator, params: dict, children: pd.DataFrame, stays: pd.DataFrame, data_end: int
) -> pd.DataFrame:
    """One row per child per academic year from the first admission to the data end, while under 18."""
    p = params["education"]
    first = stays.groupby("child_index").agg(admission=("admission_day", "min"))
    discharged = stays[stays["discharge_day"] >= 0]
    first_exit = discharged.groupby("child_index").agg(exit=("discharge_day", "min"))
    plan = discharged.sort_values("discharge_day").groupby("child_index")["transition_plan"].first()
    first = first.join(first_exit).join(plan)
    child = first.index.to_numpy()
    dob = children["birth_day"].to_numpy()[child]
    adm = pd.DatetimeIndex(first["admission"].to_numpy().astype("datetime64[D]"))
    start_year = np.asarray(np.where(adm.month >= 9, adm.year, adm.year - 1))
    end_date = pd.Timestamp(data_end, unit="D")
    last_year = end_date.year if end_date.month >= 9 else end_date.year - 1
    birth = pd.DatetimeIndex(dob.astype("datetime64[D]"))
    # Age on 31 August before the academic year fixes the school year; 18 on that day ends the series.
    age_aug31_at_start = np.asarray(start_year - birth.year - (birth.month > 8).astype(int))
    stop_year = np.minimum(last_year, start_year + (17 - age_aug31_at_start))
    n_years = np.maximum(stop_year - start_year + 1, 0)
    row = np.repeat(np.arange(len(child)), n_years)
    offset = np.arange(n_years.sum()) - np.repeat(np.cumsum(n_years) - n_years, n_years)
    year = start_year[row] + offset
    age = age_aug31_at_start[row] + offset
    n = len(row)
    exit_day = first["exit"].to_numpy()[row]
    year_start_day = first_of_month(year, 9)
    after = ~np.isnan(exit_day) & (year_start_day >= np.nan_to_num(exit_day, nan=np.inf))
    had_plan = first["transition_plan"].to_numpy()[row] == 1
    mean = np.where(after, np.where(had_plan, p["attendance_mean_pct"]["after_transition_plan"],
                                    p["attendance_mean_pct"]["after_no_plan"]),
                    p["attendance_mean_pct"]["before_or_during"])  # fmt: skip
    attendance = np.round(np.clip(rng.normal(mean, p["attendance_sd_pct"]), 0, 100), 1)
    attendance[(rng.random(n) < p["attendance_missing_share"]) | (age >= 16)] = np.nan
    attainment = np.round(np.clip(rng.normal(p["attainment8_mean"], p["attainment8_sd"], n), 0, 90), 1)
    attainment[(age != 15) | (rng.random(n) < p["attainment8_missing_share"])] = np.nan
    eet_share = np.where(age < 16, p["in_eet_share"]["age_under_16"], p["in_eet_share"]["age_16_17"])
    in_eet = np.where(rng.random(n) < p["in_eet_missing_share"], None, rng.random(n) < eet_share)
    return pd.DataFrame({"child_index": child[row], "academic_year": year, "attendance_pct": attendance,
                         "attainment8": attainment, "in_eet": in_eet})  # fmt: skip
