"""The chest X-ray preparator on DICOM files, on the host (as the local runner runs it) and in its Docker image.

Every variant of the display pipeline is a tiny file written by `tools/dicom_synth.py` from a known 8-bit
image: MONOCHROME1 and 2, RGB, 8 to 16 bits stored, unsigned and signed, rescale slope / intercept, a window,
a VOI LUT Sequence, no window at all, and the transfer syntaxes the image decodes (deflated, RLE, JPEG
Baseline, JPEG 2000). Next to
them: a PNG, a file joined by its SOP Instance UID, an extension-less DICOM file, and four files the
preparator must report by record without stopping (an undecodable JPEG-LS file, a truncated file, a
multi-frame file, an id with both a .png and a .dcm).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

pydicom = pytest.importorskip("pydicom")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "chestxray"
PREP = EXAMPLE / "data_preparator"
PREP_PARAMS = PREP / "mlcube/workspace/parameters.yaml"
sys.path.insert(0, str(EXAMPLE / "tools"))

from dicom_synth import DicomVariant, stored_values, write_dicom  # noqa: E402

BICUBIC = getattr(Image, "Resampling", Image).BICUBIC

# name -> (variant, largest pixel difference allowed after the 28x28 resize)
VARIANTS = {
    "mono2_12bit_window": (DicomVariant(bits_stored=12), 0),
    "mono1_16bit_rescale": (DicomVariant("CR", "MONOCHROME1", 16, 2.0, -1024.0), 0),
    "mono1_10bit_fractional_slope": (DicomVariant("DX", "MONOCHROME1", 10, 0.5, 100.0), 0),
    "mono2_8bit": (DicomVariant("CR", bits_stored=8), 0),
    "voi_lut_sequence": (DicomVariant(bits_stored=14, intercept=-1024.0, voi="lut"), 0),
    "no_window": (DicomVariant(bits_stored=12, voi="none"), 0),
    "signed_16bit": (DicomVariant("CR", "MONOCHROME1", 16, signed=True), 0),
    "signed_12bit_rle": (DicomVariant(bits_stored=12, signed=True, transfer_syntax="rle"), 0),
    "rgb_8bit": (DicomVariant(photometric="RGB", bits_stored=8, voi="none"), 0),  # luminance of (g, g, g) is g
    "deflated": (DicomVariant(bits_stored=12, transfer_syntax="deflate"), 0),
    "rle_16bit_mono1": (DicomVariant("CR", "MONOCHROME1", 16, transfer_syntax="rle"), 0),
    "jpeg_baseline": (DicomVariant(bits_stored=8, transfer_syntax="jpeg"), 6),  # lossy
    "jpeg2000_8bit": (DicomVariant(bits_stored=8, transfer_syntax="jpeg2000"), 0),
    "jpeg2000_16bit": (DicomVariant(bits_stored=16, transfer_syntax="jpeg2000"), 0),
}
BROKEN = {  # record -> what its error line must say
    "undecodable": ["undecodable.dcm", "1.2.840.10008.1.2.4.80", "cannot be decoded", "gdcmconv"],
    "truncated": ["truncated.dcm", "cannot read", "truncated or holds no image"],
    "both": ["ambiguous", "both.png", "both.dcm"],
    "multiframe": ["multiframe.dcm", "multi-frame image (2 frames)", "single-frame"],
}


def source_image() -> np.ndarray:
    """A 40x48 8-bit image with structure at the 28x28 scale and both extremes 0 and 255."""
    y, x = np.mgrid[0:40, 0:48]
    img = 128 + 90 * np.sin(x / 5.0) * np.cos(y / 7.0) + 30 * ((x - 24) ** 2 + (y - 20) ** 2 < 60)
    img = np.clip(img, 0, 255).astype(np.uint8)
    img[0, 0], img[-1, -1] = 0, 255
    return img


def resized(gray: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(gray).resize((28, 28), BICUBIC), dtype=np.uint8).reshape(28, 28, 1)


def no_voi_display(gray: np.ndarray, v: DicomVariant) -> np.ndarray:
    """A file without a VOI shows its stored values over the full range BitsStored allows (unsigned, slope 1 here):
    an 8-bit file its own pixels, the 12-bit test variant (stored 1110 + 3 * pixel) a darker, flatter picture."""
    if v.photometric == "RGB":
        return gray
    assert not v.signed and v.photometric == "MONOCHROME2"
    stored, _, _ = stored_values(gray, v)
    return np.floor(stored.astype(np.float64) / (2**v.bits_stored - 1) * 255.0 + 0.5).astype(np.uint8)


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    """Raw data folder: images/, labels/labels.csv; returns (root, {record: (expected 28x28x1, tolerance)},
    {record: (format, modality)})."""
    root = tmp_path_factory.mktemp("dicom_raw")
    images, labels = root / "images", root / "labels"
    images.mkdir()
    labels.mkdir()
    gray = source_image()
    expected, sources, rows = {}, {}, []
    for name, (variant, tol) in VARIANTS.items():
        write_dicom(images / f"{name}.dcm", gray, variant, uid_seed=name)
        expected[name] = (resized(no_voi_display(gray, variant) if variant.voi == "none" else gray), tol)
        sources[name] = ("dicom", variant.modality)
        rows.append((name, "effusion"))
    # joined by SOP Instance UID: the file name says nothing
    uid = write_dicom(images / "anonymous_export_0001.dcm", gray, DicomVariant("CR", "MONOCHROME1", 12), "uid")
    expected[uid], sources[uid] = (resized(gray), 0), ("dicom", "CR")
    rows.append((uid, "mass"))
    # extension-less DICOM file, as PACS exports name them
    write_dicom(images / "IM000017", gray, DicomVariant("DX", bits_stored=14), "im17")
    expected["IM000017"], sources["IM000017"] = (resized(gray), 0), ("dicom", "DX")
    rows.append(("IM000017", "nodule"))
    # a PNG in the same folder, listed with its extension
    Image.fromarray(gray).save(images / "plain.png")
    expected["plain"], sources["plain"] = (resized(gray), 0), ("png", "")
    rows.append(("plain.png", "edema"))
    # what must be reported, not crash the task
    write_dicom(images / "undecodable.dcm", gray, DicomVariant(bits_stored=8, transfer_syntax="jpegls"), "jls")
    write_dicom(images / "full.tmp", gray, DicomVariant(bits_stored=12), "trunc")
    (images / "truncated.dcm").write_bytes((images / "full.tmp").read_bytes()[:700])
    (images / "full.tmp").unlink()
    Image.fromarray(gray).save(images / "both.png")
    write_dicom(images / "both.dcm", gray, DicomVariant(), "both")
    write_dicom(images / "multiframe.dcm", gray, DicomVariant(bits_stored=12), "multi")
    ds = pydicom.dcmread(images / "multiframe.dcm")
    ds.NumberOfFrames, ds.PixelData = 2, ds.PixelData * 2
    ds.save_as(images / "multiframe.dcm")
    rows += [("undecodable", "effusion"), ("truncated", "effusion"), ("both", "effusion"), ("multiframe", "effusion")]
    with open(labels / "labels.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["Image ID", "Label"])
        w.writerows(rows)
    for p in [root, *root.rglob("*")]:  # readable by the container's non-root uid
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    return root, expected, sources


def cli(task, **volumes):
    args = [f"--{k}={v}" for k, v in volumes.items()]
    return subprocess.run([sys.executable, str(PREP / "project" / "mlcube.py"), task, *args],
                          capture_output=True, text=True, timeout=300)


def check_outputs(data: Path, labels: Path, expected: dict):
    assert sorted(p.stem for p in data.iterdir()) == sorted(expected)
    assert sorted(p.stem for p in labels.iterdir()) == sorted(expected)
    for record, (want, tol) in expected.items():
        got = np.load(data / f"{record}.npy")
        assert got.dtype == np.uint8 and got.shape == (28, 28, 1), record
        diff = int(np.abs(got.astype(int) - want.astype(int)).max())
        assert diff <= tol, f"{record}: pixels differ by up to {diff} (allowed {tol})"


def check_errors(stderr: str):
    lines = [line for line in stderr.splitlines() if line.strip().startswith("- ")]
    assert len(lines) == len(BROKEN), stderr
    for record, words in BROKEN.items():
        line = next((line for line in lines if f"record {record}" in line), None)
        assert line is not None, f"no error line for record {record}:\n{stderr}"
        for word in words:
            assert word in line, (word, line)
    assert "Traceback" not in stderr


@pytest.fixture(scope="module")
def host_run(raw, tmp_path_factory):
    root, _, _ = raw
    out = tmp_path_factory.mktemp("dicom_host")
    r = cli("prepare", data_path=root / "images", labels_path=root / "labels", parameters_file=PREP_PARAMS,
            output_path=out / "data", output_labels_path=out / "labels", metadata_path=out / "metadata")
    return r, out


def test_host_prepare_decodes_every_variant(raw, host_run):
    r, out = host_run
    check_outputs(out / "data", out / "labels", raw[1])


def test_host_prepare_reports_unreadable_files_by_record(host_run):
    r, _ = host_run
    assert r.returncode == 1
    assert f"{len(VARIANTS) + 3} record(s) prepared: {len(BROKEN)} problem(s)" in r.stderr
    check_errors(r.stderr)


def test_uid_join_and_labels(raw, host_run):
    _, out = host_run
    uid = next(k for k, v in raw[2].items() if v == ("dicom", "CR") and k.replace(".", "").isdigit())
    assert np.load(out / "labels" / f"{uid}.npy").tolist() == [0, 0, 0, 0, 1] + [0] * 9  # mass


def test_sanity_check_and_statistics_by_source(raw, host_run):
    _, out = host_run
    prepared = dict(data_path=out / "data", labels_path=out / "labels", parameters_file=PREP_PARAMS)
    r = cli("sanity_check", **prepared)
    assert r.returncode == 0, r.stderr
    r = cli("statistics", **prepared, output_path=out / "statistics.yaml", metadata_path=out / "metadata")
    assert r.returncode == 0, r.stderr
    stats = yaml.safe_load((out / "statistics.yaml").read_text())
    sources = raw[2]
    assert stats["num_cases"] == len(sources)
    assert stats["source_formats"] == {"dicom": len(sources) - 1, "png": 1}
    modalities = {}
    for fmt, modality in sources.values():
        if fmt == "dicom":
            modalities[modality] = modalities.get(modality, 0) + 1
    assert stats["dicom_modalities"] == modalities
    # without metadata the statistics keep their old keys only
    r = cli("statistics", **prepared, output_path=out / "plain.yaml")
    assert r.returncode == 0, r.stderr
    assert "source_formats" not in yaml.safe_load((out / "plain.yaml").read_text())


@pytest.mark.filterwarnings("ignore:Applying a VOI LUT on a float input array")
def test_generated_dicoms_match_pydicoms_own_voi_pipeline(raw):
    """Independent of the preparator: pydicom's modality + VOI LUT functions give back the source image."""
    try:
        from pydicom.pixels import apply_modality_lut, apply_voi_lut
    except ImportError:  # pydicom 2.x
        from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut
    gray = source_image()
    root = raw[0]
    for name in ("mono2_12bit_window", "mono1_16bit_rescale", "mono1_10bit_fractional_slope", "voi_lut_sequence"):
        ds = pydicom.dcmread(root / "images" / f"{name}.dcm")
        out = np.asarray(apply_voi_lut(apply_modality_lut(ds.pixel_array, ds), ds), dtype=np.float64)
        out = (out - out.min()) / (out.max() - out.min()) * 255.0
        if ds.PhotometricInterpretation == "MONOCHROME1":
            out = 255.0 - out
        assert np.abs(out - gray).max() < 0.51, name


