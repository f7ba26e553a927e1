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
import time
from pathlib import Path

import pytest

from validator.chain.benchmark import load_benchmark
from validator.chain.demo_data import load_demo_data
from validator.chain.options import RunOptions
from validator.chain.probes import ProbeOptions
from validator.chain.probes.jobs import ProbeJobs, Stopped
from validator.chain.run import run_chain
from validator.engine.tasks import slots
from validator.engine.tasks.local import LocalRunner
from validator.engine.tasks.slots import Slots
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


class SeesScratch(Counting):
    """Counting, noting which probe scratch copies exist whenever a task starts."""

    def __init__(self, scratch: Path):
        super().__init__()
        self.scratch = scratch
        self.seen: list[list[str]] = []

    def run(self, cube, plan, log_path):
        found = sorted(str(p.relative_to(self.scratch)) for p in self.scratch.glob("*/*")) if self.scratch.is_dir() else []
        self.seen.append(found)
        return super().run(cube, plan, log_path)


def test_each_probe_run_removes_its_copies_once_judged(tmp_path):
    """The probes' runs one after another (--jobs 1): when each starts, the only scratch copies there are its own
    (those of the runs before it were removed in their jobs), and none is left for the run's end."""
    bench = load_benchmark(HOSTILE)
    cubes = {role: load_cube(bench.cube(role)) for role in ROLES}
    runner = SeesScratch(tmp_path / "run" / "probes")
    options = RunOptions(runner="local", run_dir=tmp_path / "run", jobs=1, probes=ProbeOptions())
    report = run_chain(bench, cubes, load_demo_data(bench.demo_data, bench.demo_sha256), options, runner)
    probe_runs = runner.seen[5:]  # after the chain's five tasks
    assert len(probe_runs) == {p.name: p for p in report.probes}["faults"].runs + 4  # faults, 4 reruns
    assert all(len(seen) == 1 for seen in probe_runs), probe_runs
    assert len({seen[0] for seen in probe_runs}) == len(probe_runs)  # each its own
    assert not (tmp_path / "run" / "probes").exists()


# -- the pool and the slots ------------------------------------------------------------------------------------------
class Running:
    """A job's run as the runners take it: its work before the run (copies, the container made ready), then a slot,
    then the run itself (held until `go` is set)."""

    def __init__(self):
        self.go = threading.Event()
        self.lock = threading.Lock()
        self.ready: list = []
        self.ran: list = []
        self.now = self.most = 0

    def __call__(self, key):
        with self.lock:
            self.ready.append(key)
        held = slots.take()
        assert held.granted
        try:
            with self.lock:
                self.ran.append(key)
                self.now += 1
                self.most = max(self.most, self.now)
            self.go.wait(5)
            with self.lock:
                self.now -= 1
        finally:
            held.give()
        return key


def until(condition, seconds: float = 5.0) -> None:
    """Wait (polling) for a condition on other threads; fails the test when it does not come."""
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.005)


def test_jobs_beside_the_chain_make_their_runs_ready_and_share_the_slots_with_it():
    """--jobs 2: while the chain's task holds a slot, one probe run goes on and one more job gets its run ready
    (a thread more than slots); when the chain's task ends, two probe runs go on; never more than the slots."""
    gate = Slots(2)
    jobs = ProbeJobs(2, slots=gate)
    run = Running()
    with slots.using(gate):
        chain_task = slots.take()  # the chain's task, running
        for k in range(4):
            jobs.submit(("job", k), lambda k=k: run(k))
        jobs.submit(("job", 0), lambda: run(99))  # once per key
        until(lambda: len(run.ready) == 3)
        time.sleep(0.05)
        assert len(run.ran) == 1 and run.now == 1  # one slot is the chain's; the third job waits, ready
        chain_task.give()
        until(lambda: run.now == 2)
        run.go.set()
        out = jobs.outcomes()
    assert run.most == 2 and sorted(run.ran) == [0, 1, 2, 3]
    assert {k: o.get() for k, o in out.items()} == {("job", k): k for k in range(4)}


def test_the_chain_holds_its_slot_between_its_tasks_and_lends_it_while_it_waits():
    """The chain's tasks one after another keep one slot (a probe's run never takes it in the moment between two);
    while the chain waits for its infer run elsewhere, that slot is the probes', and it is taken back afterwards."""
    gate = Slots(2)
    jobs = ProbeJobs(2, slots=gate)
    run = Running()
    with slots.holding(gate):
        assert slots.take().granted  # a chain task's run: on the chain's slot, at once
        for k in range(3):
            jobs.submit(k, lambda k=k: run(k))
        until(lambda: len(run.ready) == 3)
        time.sleep(0.05)
        assert run.now == 1  # the one slot that is not the chain's
        with slots.lent():
            until(lambda: run.now == 2)
            run.go.set()
        out = jobs.outcomes()
    assert run.most == 2 and sorted(o.get() for o in out.values()) == [0, 1, 2]
    assert gate._free == 2


