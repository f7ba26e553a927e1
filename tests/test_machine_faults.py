"""Faults of the machine medcube runs on: the disk filling up while a task writes or while medcube writes its report.
Each ends with one message naming the cause (exit 2, no traceback), nothing of the user's changed, nothing left
running, and the next run, with space again, passes.

The full disk is a real one: a small tmpfs mounted for the test (root only, as CI runs)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ENGINE = Path(__file__).parent / "fixtures" / "engine"
ROOT = Path(__file__).parent.parent

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounts a small tmpfs: needs root")


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave_kib: int) -> Path:
    """Fill disk but leave_kib KiB: a filler file, removed to make space again."""
    filler = disk / "filler"
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    filler.write_bytes(b"\0" * max(0, free - leave_kib * 1024))
    return filler


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        h.update(str(p.relative_to(root)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def medcube_test(tmp_path: Path, bench: Path, run_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MEDCUBE_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "validator", "test", str(bench / "benchmark.yaml"), "--runner", "local",
                           "--no-probes", "--run-dir", str(run_dir), *args], env=env, capture_output=True, text=True,
                          errors="replace", timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize("leave_kib", [0, 12])
def test_disk_full_while_tasks_write(tmp_path, small_disk, leave_kib):
    bench = tmp_path / "bench"
    shutil.copytree(ENGINE, bench)
    before = tree_digest(bench)
    filler = fill(small_disk, leave_kib)
    result = medcube_test(tmp_path, bench, small_disk / "run")
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "no space left on the device" in out and "Traceback" not in out
    assert tree_digest(bench) == before  # nothing of the user's changed
    filler.unlink()
    shutil.rmtree(small_disk / "run", ignore_errors=True)
    again = medcube_test(tmp_path, bench, small_disk / "run")
    assert again.returncode == 0, again.stdout + again.stderr


@pytest.mark.slow
def test_disk_full_while_writing_the_report(tmp_path, small_disk):
    bench = tmp_path / "bench"
    shutil.copytree(ENGINE, bench)
    filler = fill(small_disk, 0)
    result = medcube_test(tmp_path, bench, tmp_path / "run", "--report", str(small_disk / "report.json"))
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "no space left on the device" in out and "Traceback" not in out
    filler.unlink()
    again = medcube_test(tmp_path, bench, tmp_path / "run2", "--report", str(small_disk / "report.json"))
    assert again.returncode == 0, again.stdout + again.stderr
    assert (small_disk / "report.json").stat().st_size > 0


@pytest.mark.docker
@pytest.mark.slow
def test_container_killed_from_outside(tmp_path, docker_client, base_image):
    """`docker kill` of a running task: the task fails with a finding that names a SIGKILL from outside the task
    (not a timeout, not --memory), nothing of the run is left, and the next run passes."""
    from test_cancel import _our_containers, slow_bench, start, task_pids, wait_for

    bench = slow_bench(tmp_path)
    proc = start(tmp_path, bench, "--runner", "docker", "--base-image", base_image)
    try:
        wait_for(lambda: bool(task_pids(tmp_path)) and bool(_our_containers(docker_client, tmp_path)), proc)
        for cid in _our_containers(docker_client, tmp_path):
            container = docker_client.containers.get(cid)
            if container.status == "running":  # medcube creates the next task's container ahead of time
                container.kill()
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 1, out
        assert "exited with code 137 (killed by SIGKILL from outside the task" in " ".join(out.split()), out
        assert "Traceback" not in out
        assert _our_containers(docker_client, tmp_path) == []
    finally:
        proc.kill()
    shutil.rmtree(tmp_path / "run")
    again = tmp_path / "again"
    shutil.copytree(ENGINE, again)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MEDCUBE_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, "-m", "validator", "test", str(again / "benchmark.yaml"), "--runner",
                             "docker", "--base-image", base_image, "--no-probes", "--run-dir", str(tmp_path / "run")],
                            env=env, capture_output=True, text=True, errors="replace", timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
