#!/usr/bin/env python3
"""The reference preparator against MedPerf's chest X-ray tutorial preparator, each in its container.

    python3 bench/bench_prep_medperf.py [--count 4000] [--repeat 3] [--image medcube/base:bookworm]

Generates `--count` raw 256x256 PNGs (examples/chestxray/tools/generate_data.py), then runs, interleaved
(A B A B ...), the `prepare` task of
  tutorial   bench/medperf_tutorial_prepare.py: a single-process equivalent of MedPerf's tutorial preparator
  reference  examples/chestxray/data_preparator (its own `prepare` task: worker processes, one per core)
as bare `docker run --rm --network none -u UID:GID` commands, one container each, in the same image (`--image`,
which carries Pillow, numpy and PyYAML: both sides run the same libraries; the code is mounted read-only).
Each side's time includes its container start. The best run of each side counts (other load on the machine hits
both alike); the ratio tutorial/reference is printed against the goal (>= 1.8x on 2 cores). The prepared images
of both sides are compared byte for byte. Nothing is asserted: this is a measurement.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREP = ROOT / "examples" / "chestxray" / "data_preparator"
PARAMS = PREP / "mlcube" / "workspace" / "parameters.yaml"
TUTORIAL = ROOT / "bench" / "medperf_tutorial_prepare.py"
V = "/mlcommons/volumes"


def docker_prepare(side: str, image: str, raw: Path, out: Path) -> float:
    (out / "data").mkdir(parents=True)
    (out / "labels").mkdir()
    uid, gid = os.getuid(), os.getgid()
    mounts = ["-v", f"{raw / 'images'}:{V}/raw_data:ro", "-v", f"{raw / 'labels'}:{V}/raw_labels:ro",
              "-v", f"{PARAMS}:{V}/parameters/parameters_file.yaml:ro",
              "-v", f"{out / 'data'}:{V}/data", "-v", f"{out / 'labels'}:{V}/labels"]
    if side == "tutorial":
        mounts += ["-v", f"{TUTORIAL}:/project/prepare.py:ro"]
        argv = ["python3", "/project/prepare.py", f"{V}/raw_data", f"{V}/raw_labels",
                f"{V}/parameters/parameters_file.yaml", f"{V}/data", f"{V}/labels"]
    else:
        mounts += ["-v", f"{PREP / 'project'}:/mlcube_project:ro"]
        argv = ["python3", "/mlcube_project/mlcube.py", "prepare", f"--data_path={V}/raw_data",
                f"--labels_path={V}/raw_labels", f"--parameters_file={V}/parameters/parameters_file.yaml",
                f"--output_path={V}/data", f"--output_labels_path={V}/labels"]
    cmd = ["docker", "run", "--rm", "--network", "none", "-u", f"{uid}:{gid}", "-e", "PYTHONDONTWRITEBYTECODE=1",
           *mounts, image, *argv]
    os.sync()  # the previous run's files (and their removal) written out first: neither side pays for the other's
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{side} failed:\n{proc.stdout.decode(errors='replace')[-2000:]}")
    return dt


def same_images(a: Path, b: Path) -> tuple[int, int]:
    names = sorted(os.listdir(a))
    _, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    return len(names) - len(mismatch) - len(errors), len(names)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=4000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--raw", help="folder for the raw data set, kept (made when missing): saves generating it again")
    ap.add_argument("--image", default=os.environ.get("MEDCUBE_BASE_IMAGE", "medcube/base:bookworm"))
    args = ap.parse_args(argv)
    cores = len(os.sched_getaffinity(0))
    load = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="bench_prep_medperf_"))
    try:
        raw = Path(args.raw).absolute() if args.raw else work / "raw"
        if not (raw / "labels" / "labels.csv").is_file() or len(os.listdir(raw / "images")) != args.count:
            shutil.rmtree(raw, ignore_errors=True)
            subprocess.run([sys.executable, str(ROOT / "examples/chestxray/tools/generate_data.py"), "--count",
                            str(args.count), "--seed", "7", "--output", str(raw)], check=True, capture_output=True)
        times: dict[str, list[float]] = {"tutorial": [], "reference": []}
        for i in range(args.repeat):
            for side in times:
                out = work / f"{side}{i}"
                times[side].append(docker_prepare(side, args.image, raw, out))
                # kept until the end: ext4 skips inodes freed in the last seconds when it allocates new ones
                # (recently_deleted(), a scan per file), so removing a run's 8,000 files here made the next run's
                # file creations several times dearer -- a cost no real preparation pays
        last = args.repeat - 1
        equal, total = same_images(work / f"tutorial{last}" / "data", work / f"reference{last}" / "data")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tut, ref = min(times["tutorial"]), min(times["reference"])
    print(f"{args.count} raw 256x256 PNGs, {cores} cores, image {args.image}, load average at start {load:.2f}")
    for side, ts in times.items():
        print(f"  {side:<9} best {min(ts):6.2f}s  [{', '.join(f'{t:.2f}' for t in ts)}]  ({args.count / min(ts):.0f} images/s)")
    print(f"  prepared images identical: {equal} of {total}")
    ratio = tut / ref
    med = statistics.median(times["tutorial"]) / statistics.median(times["reference"])
    print(f"ratio tutorial/reference: best/best {ratio:.2f}x, medians {med:.2f}x (goal >= 1.8x) "
          f"{'OK' if ratio >= 1.8 else 'UNDER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
