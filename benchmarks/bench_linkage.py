"""Benchmark: link the synthetic follow-up sources at a given scale, reporting time, peak memory and accuracy.

Usage::

    .venv/bin/python benchmarks/bench_linkage.py --scale 100 [--engine duckdb] [--data DIR] [--threads 2]

The synthetic folder is generated first (not timed) unless ``--data`` names
one already written. The link runs in a child process so that its peak
resident memory (``ru_maxrss`` of the child) is its own. The result is
printed as one JSON line: scale, records, seconds, peak RSS in MiB,
precision, recall, F1 and the threshold.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _link(data: Path, out: Path, engine: str, threads: int | None) -> dict:
    entry = "import sys; from outcomes.cli import main; sys.exit(main(sys.argv[1:]))"
    command = [sys.executable, "-c", entry, "link", str(data), "--out", str(out), "--sources"]
    command += [str(data / "unlinked"), "--engine", engine]
    if threads:
        command += ["--threads", str(threads)]
    began = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    if completed.returncode != 0:
        raise SystemExit(f"outcomes link failed ({completed.returncode}):\n{completed.stderr[-4000:]}")
    # ru_maxrss of finished children, in KiB on Linux: the largest child is the linker.
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    quality = json.loads((out / "linkage_quality.json").read_text())
    return {
        "seconds": round(seconds, 1),
        "peak_rss_mib": round(peak_mib),
        "records": quality["records"],
        "linked": quality["linked"],
        "candidate_pairs": quality.get("candidate_pairs"),
        "threshold": quality.get("threshold"),
        "precision": quality.get("precision"),
        "recall": quality.get("recall"),
        "f1": quality.get("f1"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100.0, help="Synthetic scale (1 = England's published numbers).")
    parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb", help="Linkage engine.")
    parser.add_argument("--data", type=Path, default=None, help="An existing synthetic folder to link instead.")
    parser.add_argument("--threads", type=int, default=None, help="Engine threads (default: all cores).")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the synthetic data.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-linkage-") as scratch:
        data = args.data
        generate_seconds = None
        if data is None:
            import synthetic

            data = Path(scratch) / "data"
            began = time.perf_counter()
            synthetic.generate(data, seed=args.seed, scale=args.scale, fmt="parquet")
            generate_seconds = round(time.perf_counter() - began, 1)
        result = _link(data, Path(scratch) / "out", args.engine, args.threads)
    result = {"scale": args.scale, "engine": args.engine, "generate_seconds": generate_seconds, **result}
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
