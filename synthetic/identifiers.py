"""Synthetic identifiers and the errors that real linkage meets.

Names are drawn from short lists of common English names (invented people; any
match with a real child is chance). Postcodes are real English postcodes
(a sample of ONS postcode units, Open Government Licence), so DfE's 903 rules,
which look postcodes up, accept them. The sample leaves out postcodes in the
authorities created in April 2023 (Cumberland, Westmorland and Furness, North
Yorkshire, Somerset) and those recoded with the 2023 Sheffield and Barnsley
boundary change: the validator's lookup (2021 authorities) finds no placement
authority for them, which 903 rule 169 rejects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic.calibration import POSTCODE_FILE, read_reference

FORENAMES = {
    "1": "Oliver Jack Harry Jacob Charlie Thomas George Oscar James William Noah Alfie Joshua Muhammad Henry Leo "
    "Archie Ethan Joseph Freddie Samuel Alexander Logan Daniel Isaac Max Mohammed Benjamin Mason Lucas Edward "
    "Harrison Jake Dylan Riley Finley Theo Sebastian Adam Zachary Arthur Toby Jayden Luke Harley Lewis Tyler "
    "Harvey Matthew David Reuben Michael Elijah Kian Tommy Mohammad Jenson Caleb Ryan Liam Callum Kai Connor",
    "2": "Amelia Olivia Isla Emily Poppy Ava Isabella Jessica Lily Sophie Grace Sophia Mia Evie Ruby Ella Scarlett "
    "Isabelle Chloe Sienna Freya Phoebe Charlotte Daisy Alice Florence Eva Sofia Millie Lucy Evelyn Elsie Rosie "
    "Imogen Lola Matilda Elizabeth Layla Holly Lilly Molly Erin Ellie Maisie Maya Abigail Eliza Georgia Jasmine "
    "Esme Willow Bella Annabelle Ivy Amber Emilia Emma Summer Hannah Eleanor Harriet Rose Amelie Lexi Megan",
}
SURNAMES = [
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Davis",
    "Parker",
    "Price",
    "Bennett",
    "Young",
    "Griffiths",
    "Mitchell",
    "Kelly",
    "Cook",
    "Carter",
    "Richardson",
    "Bailey",
    "Collins",
    "Bell",
    "Shaw",
    "Murphy",
    "Miller",
    "Cox",
    "Richards",
    "Khan",
    "Marshall",
    "Anderson",
    "Simpson",
    "Ellis",
    "Adams",
    "Singh",
    "Begum",
    "Wilkinson",
    "Foster",
    "Chapman",
    "Powell",
    "Webb",
    "Rogers",
    "Gray",
    "Mason",
    "Ali",
    "Hunt",
    "Hussain",
    "Campbell",
    "Matthews",
    "Owen",
    "Palmer",
    "Holmes",
    "Mills",
    "Barnes",
    "Knight",
    "Lloyd",
    "Butler",
    "Russell",
    "Barker",
    "Fisher",
    "Stevens",
    "Jenkins",
    "Murray",
    "Dixon",
    "Harvey",
    "Graham",
    "Pearson",
    "Ahmed",
    "Fletcher",
    "Walsh",
    "Kaur",
    "Gibson",
    "Howard",
    "Andrews",
    "Stewart",
    "Elliott",
    "Reynolds",
    "Saunders",
    "Payne",
    "Fox",
    "Ford",
    "Pearce",
    "Day",
    "Brooks",
    "West",
    "Lawrence",
    "Cole",
    "Atkinson",
    "Bradley",
    "Spencer",
]


def postcodes() -> np.ndarray:
    return read_reference(POSTCODE_FILE)["postcode"].to_numpy(dtype=object)


def draw_identifiers(
    rng: np.random.Generator, child_ids: np.ndarray, sex: np.ndarray, birth_day: np.ndarray
) -> pd.DataFrame:
    """Clean identifiers, one row per child, as the secure-home records hold them."""
    n = len(child_ids)
    forename = np.empty(n, dtype=object)
    for code, names in FORENAMES.items():
        rows = sex == code
        pool = np.array(names.split(), dtype=object)
        forename[rows] = pool[rng.integers(0, len(pool), rows.sum())]
    surname = np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)]
    pool = postcodes()
    return pd.DataFrame(
        {
            "child_id": child_ids,
            "forename": forename,
            "surname": surname,
            "date_of_birth": birth_day,
            "sex": sex,
            "postcode": pool[rng.integers(0, len(pool), n)],
        }
    )


def _typo(rng: np.random.Generator, names: np.ndarray) -> np.ndarray:
    """One edit per name: drop, double, swap neighbours or replace a letter (only rows with errors get here)."""
    kind = rng.integers(0, 4, len(names))
    position = rng.random(len(names))
    letters = rng.integers(0, 26, len(names))
    out = []
    for name, k, u, letter in zip(names, kind, position, letters, strict=True):
        if len(name) < 3:
            out.append(name + "e")
            continue
        i = 1 + int(u * (len(name) - 2))
        if k == 0:
            out.append(name[:i] + name[i + 1 :])
        elif k == 1:
            out.append(name[:i] + name[i] + name[i:])
        elif k == 2:
            out.append(name[: i - 1] + name[i] + name[i - 1] + name[i + 1 :])
        else:
            replacement = chr(ord("a") + int(letter))
            replacement = replacement if replacement != name[i].lower() else "x"
            out.append(name[:i] + replacement + name[i + 1 :])
    return np.array(out, dtype=object)


def with_errors(
    rng: np.random.Generator, clean: pd.DataFrame, rates: dict[str, float]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Identifiers as another system recorded them, with errors at the given rates.

    Parameters
    ----------
    clean : one row per record: forename, surname, date_of_birth (days since 1970), sex, postcode.
    rates : the ``identifier_errors`` parameters.

    Returns
    -------
    The noisy identifiers and a frame of booleans saying which error each record got
    (so tests can compare realised with declared rates).
    """
    n = len(clean)
    out = clean.copy()
    flags = {}

    def hit(name: str, eligible: np.ndarray | None = None) -> np.ndarray:
        mask = rng.random(n) < rates[name]
        if eligible is not None:
            mask &= eligible
        flags[name] = mask
        return mask

    m = hit("forename_typo")
    out.loc[m, "forename"] = _typo(rng, out.loc[m, "forename"].to_numpy())
    m = hit("surname_typo")
    out.loc[m, "surname"] = _typo(rng, out.loc[m, "surname"].to_numpy())
    m = hit("surname_changed")
    replacement = np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)]
    changed = m & (replacement != out["surname"].to_numpy())
    out.loc[changed, "surname"] = replacement[changed]
    flags["surname_changed"] = changed

    dob = pd.DatetimeIndex(out["date_of_birth"].to_numpy().astype("datetime64[D]"))
    swappable = (dob.day <= 12) & (dob.day != dob.month)
    m = hit("dob_day_month_swapped", swappable)
    swapped = pd.to_datetime({"year": dob.year[m], "month": dob.day[m], "day": dob.month[m]})
    values = out["date_of_birth"].to_numpy().copy()
    values[m] = swapped.to_numpy().astype("datetime64[D]").astype(np.int64)
    m = hit("dob_day_typo", ~m)
    shift = rng.choice([-1, 1, 10, -10], n)
    values[m] = values[m] + shift[m]
    out["date_of_birth"] = values.astype(float)

    pool = postcodes()
    m = hit("postcode_moved")
    moved = pool[rng.integers(0, len(pool), n)]
    moved_ok = m & (moved != out["postcode"].to_numpy())
    out.loc[moved_ok, "postcode"] = moved[moved_ok]
    flags["postcode_moved"] = moved_ok

    for column, name in (("forename", "forename_missing"), ("surname", "surname_missing"),
                         ("date_of_birth", "dob_missing"), ("sex", "sex_missing"), ("postcode", "postcode_missing")):  # fmt: skip
        m = hit(name)
        out.loc[m, column] = np.nan if column == "date_of_birth" else None
    return out, pd.DataFrame(flags)
