"""Podman as the engine, on the real thing: `scripts/setup-podman.sh` starts Podman's API socket beside Docker, rootful
and rootless (a user with subuid/subgid ranges), and exports MEDCUBE_PODMAN_HOST / MEDCUBE_PODMAN_ROOTLESS_HOST;
.ci/run's Podman job does it. Without them these tests skip (fail under CI=true).

What is checked: the engine is recognised for what it is; a build's RUN steps see only the loopback interface under
both engines (Podman's compat /build would give them the host's network: medcube builds with `podman build
--network none`); the hostile cubes give the finding codes of the table below under rootful Podman, as under Docker;
the chest X-ray chain passes every probe; rootless Podman runs the chain with nothing configured, and says which
limits it could not enforce (MC630) where the machine cannot (cgroup v1, or v2 without delegated controllers).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from test_hostile import CASES, Case, medcube_test, role_option

from validator.engine.client.api import Engine, EngineError
from validator.engine.client.kind import learn
from validator.engine.images.build import build_image
from validator.engine.tasks.docker import RUN_LABEL
from validator.manifest.load import load_cube

pytestmark = [pytest.mark.docker, pytest.mark.podman, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
ENGINE_FIXTURES = ROOT / "tests" / "fixtures" / "engine"
CHESTXRAY = ROOT / "examples" / "chestxray"
OWN_RUNS = ("determinism", "rerun", "faults")

# The finding code each hostile case gives, per engine: (Docker, rootful Podman). The same verdicts: medcube sends
# Podman what it needs (ulimits), reads its cgroups (peak memory, OOM kills, refused forks) and builds without
# network. The Docker column is what tests/test_hostile.py checks; here the Podman column is run, for the cases whose
# mechanism differs between the engines (network, users, read-only mounts, limits, the log, a read-only image).
TABLE = {
    "needs_network": ("MC803", "MC803"),
    "writes_into_inputs": ("MC802", "MC802"),
    "needs_root": ("MC804", "MC804"),
    "chowns_outputs": ("MC804", "MC804"),
    "writes_outside_outputs": ("MC805", "MC805"),
    "hangs": ("MC611", "MC611"),
    "eats_memory--memory": ("MC612", "MC612"),  # Podman: OOMKilled stays false; the cgroup's oom_kill counter says
    "fork_bomb--pids": ("MC618", "MC618"),  # Podman's pids cgroup under libpod_parent/ (v1) or machine.slice (v2)
    "floods_log--log-limit": ("MC619", "MC619"),
    "writes_into_code--probe": ("MC815", "MC815"),  # the singularity probe: a read-only image under both
}


def case_id(case: Case) -> str:
    return case.cube + "".join(case.options[:1])


PODMAN_CASES = [c for c in CASES if case_id(c) in TABLE]


def _engine(variable: str) -> Engine:
    host = os.environ.get(variable)
    if not host:
        message = f"{variable} is not set: run `eval \"$(bash scripts/setup-podman.sh)\"` (and --rootless)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    engine = Engine(host)
    try:
        engine.ping()
    except EngineError as e:
        pytest.fail(f"no Podman answers at {host}: {e}")
    return engine


@pytest.fixture(scope="module")
def podman() -> Engine:
    return _engine("MEDCUBE_PODMAN_HOST")


@pytest.fixture(scope="module")
def podman_rootless() -> Engine:
    return _engine("MEDCUBE_PODMAN_ROOTLESS_HOST")


@pytest.fixture(scope="module")
def podman_images(podman, base_image, hostile_cubes):
    """The hostile benchmark's images and the table's cubes, built in Podman once."""
    cubes = [HOSTILE / "good_prep", ENGINE_FIXTURES / "model", ENGINE_FIXTURES / "metrics"]
    cubes += sorted({hostile_cubes / c.cube for c in PODMAN_CASES})
    for cube in cubes:
        result = build_image(podman, load_cube(cube), base_image=base_image)
        assert result.ok, result.message + "\n" + (result.log_tail or "")
        assert result.status != "built" or result.builder.startswith("podman build"), result.builder
    return base_image


def test_podman_is_recognised(podman):
    facts = learn(podman)
    assert facts.podman and not facts.rootless, facts
    assert facts.describe().startswith("Podman ") and "rootful" in facts.describe()
    assert {"memory", "pids"} <= set(facts.controllers or ()), "rootful Podman enforces memory and pids"


def test_rootless_podman_is_recognised(podman_rootless):
    facts = learn(podman_rootless)
    assert facts.podman and facts.rootless and facts.uid not in (None, 0), facts


BUILD_NET = """ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
RUN cat /proc/net/dev > /interfaces.txt
ENTRYPOINT ["cat", "/interfaces.txt"]
"""


@pytest.mark.parametrize("which", ["docker", "podman"])
def test_a_build_step_sees_only_the_loopback_interface(which, tmp_path, base_image, engine, podman):
    """The build sandbox holds under both engines: a RUN step's network interfaces, read from the built image."""
    target = engine if which == "docker" else podman
    cube = tmp_path / "netcheck"
    shutil.copytree(HOSTILE / "good_model", cube)
    config = cube / "container_config.yaml"
    config.write_text(config.read_text().replace("hostile-good-model:", f"netcheck-{which}:"))
    (cube / "Dockerfile").write_text(BUILD_NET)
    result = build_image(target, load_cube(cube), base_image=base_image, rebuild=True)
    assert result.ok, result.message
    image = result.image_id or result.image
    argv = ["podman", "--remote", "--url", target.host] if which == "podman" else ["docker"]
    shown = subprocess.run([*argv, "run", "--rm", "--network", "none", *(
        ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=2048:2048"] if which == "podman" else []), image],
        capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    interfaces = sorted(line.split(":")[0].strip() for line in shown.stdout.splitlines()[2:] if ":" in line)
    assert interfaces == ["lo"], shown.stdout


def test_no_build_with_network_when_podman_cannot_isolate_it(tmp_path, podman, base_image, monkeypatch):
    """Without a podman command, Podman's compat /build (which ignores networkmode=none) is never the fall-back:
    the build is refused with MC631; --build-network (network allowed anyway) builds through it."""
    from validator.engine.limits import Limits

    cube = tmp_path / "noisolation"
    shutil.copytree(HOSTILE / "good_model", cube)
    config = cube / "container_config.yaml"
    config.write_text(config.read_text().replace("hostile-good-model:", "noisolation:"))
    monkeypatch.setenv("MEDCUBE_PODMAN_CLI", str(tmp_path / "no-podman-here"))
    result = build_image(podman, load_cube(cube), base_image=base_image, rebuild=True)
    assert not result.ok and [f.code for f in result.findings] == ["MC631"], result.message
    assert "no podman command" in result.message
    allowed = build_image(podman, load_cube(cube), base_image=base_image, rebuild=True,
                          limits=Limits(build_network=True))
    assert allowed.ok and "SDK" in allowed.builder, allowed.message


@pytest.mark.parametrize("case", PODMAN_CASES, ids=case_id)
def test_hostile_cube_under_podman(case: Case, tmp_path, podman, podman_images, hostile_cubes, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", podman.host)
    off = [a for name in OWN_RUNS if name not in case.probes for a in ("--no-probe", name)]
    run = medcube_test(tmp_path, "--engine", "podman", role_option(case.role), str(hostile_cubes / case.cube),
                       *case.options, *off, base_image=podman_images, timeout=case.timeout)
    docker_code, podman_code = TABLE[case_id(case)]
    assert docker_code == case.code  # the table's Docker column is what test_hostile.py checks
    assert run.rc == case.rc, run.text[-3000:]
    assert podman_code in run.codes(), f"{podman_code} not in {run.codes()}: {run.text[-2000:]}"
    assert run.report["engine"].startswith("Podman ") and "engine: Podman" in run.text
    assert podman.containers(f"{RUN_LABEL}={run.run_id}") == []


def test_chestxray_chain_under_podman(tmp_path, podman, base_image, monkeypatch):
    """The reference chest X-ray cubes: every probe passes under rootful Podman, and peak memory is the task's own
    (torch loaded: hundreds of MiB, read from Podman's cgroup)."""
    monkeypatch.setenv("DOCKER_HOST", podman.host)
    run = _chestxray(tmp_path, base_image)
    assert run["rc"] == 0, run["text"][-3000:]
    report = run["report"]
    assert report["engine"].startswith("Podman ") and report["findings"] == []
    assert f'<property name="engine" value="{report["engine"]}" />' in run["junit"]  # every report names it
    assert {p["name"]: p["status"] for p in report["probes"]} == {
        "gpu": "skipped", "inputs": "passed", "permissions": "passed", "network": "passed", "determinism": "passed",
        "rerun": "passed", "faults": "passed", "singularity": "passed"}
    infer = next(t for t in report["tasks"] if t["task"] == "infer")
    assert infer["peak_memory_bytes"] > 64 << 20 and "cgroup" in infer["peak_memory_source"]


def _chestxray(tmp_path: Path, base_image: str) -> dict:
    import json

    cmd = [sys.executable, "-m", "validator", "test", str(CHESTXRAY), "--engine", "podman", "--probe", "singularity",
           "--base-image", base_image, "--run-dir", str(tmp_path / "run"), "--report", str(tmp_path / "report.json"),
           "--junit", str(tmp_path / "junit.xml")]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=1200,
                          env={**os.environ, "COLUMNS": "200"})
    return {"rc": proc.returncode, "text": proc.stdout + proc.stderr, "junit": (tmp_path / "junit.xml").read_text(),
            "report": json.loads((tmp_path / "report.json").read_text())}


@pytest.fixture
def open_dir():
    """A folder every user may read and enter (pytest's own is root's alone): the rootless engine reads the cubes,
    the demo data and the run folder from here."""
    path = Path(tempfile.mkdtemp(prefix="medcube-rootless-"))
    path.chmod(0o755)
    yield path
    subprocess.run(["chmod", "-R", "u+rwX", str(path)], check=False)  # outputs the task's user wrote
    shutil.rmtree(path, ignore_errors=True)


def test_rootless_podman_runs_the_chain_and_says_what_it_cannot_enforce(podman_rootless, open_dir, base_image,
                                                                        hostile_cubes):
    """Nothing configured by hand: keep-id and the engine's own user are sent per container. The benchmark passes;
    where the machine gives the user no memory or pids controller, MC630 names the limits the run went without, and
    the cube that eats memory only under a limit finds none (a run that would be a silent pass is not)."""
    import json

    facts = learn(podman_rootless)
    fixtures = open_dir / "fixtures"
    shutil.copytree(HOSTILE, fixtures / "hostile")
    shutil.copytree(ENGINE_FIXTURES, fixtures / "engine")
    shutil.copytree(hostile_cubes / "eats_memory", open_dir / "eats_memory")
    subprocess.run(["chmod", "-R", "a+rX", str(open_dir)], check=True)
    cmd = [sys.executable, "-m", "validator", "test", str(fixtures / "hostile"), "--engine", "podman",
           "--model", str(open_dir / "eats_memory"), "--memory", "256m", "--base-image", base_image,
           "--no-probe", "determinism", "--no-probe", "rerun", "--no-probe", "faults",
           "--run-dir", str(open_dir / "run"), "--report", str(open_dir / "report.json")]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=open_dir, timeout=1200,
                          env={**os.environ, "DOCKER_HOST": podman_rootless.host, "COLUMNS": "200"})
    report = json.loads((open_dir / "report.json").read_text())
    text = proc.stdout + proc.stderr
    assert "rootless" in report["engine"], report["engine"]
    tasks = {t["task"]: t for t in report["tasks"]}
    assert all(tasks[t]["status"] == "passed" for t in ("prepare", "sanity_check", "statistics")), text[-3000:]
    codes = [f["code"] for t in report["tasks"] for f in t["findings"]]
    missing = facts.unenforced(memory=True, cpus=False, pids=True)
    if missing:  # this machine cannot enforce them for the user: said, once, naming them
        assert codes.count("MC630") == 1, text[-3000:]
        (said,) = [f for t in report["tasks"] for f in t["findings"] if f["code"] == "MC630"]
        assert all(m in said["message"] for m in missing) and "rootless" in said["message"]
        assert tasks["infer"]["status"] == "failed" and "MC612" not in codes  # no limit: the cube refuses to eat
    else:  # cgroup v2 with delegation: the limit holds as under rootful engines
        assert "MC630" not in codes and "MC612" in codes
    assert proc.returncode == 1
