"""Time and peak memory of the synthetic generator at scales 1, 10 and 100.

Usage: python benchmarks/bench_synthetic.py [SCALE ...]

Each scale runs in a fresh process, which reports its own wall time, CPU time
(user + system, less sensitive to other load on the machine) and peak resident
memory (``ru_maxrss``), for importing the package and for :func:`synthetic.generate`
(build and write, Parquet), and the number of rows written. One JSON line per scale.
"""

from __future__ import annotations

import subprocess
import sys

CHILD = """
import json, resource, sys, tempfile, time
wall0, cpu0 = time.perf_counter(), time.process_time()
from synthetic import generate
wall1, cpu1 = time.perf_counter(), time.process_time()
with tempfile.TemporaryDirectory() as folder:
    generate(folder, seed=0, scale=float(sys.argv[1]))
    wall2, cpu2 = time.perf_counter(), time.process_time()
    with open(folder + "/truth.json") as handle:
        rows = json.load(handle)["row_counts"]
usage = resource.getrusage(resource.RUSAGE_SELF)
follow_up = ("care_episodes", "health_checks", "care_leavers", "education")
print(json.dumps({
    "scale": float(sys.argv[1]),
    "import_seconds": round(wall1 - wall0, 1),
    "generate_seconds": round(wall2 - wall1, 1),
    "generate_cpu_seconds": round(cpu2 - cpu1, 1),
    "total_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
    "peak_rss_mb": round(usage.ru_maxrss / 1024),
    "rows_written": sum(rows.values()),
    "follow_up_rows": sum(rows[name] for name in follow_up),
    "referrals": rows["referrals"],
}))
"""


def main(scales: list[float]) -> None:
    for scale in scales:
        out = subprocess.run([sys.executable, "-c", CHILD, str(scale)], capture_output=True, text=True)
        if out.returncode:
            sys.exit(f"scale {scale} failed:\n{out.stderr[-3000:]}")
        sys.stdout.write(out.stdout.strip().splitlines()[-1] + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main([float(s) for s in sys.argv[1:]] or [1.0, 10.0, 100.0])
