"""Referrals, placement decisions and stays, simulated month by month.

Each month brings the re-referrals of children who left earlier (drawn from the
re-referral hazard when they left) and new children: for welfare referrals
through the SWCU, as many as make the year's running total follow Table 3; for
remand and justice referrals through the Youth Custody Service, a Poisson
number. Every referral gets its presented behaviours (one-factor Gaussian
copula), a placement decision (the calibrated logistic model for welfare, a
fixed share for the YCS) and, if placed, a stay. Each stay that ends draws the
time to the child's next referral. Work inside a month is vectorised; the only
Python loop is over months (and the rare same-month chains).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from synthetic import calibration
from synthetic.parameters import REREFERRAL_BASELINE_PER_MONTH, REREFERRAL_BREAKS_MONTHS

DAYS_PER_MONTH = 365.25 / 12
PATHWAYS = ("welfare", "remand", "justice")
PATHWAY_CODE = {name: i for i, name in enumerate(PATHWAYS)}
REREFERRAL_LAST_DAYS_BEFORE_18 = 60
"""A re-referral that would fall less than this many days before the 18th birthday is not made."""
LOCAL_AUTHORITY_CODES = np.array(
    [
        *range(201, 214), *range(301, 321), *range(330, 337), *range(340, 345), *range(350, 360),
        *range(370, 385), *range(390, 395), *range(800, 897, 2), *range(908, 939),
    ]
)  # fmt: skip


def to_days(dates: pd.Series | pd.Timestamp | str) -> np.ndarray | int:
    """Dates as whole days since 1970-01-01 (the simulation's internal time scale)."""
    if isinstance(dates, str | pd.Timestamp):
        return int(pd.Timestamp(dates).value // 86_400_000_000_000)
    return pd.to_datetime(dates).to_numpy().astype("datetime64[D]").astype(np.int64)


def add_years(days: np.ndarray, years: int) -> np.ndarray:
    """Add whole calendar years to dates held as days (29 February becomes 28 February, as pandas' DateOffset)."""
    dates = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = dates.astype("datetime64[M]")
    day_of_month = (dates - month.astype("datetime64[D]")).astype(np.int64)
    shifted_month = month + 12 * years
    shifted = shifted_month.astype("datetime64[D]") + day_of_month
    # A day past the end of the target month (only 29 February into a common year) falls back to its last day.
    overflow = shifted.astype("datetime64[M]") != shifted_month
    shifted[overflow] = (shifted_month[overflow] + 1).astype("datetime64[D]") - 1
    return shifted.astype(np.int64)


def choose(rng: np.random.Generator, shares: dict[str, float], size: int) -> np.ndarray:
    """Draw codes with the given shares (normalised)."""
    codes = np.array(list(shares), dtype=object)
    p = np.array(list(shares.values()), dtype=float)
    return codes[rng.choice(len(codes), size=size, p=p / p.sum())]


@dataclass
class Chunks:
    """Columns accumulated chunk by chunk, concatenated once at the end."""

    parts: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, **columns: np.ndarray) -> None:
        for name, values in columns.items():
            self.parts.setdefault(name, []).append(np.asarray(values))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({name: np.concatenate(values) for name, values in self.parts.items()})


@dataclass
class SimulationResult:
    children: pd.DataFrame
    referrals: pd.DataFrame
    stays: pd.DataFrame
    homes: pd.DataFrame
    placement_models: dict[int, calibration.PlacementModel]


def make_homes(rng: np.random.Generator, copies: int) -> pd.DataFrame:
    """13 homes per copy, with the types and places of Table 1 (approved and available split across homes)."""
    rows = []
    regions = ["E12000001", "E12000002", "E12000003", "E12000004", "E12000005", "E12000006", "E12000008",
               "E12000009", "E12000002", "E12000003", "E12000007", "E12000008", "E12000005"]  # fmt: skip
    postcodes = calibration.read_reference(calibration.POSTCODE_FILE)["postcode"].to_numpy()
    urns = rng.choice(np.arange(100_000, 1_000_000), size=13 * copies, replace=False)
    # Distinct postcodes while the sample lasts (scale 100 has more homes than the sample has postcodes).
    home_postcodes = rng.choice(postcodes, size=13 * copies, replace=13 * copies > len(postcodes))
    index = 0
    for copy in range(copies):
        region_index = 0
        for capacity in calibration.home_capacity_2021():
            approved = np.full(capacity.facilities, capacity.approved_places // capacity.facilities)
            approved[: capacity.approved_places % capacity.facilities] += 1
            available = np.full(capacity.facilities, capacity.available_places // capacity.facilities)
            available[: capacity.available_places % capacity.facilities] += 1
            for k in range(capacity.facilities):
                rows.append(
                    {
                        "urn": f"SC{urns[index]:06d}",
                        "name": f"Synthetic secure children's home {copy * 13 + region_index + 1}",
                        "home_type": capacity.home_type,
                        "region": regions[region_index],
                        "places_approved": int(approved[k]),
                        "places_available": int(min(available[k], approved[k])),
                        "postcode": home_postcodes[index],
                    }
                )
                index += 1
                region_index += 1
    return pd.DataFrame(rows)


class Simulator:
    """Month-by-month simulation of referrals and stays (see the module docstring)."""

    def __init__(self, params: dict, *, seed: int, scale: float, start_year: int, end_year: int, data_end: str):
        self.params = params
        self.rng = np.random.default_rng(seed)
        self.scale = scale
        self.start_year = start_year
        self.end_year = end_year
        self.data_end = to_days(data_end)
        self.homes = make_homes(self.rng, max(1, int(round(scale))))
        self.children = Chunks()
        self.referrals = Chunks()
        self.stays = Chunks()
        self.pending = Chunks()
        self.pending_frame: pd.DataFrame | None = None
        self.n_children = 0
        self.n_referrals = 0
        self.n_stays = 0
        self.welfare_count: dict[int, int] = {}
        self.placement_models: dict[int, calibration.PlacementModel] = {}
        totals = calibration.table3_totals()
        self.welfare_target = {
            year: float(totals.loc[calibration.calibration_year(year), "referred_n"]) * scale
            for year in range(start_year, end_year + 1)
        }
        self.welfare_period_end = {
            year: (to_days(totals.loc[year, "period_end"]) if year in totals.index else to_days(f"{year}-12-31"))
            for year in range(start_year, end_year + 1)
        }

    # --- children ------------------------------------------------------------------
    def new_children(self, n: int, pathway: str, referral_day: np.ndarray) -> dict[str, np.ndarray]:
        p = self.params["children"]
        rng = self.rng
        female = rng.random(n) < p["female_share"][pathway]
        age = np.clip(rng.normal(p["age_at_referral_mean"][pathway], p["age_at_referral_sd"][pathway], n), 10.0, 17.8)
        # Ages are capped at 17.8 so that the 18th birthday leaves time to be admitted.
        birth_day = referral_day - np.round(age * 365.25).astype(np.int64)
        too_young = referral_day - birth_day < int(10.1 * 365.25)
        birth_day[too_young] = referral_day[too_young] - int(10.1 * 365.25)
        # Keep whole-month precision: the contract stores the birth month; the day is an identifier.
        first_of_month = pd.DatetimeIndex(birth_day.astype("datetime64[D]")).to_period("M").to_timestamp()
        birth_month = to_days(pd.Series(first_of_month))
        ids = np.arange(self.n_children, self.n_children + n)
        self.n_children += n
        ethnicity = choose(rng, p["ethnicity_share"], n)
        columns = {
            "child_index": ids,
            "female": female,
            "birth_month": birth_month,
            "birth_day": birth_day,
            "ethnicity": ethnicity,
            "local_authority": rng.choice(LOCAL_AUTHORITY_CODES, n),
            "latent": rng.standard_normal(n),
            "first_pathway": np.full(n, PATHWAY_CODE[pathway]),
        }
        self.children.add(**columns)
        return columns

    # --- one batch of referrals ---------------------------------------------------------
    def refer(self, batch: pd.DataFrame) -> None:
        """Decide a batch of referrals (columns: child attributes, referral_day, pathway, previous_stays)."""
        rng = self.rng
        n = len(batch)
        if n == 0:
            return
        referral_day = batch["referral_day"].to_numpy()
        year = pd.DatetimeIndex(referral_day.astype("datetime64[D]")).year.to_numpy()
        pathway = batch["pathway"].to_numpy()
        welfare = pathway == PATHWAY_CODE["welfare"]
        age_years = (referral_day - batch["birth_month"].to_numpy()) / 365.25
        flags = {b: np.full(n, np.nan) for b in calibration.BEHAVIOURS}
        placed = np.zeros(n, dtype=bool)
        for y in np.unique(year):
            in_year = year == y
            for is_welfare in (True, False):
                rows = in_year & (welfare == is_welfare)
                if not rows.any():
                    continue
                latent = batch["latent"].to_numpy()[rows]
                if is_welfare:
                    prevalence = calibration.behaviour_prevalence(int(y))
                else:
                    prevalence = dict(self.params["ycs_referrals"]["behaviour_prevalence"])
                    if y < 2020:
                        for b in calibration.RECORDED_FROM_2020:
                            prevalence[b] = np.nan
                drawn = calibration.draw_behaviours(rng, latent, prevalence)
                for b in calibration.BEHAVIOURS:
                    flags[b][rows] = drawn[b]
                if is_welfare:
                    model = self.placement_model(int(y))
                    eta = model.linear_predictor(
                        {b: np.nan_to_num(drawn[b]) for b in model.behaviour_coef},
                        batch["female"].to_numpy()[rows].astype(float),
                        np.floor(age_years[rows]),
                        (batch["previous_stays"].to_numpy()[rows] > 0).astype(float),
                    )
                    placed[rows] = rng.random(rows.sum()) < special.expit(eta)
                else:
                    share = np.where(
                        pathway[rows] == PATHWAY_CODE["remand"],
                        self.params["ycs_referrals"]["placed_share"]["remand"],
                        self.params["ycs_referrals"]["placed_share"]["justice"],
                    )
                    placed[rows] = rng.random(rows.sum()) < share
        wp = self.params["welfare_referrals"]
        decision_day = referral_day + rng.integers(0, wp["decision_delay_days_max"] + 1, n)
        admission_day = decision_day + rng.integers(0, self.params["stays"]["admission_delay_days_max"] + 1, n)
        turns_18 = add_years(batch["birth_month"].to_numpy(), 18)
        placed &= admission_day < turns_18 - 1
        placed &= admission_day <= self.data_end
        alternative = np.where(
            welfare,
            choose(rng, wp["alternative_setting_share"], n),
            choose(rng, self.params["ycs_referrals"]["alternative_setting_share"], n),
        )
        alternative = np.where(placed, None, alternative)
        ids = np.arange(self.n_referrals, self.n_referrals + n)
        self.n_referrals += n
        for y in np.unique(year[welfare]):
            self.welfare_count[int(y)] = self.welfare_count.get(int(y), 0) + int((welfare & (year == y)).sum())
        urn = np.full(n, None, dtype=object)
        urn[placed] = self.choose_homes(pathway[placed])
        self.referrals.add(
            referral_index=ids,
            child_index=batch["child_index"].to_numpy(),
            referral_day=referral_day,
            decision_day=decision_day,
            pathway=pathway,
            placed=placed,
            urn=urn,
            alternative_setting=alternative,
            **{f"b_{b}": flags[b] for b in calibration.BEHAVIOURS},
        )
        self.admit(batch[placed], ids[placed], admission_day[placed], urn[placed], flags, placed)

    def placement_model(self, year: int) -> calibration.PlacementModel:
        if year not in self.placement_models:
            p = self.params["children"]
            self.placement_models[year] = calibration.fit_placement_model(
                year,
                p["female_share"]["welfare"],
                p["age_at_referral_mean"]["welfare"],
                p["age_at_referral_sd"]["welfare"],
                self.params["welfare_referrals"]["previous_stay_share_assumed_in_fit"],
            )
        return self.placement_models[year]

    def choose_homes(self, pathway: np.ndarray) -> np.ndarray:
        homes = self.homes
        welfare_ok = homes["home_type"].isin(["welfare_only", "mixed"]).to_numpy()
        justice_ok = homes["home_type"].isin(["justice_only", "mixed"]).to_numpy()
        weights = homes["places_approved"].to_numpy(dtype=float)
        out = np.empty(len(pathway), dtype=object)
        for ok, rows in ((welfare_ok, pathway == 0), (justice_ok, pathway != 0)):
            p = weights * ok
            out[rows] = homes["urn"].to_numpy()[self.rng.choice(len(homes), rows.sum(), p=p / p.sum())]
        return out

    # --- stays -------------------------------------------------------------------------
    def admit(self, batch, referral_ids, admission_day, urn, flags, placed_mask) -> None:
        rng = self.rng
        n = len(batch)
        if n == 0:
            return
        sp = self.params["stays"]
        pathway = batch["pathway"].to_numpy()
        los = np.zeros(n)
        legal_basis = np.empty(n, dtype=object)
        destination = np.empty(n, dtype=object)
        plan = np.zeros(n, dtype=bool)
        for name, code in PATHWAY_CODE.items():
            rows = pathway == code
            k = int(rows.sum())
            if not k:
                continue
            lognormal = sp["length_of_stay_lognormal"][name]
            los[rows] = np.exp(np.log(lognormal["median_days"]) + lognormal["sigma"] * rng.standard_normal(k))
            legal_basis[rows] = choose(rng, sp["legal_basis_share"][name], k)
            destination[rows] = choose(rng, sp["destination_share"][name], k)
            plan[rows] = rng.random(k) < sp["transition_plan_share"][name]
        turns_18 = add_years(batch["birth_month"].to_numpy(), 18)
        discharge = np.minimum(admission_day + np.maximum(np.round(los).astype(np.int64), 1), turns_18 - 1)
        discharge = np.maximum(discharge, admission_day)
        open_stay = discharge > self.data_end
        ids = np.arange(self.n_stays, self.n_stays + n)
        self.n_stays += n
        self.stays.add(
            stay_index=ids,
            child_index=batch["child_index"].to_numpy(),
            referral_index=referral_ids,
            urn=urn,
            admission_day=admission_day,
            discharge_day=np.where(open_stay, -1, discharge),
            pathway=pathway,
            legal_basis=legal_basis,
            destination=np.where(open_stay, None, destination),
            transition_plan=np.where(open_stay, -1, plan.astype(int)),
            # The length of stay the re-referral hazard used (before the cap at 18), so the truth can repeat it.
            rereferral_los_days=np.round(los),
            self_harm_behaviour=np.nan_to_num(flags["self_harm"][placed_mask]).astype(bool),
            challenging_behaviour=np.nan_to_num(flags["challenging_behaviour"][placed_mask]).astype(bool),
            mental_health_behaviour=np.nan_to_num(flags["mental_health"][placed_mask]).astype(bool),
        )
        left = ~open_stay
        self.draw_rereferrals(batch[left], discharge[left], los[left], plan[left], turns_18[left])

    def rereferral_linear_predictor(self, pathway, los_days, age_at_exit, plan) -> np.ndarray:
        hr = self.params["rereferral_hazard"]["hazard_ratio"]
        return (
            np.log(hr["pathway_remand"]) * (pathway == PATHWAY_CODE["remand"])
            + np.log(hr["pathway_justice"]) * (pathway == PATHWAY_CODE["justice"])
            + np.log(hr["short_stay_under_90_nights"]) * (los_days < 90)
            + np.log(hr["age_at_exit_per_year_over_15"]) * (age_at_exit - 15)
            + np.log(hr["transition_plan"]) * plan
        )

    def draw_rereferrals(self, batch, discharge, los, plan, turns_18) -> None:
        rng = self.rng
        n = len(batch)
        if n == 0:
            return
        pathway = batch["pathway"].to_numpy()
        age_at_exit = np.floor((discharge - batch["birth_month"].to_numpy()) / 365.25)
        eta = self.rereferral_linear_predictor(pathway, np.round(los), age_at_exit, plan)
        months = invert_piecewise_exponential(rng.exponential(size=n) / np.exp(eta))
        next_day = discharge + np.maximum(np.ceil(months * DAYS_PER_MONTH).astype(np.int64), 1)
        # A referral in the last 60 days before the 18th birthday is not made (no time left to place the child);
        # synthetic.truth.rereferral_truth repeats this rule (REREFERRAL_LAST_DAYS_BEFORE_18) for the age-limited risk.
        keep = (next_day <= self.data_end) & (next_day < turns_18 - REREFERRAL_LAST_DAYS_BEFORE_18)
        if not keep.any():
            return
        shares = self.params["rereferral_hazard"]["next_pathway_share"]
        next_pathway = np.empty(n, dtype=np.int64)
        for name, code in PATHWAY_CODE.items():
            rows = pathway == code
            drawn = choose(rng, shares[name], int(rows.sum()))
            next_pathway[rows] = [PATHWAY_CODE[x] for x in drawn]
        chosen = batch[keep].copy()
        chosen["referral_day"] = next_day[keep]
        chosen["pathway"] = next_pathway[keep]
        chosen["previous_stays"] = chosen["previous_stays"].to_numpy() + 1
        self.pending.add(**{c: chosen[c].to_numpy() for c in chosen.columns})

    def take_pending(self, until_day: int) -> pd.DataFrame:
        if self.pending.parts:
            new = self.pending.frame()
            self.pending = Chunks()
            self.pending_frame = new if self.pending_frame is None else pd.concat([self.pending_frame, new])
        if self.pending_frame is None or self.pending_frame.empty:
            return pd.DataFrame()
        due = self.pending_frame["referral_day"].to_numpy() <= until_day
        out = self.pending_frame[due]
        self.pending_frame = self.pending_frame[~due]
        return out

    # --- the monthly loop ---------------------------------------------------------------
    def run(self) -> SimulationResult:
        months = pd.date_range(f"{self.start_year}-01-01", pd.Timestamp(self.data_end, unit="D"), freq="MS")
        ycs = self.params["ycs_referrals"]["referrals_per_year"]
        for month_start in months:
            start = to_days(month_start)
            end = to_days(month_start + pd.offsets.MonthEnd(0))
            year = month_start.year
            due = self.take_pending(end)
            batches = [due] if len(due) else []
            if year <= self.end_year:
                batches.append(self.new_welfare_batch(year, start, end, due))
                for pathway in ("remand", "justice"):
                    n = int(self.rng.poisson(ycs[pathway] * self.scale / 12))
                    batches.append(self.new_batch(n, pathway, start, end))
            batch = pd.concat([b for b in batches if len(b)], ignore_index=True) if batches else pd.DataFrame()
            while len(batch):
                self.refer(batch.sort_values(["referral_day", "child_index"], kind="stable"))
                batch = self.take_pending(end)
        return SimulationResult(
            children=self.children.frame(),
            referrals=self.referrals.frame(),
            stays=self.stays.frame(),
            homes=self.homes,
            placement_models=self.placement_models,
        )

    def new_welfare_batch(self, year: int, start: int, end: int, due: pd.DataFrame) -> pd.DataFrame:
        period_end = self.welfare_period_end[year]
        if start > period_end:
            return pd.DataFrame()
        year_start = to_days(f"{year}-01-01")
        elapsed = (min(end, period_end) - year_start + 1) / (period_end - year_start + 1)
        target = int(round(self.welfare_target[year] * elapsed))
        due_welfare = int((due["pathway"] == 0).sum()) if len(due) else 0
        n = max(0, target - self.welfare_count.get(year, 0) - due_welfare)
        return self.new_batch(n, "welfare", start, min(end, period_end))

    def new_batch(self, n: int, pathway: str, start: int, end: int) -> pd.DataFrame:
        if n == 0:
            return pd.DataFrame()
        referral_day = np.sort(self.rng.integers(start, end + 1, n))
        child = self.new_children(n, pathway, referral_day)
        return pd.DataFrame(
            {
                "child_index": child["child_index"],
                "female": child["female"],
                "birth_month": child["birth_month"],
                "latent": child["latent"],
                "referral_day": referral_day,
                "pathway": np.full(n, PATHWAY_CODE[pathway]),
                "previous_stays": np.zeros(n, dtype=np.int64),
            }
        )


def invert_piecewise_exponential(target: np.ndarray) -> np.ndarray:
    """Months t at which the baseline cumulative hazard H0(t) reaches ``target``."""
    breaks = np.array(REREFERRAL_BREAKS_MONTHS)
    rates = np.array(REREFERRAL_BASELINE_PER_MONTH)
    widths = np.diff(breaks)
    cumulative = np.concatenate([[0.0], np.cumsum(rates[:-1] * widths)])
    piece = np.searchsorted(cumulative, target, side="right") - 1
    return breaks[piece] + (target - cumulative[piece]) / rates[piece]


def baseline_cumulative_hazard(months: np.ndarray | float) -> np.ndarray:
    """H0(t) of the piecewise-exponential re-referral model."""
    t = np.atleast_1d(np.asarray(months, dtype=float))
    breaks = np.array(REREFERRAL_BREAKS_MONTHS)
    rates = np.array(REREFERRAL_BASELINE_PER_MONTH)
    upper = np.append(breaks[1:], np.inf)
    exposure = np.clip(t[:, None] - breaks[None, :], 0, (upper - breaks)[None, :])
    return exposure @ rates
