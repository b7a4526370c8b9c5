"""Contract-typed data for indicator tests: a small random world, and helpers for hand-made rows.

The world is random but seeded, so tests over every registered indicator run on
the same rows each time. It is for exercising the machinery (every table, every
breakdown, some small cells); figures that must be right are checked by the
hand-made rows beside each indicator.
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pandas as pd

from outcomes.cohort import FollowUp
from outcomes.contract import codes
from outcomes.errors import SuppressionWarning
from outcomes.indicator import IndicatorData, IndicatorResult, make_table
from outcomes.registry import discover_indicators

DATA_END = pd.Timestamp("2024-03-31")
HOMES = ["SC000001", "SC000002", "SC000003"]


def small_world(seed: int = 0, n_children: int = 120) -> dict[str, pd.DataFrame]:
    """Every contract table, with a few hundred rows in all.

    Built once per test session for each (seed, size) and handed out as copies, so
    a test may change or delete its tables without touching anyone else's.
    """
    return {name: frame.copy() for name, frame in _built_world(seed, n_children).items()}


@cache
def _built_world(seed: int, n_children: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    day = pd.Timedelta(days=1)
    children, referrals, stays, incidents, mental, wellbeing = [], [], [], [], [], []
    episodes, health, leavers, education, capacity = [], [], [], [], []
    pathways = codes.Pathway.codes()
    behaviours = codes.Behaviour.codes()
    for i in range(n_children):
        child = f"C{i:04d}"
        referral_date = pd.Timestamp("2018-01-01") + int(rng.integers(0, 2100)) * day
        # Aged 11 to 15 at the first referral, so every stay admits a child of 10 to 17 (contract rule X09).
        birth = pd.Timestamp(referral_date.year - int(rng.integers(11, 16)), int(rng.integers(1, 13)), 1)
        children.append(
            {
                "child_id": child,
                "sex": str(rng.choice(["1", "2"])),
                "birth_month": birth,
                "ethnicity": "WBRI",
                "local_authority": f"{200 + i % 5}",
            }
        )
        previous_end = referral_date
        for r in range(1 + int(rng.random() < 0.3)):
            # A second referral comes after the first stay ended, so a child's stays never overlap (rule X08).
            date = referral_date if r == 0 else previous_end + int(rng.integers(30, 300)) * day
            if date >= DATA_END:
                continue
            pathway = str(rng.choice(pathways))
            placed = bool(rng.random() < 0.6)
            referral_id = f"R{i:04d}{r}"
            flags = {b: bool(rng.random() < 0.4) for b in behaviours}
            if date.year < 2020:
                flags["criminal_exploitation"] = flags["disclosed_abuse"] = None
            urn = str(rng.choice(HOMES))
            referrals.append(
                {
                    "referral_id": referral_id,
                    "child_id": child,
                    "referral_date": date,
                    "pathway": pathway,
                    "route": "swcu" if pathway == "welfare" else "ycs",
                    "placed": placed,
                    "decision_date": date + int(rng.integers(0, 20)) * day,
                    "urn": urn if placed else None,
                    "alternative_setting": None if placed else str(rng.choice(["yoi", "residential_childrens_home"])),
                    **flags,
                }
            )
            if not placed:
                continue
            admission = date + int(rng.integers(1, 30)) * day
            discharge = admission + int(rng.integers(5, 300)) * day
            previous_end = discharge
            stay_id = f"S{i:04d}{r}"
            stays.append(
                {
                    "stay_id": stay_id,
                    "child_id": child,
                    "urn": urn,
                    "referral_id": referral_id,
                    "admission_date": admission,
                    "discharge_date": discharge if discharge <= DATA_END else None,
                    "pathway": pathway,
                    "legal_basis": "section_25" if pathway == "welfare" else "remand",
                    "destination": "foster_care" if discharge <= DATA_END else None,
                    "transition_plan": True if discharge <= DATA_END else None,
                }
            )
            for k in range(int(rng.poisson(1.5))):
                incidents.append(
                    {
                        "incident_id": f"I{stay_id}{k}",
                        "stay_id": stay_id,
                        "incident_date": admission + day,
                        "incident_type": str(rng.choice(["self_harm", "restraint"])),
                    }
                )
            identified = bool(rng.random() < 0.7)
            mental.append(
                {
                    "assessment_id": f"M{stay_id}",
                    "stay_id": stay_id,
                    "assessment_date": admission + day,
                    "need_identified": identified,
                    "need_met": bool(rng.random() < 0.6) if identified else None,
                    "need_met_date": None,
                }
            )
            for timing, when, shift in (("admission", admission, 0), ("discharge", discharge, -3)):
                wellbeing.append(
                    {
                        "measurement_id": f"W{stay_id}{timing}",
                        "child_id": child,
                        "stay_id": stay_id,
                        "instrument": "sdq",
                        "score": float(np.clip(rng.normal(20 + shift, 5), 0, 40)),
                        "measured_date": when,
                        "timing": timing,
                    }
                )
            for year in range(discharge.year, 2024):
                period_end = pd.Timestamp(year + 1, 3, 31)
                if period_end <= discharge:
                    continue
                record = f"{stay_id}{year}"
                health.append(
                    {
                        "record_id": f"H{record}",
                        "child_id": child,
                        "period_end": period_end,
                        "immunisations": bool(rng.random() < 0.8),
                        "teeth_check": bool(rng.random() < 0.7),
                        "health_assessment": bool(rng.random() < 0.85),
                        "substance_misuse": None,
                        "convicted": None,
                        "sdq_score": None,
                    }
                )
                leavers.append(
                    {
                        "record_id": f"L{record}",
                        "child_id": child if rng.random() > 0.05 else None,
                        "surname": "Smith",
                        "date_of_birth": birth,
                        "period_end": period_end,
                        "in_touch": "YES",
                        "activity": str(rng.choice(["F2", "G5", "F4"])),
                        "accommodation": str(rng.choice(["B1", "D2", "X1"])),
                    }
                )
            for year in range(discharge.year - 1, 2024):
                education.append(
                    {
                        "record_id": f"E{stay_id}{year}",
                        "child_id": child,
                        "academic_year": year,
                        "attendance_pct": float(rng.uniform(50, 100)),
                        "in_eet": bool(rng.random() < 0.6),
                        "attainment8": float(rng.uniform(5, 50)) if rng.random() < 0.8 else None,
                    }
                )
            start = discharge
            for e in range(int(rng.integers(0, 5))):
                end = start + int(rng.integers(20, 150)) * day
                episodes.append(
                    {
                        "record_id": f"P{stay_id}{e}",
                        "child_id": child,
                        "decom": start,
                        "rne": "P" if e else "S",
                        "ls": "C2",
                        "cin": "N1",
                        "place": "K2",
                        "place_provider": "PR1",
                        "dec": end if end <= DATA_END else None,
                        "rec": "X1" if end <= DATA_END else None,
                        "reason_place_change": None,
                        "urn": None,
                    }
                )
                start = end
    for year in range(2019, 2024):
        for j, urn in enumerate(HOMES):
            approved = 8 + 4 * j
            available = approved - int(rng.integers(0, 3))
            capacity.append(
                {
                    "urn": urn,
                    "snapshot_date": pd.Timestamp(year, 3, 31),
                    "places_approved": approved,
                    "places_available": available,
                    "children_accommodated": int(rng.integers(2, available + 1)),
                }
            )
    homes = [
        {"urn": urn, "name": f"Home {j}", "home_type": "mixed", "region": "E12000001"} for j, urn in enumerate(HOMES)
    ]
    return {
        "children": make_table("children", children),
        "homes": make_table("homes", homes),
        "referrals": make_table("referrals", referrals),
        "stays": make_table("stays", stays),
        "incidents": make_table("incidents", incidents),
        "mental_health": make_table("mental_health", mental),
        "wellbeing": make_table("wellbeing", wellbeing),
        "health_checks": make_table("health_checks", health),
        "care_leavers": make_table("care_leavers", leavers),
        "education": make_table("education", education),
        "care_episodes": make_table("care_episodes", episodes),
        "home_capacity": make_table("home_capacity", capacity),
    }


def world_data(seed: int = 0, windows: tuple[int, ...] = (6, 12, 24)) -> IndicatorData:
    """The small world as indicator input; a fresh object each call, so nothing computed is shared."""
    return IndicatorData(small_world(seed), FollowUp(DATA_END, windows))


@cache
def world_results(seed: int = 0) -> dict[str, IndicatorResult]:
    """Every registered indicator computed once per session on the small world, at the default threshold.

    Shared by the contract and disclosure tests; read them through ``to_frame()`` (a copy).
    """
    registry = discover_indicators()
    data = world_data(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuppressionWarning)
        return {code: cls().compute(data) for code, cls in registry.items()}
