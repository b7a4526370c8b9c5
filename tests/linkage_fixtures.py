"""Small corrupted data folders for the linkage tests.

Written in the layout of the synthetic generator: the contract tables, an
``identifiers`` table, ``unlinked/`` follow-up sources whose child id is
removed and whose identifiers carry recording errors, ``truth_links.csv`` and
``truth.json``. The errors are the ones a linker meets in practice: typing
errors in names, day and month swapped, a changed surname, missing values and
a moved postcode.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from outcomes.contract.codes import Behaviour

FORENAMES = [
    "Aaliyah",
    "Aaron",
    "Adam",
    "Aiden",
    "Alfie",
    "Amelia",
    "Amir",
    "Amy",
    "Archie",
    "Ava",
    "Bella",
    "Ben",
    "Bethany",
    "Caleb",
    "Callum",
    "Charlie",
    "Chloe",
    "Connor",
    "Daisy",
    "Daniel",
    "Declan",
    "Dylan",
    "Eden",
    "Eliza",
    "Ellie",
    "Emily",
    "Ethan",
    "Evie",
    "Faith",
    "Finley",
    "Freya",
    "George",
    "Grace",
    "Harley",
    "Harry",
    "Hannah",
    "Isaac",
    "Isla",
    "Jack",
    "Jacob",
    "Jade",
    "Jake",
    "Jasmine",
    "Jayden",
    "Jessica",
    "Joshua",
    "Kai",
    "Katie",
    "Kayden",
    "Keira",
    "Kyle",
    "Layla",
    "Leah",
    "Leo",
    "Lewis",
    "Liam",
    "Lily",
    "Logan",
    "Lucy",
    "Luke",
    "Maisie",
    "Mason",
    "Megan",
    "Mia",
    "Millie",
    "Mohammed",
    "Molly",
    "Nathan",
    "Noah",
    "Oliver",
    "Olivia",
    "Oscar",
    "Owen",
    "Paige",
    "Poppy",
    "Reece",
    "Riley",
    "Rosie",
    "Ruby",
    "Ryan",
    "Sam",
    "Scarlett",
    "Sophie",
    "Taylor",
    "Theo",
    "Tyler",
    "Zara",
    "Zoe",
]
SURNAMES = [
    "Ahmed",
    "Ali",
    "Allen",
    "Bailey",
    "Baker",
    "Barker",
    "Bell",
    "Bennett",
    "Brown",
    "Butler",
    "Campbell",
    "Carter",
    "Chapman",
    "Clark",
    "Clarke",
    "Collins",
    "Cook",
    "Cooper",
    "Cox",
    "Davies",
    "Davis",
    "Dixon",
    "Edwards",
    "Ellis",
    "Evans",
    "Fisher",
    "Foster",
    "Gray",
    "Green",
    "Griffiths",
    "Hall",
    "Harris",
    "Harrison",
    "Hill",
    "Holmes",
    "Hughes",
    "Hussain",
    "Hunt",
    "Jackson",
    "James",
    "Jenkins",
    "Johnson",
    "Jones",
    "Kaur",
    "Kelly",
    "Khan",
    "King",
    "Knight",
    "Lee",
    "Lewis",
    "Lloyd",
    "Marshall",
    "Martin",
    "Mason",
    "Matthews",
    "Miller",
    "Mills",
    "Mitchell",
    "Moore",
    "Morgan",
    "Morris",
    "Murphy",
    "Murray",
    "Owen",
    "Palmer",
    "Parker",
    "Patel",
    "Phillips",
    "Powell",
    "Price",
    "Richards",
    "Richardson",
    "Roberts",
    "Robinson",
    "Rogers",
    "Russell",
    "Scott",
    "Shaw",
    "Simpson",
    "Singh",
    "Smith",
    "Stevens",
    "Taylor",
    "Thomas",
    "Thompson",
    "Turner",
    "Walker",
    "Ward",
    "Watson",
    "White",
    "Wilkinson",
    "Williams",
    "Wilson",
    "Wood",
    "Wright",
    "Young",
]
DISTRICTS = ("LS6", "LS11", "M14", "M8", "B12", "B23", "NE4", "S2", "BD3", "L8", "NG7", "SE15", "N17", "E13", "CR0")
BEHAVIOURS = tuple(b.value for b in Behaviour)
FOLLOW_UP_TABLES = ("care_episodes", "health_checks", "care_leavers", "education")

ERROR_RATES = {
    "forename_typo": 0.05,
    "surname_typo": 0.05,
    "surname_changed": 0.03,
    "dob_swapped": 0.03,
    "dob_typo": 0.02,
    "forename_missing": 0.02,
    "dob_missing": 0.02,
    "postcode_missing": 0.05,
    "postcode_moved": 0.15,
    "sex_missing": 0.02,
}


def _postcode(rng: np.random.Generator) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"{rng.choice(DISTRICTS)} {rng.integers(1, 10)}{rng.choice(list(letters))}{rng.choice(list(letters))}"


def _typo(rng: np.random.Generator, text: str) -> str:
    if len(text) < 3:
        return text + "e"
    i = int(rng.integers(1, len(text) - 1))
    kind = rng.integers(0, 3)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + str(rng.choice(list("aeioulnrst"))) + text[i + 1 :]


def _identifiers(rng: np.random.Generator, n_children: int) -> pd.DataFrame:
    child_ids = [f"C{i:05d}" for i in range(n_children)]
    birth = pd.Timestamp("2004-01-01") + pd.to_timedelta(rng.integers(0, 4 * 365, n_children), unit="D")
    return pd.DataFrame(
        {
            "child_id": pd.array(child_ids, dtype="string"),
            "forename": pd.array(rng.choice(FORENAMES, n_children), dtype="string"),
            "surname": pd.array(rng.choice(SURNAMES, n_children), dtype="string"),
            "date_of_birth": pd.to_datetime(birth),
            "sex": pd.array(rng.choice(["1", "2"], n_children, p=[0.6, 0.4]), dtype="string"),
            "postcode": pd.array([_postcode(rng) for _ in range(n_children)], dtype="string"),
        }
    )


def corrupt(identifiers: pd.DataFrame, rng: np.random.Generator, rates: dict[str, float] = ERROR_RATES) -> pd.DataFrame:
    """Identifiers as a follow-up source records them, with recording errors at the given rates."""
    n = len(identifiers)
    out = pd.DataFrame(index=identifiers.index)
    forename = identifiers["forename"].astype(object).to_numpy().copy()
    surname = identifiers["surname"].astype(object).to_numpy().copy()
    dob = identifiers["date_of_birth"].copy()
    sex = identifiers["sex"].astype(object).to_numpy().copy()
    postcode = identifiers["postcode"].astype(object).to_numpy().copy()

    def hit(name: str) -> np.ndarray:
        return rng.random(n) < rates.get(name, 0.0)

    for i in np.flatnonzero(hit("forename_typo")):
        forename[i] = _typo(rng, forename[i])
    for i in np.flatnonzero(hit("surname_typo")):
        surname[i] = _typo(rng, surname[i])
    for i in np.flatnonzero(hit("surname_changed")):
        surname[i] = str(rng.choice(SURNAMES))
    swap = hit("dob_swapped") & (dob.dt.day <= 12).to_numpy() & (dob.dt.day != dob.dt.month).to_numpy()
    swapped = pd.to_datetime(
        {"year": dob.dt.year, "month": dob.dt.day.clip(upper=12), "day": dob.dt.month}, errors="coerce"
    )
    dob = dob.where(~swap, swapped)
    shifted = dob + pd.to_timedelta(rng.choice([-10, -1, 1, 10], n), unit="D")
    dob = dob.where(~hit("dob_typo"), shifted)
    for i in np.flatnonzero(hit("postcode_moved")):
        postcode[i] = _postcode(rng)
    forename[hit("forename_missing")] = None
    dob = dob.where(~hit("dob_missing"))
    postcode[hit("postcode_missing")] = None
    sex[hit("sex_missing")] = None
    # Sources record names in their own style: upper case, stray spaces.
    style = rng.random(n)
    forename = [f.upper() if isinstance(f, str) and s < 0.3 else f for f, s in zip(forename, style, strict=True)]
    surname = [f" {f} " if isinstance(f, str) and s > 0.8 else f for f, s in zip(surname, style, strict=True)]
    out["forename"] = pd.array(forename, dtype="string")
    out["surname"] = pd.array(surname, dtype="string")
    out["date_of_birth"] = pd.to_datetime(dob)
    out["sex_recorded"] = pd.array(sex, dtype="string")
    out["postcode"] = pd.array(postcode, dtype="string")
    return out


def _follow_up(rng: np.random.Generator, child_ids: pd.Series, discharge: pd.Series) -> dict[str, pd.DataFrame]:
    tables = {}
    n = len(child_ids)
    # Health checks and care-leaver returns: one a year for 1 to 3 years; education: 1 to 2 years; episodes: 1 or 2.
    plans = {"health_checks": 3, "care_leavers": 2, "education": 2, "care_episodes": 2}
    for table, most in plans.items():
        per_child = rng.integers(0, most + 1, n)
        rows = []
        for child, end, count in zip(child_ids, discharge, per_child, strict=True):
            for k in range(int(count)):
                rows.append((child, end, k))
        frame = pd.DataFrame(rows, columns=["child_id", "discharge", "k"])
        frame["record_id"] = [f"{table[:2].upper()}{i:06d}" for i in range(len(frame))]
        year_end = pd.to_datetime((frame["discharge"].dt.year + 1 + frame["k"]).astype(str) + "-03-31")
        if table == "health_checks":
            frame["period_end"] = year_end
            for flag in ("immunisations", "teeth_check", "health_assessment", "substance_misuse", "convicted"):
                frame[flag] = pd.array(rng.random(len(frame)) < 0.5, dtype="boolean")
            frame["sdq_score"] = pd.array(rng.integers(0, 41, len(frame)), dtype="Int64")
        elif table == "care_leavers":
            frame["period_end"] = year_end
            frame["in_touch"] = pd.array(["YES"] * len(frame), dtype="string")
            frame["activity"] = pd.array(["F1"] * len(frame), dtype="string")
            frame["accommodation"] = pd.array(["B1"] * len(frame), dtype="string")
        elif table == "education":
            frame["academic_year"] = pd.array(frame["discharge"].dt.year + frame["k"], dtype="Int64")
            frame["attendance_pct"] = pd.array(rng.uniform(40, 100, len(frame)).round(1), dtype="Float64")
            frame["attainment8"] = pd.array([pd.NA] * len(frame), dtype="Float64")
            frame["in_eet"] = pd.array(rng.random(len(frame)) < 0.6, dtype="boolean")
        else:
            frame["decom"] = frame["discharge"] + pd.to_timedelta(1 + 200 * frame["k"], unit="D")
            frame["rne"] = pd.array(["S"] * len(frame), dtype="string")
            frame["ls"] = pd.array(["C2"] * len(frame), dtype="string")
            frame["cin"] = pd.array(["N1"] * len(frame), dtype="string")
            frame["place"] = pd.array(["K2"] * len(frame), dtype="string")
            frame["place_provider"] = pd.array(["PR1"] * len(frame), dtype="string")
            frame["dec"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
            frame["rec"] = pd.array([pd.NA] * len(frame), dtype="string")
            frame["reason_place_change"] = pd.array([pd.NA] * len(frame), dtype="string")
            frame["urn"] = pd.array([pd.NA] * len(frame), dtype="string")
        frame["record_id"] = frame["record_id"].astype("string")
        frame["child_id"] = frame["child_id"].astype("string")
        tables[table] = frame.drop(columns=["discharge", "k"])
    return tables


def write_fixture(
    out_dir: Path,
    *,
    n_children: int = 300,
    seed: int = 0,
    rates: dict[str, float] = ERROR_RATES,
    synthetic: bool = True,
    duplicate_children: int = 0,
) -> Path:
    """Write a small corrupted data folder and return it.

    Parameters
    ----------
    out_dir : folder to write.
    n_children : children in the cohort.
    seed : random seed.
    rates : recording error rates of the unlinked sources.
    synthetic : write ``truth.json`` with ``"synthetic": true``.
    duplicate_children : make this many extra children exact identifier twins of
        existing ones (same name, date of birth, sex and postcode): their
        records cannot be told apart.
    """
    rng = np.random.default_rng(seed)
    out_dir = Path(out_dir)
    (out_dir / "unlinked").mkdir(parents=True, exist_ok=True)
    identifiers = _identifiers(rng, n_children)
    if duplicate_children:
        twins = identifiers.iloc[:duplicate_children].copy()
        twins["child_id"] = pd.array([f"T{i:05d}" for i in range(duplicate_children)], dtype="string")
        identifiers = pd.concat([identifiers, twins], ignore_index=True)
    n = len(identifiers)
    birth_month = identifiers["date_of_birth"].dt.to_period("M").dt.to_timestamp()
    children = pd.DataFrame(
        {
            "child_id": identifiers["child_id"],
            "sex": identifiers["sex"],
            "birth_month": birth_month,
            "ethnicity": pd.array(rng.choice(["WBRI", "BCRB", "APKN", "MWBC"], n), dtype="string"),
            "local_authority": pd.array(rng.choice(["202", "330", "886"], n), dtype="string"),
        }
    )
    admission = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, n), unit="D")
    discharge = admission + pd.to_timedelta(rng.integers(20, 300, n), unit="D")
    pathways = rng.choice(["welfare", "remand", "justice"], n)
    stays = pd.DataFrame(
        {
            "stay_id": pd.array([f"S{i:05d}" for i in range(n)], dtype="string"),
            "child_id": identifiers["child_id"],
            "urn": pd.array(["SC000001"] * n, dtype="string"),
            "referral_id": pd.array([pd.NA] * n, dtype="string"),
            "admission_date": pd.to_datetime(admission),
            "discharge_date": pd.to_datetime(discharge),
            "pathway": pd.array(pathways, dtype="string"),
            "legal_basis": pd.array(
                np.where(pathways == "welfare", "section_25", np.where(pathways == "remand", "remand", "dto")),
                dtype="string",
            ),
            "destination": pd.array(["family"] * n, dtype="string"),
            "transition_plan": pd.array(rng.random(n) < 0.7, dtype="boolean"),
        }
    )
    referrals = pd.DataFrame(
        {
            "referral_id": pd.array([f"R{i:05d}" for i in range(n)], dtype="string"),
            "child_id": identifiers["child_id"],
            "referral_date": pd.to_datetime(admission) - pd.Timedelta(days=3),
            "pathway": pd.array(pathways, dtype="string"),
            "route": pd.array(np.where(pathways == "welfare", "swcu", "ycs"), dtype="string"),
            "placed": pd.array([True] * n, dtype="boolean"),
            "decision_date": pd.to_datetime(admission) - pd.Timedelta(days=1),
            "urn": pd.array(["SC000001"] * n, dtype="string"),
            "alternative_setting": pd.array([pd.NA] * n, dtype="string"),
        }
    )
    for behaviour in BEHAVIOURS:
        referrals[behaviour] = pd.array(rng.random(n) < 0.3, dtype="boolean")
    stays["referral_id"] = referrals["referral_id"]
    homes = pd.DataFrame(
        {
            "urn": pd.array(["SC000001"], dtype="string"),
            "name": pd.array(["Fixture House"], dtype="string"),
            "home_type": pd.array(["mixed"], dtype="string"),
            "region": pd.array(["E12000003"], dtype="string"),
        }
    )
    follow_up = _follow_up(rng, identifiers["child_id"], stays["discharge_date"])
    identifiers.to_parquet(out_dir / "identifiers.parquet", index=False)
    children.to_parquet(out_dir / "children.parquet", index=False)
    stays.to_parquet(out_dir / "stays.parquet", index=False)
    referrals.to_parquet(out_dir / "referrals.parquet", index=False)
    homes.to_parquet(out_dir / "homes.parquet", index=False)
    truth = []
    by_child = identifiers.set_index("child_id")
    for table, frame in follow_up.items():
        frame.to_parquet(out_dir / f"{table}.parquet", index=False)
        raw = by_child.loc[frame["child_id"].to_numpy()].reset_index(drop=True)
        unlinked = frame.copy()
        unlinked["child_id"] = pd.array([pd.NA] * len(frame), dtype="string")
        corrupted = corrupt(raw, rng, rates)
        for column in corrupted:
            unlinked[column] = corrupted[column].to_numpy()
        unlinked.to_parquet(out_dir / "unlinked" / f"{table}.parquet", index=False)
        truth.append(pd.DataFrame({"source": table, "record_id": frame["record_id"], "child_id": frame["child_id"]}))
    pd.concat(truth).to_csv(out_dir / "truth_links.csv", index=False)
    if synthetic:
        (out_dir / "truth.json").write_text(json.dumps({"synthetic": True, "error_rates": rates}, indent=2))
    return out_dir
