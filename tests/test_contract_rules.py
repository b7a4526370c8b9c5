"""Every rule of the data contract has a failing case and a passing case.

The rules are enumerated from the declarations themselves (the pandera models'
field and row checks, the parse rule of every typed column, the future-date
rule of every date column, and ``CROSS_TABLE_RULES``), so a rule added to the
contract without a case here fails :func:`test_every_declared_rule_has_a_case`.

Rules within one table are judged in a batch per table: each case is one extra
row, a copy of a valid fixture row with a fresh key and the case's edits, so a
reject names that row's own line. Cross-table rules need the whole folder and
are judged one case at a time with :func:`outcomes.loading.load_data`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from contract_fixtures import TODAY, VALID_FILES, csv_text, read_rows, write_valid_folder

from outcomes.contract.codes import CODE_LISTS
from outcomes.contract.rules import CROSS_TABLE_RULES, LOADER_RULES, REJECT, WARNING
from outcomes.contract.tables import EARLIEST_DATE, TABLES
from outcomes.loading import LoadResult, load_data, validate_file
from outcomes.reading import MAX_FIELD_CHARACTERS

WITHHELD = "<identifier withheld>"


# --- the rules the contract declares -------------------------------------------------------------------------


def column_kind(table: str, column: str) -> str:
    """How a column is written in a file: text, date, month, boolean, integer or number."""
    spec = TABLES[table].columns[column]
    dtype = str(spec.dtype)
    if dtype.startswith("datetime"):
        return "month" if (spec.metadata or {}).get("format") == "YYYY-MM" else "date"
    return {"boolean": "boolean", "Int64": "integer", "Float64": "number"}.get(dtype, "text")


def declared_rules() -> set[str]:
    """Every rule declared in the contract, named ``table.column:check``, ``table:row_check`` or a rule code."""
    rules = {"P00", "P01"}  # a malformed line; a value longer than the contract accepts
    for name, table in TABLES.items():
        schema = table.schema
        for column_name, column in schema.columns.items():
            if not column.nullable:
                rules.add(f"{name}.{column_name}:not_nullable")
            if column.unique:
                rules.add(f"{name}.{column_name}:unique")
            rules |= {f"{name}.{column_name}:{check.name}" for check in column.checks}
            kind = column_kind(name, column_name)
            if kind != "text":
                rules.add(f"{name}.{column_name}:parse")
            if kind in ("date", "month"):
                rules.add(f"{name}.{column_name}:future")
        if len(table.key) > 1:
            rules.add(f"{name}:key")
        rules |= {f"{name}:{check.name}" for check in schema.checks}
    rules |= {rule.code for rule in CROSS_TABLE_RULES}
    rules |= {rule.code for rule in LOADER_RULES if rule.severity == WARNING}  # dates after the data end
    return rules


# --- cases of the rules within one table ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # each case is its own row, compared by identity
class Case:
    """One row that breaks (or, for a passing case, keeps) a rule.

    ``edits`` are applied to a copy of fixture row ``base`` of ``table`` (which gets a fresh key first).
    A failing case expects a reject of ``code`` naming ``column`` with ``value`` and a rule containing
    ``rule``; ``also`` are codes that may accompany it (a date before 1990 also breaks a date order rule).
    """

    rule_id: str
    table: str
    edits: dict[str, str]
    fails: bool
    column: str = ""
    code: str = ""
    rule: str = ""
    value: str | None = None
    base: int = 0
    also: frozenset[str] = field(default_factory=frozenset)

    @property
    def id(self) -> str:
        shown = ",".join(f"{k}={v[:12]}" for k, v in self.edits.items())
        return f"{self.rule_id}[{'bad' if self.fails else 'good'}:{shown}]"


def _shown(table: str, column: str, value: str) -> str:
    return WITHHELD if column in TABLES[table].pii_columns and value else value


def fail(rule_id, table, edits, column, code, rule, *, value=None, base=0, also=()) -> Case:
    if value is None:
        value = _shown(table, column, edits.get(column, ""))
    return Case(rule_id, table, edits, True, column, code, rule, value, base, frozenset(also))


def keep(rule_id, table, edits, *, base=0) -> Case:
    return Case(rule_id, table, edits, False, base=base)


# Base rows where row 0 would break another rule with the edited column (for example an alternative
# setting on a placed referral).
BASE_ROW = {
    ("referrals", "alternative_setting"): 2,
    ("care_leavers", "activity"): 0,
    ("wellbeing", "instrument"): 0,
}
# An end date whose order rule ties it to a start date: a good date there must not fall before the start.
END_DATES = {
    ("referrals", "decision_date"): "referral_date",
    ("stays", "discharge_date"): "admission_date",
    ("care_episodes", "dec"): "decom",
    ("mental_health", "need_met_date"): "assessment_date",
}
ALTERNATIVE_SPELLINGS = {"true": "Yes", "false": "0", "": "T"}
BAD_PARSE = {
    "date": ("31/12/2020", "date must be written YYYY-MM-DD"),
    "month": ("2006-04-01", "date must be written YYYY-MM"),
    "boolean": ("maybe", "must be true or false"),
    "integer": ("2.5", "must be a whole number"),
    "number": ("abc", "must be a number"),
}
FUTURE = "date is in the future (after 2024-01-01)"


def _generated_cases() -> list[Case]:
    """Cases of the rules every column of a kind shares: required, unique, codes, lengths, dates, parsing."""
    cases: list[Case] = []
    for name, table in TABLES.items():
        header, rows = read_rows(name)
        for column_name, column in table.columns.items():
            kind = column_kind(name, column_name)
            base = BASE_ROW.get((name, column_name), 0)
            start = END_DATES.get((name, column_name))
            if not column.nullable:
                rule_id = f"{name}.{column_name}:not_nullable"
                cases.append(fail(rule_id, name, {column_name: ""}, column_name, "T02", "a value is required"))
                cases.append(keep(rule_id, name, {}))
            if column.unique:
                rule_id = f"{name}.{column_name}:unique"
                first = rows[0][column_name]
                cases.append(fail(rule_id, name, {column_name: first}, column_name, "T08", "first seen on row 2"))
                cases.append(keep(rule_id, name, {}))
            for check in column.checks:
                rule_id = f"{name}.{column_name}:{check.name}"
                if check.name == "isin":
                    code_list = CODE_LISTS[column.metadata["codes"]]
                    cases.append(
                        fail(rule_id, name, {column_name: "ZZZ"}, column_name, "T01", code_list.__name__, base=base)
                    )
                    # Every code of the list is accepted, one row each.
                    cases += [keep(rule_id, name, {column_name: code}, base=base) for code in code_list.codes()]
                elif check.name == "str_length":
                    too_long, longest = "X" * 65, "X" * 64
                    cases.append(fail(rule_id, name, {column_name: too_long}, column_name, "T06", "1 to 64"))
                    cases.append(keep(rule_id, name, {column_name: longest}))
                elif check.name == "greater_than_or_equal_to" and kind in ("date", "month"):
                    assert check.statistics["min_value"] == EARLIEST_DATE
                    before, first_day = ("1989-12", "1990-01") if kind == "month" else ("1989-12-31", "1990-01-01")
                    if column_name == "snapshot_date":  # must also be a 31 March
                        before, first_day = "1989-03-31", "1990-03-31"
                    good = {column_name: first_day} | ({start: first_day} if start else {})
                    shown = f"{before}-01" if kind == "month" else before
                    cases.append(
                        fail(
                            rule_id,
                            name,
                            {column_name: before},
                            column_name,
                            "T03",
                            "before 1990-01-01",
                            value=_shown(name, column_name, shown),
                            also={"T09"},
                        )
                    )
                    cases.append(keep(rule_id, name, good))
            if kind != "text":
                rule_id = f"{name}.{column_name}:parse"
                bad, message = BAD_PARSE[kind]
                cases.append(fail(rule_id, name, {column_name: bad}, column_name, "P02", message))
                written = rows[0].get(column_name, "")
                if kind == "boolean":
                    cases.append(keep(rule_id, name, {column_name: ALTERNATIVE_SPELLINGS[written]}))
                elif kind == "integer" and written:
                    cases.append(keep(rule_id, name, {column_name: f" {written}.0 "}))
                else:
                    cases.append(keep(rule_id, name, {column_name: written}))
            if kind in ("date", "month"):
                rule_id = f"{name}.{column_name}:future"
                later = {"date": "2030-03-31", "month": "2030-03"}[kind]
                shown = _shown(name, column_name, "2030-03-31" if kind == "date" else "2030-03-01")
                cases.append(
                    fail(rule_id, name, {column_name: later}, column_name, "T10", FUTURE, value=shown, also={"T09"})
                )
                today = TODAY.strftime("%Y-%m-%d" if kind == "date" else "%Y-%m")
                if column_name == "snapshot_date":
                    today = "2023-03-31"
                good = {column_name: today}
                if (name, column_name) in {(t, s) for (t, _), s in END_DATES.items()}:
                    good = {}  # a start date of today would follow its end date; the base row keeps the rule
                cases.append(keep(rule_id, name, good))
    return cases


def _range(rule_id, table, bad, good, column, bound, *, base=0) -> list[Case]:
    side = "greater than or equal to" if rule_id.endswith("greater_than_or_equal_to") else "less than or equal to"
    return [
        fail(rule_id, table, bad, column, "T04", f"out of range ({side} {bound})", base=base, also={"T09"}),
        keep(rule_id, table, good, base=base),
    ]


def _row(rule_id, table, bad, good, column, rule, *, value=None, base=0) -> list[Case]:
    return [
        fail(rule_id, table, bad, column, "T09", rule, value=value, base=base),
        keep(rule_id, table, good, base=base),
    ]


HAND_WRITTEN: list[Case] = [
    # patterns
    fail("children.local_authority:str_matches", "children", {"local_authority": "20"}, "local_authority", "T05", r"\d{3}"),
    fail("children.local_authority:str_matches", "children", {"local_authority": "2020"}, "local_authority", "T05", "^"),
    keep("children.local_authority:str_matches", "children", {"local_authority": "999"}),
    fail("homes.urn:str_matches", "homes", {"urn": "SC12345"}, "urn", "T05", r"^SC\d{6}$"),
    fail("homes.urn:str_matches", "homes", {"urn": "XX123456"}, "urn", "T05", r"^SC\d{6}$"),
    keep("homes.urn:str_matches", "homes", {"urn": "SC999999"}),
    # a custom column check
    fail("home_capacity.snapshot_date:is_31_march", "home_capacity", {"snapshot_date": "2021-03-30"},
         "snapshot_date", "T07", "snapshot_date must be a 31 March"),
    fail("home_capacity.snapshot_date:is_31_march", "home_capacity", {"snapshot_date": "2021-04-01"},
         "snapshot_date", "T07", "snapshot_date must be a 31 March"),
    keep("home_capacity.snapshot_date:is_31_march", "home_capacity", {"snapshot_date": "2021-03-31"}),
    # composite key
    fail("home_capacity:key", "home_capacity", {"urn": "SC000001", "snapshot_date": "2020-03-31"},
         "urn+snapshot_date", "T08", "duplicate key: first seen on row 2", value="SC000001 | 2020-03-31"),
    keep("home_capacity:key", "home_capacity", {"urn": "SC000001", "snapshot_date": "2021-03-31"}),
    # numeric ranges, at their bounds
    *_range("home_capacity.places_approved:greater_than_or_equal_to", "home_capacity", {"places_approved": "-1"},
            {"places_approved": "0", "places_available": "0", "children_accommodated": "0"}, "places_approved", 0),
    *_range("home_capacity.places_available:greater_than_or_equal_to", "home_capacity", {"places_available": "-1"},
            {"places_available": "0"}, "places_available", 0),
    *_range("home_capacity.children_accommodated:greater_than_or_equal_to", "home_capacity",
            {"children_accommodated": "-1"}, {"children_accommodated": "0"}, "children_accommodated", 0),
    *_range("wellbeing.score:greater_than_or_equal_to", "wellbeing", {"score": "-0.5"}, {"score": "0"}, "score", 0),
    *_range("wellbeing.score:less_than_or_equal_to", "wellbeing", {"score": "40.5"}, {"score": "40"}, "score", 40),
    *_range("health_checks.sdq_score:greater_than_or_equal_to", "health_checks", {"sdq_score": "-1"},
            {"sdq_score": "0"}, "sdq_score", 0),
    *_range("health_checks.sdq_score:less_than_or_equal_to", "health_checks", {"sdq_score": "41"},
            {"sdq_score": "40"}, "sdq_score", 40),
    *_range("education.academic_year:greater_than_or_equal_to", "education", {"academic_year": "1989"},
            {"academic_year": "1990"}, "academic_year", 1990),
    *_range("education.academic_year:less_than_or_equal_to", "education", {"academic_year": "2101"},
            {"academic_year": "2100"}, "academic_year", 2100),
    *_range("education.attendance_pct:greater_than_or_equal_to", "education", {"attendance_pct": "-0.1"},
            {"attendance_pct": "0"}, "attendance_pct", 0),
    *_range("education.attendance_pct:less_than_or_equal_to", "education", {"attendance_pct": "100.1"},
            {"attendance_pct": "100"}, "attendance_pct", 100),
    *_range("education.attainment8:greater_than_or_equal_to", "education", {"attainment8": "-1.5"},
            {"attainment8": "0"}, "attainment8", 0),
    *_range("education.attainment8:less_than_or_equal_to", "education", {"attainment8": "90.5"},
            {"attainment8": "90"}, "attainment8", 90),
    # row rules
    *_row("referrals:decision_not_before_referral", "referrals", {"decision_date": "2020-03-01"},
          {"decision_date": "2020-03-02"}, "referral_date+decision_date", "decision_date must be on or after",
          value="2020-03-02 | 2020-03-01"),
    *_row("referrals:placed_names_home", "referrals", {"urn": ""}, {"placed": "false", "urn": "",
          "alternative_setting": "yoi"}, "placed+urn+alternative_setting", "a placed referral names its home",
          value="True |  | "),
    fail("referrals:placed_names_home", "referrals", {"alternative_setting": "yoi"}, "placed+urn+alternative_setting",
         "T09", "a placed referral names its home", value="True | SC000001 | yoi"),
    *_row("home_capacity:available_within_approved", "home_capacity", {"places_available": "9"},
          {"places_available": "8"}, "places_approved+places_available", "places_available must not exceed",
          value="8 | 9"),
    *_row("home_capacity:accommodated_within_approved", "home_capacity", {"children_accommodated": "9"},
          {"children_accommodated": "8"}, "places_approved+children_accommodated",
          "children_accommodated must not exceed", value="8 | 9"),
    *_row("stays:discharge_not_before_admission", "stays", {"discharge_date": "2020-03-03"},
          {"discharge_date": "2020-03-04"}, "admission_date+discharge_date", "discharge_date must be on or after",
          value="2020-03-04 | 2020-03-03"),
    *_row("stays:discharged_has_destination", "stays", {"destination": ""},
          {"discharge_date": "", "destination": "", "transition_plan": ""}, "destination",
          "a discharged stay needs a destination", value=""),
    *_row("care_episodes:ceased_not_before_commenced", "care_episodes", {"dec": "2020-03-03"}, {"dec": "2020-03-04"},
          "decom+dec", "dec must be on or after decom", value="2020-03-04 | 2020-03-03"),
    *_row("care_episodes:ceased_has_reason", "care_episodes", {"rec": ""}, {"dec": "", "rec": "",
          "reason_place_change": ""}, "dec+rec", "a ceased episode (dec) needs a reason", value="2020-06-30 | "),
    fail("care_episodes:ceased_has_reason", "care_episodes", {"rec": "X1"}, "dec+rec", "T09",
         "a ceased episode (dec) needs a reason", value=" | X1", base=1),
    # Other cases of care_episodes add surname and date_of_birth columns to the batch, so they are named.
    *_row("care_episodes:linkable", "care_episodes", {"child_id": ""},
          {"child_id": "", "surname": "Smith", "date_of_birth": "2006-04-12"}, "child_id+surname+date_of_birth",
          "a record needs child_id or identifiers", value=" |  | "),
    # A surname alone, or a date of birth alone, is not enough to link a record.
    fail("care_episodes:linkable", "care_episodes", {"child_id": "", "surname": "Smith"},
         "child_id+surname+date_of_birth", "T09", "a record needs child_id or identifiers",
         value=f" | {WITHHELD} | "),
    fail("care_episodes:linkable", "care_episodes", {"child_id": "", "date_of_birth": "2006-04-12"},
         "child_id+surname+date_of_birth", "T09", "a record needs child_id or identifiers",
         value=f" |  | {WITHHELD}"),
    *[
        case
        for table in ("health_checks", "care_leavers", "education")
        for case in (
            fail(f"{table}:linkable", table, {"child_id": ""}, "child_id+surname+date_of_birth", "T09",
                 "a record needs child_id or identifiers", value=" |  | "),
            keep(f"{table}:linkable", table, {}, base=1),  # identifiers and no child_id
        )
    ],
    *_row("mental_health:met_only_if_identified", "mental_health", {"need_met": "true"}, {"need_met": ""},
          "need_met", "need_met is recorded only where a need was identified", value="True", base=1),
    keep("mental_health:met_only_if_identified", "mental_health", {"need_met": "false", "need_met_date": ""}),
    *_row("mental_health:met_not_before_assessed", "mental_health", {"need_met_date": "2020-03-09"},
          {"need_met_date": "2020-03-10"}, "assessment_date+need_met_date", "need_met_date must be on or after",
          value="2020-03-10 | 2020-03-09"),
    *_row("wellbeing:score_in_instrument_range", "wellbeing", {"score": "6"}, {"score": "7"}, "instrument+score",
          "outside the instrument's range", value="swemwbs | 6.0", base=2),
    *_row("wellbeing:score_in_instrument_range", "wellbeing", {"score": "35.5"}, {"score": "35"},
          "instrument+score", "outside the instrument's range", value="swemwbs | 35.5", base=2),
]  # fmt: skip


@cache
def table_cases() -> tuple[Case, ...]:
    return tuple(_generated_cases() + HAND_WRITTEN)


def _fresh_key(table: str, row: dict[str, str], number: int) -> dict[str, str]:
    key = TABLES[table].key
    if len(key) > 1:  # home_capacity: a home of its own (its urn is not checked within the table)
        return row | {"urn": f"SC9{number:05d}"}
    if key[0] == "urn":  # homes: the urn has a form of its own
        return row | {"urn": f"SC8{number:05d}"}
    return row | {key[0]: f"V{number:04d}"}


def _variant_table(table: str, cases: list[Case]) -> tuple[str, dict[Case, int]]:
    """The fixture table with one extra row per case; returns the CSV text and each case's line."""
    header, rows = read_rows(table)
    lines = {}
    for number, case in enumerate(cases):
        row = _fresh_key(table, dict(rows[case.base]), number) | case.edits
        header += [name for name in case.edits if name not in header]
        rows.append(row)
        lines[case] = len(rows) + 1  # header is line 1
    return csv_text(header, rows), lines


