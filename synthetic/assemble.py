"""Assemble the contract tables from the simulation and write the output folder."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from outcomes.contract import tables as contract
from outcomes.contract.tables import TABLES
from outcomes.progress import progress
from synthetic import calibration, followup, identifiers, ssda903, truth
from synthetic.parameters import defaults
from synthetic.simulation import PATHWAYS, Simulator, to_days

logger = logging.getLogger(__name__)

FOLLOW_UP_TABLES = ("care_episodes", "health_checks", "care_leavers", "education")
PII_COLUMNS = ("forename", "surname", "date_of_birth", "sex_recorded", "postcode")


def _days_to_dates(values: np.ndarray | pd.Series) -> pd.Series:
    """Days since 1970 (NaN or negative = missing) as datetime64[ns]."""
    days = pd.to_numeric(pd.Series(values), errors="coerce").astype(float)
    days[days < 0] = np.nan
    return pd.to_datetime(days, unit="D")


def _ids(prefix: str, numbers: np.ndarray) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.asarray(numbers).astype(str), 7)).astype(object)


def _typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Columns in contract order and contract dtypes."""
    table = TABLES[name]
    out = {}
    for column, spec in table.columns.items():
        if column not in frame:
            continue
        dtype = str(spec.dtype)
        values = frame[column]
        if dtype.startswith("datetime"):
            out[column] = pd.to_datetime(values)
        elif dtype == "boolean":
            out[column] = pd.array(values.astype(object).where(values.notna(), None), dtype="boolean")
        elif dtype == "Int64":
            out[column] = pd.array(pd.to_numeric(values), dtype="Int64") if len(values) else pd.array([], "Int64")
        elif dtype == "Float64":
            out[column] = pd.array(pd.to_numeric(values), dtype="Float64") if len(values) else pd.array([], "Float64")
        else:
            out[column] = pd.array(values.astype(object).where(values.notna(), None), dtype="string")
    return pd.DataFrame(out)


