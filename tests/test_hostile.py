"""The hostile corpus (tests/hostile_cubes.py: the good cubes of tests/fixtures/hostile with one misbehaviour each,
written out by the `hostile_cubes` fixture) through `medcube test`, run as a user runs it: a fresh process, the real
engine. Each cube must fail with its own finding code and a message naming the task and what to change; the demo data
must be unchanged, and no container, process or temporary folder may be left behind; a run ends within its timeout
plus a few seconds.

To keep the runtime down, each case switches off the probes that run tasks of their own (determinism, rerun,
faults) unless it is about them; test_the_benchmark_passes_every_probe runs them all on the well-behaved cubes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_cubes import CUBES

from validator.engine.images.build import build_image
from validator.engine.tasks.docker import RUN_LABEL
from validator.engine.tasks.processes import MARK_ENV
from validator.manifest.load import load_cube

pytestmark = pytest.mark.docker
HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
DEMO = Path(__file__).parent / "fixtures" / "engine" / "demo_data"
OWN_RUNS = ("determinism", "rerun", "faults")  # probes that run tasks of their own
SLACK = 30  # seconds a run may take beyond its task timeout: start-up, the other tasks, cleanup


@dataclass
class Case:
    cube: str
    role: str
    code: str
    words: tuple[str, ...]  # all in the finding's message
    options: tuple[str, ...] = ()
    timeout: int = 20
    probes: tuple[str, ...] = ()  # probes of OWN_RUNS the case is about
    rc: int = 1
    severity: str = "error"


CASES = [
    Case("needs_network", "model", "MC803",
         ("task infer needs network", "https://example.org/tiny-model/weights.bin", "--network none")),
    Case("writes_into_inputs", "model", "MC802",
         ("task infer tried to change its input data_path", "/mlcommons/volumes/data/model.cache", "read-only")),
    Case("deletes_input", "data_preparator", "MC802",
         ("task prepare tried to change its input data_path", "/mlcommons/volumes/raw_data/", "read-only")),
    Case("needs_root", "model", "MC804", ("task infer needs root", "/etc/tiny-model.conf", "never root")),
    Case("chowns_outputs", "metrics", "MC804", ("task evaluate needs root", "Operation not permitted", "chown")),
    Case("writes_outside_outputs", "model", "MC805",
         ("task infer writes outside its output folders", "/mlcube_project/predictions.json", "output_path")),
    Case("hangs", "model", "MC611", ("task infer ran longer than the --timeout of 5s and was killed",), timeout=5),
    Case("eats_memory", "model", "MC612", ("task infer used more than the --memory limit of 256.0 MiB",),
         options=("--memory", "256m")),
    Case("fork_bomb", "model", "MC618", ("task infer hit the limit of 64 processes (--pids)", "fork bomb"),
         options=("--pids", "64"), timeout=8),
    Case("floods_log", "model", "MC619", ("task infer wrote", "more than the --log-limit of 1.0 MiB"),
         options=("--log-limit", "1m")),
    Case("malformed_predictions", "model", "MC704", ("infer: predictions.json cannot be read",)),
    Case("malformed_results", "metrics", "MC708", ("evaluate: results.yaml: Accuracy is a str ('high'), not a number",)),
    Case("malformed_statistics", "data_preparator", "MC702", ("statistics: statistics.yaml is not a mapping",)),
    # A lax sanity_check is a quality finding (MedPerf runs it): a warning, exit 0; --strict makes it fail.
    Case("accepts_anything", "data_preparator", "MC808",
         ("sanity_check accepted 4 of 4 broken copies of the prepared data", "a blank image", "a wrong-shape array",
          "a missing label", "an extra file"), probes=("faults",), rc=0, severity="warning"),
    Case("accepts_anything", "data_preparator", "MC808", ("sanity_check accepted 4 of 4 broken copies",),
         options=("--strict",), probes=("faults",), rc=1, severity="warning"),
    Case("no_sanity_check", "data_preparator", "MC617",
         ("a data preparator must declare the task 'sanity_check'", "Task sanity_check is not found in container config."),
         probes=("faults",)),
    Case("nondeterministic", "model", "MC806", ("infer gave different predictions on the same data in two runs",),
         options=("--strict-determinism",), probes=("determinism",)),
    Case("writes_into_code", "model", "MC815",
         ("task infer would fail under Singularity: it writes into its code folder", "/mlcube_project/cache.json",
          "read-only there"), options=("--probe", "singularity")),
    Case("fails_on_rerun", "model", "MC807",
         ("task infer fails when run again into its non-empty output folder", "FileExistsError"), probes=("rerun",)),
]


def test_the_cases_are_the_recipe():
    """Every cube of the recipe is tried, in the role it was made for, for the finding it says it is for."""
    for case in CASES + LOCAL:
        cube = CUBES[case.cube]
        assert case.role == cube.role and case.code in cube.expect, case.cube
    assert {c.cube for c in CASES + LOCAL} == set(CUBES)


def tree_hash(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def images(docker_client, base_image, hostile_cubes, engine):
    """Every image of the corpus and of its benchmark, built once (cached by context afterwards), so the timed
    runs below time runs, not builds."""
    good = [HOSTILE / "good_prep", HOSTILE / "good_model", HOSTILE / "good_metrics", DEMO.parent / "model",
            DEMO.parent / "metrics"]
    for cube in good + sorted(hostile_cubes.iterdir()):
        result = build_image(engine, load_cube(cube), base_image=base_image)
        assert result.ok, result.message
    return base_image


@dataclass
class Run:
    rc: int
    text: str  # what the user sees, line wrapping undone
    report: dict
    seconds: float
    run_id: str
    run_dir: Path
    tmp: Path

    @property
    def findings(self) -> list[dict]:
        out = [f for t in self.report["tasks"] for f in t["findings"]]
        return out + [f for p in self.report["probes"] for f in p["findings"]]

    def codes(self) -> list[str]:
        return [f["code"] for f in self.findings]


def medcube_test(tmp_path: Path, *args: str, runner: str = "docker", base_image: str | None = None,
                 timeout: int = 20) -> Run:
    run_id = f"hostile-{uuid.uuid4().hex[:8]}"
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    cmd = [sys.executable, "-m", "validator", "test", str(HOSTILE), "--runner", runner, "--timeout", str(timeout),
           "--run-dir", str(tmp_path / run_id), "--report", str(tmp_path / "report.json"), *args]
    if base_image:
        cmd += ["--base-image", base_image]
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=timeout * 4 + 120,
                          env={**os.environ, "COLUMNS": "200", "TMPDIR": str(tmp)})
    seconds = time.monotonic() - started
    assert (tmp_path / "report.json").is_file(), proc.stdout + proc.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    return Run(proc.returncode, flat(proc.stdout + proc.stderr), report, seconds, run_id, tmp_path / run_id, tmp)


def nothing_left(run: Run, docker_client, hostile_cubes: Path) -> None:
    assert docker_client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run.run_id}"}) == []
    assert not (run.run_dir / "probes").exists(), "probe scratch copies left behind"
    assert list(run.tmp.iterdir()) == [], "temporary files left behind"
    assert _marked_processes(HOSTILE, hostile_cubes) == [], "processes left behind"


def _marked_processes(*corpus: Path) -> list[int]:
    """Processes a local task of the corpus started (they carry the task's mark), still running. Other local runs on
    this machine carry marks too: only the corpus's own commands count."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if not any(v.startswith(MARK_ENV.encode() + b"=") for v in f.read().split(b"\0")):
                    continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(str(root) in cmd for root in corpus) or cmd.startswith("sleep 300"):
            out.append(int(pid))
    return out


def role_option(role: str) -> str:
    return "--" + role.replace("_", "-")


@pytest.mark.parametrize("case", CASES, ids=[c.cube + "".join(c.options[:1]) for c in CASES])
def test_hostile_cube(case: Case, tmp_path, images, docker_client, hostile_cubes):
    demo_before = tree_hash(DEMO)
    off = [a for name in OWN_RUNS if name not in case.probes for a in ("--no-probe", name)]
    run = medcube_test(tmp_path, role_option(case.role), str(hostile_cubes / case.cube), *case.options, *off,
                       base_image=images, timeout=case.timeout)
    assert run.rc == case.rc, run.text[-3000:]
    hits = [f for f in run.findings if f["code"] == case.code]
    assert hits, f"{case.code} not in {run.codes()}: {run.text[-2000:]}"
    finding = hits[0]
    assert finding["severity"] == case.severity
    for words in case.words:
        assert words in finding["message"], finding["message"]
    assert finding["hint"], "a finding says what to change"
    assert f"{case.code} {case.words[0]}" in run.text  # and the user sees it
    assert ("FAIL" in run.text) == (case.rc != 0)
    assert tree_hash(DEMO) == demo_before
    nothing_left(run, docker_client, hostile_cubes)
    assert run.seconds < case.timeout + SLACK, f"{run.seconds:.1f}s"


def test_nondeterministic_infer_is_a_warning_by_default(tmp_path, images, docker_client, hostile_cubes):
    run = medcube_test(tmp_path, "--model", str(hostile_cubes / "nondeterministic"), "--no-probe", "rerun",
                       base_image=images)
    assert run.rc == 0, run.text[-2000:]
    (finding,) = [f for f in run.findings if f["code"] == "MC806"]
    assert finding["severity"] == "warning" and "seed every random generator" in finding["hint"]
    assert "PASS" in run.text and "warnings from determinism" in run.text
    nothing_left(run, docker_client, hostile_cubes)


def test_the_benchmark_passes_every_probe(tmp_path, images, docker_client, hostile_cubes):
    """The well-behaved cubes the hostile ones replace: every probe runs, none complains."""
    demo_before = tree_hash(DEMO)
    run = medcube_test(tmp_path, base_image=images)
    assert run.rc == 0, run.text[-3000:]
    assert run.findings == []
    status = {p["name"]: p["status"] for p in run.report["probes"]}
    assert status == {"gpu": "skipped", "inputs": "passed", "permissions": "passed", "network": "passed",
                      "determinism": "passed", "rerun": "passed", "faults": "passed"}
    assert "sanity_check refused 4 of 4 broken copies" in run.text
    assert tree_hash(DEMO) == demo_before
    nothing_left(run, docker_client, hostile_cubes)


def test_the_good_cubes_pass_every_probe(tmp_path, images, docker_client, hostile_cubes):
    """The cubes the hostile model and metrics are made from, in place of the benchmark's: none complains, so what a
    hostile one is blamed for is its one misbehaviour."""
    run = medcube_test(tmp_path, "--model", str(HOSTILE / "good_model"), "--metrics", str(HOSTILE / "good_metrics"),
                       base_image=images)
    assert run.rc == 0, run.text[-3000:]
    assert run.findings == []
    status = {p["name"]: p["status"] for p in run.report["probes"]}
    assert status == {"gpu": "skipped", "inputs": "passed", "permissions": "passed", "network": "passed",
                      "determinism": "passed", "rerun": "passed", "faults": "skipped"}  # faults: the data preparator's
    nothing_left(run, docker_client, hostile_cubes)


def test_no_probes_is_a_plain_timed_run(tmp_path, images, docker_client, hostile_cubes):
    run = medcube_test(tmp_path, "--model", str(hostile_cubes / "needs_network"), "--no-probes", base_image=images)
    assert run.rc == 1
    assert run.codes() == ["MC610"] and run.report["probes"] == []
    assert "┃ probe" not in run.text
    assert run.report["tasks"][3]["seconds"] is not None
    nothing_left(run, docker_client, hostile_cubes)


def test_one_probe_switched_off(tmp_path, images, docker_client, hostile_cubes):
    run = medcube_test(tmp_path, "--model", str(hostile_cubes / "needs_network"), "--no-probe", "network",
                       *[a for name in OWN_RUNS for a in ("--no-probe", name)], base_image=images)
    assert run.rc == 1 and "MC803" not in run.codes() and "MC610" in run.codes()
    assert "network" not in [p["name"] for p in run.report["probes"]]


def test_a_gpu_request_on_an_engine_without_gpus(tmp_path, images, docker_client, hostile_cubes):
    """No GPU here: a GPU request fails before any task runs, clearly, and leaves nothing behind; the GPU probe
    says it could not check (what it checks where GPUs exist is in test_probes.py)."""
    info = docker_client.info()
    if "nvidia" in json.dumps(info.get("Runtimes") or {}):
        pytest.skip("this engine has a GPU runtime")
    run = medcube_test(tmp_path, "--gpus", "all", *[a for name in OWN_RUNS for a in ("--no-probe", name)],
                       base_image=images)
    assert run.rc == 1 and run.codes()[0] == "MC613"
    assert "no GPU runtime" in run.findings[0]["message"] and "nvidia-container-toolkit" in run.findings[0]["hint"]
    gpu = next(p for p in run.report["probes"] if p["name"] == "gpu")
    assert gpu["status"] == "skipped" and "no GPU runtime" in gpu["message"]
    nothing_left(run, docker_client, hostile_cubes)


# -- with the local runner: what only the host would suffer -----------------------------------------------------------------
LOCAL = [
    Case("writes_into_inputs", "model", "MC801",
         ("task infer changed its input data_path: added model.cache", "the original is intact")),
    Case("deletes_input", "data_preparator", "MC801", ("task prepare changed its input data_path", "deleted case1.txt")),
    Case("background_process", "model", "MC620",
         ("task infer left 1 process running after it ended", "sleep 300", "medcube killed it")),
    Case("floods_log", "model", "MC619", ("more than the --log-limit of 1.0 MiB",), options=("--log-limit", "1m")),
    Case("hangs", "model", "MC611", ("--timeout of 3s",), timeout=3),
]


@pytest.mark.parametrize("case", LOCAL, ids=[c.cube for c in LOCAL])
def test_hostile_cube_with_the_local_runner(case: Case, tmp_path, docker_client, hostile_cubes):
    demo_before = tree_hash(DEMO)
    off = [a for name in OWN_RUNS for a in ("--no-probe", name)]
    run = medcube_test(tmp_path, role_option(case.role), str(hostile_cubes / case.cube), *case.options, *off,
                       runner="local", timeout=case.timeout)
    assert run.rc == 1, run.text[-3000:]
    (finding,) = [f for f in run.findings if f["code"] == case.code]
    for words in case.words:
        assert words in finding["message"], finding["message"]
    assert finding["hint"]
    assert tree_hash(DEMO) == demo_before
    nothing_left(run, docker_client, hostile_cubes)
    assert run.seconds < case.timeout + SLACK
    if case.code == "MC619":
        log = Path(run.report["tasks"][3]["log_path"])
        assert log.stat().st_size < 1024**2 + 300 * 1024 and log.read_text().rstrip().endswith("wrote predictions")


def test_a_background_process_dies_with_its_container(tmp_path, images, docker_client, hostile_cubes):
    """In a container the helper ends with the task: nothing to report, nothing left."""
    run = medcube_test(tmp_path, "--model", str(hostile_cubes / "background_process"),
                       *[a for name in OWN_RUNS for a in ("--no-probe", name)], base_image=images)
    assert run.rc == 0, run.text[-2000:]
    nothing_left(run, docker_client, hostile_cubes)