def test_local_runner_prepares_every_variant(raw, tmp_path):
    """medcube's local runner (the cube's container_config.yaml command, this Python): same records, same findings."""
    from validator.engine.tasks.local import LocalRunner
    from validator.engine.tasks.plan import plan_task
    from validator.manifest.load import load_cube

    root, expected, _ = raw
    cube = load_cube(PREP)
    plan = plan_task(cube, "prepare", {
        "data_path": root / "images", "labels_path": root / "labels", "output_path": tmp_path / "data",
        "output_labels_path": tmp_path / "labels", "metadata_path": tmp_path / "metadata"})
    result = LocalRunner().run(cube, plan, tmp_path / "prepare.log")
    log = (tmp_path / "prepare.log").read_text()
    assert result.status == "failed" and result.exit_code == 1, log  # four records cannot be prepared
    check_errors(log)
    check_outputs(tmp_path / "data", tmp_path / "labels", expected)


# ---------------------------------------------------------------- in the Docker image


@pytest.fixture(scope="module")
def prep_image(docker_client, base_image):
    image, _ = docker_client.images.build(path=str(PREP / "project"), buildargs={"BASE_IMAGE": base_image},
                                          rm=True, network_mode="none")
    return image.id


def _open(path: Path):
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o777)


@pytest.mark.docker
@pytest.mark.slow
def test_in_docker_same_results_and_findings(docker_client, prep_image, raw, tmp_path):
    root, expected, _ = raw
    config = yaml.safe_load((PREP / "container_config.yaml").read_text())
    spec = config["tasks"]["prepare"]
    host = {"data_path": root / "images", "labels_path": root / "labels", "parameters_file": PREP_PARAMS,
            "output_path": tmp_path / "data", "output_labels_path": tmp_path / "labels",
            "metadata_path": tmp_path / "metadata"}
    volumes = {}
    for kind, mode in (("input_volumes", "ro"), ("output_volumes", "rw")):
        for label, vol in spec[kind].items():
            if mode == "rw":
                _open(host[label])
            volumes[str(host[label])] = {"bind": vol["mount_path"], "mode": mode}
    container = docker_client.containers.run(prep_image, command=spec["run_args"]["command"].split(),
                                             user="1000:1000", network_mode="none", volumes=volumes, detach=True)
    try:
        status = container.wait(timeout=300)
        stderr = container.logs(stdout=False, stderr=True).decode()
    finally:
        container.remove(force=True)
    assert status["StatusCode"] == 1, stderr
    check_errors(stderr)
    check_outputs(tmp_path / "data", tmp_path / "labels", expected)
    assert (tmp_path / "metadata" / "sources.csv").is_file()


@pytest.mark.docker
def test_in_docker_the_documented_transfer_syntaxes_decode(docker_client, prep_image):
    """The README's list of decodable transfer syntaxes is what the image's pydicom and Pillow really decode."""
    script = (
        "import sys; sys.path.insert(0, '/mlcube_project'); from dicom import decodable; "
        "print(','.join(u for u in sys.argv[1:] if decodable(u)))"
    )
    readme = (PREP / "README.md").read_text()
    table = [line for line in readme.splitlines() if line.startswith("| 1.2.840.10008.1.2")]
    listed = {line.split("|")[1].strip(): line.split("|")[3].strip() for line in table}
    assert listed, "no transfer syntax table in the preparator README"
    out = docker_client.containers.run(prep_image, entrypoint=["python3", "-c", script], command=list(listed),
                                       network_mode="none", user="1000:1000", remove=True).decode().strip()
    decodes = set(out.split(",")) - {""}
    assert decodes == {uid for uid, answer in listed.items() if answer == "yes"}
