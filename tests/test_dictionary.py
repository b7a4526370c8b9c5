"""The data dictionary is generated from the contract and shows every table, column, rule and code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from outcomes.cli import main
from outcomes.contract.codes import CODE_LISTS
from outcomes.contract.dictionary import data_dictionary_markdown
from outcomes.contract.rules import CROSS_TABLE_RULES, LOADER_RULES
from outcomes.contract.tables import TABLES

TEXT = data_dictionary_markdown()


def _section(heading: str, level: str = "##") -> str:
    """The text under a heading, up to the next heading of the same level."""
    start = TEXT.index(f"{level} {heading}\n")
    following = re.search(rf"^{level} ", TEXT[start + 1 :], flags=re.MULTILINE)
    return TEXT[start : start + 1 + following.start()] if following else TEXT[start:]


def _column_rows(table: str) -> dict[str, str]:
    rows = {}
    for line in _section(f"`{table}`").splitlines():
        if match := re.match(r"^\| `(\w+)` \|", line):
            rows[match[1]] = line
    return rows


@pytest.mark.parametrize("table", list(TABLES))
def test_every_table_and_column_appears(table: str):
    spec = TABLES[table]
    rows = _column_rows(table)
    assert list(rows) == list(spec.columns)
    assert f"| `{table}` | {spec.grain} | {'yes' if spec.required else 'no'} |" in TEXT
    for name, column in spec.columns.items():
        cells = [cell.strip() for cell in rows[name].strip("|").split(" | ")]
        assert cells[2] == ("yes" if column.required else "no"), name
        assert cells[3] == ("yes" if column.nullable else "no"), name
        assert (column.description or "") in rows[name].replace("\\|", "|")
        code_list = (column.metadata or {}).get("codes")
        if code_list:
            assert f"[{code_list}](#{code_list.lower()})" in rows[name], name
        else:
            assert "](#" not in rows[name], name


@pytest.mark.parametrize("table", list(TABLES))
def test_pii_columns_are_marked_and_only_they(table: str):
    pii = set(TABLES[table].pii_columns)
    marked = {name for name, row in _column_rows(table).items() if "**Identifier:" in row}
    assert marked == pii
    if table == "identifiers":
        assert pii == {"forename", "surname", "date_of_birth", "sex", "postcode"}


def test_follow_up_sources_have_identifier_columns_marked():
    for table in ("care_episodes", "health_checks", "care_leavers", "education"):
        assert set(TABLES[table].pii_columns) == {"forename", "surname", "date_of_birth", "sex_recorded", "postcode"}


@pytest.mark.parametrize("name", list(CODE_LISTS))
def test_every_code_list_appears_with_all_its_codes(name: str):
    section = _section(name, "###")
    codes = re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE)
    assert codes == CODE_LISTS[name].codes()
    for member in CODE_LISTS[name]:
        assert member.label.replace("|", "\\|") in section


def test_every_reject_and_warning_code_is_documented_from_its_declaration():
    section = _section("Reject and warning codes")
    rows = {m[1]: m[0] for m in re.finditer(r"^\| `(\w+)` \|.*$", section, flags=re.MULTILINE)}
    expected = [f"P0{n}" for n in range(3)] + [f"T{n:02d}" for n in range(1, 11)]
    expected += [f"X{n:02d}" for n in range(1, 23)] + [f"W0{n}" for n in range(1, 8)]
    assert sorted(rows) == sorted(expected)
    for rule in CROSS_TABLE_RULES:
        row = rows[rule.code]
        assert f"| {rule.severity}s | `{rule.table}` (" in row and rule.message.replace("|", "\\|") in row
        assert rule.why.replace("|", "\\|") in row
    for rule in LOADER_RULES:
        assert f"| {rule.severity}s | {rule.applies_to} | {rule.message}" in rows[rule.code].replace("\\|", "|")


def test_every_rule_appears_under_its_table():
    for rule in CROSS_TABLE_RULES:
        assert f"- `{rule.code}` {rule.message}" in _section(f"`{rule.table}`")
    for table in TABLES.values():
        for check in table.schema.checks:
            assert f"- {check.error}" in _section(f"`{table.name}`")
    assert "| `urn` | text | yes | no | unique; matches `^SC\\d{6}$` |" in _section("`homes`")
    assert ">= 1990-01-01" in _column_rows("stays")["admission_date"]
    assert (
        "0 to 40" in _column_rows("health_checks")["sdq_score"] or "<= 40" in _column_rows("health_checks")["sdq_score"]
    )


def test_dictionary_command_writes_the_file(tmp_path: Path, capsys):
    out = tmp_path / "book" / "data-dictionary.md"
    assert main(["dictionary", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == TEXT
    assert f"wrote {out}" in capsys.readouterr().out
    # Reproducible: the same declarations give the same bytes.
    assert main(["dictionary", "--out", str(tmp_path / "again.md")]) == 0
    assert (tmp_path / "again.md").read_bytes() == out.read_bytes()


def test_dictionary_command_prints_without_out(capsys):
    assert main(["dictionary"]) == 0
    assert capsys.readouterr().out == TEXT
