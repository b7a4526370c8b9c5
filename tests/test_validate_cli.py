"""``outcomes validate`` and the command line's help: exit codes, messages, and no traceback for the user."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pandas as pd
import pytest
from contract_fixtures import ROWS, VALID_FILES, write_valid_folder

from outcomes.cli import COMMANDS, cli, main
from outcomes.cli.validate import dictionary, validate

OUTCOMES = Path(sys.executable).parent / "outcomes"


def _normal(text: str) -> str:
    return " ".join(text.split())


def _options(command: click.Command) -> list[click.Option]:
    return [param for param in command.params if isinstance(param, click.Option)]


def test_outcomes_help_lists_every_command_and_option(capsys):
    assert main(["--help"]) == 0
    output = _normal(capsys.readouterr().out)
    for name, (_, _, help_text) in COMMANDS.items():
        assert f"{name} {_normal(help_text)}" in output
    for option in _options(cli):
        assert all(opt in output for opt in option.opts)
        assert _normal(option.help) in output


@pytest.mark.parametrize("command", [validate, dictionary], ids=lambda command: command.name)
def test_command_help_describes_every_option(command: click.Command, capsys):
    assert main([command.name, "--help"]) == 0
    output = _normal(capsys.readouterr().out)
    for option in _options(command):
        assert all(opt in output for opt in option.opts), option.name
        assert _normal(option.help) in output, option.name
    assert _normal(command.help.split("\n\n")[0]) in output


def test_validate_help_gives_the_exit_codes(capsys):
    main(["validate", "--help"])
    output = _normal(capsys.readouterr().out)
    assert "0 nothing rejected; 1 rows rejected; 2 a structural problem" in output
    assert "DATA_DIR/ssda903" in output


def test_valid_folder_exits_0_and_prints_the_counts(tmp_path: Path, capsys):
    folder = write_valid_folder(tmp_path / "data")
    rejects = tmp_path / "rejects.csv"
    assert main(["validate", str(folder), "--rejects", str(rejects), "--today", "2024-01-01"]) == 0
    output = capsys.readouterr().out
    assert "all rows accepted" in output
    total = next(line for line in output.splitlines() if line.startswith("total")).split()[1:]
    assert total == [str(sum(ROWS.values())), str(sum(ROWS.values())), "0"]
    # Asked for, the rejects file is written even when empty: a header only.
    assert rejects.read_text() == "file,row,column,value,rule,code\n"


def test_rejects_default_to_the_current_folder(tmp_path: Path, monkeypatch, capsys):
    folder = write_valid_folder(tmp_path / "data", VALID_FILES | {"homes": VALID_FILES["homes"] + "SC1,X,mixed,E\n"})
    monkeypatch.chdir(tmp_path)
    assert main(["validate", str(folder), "--today", "2024-01-01"]) == 1
    assert "1 row(s) rejected (2 problem(s)): see rejects.csv" in capsys.readouterr().out
    rejects = pd.read_csv(tmp_path / "rejects.csv", dtype=str)
    assert rejects[["row", "column", "code"]].values.tolist() == [["4", "region", "T01"], ["4", "urn", "T05"]]


def test_today_option_decides_what_is_in_the_future(tmp_path: Path, capsys):
    folder = write_valid_folder(tmp_path / "data")
    args = ["validate", str(folder), "--rejects", str(tmp_path / "r.csv")]
    assert main([*args, "--today", "2022-03-30"]) == 1  # education's record for 2022-03-31 is then in the future
    assert main([*args, "--today", "2022-03-31"]) == 0
    assert main([*args, "--today", "31/03/2022"]) == 2
    assert "Invalid value for '--today'" in capsys.readouterr().err


def test_explicit_ssda903_folder(tmp_path: Path, capsys):
    from test_ssda903_adapter import DATA, write_ssda903

    folder = write_valid_folder(tmp_path / "data", DATA)
    ssda903 = write_ssda903(tmp_path / "returns")
    args = ["validate", str(folder), "--rejects", str(tmp_path / "r.csv"), "--today", "2024-01-01"]
    assert main(args) == 2  # no children table without the SSDA903 Header
    assert "required table 'children' is missing" in capsys.readouterr().err
    assert main([*args, "--ssda903", str(ssda903)]) == 0


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(OUTCOMES), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_console_script_exit_codes_without_traceback(tmp_path: Path):
    """The installed ``outcomes`` script, as a user runs it: 0, 1 and 2, and never a traceback."""
    good = write_valid_folder(tmp_path / "good")
    bad = write_valid_folder(tmp_path / "bad", VALID_FILES | {"stays": VALID_FILES["stays"].replace("remand,f", "x,f")})
    broken = write_valid_folder(tmp_path / "broken", VALID_FILES | {"homes": ""})
    today = ["--today", "2024-01-01"]
    runs = {
        "good": _run("validate", str(good), *today, cwd=tmp_path),
        "bad": _run("validate", str(bad), "--rejects", str(tmp_path / "bad.csv"), *today, cwd=tmp_path),
        "broken": _run("validate", str(broken), *today, cwd=tmp_path),
        "absent": _run("validate", str(tmp_path / "nowhere"), cwd=tmp_path),
    }
    assert {name: run.returncode for name, run in runs.items()} == {"good": 0, "bad": 1, "broken": 2, "absent": 2}
    for run in runs.values():
        assert "Traceback" not in run.stdout + run.stderr
    assert (
        runs["broken"].stderr == f"error: {broken / 'homes.csv'}: is empty. A table file needs at least a header "
        "row naming its columns (see the data dictionary).\n"
    )
    assert runs["absent"].stderr.startswith(f"error: {tmp_path / 'nowhere'}: is not a folder.")
    rejects = pd.read_csv(tmp_path / "bad.csv", dtype=str)
    stays = rejects[rejects["file"] == str(bad / "stays.csv")]
    assert stays[["row", "column", "value", "code"]].values.tolist() == [["3", "legal_basis", "x", "T01"]]
    # The stay's incident (I002) and assessment (M002) follow it out.
    assert sorted(rejects["code"]) == ["T01", "X16", "X18"]


def test_rejects_file_withholds_child_ids_and_is_owner_only(tmp_path: Path, capsys):
    """A reject is found by file and row; the child id itself is not written (X02, T08, X05)."""
    import stat

    referrals = VALID_FILES["referrals"] + VALID_FILES["referrals"].splitlines()[-1].replace("R004,C001", "R005,C999")
    children = VALID_FILES["children"] + "C002,1,2005-09,BCRB,330\n"
    folder = write_valid_folder(tmp_path / "data", VALID_FILES | {"referrals": referrals + "\n", "children": children})
    target = tmp_path / "rejects.csv"
    assert main(["validate", str(folder), "--rejects", str(target), "--today", "2024-01-01"]) == 1
    rejects = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert rejects[["row", "column", "value", "code"]].values.tolist() == [
        ["5", "child_id", "<child id withheld>", "T08"],
        ["6", "child_id", "<child id withheld>", "X02"],
    ]
    assert "C999" not in target.read_text() and stat.S_IMODE(target.stat().st_mode) == 0o600


def test_local_authority_option_fills_a_header_without_la(tmp_path: Path, capsys):
    from test_ssda903_adapter import DATA, SSDA903, write_ssda903

    files = {year: dict(year_files) for year, year_files in SSDA903.items()}
    for year, name in (("2020", "Header.csv"), ("2021", "header.csv")):
        files[year][name] = "\n".join(line.rsplit(",", 1)[0] for line in files[year][name].splitlines()) + "\n"
    folder = write_valid_folder(tmp_path / "data", DATA)
    write_ssda903(folder / "ssda903", files)
    args = ["validate", str(folder), "--rejects", str(tmp_path / "r.csv"), "--today", "2024-01-01"]
    assert main(args) == 0
    assert "local authority not known for 3 child(ren)" in capsys.readouterr().out
    assert main([*args, "--local-authority", "202"]) == 0
    assert "local authority not known" not in capsys.readouterr().out
    assert main([*args, "--local-authority", "20"]) == 2
    assert "three-digit DfE code" in capsys.readouterr().err
