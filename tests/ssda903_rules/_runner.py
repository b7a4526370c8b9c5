"""Run DfE's SSDA903 validation rules on one synthetic cohort (executed inside the validator's own venv).

Usage: python _runner.py SSDA903_FOLDER [YEAR ...]; prints JSON to stdout:
{"<year>": {"ruleset": ..., "failures": {"<rule>": rows}, "failing_children": {"<rule>": [CHILD, ...]},
"crashed": [...], "skipped": [...], "rules_run": n}}
"""

import importlib
import json
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("QLACREF_PC_INSECURE", "True")
logging.disable(logging.CRITICAL)

from lac_validator import lac_validator  # noqa: E402
from lac_validator.types import UploadedFile  # noqa: E402

TABLES = ("header", "episodes", "oc2", "oc3", "missing")
RULESETS = {2023: "lac2022_23", 2024: "lac2023_24", 2025: "lac2024_25", 2026: "lac2025_26", 2027: "lac2026_27"}


def ruleset_for(year: int) -> str:
    # The package carries rulesets from 2022-23 on; earlier years use the oldest one.
    return RULESETS.get(year, "lac2022_23" if year < 2023 else "lac2026_27")


def uploaded(folder: Path, description: str) -> list:
    return [
        UploadedFile(name=f"{t}.csv", description=description, file_content=(folder / f"{t}.csv").read_bytes())
        for t in TABLES
        if (folder / f"{t}.csv").is_file()
    ]


def main() -> None:
    root = Path(sys.argv[1])
    years = [int(y) for y in sys.argv[2:]] or sorted(int(p.name) for p in root.iterdir() if p.name.isdigit())
    out = {}
    for year in years:
        files = uploaded(root / str(year), "This year")
        if (root / str(year - 1)).is_dir():
            files += uploaded(root / str(year - 1), "Prev year")
        name = ruleset_for(year)
        registry = importlib.import_module(f"lac_validator.rules.{name}").registry
        validator = lac_validator.LacValidator(
            metadata={"collectionYear": str(year), "localAuthority": "E09000027"},
            files=files,
            registry=registry,
        )
        failures, children = {}, {}
        for frame in validator.ds_results.values():
            if not hasattr(frame, "columns"):
                continue
            for column in frame.columns:
                if str(column).startswith("ERR_"):
                    flagged = frame[column].fillna(False).astype(bool)
                    n = int(flagged.sum())
                    if n:
                        key = str(column)[4:]
                        failures[key] = failures.get(key, 0) + n
                        if "CHILD" in frame.columns:
                            ids = set(children.get(key, [])) | set(frame.loc[flagged, "CHILD"].astype(str))
                            children[key] = sorted(ids)
        out[str(year)] = {
            "ruleset": name,
            "failures": dict(sorted(failures.items())),
            "failing_children": dict(sorted(children.items())),
            "crashed": sorted(validator.fails),
            "skipped": sorted(validator.skips),
            "rules_run": len(validator.dones),
        }
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