@cache
def judged(table: str, fails: bool, folder: Path) -> tuple[LoadResult, dict[Case, int], Path]:
    cases = [case for case in table_cases() if case.table == table and case.fails == fails]
    text, lines = _variant_table(table, cases)
    path = folder / f"{table}-{'bad' if fails else 'good'}" / f"{table}.csv"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return validate_file(path, today=TODAY), lines, path


@pytest.fixture(scope="module")
def batch_folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("batches")


def test_every_declared_rule_has_a_case():
    covered = {case.rule_id for case in table_cases()} | {case.rule_id for case in CROSS_CASES} | {"P00", "P01"}
    missing = declared_rules() - covered
    assert not missing, f"rules without a test case: {sorted(missing)}"


def test_every_case_is_of_a_declared_rule_and_every_rule_can_fail_and_pass():
    declared = declared_rules()
    cases = [*table_cases(), *CROSS_CASES]
    assert {case.rule_id for case in cases} <= declared
    for rule_id in declared - {"P00", "P01"}:
        outcomes = {case.fails for case in cases if case.rule_id == rule_id}
        assert outcomes == {True, False}, rule_id


def test_rule_count_is_what_the_report_gives():
    """The figure quoted in the issue note: rules declared (field and row checks, parse, future, cross-table)."""
    rules = declared_rules()
    assert len([r for r in rules if r.startswith("X")]) == 22
    assert len([r for r in rules if r.startswith("W")]) == 7
    assert len(CROSS_TABLE_RULES) == 28
    assert len(rules) > 250


