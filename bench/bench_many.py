#!/usr/bin/env python3
"""N model submissions through one `medcube test` against N separate `medcube test` runs.

    python3 bench/bench_many.py [--benchmark examples/chestxray] [--n 4] [--repeat 2] [--jobs J [J ...]] [--growth]
                                [--probes]

Makes N copies of the benchmark's model cube, each with its own image name (a submission each; the builds are
done by a warm-up run and not timed), then runs, interleaved (A B A B ...):
  A. one process: `medcube test BENCHMARK --model m1 ... --model mN --no-probes [--jobs J]` (the data preparation
     once, infer and evaluate per model, J at a time);
  B. N processes one after another: `medcube test BENCHMARK --model mi --no-probes` (each repeats prepare,
     sanity_check and statistics, and its own start-up).
Prints the best and median of each side and the ratio A/B (goal: <= 0.5x at N = 4 on 2 cores).
`--probes`: both sides with their probes (no --no-probes): A gives each model determinism and the per-task probes,
B is N default `medcube test --model mi` runs (goal: <= 0.3x at N = 16).
`--sizes N1 N2 ...` times A alone at those N, with medcube's own peak memory (the containers' is the engine's).
`--growth` also times A alone at N = 1, 2, 4, ... up to --n, to show the cost growing with N x (infer + evaluate):
the marginal seconds per extra model are printed next to the median infer + evaluate time of one model.
Nothing is asserted: this is a measurement (noisy on a shared machine: compare ratios measured side by side).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_models(model: Path, n: int, work: Path) -> list[Path]:
    out = []
    for i in range(n):
        dst = work / f"model{i + 1}"
        shutil.copytree(model, dst, ignore=shutil.ignore_patterns("deploy", "__pycache__"))
        for cfg in (dst / "container_config.yaml", dst / "mlcube" / "mlcube.yaml"):
            if cfg.is_file():
                text = cfg.read_text()
                cfg.write_text(re.sub(r"(?m)^(\s*image:\s*)(\S+?)(:[\w.-]+)?\s*$",
                                      lambda m, k=i + 1: f"{m.group(1)}{m.group(2)}-bench{k}{m.group(3) or ''}", text))
        out.append(dst)
    return out


PROBES = False  # --probes: both sides with their probes
EXTRA: list[str] = []  # --runner local: passed to every medcube test
PEAK_RSS: list[int] = []  # of each medcube process, in bytes


def medcube(args: list[str], env, report: Path | None = None) -> tuple[float, int, dict | None]:
    cmd = [sys.executable, "-m", "validator", "test", *args, *EXTRA, *([] if PROBES else ["--no-probes"])]
    if report is not None:
        cmd += ["--report", str(report)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # medcube's own peak memory (its containers are the engine's)
    proc.returncode = os.waitstatus_to_exitcode(status)
    dt = time.perf_counter() - t0
    PEAK_RSS.append(usage.ru_maxrss * 1024)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out.decode(errors='replace')[-3000:]}")
    data = json.loads(report.read_text()) if report is not None and report.is_file() else None
    return dt, proc.returncode, data


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--benchmark", default=str(ROOT / "examples" / "chestxray"))
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--jobs", type=int, nargs="*", default=[],
                    help="values of --jobs for A (default: medcube's own); several are each timed, interleaved")
    ap.add_argument("--growth", action="store_true")
    ap.add_argument("--sizes", type=int, nargs="*", default=[],
                    help="time A alone at these N (each <= --n), with medcube's peak memory (like --growth)")
    ap.add_argument("--probes", action="store_true", help="both sides with their probes (see above)")
    ap.add_argument("--runner", choices=["docker", "local"], help="medcube's --runner (local: medcube's own cost "
                    "at many submissions on a tiny benchmark, e.g. tests/fixtures/hostile, without containers)")
    args = ap.parse_args()
    global PROBES
    PROBES = args.probes
    if args.runner:
        EXTRA.extend(["--runner", args.runner])
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.setdefault("MEDCUBE_BASE_IMAGE", "medcube/base:bookworm")
    sys.path.insert(0, str(ROOT))
    from validator.chain.benchmark import load_benchmark

    bench = load_benchmark(args.benchmark)
    work = Path(tempfile.mkdtemp(prefix="medcube-bench-many-"))
    variants = [["--jobs", str(j)] for j in args.jobs] or [[]]
    jobs = variants[0]
    try:
        models = copy_models(bench.cube("model"), args.n, work)
        model_args = [a for m in models for a in ("--model", str(m))]
        # warm-up, not timed: builds every image
        _, code, data = medcube([args.benchmark, *model_args, *jobs, "--run-dir", str(work / "warm")], env,
                                work / "warm.json")
        if code != 0:
            raise SystemExit(f"the warm-up run failed: {json.dumps(data)[:2000]}")
        ones: dict[str, list[float]] = {" ".join(v) or "default": [] for v in variants}
        sep: list[float] = []
        per_model: list[float] = []
        jobs_used = {}
        for i in range(args.repeat):
            for v in variants:
                key = " ".join(v) or "default"
                t, _, data = medcube([args.benchmark, *model_args, *v, "--run-dir", str(work / f"one{i}{key}")], env,
                                     work / f"one{i}{key.replace(' ', '')}.json")
                ones[key].append(t)
                jobs_used[key] = data.get("jobs")
                for s in data["submissions"]:
                    per_model.append(sum(task["seconds"] or 0 for task in s["tasks"]))
            t0 = time.perf_counter()
            for k, m in enumerate(models):
                medcube([args.benchmark, "--model", str(m), "--run-dir", str(work / f"sep{i}-{k}")], env)
            sep.append(time.perf_counter() - t0)
        growth = []
        if args.growth or args.sizes:
            sizes = args.sizes or [2 ** k for k in range(args.n.bit_length()) if 2 ** k <= args.n]
            for n in sizes:
                sub = [a for m in models[:n] for a in ("--model", str(m))]
                t = medcube([args.benchmark, *sub, *jobs, "--run-dir", str(work / f"g{n}")], env)[0]
                growth.append((n, t, PEAK_RSS[-1]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"benchmark: {bench.name}, N = {args.n} model submissions, {args.repeat} interleaved repeats, "
          f"probes {'on' if PROBES else 'off'}, "
          f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.2f} (images built)")
    if sep:  # (--repeat 0: the sizes only)
        print(f"B N separate medcube test runs: median {statistics.median(sep):.2f}s best {min(sep):.2f}s  "
              f"[{', '.join(f'{t:.2f}' for t in sep)}]")
        goal = 0.3 if PROBES else 0.5
        for key, one in ones.items():
            ratio = statistics.median(one) / statistics.median(sep)
            print(f"A one medcube test, N models, jobs = {jobs_used[key]}: median {statistics.median(one):.2f}s best "
                  f"{min(one):.2f}s [{', '.join(f'{t:.2f}' for t in one)}] -> ratio A/B (medians) {ratio:.2f}x, "
                  f"best/best {min(one) / min(sep):.2f}x (goal <= {goal}x) {'OK' if ratio <= goal else 'OVER'}")
    if growth:
        print("growth (one medcube test): " + ", ".join(
            f"N={n}: {t:.2f}s ({t / n:.2f}s per submission), medcube's peak memory {rss / 2**20:.0f} MiB"
            for n, t, rss in growth))
        if len(growth) >= 2:
            (n0, t0, _), (n1, t1, _) = growth[0], growth[-1]
            print(f"  marginal cost per extra model {(t1 - t0) / (n1 - n0):.2f}s; infer + evaluate of one model "
                  f"(task time, median) {statistics.median(per_model) if per_model else float('nan'):.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
