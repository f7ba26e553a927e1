"""The engine restarted while a task runs: `medcube test` reports the task as an error with MC623 saying the engine
restarted (not a traceback, not a hang), exits 1 (a failed task), leaves no container of its run in the engine, and
the next run against the restarted engine passes.

The shared engine is never restarted: the test starts a private second dockerd of its own (its own socket, data,
exec root and pid file; no bridge, no iptables), loads the base image into it, and kills it (SIGKILL, as a crash or
the OOM killer does; a restart then stops every container) and starts it again while the data preparator's prepare
runs. It needs root and the dockerd binary, and skips with the reason otherwise; the private engine is stopped and
its folders removed whatever happens."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from test_cancel import BOUND, ENGINE, slow_bench, task_pids

ROOT = Path(__file__).parent.parent

pytestmark = [pytest.mark.docker, pytest.mark.slow]


class PrivateEngine:
    """A dockerd of this test's own, in a short temporary folder (a unix socket path has at most 107 bytes)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="mcd-", dir="/tmp"))
        self.host = f"unix://{self.root}/d.sock"
        self.log = self.root / "dockerd.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        # In a network namespace of its own: a dockerd with --bridge=none deletes the host's docker0 bridge when it
        # starts (the shared engine's, which every later build needs); here it finds none to delete.
        args = ["unshare", "--net", "dockerd", "--host", self.host, "--data-root", str(self.root / "data"),
                "--exec-root", str(self.root / "exec"), "--pidfile", str(self.root / "d.pid"), "--bridge=none",
                "--iptables=false", "--ip6tables=false", "--storage-driver=overlay2",
                "--cgroup-parent=medcube-test-private"]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + BOUND
        while not self.answers():
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the private engine did not start"
            time.sleep(0.3)

    def answers(self) -> bool:
        return self.docker("version", check=False).returncode == 0

    def docker(self, *args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", *args], env={**os.environ, "DOCKER_HOST": self.host}, capture_output=True,
                              text=True, check=check, timeout=BOUND, **kw)

    def crash(self) -> None:
        """SIGKILL to dockerd and the containerd it started, as a crash, the OOM killer or a `systemctl kill` ends
        the engine (the shims of running containers live on; the next dockerd's restore stops their containers)."""
        assert self.proc is not None
        daemons = [pid for pid in _processes_naming(str(self.root)) if _command(pid).startswith(b"containerd\0")]
        self.proc.kill()
        self.proc.wait(timeout=BOUND)
        for pid in daemons:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        # Its pid file names a killed process, which may stay a zombie where init does not reap orphans (so the next
        # dockerd would take it for running): gone, as after a reboot or a service manager's cleanup.
        (self.root / "exec" / "containerd" / "containerd.pid").unlink(missing_ok=True)

    def stop(self) -> None:
        """Ends the engine, the containerd it started and their shims, unmounts what is left under its folder and
        removes it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=BOUND)
        for pid in _processes_naming(str(self.root)):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        with open("/proc/mounts") as f:
            mounts = [line.split()[1] for line in f if line.split()[1].startswith(str(self.root))]
        for mount in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", "-l", mount], check=False, capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def containers(self) -> list[str]:
        """Containers medcube labelled, in this engine."""
        out = self.docker("ps", "-aq", "--filter", "label=org.medcube.run").stdout
        return out.split()


def _command(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def _processes_naming(text: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if text.encode() in f.read():
                        found.append(int(entry))
            except OSError:
                pass
    return found


@pytest.fixture
def private_engine(base_image):
    bridge = Path("/sys/class/net/docker0")
    had_bridge = bridge.exists()
    yield from _private_engine(base_image)
    assert bridge.exists() or not had_bridge, "the private engine deleted the shared engine's docker0 bridge"


def _private_engine(base_image):
    if os.geteuid() != 0:
        pytest.skip("a private dockerd needs root")
    if any(shutil.which(p) is None for p in ("dockerd", "docker", "unshare")):
        pytest.skip("no dockerd binary, docker CLI or unshare (util-linux) to start a private engine with")
    engine = PrivateEngine()
    try:
        engine.start()
        save = subprocess.Popen(["docker", "save", base_image], stdout=subprocess.PIPE)
        engine.docker("load", stdin=save.stdout)
        assert save.wait(timeout=BOUND) == 0
        yield engine
    finally:
        engine.stop()


def medcube_test(tmp_path: Path, bench: Path, engine: PrivateEngine, base_image: str, name: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MEDCUBE_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200",
           "DOCKER_HOST": engine.host}
    return subprocess.Popen([sys.executable, "-m", "validator", "test", str(bench / "benchmark.yaml"), "--no-probes",
                             "--runner", "docker", "--base-image", base_image, "--run-dir", str(tmp_path / name),
                             "--report", str(tmp_path / f"{name}.json")],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")


def test_engine_restarted_while_a_task_runs(tmp_path, private_engine, base_image):
    bench = slow_bench(tmp_path)  # prepare waits to be stopped, its pids in the run folder once it runs
    proc = medcube_test(tmp_path, bench, private_engine, base_image, "run")
    try:
        deadline = time.monotonic() + BOUND
        while not task_pids(tmp_path):
            assert proc.poll() is None, proc.communicate()[0]
            assert time.monotonic() < deadline, "prepare never started"
            time.sleep(0.2)
        assert private_engine.containers(), "no container of the run in the private engine"
        private_engine.crash()
        private_engine.start()
        out, _ = proc.communicate(timeout=BOUND)
    finally:
        proc.kill()
    assert proc.returncode == 1, out  # a task failed: exit 1, as any failed task
    assert "Traceback" not in out
    report = json.loads((tmp_path / "run.json").read_text())
    prepare = report["tasks"][0]
    assert (prepare["task"], prepare["status"]) == ("prepare", "error"), prepare
    assert [f["code"] for f in prepare["findings"]] == ["MC623"], prepare
    assert "it restarted" in prepare["findings"][0]["message"], prepare
    assert [t["status"] for t in report["tasks"][1:]] == ["skipped"] * 4
    assert private_engine.containers() == [], "a container of the run is left in the restarted engine"

    again = tmp_path / "again"  # the next run, against the restarted engine, without the wait
    shutil.copytree(ENGINE, again)
    proc = medcube_test(tmp_path, again, private_engine, base_image, "next")
    out, _ = proc.communicate(timeout=BOUND)
    assert proc.returncode == 0, out
    assert private_engine.containers() == []