@pytest.mark.parametrize("case", [c for c in table_cases() if c.fails], ids=lambda c: c.id)
def test_table_rule_rejects_the_breaking_row(case: Case, batch_folder: Path):
    result, lines, path = judged(case.table, True, batch_folder)
    line = lines[case]
    found = result.rejects[result.rejects["row"] == line]
    assert (found["file"] == str(path)).all()
    match = found[(found["column"] == case.column) & (found["code"] == case.code)]
    assert len(match) == 1, f"expected {case.code} on {case.column} at line {line}, got:\n{found.to_string()}"
    assert case.rule in match["rule"].iloc[0]
    assert match["value"].iloc[0] == case.value
    others = set(found["code"]) - {case.code}
    assert others <= case.also, f"unexpected rejects on line {line}:\n{found.to_string()}"


@pytest.mark.parametrize("case", [c for c in table_cases() if not c.fails], ids=lambda c: c.id)
def test_table_rule_accepts_the_keeping_row(case: Case, batch_folder: Path):
    result, lines, _ = judged(case.table, False, batch_folder)
    assert result.rejects[result.rejects["row"] == lines[case]].empty


@pytest.mark.parametrize("table", list(TABLES))
def test_batches_reconcile(table: str, batch_folder: Path):
    """Every good row is accepted and every bad row rejected, and the counts add up."""
    bad, bad_lines, _ = judged(table, True, batch_folder)
    good, good_lines, _ = judged(table, False, batch_folder)
    base_rows = len(read_rows(table)[1])
    assert good.rejects.empty, good.rejects.to_string()
    assert good.counts[table].accepted == base_rows + len(good_lines) == len(good.tables[table])
    assert bad.counts[table].rejected == bad.rejects["row"].nunique() == len(bad_lines)
    assert bad.counts[table].accepted == base_rows
    assert set(bad.rejects["row"]) == set(bad_lines.values())