def build(
    *, seed: int, scale: float, start_year: int, end_year: int, data_end: str
) -> tuple[dict[str, pd.DataFrame], dict[str, object]]:
    """Simulate the cohort; return the output tables (by file stem) and the truth document.

    A progress bar of the five stages is shown when standard error is a terminal.
    """
    bar = progress(desc="synthetic cohort: simulating", total=5, unit="stage")
    params = defaults()
    data_end_day = to_days(data_end)
    sim = Simulator(params, seed=seed, scale=scale, start_year=start_year, end_year=end_year, data_end=data_end)
    result = sim.run()
    _next_stage(bar, "identifiers, referrals and stays")
    rng = np.random.default_rng([seed, 1])
    children, referrals, stays, homes = result.children, result.referrals, result.stays, result.homes
    child_id = _ids("C", children["child_index"].to_numpy())
    sex = np.where(children["female"].to_numpy(), "2", "1")
    out: dict[str, pd.DataFrame] = {}

    out["children"] = _typed("children", pd.DataFrame({
        "child_id": child_id, "sex": sex, "birth_month": _days_to_dates(children["birth_month"]),
        "ethnicity": children["ethnicity"], "local_authority": children["local_authority"].astype(str),
    }))  # fmt: skip
    ident = identifiers.draw_identifiers(rng, child_id, sex, children["birth_day"].to_numpy())
    out["identifiers"] = _typed("identifiers", ident.assign(date_of_birth=_days_to_dates(ident["date_of_birth"])))

    behaviour_columns = {b: referrals[f"b_{b}"].map({1.0: True, 0.0: False}) for b in calibration.BEHAVIOURS}
    decision = referrals["decision_day"].astype(float)
    decision[rng.random(len(decision)) < params["welfare_referrals"]["decision_date_missing_share"]] = np.nan
    out["referrals"] = _typed("referrals", pd.DataFrame({
        "referral_id": _ids("R", referrals["referral_index"].to_numpy()),
        "child_id": child_id[referrals["child_index"].to_numpy()],
        "referral_date": _days_to_dates(referrals["referral_day"]),
        "pathway": np.array(PATHWAYS, dtype=object)[referrals["pathway"].to_numpy()],
        "route": np.where(referrals["pathway"].to_numpy() == 0, "swcu", "ycs"),
        "placed": referrals["placed"], "decision_date": _days_to_dates(decision), "urn": referrals["urn"],
        "alternative_setting": referrals["alternative_setting"], **behaviour_columns,
    }))  # fmt: skip

    stays, homes = truth.fit_capacity(rng, stays, homes, start_year, end_year, data_end_day)
    referral_urn = stays.set_index("referral_index")["urn"]
    placed_rows = referrals["placed"].to_numpy()
    urn_values = out["referrals"]["urn"].astype(object).to_numpy()
    urn_values[placed_rows] = referral_urn.loc[referrals["referral_index"].to_numpy()[placed_rows]].to_numpy()
    out["referrals"]["urn"] = pd.array(urn_values, dtype="string")
    out["homes"] = _typed("homes", homes)
    out["home_capacity"] = _typed("home_capacity", truth.home_capacity(stays, homes, start_year, end_year))

    stay_id = _ids("S", stays["stay_index"].to_numpy())
    stay_id_by_index = pd.Series(stay_id, index=stays["stay_index"].to_numpy())
    plan = stays["transition_plan"].map({1: True, 0: False, -1: None})
    plan[
        (stays["discharge_day"] >= 0) & (rng.random(len(stays)) < params["stays"]["transition_plan_missing_share"])
    ] = None
    out["stays"] = _typed("stays", pd.DataFrame({
        "stay_id": stay_id, "child_id": child_id[stays["child_index"].to_numpy()], "urn": stays["urn"],
        "referral_id": _ids("R", stays["referral_index"].to_numpy()),
        "admission_date": _days_to_dates(stays["admission_day"]),
        "discharge_date": _days_to_dates(stays["discharge_day"]),
        "pathway": np.array(PATHWAYS, dtype=object)[stays["pathway"].to_numpy()],
        "legal_basis": stays["legal_basis"], "destination": stays["destination"], "transition_plan": plan,
    }))  # fmt: skip
    _next_stage(bar, "outcomes in and after the stays")

    incidents = followup.incidents(rng, params, stays, data_end_day)
    out["incidents"] = _typed("incidents", pd.DataFrame({
        "incident_id": _ids("I", np.arange(len(incidents))),
        "stay_id": stay_id_by_index.loc[incidents["stay_index"].to_numpy()].to_numpy(),
        "incident_date": _days_to_dates(incidents["day"]), "incident_type": incidents["incident_type"],
    }))  # fmt: skip
    mental = followup.mental_health(rng, params, stays, data_end_day)
    out["mental_health"] = _typed("mental_health", pd.DataFrame({
        "assessment_id": _ids("M", np.arange(len(mental))),
        "stay_id": stay_id_by_index.loc[mental["stay_index"].to_numpy()].to_numpy(),
        "assessment_date": _days_to_dates(mental["day"]), "need_identified": mental["need_identified"],
        "need_met": mental["need_met"], "need_met_date": _days_to_dates(mental["need_met_day"]),
    }))  # fmt: skip
    wellbeing = followup.wellbeing(rng, params, stays)
    out["wellbeing"] = _typed("wellbeing", pd.DataFrame({
        "measurement_id": _ids("W", np.arange(len(wellbeing))),
        "child_id": child_id[wellbeing["child_index"].to_numpy()],
        "stay_id": stay_id_by_index.loc[wellbeing["stay_index"].to_numpy()].to_numpy(),
        "instrument": "sdq", "score": wellbeing["score"], "measured_date": _days_to_dates(wellbeing["day"]),
        "timing": wellbeing["timing"],
    }))  # fmt: skip

    episodes = followup.care_episodes(rng, params, children, stays, homes, data_end_day)
    periods = followup.care_periods(episodes, data_end_day)
    first_exit = stays[stays["discharge_day"] >= 0].groupby("child_index")["discharge_day"].min()
    justice_children = stays.loc[stays["pathway"] == 2, "child_index"].unique()
    data_end_ts = pd.Timestamp(data_end)
    last_collection = data_end_ts.year + (1 if data_end_ts.month > 3 else 0)
    oc2 = followup.health_checks(rng, params, periods, children, justice_children, start_year, last_collection)
    oc2 = oc2[oc2["period_end"] <= data_end_day].reset_index(drop=True)
    plan_by_child = (
        stays[stays["discharge_day"] >= 0]
        .sort_values("discharge_day")
        .groupby("child_index")["transition_plan"]
        .first()
        .eq(1)
    )
    oc3 = followup.care_leavers(rng, params, periods, children, plan_by_child, data_end_day)
    education = followup.education(rng, params, children, stays, data_end_day)

    after_exit = lambda frame, day_column: frame[  # noqa: E731
        frame[day_column].to_numpy() > first_exit.reindex(frame["child_index"]).fillna(np.inf).to_numpy()
    ]
    follow = {
        "care_episodes": pd.DataFrame({
            "child_index": episodes["child_index"], "decom": _days_to_dates(episodes["decom"]),
            "rne": episodes["rne"], "ls": episodes["ls"], "cin": episodes["cin"], "place": episodes["place"],
            "place_provider": episodes["place_provider"], "dec": _days_to_dates(episodes["dec"]),
            "rec": episodes["rec"], "reason_place_change": episodes["reason_place_change"], "urn": episodes["urn"],
        }),
        "health_checks": after_exit(oc2, "period_end").assign(period_end=lambda f: _days_to_dates(f["period_end"])),
        "care_leavers": after_exit(oc3, "period_end").assign(period_end=lambda f: _days_to_dates(f["period_end"])),
        "education": education,
    }  # fmt: skip
    follow["health_checks"] = follow["health_checks"].assign(
        **{flag: _with_missing(rng, follow["health_checks"][flag], params["health_checks"]["flag_missing_share"])
           for flag in params["health_checks"]["share_true"]}
    )  # fmt: skip
    _next_stage(bar, "unlinked sources with recording errors")
    prefixes = {"care_episodes": "E", "health_checks": "H", "care_leavers": "L", "education": "D"}
    links = []
    error_flags = {}
    for name, frame in follow.items():
        frame = frame.reset_index(drop=True)
        record_id = _ids(prefixes[name], np.arange(len(frame)))
        children_of = frame["child_index"].to_numpy()
        out[name] = _typed(name, frame.assign(record_id=record_id, child_id=child_id[children_of]))
        clean = ident.iloc[children_of].reset_index(drop=True)
        noisy, flags = identifiers.with_errors(rng, clean, params["identifier_errors"])
        error_flags[name] = flags
        unlinked = frame.assign(
            record_id=record_id, child_id=None, forename=noisy["forename"], surname=noisy["surname"],
            date_of_birth=_days_to_dates(noisy["date_of_birth"]), sex_recorded=noisy["sex"],
            postcode=noisy["postcode"],
        )  # fmt: skip
        out[f"unlinked/{name}"] = _typed(name, unlinked)
        links.append(pd.DataFrame({"source": name, "record_id": record_id, "child_id": child_id[children_of]}))
    out["truth_links"] = pd.concat(links, ignore_index=True)
    _next_stage(bar, "SSDA903 files and truth")

    out.update(ssda903.files(children, child_id, sex, ident, episodes, oc2, oc3, incidents, stays, homes,
                             start_year, last_collection, data_end_day, rng))  # fmt: skip
    coverage = followup.follow_up_coverage(stays, children, periods, follow["care_leavers"], education, data_end_day)
    document = truth.document(
        params=params, seed=seed, scale=scale, start_year=start_year, end_year=end_year, data_end=data_end,
        result=result, stays=stays, children=children, error_flags=error_flags, tables=out, coverage=coverage,
    )  # fmt: skip
    bar.update()
    bar.close()
    return out, document


