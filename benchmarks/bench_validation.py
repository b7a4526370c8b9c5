"""Benchmark: validate a data folder whose largest table is a 200 MB CSV, reporting peak memory and time.

Usage::

    .venv/bin/python benchmarks/bench_validation.py                      # this checkout's loader
    .venv/bin/python benchmarks/bench_validation.py --python /work/main/.venv/bin/python   # another one
    .venv/bin/python benchmarks/bench_validation.py --rows 1000000       # a smaller file

The folder holds the four required tables of the synthetic cohort (scale 1,
seed 0, as CSV) and an ``education.csv`` of ``--rows`` rows (default
5,200,000, about 200 MB): the national pupil records are the largest table
an evaluation reads. Its rows are generated directly, in the form the
generator writes them: a record id, a child of the cohort, no identifier
columns filled (the source carries the child id), an academic year, an
attendance percentage, an Attainment 8 score on one row in five and an EET
flag. Two folders are built once into ``--cache`` and reused:

``clean``
    every row valid;
``quarter_bad``
    every fourth row broken, in turn: an attendance that is not a number
    (P02), an EET flag that is not true or false (P02), an academic year
    out of range (T04) and an unknown child (X13).

Each folder is loaded with :func:`outcomes.loading.load_data` in a child
process run by ``--python`` (so that another checkout's code can be measured
with its own interpreter), and the child's own peak resident memory
(``ru_maxrss``) and wall time are reported with the ratio of the peak to the
size of the largest file, with the SHA-256 of the rejects as CSV (so that two
loaders' rejects can be compared). One JSON line per folder.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_CACHE = Path("/tmp/bench-validation")
DEFAULT_ROWS = 5_200_000
REQUIRED = ("children", "homes", "referrals", "stays")
BAD_EVERY = 4
CHUNK = 500_000

LOAD = """
import hashlib, json, resource, sys
from datetime import date
from outcomes.loading import load_data
result = load_data(sys.argv[1], today=date(2024, 6, 1))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # before the rejects are hashed (that costs memory too)
digest = hashlib.sha256()
for start in range(0, max(len(result.rejects), 1), 100_000):  # the bytes of rejects.to_csv(index=False), in slices
    part = result.rejects.iloc[start : start + 100_000]
    digest.update(part.to_csv(index=False, header=start == 0, lineterminator="\\n").encode())
print(json.dumps({name: [c.read, c.accepted, c.rejected] for name, c in result.counts.items()}))
print(len(result.rejects), peak, digest.hexdigest())
"""
"""Run in the child: load the folder, then print the counts, and the reject lines, the peak resident memory
of the load (KiB) and the SHA-256 of the rejects as CSV, so that two loaders' rejects can be compared."""


def _required_tables(folder: Path) -> list[str]:
    """Write the synthetic cohort's required tables as CSV (as ``outcomes synth`` does); return its child ids."""
    import shutil
    import tempfile

    import synthetic

    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        synthetic.generate(scratch, seed=0, scale=1.0, fmt="csv")
        for name in REQUIRED:
            shutil.copy(Path(scratch) / f"{name}.csv", folder / f"{name}.csv")
    return list(pd.read_csv(folder / "children.csv", dtype=str)["child_id"])


def _education_chunk(rng: np.random.Generator, start: int, rows: int, children: np.ndarray, bad: bool) -> str:
    numbers = np.arange(start, start + rows)
    frame = pd.DataFrame(
        {
            "record_id": np.char.add("ED", np.char.zfill(numbers.astype(str), 8)),
            "child_id": rng.choice(children, rows),
            "forename": "",
            "surname": "",
            "date_of_birth": "",
            "sex_recorded": "",
            "postcode": "",
            "academic_year": rng.integers(2015, 2024, rows).astype(str),
            "attendance_pct": np.round(rng.uniform(40, 100, rows), 1).astype(str),
            "attainment8": np.where(rng.random(rows) < 0.2, np.round(rng.uniform(0, 80, rows), 1).astype(str), ""),
            "in_eet": np.where(rng.random(rows) < 0.7, "true", "false"),
        }
    )
    if bad:
        broken = numbers % BAD_EVERY == 0
        kind = (numbers // BAD_EVERY) % 4
        frame.loc[broken & (kind == 0), "attendance_pct"] = "abc"
        frame.loc[broken & (kind == 1), "in_eet"] = "maybe"
        frame.loc[broken & (kind == 2), "academic_year"] = "1989"
        frame.loc[broken & (kind == 3), "child_id"] = "NOCHILD"
    return frame.to_csv(index=False, header=False, lineterminator="\n")


def build(cache: Path, rows: int) -> dict[str, Path]:
    """Build (once) the clean and quarter-bad folders; return them by name."""
    folders = {"clean": cache / f"clean-{rows}", "quarter_bad": cache / f"quarter_bad-{rows}"}
    for name, folder in folders.items():
        target = folder / "education.csv"
        if target.exists():
            continue
        children = np.asarray(_required_tables(folder))
        rng = np.random.default_rng(0)
        partial = target.with_suffix(".partial")
        with partial.open("w", encoding="utf-8", newline="") as handle:
            handle.write(
                "record_id,child_id,forename,surname,date_of_birth,sex_recorded,postcode,"
                "academic_year,attendance_pct,attainment8,in_eet\n"
            )
            for start in range(1, rows + 1, CHUNK):
                count = min(CHUNK, rows + 1 - start)
                handle.write(_education_chunk(rng, start, count, children, name == "quarter_bad"))
        partial.rename(target)
    return folders


def measure(python: str, folder: Path) -> dict[str, object]:
    """Load ``folder`` in a child process; its wall time and peak resident memory."""
    largest = max(path.stat().st_size for path in folder.glob("*.csv"))
    began = time.perf_counter()
    # Run in the data folder: from a checkout, ``python -c`` would import that checkout's ``outcomes`` (the
    # current directory comes first on the path), whatever interpreter ``--python`` names.
    completed = subprocess.run(
        [python, "-c", LOAD, str(folder)], capture_output=True, text=True, check=False, cwd=folder
    )
    seconds = time.perf_counter() - began
    if completed.returncode != 0:
        raise SystemExit(f"load_data failed ({completed.returncode}):\n{completed.stderr[-4000:]}")
    counts_line, rejects_line = completed.stdout.strip().splitlines()[-2:]
    counts = json.loads(counts_line)
    reject_lines, peak_kib, rejects_sha256 = rejects_line.split()
    peak = int(peak_kib) * 1024  # ru_maxrss is in KiB on Linux
    return {
        "folder": folder.name,
        "largest_file_mb": round(largest / 1e6, 1),
        "education_rows": counts["education"][0],
        "accepted": counts["education"][1],
        "rejected": counts["education"][2],
        "reject_lines": int(reject_lines),
        "rejects_sha256": rejects_sha256,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak / 1e6),
        "peak_over_file": round(peak / largest, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter whose `outcomes` is measured")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--only", choices=["clean", "quarter_bad"], default=None)
    args = parser.parse_args()
    folders = build(args.cache, args.rows)
    for name, folder in folders.items():
        if args.only in (None, name):
            # One process per measurement, so that no folder's run shares a process with another's.
            if args.only is None:
                command = [sys.executable, __file__, "--python", args.python, "--rows", str(args.rows)]
                command += ["--cache", str(args.cache), "--only", name]
                subprocess.run(command, check=True)
            else:
                print(json.dumps(measure(args.python, folder)), flush=True)


if __name__ == "__main__":
    main()
