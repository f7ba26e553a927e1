"""Cancellation as CI does it: SIGINT or SIGTERM while `medcube test` runs a task, builds an image, runs a probe or
runs many submissions side by side. medcube exits 130 / 143 with one line saying so (no traceback), writes the report
files asked for with what ran before the signal, marked "cancelled", and leaves nothing of that run behind: no task
process (nor one the task started in a session of its own), no container, no build process, no scratch folder.

The signal is sent once the task (or the build) is seen running: the task writes its pid to a file, the build prints
its step; the waits are bounds against a hang, not timings."""

from __future__ import annotations

import json
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


def slow_bench(tmp_path: Path, task: str = "prepare") -> Path:
    """The engine tests' benchmark, its `task` (prepare or infer) waiting to be stopped."""
    bench = tmp_path / "bench"
    shutil.copytree(ENGINE, bench)
    slow(bench / ("prep/mlcube.py" if task == "prepare" else "model/project/mlcube.py"), task)
    return bench


def slow(script: Path, task: str) -> None:
    anchor = "a = parser.parse_args()\n"
    script.write_text(script.read_text().replace(anchor, anchor + SLOW_PREPARE.replace("prepare", task), 1))


def start(tmp_path: Path, bench: Path, *args: str, probes: bool = False) -> subprocess.Popen:
    """`medcube test` of the bench; its temporary files (the local runner's scratch copies) in tmp_path/tmp."""
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MEDCUBE_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200",
           "TMPDIR": str(tmp_path / "tmp")}
    return subprocess.Popen([sys.executable, "-m", "validator", "test", str(bench / "benchmark.yaml"),
                             *(() if probes else ("--no-probes",)), "--run-dir", str(tmp_path / "run"), *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")


REPORTS = ("--report", "report.json", "--junit", "report.xml", "--sarif-file", "report.sarif", "--html", "report.html")


def report_args(tmp_path: Path) -> list[str]:
    return [str(tmp_path / a) if a.startswith("report.") else a for a in REPORTS]


def check_cancelled_reports(tmp_path: Path, signal_name: str, sarif: bool = True) -> dict:
    """Every report file asked for exists and says the run was cancelled by that signal; the JSON report conforms
    to the report schema. Returns the JSON report."""
    import xml.etree.ElementTree as ET

    from jsonschema import Draft202012Validator

    from validator.manifest import schemas

    report = json.loads((tmp_path / "report.json").read_text())
    Draft202012Validator(schemas.load("report")).validate(report)
    assert (report["status"], report["cancelled_by"], report["ok"]) == ("cancelled", signal_name, False)
    props = {p.get("name"): p.get("value") for p in ET.parse(tmp_path / "report.xml").getroot().iter("property")}
    assert (props.get("status"), props.get("cancelled_by")) == ("cancelled", signal_name)
    if sarif:
        invocation = json.loads((tmp_path / "report.sarif").read_text())["runs"][0]["invocations"][0]
        assert invocation["executionSuccessful"] is False and invocation["exitSignalName"] == signal_name
    page = (tmp_path / "report.html").read_text()
    assert ">CANCELLED<" in page and f"Cancelled by {signal_name}" in page
    return report


def tasks_of(report: dict) -> list[tuple[str, str]]:
    return [(t["task"], t["status"]) for t in report["tasks"]]


def left_in_tmp(tmp_path: Path) -> list[str]:
    """What the run left in its TMPDIR (the local runner's scratch copies live there while a task runs)."""
    return sorted(p.name for p in (tmp_path / "tmp").iterdir())


def wait_for(predicate, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + BOUND
    while not predicate():
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.2)


def task_pids(tmp_path: Path, output: str = "data") -> list[int]:
    """The pids the slow task wrote into its output folder (prepare: data, infer: predictions)."""
    return pids_in(tmp_path / "run" / output / "pids.txt")


def pids_in(path: Path) -> list[int]:
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


@pytest.mark.slow
def test_sigint_writes_every_report_marked_cancelled(tmp_path):
    """SIGINT while infer runs (local runner): exit 130, and each report file asked for (JSON, JUnit, SARIF, HTML)
    says cancelled and lists the tasks done so far; the task's processes and its scratch copies are gone."""
    bench = slow_bench(tmp_path, "infer")
    proc = start(tmp_path, bench, "--runner", "local", *report_args(tmp_path))
    try:
        wait_for(lambda: len(task_pids(tmp_path, "predictions")) == 2, proc)
        rc, out = stop(proc, signal.SIGINT)
        assert rc == 130, out
        assert "CANCELLED by SIGINT" in out and "Traceback" not in out
        report = check_cancelled_reports(tmp_path, "SIGINT")
        assert tasks_of(report) == [("prepare", "passed"), ("sanity_check", "passed"), ("statistics", "passed"),
                                    ("infer", "cancelled"), ("evaluate", "skipped")]
        assert not [p for p in task_pids(tmp_path, "predictions") if alive(p)], "a task process outlived the run"
        assert left_in_tmp(tmp_path) == [], "the cancelled task's scratch folder is left"
    finally:
        proc.kill()
        kill_left(task_pids(tmp_path, "predictions"))


@pytest.mark.slow
def test_sigterm_during_validate_writes_its_report_marked_cancelled(tmp_path):
    """`medcube validate` of a preparator, cancelled while its prepare runs (local runner): exit 143, and the report
    files say cancelled, the cube failed, and its run so far (prepare cancelled, the rest not run)."""
    bench = slow_bench(tmp_path)
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MEDCUBE_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200",
           "TMPDIR": str(tmp_path / "tmp")}
    proc = subprocess.Popen([sys.executable, "-m", "validator", "validate", str(bench / "prep"), "--runner", "local",
                             "--benchmark", str(bench / "benchmark.yaml"), *report_args(tmp_path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")

    def pids() -> list[int]:  # validate's run folder is a new one under the cache folder
        return [pid for path in (tmp_path / "cache").glob("**/data/pids.txt") for pid in pids_in(path)]

    try:
        wait_for(lambda: len(pids()) == 2, proc)
        rc, out = stop(proc, signal.SIGTERM)
        assert rc == 143, out
        report = check_cancelled_reports(tmp_path, "SIGTERM")
        cube = report["cubes"][0]
        assert cube["ok"] is False and cube["run"]["status"] == "cancelled", out
        assert [t["status"] for t in cube["run"]["tasks"]] == ["cancelled"] + ["skipped"] * 4
        assert not [p for p in pids() if alive(p)], "a task process outlived the run"
    finally:
        proc.kill()
        kill_left(pids())


# The faults probe runs the preparator's sanity_check on broken copies of the prepared data, beside the chain: the
# copy with an extra file makes it wait to be stopped (the chain's own sanity_check sees no such file). Its pids go to
# a file named here (the local runner runs it on this machine; in a container the write fails and is ignored).
SLOW_FAULT = '''
if a.task == "sanity_check" and os.path.exists(os.path.join(a.data_path, "medcube_unexpected_file.txt")):
    import subprocess as _sp, time as _t
    _child = _sp.Popen(["sleep", "300"], start_new_session=True)
    try:
        with open(PIDS, "a") as _f:
            _f.write(f"{os.getpid()} {_child.pid} ")
    except OSError:
        pass
    _t.sleep(300)
'''


def fault_bench(tmp_path: Path) -> tuple[Path, Path]:
    """The bench whose faults probe waits to be stopped, and the file its pids go to."""
    bench = tmp_path / "bench"
    shutil.copytree(ENGINE, bench)
    pids = tmp_path / "probe-pids.txt"
    script = bench / "prep" / "mlcube.py"
    anchor = "a = parser.parse_args()\n"
    script.write_text(script.read_text().replace(anchor, anchor + SLOW_FAULT.replace("PIDS", repr(str(pids))), 1))
    return bench, pids


def check_probe_cancelled(tmp_path: Path, out: str) -> None:
    report = check_cancelled_reports(tmp_path, "SIGTERM")
    statuses = [status for _, status in tasks_of(report)]  # the chain may still run beside the probe, or have ended
    n = statuses.count("passed")
    assert statuses[:n] == ["passed"] * n and set(statuses[n:]) <= {"cancelled", "skipped"}, out
    assert statuses[n:n + 1] in ([], ["cancelled"]), out
    faults = [p for p in report["probes"] if p["name"] == "faults"]
    assert faults and faults[0]["status"] == "cancelled", report["probes"]
    assert not (tmp_path / "run" / "probes").exists(), "the probes' scratch copies are left"


@pytest.mark.slow
def test_sigterm_during_a_probe_run_local(tmp_path):
    """SIGTERM while the faults probe's sanity_check runs beside the chain in a thread of its own (local runner):
    its processes are killed (not only the main thread's), exit 143, the report says the probe was cancelled."""
    bench, pids = fault_bench(tmp_path)
    proc = start(tmp_path, bench, "--runner", "local", "--jobs", "2", *report_args(tmp_path), probes=True)
    try:
        wait_for(lambda: len(pids_in(pids)) >= 2, proc)
        rc, out = stop(proc, signal.SIGTERM)
        assert rc == 143, out
        assert "Traceback" not in out
        assert not [p for p in pids_in(pids) if alive(p)], "a probe's task process outlived the run"
        check_probe_cancelled(tmp_path, out)
        assert left_in_tmp(tmp_path) == [], "a probe run's scratch folder is left"
    finally:
        proc.kill()
        kill_left(pids_in(pids))


@pytest.mark.slow
def test_sigterm_during_many_submissions_with_jobs(tmp_path):
    """Three model submissions, two at a time (--jobs 2, local runner), each infer waiting to be stopped: SIGTERM
    once two run. Both are killed (they run in the pool's threads), the third (made ready, waiting for a slot) never
    starts, exit 143, and the leaderboard report says which were stopped and which never ran."""
    bench = slow_bench(tmp_path, "infer")
    subs = []
    for name in ("a", "b", "c"):
        sub = tmp_path / "subs" / name
        shutil.copytree(bench / "model", sub)
        config = sub / "mlcube" / "mlcube.yaml"
        config.write_text(config.read_text().replace("image: ", f"image: {name}-", 1))  # an image name each
        subs += ["--model", str(sub)]
    proc = start(tmp_path, bench, "--runner", "local", "--jobs", "2", *subs,
                 *[a for a in report_args(tmp_path) if "sarif" not in a])  # --sarif-file is one submission's
    folder = tmp_path / "run" / "submissions"
    running = lambda: [pids_in(p) for p in sorted(folder.glob("*/predictions/pids.txt")) if pids_in(p)]  # noqa: E731
    try:
        wait_for(lambda: len(running()) == 2, proc)
        pids = [pid for found in running() for pid in found]
        rc, out = stop(proc, signal.SIGTERM)
        assert rc == 143, out
        assert "Traceback" not in out
        assert not [p for p in pids if alive(p)], "a submission's task process outlived the run"
        report = check_cancelled_reports(tmp_path, "SIGTERM", sarif=False)
        first = {Path(s["path"]).name: (s["tasks"][0]["status"], s["tasks"][0]["message"]) for s in report["submissions"]}
        stopped = sorted(n for n, (status, message) in first.items() if message.startswith("stopped"))
        never = sorted(n for n, (status, message) in first.items() if message.startswith("not run"))
        assert {status for status, _ in first.values()} == {"cancelled"}, first
        # two run on the two slots; the third, ready (one more than the slots), waited for one and never started
        assert len(stopped) == 2 and len(never) == 1, first
        assert not list(folder.glob(f"*-{never[0]}/predictions/pids.txt")), "the third submission started"
        assert left_in_tmp(tmp_path) == [], "a submission's scratch folder is left"
    finally:
        proc.kill()
        for p in folder.glob("*/predictions/pids.txt"):
            kill_left(pids_in(p))


def _our_containers(docker_client, tmp_path: Path) -> list[str]:
    """Containers medcube labelled that mount something of this test's folder."""
    out = []  # the listing itself carries the mounts: no inspect of a container that may be going away
    for c in docker_client.api.containers(all=True, filters={"label": "org.medcube.run"}):
        if any(str(m.get("Source", "")).startswith(str(tmp_path)) for m in c.get("Mounts") or []):
            out.append(c["Id"])
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
    """SIGTERM while infer runs in its container: no container of the run is left, and the report files list the
    three data preparation tasks as passed, infer as cancelled, evaluate as not run."""
    bench = slow_bench(tmp_path, "infer")
    proc = start(tmp_path, bench, "--runner", "docker", "--base-image", base_image, *report_args(tmp_path))
    try:
        wait_for(lambda: bool(task_pids(tmp_path, "predictions")) and bool(_our_containers(docker_client, tmp_path)),
                 proc)
        rc, out = stop(proc, signal.SIGTERM)
        assert rc == 143, out
        assert "cancelled by SIGTERM" in out and "Traceback" not in out
        assert _our_containers(docker_client, tmp_path) == [], "a container of the cancelled run is left"
        report = check_cancelled_reports(tmp_path, "SIGTERM")
        assert tasks_of(report) == [("prepare", "passed"), ("sanity_check", "passed"), ("statistics", "passed"),
                                    ("infer", "cancelled"), ("evaluate", "skipped")]
    finally:
        proc.kill()
        for cid in _our_containers(docker_client, tmp_path):
            docker_client.api.remove_container(cid, force=True)


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


@pytest.mark.docker
@pytest.mark.slow
def test_sigterm_during_a_probe_run_in_a_container(tmp_path, docker_client, base_image):
    """SIGTERM while the faults probe's sanity_check runs in its container beside the chain (its container mounts
    the probes' scratch copy): no container of the run is left, exit 143, the report says the probe was
    cancelled, the scratch copies are gone."""
    bench, _ = fault_bench(tmp_path)
    scratch = str(tmp_path / "run" / "probes")
    proc = start(tmp_path, bench, "--runner", "docker", "--base-image", base_image, "--jobs", "2",
                 *report_args(tmp_path), probes=True)

    def probe_running() -> bool:
        for c in docker_client.api.containers(filters={"label": "org.medcube.run", "status": "running"}):
            mounts = [str(m.get("Source", "")) for m in c.get("Mounts") or []]
            if any(m.startswith(scratch) and "faults" in m for m in mounts):
                return True
        return False

    try:
        wait_for(probe_running, proc)
        rc, out = stop(proc, signal.SIGTERM)
        assert rc == 143, out
        assert "Traceback" not in out
        assert _our_containers(docker_client, tmp_path) == [], "a container of the cancelled run is left"
        check_probe_cancelled(tmp_path, out)
    finally:
        proc.kill()
        for cid in _our_containers(docker_client, tmp_path):
            docker_client.api.remove_container(cid, force=True)