def test_accepted_rows_carry_the_contract_types(batch_folder: Path):
    good, _, _ = judged("referrals", False, batch_folder)
    frame = good.tables["referrals"]
    assert frame["referral_date"].dtype == "datetime64[ns]"
    assert frame["placed"].dtype == "boolean" and frame["pathway"].dtype == "string"
    capacity = judged("home_capacity", False, batch_folder)[0].tables["home_capacity"]
    assert capacity["places_approved"].dtype == "Int64"
    wellbeing = judged("wellbeing", False, batch_folder)[0].tables["wellbeing"]
    assert wellbeing["score"].dtype == "Float64"
    assert wellbeing.loc[wellbeing["measurement_id"] == "W003", "score"].iloc[0] == 24.5


# --- parse rules that are not per column ---------------------------------------------------------------------


def test_malformed_line_is_rejected_whole_and_counted(tmp_path: Path):
    path = tmp_path / "homes.csv"
    path.write_text(VALID_FILES["homes"] + "SC000003,Cedar Court\nSC000004,Elm,mixed,E12000001,extra\n")
    result = validate_file(path, today=TODAY)
    rejects = result.rejects
    assert list(rejects["row"]) == [4, 5] and set(rejects["code"]) == {"P00"}
    assert rejects["rule"].iloc[0] == "row has 2 fields but the header has 4"
    assert rejects["value"].iloc[0] == "SC000003,Cedar Court"
    assert rejects["rule"].iloc[1] == "row has 5 fields but the header has 4"
    assert (result.counts["homes"].read, result.counts["homes"].accepted) == (4, 2)


