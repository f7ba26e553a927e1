#!/usr/bin/env python3
"""The chest X-ray preparator's `prepare` on the same images as PNG, as DICOM and mixed, side by side.

    python3 bench/bench_chestxray_formats.py [--count 1000] [--repeat 3] [--reference-rev REV]

Generates one data set per format with the same seed (tools/generate_data.py --format png|dicom|mixed, 256 px),
then runs the `prepare` task on each, interleaved, `--repeat` times, and keeps the fastest run of each (other
load on the machine then hits them alike). With `--reference-rev` (a git revision, e.g. main), that revision's
preparator (`git archive`) runs on the PNG set in the same rounds, so the PNG path of two versions is compared
under the same load. Prints the seconds and ms per image of each and the ratios to this version's PNG run.
Nothing is asserted: this is a measurement.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "chestxray"
PREP = EXAMPLE / "data_preparator"
PREP_PARAMS = PREP / "mlcube/workspace/parameters.yaml"
PROJECT = "examples/chestxray/data_preparator/project"


def reference_project(rev: str, dest: Path) -> Path:
    """The preparator's project folder at git revision `rev`, extracted under `dest`."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, PROJECT],
                          check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(dest)
    return dest / PROJECT


def run_prepare(project: Path, raw: Path, out: Path) -> float:
    cmd = [sys.executable, str(project / "mlcube.py"), "prepare", f"--data_path={raw / 'images'}",
           f"--labels_path={raw / 'labels'}", f"--parameters_file={PREP_PARAMS}",
           f"--output_path={out / 'data'}", f"--output_labels_path={out / 'labels'}"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"prepare failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return dt


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=3, help="runs of each variant; the fastest counts")
    p.add_argument("--reference-rev", help="git revision whose preparator also runs on the PNG set")
    args = p.parse_args(argv)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"chest X-ray prepare by source format: {args.count} images, {cores} cores, python {sys.version.split()[0]}")

    work = Path(tempfile.mkdtemp(prefix="bench_cxr_formats_"))
    try:
        raws = {}
        for fmt in ("png", "dicom", "mixed"):
            raws[fmt] = work / f"raw_{fmt}"
            subprocess.run([sys.executable, str(EXAMPLE / "tools/generate_data.py"), "--count", str(args.count),
                            "--seed", "4242", "--format", fmt, "--output", str(raws[fmt])],
                           check=True, capture_output=True)
        variants = {f"{fmt} (this version)": (PREP / "project", raws[fmt]) for fmt in raws}
        if args.reference_rev:
            ref = reference_project(args.reference_rev, work / "reference")
            variants[f"png ({args.reference_rev})"] = (ref, raws["png"])
        best = {name: float("inf") for name in variants}
        for rep in range(args.repeat):
            for name, (project, raw) in variants.items():
                out = work / f"out_{rep}"
                best[name] = min(best[name], run_prepare(project, raw, out))
                shutil.rmtree(out)
        base = best["png (this version)"]
        print(f"{'variant':<24} {'best s':>8} {'ms/image':>9} {'vs png (this)':>14}")
        for name, t in best.items():
            print(f"{name:<24} {t:8.2f} {1000 * t / args.count:9.2f} {t / base:13.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
