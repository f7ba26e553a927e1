"""The probes' own runs as jobs beside the chain (validator.chain.probes.jobs, the session's scheduling): the same
findings side by side as one after another, one second run of infer for the rerun and determinism probes (and a run
of its own for determinism where that one cannot serve), and the job pool's rules.

The chains here run with the local runner (tasks as subprocesses, side by side from the probes' threads): the
hostile corpus's misbehaving cubes give the probes something to find. The same comparison through real containers
is test_side_by_side_in_containers (docker)."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest

from validator.chain.benchmark import load_benchmark
from validator.chain.demo_data import load_demo_data
from validator.chain.options import RunOptions
from validator.chain.probes import ProbeOptions
from validator.chain.probes.jobs import ProbeJobs, Stopped
from validator.chain.run import run_chain
from validator.engine.tasks.local import LocalRunner
from validator.manifest.load import load_cube
from validator.manifest.roles import ROLES

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"


class Counting:
    """The local runner, counting how many of its runs are under way at once (the probes' runner is itself)."""

    def __init__(self):
        self.inner = LocalRunner()
        self.name = self.inner.name
        self.active = self.most = self.runs = 0
        self.lock = threading.Lock()

    @property
    def watch_inputs(self):
        return self.inner.watch_inputs

    @watch_inputs.setter
    def watch_inputs(self, value):
        self.inner.watch_inputs = value

    def beside(self):
        return self

    def build(self, cube, **kw):
        return self.inner.build(cube, **kw)

    def ahead(self, *args):
        pass

    def cleanup(self):
        return self.inner.cleanup()

    def run(self, cube, plan, log_path):
        with self.lock:
            self.active += 1
            self.runs += 1
            self.most = max(self.most, self.active)
        try:
            return self.inner.run(cube, plan, log_path)
        finally:
            with self.lock:
                self.active -= 1


def chain(tmp_path: Path, name: str, jobs: int, **roles: Path):
    """The hostile benchmark's chain with every probe, `jobs` tasks at a time; (report, runner)."""
    bench = load_benchmark(HOSTILE)
    cubes = {role: load_cube(roles.get(role) or bench.cube(role)) for role in ROLES}
    runner = Counting()
    options = RunOptions(runner="local", run_dir=tmp_path / name, jobs=jobs,
                         probes=ProbeOptions(strict_determinism=True))
    return run_chain(bench, cubes, load_demo_data(bench.demo_data, bench.demo_sha256), options, runner), runner


def what_it_says(report) -> list:
    """Every task's and probe's status, message and findings, in report order; the run folder's name and numbers
    with a fraction (seconds, a nondeterministic model's differences) left out."""
    root = str(report.run_dir)

    def clean(text: str) -> str:
        return re.sub(r"\d+\.\d+(e-?\d+)?", "N", text.replace(root, "RUN"))

    out: list = [(t.task, t.status, clean(t.message or "")) for t in report.tasks]
    out += [(p.name, p.status, clean(p.message), p.runs) for p in report.probes]
    for f in [f for t in report.tasks for f in t.findings] + [f for p in report.probes for f in p.findings]:
        out.append((f.code, f.severity, f.file, clean(f.message), clean(f.hint or "")))
    return out


@pytest.mark.parametrize("model", ["nondeterministic", "fails_on_rerun"])
def test_side_by_side_gives_the_same_findings_as_one_after_another(hostile_cubes, tmp_path, model):
    """A lax sanity_check (faults), a model that is nondeterministic or fails when run again: the reports of a run
    with the probes one after another after the chain (--jobs 1) and of one with them side by side (--jobs 4) say
    the same, in the same order."""
    roles = {"data_preparator": hostile_cubes / "accepts_anything", "model": hostile_cubes / model}
    serial, one = chain(tmp_path, "serial", 1, **roles)
    side, many = chain(tmp_path, "side", 4, **roles)
    assert one.most == 1 and many.most >= 2  # one after another; side by side (three faults at once at least)
    assert one.runs == many.runs
    assert what_it_says(side) == what_it_says(serial)
    probes = {p.name: p for p in side.probes}
    assert probes["faults"].findings[0].code == "MC808"
    if model == "nondeterministic":  # one second run of infer served both probes
        assert probes["determinism"].findings[0].code == "MC806" and probes["determinism"].runs == 0
        assert "the rerun probe's" in probes["determinism"].message
        assert not (tmp_path / "side" / "logs" / "probe-determinism-infer.log").exists()
    else:  # the rerun failed: determinism ran infer into an empty folder of its own
        assert probes["rerun"].findings[0].code == "MC807" and probes["determinism"].runs == 1
        assert probes["determinism"].status == "passed"
        assert (tmp_path / "side" / "logs" / "probe-determinism-infer.log").is_file()
    for report in (serial, side):
        assert not (report.run_dir / "probes").exists()


@pytest.mark.docker
def test_side_by_side_in_containers(hostile_cubes, tmp_path, base_image, docker_client):
    """The same through real containers: the probes' runner beside the chain's (its own containers, the same run
    id), three at a time against one after another."""
    bench = load_benchmark(HOSTILE)
    roles = {"data_preparator": hostile_cubes / "accepts_anything", "model": hostile_cubes / "nondeterministic"}
    cubes = {role: load_cube(roles.get(role) or bench.cube(role)) for role in ROLES}
    demo = load_demo_data(bench.demo_data, bench.demo_sha256)
    reports = []
    for name, jobs in (("serial", 1), ("side", 3)):
        options = RunOptions(runner="docker", base_image=base_image, run_dir=tmp_path / name, jobs=jobs,
                             probes=ProbeOptions(strict_determinism=True))
        reports.append(run_chain(bench, cubes, demo, options))
    serial, side = reports
    assert what_it_says(side) == what_it_says(serial)
    probes = {p.name: p for p in side.probes}
    assert probes["faults"].runs == 4 and probes["rerun"].runs == 4 and probes["determinism"].findings
    for report in reports:
        left = docker_client.containers.list(all=True, filters={"label": f"org.medcube.run={report.run_dir.name}"})
        assert left == [] and not (report.run_dir / "probes").exists()


def test_a_model_that_keeps_the_files_it_finds_gets_a_run_of_its_own(tmp_path):
    """A nondeterministic model that writes its predictions only when they are not there yet: run again into the
    first run's files it writes nothing new, so those files cannot stand for a second run; determinism runs infer
    into an empty folder and sees the difference."""
    model = tmp_path / "keeps_files"
    shutil.copytree(HOSTILE / "good_model", model)
    py = model / "mlcube.py"
    text = py.read_text()
    write = 'with open(os.path.join(a.output_path, "predictions.json"), "w") as f:\n    json.dump(predictions(), f)\n'
    assert write in text
    py.write_text(text.replace(write, (
        "import random\n"
        "out = os.path.join(a.output_path, 'predictions.json')\n"
        "if not os.path.exists(out):\n"
        "    noisy = {k: [1 - q, q] for k, (_, p) in predictions().items() for q in [random.random()]}\n"
        "    with open(out, 'w') as f:\n"
        "        json.dump(noisy, f)\n")))
    report, _ = chain(tmp_path, "run", 2, model=model)
    probes = {p.name: p for p in report.probes}
    assert probes["rerun"].status == "passed"
    assert probes["determinism"].runs == 1 and probes["determinism"].findings[0].code == "MC806"
    assert (report.run_dir / "logs" / "probe-determinism-infer.log").is_file()


# -- the pool -------------------------------------------------------------------------------------------------------
def test_jobs_beside_the_chain_take_one_slot_fewer_until_it_ends():
    """--jobs 2: one probe run at a time while the chain runs, two once it has ended."""
    jobs = ProbeJobs(2)
    gate = threading.Event()
    started = []
    lock = threading.Lock()
    most = [0, 0]

    def job(k):
        with lock:
            started.append(k)
            most[0] += 1
            most[1] = max(most[1], most[0])
        gate.wait(5)
        with lock:
            most[0] -= 1
        return k * k

    for k in range(4):
        jobs.submit(("job", k), lambda k=k: job(k))
    jobs.submit(("job", 0), lambda: job(99))  # once per key
    while not started:
        threading.Event().wait(0.01)
    assert len(started) == 1  # the chain holds the other slot
    jobs.chain_ended()
    gate.set()
    out = jobs.outcomes()
    assert sorted(started) == [0, 1, 2, 3]
    assert {k: o.get() for k, o in out.items()} == {("job", k): k * k for k in range(4)}


def test_one_job_at_a_time_waits_for_the_chain_and_keeps_errors():
    ran = []
    jobs = ProbeJobs(1)
    jobs.submit("a", lambda: ran.append("a"))

    def broken():
        raise RuntimeError("disk full")

    jobs.submit("b", broken)
    assert ran == []  # nothing beside the chain
    out = jobs.outcomes()
    assert ran == ["a"] and isinstance(out["b"].error, RuntimeError)
    with pytest.raises(RuntimeError, match="disk full"):
        out["b"].get()


def test_closed_jobs_start_nothing():
    jobs = ProbeJobs(2)
    jobs.close()
    jobs.submit("a", lambda: 1)
    assert isinstance(jobs.outcomes()["a"].error, (Stopped, Exception))


# -- many submissions -----------------------------------------------------------------------------------------------
def test_many_submissions_each_get_the_model_probes_and_the_preparator_its_own_once(hostile_cubes, tmp_path):
    """Two model submissions, one of them nondeterministic, and a lax preparator under test: each model gets
    determinism and the per-task probes, the preparator's faults run once for all."""
    from validator.chain.submissions import Submission, run_submissions

    bench = load_benchmark(HOSTILE)
    cubes = {role: load_cube(bench.cube(role)) for role in ROLES}
    cubes["data_preparator"] = load_cube(hostile_cubes / "accepts_anything")
    subs = [Submission(str(HOSTILE / "good_model"), "model"), Submission(str(hostile_cubes / "nondeterministic"), "model")]
    runner = Counting()
    options = RunOptions(runner="local", run_dir=tmp_path / "run",
                         probes=ProbeOptions(roles=frozenset({"model", "metrics", "data_preparator"})))
    many = run_submissions(bench, cubes, load_demo_data(bench.demo_data, bench.demo_sha256), subs, options, jobs=2,
                           runner=runner)
    good, noisy = ({p.name: p for p in s.probes} for s in subs)
    assert set(good) == set(noisy) == {"inputs", "permissions", "network", "determinism"}
    assert good["determinism"].status == "passed" and good["determinism"].runs == 1 and subs[0].ok
    assert noisy["determinism"].status == "warning" and noisy["determinism"].findings[0].code == "MC806"
    assert good["inputs"].message == "inputs of 3 task runs unchanged"  # infer, evaluate, infer again
    prep = {p.name: p for p in many.preparation.probes}
    assert "determinism" not in prep and prep["faults"].runs == 4 and prep["faults"].findings[0].code == "MC808"
    # the chain's 3 preparation tasks, its 4 faults and 2 reruns (prepare, statistics); per model infer, evaluate
    # and determinism's infer
    assert runner.runs == 3 + 4 + 2 + 2 * 3
    for s in subs:
        assert not (s.folder / "probes").exists()
    assert not (tmp_path / "run" / "probes").exists()


def test_a_job_marked_first_takes_the_next_free_slot():
    """The second run of infer (the longest, the run's end waits on it) goes before probe runs handed in earlier."""
    jobs = ProbeJobs(2)
    gate = threading.Event()
    order = []
    jobs.submit("busy", gate.wait)  # holds the one slot beside the chain
    for key in ("a", "b"):
        jobs.submit(key, lambda key=key: order.append(key))
    jobs.submit("infer-again", lambda: order.append("infer-again"), first=True)
    gate.set()
    jobs.outcomes()
    assert order[0] == "infer-again" and sorted(order[1:]) == ["a", "b"]


# -- the chain's infer, started early ---------------------------------------------------------------------------------
class HoldsStatistics(Counting):
    """Counting, where statistics waits (at most 20 s) for infer to have started: it says whether infer ran beside
    sanity_check and statistics, without timing anything."""

    def __init__(self):
        super().__init__()
        self.infer_started = threading.Event()
        self.infer_began_before_statistics_ended = False

    def run(self, cube, plan, log_path):
        if plan.task == "infer":
            self.infer_started.set()
        elif plan.task == "statistics":
            self.infer_began_before_statistics_ended = self.infer_started.wait(20)
        return super().run(cube, plan, log_path)


def test_the_chains_infer_runs_beside_sanity_check_and_statistics_and_says_the_same(tmp_path):
    """With room for two tasks, infer starts once prepare has passed (it reads prepare's data only), beside
    sanity_check and statistics; the report is the one of the chain run one after another."""
    bench = load_benchmark(HOSTILE)
    cubes = {role: load_cube(bench.cube(role)) for role in ROLES}
    demo = load_demo_data(bench.demo_data, bench.demo_sha256)
    reports = []
    for name, jobs in (("serial", 1), ("side", 2)):
        runner = HoldsStatistics() if jobs > 1 else Counting()
        options = RunOptions(runner="local", run_dir=tmp_path / name, jobs=jobs, probes=ProbeOptions())
        reports.append(run_chain(bench, cubes, demo, options, runner))
        if jobs > 1:
            assert runner.infer_began_before_statistics_ended
    serial, side = reports
    assert what_it_says(side) == what_it_says(serial)
    assert [t.task for t in side.tasks if t.status == "passed"] == ["prepare", "sanity_check", "statistics", "infer",
                                                                     "evaluate"]


def test_an_early_infer_whose_turn_never_comes_is_skipped_and_leaves_nothing(hostile_cubes, tmp_path):
    """A preparator without sanity_check: the chain stops there, as MedPerf's does. The infer started beside it is
    reported as skipped, as one after another, and its log and predictions are gone from the run folder."""
    reports, runners = [], []
    for name, jobs in (("serial", 1), ("side", 2)):
        report, runner = chain(tmp_path, name, jobs, data_preparator=hostile_cubes / "no_sanity_check")
        reports.append(report)
        runners.append(runner)
    serial, side = reports
    assert what_it_says(side) == what_it_says(serial)
    assert {t.task: t.status for t in side.tasks}["infer"] == "skipped"
    assert runners[1].runs == runners[0].runs + 1  # it did run, beside the chain
    logs = sorted(p.name for p in (side.run_dir / "logs").iterdir())
    assert not any(name.endswith("-infer.log") for name in logs), logs
    assert not (side.run_dir / "predictions").exists()