def test_long_value_is_rejected_and_shown_cut(tmp_path: Path):
    header, rows = read_rows("homes")
    longest, too_long = "N" * MAX_FIELD_CHARACTERS, "N" * (MAX_FIELD_CHARACTERS + 1)
    rows += [rows[0] | {"urn": "SC000003", "name": longest}, rows[0] | {"urn": "SC000004", "name": too_long}]
    path = tmp_path / "homes.csv"
    path.write_text(csv_text(header, rows))
    result = validate_file(path, today=TODAY)
    assert list(result.rejects["row"]) == [5]
    reject = result.rejects.iloc[0]
    assert (reject["column"], reject["code"]) == ("name", "P01")
    assert reject["rule"] == "value longer than 1,000 characters"
    assert reject["value"] == "N" * 200 + "... (1,001 characters)"


def test_future_date_boundary_today_is_not_in_the_future(tmp_path: Path):
    header, rows = read_rows("stays")
    rows[0] |= {"admission_date": "2023-12-31", "discharge_date": "2024-01-01"}
    rows[1] |= {"admission_date": "2024-01-01", "discharge_date": "2024-01-02"}
    path = tmp_path / "stays.csv"
    path.write_text(csv_text(header, rows))
    result = validate_file(path, today=TODAY)
    assert list(result.rejects["row"]) == [3]
    assert result.rejects["rule"].iloc[0] == FUTURE and result.rejects["column"].iloc[0] == "discharge_date"


def test_identifiers_never_reach_the_rejects(tmp_path: Path):
    header, rows = read_rows("identifiers")
    rows[0] |= {"sex": "9", "date_of_birth": "12/04/2006"}
    path = tmp_path / "identifiers.csv"
    path.write_text(csv_text(header, rows) + "C004,Dan,Green,2006-01-01,1\n")
    result = validate_file(path, today=TODAY)
    text = result.rejects.to_csv(index=False)
    assert len(result.rejects) == 3
    for identifier in ("Amy", "Smith", "2006-04", "12/04/2006", "LS1", "Dan", "Green", "2006-01-01"):
        assert identifier not in text
    assert set(result.rejects["value"]) == {WITHHELD, "<row withheld: the file holds identifiers>"}


def test_unique_is_still_checked_on_a_column_that_is_not_the_key():
    """Duplicate keys are judged by the loader (keeping the first row); other unique columns by pandera."""
    schema = TABLES["homes"].schema
    assert [name for name, column in schema.columns.items() if column.unique] == list(TABLES["homes"].key)
    for table in TABLES.values():
        unique = [name for name, column in table.columns.items() if column.unique]
        assert unique == ([table.key[0]] if len(table.key) == 1 else []), table.name


# --- cross-table rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrossCase:
    """Edits to whole files; a failing case expects a reject of ``rule_id`` on ``table`` line ``line``."""

    rule_id: str
    edits: tuple[tuple[str, str], ...]  # (table, new file text)
    fails: bool
    table: str = ""
    line: int = 0
    column: str = ""
    value: str = ""
    data_end: str | None = None

    @property
    def id(self) -> str:
        return f"{self.rule_id}-{'bad' if self.fails else 'good'}-{CROSS_CASES.index(self)}"

    @property
    def warns(self) -> bool:
        return self.rule_id.startswith("W")


def _edit(table: str, row: int, **cells: str) -> tuple[str, str]:
    header, rows = read_rows(table)
    rows[row] |= cells
    return table, csv_text(header, rows)


def _add(table: str, **cells: str) -> tuple[str, str]:
    header, rows = read_rows(table)
    rows.append(dict(rows[0]) | cells)
    return table, csv_text(header, rows)


def _edits(table: str, **rows: dict[str, str]) -> tuple[str, str]:
    """Several rows of one table edited: ``row_2={...}`` edits fixture row 2."""
    header, rows_ = read_rows(table)
    for name, cells in rows.items():
        rows_[int(name.removeprefix("row_"))] |= cells
    return table, csv_text(header, rows_)


def _bad(rule_id, edit, line, column, value, *, data_end=None) -> CrossCase:
    return CrossCase(rule_id, (edit,), True, edit[0], line, column, value, data_end)


def _good(rule_id, *edits, data_end=None) -> CrossCase:
    return CrossCase(rule_id, tuple(edits), False, data_end=data_end)


