#!/usr/bin/env python3
"""medcube's start-up as CPU time: `python -m validator validate --static CUBE` as a whole process, N times.

    python3 bench/bench_startup.py [--python PATH] [--repeat 15] [CUBE]

CPU time (user + system of the child, from getrusage) rather than wall time: on a shared machine it moves far less
with the load. Run it with two interpreters (two venvs differing in one dependency, e.g. typer 0.28 and 0.29) to
see what a dependency's release costs each command; the typer cap in pyproject.toml was measured so.
Nothing is asserted: this is a measurement.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cube", nargs="?", default=str(ROOT / "tests/fixtures/static/valid/medcube_model"))
    ap.add_argument("--python", default=sys.executable, help="the interpreter to time (default: this one)")
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    cmd = [args.python, "-m", "validator", "validate", "--static", args.cube]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)  # warm the caches
    times = []
    for _ in range(args.repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
    print(f"{args.python}: CPU ms per command: median {statistics.median(times):.0f}, min {min(times):.0f} "
          f"({args.repeat} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
