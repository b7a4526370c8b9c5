"""Benchmark: link the synthetic follow-up sources at a given scale, reporting time, peak memory and accuracy.

Usage::

    .venv/bin/python benchmarks/bench_linkage.py --scale 10 [--engine duckdb] [--threads 2]
    .venv/bin/python benchmarks/bench_linkage.py --scale 10 --copies 10   # a scale-100 equivalent
    .venv/bin/python benchmarks/bench_linkage.py --data DIR               # a folder already written

The synthetic folder is generated once into a cache folder (``--cache``,
default ``/tmp/bench-data``) and reused; only the linking is timed. The link
runs in a child process (``outcomes link DATA --sources DATA/unlinked``) so
that its peak resident memory (``ru_maxrss`` of the child) is its own. The
result is printed as one JSON line: scale, records, seconds, peak RSS in MiB,
precision, recall, F1 and the threshold.

``--copies N`` builds a national-scale input from N cohorts of ``--scale``
generated with seeds 0 to N-1, every id prefixed by its copy (``K3C0000001``)
so the cohorts are disjoint. The copies share the generator's name lists and
its postcode sample, so the children are as crowded on names and postcodes as
one cohort N times as large: the blocking load grows as it would.

Measured on this 2-core, 24 GB machine (shared with other work; DuckDB, two
threads, synthetic default error rates); see ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

DEFAULT_CACHE = Path("/tmp/bench-data")
ID_SUFFIX = "_id"


def _link(data: Path, out: Path, engine: str, threads: int | None) -> dict:
    entry = "import sys; from outcomes.cli import main; sys.exit(main(sys.argv[1:]))"
    command = [sys.executable, "-c", entry, "link", str(data), "--out", str(out), "--sources"]
    command += [str(data / "unlinked"), "--engine", engine, "--demo-key"]  # synthetic data: the public key
    if threads:
        command += ["--threads", str(threads)]
    began = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    if completed.returncode != 0:
        raise SystemExit(f"outcomes link failed ({completed.returncode}):\n{completed.stderr[-4000:]}")
    # ru_maxrss of finished children, in KiB on Linux: the largest child is the linker.
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    quality = json.loads((out / "linkage_quality.json").read_text())
    return {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mib": round(peak_mib),
        "records": quality["records"],
        "linked": quality["linked"],
        "candidate_pairs": quality.get("candidate_pairs"),
        "threshold": quality.get("threshold"),
        "precision": quality.get("precision"),
        "recall": quality.get("recall"),
        "f1": quality.get("f1"),
    }


def _generate(folder: Path, scale: float, seed: int) -> Path:
    if not (folder / "truth_links.csv").is_file():
        import synthetic

        synthetic.generate(folder, seed=seed, scale=scale, fmt="parquet")
    return folder


def _prefixed(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    frame = frame.copy()
    for column in frame.columns:
        if column.endswith(ID_SUFFIX):
            frame[column] = (prefix + frame[column].astype("string")).astype("string")
    return frame


def compose(copies: list[Path], out: Path) -> Path:
    """One data folder from several synthetic cohorts: ids prefixed by copy, homes pooled.

    Homes of different seeds have different URNs, so homes and capacity are
    simply pooled (a URN met twice keeps its first row).
    """
    if (out / "truth_links.csv").is_file():
        return out
    (out / "unlinked").mkdir(parents=True, exist_ok=True)
    tables = sorted(p.name for p in copies[0].glob("*.parquet"))
    for relative in [*tables, *(f"unlinked/{p.name}" for p in sorted((copies[0] / "unlinked").glob("*.parquet")))]:
        parts = [_prefixed(pd.read_parquet(folder / relative), f"K{k}") for k, folder in enumerate(copies)]
        frame = pd.concat(parts, ignore_index=True)
        if relative == "homes.parquet":
            frame = frame.drop_duplicates("urn")
        elif relative == "home_capacity.parquet":
            frame = frame.drop_duplicates(["urn", "snapshot_date"])
        frame.to_parquet(out / relative, index=False)
    truth = [
        pd.read_csv(folder / "truth_links.csv", dtype=str).assign(
            record_id=lambda t, k=k: f"K{k}" + t["record_id"], child_id=lambda t, k=k: f"K{k}" + t["child_id"]
        )
        for k, folder in enumerate(copies)
    ]
    pd.concat(truth, ignore_index=True).to_csv(out / "truth_links.csv", index=False)
    document = json.loads((copies[0] / "truth.json").read_text())
    document["composed_of"] = [str(c) for c in copies]
    (out / "truth.json").write_text(json.dumps(document, indent=2, sort_keys=True))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0, help="Synthetic scale (1 = England's published numbers).")
    parser.add_argument("--copies", type=int, default=1, help="Cohorts of --scale to pool (seeds 0 to N-1).")
    parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb", help="Linkage engine.")
    parser.add_argument("--data", type=Path, default=None, help="An existing synthetic folder to link instead.")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="Folder of generated inputs (reused).")
    parser.add_argument("--out", type=Path, default=None, help="Output folder (default: a folder in the cache).")
    parser.add_argument("--threads", type=int, default=None, help="Engine threads (default: all cores).")
    args = parser.parse_args()

    data = args.data
    if data is None:
        scale_name = f"{args.scale:g}"
        singles = [_generate(args.cache / f"scale{scale_name}_seed{k}", args.scale, k) for k in range(args.copies)]
        data = singles[0] if args.copies == 1 else compose(singles, args.cache / f"scale{scale_name}x{args.copies}")
    out = args.out or args.cache / f"out-{data.name}-{args.engine}"
    shutil.rmtree(out, ignore_errors=True)
    result = _link(data, out, args.engine, args.threads)
    scale = None if args.data is not None else args.scale * args.copies
    result = {"data": str(data), "scale": scale, "engine": args.engine, **result}
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