def _next_stage(bar: tqdm, stage: str) -> None:
    bar.update()
    bar.set_description_str(f"synthetic cohort: {stage}")


def _with_missing(rng: np.random.Generator, values: pd.Series, share: float) -> pd.Series:
    out = values.astype(object).copy()
    out[rng.random(len(out)) < share] = None
    return out


def _csv_text(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Frame of strings as the CSV holds them: ISO dates, YYYY-MM birth months, true/false, fixed floats."""
    text = {}
    table = TABLES.get(name.split("/")[-1])
    for column in frame.columns:
        values = frame[column]
        month = table is not None and column == contract.Children.birth_month and name == "children"
        if pd.api.types.is_datetime64_any_dtype(values):
            text[column] = values.dt.strftime("%Y-%m" if month else "%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(values):
            text[column] = values.map({True: "true", False: "false"})
        elif pd.api.types.is_float_dtype(values):
            text[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:.10g}")
        else:
            text[column] = values.astype(object).where(values.notna(), None)
    return pd.DataFrame(text)


def _arrow_table(frame: pd.DataFrame) -> pa.Table:
    fields, arrays = [], []
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            arrays.append(
                pa.array(
                    values.to_numpy(dtype="datetime64[ns]"), type=pa.timestamp("ns"), mask=values.isna().to_numpy()
                )
            )
        elif str(values.dtype) == "boolean":
            arrays.append(pa.array(values.astype(object).where(values.notna(), None), type=pa.bool_()))
        elif str(values.dtype) == "Int64":
            arrays.append(pa.array(values.astype(object).where(values.notna(), None), type=pa.int64()))
        elif str(values.dtype) == "Float64":
            arrays.append(pa.array(values.astype(object).where(values.notna(), None), type=pa.float64()))
        else:
            arrays.append(pa.array(values.astype(object).where(values.notna(), None), type=pa.string()))
        fields.append(pa.field(column, arrays[-1].type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def write(out_dir: Path, tables: dict[str, pd.DataFrame], document: dict, fmt: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in progress(tables.items(), desc="writing the cohort", total=len(tables), unit="file"):
        if name.startswith("ssda903/") or name == "truth_links":
            path = out_dir / f"{name}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            frame.to_csv(path, index=False, lineterminator="\n")
            continue
        path = out_dir / f"{name}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            pq.write_table(_arrow_table(frame), path, compression="zstd", write_statistics=True)
        else:
            _csv_text(frame, name).to_csv(path, index=False, lineterminator="\n")
    (out_dir / "truth.json").write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
