"""The data dictionary, generated from the contract's declarations.

Nothing here is written by hand: tables, columns, types, rules, the reject and
warning codes and code lists all come from :mod:`outcomes.contract.tables`, :mod:`outcomes.contract.rules`
and :mod:`outcomes.contract.codes`, so the book can never disagree with the code.
"""

from __future__ import annotations

import pandera.pandas as pa

from outcomes.contract.codes import CODE_LISTS
from outcomes.contract.rules import CROSS_TABLE_RULES, LOADER_RULES, REJECT
from outcomes.contract.tables import TABLES, Table

TYPE_NAMES = {
    "string": "text",
    "boolean": "true/false",
    "Int64": "whole number",
    "Float64": "number",
}


def _type_name(column: pa.Column) -> str:
    dtype = str(column.dtype)
    if dtype.startswith("datetime"):
        return f"date ({(column.metadata or {}).get('format', 'YYYY-MM-DD')})"
    return TYPE_NAMES.get(dtype.split("[")[0], dtype)


def _rules(column: pa.Column) -> list[str]:
    rules = []
    if column.unique:
        rules.append("unique")
    for check in column.checks:
        name = check.name
        stats = check.statistics
        if name == "isin":
            continue  # the code list is named instead
        if name == "greater_than_or_equal_to":
            rules.append(f">= {str(stats['min_value']).split(' ')[0]}")
        elif name == "less_than_or_equal_to":
            rules.append(f"<= {stats['max_value']}")
        elif name == "in_range":
            rules.append(f"{stats['min_value']} to {stats['max_value']}")
        elif name == "str_matches":
            rules.append(f"matches `{stats['pattern']}`")
        elif name == "str_length":
            rules.append(f"length {stats.get('min_value')} to {stats.get('max_value')}")
        else:
            rules.append(check.error or name)
    return rules


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def table_markdown(table: Table) -> str:
    """One table's section: grain, key, columns with type, required, rules and description."""
    model_doc = " ".join((table.model.__doc__ or "").split())
    lines = [
        f"## `{table.name}`",
        "",
        model_doc,
        "",
        f"- Grain: one row per {table.grain}. Key: {', '.join(f'`{k}`' for k in table.key)}.",
        f"- {'Required' if table.required else 'Optional'} table"
        + (
            " (a follow-up source: rows may carry identifiers instead of `child_id`, for the linker)."
            if table.follow_up
            else "."
        ),
        "",
        "| column | type | required | may be empty | rules | code list | description |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, column in table.columns.items():
        metadata = column.metadata or {}
        code_list = metadata.get("codes")
        description = column.description or ""
        if metadata.get("pii"):
            description += " **Identifier: read only by the linker, never published.**"
        lines.append(
            f"| `{name}` | {_type_name(column)} | {'yes' if column.required else 'no'} | "
            f"{'yes' if column.nullable else 'no'} | {_escape('; '.join(_rules(column)))} | "
            f"{f'[{code_list}](#{code_list.lower()})' if code_list else ''} | {_escape(description)} |"
        )
    row_rules = [check.error for check in table.schema.checks if check.error]
    cross = [rule for rule in CROSS_TABLE_RULES if rule.table == table.name]
    if row_rules or cross:
        lines += ["", "Rules across columns and tables:", ""]
        lines += [f"- {rule}" for rule in row_rules]
        lines += [
            f"- `{rule.code}` {rule.message}" + ("" if rule.severity == REJECT else " (a warning: the row is kept)")
            for rule in cross
        ]
    return "\n".join(lines) + "\n"


def code_lists_markdown() -> str:
    lines = ["## Code lists", ""]
    for name, code_list in CODE_LISTS.items():
        doc = (
            " ".join((code_list.__doc__ or "").split())
            if code_list.__doc__ != CODE_LISTS[name].__base__.__doc__
            else ""
        )
        lines += [f"### {name}", ""]
        if doc:
            lines += [doc, ""]
        lines += ["| code | meaning |", "| --- | --- |"]
        lines += [f"| `{member.value}` | {_escape(member.label)} |" for member in code_list]
        lines.append("")
    return "\n".join(lines)


def rule_codes_markdown() -> str:
    """Every code a rejects or warnings file can hold, from the declarations, with why it rejects or warns."""
    lines = [
        "## Reject and warning codes",
        "",
        "A rejected row is written to the rejects file with its file, row, column, value, rule and code, and is "
        "not used; a row with a warning is kept, and listed with `outcomes validate --warnings FILE`.",
        "",
        "| code | rejects or warns | applies to | rule | why |",
        "| --- | --- | --- | --- | --- |",
    ]
    for loader_rule in LOADER_RULES:
        lines.append(
            f"| `{loader_rule.code}` | {loader_rule.severity}s | {_escape(loader_rule.applies_to)} | "
            f"{_escape(loader_rule.message)} | {_escape(loader_rule.why)} |"
        )
    for rule in sorted(CROSS_TABLE_RULES, key=lambda rule: rule.code):
        columns = ", ".join(f"`{column}`" for column in rule.columns)
        lines.append(
            f"| `{rule.code}` | {rule.severity}s | `{rule.table}` ({columns}) | {_escape(rule.message)} | "
            f"{_escape(rule.why)} |"
        )
    return "\n".join(lines) + "\n"


def data_dictionary_markdown() -> str:
    """The whole data dictionary as Markdown (MyST-compatible)."""
    header = [
        "# Data dictionary",
        "",
        "Generated from the data contract (`outcomes/contract/`); do not edit by hand.",
        "A data folder holds one CSV (UTF-8, comma-separated, header row) or Parquet file per table, named after it.",
        "Dates are written `YYYY-MM-DD` (a one-digit month or day, as in `2017-1-5`, is read too; a date that "
        "does not exist, as `2020-02-31`, is rejected); true/false values as `true`/`false` (`1`/`0` and "
        "`yes`/`no` are read too). Column names are case-sensitive.",
        "",
        "| table | grain | required |",
        "| --- | --- | --- |",
    ]
    header += [f"| `{t.name}` | {t.grain} | {'yes' if t.required else 'no'} |" for t in TABLES.values()]
    sections = [table_markdown(table) for table in TABLES.values()]
    return (
        "\n".join(header) + "\n\n" + "\n".join(sections) + "\n" + rule_codes_markdown() + "\n" + code_lists_markdown()
    )
