"""The chest X-ray demo data generator: layout, determinism per seed, label frequencies, demo tarball."""

from __future__ import annotations

import csv
import hashlib
import subprocess
import sys
import tarfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "chestxray"
TOOLS = EXAMPLE / "tools"
sys.path.insert(0, str(TOOLS))

import generate_data  # noqa: E402
from nih_frequencies import LABEL_TABLE  # noqa: E402

TUTORIAL_LABELS = yaml.safe_load((EXAMPLE / "data_preparator/mlcube/workspace/parameters.yaml").read_text())[
    "labels_list"
]


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def run_cli(*args):
    return subprocess.run([sys.executable, str(TOOLS / "generate_data.py"), *map(str, args)], capture_output=True, text=True)


def read_labels(root: Path):
    with open(root / "labels" / "labels.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_layout_matches_medperf_raw_data(tmp_path):
    out = tmp_path / "raw"
    r = run_cli("--count", 9, "--seed", 5, "--output", out, "--size", 64)
    assert r.returncode == 0, r.stderr
    assert yaml.safe_load((out / "paths.yaml").read_text()) == {"data_path": "images", "labels_path": "labels"}
    rows = read_labels(out)
    assert list(rows[0].keys()) == ["Image ID", "Label"]
    assert len(rows) == 9
    pngs = sorted(p.stem for p in (out / "images").iterdir())
    assert pngs == sorted(r["Image ID"] for r in rows)
    for row in rows:
        assert row["Label"] in TUTORIAL_LABELS  # what MedPerf's tutorial preparator indexes
        with Image.open(out / "images" / f"{row['Image ID']}.png") as img:
            assert img.mode == "L" and img.size == (64, 64)
            arr = np.asarray(img)
        assert arr.std() > 10  # a radiograph, not a flat image


def test_same_seed_same_bytes_whatever_the_worker_count(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_data.generate(a, 70, seed=11, size=48, workers=1)
    generate_data.generate(b, 70, seed=11, size=48, workers=2)  # two chunks -> two processes
    generate_data.generate(c, 70, seed=12, size=48, workers=1)
    assert tree_digest(a) == tree_digest(b)
    da, dc = tree_digest(a), tree_digest(c)
    assert da["labels/labels.csv"] != dc["labels/labels.csv"]
    images_a = {v for k, v in da.items() if k.startswith("images/")}
    assert images_a.isdisjoint(v for k, v in dc.items() if k.startswith("images/"))


def _prepare(raw: Path, out: Path):
    prep = EXAMPLE / "data_preparator"
    r = subprocess.run([sys.executable, str(prep / "project/mlcube.py"), "prepare", f"--data_path={raw / 'images'}",
                        f"--labels_path={raw / 'labels'}", f"--parameters_file={prep / 'mlcube/workspace/parameters.yaml'}",
                        f"--output_path={out / 'data'}", f"--output_labels_path={out / 'labels'}"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return tree_digest(out)


def test_dicom_and_mixed_formats_hold_the_same_data(tmp_path):
    """--format dicom|mixed: same labels, realistic headers, and the same prepared data as the PNGs."""
    pydicom = pytest.importorskip("pydicom")
    raw = {fmt: tmp_path / fmt for fmt in generate_data.FORMATS}
    for fmt, out in raw.items():
        r = run_cli("--count", 30, "--seed", 8, "--size", 48, "--format", fmt, "--output", out, "--workers", 1)
        assert r.returncode == 0, r.stderr
    csvs = {fmt: (out / "labels/labels.csv").read_bytes() for fmt, out in raw.items()}
    assert csvs["png"] == csvs["dicom"] == csvs["mixed"]
    suffixes = {fmt: Counter(p.suffix for p in (out / "images").iterdir()) for fmt, out in raw.items()}
    assert suffixes["png"] == {".png": 30} and suffixes["dicom"] == {".dcm": 30}
    assert suffixes["mixed"][".png"] > 0 and suffixes["mixed"][".dcm"] > 0
    headers = [pydicom.dcmread(p) for p in sorted((raw["dicom"] / "images").iterdir())]
    assert {ds.Modality for ds in headers} == {"CR", "DX"}
    assert 0 < sum(ds.PhotometricInterpretation == "MONOCHROME1" for ds in headers) < 30
    assert all(ds.PhotometricInterpretation in ("MONOCHROME1", "MONOCHROME2") for ds in headers)
    assert len({ds.SOPInstanceUID for ds in headers}) == 30 and len({ds.StudyInstanceUID for ds in headers}) == 30
    assert all("WindowCenter" in ds and "WindowWidth" in ds and "RescaleSlope" in ds for ds in headers)
    assert {int(ds.BitsStored) for ds in headers} <= {10, 12, 14, 16} and len({int(ds.BitsStored) for ds in headers}) > 1
    assert all(str(ds.PatientName) == "Synthetic^Phantom" and ds.PatientBirthDate == "" for ds in headers)
    prepared = {fmt: _prepare(out, tmp_path / f"prepared-{fmt}") for fmt, out in raw.items()}
    assert prepared["png"] == prepared["dicom"] == prepared["mixed"]


def test_dicom_output_is_deterministic_per_seed(tmp_path):
    pytest.importorskip("pydicom")
    a, b = tmp_path / "a", tmp_path / "b"
    generate_data.generate(a, 70, seed=13, size=40, workers=1, fmt="mixed")
    generate_data.generate(b, 70, seed=13, size=40, workers=2, fmt="mixed")
    assert tree_digest(a) == tree_digest(b)


def test_multi_label_rows_are_nih_style(tmp_path):
    out = tmp_path / "nih"
    generate_data.generate(out, 60, seed=3, multi_label=True, size=40, workers=1)
    nih_names = {row[1] for row in LABEL_TABLE}
    labels = [r["Label"] for r in read_labels(out)]
    assert "No Finding" in labels
    assert any("|" in x for x in labels)
    for text in labels:
        if text != "No Finding":
            parts = text.split("|")
            assert len(parts) == len(set(parts)) and set(parts) <= nih_names


def test_labels_follow_nih_frequencies():
    single = Counter(f[0] for f in generate_data.draw_labels(20000, seed=1))
    expected = {row[0]: row[3] for row in LABEL_TABLE}
    total = sum(expected.values())
    for name, n in expected.items():
        p = n / total
        sd = (20000 * p * (1 - p)) ** 0.5
        assert abs(single[name] - 20000 * p) < 5 * sd + 1, name
    multi = generate_data.draw_labels(20000, seed=2, multi_label=True)
    no_finding = sum(1 for f in multi if not f) / len(multi)
    assert 0.51 < no_finding < 0.57  # 60,361 of 112,120 NIH images have no finding


@pytest.mark.parametrize("finding", generate_data.LABELS)
def test_each_finding_changes_the_28px_image(finding):
    """The pattern of every finding survives the preparator's resize to 28x28."""
    diffs = []
    for i in range(4):
        base = generate_data.render((), np.random.default_rng([99, i]), 128)
        sick = generate_data.render((finding,), np.random.default_rng([99, i]), 128)
        small = [np.asarray(Image.fromarray(a).resize((28, 28)), dtype=np.float64) for a in (base, sick)]
        diffs.append(np.abs(small[1] - small[0]).max())
    assert np.median(diffs) > 12, (finding, diffs)


@pytest.mark.parametrize("profile", ["benchmark.yaml", "benchmark-dicom.yaml"])
def test_committed_demo_tarball(profile, tmp_path):
    """Each profile's demo tarball: deterministic members; the default one PNG only (MedPerf's tutorial
    interface), the DICOM profile's a few DICOMs beside the PNGs."""
    bench = yaml.safe_load((EXAMPLE / profile).read_text())
    tar_path = EXAMPLE / bench["demo_data"]["path"]
    assert hashlib.sha256(tar_path.read_bytes()).hexdigest() == bench["demo_data"]["sha256"]
    with tarfile.open(tar_path) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == sorted(m.name for m in members)
        assert all(m.mtime == 0 and m.uid == 0 and m.gid == 0 for m in members)
        tar.extractall(tmp_path)
    paths = yaml.safe_load((tmp_path / "paths.yaml").read_text())
    images = sorted(p for p in (tmp_path / paths["data_path"]).iterdir())
    rows = list(csv.DictReader(open(tmp_path / paths["labels_path"] / "labels.csv", newline="")))
    assert 30 <= len(images) <= 60 and len(rows) == len(images)
    n_dicom = sum(p.suffix == ".dcm" for p in images)
    assert n_dicom + sum(p.suffix == ".png" for p in images) == len(images)
    if profile == "benchmark.yaml":
        assert n_dicom == 0
    else:
        assert 1 <= n_dicom <= len(images) // 4  # a few DICOMs beside the PNGs
    assert all(r["Label"] in TUTORIAL_LABELS for r in rows)
    assert max(p.stat().st_size for p in images) < 40_000


def test_make_demo_regenerates_the_committed_tarballs(tmp_path):
    """The demo tarballs are what `tools/make_demo.py` writes with its defaults, byte for byte (not hand-edited)."""
    for profile, bench in (("png", "benchmark.yaml"), ("dicom", "benchmark-dicom.yaml")):
        out = tmp_path / f"{profile}.tar.gz"
        r = subprocess.run([sys.executable, str(TOOLS / "make_demo.py"), "--profile", profile, "--output", str(out)],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        committed = yaml.safe_load((EXAMPLE / bench).read_text())["demo_data"]
        assert out.read_bytes() == (EXAMPLE / committed["path"]).read_bytes(), profile
        assert f"sha256: {committed['sha256']}" in r.stdout