STAY = dict(referral_id="", discharge_date="", destination="", transition_plan="")
CROSS_CASES: list[CrossCase] = [
    _bad("X01", _edit("identifiers", 0, child_id="C999"), 2, "child_id", "C999"),
    _good("X01", _add("children", child_id="C004"), _add("identifiers", child_id="C004")),
    _bad("X02", _edit("referrals", 3, child_id="C999"), 5, "child_id", "C999"),
    _good("X02", _edit("referrals", 3, child_id="C003")),
    _bad("X03", _edit("referrals", 0, urn="SC999999"), 2, "urn", "SC999999"),
    _good("X03", _edit("referrals", 0, urn="SC000002")),
    _bad("X04", _edit("home_capacity", 0, urn="SC999999"), 2, "urn", "SC999999"),
    _good("X04", _edit("home_capacity", 0, snapshot_date="2021-03-31", urn="SC000002")),
    _bad("X05", _edit("stays", 1, child_id="C999"), 3, "child_id", "C999"),
    _good("X05", _edit("stays", 1, child_id="C003", admission_date="2020-05-10")),
    _bad("X06", _edit("stays", 1, urn="SC999999"), 3, "urn", "SC999999"),
    _good("X06", _edit("stays", 1, urn="SC000001")),
    _bad("X07", _edit("stays", 1, referral_id="R999"), 3, "referral_id", "R999"),
    _good("X07", _edit("stays", 1, referral_id="")),
    # C001's stay S001 runs 2020-03-04 to 2020-06-30.
    _bad("X08", _add("stays", stay_id="S003", admission_date="2020-06-29", **STAY), 4,
         "child_id+admission_date", "C001 | 2020-06-29"),
    _bad("X08", _add("stays", stay_id="S003", admission_date="2020-03-04", **STAY), 4,
         "child_id+admission_date", "C001 | 2020-03-04"),
    _good("X08", _add("stays", stay_id="S003", admission_date="2020-06-30", **STAY)),  # the day S001 ended
    # C003 was born in January 2007: 10 from January 2017. C002 was born September 2005: 18 from September 2023.
    _bad("X09", _add("stays", stay_id="S003", child_id="C003", admission_date="2016-12-31", **STAY), 4,
         "child_id+admission_date", "C003 | 2016-12-31"),
    _bad("X09", _add("stays", stay_id="S003", child_id="C002", admission_date="2023-09-01", **STAY), 4,
         "child_id+admission_date", "C002 | 2023-09-01"),
    _good("X09", _add("stays", stay_id="S003", child_id="C003", admission_date="2017-01-01", **STAY)),
    _good("X09", _add("stays", stay_id="S003", child_id="C002", admission_date="2023-08-31", **STAY)),
    _bad("X10", _edit("care_episodes", 1, child_id="C999"), 3, "child_id", "C999"),
    _good("X10", _edit("care_episodes", 1, child_id="C002")),
    _bad("X11", _edit("health_checks", 0, child_id="C999"), 2, "child_id", "C999"),
    _good("X11", _edit("health_checks", 0, child_id="C003")),
    _bad("X12", _edit("care_leavers", 0, child_id="C999"), 2, "child_id", "C999"),
    _good("X12", _edit("care_leavers", 0, child_id="C001")),
    _bad("X13", _edit("education", 1, child_id="C999"), 3, "child_id", "C999"),
    _good("X13", _edit("education", 1, child_id="C002")),
    _bad("X14", _edit("wellbeing", 2, child_id="C999"), 4, "child_id", "C999"),
    _good("X14", _edit("wellbeing", 2, child_id="C003")),
    _bad("X15", _edit("wellbeing", 2, stay_id="S999"), 4, "stay_id", "S999"),
    _good("X15", _edit("wellbeing", 2, stay_id="S002")),
    _bad("X16", _edit("incidents", 1, stay_id="S999"), 3, "stay_id", "S999"),
    _good("X16", _edit("incidents", 1, stay_id="S001", incident_date="2020-05-01")),
    # S001 runs 2020-03-04 to 2020-06-30: the first and last days are within it.
    _bad("X17", _edit("incidents", 0, incident_date="2020-03-03"), 2, "incident_date", "2020-03-03"),
    _bad("X17", _edit("incidents", 0, incident_date="2020-07-01"), 2, "incident_date", "2020-07-01"),
    _good("X17", _edit("incidents", 0, incident_date="2020-03-04")),
    _good("X17", _edit("incidents", 0, incident_date="2020-06-30")),
    _bad("X18", _edit("mental_health", 1, stay_id="S999"), 3, "stay_id", "S999"),
    _good("X18", _edit("mental_health", 1, stay_id="S001", assessment_date="2020-04-01")),
    # S002 runs 2020-05-10 to 2020-08-01.
    _bad("X19", _edit("mental_health", 1, assessment_date="2020-05-09"), 3, "assessment_date", "2020-05-09"),
    _bad("X19", _edit("mental_health", 1, assessment_date="2020-08-02"), 3, "assessment_date", "2020-08-02"),
    _good("X19", _edit("mental_health", 1, assessment_date="2020-05-10")),
    _good("X19", _edit("mental_health", 1, assessment_date="2020-08-01")),
    # C002 was born in September 2005: 18 in September 2023, certainly 18 from 1 October 2023.
    _bad("X20", _edit("referrals", 2, child_id="C002", referral_date="2023-10-01", decision_date="2023-10-02"), 4,
         "child_id+referral_date", "C002 | 2023-10-01"),
    _good("X20", _edit("referrals", 2, child_id="C002", referral_date="2023-09-30", decision_date="2023-09-30")),
    # R002 is a remand referral, R001 a welfare one.
    _bad("X21", _edit("stays", 1, pathway="welfare"), 3, "referral_id+pathway", "R002 | welfare"),
    _bad("X21", _edit("stays", 0, pathway="remand", legal_basis="remand"), 2, "referral_id+pathway",
         "R001 | remand"),
    _good("X21", _edit("stays", 1, pathway="justice")),  # remand to sentence: a warning (W02), not a reject
    _good("X21", _edit("stays", 1, referral_id="", pathway="welfare")),  # no referral named: nothing to compare
    # R001 was made on 2020-03-02; S001 was admitted on 2020-03-04.
    _bad("X22", _edit("stays", 0, admission_date="2020-03-01"), 2, "referral_id+admission_date", "R001 | 2020-03-01"),
    _good("X22", _edit("stays", 0, admission_date="2020-03-02")),  # the day of the referral
    # Warnings: the row is kept.
    CrossCase("W01", (_edit("stays", 1, referral_id=""),), True, "referrals", 3, "referral_id+placed", "R002 | True"),
    _good("W01", _edit("referrals", 3, placed="false")),
    _bad("W02", _edit("stays", 1, pathway="justice"), 3, "referral_id+pathway", "R002 | justice"),
    _good("W02", _edit("stays", 1, pathway="remand")),
    _bad("W03", _add("referrals", referral_id="R005", referral_date="2020-04-01", decision_date="2020-04-02",
                     placed="false", urn="", alternative_setting="other"), 6, "child_id+referral_date",
         "C001 | 2020-04-01"),
    # On the day S001 began or ended the referral is not during it (a move between homes is referred so).
    _good("W03", _add("referrals", referral_id="R005", referral_date="2020-06-30", decision_date="2020-06-30",
                      placed="false", urn="", alternative_setting="other")),
    _good("W03", _add("referrals", referral_id="R005", referral_date="2020-03-04", decision_date="2020-03-04",
                      placed="false", urn="", alternative_setting="other")),
    # SC000001 is welfare only, SC000002 mixed.
    _bad("W04", _edit("stays", 1, urn="SC000001"), 3, "urn+pathway", "SC000001 | remand"),
    _good("W04", _edit("stays", 0, urn="SC000002")),  # a mixed home takes welfare
    _bad("W05", _edit("home_capacity", 0, places_available="0"), 2, "places_available+children_accommodated",
         "0 | 1"),
    _good("W05", _edit("home_capacity", 0, places_available="1")),
    _bad("W06", _edit("home_capacity", 0, children_accommodated="5"), 2, "snapshot_date+children_accommodated",
         "2020-03-31 | 5"),
    _bad("W06", _edit("home_capacity", 1, children_accommodated="1"), 3, "snapshot_date+children_accommodated",
         "2020-03-31 | 1"),
    # A child admitted or discharged on 31 March was accommodated that day; one discharged on 30 March was not.
    CrossCase("W06", (_edit("stays", 0, discharge_date="2020-03-30"),), True, "home_capacity", 2,
              "snapshot_date+children_accommodated", "2020-03-31 | 1"),
    _good("W06", _edit("stays", 0, discharge_date="2020-03-31")),
    _good("W06", _edit("stays", 0, admission_date="2020-03-31")),
    _good("W06", _edits("home_capacity", row_1={"snapshot_date": "2021-03-31"})),  # S002 ended 2020-08-01
    # The data end. The latest date of the required tables is R004's decision, 2021-06-02.
    _bad("W07", _edit("stays", 1, discharge_date="2021-06-03"), 3, "discharge_date", "2021-06-03",
         data_end="2021-06-02"),
    _good("W07", _edit("stays", 1, discharge_date="2021-06-02"), data_end="2021-06-02"),
]  # fmt: skip
RULES_BY_CODE = {rule.code: rule for rule in CROSS_TABLE_RULES}


