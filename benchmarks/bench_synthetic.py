"""Time and peak memory of the synthetic generator at scales 1, 10 and 100.

Usage: python benchmarks/bench_synthetic.py [SCALE ...]; each scale runs in a fresh process so
peak RSS (ru_maxrss of the child) is that scale's own.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

CHILD = """
import sys, time, resource, tempfile
from synthetic import generate
start = time.perf_counter()
with tempfile.TemporaryDirectory() as d:
    generate(d, seed=0, scale=float(sys.argv[1]))
print(time.perf_counter() - start)
"""


def main(scales: list[float]) -> None:
    rows = []
    for scale in scales:
        began = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, str(scale)], check=True, capture_output=True, text=True)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rows.append({"scale": scale, "generate_seconds": round(float(out.stdout.strip()), 1),
                     "process_seconds": round(time.perf_counter() - began, 1), "peak_rss_mb": round(peak_mb)})  # fmt: skip
        sys.stdout.write(json.dumps(rows[-1]) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main([float(s) for s in sys.argv[1:]] or [1.0, 10.0, 100.0])
