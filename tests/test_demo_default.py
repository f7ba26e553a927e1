"""The reference benchmark's default demo data stays within MedPerf's chest X-ray tutorial interface (PNG only):
MedPerf's tutorial preparator and the data preparator template with its default answers both prepare it, on the
host, and give the same prepared data as the reference preparator. DICOM lives in benchmark-dicom.yaml's data.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from cookiecutter.main import cookiecutter

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "chestxray"
PREP = EXAMPLE / "data_preparator"
PARAMS = PREP / "mlcube/workspace/parameters.yaml"
TUTORIAL = ROOT / "bench" / "medperf_tutorial_prepare.py"  # a reading of MedPerf's tutorial prepare.py


def extract(profile: str, root: Path) -> tuple[Path, Path]:
    bench = yaml.safe_load((EXAMPLE / profile).read_text())
    with tarfile.open(EXAMPLE / bench["demo_data"]["path"]) as tar:
        tar.extractall(root, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(root)
    paths = yaml.safe_load((root / "paths.yaml").read_text())
    return root / paths["data_path"], root / paths["labels_path"]


def run(*args) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{args}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


def arrays(folder: Path) -> dict[str, np.ndarray]:
    return {p.stem: np.load(p) for p in sorted(folder.glob("*.npy"))}


@pytest.fixture(scope="module")
def default_demo(tmp_path_factory):
    return extract("benchmark.yaml", tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def reference(default_demo, tmp_path_factory):
    """The reference preparator's output on the default demo data."""
    images, labels = default_demo
    out = tmp_path_factory.mktemp("reference")
    run(PREP / "project/mlcube.py", "prepare", f"--data_path={images}", f"--labels_path={labels}",
        f"--parameters_file={PARAMS}", f"--output_path={out / 'data'}", f"--output_labels_path={out / 'labels'}",
        f"--metadata_path={out / 'metadata'}")
    return arrays(out / "data"), arrays(out / "labels")


def test_default_demo_data_is_png_only(default_demo):
    images, _ = default_demo
    suffixes = {p.suffix for p in images.iterdir()}
    assert suffixes == {".png"}, suffixes


def test_medperf_tutorial_preparator_prepares_the_default_demo(default_demo, reference, tmp_path):
    """MedPerf's tutorial preparator (PNG only) on the default demo: every record, the reference's very pixels."""
    pytest.importorskip("PIL")
    images, labels = default_demo
    (tmp_path / "data").mkdir()
    (tmp_path / "labels").mkdir()
    run(TUTORIAL, images, labels, PARAMS, tmp_path / "data", tmp_path / "labels")
    data, label_vectors = arrays(tmp_path / "data"), arrays(tmp_path / "labels")
    ref_data, ref_labels = reference
    assert len(data) == len(list(images.iterdir())) and data.keys() == ref_data.keys()
    for key in data:
        assert np.array_equal(data[key], ref_data[key]), key
        assert np.array_equal(label_vectors[key], ref_labels[key]), key


def test_data_preparator_template_defaults_fit_the_default_demo(default_demo, reference, tmp_path):
    """`input_format`'s default (png) reads the default demo; the baked preparator prepares every record."""
    template = ROOT / "templates" / "data_preparator"
    assert json.loads((template / "cookiecutter.json").read_text())["input_format"][0] == "png"
    cube = Path(cookiecutter(str(template), no_input=True, output_dir=str(tmp_path)))
    images, labels = default_demo
    out = tmp_path / "out"
    run(cube / "project/mlcube.py", "prepare", f"--data_path={images}", f"--labels_path={labels}",
        f"--parameters_file={cube / 'mlcube/workspace/parameters.yaml'}", f"--output_path={out / 'data'}",
        f"--output_labels_path={out / 'labels'}")
    data = arrays(out / "data")
    assert data.keys() == reference[0].keys()
    assert all(a.shape == (28, 28, 1) and a.dtype == np.uint8 for a in data.values())


def test_dicom_profile_names_the_same_cubes_with_dicom_demo_data(tmp_path):
    """benchmark-dicom.yaml: the same cubes and contracts, demo data with DICOM files among the PNGs."""
    png = yaml.safe_load((EXAMPLE / "benchmark.yaml").read_text())
    dicom = yaml.safe_load((EXAMPLE / "benchmark-dicom.yaml").read_text())
    for key in ("data_preparator", "model", "metrics", "contracts", "primary_metric"):
        assert dicom[key] == png[key], key
    images, _ = extract("benchmark-dicom.yaml", tmp_path)
    assert {p.suffix for p in images.iterdir()} == {".png", ".dcm"}