def _cross_folder(tmp_path: Path, case: CrossCase) -> Path:
    """The required tables, the tables the rule needs, and the edited ones (fewer tables load faster)."""
    rule = RULES_BY_CODE.get(case.rule_id)
    needed = {name for name, table in TABLES.items() if table.required} | set(rule.needs if rule else ())
    needed |= {table for table, _ in case.edits}
    files = {name: text for name, text in VALID_FILES.items() if name in needed} | dict(case.edits)
    return write_valid_folder(tmp_path / "data", files)


def _load(tmp_path: Path, case: CrossCase) -> LoadResult:
    return load_data(_cross_folder(tmp_path, case), today=TODAY, data_end=case.data_end)


@pytest.mark.parametrize("case", [c for c in CROSS_CASES if c.fails and not c.warns], ids=lambda c: c.id)
def test_cross_table_rule_rejects(case: CrossCase, tmp_path: Path):
    folder = _cross_folder(tmp_path, case)
    rejects = load_data(folder, today=TODAY).rejects
    rule = RULES_BY_CODE[case.rule_id]
    assert rule.table == case.table
    found = rejects[rejects["code"] == case.rule_id]
    assert len(found) == 1, rejects.to_string()
    reject = found.iloc[0]
    assert reject["file"] == str(folder / f"{case.table}.csv")
    assert (reject["row"], reject["column"], reject["value"]) == (case.line, case.column, case.value)
    assert reject["rule"] == rule.message
    # Anything else rejected only follows from this row: a row that referred to it (another cross-table rule).
    assert rejects["code"].str.startswith("X").all(), rejects.to_string()


@pytest.mark.parametrize("case", [c for c in CROSS_CASES if not c.fails], ids=lambda c: c.id)
def test_cross_table_rule_accepts(case: CrossCase, tmp_path: Path):
    result = _load(tmp_path, case)
    assert result.rejects.empty, result.rejects.to_string()
    for table, text in case.edits:
        assert result.counts[table].accepted == text.count("\n") - 1
    assert case.rule_id not in set(result.warnings["code"]), result.warnings.to_string()


