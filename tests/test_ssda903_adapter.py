"""The SSDA903 adapter: standard Children looked after return files read into contract tables.

A hand-written folder of two collection years (2020 and 2021) with DfE's column names and dd/mm/yyyy
dates. C001's first episode is open at 31 March 2020 and closed in the 2021 return, so it is in both;
C001 is in both years' Header. Every expected value below can be checked by eye against the files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from contract_fixtures import TODAY, VALID_FILES, write_valid_folder

from outcomes.cli import main
from outcomes.errors import StructuralError
from outcomes.pipeline import load_with_adapters
from outcomes.ssda903 import LOCAL_AUTHORITY_NOT_KNOWN, read_ssda903_folder

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB,LA\n"
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
OC2 = (
    "CHILD,DOB,SDQ_SCORE,SDQ_REASON,CONVICTED,HEALTH_CHECK,IMMUNISATIONS,TEETH_CHECK,HEALTH_ASSESSMENT,"
    "SUBSTANCE_MISUSE,INTERVENTION_RECEIVED,INTERVENTION_OFFERED\n"
)
OC3 = "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM\n"
MISSING = "CHILD,DOB,MISSING,MIS_START,MIS_END\n"

SSDA903 = {
    "2020": {
        "Header.csv": HEADER
        + "C001,2,12/04/2006,WBRI,A123456789012,,,202\n"
        + "C002,1,03/09/2005,BCRB,B123456789012,,,330\n",
        "Episodes.csv": EPISODES + "C001,04/03/2020,P,C2,N1,K1,PR1,,,,LS1 4AB,LS2 9ZZ,SC000001\n",
        # The first spell is within C001's stay S001 (2020-03-04 to 2020-06-30); the second is within no stay.
        "Missing.csv": MISSING
        + "C001,12/04/2006,M,01/04/2020,02/04/2020\n"
        + "C002,03/09/2005,M,01/01/2019,02/01/2019\n",
    },
    "2021": {
        "header.csv": HEADER
        + "C001,2,12/04/2006,WBRI,A123456789012,,,202\n"
        + "C003,2,20/01/2007,MWBC,C123456789012,,,886\n",
        "episodes.csv": EPISODES
        + "C001,04/03/2020,P,C2,N1,K1,PR1,30/06/2020,X1,CARPL,LS1 4AB,LS2 9ZZ,SC000001\n"
        + "C001,30/06/2020,P,C2,N1,U6,PR4,,,,LS1 4AB,M1 1AA,XXXXXXX\n",
        "oc2.csv": OC2 + "C001,12/04/2006,14,,0,1,1,1,1,0,,\n",
        "oc3.csv": OC3 + "C002,03/09/2005,YES,F2,D1\n" + "C003,20/01/2007,NO,0,0\n",
    },
}
DATA = {name: VALID_FILES[name] for name in ("referrals", "homes", "stays")}


def write_ssda903(folder: Path, files: dict[str, dict[str, str]] = SSDA903) -> Path:
    for year, year_files in files.items():
        (folder / year).mkdir(parents=True, exist_ok=True)
        for name, text in year_files.items():
            (folder / year / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def data_folder(tmp_path: Path) -> Path:
    folder = write_valid_folder(tmp_path / "data", DATA)
    write_ssda903(folder / "ssda903")
    return folder


def test_contract_tables_from_ssda903(data_folder: Path):
    result = load_with_adapters(data_folder, None, TODAY)
    assert result.rejects.empty, result.rejects.to_string()

    children = result.tables["children"].set_index("child_id")
    # C002 from the 2020 Header; C001 (superseded in 2020) and C003 from the 2021 Header.
    assert list(children.index) == ["C002", "C001", "C003"]
    assert children.loc["C001", "birth_month"] == pd.Timestamp("2006-04-01")  # the day is dropped
    assert list(children["local_authority"]) == ["330", "202", "886"]
    assert list(children["ethnicity"]) == ["BCRB", "WBRI", "MWBC"]

    episodes = result.tables["care_episodes"].set_index("record_id")
    # Record ids name the file and line of the row kept (never the child's id, which would reach the outputs).
    assert list(episodes.index) == ["episodes/2021/2", "episodes/2021/3"]
    first = episodes.loc["episodes/2021/2"]
    # The 2021 return, where the episode ended, supersedes the 2020 one, where it was open.
    assert (first["decom"], first["dec"]) == (pd.Timestamp("2020-03-04"), pd.Timestamp("2020-06-30"))
    assert (first["rec"], first["reason_place_change"], first["place"], first["urn"]) == (
        "X1",
        "CARPL",
        "K1",
        "SC000001",
    )
    assert pd.isna(episodes.loc["episodes/2021/3", "urn"])  # XXXXXXX: not Ofsted registered
    assert pd.isna(episodes.loc["episodes/2021/3", "dec"])

    checks = result.tables["health_checks"]
    assert len(checks) == 1
    row = checks.iloc[0]
    assert (row["record_id"], row["child_id"], row["period_end"]) == (
        "oc2/2021/2",
        "C001",
        pd.Timestamp("2021-03-31"),
    )
    assert (row["immunisations"], row["convicted"], row["sdq_score"]) == (True, False, 14)

    # OC3 writes 0 for activity and accommodation where they do not apply: they are empty, not codes.
    not_in_touch = result.tables["care_leavers"].iloc[1]
    assert not_in_touch["in_touch"] == "NO"
    assert pd.isna(not_in_touch["activity"]) and pd.isna(not_in_touch["accommodation"])
    leavers = result.tables["care_leavers"].iloc[0]
    assert (leavers["record_id"], leavers["in_touch"], leavers["activity"], leavers["accommodation"]) == (
        "oc3/2021/2",
        "YES",
        "F2",
        "D1",
    )

    incidents = result.tables["incidents"]
    assert incidents.to_dict("records") == [
        {
            "incident_id": "missing/2020/2",
            "stay_id": "S001",
            "incident_date": pd.Timestamp("2020-04-01"),
            "incident_type": "missing",
        }
    ]


def test_superseding_and_spells_outside_stays_are_noted(data_folder: Path):
    result = load_with_adapters(data_folder, None, TODAY)
    assert "ssda903:care_episodes: 1 row(s) repeated in a later year's return were superseded by it" in result.notes
    assert "ssda903:children: 1 row(s) repeated in a later year's return were superseded by it" in result.notes
    assert "ssda903:incidents: 1 missing spell(s) outside any secure-home stay not loaded as incidents" in result.notes
    counts = {name: (c.read, c.accepted, c.rejected) for name, c in result.counts.items()}
    assert counts["care_episodes"] == (2, 2, 0) and counts["children"] == (3, 3, 0)
    assert counts["incidents"] == (1, 1, 0)


def test_bad_date_names_the_ssda903_file_and_line(tmp_path: Path):
    files = {year: dict(year_files) for year, year_files in SSDA903.items()}
    files["2021"]["episodes.csv"] = files["2021"]["episodes.csv"].replace("C001,30/06/2020,P", "C001,2020-06-30,P")
    files["2020"]["Missing.csv"] += "C001,12/04/2006,M,1st May 2020,\n"
    folder = write_valid_folder(tmp_path / "data", DATA)
    write_ssda903(folder / "ssda903", files)
    result = load_with_adapters(folder, None, TODAY)
    rejects = result.rejects[result.rejects["code"] == "P02"]
    assert rejects[["row", "column", "value", "rule"]].to_dict("records") == [
        {"row": 4, "column": "incident_date", "value": "1st May 2020", "rule": "date must be written DD/MM/YYYY"},
        {"row": 3, "column": "decom", "value": "2020-06-30", "rule": "date must be written DD/MM/YYYY"},
    ]
    assert list(rejects["file"]) == [
        str(folder / "ssda903" / "2020" / "Missing.csv"),
        str(folder / "ssda903" / "2021" / "episodes.csv"),
    ]
    # The undated spell cannot be placed in a stay either; it is one rejected row, not dropped.
    assert set(result.rejects["code"]) == {"P02", "T02"}
    assert (result.counts["incidents"].read, result.counts["incidents"].rejected) == (2, 1)
    assert (result.counts["care_episodes"].read, result.counts["care_episodes"].rejected) == (2, 1)


def test_a_repeated_episode_within_one_return_is_rejected_not_superseded(tmp_path: Path):
    files = {year: dict(year_files) for year, year_files in SSDA903.items()}
    files["2021"]["episodes.csv"] += "C001,30/06/2020,P,C2,N1,U6,PR4,,,,LS1 4AB,M1 1AA,XXXXXXX\n"
    folder = write_valid_folder(tmp_path / "data", DATA)
    write_ssda903(folder / "ssda903", files)
    result = load_with_adapters(folder, None, TODAY)
    assert result.rejects[["row", "column", "value", "code"]].to_dict("records") == [
        {"row": 4, "column": "decom", "value": "30/06/2020", "code": "S01"}
    ]
    assert result.counts["care_episodes"].read == 3


def test_malformed_ssda903_lines_keep_their_own_file(tmp_path: Path):
    """Two years' files each with a malformed line 2: two rows rejected, each naming its own file."""
    files = {year: dict(year_files) for year, year_files in SSDA903.items()}
    files["2020"]["Episodes.csv"] = EPISODES + "C009,01/01/2020\n" + files["2020"]["Episodes.csv"][len(EPISODES) :]
    files["2021"]["episodes.csv"] = EPISODES + "C009,01/01/2020\n" + files["2021"]["episodes.csv"][len(EPISODES) :]
    folder = write_valid_folder(tmp_path / "data", DATA)
    write_ssda903(folder / "ssda903", files)
    result = load_with_adapters(folder, None, TODAY)
    assert list(result.rejects["file"].str.extract(r"(20\d\d/\w+\.csv)$")[0]) == [
        "2020/Episodes.csv",
        "2021/episodes.csv",
    ]
    assert result.counts["care_episodes"].rejected == 2


