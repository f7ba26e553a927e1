"""sanity_check of the chest X-ray preparator rejects each kind of broken prepared data, naming the record."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "chestxray"
PREP = EXAMPLE / "data_preparator"
PARAMS = PREP / "mlcube/workspace/parameters.yaml"


def make_prepared(root: Path, ids):
    data, labels = root / "data", root / "labels"
    data.mkdir()
    labels.mkdir()
    rng = np.random.default_rng(0)
    for i, rec in enumerate(ids):
        np.save(data / f"{rec}.npy", rng.integers(0, 256, (28, 28, 1), dtype=np.uint8))
        np.save(labels / f"{rec}.npy", np.eye(14, dtype=np.int64)[i % 14])
    return data, labels


def sanity(data, labels):
    return subprocess.run(
        [sys.executable, str(PREP / "project/mlcube.py"), "sanity_check",
         f"--data_path={data}", f"--labels_path={labels}", f"--parameters_file={PARAMS}"],
        capture_output=True, text=True, timeout=120,
    )


def test_valid_prepared_data_passes(tmp_path):
    r = sanity(*make_prepared(tmp_path, [f"rec{i}" for i in range(5)]))
    assert r.returncode == 0, r.stderr
    assert "5 record(s) passed" in r.stdout


# kind of breakage -> (how to break record `r` in data folder d / labels folder lab, what the message says)
BREAKAGES = {
    "image without label": (lambda d, lab, r: (lab / f"{r}.npy").unlink(), "no label file"),
    "label without image": (lambda d, lab, r: (d / f"{r}.npy").unlink(), "no image file"),
    "stray file": (lambda d, lab, r: (d / f"{r}.npy").rename(d / f"{r}.txt"), "unexpected entry"),
    "image shape": (lambda d, lab, r: np.save(d / f"{r}.npy", np.arange(784, dtype=np.uint8).reshape(28, 28)), "shape (28, 28)"),
    "image dtype": (lambda d, lab, r: np.save(d / f"{r}.npy", np.random.rand(28, 28, 1)), "dtype float64"),
    "blank image": (lambda d, lab, r: np.save(d / f"{r}.npy", np.zeros((28, 28, 1), np.uint8)), "blank"),
    "constant image": (lambda d, lab, r: np.save(d / f"{r}.npy", np.full((28, 28, 1), 90, np.uint8)), "constant"),
    "label length": (lambda d, lab, r: np.save(lab / f"{r}.npy", np.zeros(13, np.int64)), "label shape (13,)"),
    "label value": (lambda d, lab, r: np.save(lab / f"{r}.npy", np.full(14, 2, np.int64)), "0 or 1"),
    "soft label": (lambda d, lab, r: np.save(lab / f"{r}.npy", np.full(14, 0.5)), "0 or 1"),
    "unreadable image": (lambda d, lab, r: (d / f"{r}.npy").write_bytes(b"not numpy"), "cannot be loaded"),
    "unreadable label": (lambda d, lab, r: (lab / f"{r}.npy").write_bytes(b"\x93NUMPY garbage"), "cannot be loaded"),
}


def record_of(kind):
    return "broken_" + kind.replace(" ", "_")


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory):
    """One prepared set with every kind of breakage, each on its own record, checked in one run."""
    root = tmp_path_factory.mktemp("broken")
    data, labels = make_prepared(root, ["good0", "good1"] + [record_of(k) for k in BREAKAGES])
    for kind, (breaker, _) in BREAKAGES.items():
        breaker(data, labels, record_of(kind))
    return sanity(data, labels)


def test_broken_data_fails(broken_run):
    assert broken_run.returncode == 1
    assert "good0" not in broken_run.stderr and "good1" not in broken_run.stderr


@pytest.mark.parametrize("kind", sorted(BREAKAGES))
def test_each_breakage_is_reported_by_record(broken_run, kind):
    what = BREAKAGES[kind][1]
    lines = [line for line in broken_run.stderr.splitlines() if record_of(kind) in line]
    assert lines and any(what in line for line in lines), broken_run.stderr


def test_empty_prepared_data_is_rejected(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "labels").mkdir()
    r = sanity(tmp_path / "data", tmp_path / "labels")
    assert r.returncode == 1 and "no prepared records" in r.stderr


def test_fast_npy_io_matches_numpy(tmp_path):
    """The preparator writes exactly what np.save writes, and reads back anything np.load reads."""
    sys.path.insert(0, str(PREP / "project"))
    import npyio

    for arr in (np.arange(784, dtype=np.uint8).reshape(28, 28, 1), np.eye(14, dtype=np.int64)[3], np.random.rand(3, 2)):
        ours, ref = tmp_path / "ours.npy", tmp_path / "ref.npy"
        npyio.save(ours, arr)
        np.save(ref, arr)
        assert ours.read_bytes() == ref.read_bytes()
        back = npyio.load(ours, np.uint8, (28, 28, 1))  # expected shape or not: same array
        assert back.dtype == arr.dtype and np.array_equal(back, arr)
