#!/usr/bin/env python3
"""Memory and time as the data grows: N records through the reference chain, in containers, as a user runs it.

    python3 bench/bench_scale.py [--records 1000 10000 50000] [--benchmark examples/chestxray] [--probes]

For each N it generates a demo data set (examples/chestxray/tools/generate_data.py, 256 px PNGs, seeded; not
timed; with --keep DIR it stays in DIR, and a later run with the same DIR uses it again), then runs
`medcube test BENCHMARK --demo-data DIR --no-probes --timeout 0` once (with --probes: the default run) and reads its
JSON report. Prints, per N: each task's seconds and peak memory (the container's, as
medcube measures it from its cgroup: what its processes hold, page cache left out), the whole run's seconds and
milliseconds per record, and medcube's own peak memory; then each task's peak memory at the largest N over the
smallest (goal: <= 1.5x, memory flat in N), the same for the cgroups' high-water marks (page cache included), and the
time per record at the largest N over the smallest (goal: about 1x, time linear in N).
The images must be built (a first `medcube test`). Nothing is asserted: this is a measurement (noisy on a shared
machine).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATE = ROOT / "examples" / "chestxray" / "tools" / "generate_data.py"


def generate(n: int, dest: Path) -> Path:
    """A demo data folder with N records: paths.yaml beside demo/images and demo/labels (one a kept --keep folder
    already holds is used again: the data are seeded, the same each time)."""
    if (dest / "paths.yaml").is_file():
        return dest
    subprocess.run([sys.executable, str(GENERATE), "--count", str(n), "--seed", "4242", "--output",
                    str(dest / "demo")], check=True, stdout=subprocess.DEVNULL)
    (dest / "paths.yaml").write_text("data_path: demo/images\nlabels_path: demo/labels\n")
    return dest


def run(benchmark: str, demo: Path, run_dir: Path, probes: bool, env) -> tuple[float, int, dict]:
    report = Path(str(run_dir) + ".json")
    cmd = [sys.executable, "-m", "validator", "test", benchmark, "--demo-data", str(demo), "--timeout", "0",
           "--run-dir", str(run_dir), "--report", str(report), *([] if probes else ["--no-probes"])]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in ((0, 1) if probes else (0,)):
        raise SystemExit(f"medcube test failed:\n{out.decode(errors='replace')[-3000:]}")
    return seconds, usage.ru_maxrss * 1024, json.loads(report.read_text())


def mib(n: int | None) -> str:
    return f"{n / 2**20:.0f}" if n else "-"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--benchmark", default=str(ROOT / "examples" / "chestxray"))
    ap.add_argument("--probes", action="store_true", help="the default run (probes on) instead of --no-probes")
    ap.add_argument("--keep", help="work folder to keep, and its data folders to use again in a later run (default: a "
                    "temporary one, removed)")
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.setdefault("MEDCUBE_BASE_IMAGE", "medcube/base:bookworm")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="medcube-bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for n in args.records:
            demo = generate(n, work / f"data{n}")
            seconds, rss, report = run(args.benchmark, demo, work / f"run{n}", args.probes, env)
            rows.append((n, seconds, rss, report))
            shutil.rmtree(work / f"run{n}", ignore_errors=True)  # the disk: 50k records take gigabytes
            if not args.keep:
                shutil.rmtree(demo, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    tasks = [t["task"] for t in rows[0][3]["tasks"]]
    print(f"benchmark {rows[0][3]['benchmark']}, probes {'on' if args.probes else 'off'}, "
          f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.2f}")
    print("records | " + " | ".join(f"{t} s / MiB" for t in tasks) + " | whole run s | ms per record | medcube MiB")
    for n, seconds, rss, report in rows:
        by = {t["task"]: t for t in report["tasks"]}
        cells = [f"{by[t]['seconds']:.1f} / {mib(by[t].get('peak_memory_bytes'))}" for t in tasks]
        print(f"{n} | " + " | ".join(cells) + f" | {seconds:.1f} | {1000 * seconds / n:.2f} | {mib(rss)}")
    if len(rows) >= 2:
        (n0, s0, r0, a), (n1, s1, r1, b) = rows[0], rows[-1]
        first = {t["task"]: t.get("peak_memory_bytes") for t in a["tasks"]}
        last = {t["task"]: t.get("peak_memory_bytes") for t in b["tasks"]}
        ratios = ", ".join(f"{t} {last[t] / first[t]:.2f}x" for t in tasks if first.get(t) and last.get(t))
        print(f"peak memory {n1} / {n0} records: {ratios}; medcube {r1 / r0:.2f}x (goal <= 1.5x)")
        first = {t["task"]: t.get("peak_memory_with_cache_bytes") for t in a["tasks"]}
        last = {t["task"]: t.get("peak_memory_with_cache_bytes") for t in b["tasks"]}
        ratios = ", ".join(f"{t} {last[t] / first[t]:.2f}x ({mib(first[t])} -> {mib(last[t])} MiB)" for t in tasks
                           if first.get(t) and last.get(t))
        print(f"  the cgroups' high-water marks, page cache included: {ratios}")
        print(f"time per record {n1} / {n0} records: {(s1 / n1) / (s0 / n0):.2f}x (goal: about 1x, linear)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
