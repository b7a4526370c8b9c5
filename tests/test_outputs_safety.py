"""Outputs that cannot mislead or leak: staging, the demonstration key, ids, spreadsheet formulas, permissions.

Each test runs ``outcomes run`` on a tiny hand-written folder (tests/contract_fixtures.py) with things
broken on purpose, and reads what the run wrote.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from contract_fixtures import VALID_FILES, write_valid_folder

from outcomes.cli import main
from outcomes.linkage.pseudonymise import KEY_VARIABLE
from outcomes.outputs import CHILD_ID_WITHHELD, neutralise, neutralise_cell, withhold_child_ids, write_csv

KEY = "a long secret key held by the data controller"
OUTCOMES = Path(sys.executable).parent / "outcomes"

# Follow-up rows with child ids only: nothing to link probabilistically in a folder of three children.
CLEAN = {name: text for name, text in VALID_FILES.items() if name not in ("health_checks", "care_leavers")} | {
    "health_checks": VALID_FILES["health_checks"].splitlines()[0]
    + "\n"
    + VALID_FILES["health_checks"].splitlines()[1]
    + "\n",
    "care_leavers": VALID_FILES["care_leavers"].splitlines()[0]
    + "\n"
    + VALID_FILES["care_leavers"].splitlines()[1]
    + "\n",
}
FORMULA = "=cmd|' /C calc'!A0"
BROKEN = CLEAN | {
    # X02: a referral of a child nobody knows.
    "referrals": CLEAN["referrals"] + CLEAN["referrals"].splitlines()[-1].replace("R004,C001", "R005,C999") + "\n",
    # T08: C002 twice.
    "children": CLEAN["children"] + "C002,1,2005-09,BCRB,330\n",
    # P00: a malformed line holding a child id; T01: a formula where a code should be; X08: overlapping stays.
    "stays": CLEAN["stays"]
    + "S009,C001,SC000001\n"
    + f"S010,C003,SC000001,,2021-01-01,2021-02-01,{FORMULA},section_25,family,true\n"
    + "S011,C001,SC000001,,2020-04-01,2020-05-01,welfare,section_25,family,true\n",
    # X01: identifiers of a child nobody knows.
    "identifiers": CLEAN["identifiers"] + "C998,Zed,Quux,2004-02-29,1,ZZ9 9ZZ\n",
}
RAW_IDS = {"C001", "C002", "C003", "C998", "C999"}


def _identifier_values() -> set[str]:
    values = set()
    for line in BROKEN["identifiers"].splitlines()[1:]:
        _child, forename, surname, dob, _sex, postcode = line.split(",")
        year, month, day = dob.split("-")
        values |= {forename, surname, dob, f"{day}/{month}/{year}", postcode}
    return values


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, KEY)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- cells ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-3", "-3"),  # a plain number is not a formula
        ("+1.5", "+1.5"),
        ("2e-3", "2e-3"),
        ("welfare", "welfare"),
        ("", ""),
    ],
)
def test_formula_cells_are_neutralised_and_numbers_kept(cell, written):
    assert neutralise_cell(cell) == written


def test_write_csv_neutralises_text_and_leaves_numeric_columns_alone(tmp_path: Path):
    frame = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "ok"], "change": [-3, 4], "score": [-1.5, None]})
    path = write_csv(frame, tmp_path / "x.csv")
    assert path.read_text() == "name,change,score\n'=cmd|' /C calc'!A0,-3,-1.5\nok,4,\n"
    back = pd.read_csv(path)
    assert back["change"].tolist() == [-3, 4]  # still numbers
    assert list(neutralise(frame)["change"]) == [-3, 4]


def test_child_ids_are_withheld_from_rejects_even_within_several_columns():
    rejects = pd.DataFrame(
        {
            "file": ["a.csv"] * 4,
            "row": [2, 3, 4, 5],
            "column": ["child_id", "child_id+admission_date", "", "urn"],
            "value": ["C999", "C001 | 2020-04-01", "S009,C001,SC000001", "SC1"],
            "rule": ["x"] * 4,
            "code": ["X02", "X08", "P00", "T05"],
        }
    )
    shown = withhold_child_ids(rejects)["value"].tolist()
    assert shown[0] == CHILD_ID_WITHHELD
    assert shown[1] == f"{CHILD_ID_WITHHELD} | 2020-04-01"
    assert "C001" not in shown[2]
    assert shown[3] == "SC1"


# --- a whole run ---------------------------------------------------------------------------------------------


@pytest.fixture
def broken_run(tmp_path: Path, key) -> tuple[Path, int]:
    folder = write_valid_folder(tmp_path / "data", BROKEN)
    out = tmp_path / "out"
    return out, main(["run", str(folder), "--out", str(out)])


def test_no_raw_child_id_or_identifier_in_any_output(broken_run):
    out, code = broken_run
    assert code == 1
    rejects = pd.read_csv(out / "validation" / "rejects.csv", dtype=str, keep_default_na=False)
    assert {"X01", "X02", "T08", "P00", "T01", "X08"} <= set(rejects["code"]), rejects.to_string()
    forbidden = RAW_IDS | _identifier_values()
    pattern = re.compile("|".join(rf"(?<![\w/]){re.escape(v)}(?![\w/])" for v in sorted(forbidden)))
    scanned = 0
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        scanned += 1
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            assert not {"forename", "surname", "date_of_birth", "postcode"} & set(frame.columns), path
            text = frame.astype(str).to_csv(index=False)
        else:
            text = path.read_text(encoding="utf-8")
        assert not pattern.findall(text), (path, sorted(set(pattern.findall(text))))
    assert scanned >= 15


def test_a_formula_in_the_data_is_neutralised_in_the_rejects_file(broken_run):
    out, _ = broken_run
    rejects = pd.read_csv(out / "validation" / "rejects.csv", dtype=str, keep_default_na=False)
    assert rejects.loc[rejects["column"] == "pathway", "value"].tolist() == ["'" + FORMULA]
    with (out / "validation" / "rejects.csv").open(newline="", encoding="utf-8") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]


def test_record_level_outputs_are_readable_by_the_owner_only(broken_run):
    out, _ = broken_run
    for folder in (out / "validation", out / "linkage", out / "linkage" / "linked"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        for path in folder.iterdir():
            if path.is_file():
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((out / "linkage" / "cohort.parquet").stat().st_mode) == 0o600


@pytest.mark.slow
def test_the_cohort_a_run_generates_is_owner_only(tmp_path: Path):
    out = tmp_path / "out"
    assert main(["run", "--out", str(out), "--scale", "0.05", "--seed", "1"]) == 0
    data = out / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) in (0o600, 0o700) for p in data.rglob("*"))


# --- staging: nothing stale read or listed; a failed run leaves the last complete output ------------------


def test_rerun_after_removing_a_table_reads_and_lists_nothing_stale(tmp_path: Path, key):
    folder = write_valid_folder(tmp_path / "data", CLEAN)
    out = tmp_path / "out"
    assert main(["run", str(folder), "--out", str(out)]) == 0
    assert (out / "linkage" / "linked" / "mental_health.parquet").is_file()
    first = pd.read_csv(out / "indicators" / "indicators.csv")
    assert (first.loc[first["indicator"] == "mh_needs_met", "status"] != "not_available").all()

    (folder / "mental_health.csv").unlink()
    assert main(["run", str(folder), "--out", str(out)]) == 0
    assert not (out / "linkage" / "linked" / "mental_health.parquet").exists()
    second = pd.read_csv(out / "indicators" / "indicators.csv")
    assert (second.loc[second["indicator"] == "mh_needs_met", "status"] == "not_available").all()
    record = json.loads((out / "run.json").read_text())
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {"run.json"}
    assert set(record["outputs"]) == on_disk
    assert "mental_health.csv" not in record["inputs"]
    assert not list(tmp_path.glob(".out.*")) and not (tmp_path / "out.partial").exists()


def test_a_run_that_fails_leaves_the_previous_output_untouched_and_its_own_marked(tmp_path: Path, key, monkeypatch):
    folder = write_valid_folder(tmp_path / "data", CLEAN)
    out = tmp_path / "out"
    assert main(["run", str(folder), "--out", str(out)]) == 0
    before = _files(out)

    import outcomes.pipeline

    def fail(*args, **kwargs):
        raise RuntimeError("injected failure in the indicators stage")

    monkeypatch.setattr(outcomes.pipeline, "compute_indicators", fail)
    with pytest.raises(RuntimeError, match="injected failure"):
        main(["run", str(folder), "--out", str(out)])
    assert _files(out) == before  # byte for byte
    partial = tmp_path / "out.partial"
    assert (partial / "PARTIAL").is_file()
    assert (partial / "validation" / "counts.csv").is_file() and (partial / "linkage").is_dir()
    assert not (partial / "run.json").exists() and not (partial / "indicators").exists()
    assert not list(tmp_path.glob(".out.staging-*"))


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["terminated", "killed"])
def test_a_run_killed_part_way_leaves_the_previous_output_intact(tmp_path: Path, key, how):
    folder = write_valid_folder(tmp_path / "data", CLEAN)
    out = tmp_path / "out"
    assert main(["run", str(folder), "--out", str(out)]) == 0
    before = _files(out)
    # A synthetic run (several stages, tens of seconds) into the same OUT, stopped once it has validated.
    process = subprocess.Popen(
        [str(OUTCOMES), "run", "--out", str(out), "--scale", "0.1", "--seed", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    staging = tmp_path / f".out.staging-{process.pid}"
    deadline = time.monotonic() + 240
    while not (staging / "validation" / "counts.csv").is_file():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never reached the validation stage"
        time.sleep(0.2)
    process.send_signal(how)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode != 0
    assert b"Traceback" not in stderr
    assert _files(out) == before
    marked = tmp_path / "out.partial" if how == signal.SIGTERM else staging
    assert (marked / "PARTIAL").is_file(), list(tmp_path.iterdir())
    assert not (marked / "run.json").exists()


# --- the demonstration key ------------------------------------------------------------------------------------


@pytest.mark.parametrize("claim", ['{"synthetic": "false"}', '{"synthetic": "no"}', '{"synthetic": true}'])
def test_a_file_in_the_data_folder_cannot_choose_the_demonstration_key(tmp_path: Path, monkeypatch, capsys, claim):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    folder = write_valid_folder(tmp_path / "data", CLEAN)
    (folder / "truth.json").write_text(claim)
    out = tmp_path / "out"
    assert main(["run", str(folder), "--out", str(out)]) == 2
    assert KEY_VARIABLE in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob(".out.*"))


def test_the_demonstration_key_only_with_the_loud_option(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    folder = write_valid_folder(tmp_path / "data", CLEAN)
    out = tmp_path / "out"
    assert main(["run", str(folder), "--out", str(out), "--demo-key"]) == 0
    assert "PUBLIC demonstration key" in capsys.readouterr().err
    record = json.loads((out / "run.json").read_text())
    assert record["demonstration_key"] is True and record["synthetic"] is False
    quality = json.loads((out / "linkage" / "linkage_quality.json").read_text())
    assert quality["demonstration_key"] is True


# --- sources --------------------------------------------------------------------------------------------------


def test_sources_rows_are_validated_counted_and_a_malformed_line_rejected(tmp_path: Path, key):
    folder = write_valid_folder(tmp_path / "data", CLEAN)
    sources = tmp_path / "sources"
    sources.mkdir()
    leavers = VALID_FILES["care_leavers"]
    (sources / "care_leavers.csv").write_text(leavers + "L003,C001,,\n", encoding="utf-8")  # line 4: 4 fields
    out = tmp_path / "out"
    assert main(["run", str(folder), "--out", str(out), "--sources", str(sources)]) == 1
    counts = pd.read_csv(out / "validation" / "counts.csv", dtype={"read": int})
    row = counts[(counts["input"] == "sources") & (counts["table"] == "care_leavers")].iloc[0]
    assert (row["file"], row["read"], row["accepted"], row["rejected"]) == ("sources/care_leavers.csv", 3, 2, 1)
    rejects = pd.read_csv(out / "validation" / "rejects.csv", dtype=str, keep_default_na=False)
    line = rejects[rejects["file"] == "sources/care_leavers.csv"]
    assert line[["row", "code"]].values.tolist() == [["4", "P00"]]
    assert "C001" not in line["value"].iloc[0]
    record = json.loads((out / "run.json").read_text())
    assert set(record["sources"]) == {"care_leavers.csv"}
    assert record["rows"]["sources:care_leavers"]["rejected"] == 1
