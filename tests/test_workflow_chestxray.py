"""The chest X-ray reference benchmark through the engine: the whole chain on its demo data, in real containers
(and with the local runner where this Python has the example's requirements)."""

from __future__ import annotations

from pathlib import Path

import pytest

from validator.chain.benchmark import load_benchmark
from validator.chain.demo_data import load_demo_data
from validator.chain.options import RunOptions
from validator.chain.run import run_chain
from validator.engine.limits import Limits
from validator.manifest.load import load_cube
from validator.manifest.roles import ROLES

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "chestxray"


def chain(runner: str, tmp_path: Path, base_image: str | None = None, profile: str = "benchmark.yaml"):
    bench = load_benchmark(EXAMPLE / profile)
    cubes = {role: load_cube(bench.cube(role)) for role in ROLES}
    demo = load_demo_data(bench.demo_data, bench.demo_sha256, extract_to=tmp_path / "demo")
    options = RunOptions(runner=runner, base_image=base_image, run_dir=tmp_path / "run",
                         limits=Limits.from_options(timeout=300, memory="4g"))
    return run_chain(bench, cubes, demo, options)


def check(report):
    assert report.ok, [(f.code, f.message) for f in report.all_findings]
    assert [t.task for t in report.tasks] == ["prepare", "sanity_check", "statistics", "infer", "evaluate"]
    assert 0 <= report.results["Accuracy"] <= 1 and 0 <= report.results["AUC"] <= 1


@pytest.mark.docker
def test_chestxray_chain_in_containers(tmp_path, base_image):
    report = chain("docker", tmp_path, base_image)
    check(report)
    assert all(t.image_built and t.peak_memory_bytes for t in report.tasks)


def test_chestxray_chain_local_runner(tmp_path):
    for module in ("torch", "numpy", "PIL", "pydicom", "typer"):  # the examples extra; the demo holds DICOMs
        pytest.importorskip(module)
    check(chain("local", tmp_path, profile="benchmark-dicom.yaml"))