def _without_la(files: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    files = {year: dict(year_files) for year, year_files in files.items()}
    for year, name in (("2020", "Header.csv"), ("2021", "header.csv")):
        files[year][name] = "\n".join(line.rsplit(",", 1)[0] for line in files[year][name].splitlines()) + "\n"
    return files


def test_header_as_dfe_publishes_it_has_no_la_the_authority_is_given_or_not_known(tmp_path: Path, caplog):
    folder = write_valid_folder(tmp_path / "data", DATA)
    write_ssda903(folder / "ssda903", _without_la(SSDA903))
    result = load_with_adapters(folder, None, TODAY)
    assert result.rejects.empty, result.rejects.to_string()
    assert set(result.tables["children"]["local_authority"]) == {LOCAL_AUTHORITY_NOT_KNOWN}
    assert any("local authority not known for 3 child(ren)" in note for note in result.notes)
    assert "local authority not known" in caplog.text  # a warning, not only a note
    given = load_with_adapters(folder, None, TODAY, local_authority="886")
    assert set(given.tables["children"]["local_authority"]) == {"886"}
    assert not any("local authority not known" in note for note in given.notes)


def test_children_file_and_header_are_merged_the_file_wins(tmp_path: Path):
    """The secure home's children table holds the referred children; the Header adds the others."""
    children = VALID_FILES["children"].replace("C003,2,2007-01,MWBC,886\n", "")  # C003 only in the 2021 Header
    folder = write_valid_folder(tmp_path / "data", DATA | {"children": children})
    write_ssda903(folder / "ssda903", _without_la(SSDA903))
    result = load_with_adapters(folder, None, TODAY, local_authority="999")
    assert result.rejects.empty, result.rejects.to_string()
    frame = result.tables["children"].set_index("child_id")
    assert list(frame.index) == ["C001", "C002", "C003"]
    assert list(frame["local_authority"]) == ["202", "330", "999"]  # the file's own, then the given one
    assert result.counts["children"].read == 3
    assert result.counts["children"].file == str(folder / "children.csv")


def test_year_rules_reject_with_dfe_codes_naming_file_line_column_and_value(tmp_path: Path):
    """Each return is judged by its own year's code lists and dates (DfE rules 101, 146, 354, 385)."""
    files = {
        "2024": {
            "header.csv": HEADER + "C001,2,12/04/2006,WBRI,A1,,,202\n",
            # K3 arrives in 2024-25: not valid in the 2023-24 return. The second episode ends after 31 March 2024.
            "episodes.csv": EPISODES
            + "C001,04/03/2023,S,C2,N1,K3,PR1,,,,LS1 4AB,LS2 9ZZ,SC000001\n"
            + "C001,05/05/2023,P,C2,N1,K1,PR1,02/04/2024,E13,,LS1 4AB,LS2 9ZZ,SC000001\n",
        },
        "2025": {
            # From 2024-25 sex is M, F or U: 1 is no longer valid; U has no contract code.
            "header.csv": HEADER + "C002,M,03/09/2008,BCRB,B1,,,330\n" + "C003,1,20/01/2009,MWBC,C1,,,886\n"
            "C004,U,20/01/2009,MWBC,C1,,,886\n",
            "episodes.csv": EPISODES
            + "C002,04/03/2025,S,C2,N1,K3,PR1,,,,LS1 4AB,LS2 9ZZ,SC000001\n"
            # begins after 31 March 2025
            + "C002,01/04/2025,P,C2,N1,K1,PR1,,,,LS1 4AB,LS2 9ZZ,SC000001\n",
        },
        "2026": {
            "header.csv": HEADER + "C005,F,03/09/2010,BCRB,B1,,,330\n",
            # Z1 was withdrawn in 2025-26 (Z11 to Z14 replace it).
            "episodes.csv": EPISODES
            + "C005,04/03/2026,S,C2,N1,Z1,PR1,,,,LS1 4AB,LS2 9ZZ,\n"
            + "C005,05/03/2026,P,C2,N1,Z12,PR1,,,,LS1 4AB,LS2 9ZZ,\n",
        },
    }
    raw = read_ssda903_folder(write_ssda903(tmp_path / "returns", files))
    problems = sorted(
        (Path(file).parent.name, row, column, value, code)
        for row, column, value, _rule, file, code in [
            *raw["care_episodes"].problems,
            *raw["children"].problems,
        ]
    )
    assert problems == [
        ("2024", 2, "place", "K3", "D146"),
        ("2024", 3, "dec", "02/04/2024", "D385"),
        ("2025", 3, "decom", "01/04/2025", "D354"),
        ("2025", 3, "sex", "1", "D101"),
        ("2025", 4, "sex", "U", "D101"),
        ("2026", 2, "place", "Z1", "D146"),
    ]
    rules = {code: rule for *_, rule, _file, code in raw["care_episodes"].problems}
    assert rules["D146"].startswith("DfE rule 146: placement type code is not valid in this collection year")
    assert "(2023 to 2024)" in rules["D146"] or "(2025 to 2026)" in rules["D146"]
    assert "after 31 March of the collection year" in rules["D385"]
    episodes = raw["care_episodes"].frame
    assert sorted(episodes["place"]) == ["K3", "Z12"]  # K3 valid in 2024-25, Z12 in 2025-26
    children = raw["children"].frame.set_index("child_id")
    assert children["sex"].to_dict() == {"C001": "2", "C002": "1", "C005": "2"}  # M and F in contract codes


def test_year_rule_rejects_reach_the_rejects_and_counts(tmp_path: Path):
    files = {year: dict(year_files) for year, year_files in SSDA903.items()}
    files["2021"]["episodes.csv"] += "C001,01/07/2020,P,C2,N1,U6,PR4,05/04/2021,E13,CARPL,LS1 4AB,M1 1AA,XXXXXXX\n"
    folder = write_valid_folder(tmp_path / "data", DATA)
    write_ssda903(folder / "ssda903", files)
    result = load_with_adapters(folder, None, TODAY)
    assert result.rejects[["file", "row", "column", "value", "code"]].to_dict("records") == [
        {
            "file": str(folder / "ssda903" / "2021" / "episodes.csv"),
            "row": 4,
            "column": "dec",
            "value": "05/04/2021",
            "code": "D385",
        }
    ]
    count = result.counts["care_episodes"]
    assert (count.read, count.accepted, count.rejected) == (3, 2, 1)


def test_validate_picks_up_the_ssda903_folder(data_folder: Path, tmp_path: Path, capsys):
    code = main(["validate", str(data_folder), "--rejects", str(tmp_path / "r.csv"), "--today", "2024-01-01"])
    output = capsys.readouterr().out
    assert code == 0, output
    lines = {line.split()[0]: line.split()[1:] for line in output.splitlines() if line and line[0].islower()}
    assert lines["care_episodes"] == ["2", "2", "0"]
    assert lines["children"] == ["3", "3", "0"]
    assert lines["incidents"] == ["1", "1", "0"]
    assert "superseded" in output


def test_single_year_folder_needs_a_year(tmp_path: Path):
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "oc3.csv").write_text(SSDA903["2021"]["oc3.csv"])
    with pytest.raises(StructuralError, match="no year folders"):
        read_ssda903_folder(folder)
    raw = read_ssda903_folder(folder, year=2022)["care_leavers"]
    assert raw.frame["period_end"].tolist() == ["31/03/2022"] * 2


