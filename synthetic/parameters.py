"""Every assumed parameter of the synthetic cohort, in one place.

Figures calibrated to published tables live in :mod:`synthetic.calibration`;
everything here is an assumption (no published figure exists) chosen to be
plausible, and every value is written to ``truth.json`` so an analysis can be
checked against the truth it should recover.
"""

from __future__ import annotations

import copy
from typing import Any

# Hazard of a re-referral after discharge: piecewise-exponential, months since discharge.
REREFERRAL_BREAKS_MONTHS: tuple[float, ...] = (0.0, 3.0, 6.0, 12.0, 24.0)
REREFERRAL_BASELINE_PER_MONTH: tuple[float, ...] = (0.045, 0.030, 0.020, 0.012, 0.006)

DEFAULTS: dict[str, Any] = {
    "children": {
        "female_share": {"welfare": 0.52, "remand": 0.06, "justice": 0.05},
        "age_at_referral_mean": {"welfare": 14.6, "remand": 15.9, "justice": 16.1},
        "age_at_referral_sd": {"welfare": 1.3, "remand": 1.0, "justice": 0.9},
        "ethnicity_share": {
            "WBRI": 0.62,
            "WOTH": 0.03,
            "WIRT": 0.01,
            "MWBC": 0.07,
            "MWBA": 0.01,
            "MWAS": 0.01,
            "MOTH": 0.04,
            "AIND": 0.01,
            "APKN": 0.02,
            "ABAN": 0.01,
            "AOTH": 0.01,
            "BCRB": 0.05,
            "BAFR": 0.05,
            "BOTH": 0.03,
            "CHNE": 0.002,
            "OOTH": 0.02,
            "REFU": 0.003,
            "NOBT": 0.005,
        },
        "local_authority_codes": "152 English local authorities, codes 201-213, 301-320, 330-336, 340-344, "
        "350-359, 370-384, 390-394, 800-896, 908-938 (a synthetic list shaped like DfE's)",
    },
    "welfare_referrals": {
        "route": "swcu",
        "note": "Per year, referred_n of table3_swcu_totals.csv times scale, spread evenly over the months up to "
        "period_end; re-referrals of earlier leavers count towards the year's total, new children make up the rest.",
        "previous_stay_share_assumed_in_fit": 0.2,
        "decision_delay_days_max": 3,
        "decision_date_missing_share": 0.02,
        "alternative_setting_share": {
            "residential_childrens_home": 0.48,
            "yoi": 0.09,
            "unregulated": 0.15,
            "foster_care": 0.10,
            "hospital": 0.08,
            "secure_training_centre": 0.02,
            "other": 0.08,
        },
    },
    "ycs_referrals": {
        "route": "ycs",
        "referrals_per_year": {"remand": 380.0, "justice": 220.0},
        "placed_share": {"remand": 0.45, "justice": 0.42},
        "alternative_setting_share": {"yoi": 0.82, "secure_training_centre": 0.18},
        "behaviour_prevalence": {
            "absconding": 0.35,
            "adoption_breakdown": 0.02,
            "challenging_behaviour": 0.70,
            "criminal_exploitation": 0.45,
            "disclosed_abuse": 0.30,
            "fire_setting": 0.05,
            "gang_affiliated": 0.45,
            "mental_health": 0.40,
            "offending_behaviour": 1.0,
            "self_harm": 0.25,
            "sexual_exploitation": 0.05,
            "sexualised_behaviour": 0.05,
            "sexually_harmful_behaviour": 0.08,
            "substance_misuse": 0.65,
        },
    },
    "stays": {
        "admission_delay_days_max": 2,
        "length_of_stay_lognormal": {
            "welfare": {"median_days": 95.0, "sigma": 0.70},
            "remand": {"median_days": 62.0, "sigma": 0.80},
            "justice": {"median_days": 120.0, "sigma": 0.65},
        },
        "legal_basis_share": {
            "welfare": {"section_25": 1.0},
            "remand": {"remand": 0.96, "pace": 0.04},
            "justice": {"dto": 0.74, "section_250": 0.23, "section_259": 0.03},
        },
        "destination_share": {
            "welfare": {
                "family": 0.18,
                "foster_care": 0.12,
                "childrens_home": 0.42,
                "semi_independent": 0.10,
                "another_secure_home": 0.04,
                "hospital": 0.05,
                "other": 0.05,
                "not_known": 0.04,
            },
            "remand": {
                "family": 0.45,
                "foster_care": 0.06,
                "childrens_home": 0.12,
                "semi_independent": 0.06,
                "yoi": 0.14,
                "secure_training_centre": 0.03,
                "other": 0.06,
                "not_known": 0.08,
            },
            "justice": {
                "family": 0.52,
                "foster_care": 0.05,
                "childrens_home": 0.12,
                "semi_independent": 0.12,
                "independent": 0.03,
                "yoi": 0.08,
                "other": 0.04,
                "not_known": 0.04,
            },
        },
        "transition_plan_share": {"welfare": 0.62, "remand": 0.35, "justice": 0.70},
        "transition_plan_missing_share": 0.03,
        "discharge_at_18": "a stay still running the day before the 18th birthday ends that day",
    },
    "rereferral_hazard": {
        "model": "piecewise exponential in months since discharge: h(t) = baseline(t) * exp(sum(log_hr * x))",
        "breaks_months": list(REREFERRAL_BREAKS_MONTHS),
        "baseline_per_month": list(REREFERRAL_BASELINE_PER_MONTH),
        "reference": "welfare pathway, stay of 90 nights or more, age 15 at exit, no transition plan",
        "hazard_ratio": {
            "pathway_remand": 1.5,
            "pathway_justice": 1.25,
            "short_stay_under_90_nights": 1.3,
            "age_at_exit_per_year_over_15": 0.85,
            "transition_plan": 0.6,
        },
        "censoring": "events fall only before the data end date and while the child can still be admitted "
        "(referral before 17 years 10 months; no referral at 18 or over)",
        "next_pathway_share": {
            "welfare": {"welfare": 0.82, "remand": 0.13, "justice": 0.05},
            "remand": {"welfare": 0.15, "remand": 0.50, "justice": 0.35},
            "justice": {"welfare": 0.10, "remand": 0.45, "justice": 0.45},
        },
    },
    "looked_after": {
        "share_looked_after": {"welfare": 1.0, "remand": 1.0, "justice": 0.35},
        "note": "welfare children are in care (C2 or V2); remanded children are looked after (J1) during "
        "remand; sentenced children are looked after only if already in care.",
        "legal_status_share_welfare": {"C2": 0.62, "C1": 0.08, "V2": 0.30},
        "care_start_before_admission_days": {"min": 30, "max": 1460},
        "placement_before_stay_share": {
            "K2": 0.50,
            "U6": 0.15,
            "U4": 0.05,
            "H5": 0.10,
            "P1": 0.05,
            "R1": 0.05,
            "Z1": 0.10,
        },
        "moves_per_year_after_exit": {"transition_plan": 0.9, "no_transition_plan": 1.6},
        "placement_after_exit_share": {
            "foster_care": {"U6": 0.7, "U4": 0.2, "U3": 0.1},
            "childrens_home": {"K2": 1.0},
            "semi_independent": {"H5": 1.0},
            "family": {"P1": 1.0},
            "other": {"K2": 0.5, "H5": 0.3, "U6": 0.2},
        },
        "care_ends_on_family_destination_share": 0.5,
        "death_rate_per_year": 0.0,
        "death_note": "no deaths are generated; a death would be recorded as REC E2 in care_episodes",
    },
    "incidents": {
        "rate_per_1000_nights": {"self_harm": 12.0, "restraint": 25.0, "missing": 0.8, "assault": 6.0},
        "self_harm_rate_ratio_if_self_harm_behaviour": 2.5,
        "restraint_rate_ratio_if_challenging_behaviour": 1.5,
    },
    "mental_health": {
        "assessed_share": 0.92,
        "assessment_within_days_max": 14,
        "need_identified_share": {"mental_health_behaviour": 0.78, "otherwise": 0.42},
        "need_met_share": 0.72,
        "need_met_days_mean": 21.0,
        "need_met_date_missing_share": 0.05,
    },
    "wellbeing": {
        "instrument": "sdq",
        "admission_mean": 21.0,
        "admission_sd": 6.0,
        "discharge_change_mean": -3.0,
        "discharge_change_sd": 4.0,
        "measured_at_admission_share": 0.90,
        "measured_at_discharge_share": 0.80,
    },
    "health_checks": {
        "scope": "SSDA903 OC2: children looked after continuously for 12 months at 31 March (period of care "
        "begun by 1 April and not ceased before 31 March, as DfE's 903 rules read it); main table keeps the "
        "years ending after the first discharge",
        "share_true": {
            "immunisations": 0.82,
            "teeth_check": 0.78,
            "health_assessment": 0.88,
            "substance_misuse": 0.25,
            "convicted": 0.15,
        },
        "convicted_odds_ratio_justice_pathway": 3.0,
        "flag_missing_share": 0.03,
        "sdq_mean": 18.0,
        "sdq_sd": 6.0,
        "sdq_missing_share": 0.25,
    },
    "care_leavers": {
        "scope": "SSDA903 OC3: relevant and former relevant children (looked after 13 weeks in all since the "
        "14th birthday and at some time after the 16th, remand included), one row for every year ending 31 March "
        "in which their 17th to 21st birthday falls, unless still looked after on that birthday (DfE rule 1016); "
        "main table keeps the years ending after the first discharge",
        "in_touch_share": {"YES": 0.88, "NO": 0.06, "REFU": 0.03, "NREQ": 0.01, "RHOM": 0.02},
        "activity_share": {
            "F2": 0.25,
            "P2": 0.05,
            "F4": 0.08,
            "P4": 0.06,
            "F5": 0.05,
            "P5": 0.02,
            "F1": 0.02,
            "G4": 0.09,
            "G5": 0.33,
            "G6": 0.05,
        },
        "eet_odds_ratio_transition_plan": 1.6,
        "accommodation_share": {
            "B1": 0.12,
            "B2": 0.03,
            "D1": 0.22,
            "D2": 0.03,
            "E1": 0.06,
            "K1": 0.05,
            "K2": 0.02,
            "S2": 0.02,
            "T1": 0.08,
            "U1": 0.14,
            "U2": 0.02,
            "X2": 0.07,
            "Y1": 0.04,
            "Z1": 0.05,
            "C1": 0.05,
        },
    },
    "education": {
        "scope": "one row per child per academic year, for every child admitted to a secure home, from the "
        "academic year of the first admission to the data end's academic year, while under 18 on 31 August "
        "before the year (so every leaver of compulsory school age has a row for each year followed)",
        "attendance_mean_pct": {"before_or_during": 72.0, "after_transition_plan": 74.0, "after_no_plan": 62.0},
        "attendance_sd_pct": 18.0,
        "attendance_missing_share": 0.12,
        "attainment8": "sat in the academic year the child starts aged 15; normal(mean 19, sd 11) clipped to 0-90",
        "attainment8_mean": 19.0,
        "attainment8_sd": 11.0,
        "attainment8_missing_share": 0.15,
        "in_eet_share": {"age_under_16": 0.88, "age_16_17": 0.55},
        "in_eet_missing_share": 0.05,
    },
    "identifier_errors": {
        "note": "per record of unlinked/ follow-up sources, independently; surname and date of birth are never "
        "missing because the contract rejects a record without both (it could not be linked)",
        "forename_typo": 0.03,
        "forename_missing": 0.01,
        "surname_typo": 0.03,
        "surname_changed": 0.02,
        "surname_missing": 0.0,
        "dob_day_month_swapped": 0.015,
        "dob_day_typo": 0.01,
        "dob_missing": 0.0,
        "sex_missing": 0.01,
        "postcode_moved": 0.10,
        "postcode_missing": 0.03,
    },
}


def defaults() -> dict[str, Any]:
    """A fresh copy of the assumed parameters."""
    return copy.deepcopy(DEFAULTS)
