"""Pseudonymisation: keyed hashes of identifiers, made before anything is compared.

Every identifier the linker reads is turned here into HMAC-SHA-256 keyed
hashes; nothing raw leaves this module. The key comes from the environment
variable ``OUTCOMES_PSEUDONYM_KEY``. Without the key nobody can recompute a
pseudonym from a name or a child id, so the hashes can be compared safely
inside the secure environment.

A keyed hash only tells whether two values are identical. Splink needs more
than that to link records carrying typing errors, so before hashing the
module derives *comparison features* that agree when the raw values are
close, and hashes each of them:

- names: the normalised name, its Soundex code and the set of its letter
  bigrams (each bigram hashed on its own, so two names can be compared by
  the Dice coefficient of their hashed bigram sets);
- date of birth: the full date, the same date with day and month swapped
  (a common recording error), and its year, month and day separately;
- postcode: the full postcode, its sector (``SW1A 1``) and its district
  (``SW1A``);
- sex as recorded.

Each feature is hashed with its own domain prefix, so equal hashes of two
different features never collide by construction (the year ``2005`` and
the day ``05`` hash differently). Hashes of features are truncated to 64
bits: enough to make a chance collision among millions of values
vanishingly unlikely, and half the memory.

Synthetic data may be processed without a key: the fixed demonstration key
:data:`DEMONSTRATION_KEY` is used and a warning says so. It is published in
this source file and protects nothing; never use it on real records. Whether
it may be used is the caller's decision (a cohort the run generated itself,
or an explicit ``--demo-key``), never a file in the data folder's:
:func:`is_synthetic` reads ``truth.json`` for information only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from outcomes.errors import ConfigurationError

logger = logging.getLogger(__name__)

KEY_VARIABLE = "OUTCOMES_PSEUDONYM_KEY"
"""Environment variable holding the pseudonymisation key."""

DEMONSTRATION_KEY = b"sch-outcomes synthetic demonstration key: public, protects nothing"
"""The fixed key used for synthetic data when no key is set. It is public: never use it on real records."""

MIN_KEY_LENGTH = 16
"""Shortest key accepted, in bytes (a key shorter than this is guessable)."""

PSEUDONYM_HEX_CHARS = 32
"""Length of a child pseudonym: 128 bits of the HMAC, written as hex."""

FEATURE_HEX_CHARS = 16
"""Length of a hashed comparison feature: 64 bits of the HMAC, written as hex."""

NAME_FEATURES = ("name", "soundex", "bigrams")
DOB_FEATURES = ("dob", "dob_swapped", "dob_year", "dob_month", "dob_day")
POSTCODE_FEATURES = ("postcode", "postcode_sector", "postcode_district")

FEATURE_COLUMNS: tuple[str, ...] = (
    *(f"forename_{f}" for f in NAME_FEATURES),
    *(f"surname_{f}" for f in NAME_FEATURES),
    *DOB_FEATURES,
    "sex",
    *POSTCODE_FEATURES,
)
"""The hashed comparison features, in the order :meth:`Pseudonymiser.comparison_features` returns them."""

LIST_FEATURES = ("forename_bigrams", "surname_bigrams")
"""Features that are lists of hashes rather than one hash."""


def is_synthetic(data_dir: Path) -> bool:
    """True if ``data_dir`` holds synthetic data (``truth.json`` with ``"synthetic": true``)."""
    truth = Path(data_dir) / "truth.json"
    if not truth.is_file():
        return False
    try:
        return bool(json.loads(truth.read_text(encoding="utf-8")).get("synthetic", False))
    except (json.JSONDecodeError, AttributeError):
        return False


def resolve_key(*, synthetic: bool, environ: dict[str, str] | None = None) -> bytes:
    """The pseudonymisation key.

    Parameters
    ----------
    synthetic : the data are synthetic, so the demonstration key may stand in for a missing key.
    environ : environment to read (defaults to ``os.environ``).

    Raises
    ------
    ConfigurationError
        On real data when ``OUTCOMES_PSEUDONYM_KEY`` is unset, or when a key is set but too short.
    """
    environ = os.environ if environ is None else environ
    value = environ.get(KEY_VARIABLE, "")
    if value:
        key = value.encode("utf-8")
        if len(key) < MIN_KEY_LENGTH:
            raise ConfigurationError(
                f"{KEY_VARIABLE} is {len(key)} bytes long; a pseudonymisation key needs at least "
                f"{MIN_KEY_LENGTH}. Set it to a long random secret, for example the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`, and keep it out of every output."
            )
        return key
    if synthetic:
        logger.warning(
            "%s is not set: pseudonymising synthetic data with the public demonstration key. "
            "The pseudonyms protect nothing; set %s before linking real records.",
            KEY_VARIABLE,
            KEY_VARIABLE,
        )
        return DEMONSTRATION_KEY
    raise ConfigurationError(
        f"{KEY_VARIABLE} is not set. Identifiers of real children are pseudonymised with a secret key "
        f"before linking: set {KEY_VARIABLE} to a long random secret held by the data controller "
        "(the same key gives the same pseudonyms across runs), then run the command again."
    )


# --- normalisation -------------------------------------------------------------------------------

_NOT_LETTER = re.compile(r"[^A-Z]")
_NOT_ALPHANUMERIC = re.compile(r"[^A-Z0-9]")
_SOUNDEX_CODES = {
    **dict.fromkeys("BFPV", "1"),
    **dict.fromkeys("CGJKQSXZ", "2"),
    **dict.fromkeys("DT", "3"),
    "L": "4",
    **dict.fromkeys("MN", "5"),
    "R": "6",
}


def normalise_name(name: object) -> str | None:
    """Upper case, accents removed, only the letters A to Z kept; ``None`` if nothing is left.

    ``"  O'Brien-Smith "`` and ``"obrien smith"`` both become ``"OBRIENSMITH"``;
    ``"Zoë"`` becomes ``"ZOE"``.
    """
    if name is None or (not isinstance(name, str) and pd.isna(name)):
        return None
    decomposed = unicodedata.normalize("NFKD", str(name))
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    letters = _NOT_LETTER.sub("", ascii_only.upper())
    return letters or None


def normalise_postcode(postcode: object) -> str | None:
    """A UK postcode as ``OUTWARD INWARD`` in upper case; ``None`` if it cannot be a postcode.

    ``"sw1a1aa"`` and ``" SW1A  1AA"`` both become ``"SW1A 1AA"``. A value with
    fewer than 5 or more than 7 letters and digits is treated as missing.
    """
    if postcode is None or (not isinstance(postcode, str) and pd.isna(postcode)):
        return None
    compact = _NOT_ALPHANUMERIC.sub("", str(postcode).upper())
    if not 5 <= len(compact) <= 7:
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def soundex(name: str) -> str:
    """American Soundex of a normalised name (letters A to Z only), for example ``ROBERT`` -> ``R163``.

    Reference: the US National Archives' description of the coding, including
    the rule that letters coded alike either side of H or W are coded once
    (``ASHCRAFT`` -> ``A261``).
    """
    first, rest = name[0], name[1:]
    digits = []
    previous = _SOUNDEX_CODES.get(first, "")
    for letter in rest:
        code = _SOUNDEX_CODES.get(letter, "")
        if code and code != previous:
            digits.append(code)
        if letter not in "HW":
            previous = code
    return (first + "".join(digits) + "000")[:4]


def map_distinct(values: pd.Series, function: Callable[[object], object]) -> pd.Series:
    """``values.map(function)`` computed once per distinct value (missing values stay ``None``).

    Identifiers repeat a great deal in large sources (a few thousand names among
    millions of records), so this is many times faster than mapping every row.
    """
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    mapped = np.empty(len(distinct) + 1, dtype=object)
    mapped[:-1] = [function(value) for value in distinct]
    mapped[-1] = None
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def bigrams(name: str) -> list[str]:
    """The distinct letter pairs of a normalised name, padded so first and last letters count, sorted."""
    padded = f"_{name}_"
    return sorted({padded[i : i + 2] for i in range(len(padded) - 1)})


# --- hashing -------------------------------------------------------------------------------------


class Pseudonymiser:
    """Keyed hashing of child ids and of identifier comparison features.

    Parameters
    ----------
    key : the secret key (see :func:`resolve_key`).
    """

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ConfigurationError("the pseudonymisation key is empty; see resolve_key")
        self._key = key

    def _digest(self, domain: str, value: str, hex_chars: int) -> str:
        message = f"{domain}\x1f{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:hex_chars]

    def _hash_unique(self, values: pd.Series, domain: str, hex_chars: int) -> pd.Series:
        # Hashing each distinct value once: names and dates repeat a great deal in large sources.
        hashed = map_distinct(
            values, lambda value: None if value is None else self._digest(domain, str(value), hex_chars)
        )
        return hashed.astype("string")

    def child_pseudonyms(self, child_ids: pd.Series) -> pd.Series:
        """Pseudonymous child ids (32 hex characters); missing ids stay missing."""
        return self._hash_unique(child_ids.astype("string"), "child_id", PSEUDONYM_HEX_CHARS)

    def hash_feature(self, values: pd.Series, feature: str) -> pd.Series:
        """Keyed hashes (16 hex characters) of one already-derived feature; missing stays missing."""
        return self._hash_unique(values, feature, FEATURE_HEX_CHARS)

    def _hash_list_feature(self, names: pd.Series, feature: str) -> pd.Series:
        # Records of one name share one list object, so a million records cost a million pointers.
        grams = map_distinct(
            names,
            lambda name: sorted({self._digest(feature, gram, FEATURE_HEX_CHARS) for gram in bigrams(name)}),
        )
        lists = grams.to_numpy()
        empty: list[str] = []
        for position in np.flatnonzero(grams.isna().to_numpy()):
            lists[position] = empty
        return pd.Series(lists, index=names.index, dtype=object)

    def comparison_features(
        self,
        *,
        forename: pd.Series,
        surname: pd.Series,
        date_of_birth: pd.Series,
        sex: pd.Series,
        postcode: pd.Series,
    ) -> pd.DataFrame:
        """Hashed comparison features of identifiers, indexed like the inputs.

        Parameters
        ----------
        forename, surname : names as recorded.
        date_of_birth : dates of birth (anything :func:`pandas.to_datetime` reads).
        sex : sex code as recorded.
        postcode : postcode as recorded.

        Returns
        -------
        DataFrame with the columns :data:`FEATURE_COLUMNS`: strings of hex digits
        (missing where the identifier is missing), and for the bigram features
        sorted lists of hashes (empty where the name is missing). No column holds
        a raw or merely normalised identifier.
        """
        features: dict[str, pd.Series] = {}
        for prefix, raw in (("forename", forename), ("surname", surname)):
            names = map_distinct(raw, normalise_name)
            features[f"{prefix}_name"] = self.hash_feature(names, f"{prefix}_name")
            codes = map_distinct(names, lambda n: soundex(n) if isinstance(n, str) else None)
            features[f"{prefix}_soundex"] = self.hash_feature(codes, f"{prefix}_soundex")
            features[f"{prefix}_bigrams"] = self._hash_list_feature(names, f"{prefix}_bigram")

        dob = pd.to_datetime(date_of_birth, errors="coerce")
        known = dob.notna()
        year = dob.dt.year.astype("Int64").astype("string")
        month = dob.dt.month.astype("Int64").astype("string").str.zfill(2)
        day = dob.dt.day.astype("Int64").astype("string").str.zfill(2)
        iso = (year + "-" + month + "-" + day).where(known)
        # The swapped date is hashed in the same domain as the date, so "recorded with day and month
        # swapped" is the equality dob_swapped_l = dob_r. A swap that makes no valid date still hashes.
        swapped = (year + "-" + day + "-" + month).where(known)
        features["dob"] = self.hash_feature(iso, "dob")
        features["dob_swapped"] = self.hash_feature(swapped, "dob")
        features["dob_year"] = self.hash_feature(year.where(known), "dob_year")
        features["dob_month"] = self.hash_feature(month.where(known), "dob_month")
        features["dob_day"] = self.hash_feature(day.where(known), "dob_day")

        sex_code = sex.astype("string").str.strip().replace("", pd.NA)
        features["sex"] = self.hash_feature(sex_code, "sex")

        full = map_distinct(postcode, normalise_postcode)
        sector = map_distinct(full, lambda p: p[:-2] if isinstance(p, str) else None)
        district = map_distinct(full, lambda p: p.split(" ")[0] if isinstance(p, str) else None)
        features["postcode"] = self.hash_feature(full, "postcode")
        features["postcode_sector"] = self.hash_feature(sector, "postcode_sector")
        features["postcode_district"] = self.hash_feature(district, "postcode_district")
        frame = pd.DataFrame(features, index=forename.index)
        return frame[list(FEATURE_COLUMNS)]


def contains_any(values: Iterable[str], haystack: bytes) -> list[str]:
    """The values (case-insensitively, at least 4 characters long) found in ``haystack``; used to check outputs."""
    lowered = haystack.lower()
    found = [v for v in values if isinstance(v, str) and len(v) >= 4 and v.lower().encode() in lowered]
    return sorted(set(found))


def empty_feature_frame(index: pd.Index | None = None) -> pd.DataFrame:
    """A features frame with no rows (for sources that carry no identifiers)."""
    index = index if index is not None else pd.RangeIndex(0)
    frame = pd.DataFrame({c: pd.Series(pd.NA, index=index, dtype="string") for c in FEATURE_COLUMNS})
    for column in LIST_FEATURES:
        frame[column] = pd.Series([[] for _ in range(len(index))], index=index, dtype=object)
    return frame


__all__ = [
    "DEMONSTRATION_KEY",
    "FEATURE_COLUMNS",
    "KEY_VARIABLE",
    "Pseudonymiser",
    "bigrams",
    "is_synthetic",
    "normalise_name",
    "normalise_postcode",
    "resolve_key",
    "soundex",
]
