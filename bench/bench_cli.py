#!/usr/bin/env python3
"""The chain as a user times it: `medcube test BENCHMARK --no-probes` as a whole process against the same tasks as
bare `docker run` commands, the way MedPerf runs them.

    python3 bench/bench_cli.py [--benchmark examples/chestxray] [--repeat 5] [--probes] [--floor]

medcube's bytecode is compiled first (`python -m compileall validator`), as pip compiles any package it installs
from a wheel: with an editable install and PYTHONDONTWRITEBYTECODE=1 (as on the machines here), every start would
otherwise compile about 100 modules from source, about 60 ms that no installed medcube pays.

With the images built (a first `medcube test` run, not timed), it runs interleaved (A B A B ...):
  A. `python3 -m validator test BENCHMARK --no-probes --run-dir DIR` as a subprocess: interpreter start, imports,
     benchmark and cube loading, the demo data, the build checks, five tasks with log capture, peak memory and
     limits, the output contract checks, the report;
  B. the same tasks as `docker run --rm --network none -u UID:GID -v ... IMAGE ARGS` subprocesses, one after another
     (the same mounts and arguments; output folders made first, not timed).
  C. (--floor) the floor for any Python tool on the Docker SDK: a `python3 -c` process that imports the SDK,
     connects, and for each task only creates, starts, waits for and removes the container (no checks, no logs, no
     limits, no report). medcube itself runs tasks through its own Engine API client, without the SDK's import;
     the floor stays as the reference for what a Python tool pays;
  P. (--probes) the default `medcube test BENCHMARK --run-dir DIR`, every probe on (what a CI job and the
     pre-commit hook run): the chain and the probes' own runs (determinism, rerun, faults) beside it;
Prints the medians and the best of each side and their ratio (goal: A <= 1.05 x B; P <= 1.6 x B), and the
difference in seconds.
Nothing is asserted: this is a measurement (noisy on a shared machine: compare the ratio, run it twice).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from validator.chain.benchmark import load_benchmark  # noqa: E402
from validator.chain.demo_data import load_demo_data  # noqa: E402
from validator.chain.run import chain_tasks  # noqa: E402
from validator.chain.rundir import RunFolder  # noqa: E402
from validator.engine.limits import Limits  # noqa: E402
from validator.engine.tasks.docker import prepare_outputs  # noqa: E402
from validator.engine.tasks.plan import plan_task  # noqa: E402
from validator.manifest.load import load_cube  # noqa: E402
from validator.manifest.roles import ROLES  # noqa: E402

REBUILT: list[str] = []


def bare_commands(cubes, demo, folder: RunFolder, uid: int, gid: int) -> list[list[str]]:
    commands = []
    for role, task in chain_tasks():
        plan = plan_task(cubes[role], task, folder.bindings(task, demo))
        prepare_outputs(plan, uid, gid)
        commands.append(["docker", "run", "--rm", "--network", "none", "-u", f"{uid}:{gid}",
                         *plan.docker_args(), *plan.image_argv()])
    return commands


FLOOR = """
import json, sys
import docker
client = docker.from_env()
client.ping()
for t in json.loads(sys.argv[1]):
    c = client.containers.create(t["image"], t["args"], entrypoint=t["entrypoint"], user=t["user"],
                                 network_mode="none", volumes=t["volumes"], environment=t["environment"])
    c.start()
    rc = c.wait()["StatusCode"]
    c.remove(force=True)
    if rc:
        sys.exit(f"{t['image']} {t['args']}: exit code {rc}")
