"""Cancellation as CI does it: SIGINT or SIGTERM while `medcube test` runs a task or builds an image. medcube exits
130 / 143 with one line saying so (no traceback), and leaves nothing of that run behind: no task process (nor one the
task started in a session of its own), no container, no build process.

The signal is sent once the task (or the build) is seen running: the task writes its pid to a file, the build prints
its step; the waits are bounds against a hang, not timings."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ENGINE = Path(__file__).parent / "fixtures" / "engine"
ROOT = Path(__file__).parent.parent
BOUND = 120  # seconds: a hang bound, far above what a cancelled run takes

# Inserted after the preparator's argument parsing: prepare records its pid and a grandchild's (in a session of its
# own, so only medcube's marker finds it) in its output folder, then waits to be stopped. (In a container the pids
# are the container's: the container test checks the container instead.)
SLOW_PREPARE = '''
if a.task == "prepare":
    import subprocess as _sp, time as _t
    _child = _sp.Popen(["sleep", "300"], start_new_session=True)
    with open(os.path.join(a.output_path, "pids.txt"), "w") as _f:
        _f.write(f"{os.getpid()} {_child.pid}")
    _t.sleep(300)
'''


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def slow_bench(tmp_path: Path) -> Path:
    bench = tmp_path / "bench"
    shutil.copytree(ENGINE, bench)
    script = bench / "prep" / "mlcube.py"
    text = script.read_text()
    anchor = "a = parser.parse_args()\n"
    script.write_text(text.replace(anchor, anchor + SLOW_PREPARE, 1))
    return bench


def start(tmp_path: Path, bench: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MEDCUBE_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "validator", "test", str(bench / "benchmark.yaml"), "--no-probes",
                             "--run-dir", str(tmp_path / "run"), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace")


def wait_for(predicate, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + BOUND
    while not predicate():
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.2)


def task_pids(tmp_path: Path) -> list[int]:
    path = tmp_path / "run" / "data" / "pids.txt"  # prepare's output folder
    return [int(x) for x in path.read_text().split()] if path.is_file() and path.read_text().strip() else []


def stop(proc: subprocess.Popen, signum: int, times: int = 1) -> tuple[int, str]:
    for _ in range(times):
        proc.send_signal(signum)
    out, _ = proc.communicate(timeout=BOUND)
    return proc.returncode, out


def kill_left(pids) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.slow
@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_during_a_local_task(tmp_path, signum, code):
    bench = slow_bench(tmp_path)
    proc = start(tmp_path, bench, "--runner", "local")
    try:
        wait_for(lambda: len(task_pids(tmp_path)) == 2, proc)
        rc, out = stop(proc, signum)
        assert rc == code, out
        assert f"cancelled by {signal.Signals(signum).name}" in out
        assert "Traceback" not in out and "Aborted" not in out
        pids = task_pids(tmp_path)
        assert not [p for p in pids if alive(p)], "a task process outlived the cancelled run"
    finally:
        proc.kill()
        kill_left(task_pids(tmp_path))


@pytest.mark.slow
def test_second_signal_ends_at_once(tmp_path):
    bench = slow_bench(tmp_path)
    proc = start(tmp_path, bench, "--runner", "local")
    try:
        wait_for(lambda: len(task_pids(tmp_path)) == 2, proc)
        rc, out = stop(proc, signal.SIGTERM, times=2)
        assert rc == 143, out
        assert "Traceback" not in out
    finally:
        proc.kill()
        kill_left(task_pids(tmp_path))


def _our_containers(docker_client, tmp_path: Path) -> list[str]:
    """Containers medcube labelled that mount something of this test's folder."""
    out = []
    for c in docker_client.containers.list(all=True, filters={"label": "org.medcube.run"}):
        if any(str(m.get("Source", "")).startswith(str(tmp_path)) for m in c.attrs.get("Mounts") or []):
            out.append(c.id)
    return out


def _processes_naming(text: str) -> list[int]:
    """Processes whose command line names text (a build of this test's context)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if text.encode() in f.read() and alive(int(entry)):
                        found.append(int(entry))
            except OSError:
                pass
    return found


@pytest.mark.docker
@pytest.mark.slow
def test_sigterm_during_a_container_task(tmp_path, docker_client, base_image):
    bench = slow_bench(tmp_path)
    proc = start(tmp_path, bench, "--runner", "docker", "--base-image", base_image)
    try:
        wait_for(lambda: bool(task_pids(tmp_path)) and bool(_our_containers(docker_client, tmp_path)), proc)
        rc, out = stop(proc, signal.SIGTERM)
        assert rc == 143, out
        assert "cancelled by SIGTERM" in out and "Traceback" not in out
        assert _our_containers(docker_client, tmp_path) == [], "a container of the cancelled run is left"
    finally:
        proc.kill()
        for cid in _our_containers(docker_client, tmp_path):
            docker_client.containers.get(cid).remove(force=True)


@pytest.mark.docker
@pytest.mark.slow
def test_sigterm_during_a_build(tmp_path, docker_client, base_image):
    bench = tmp_path / "bench"
    shutil.copytree(ENGINE, bench)
    dockerfile = bench / "prep" / "Dockerfile"
    marker = f"medcube-cancel-{os.getpid()}-{time.monotonic_ns()}"  # a new build step, never cached
    dockerfile.write_text(dockerfile.read_text().replace("COPY . /mlcube_project",
                                                         f"RUN echo {marker} && sleep 300\nCOPY . /mlcube_project"))
    proc = start(tmp_path, bench, "--runner", "docker", "--base-image", base_image, "--verbose")
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + BOUND
        for line in proc.stdout:  # the build log streams (--verbose): the step has started once its echo shows
            lines.append(line)
            if marker in line and "echo" not in line or time.monotonic() > deadline:
                break
        assert any(marker in ln for ln in lines), "".join(lines)
        rc, out = stop(proc, signal.SIGTERM)
        out = "".join(lines) + out
        assert rc == 143, out
        assert "cancelled by SIGTERM" in out and "Traceback" not in out
        assert _processes_naming(str(bench)) == [], "a build process of the cancelled run is left"
        assert _processes_naming(marker) == [], "the build step is still running"
    finally:
        proc.kill()
        kill_left(_processes_naming(str(bench)))