@pytest.mark.parametrize("case", [c for c in CROSS_CASES if c.fails and c.warns], ids=lambda c: c.id)
def test_warning_rule_warns_and_keeps_the_row(case: CrossCase, tmp_path: Path):
    result = _load(tmp_path, case)
    assert result.rejects.empty, result.rejects.to_string()
    found = result.warnings[result.warnings["code"] == case.rule_id]
    assert len(found) == 1, result.warnings.to_string()
    warning = found.iloc[0]
    folder = tmp_path / "data"
    assert warning["file"] == str(folder / f"{case.table}.csv")
    assert (warning["row"], warning["column"], warning["value"]) == (case.line, case.column, case.value)
    expected = RULES_BY_CODE[case.rule_id].message if case.rule_id in RULES_BY_CODE else "after the data end"
    assert expected in warning["rule"]
    # The row is kept, and counted among the rows with a warning.
    for table, text in case.edits:
        assert result.counts[table].accepted == text.count("\n") - 1
    assert result.warning_rows[case.table] == len(result.warnings[result.warnings["file"] == warning["file"]])
    assert result.counts_frame().set_index("table").loc[case.table, "warnings"] == result.warning_rows[case.table]


def test_every_rule_declares_its_severity_and_why():
    for rule in CROSS_TABLE_RULES:
        assert rule.severity in (REJECT, WARNING) and rule.code[0] == ("X" if rule.severity == REJECT else "W")
        assert len(rule.why) > 40, rule.code
    assert len({rule.code for rule in CROSS_TABLE_RULES} | {rule.code for rule in LOADER_RULES}) == len(
        CROSS_TABLE_RULES
    ) + len(LOADER_RULES)


def test_the_valid_fixture_raises_no_warning(tmp_path: Path):
    result = load_data(write_valid_folder(tmp_path / "data"), today=TODAY)
    assert result.rejects.empty and result.warnings.empty, result.warnings.to_string()


def test_data_end_defaults_to_the_setting(tmp_path: Path):
    """Without data_end, the loader takes the settings' default (2024-03-31)."""
    folder = write_valid_folder(tmp_path / "data", VALID_FILES | dict([_edit("stays", 1, discharge_date="2024-04-01")]))
    result = load_data(folder, today=date(2024, 6, 1))
    assert list(result.warnings["code"]) == ["W07"]
    assert result.warnings["rule"].iloc[0] == "date is after the data end (2024-03-31)"


def test_a_row_that_refers_to_a_rejected_row_is_rejected_too(tmp_path: Path):
    """Rules run in order: a child rejected by its own table takes its referrals, stays and their events with it."""
    folder = write_valid_folder(tmp_path / "data", VALID_FILES | dict([_edit("children", 0, sex="7")]))
    result = load_data(folder, today=TODAY)
    rejected = result.rejects.groupby("file")["code"].apply(lambda codes: sorted(set(codes)))
    by_table = {Path(file).stem: codes for file, codes in rejected.items()}
    assert by_table == {
        "children": ["T01"],
        "identifiers": ["X01"],
        "referrals": ["X02"],
        "stays": ["X05"],
        "care_episodes": ["X10"],
        "health_checks": ["X11"],
        "incidents": ["X16"],
        "mental_health": ["X18"],
        "wellbeing": ["X14"],
        "education": ["X13"],
    }
    # C001 has two referrals, one stay and its incident, assessment and two measurements.
    assert result.counts["referrals"].rejected == 2 and result.counts["wellbeing"].rejected == 2
    assert sum(count.read for count in result.counts.values()) == sum(
        count.accepted + count.rejected for count in result.counts.values()
    )


def test_nested_stays_do_not_hide_an_overlap(tmp_path: Path):
    """A short stay inside a long one must not hide the next stay's overlap with the long one."""
    header, rows = read_rows("stays")
    long_stay = rows[0] | STAY | {"stay_id": "S010", "admission_date": "2021-01-01", "discharge_date": "2021-12-31"}
    rows += [
        long_stay,
        long_stay | {"stay_id": "S011", "admission_date": "2021-02-01", "discharge_date": "2021-03-01"},
        long_stay | {"stay_id": "S012", "admission_date": "2021-04-01", "discharge_date": "2021-05-01"},
        long_stay | {"stay_id": "S013", "admission_date": "2022-01-01", "discharge_date": ""},
        long_stay | {"stay_id": "S014", "admission_date": "2022-06-01", "discharge_date": "2022-07-01"},
    ]
    for row in rows[2:]:
        row["destination"] = "family" if row["discharge_date"] else ""
    folder = write_valid_folder(tmp_path / "data", VALID_FILES | {"stays": csv_text(header, rows)})
    rejects = load_data(folder, today=TODAY).rejects
    overlapping = rejects[rejects["code"] == "X08"]
    # S011 (line 5) and S012 (line 6) overlap S010; S014 (line 8) starts while S013 is still open.
    assert list(overlapping["row"]) == [5, 6, 8], rejects.to_string()
    assert pd.Series(rejects["code"]).eq("X08").all()


def test_follow_up_file_without_identifier_columns(tmp_path: Path):
    """Identifier columns are optional: a record with no child_id and no identifier columns is rejected, not a crash."""
    path = tmp_path / "health_checks.csv"
    path.write_text(
        "record_id,child_id,period_end,immunisations,teeth_check,health_assessment,substance_misuse,convicted,sdq_score\n"
        "H001,C001,2021-03-31,1,1,1,0,0,14\n"
        "H002,,2021-03-31,,,,,,\n"
    )
    result = validate_file(path, today=TODAY)
    reject = result.rejects.iloc[0]
    assert (len(result.rejects), reject["row"], reject["column"], reject["code"]) == (1, 3, "child_id", "T09")
    assert list(result.tables["health_checks"]["surname"].isna()) == [True]  # added empty, typed
    assert result.tables["health_checks"]["date_of_birth"].dtype == "datetime64[ns]"