"""


def floor_tasks(cubes, demo, folder: RunFolder, uid: int, gid: int) -> str:
    """The five tasks as JSON for FLOOR (the same mounts, arguments and user as the bare commands)."""
    tasks = []
    for role, task in chain_tasks():
        plan = plan_task(cubes[role], task, folder.bindings(task, demo))
        prepare_outputs(plan, uid, gid)
        tasks.append({"image": plan.image, "args": plan.args, "entrypoint": plan.entrypoint, "user": f"{uid}:{gid}",
                      "environment": plan.environment,
                      "volumes": {str(m.host): {"bind": m.container, "mode": m.mode} for m in plan.mounts}})
    return json.dumps(tasks)


def run_floor(tasks: str, env) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", FLOOR, tasks], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env=env)
    if proc.returncode != 0:
        raise SystemExit(f"floor run failed:\n{proc.stdout.decode(errors='replace')[-2000:]}")
    return time.perf_counter() - started


def run_bare(commands) -> float:
    started = time.perf_counter()
    for cmd in commands:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            raise SystemExit(f"bare run failed: {' '.join(cmd)}\n{proc.stdout.decode(errors='replace')[-2000:]}")
    return time.perf_counter() - started


def run_cli(benchmark: str, run_dir: Path, env, root: Path = ROOT, probes: bool = False) -> float:
    report = Path(str(run_dir) + ".json")
    cmd = [sys.executable, "-m", "validator", "test", benchmark, *([] if probes else ["--no-probes"]),
           "--run-dir", str(run_dir), "--report", str(report)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=root)
    dt = time.perf_counter() - started
    if proc.returncode not in ((0, 1) if probes else (0,)):  # probes may warn or fail: still a timed run
        raise SystemExit(f"medcube test failed:\n{proc.stdout.decode(errors='replace')[-3000:]}")
    builds = [b["status"] for b in json.loads(report.read_text())["builds"]]
    if any(b not in ("cached", "present") for b in builds):
        REBUILT.append(f"{run_dir.name}: {builds}")  # someone changed an image of the same name meanwhile
    return dt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--benchmark", default=str(ROOT / "examples" / "chestxray"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--other", help="another checkout of medcube (e.g. a worktree of main): its `medcube test` is "
                    "timed too, interleaved, to compare two versions side by side")
    ap.add_argument("--floor", action="store_true", help="also time C: the SDK floor (see above)")
    ap.add_argument("--probes", action="store_true", help="also time P: the default `medcube test`, probes on")
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.setdefault("MEDCUBE_BASE_IMAGE", "medcube/base:bookworm")

    bench = load_benchmark(args.benchmark)
    cubes = {role: load_cube(bench.cube(role)) for role in ROLES}
    demo = load_demo_data(bench.demo_data, bench.demo_sha256)
    uid, gid = Limits().user.ids
    work = Path(tempfile.mkdtemp(prefix="medcube-bench-cli-"))
    cli_s, bare_s, other_s, floor_s, probe_s, other_probe_s = [], [], [], [], [], []
    other = Path(args.other).absolute() if args.other else None
    other_env = {**env, "PYTHONPATH": str(other)} if other else None
    # the other checkout reads its own copy of the benchmark (its profile format may be older)
    rel = Path(args.benchmark).absolute().relative_to(ROOT) if Path(args.benchmark).absolute().is_relative_to(ROOT) else None
    other_bench = str(other / rel) if other is not None and rel is not None else args.benchmark
    for checkout in (ROOT, other):
        if checkout is not None:  # the installed state: bytecode compiled (see above)
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(checkout / "validator")], check=True)
    try:
        run_cli(args.benchmark, work / "warmup", env)  # builds the images when needed; not timed
        run_bare(bare_commands(cubes, demo, RunFolder.create(work / "bare-warmup"), uid, gid))
        if args.probes:
            run_cli(args.benchmark, work / "probes-warmup", env, probes=True)
        if other is not None:
            run_cli(other_bench, work / "other-warmup", other_env, other)
        for i in range(args.repeat):
            cli_s.append(run_cli(args.benchmark, work / f"cli{i}", env))
            bare_s.append(run_bare(bare_commands(cubes, demo, RunFolder.create(work / f"bare{i}"), uid, gid)))
            if other is not None:
                other_s.append(run_cli(other_bench, work / f"other{i}", other_env, other))
            if args.probes:
                probe_s.append(run_cli(args.benchmark, work / f"probes{i}", env, probes=True))
                if other is not None:
                    other_probe_s.append(run_cli(other_bench, work / f"other-probes{i}", other_env, other, probes=True))
            if args.floor:
                floor_s.append(run_floor(floor_tasks(cubes, demo, RunFolder.create(work / f"floor{i}"), uid, gid), env))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cm, bm = statistics.median(cli_s), statistics.median(bare_s)
    n = len(chain_tasks())
    print(f"benchmark: {bench.name} ({n} tasks), {args.repeat} interleaved repeats, images built, "
          f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"medcube test --no-probes (whole process): median {cm:.2f}s best {min(cli_s):.2f}s  "
          f"[{', '.join(f'{s:.2f}' for s in cli_s)}]")
    print(f"bare docker run x{n}:                     median {bm:.2f}s best {min(bare_s):.2f}s  "
          f"[{', '.join(f'{s:.2f}' for s in bare_s)}]")
    if other_s:
        om = statistics.median(other_s)
        print(f"the other checkout's medcube test:        median {om:.2f}s best {min(other_s):.2f}s  "
              f"[{', '.join(f'{s:.2f}' for s in other_s)}]  -> ratio to bare {om / bm:.3f}x, this/other {cm / om:.3f}x")
    if floor_s:
        fm = statistics.median(floor_s)
        print(f"SDK floor (import, connect, create/start/wait/remove): median {fm:.2f}s best {min(floor_s):.2f}s  "
              f"[{', '.join(f'{s:.2f}' for s in floor_s)}]  -> ratio to bare {fm / bm:.3f}x ({fm - bm:+.2f}s)")
    if probe_s:
        pm = statistics.median(probe_s)
        print(f"medcube test (default, probes on):        median {pm:.2f}s best {min(probe_s):.2f}s  "
              f"[{', '.join(f'{s:.2f}' for s in probe_s)}]  -> ratio to bare {pm / bm:.3f}x, best/best "
              f"{min(probe_s) / min(bare_s):.3f}x (goal <= 1.6x) {'OK' if pm / bm <= 1.6 else 'OVER'}")
    if other_probe_s:
        opm = statistics.median(other_probe_s)
        print(f"the other checkout's medcube test (probes): median {opm:.2f}s best {min(other_probe_s):.2f}s  "
              f"[{', '.join(f'{s:.2f}' for s in other_probe_s)}]  -> ratio to bare {opm / bm:.3f}x")
    ratio = cm / bm
    print(f"ratio (medians): {ratio:.3f}x, best/best {min(cli_s) / min(bare_s):.3f}x, median difference "
          f"{cm - bm:+.2f}s (goal <= 1.05x) {'OK' if ratio <= 1.05 else 'OVER'}")
    timed = [r for r in REBUILT if "warmup" not in r]
    if timed:  # last, where it is seen: these figures time builds too
        print(f"warning: {len(timed)} timed medcube runs had to build (an image tag medcube did not build names "
              f"another image, e.g. one a test tagged: `docker rmi` it): {'; '.join(timed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
