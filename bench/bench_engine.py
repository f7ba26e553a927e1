"""Warm chain vs bare `docker run`: what medcube's engine costs on top of Docker.

In one run, with the images already built:
  A. `run_chain` with the docker runner: build check (context hash), five tasks with log capture, peak memory,
     limits, cleanup, and the output contract checks;
  B. the same five tasks as bare `docker run --rm --network none -u UID:GID -v ... IMAGE ARGS` commands
     (a subprocess of the docker CLI each, the same mounts and arguments), i.e. what MedPerf runs.
Each is repeated (interleaved) and the medians compared. Goal: A <= 1.25 x B.

    python bench/bench_engine.py [--benchmark tests/fixtures/engine] [--repeat 5] [--base-image IMG]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from validator.chain.benchmark import load_benchmark  # noqa: E402
from validator.chain.demo_data import load_demo_data  # noqa: E402
from validator.chain.options import RunOptions  # noqa: E402
from validator.chain.run import chain_tasks, run_chain  # noqa: E402
from validator.chain.rundir import RunFolder  # noqa: E402
from validator.engine.client.connect import connect  # noqa: E402
from validator.engine.limits import Limits  # noqa: E402
from validator.engine.tasks.docker import DockerRunner  # noqa: E402
from validator.engine.tasks.plan import plan_task  # noqa: E402
from validator.engine.tasks.runner import prepare_outputs  # noqa: E402
from validator.manifest.load import load_cube  # noqa: E402
from validator.manifest.roles import ROLES  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cli import run_bare  # noqa: E402


def bare_chain(cubes, demo, folder: RunFolder, uid: int, gid: int) -> float:
    """The five tasks as plain docker CLI commands; returns the seconds they took (output folders made first)."""
    commands = []
    for role, task in chain_tasks():
        plan = plan_task(cubes[role], task, folder.bindings(task, demo))
        prepare_outputs(plan, uid, gid)
        commands.append(["docker", "run", "--rm", "--network", "none", "-u", f"{uid}:{gid}",
                         *plan.docker_args(), *plan.image_argv()])
    return run_bare(commands)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--benchmark", default=str(ROOT / "tests" / "fixtures" / "engine"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--base-image", default=os.environ.get("MEDCUBE_BASE_IMAGE"))
    args = ap.parse_args()

    bench = load_benchmark(args.benchmark)
    cubes = {role: load_cube(bench.cube(role)) for role in ROLES}
    demo = load_demo_data(bench.demo_data, bench.demo_sha256)
    client = connect()
    limits = Limits()
    uid, gid = limits.user.ids
    runner = DockerRunner(client, limits, run_id="bench-engine")
    work = Path(tempfile.mkdtemp(prefix="medcube-bench-"))
    try:
        # warm up: build the images (not timed) and run the chain once
        warm = run_chain(bench, cubes, demo, RunOptions(base_image=args.base_image, run_dir=work / "warmup"), runner=runner)
        if not warm.ok:
            failing = [f"{t.task}: {t.status} {t.message}" for t in warm.tasks if t.status != "passed"]
            raise SystemExit(f"the chain does not pass, nothing to measure: {failing or warm.all_findings}")
        bare_chain(cubes, demo, RunFolder.create(work / "bare-warmup"), uid, gid)

        chain_s, bare_s = [], []
        for i in range(args.repeat):
            t0 = time.perf_counter()
            report = run_chain(bench, cubes, demo, RunOptions(base_image=args.base_image, run_dir=work / f"chain{i}"),
                               runner=runner)
            chain_s.append(time.perf_counter() - t0)
            assert report.ok and all(b.status == "cached" for b in report.builds)
            bare_s.append(bare_chain(cubes, demo, RunFolder.create(work / f"bare{i}"), uid, gid))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    chain_med, bare_med = statistics.median(chain_s), statistics.median(bare_s)
    ratio = chain_med / bare_med
    print(f"benchmark: {bench.name} ({len(chain_tasks())} tasks), {args.repeat} repeats, images built")
    print(f"warm chain (medcube, docker runner): median {chain_med:.2f}s  [{', '.join(f'{s:.2f}' for s in chain_s)}]")
    print(f"bare docker run x{len(chain_tasks())}:              median {bare_med:.2f}s  [{', '.join(f'{s:.2f}' for s in bare_s)}]")
    print(f"ratio: {ratio:.2f}x (goal <= 1.25x) {'OK' if ratio <= 1.25 else 'OVER'}")
    return 0 if ratio <= 1.25 else 1


if __name__ == "__main__":
    raise SystemExit(main())
