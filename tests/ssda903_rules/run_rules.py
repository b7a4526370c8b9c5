"""Run DfE's published SSDA903 validation rules (PyPI ``csc-validator-be-903``) on synthetic SSDA903 files.

The validator pins an older pandas than the project uses, so it gets its own
virtual environment, created once in a cache folder. Usage::

    python tests/ssda903_rules/run_rules.py SSDA903_FOLDER [YEAR ...]

prints JSON: for each collection year, the ruleset used, the rules that failed
with their row counts, the rules that crashed and those skipped for lack of
tables. Years are split over two processes (``SSDA903_VALIDATOR_WORKERS`` to change). Exit code 3 if
the validator cannot be installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

PACKAGE = "csc-validator-be-903"
# The release the synthetic files were checked against; a newer one may add rules (bump deliberately).
VERSION = "0.1.17"
CACHE = Path(os.environ.get("SSDA903_VALIDATOR_VENV", Path.home() / ".cache" / "sch-outcomes" / "ssda903-venv"))
RUNNER = Path(__file__).with_name("_runner.py")
CANNOT_INSTALL = 3


def python_for_base() -> str:
    # The validator supports Python 3.9 to 3.11; prefer a system 3.11.
    return shutil.which("python3.11") or sys.executable


def ensure_venv() -> Path:
    """The validator's venv, created and installed on first use; returns its python."""
    python = CACHE / "bin" / "python"
    marker = CACHE / ".installed"
    if marker.is_file() and python.is_file() and installed_version(python) == VERSION:
        return python
    if not python.is_file():
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([python_for_base(), "-m", "venv", "--clear", str(CACHE)], check=True, capture_output=True)
        if not python.is_file():  # venv module without pip fallback
            venv.create(CACHE, with_pip=True, clear=True)
    spec = f"{PACKAGE}=={VERSION}"
    subprocess.run([str(python), "-m", "pip", "install", "-q", spec], check=True, capture_output=True)
    marker.write_text(spec + "\n")
    return python


def installed_version(python: Path) -> str | None:
    probe = f"import importlib.metadata as m; print(m.version({PACKAGE!r}))"
    result = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def run(folder: Path, years: list[str], workers: int = 2) -> dict:
    """Validate the given collection years (all of the folder's when none), split over ``workers`` processes."""
    python = ensure_venv()
    years = years or sorted(p.name for p in folder.iterdir() if p.name.isdigit())
    shares = [years[i::workers] for i in range(workers) if years[i::workers]]
    processes = [
        subprocess.Popen(
            [str(python), str(RUNNER), str(folder), *share], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for share in shares
    ]
    out = {}
    for process in processes:
        stdout, stderr = process.communicate()
        if process.returncode:
            raise subprocess.CalledProcessError(process.returncode, process.args, stdout, stderr)
        out.update(json.loads(stdout))
    return dict(sorted(out.items()))


def main(argv: list[str]) -> int:
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    try:
        ensure_venv()
    except (subprocess.CalledProcessError, OSError) as error:
        sys.stderr.write(f"cannot install {PACKAGE}: {error}\n")
        return CANNOT_INSTALL
    workers = int(os.environ.get("SSDA903_VALIDATOR_WORKERS", min(2, os.cpu_count() or 1)))
    json.dump(run(Path(argv[0]), argv[1:], workers), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
