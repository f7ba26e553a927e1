"""A DICOM image that names no VOI (no window, no VOI LUT) is shown over the range its stored bits allow
(BitsStored, through the rescale), not stretched to its own min..max: so the same 8-bit picture prepared from a PNG
and from a DICOM file gives the very same pixels, in the reference preparator and in the data preparator template.
MONOCHROME1 inversion and rescale slope/intercept (with a window) keep giving the PNG's pixels too.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cookiecutter.main import cookiecutter
from PIL import Image

pydicom = pytest.importorskip("pydicom")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "chestxray"
sys.path.insert(0, str(EXAMPLE / "tools"))

from dicom_synth import DicomVariant, write_dicom  # noqa: E402

# record -> the DICOM variant it is written as (None: the PNG itself)
RECORDS = {
    "png": None,
    "dcm8_no_voi": DicomVariant("CR", "MONOCHROME2", 8, voi="none"),
    "dcm8_mono1_no_voi": DicomVariant("CR", "MONOCHROME1", 8, voi="none"),
    "dcm12_mono1_rescale_window": DicomVariant("DX", "MONOCHROME1", 12, 2.0, -1024.0),
    "dcm16_rescale_window": DicomVariant("CR", "MONOCHROME2", 16, 0.5, 100.0),
}


def picture() -> np.ndarray:
    """An 8-bit picture that does not span 0..255 (here 30..200): a min..max stretch would change its pixels."""
    y, x = np.mgrid[0:64, 0:56]
    img = 115 + 80 * np.sin(x / 6.0) * np.cos(y / 9.0) + 5 * ((x - 28) ** 2 + (y - 30) ** 2 < 80)
    img = np.clip(img, 30, 200).astype(np.uint8)
    img[0, 0], img[-1, -1] = 30, 200
    assert img.min() == 30 and img.max() == 200
    return img


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    root = tmp_path_factory.mktemp("no_voi")
    (root / "images").mkdir()
    (root / "labels").mkdir()
    gray = picture()
    for record, variant in RECORDS.items():
        if variant is None:
            Image.fromarray(gray).save(root / "images" / f"{record}.png")
        else:
            write_dicom(root / "images" / f"{record}.dcm", gray, variant, uid_seed=record)
    no_voi = pydicom.dcmread(root / "images" / "dcm8_no_voi.dcm")
    assert "WindowCenter" not in no_voi and "VOILUTSequence" not in no_voi and no_voi.BitsStored == 8
    with open(root / "labels" / "labels.csv", "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["Image ID", "Label"])
        writer.writerows((record, "effusion") for record in RECORDS)
    return root


def prepare(cube: Path, raw: Path, out: Path, parameters: Path) -> dict[str, np.ndarray]:
    proc = subprocess.run([sys.executable, str(cube / "project/mlcube.py"), "prepare",
                           f"--data_path={raw / 'images'}", f"--labels_path={raw / 'labels'}",
                           f"--parameters_file={parameters}", f"--output_path={out / 'data'}",
                           f"--output_labels_path={out / 'labels'}", f"--metadata_path={out / 'metadata'}"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {p.stem: np.load(p) for p in (out / "data").glob("*.npy")}


def assert_all_like_the_png(prepared: dict[str, np.ndarray]) -> None:
    assert sorted(prepared) == sorted(RECORDS)
    for record, pixels in prepared.items():
        diff = int(np.abs(pixels.astype(int) - prepared["png"].astype(int)).max())
        assert diff == 0, f"{record}: prepared pixels differ from the PNG's by up to {diff}"


def test_reference_preparator_same_pixels_as_png(raw, tmp_path):
    cube = EXAMPLE / "data_preparator"
    assert_all_like_the_png(prepare(cube, raw, tmp_path, cube / "mlcube/workspace/parameters.yaml"))


def test_template_preparator_same_pixels_as_png(raw, tmp_path):
    cube = Path(cookiecutter(str(ROOT / "templates/data_preparator"), no_input=True, output_dir=str(tmp_path),
                             extra_context={"input_format": "both"}))
    parameters = cube / "mlcube/workspace/parameters.yaml"
    # the template's prepare takes no metadata_path: run it with the labels its mlcube.py knows
    proc = subprocess.run([sys.executable, str(cube / "project/mlcube.py"), "prepare",
                           f"--data_path={raw / 'images'}", f"--labels_path={raw / 'labels'}",
                           f"--parameters_file={parameters}", f"--output_path={tmp_path / 'out/data'}",
                           f"--output_labels_path={tmp_path / 'out/labels'}"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_all_like_the_png({p.stem: np.load(p) for p in (tmp_path / "out/data").glob("*.npy")})