def test_the_infer_started_early_hands_its_slot_to_the_chain_when_it_ends():
    """The chain waits for its infer (run on a slot of its own): the chain's slot is a probe run's meanwhile, and
    when infer ends the chain goes on with infer's slot at once; a probe run waiting then gets none of the two."""
    gate = Slots(2)
    run = Running()
    ended = threading.Event()

    def probe_run(key):
        with slots.using(gate, priority=2):
            run(key)

    def early_infer():
        with slots.holding(gate, keep=True):
            ended.wait(5)

    with slots.holding(gate):
        infer = threading.Thread(target=early_infer)
        infer.start()
        until(lambda: gate._free == 0)
        first = threading.Thread(target=probe_run, args=("first",))
        first.start()
        with slots.lent() as back:
            until(lambda: run.now == 1)  # the chain's slot, lent
            ended.set()
            infer.join(5)
            back.adopt = True
        second = threading.Thread(target=probe_run, args=("second",))
        second.start()
        until(lambda: len(run.ready) == 2)
        time.sleep(0.1)
        assert run.ran == ["first"] and gate._free == 0  # the chain holds infer's slot; "second" waits for one
        run.go.set()
        first.join(5)
        second.join(5)
    assert run.ran == ["first", "second"] and gate._free == 2


def test_a_free_slot_goes_to_the_lowest_priority_number_then_to_the_first_come():
    gate = Slots(1)
    order: list[str] = []
    assert gate.take()

    def wait_for_slot(name: str, priority: int) -> None:
        assert gate.take(priority)
        order.append(name)
        gate.give()

    threads = []
    for name, priority in (("probe-a", 2), ("probe-b", 2), ("chain", 0)):
        threads.append(threading.Thread(target=wait_for_slot, args=(name, priority)))
        threads[-1].start()
        until(lambda n=len(threads): len(gate._waiting) == n)
    gate.give()
    for t in threads:
        t.join(5)
    assert order == ["chain", "probe-a", "probe-b"]


def test_an_urgent_run_takes_a_slot_at_once_and_the_others_wait_for_it_to_end():
    """The second run of infer (the run's end waits on it) starts while every slot is held; the slot it took is
    owed: the next run starts only when two have ended."""
    gate = Slots(1)
    assert gate.take()
    assert gate.take(urgent=True)  # at once
    got = threading.Event()
    waiter = threading.Thread(target=lambda: gate.take(1) and got.set())
    waiter.start()
    gate.give()  # the first run ended: the urgent one still holds the only slot
    assert not got.wait(0.1)
    gate.give()  # the urgent one ended
    assert got.wait(5)
    waiter.join(5)
    held = slots.Held(gate, True)
    held.give()  # a Held gives once, however often
    held.give()
    assert gate._free == 1


def test_closed_slots_wake_the_runs_waiting_and_start_none():
    gate = Slots(1)
    gate.take()
    answers: list[bool] = []
    waiter = threading.Thread(target=lambda: answers.append(gate.take()))
    waiter.start()
    until(lambda: len(gate._waiting) == 1)
    gate.close()
    waiter.join(5)
    assert answers == [False] and gate.take(urgent=True) is False
    with slots.using(gate):
        assert slots.take().granted is False
    assert slots.take().granted  # a thread without slots runs ungated


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


def test_a_job_marked_first_is_taken_before_those_handed_in_earlier_and_an_urgent_one_at_once():
    """The chain's infer started early (first) goes before probe runs handed in earlier; the second run of infer
    (urgent) runs while every thread and slot is busy."""
    gate = Slots(2)
    jobs = ProbeJobs(2, slots=gate)
    run = Running()
    order: list[str] = []
    with slots.using(gate):
        chain_task = slots.take()
        for key in ("busy-1", "busy-2", "busy-3"):  # every thread: one run on the free slot, two ready and waiting
            jobs.submit(key, lambda key=key: run(key))
        until(lambda: len(run.ready) == 3)
        for key in ("a", "b"):
            jobs.submit(key, lambda key=key: order.append(key))
        jobs.submit("early-infer", lambda: order.append("early-infer"), first=True)
        urgent = jobs.submit("infer-again", lambda: run("infer-again"), urgent=True)
        until(lambda: "infer-again" in run.ran)
        assert urgent is not None and not urgent.done() and run.now == 2  # beside the busy one, on a slot owed
        chain_task.give()
        run.go.set()
        jobs.outcomes()
    assert order == ["early-infer", "a", "b"]


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