@pytest.mark.slow
def test_synthetic_ssda903_folder_validates_cleanly(tmp_path: Path):
    """The synthetic generator's SSDA903 files (no LA in Header) load with the contract tables it writes."""
    synthetic = pytest.importorskip("synthetic")
    out = synthetic.generate(tmp_path / "synth", seed=3, scale=0.05, fmt="csv")
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("children", "referrals", "homes", "stays"):
        (folder / f"{name}.csv").write_bytes((out / f"{name}.csv").read_bytes())
    (out / "ssda903").rename(folder / "ssda903")
    result = load_with_adapters(folder, None, pd.Timestamp(synthetic_data_end(out)).date())
    assert result.rejects.empty, result.rejects.head(20).to_string()
    for name in ("care_episodes", "health_checks", "care_leavers"):
        assert result.counts[name].accepted > 0, name
        assert result.counts[name].file == f"ssda903:{name}"


def synthetic_data_end(out: Path) -> str:
    import json

    truth = json.loads((out / "truth.json").read_text())
    return str(truth.get("options", {}).get("data_end", "2024-03-31"))


def test_header_merges_with_a_parquet_children_table(tmp_path: Path):
    """The secure homes' children table may be Parquet (typed); the Header's rows are added to it as text."""
    children = pd.DataFrame(
        {
            "child_id": pd.array(["C001", "C002"], dtype="string"),
            "sex": pd.array(["2", "1"], dtype="string"),
            "birth_month": pd.to_datetime(["2006-04-01", "2005-09-01"]),
            "ethnicity": pd.array(["WBRI", "BCRB"], dtype="string"),
            "local_authority": pd.array(["202", "330"], dtype="string"),
        }
    )
    folder = write_valid_folder(tmp_path / "data", DATA)
    children.to_parquet(folder / "children.parquet", index=False)
    write_ssda903(folder / "ssda903", _without_la(SSDA903))
    result = load_with_adapters(folder, None, TODAY, local_authority="886")
    assert result.rejects.empty, result.rejects.to_string()
    frame = result.tables["children"].set_index("child_id")
    assert list(frame.index) == ["C001", "C002", "C003"]
    assert frame.loc["C003", "birth_month"] == pd.Timestamp("2007-01-01")
    assert list(frame["local_authority"]) == ["202", "330", "886"]
    # Read: the file's 2 rows and the Header's C003; C001 and C002, held by the file, are in the notes.
    assert result.counts["children"].read == 3
    assert "2 row(s) from SSDA903 already in children.parquet: the file's row is kept" in result.notes


def test_data_inside_the_output_folder_is_refused(tmp_path: Path, monkeypatch, capsys):
    folder = write_valid_folder(tmp_path / "out" / "data", DATA)
    write_ssda903(folder / "ssda903")
    (tmp_path / "out" / "run.json").write_text("{}")
    monkeypatch.setenv("OUTCOMES_PSEUDONYM_KEY", "a long secret key held by the data controller")
    assert main(["run", str(folder), "--out", str(tmp_path / "out")]) == 2
    assert "inside the output folder" in capsys.readouterr().err
    assert (folder / "stays.csv").is_file()
