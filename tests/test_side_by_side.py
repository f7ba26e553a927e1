"""Runs side by side, and the demo-data cache after an interrupted run.

Two `medcube test` processes at once with one cache folder (two CI jobs on one runner): both pass with the right
results, in their own run folders, and the cache holds the demo data once, extracted once. What a run killed half-way
through extracting leaves in the cache (a staging folder, a tree without its record, a record cut short, a tree a
file short) is never trusted as it is: the next run extracts again and passes. Those states are made directly, as a
SIGKILL would leave them, because a kill at an exact point of an extraction cannot be timed."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from validator.chain.demo_data import load_demo_data

ENGINE = Path(__file__).parent / "fixtures" / "engine"
ROOT = Path(__file__).parent.parent


def demo_tarball(path: Path) -> str:
    with tarfile.open(path, "w:gz") as tar:
        for p in sorted((ENGINE / "demo_data").rglob("*")):
            tar.add(p, arcname=str(p.relative_to(ENGINE / "demo_data")), recursive=False)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_test(tmp_path: Path, name: str, tarball: Path, cache: Path, runner: str = "local",
             base_image: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MEDCUBE_CACHE_DIR": str(cache), "COLUMNS": "200"}
    base = ["--base-image", base_image] if base_image else []
    return subprocess.Popen([sys.executable, "-m", "validator", "test", str(ENGINE / "benchmark.yaml"),
                             "--runner", runner, "--demo-data", str(tarball), "--run-dir", str(tmp_path / name),
                             "--report", str(tmp_path / f"{name}.json"), "--no-probes", *base],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")


def check_pair(tmp_path: Path, runner: str, base_image: str | None = None) -> None:
    tarball = tmp_path / "demo.tar.gz"
    digest = demo_tarball(tarball)
    cache = tmp_path / "cache"
    procs = {name: run_test(tmp_path, name, tarball, cache, runner, base_image) for name in ("a", "b")}
    outs = {name: p.communicate(timeout=600)[0] for name, p in procs.items()}
    for name, p in procs.items():
        assert p.returncode == 0, outs[name]
        report = json.loads((tmp_path / f"{name}.json").read_text())
        assert report["ok"] and report["results"]["Accuracy"] == 1.0, report
        assert Path(report["run_dir"]) == tmp_path / name  # each in its own run folder
        assert (tmp_path / name / "results" / "results.yaml").is_file()
    demo = cache / "demo_data"
    assert sorted(p.name for p in demo.iterdir()) == [digest, f"{digest}.tree.json"]  # once, no staging left


@pytest.mark.slow
def test_two_runs_at_once_share_the_cache_local(tmp_path):
    check_pair(tmp_path, "local")


@pytest.mark.docker
@pytest.mark.slow
def test_two_runs_at_once_on_one_engine(tmp_path, base_image):
    check_pair(tmp_path, "docker", base_image)


def _expected(tmp_path: Path) -> dict:
    ref = load_demo_data(ENGINE / "demo_data")
    return {str(p.relative_to(ref.root)): p.read_bytes() for p in ref.root.rglob("*") if p.is_file()}


def _files(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _cut_short(target: Path, record: Path) -> None:
    record.write_text(record.read_text()[:20])


def _record_missing(target: Path, record: Path) -> None:
    record.unlink()


def _file_missing(target: Path, record: Path) -> None:
    next(p for p in sorted(target.rglob("*")) if p.is_file() and p.name != "paths.yaml").unlink()


def _file_cut(target: Path, record: Path) -> None:
    p = target / "labels" / "labels.csv"
    p.write_bytes(p.read_bytes()[:5])


def _staging_left(target: Path, record: Path) -> None:
    staging = target.parent / ".extract-killed"
    staging.mkdir()
    (staging / "paths.yaml").write_text("data_path: images\n")  # a half-extracted copy


@pytest.mark.parametrize("damage", [_cut_short, _record_missing, _file_missing, _file_cut, _staging_left])
def test_interrupted_extraction_is_never_trusted(tmp_path, monkeypatch, damage):
    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(tmp_path / "cache"))
    tarball = tmp_path / "demo.tar.gz"
    digest = demo_tarball(tarball)
    first = load_demo_data(tarball, digest)
    target = first.root
    record = target.with_name(digest + ".tree.json")
    damage(target, record)
    again = load_demo_data(tarball, digest)
    assert again.root == target
    assert _files(target) == _expected(tmp_path)  # extracted again: whole, as packed
    assert json.loads(record.read_text())  # and recorded again


def test_demo_member_names_cannot_break_paths_yaml_reading(tmp_path):
    """paths.yaml naming a folder with a NUL byte or a name longer than Linux allows: a usage error, no traceback."""
    from validator.errors import UserError

    for value in ('"ima\\0ges"', "a" * 300, "b/" * 2100):
        root = tmp_path / f"demo{len(value)}"
        root.mkdir()
        (root / "paths.yaml").write_text(f"data_path: {value}\nlabels_path: labels\n")
        (root / "labels").mkdir()
        with pytest.raises(UserError):
            load_demo_data(root)
