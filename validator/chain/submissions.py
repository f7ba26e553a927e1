"""Many submissions against one benchmark: the data preparation runs once, infer and evaluate per submission.

A benchmark owner checks every model (and metrics) submission against the benchmark's data preparator and demo
data. `run_submissions` runs prepare -> sanity_check -> statistics once into a shared run folder, then for each
submission, `jobs` at a time:

    a model submission     infer (its cube) -> evaluate (the benchmark's metrics cube)
    a metrics submission   evaluate (its cube) on the predictions of the benchmark's model (inferred once)

Each submission writes into its own folder `<run folder>/submissions/<n>-<name>/` (predictions/, results/, logs/);
the prepared data is shared and mounted read-only. One failing submission (a config that does not load, a failed
build, a failed task, an output contract broken) fails that submission only.

Boundary: this module runs tasks and collects results; the leaderboard table, JSON and JUnit are
validator.report.leaderboard's, argument parsing the CLI's. Its length (a little over 400 lines) is the run's four
steps in one function, which share the preparation's folder, runner and builds, and its end on a signal.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from validator import findings as F
from validator.cancel import Cancelled
from validator.chain.benchmark import Benchmark
from validator.chain.demo_data import DemoData
from validator.chain.options import RunOptions, default_jobs
from validator.chain.outputs import read_results
from validator.chain.result import RunReport
from validator.chain.run import cancelled, chain_tasks, in_order, run_task, start_run
from validator.chain.rundir import RunFolder
from validator.chain.say import say_build, say_task
from validator.chain.submission_probes import preparation_probes, submission_probes
from validator.codes import SUBMISSION_NOT_LOADED, SUBMISSION_RUN_FAILED, SUBMISSION_SAME_IMAGE
from validator.engine.result import BuildResult, TaskResult
from validator.engine.tasks.runner import stop_runs
from validator.engine.tasks.slots import Slots, using
from validator.errors import UserError
from validator.findings import Finding
from validator.manifest.model import Cube
from validator.textsafe import printable

if TYPE_CHECKING:
    from validator.chain.probes.result import ProbeResult

SUBMISSION_ROLES = ("model", "metrics")
LOAD_FAILED = SUBMISSION_NOT_LOADED  # MC901: a submission's cube could not be loaded
SAME_IMAGE = SUBMISSION_SAME_IMAGE  # MC902: two submissions name the same image
RUN_FAILED = SUBMISSION_RUN_FAILED  # MC903: a submission's run stopped on an unexpected error

_SHARED = ("data", "labels", "metadata")  # prepare's outputs, shared by every submission (mounted read-only)


@dataclass
class SubmissionFolder(RunFolder):
    """A submission's own run folder; prepare's outputs (and, for metrics submissions, the reference
    predictions) are read from the shared folder."""

    shared: Path = Path(".")
    shared_predictions: bool = False

    def path(self, *parts: str) -> Path:
        if parts and (parts[0] in _SHARED or (self.shared_predictions and parts[0] == "predictions")):
            return self.shared.joinpath(*parts)
        return self.root.joinpath(*parts)


@dataclass
class Submission:
    """One submitted cube and what its run gave."""

    path: str  # as given (the cube folder)
    role: str  # model | metrics
    cube: Cube | None = None
    folder: Path | None = None
    tasks: list[TaskResult] = field(default_factory=list)
    results: dict | None = None
    findings: list[Finding] = field(default_factory=list)  # not tied to one task (load, build, image clash)
    build: BuildResult | None = None
    probes: list[ProbeResult] = field(default_factory=list)  # the probes that judge its cube (submission_probes)

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def all_findings(self) -> list[Finding]:
        out = list(self.findings)
        for t in self.tasks:
            out += t.findings
        for p in self.probes:
            out += p.findings
        return out

    @property
    def ok(self) -> bool:
        if self.cube is None or (self.build is not None and not self.build.ok):
            return False
        if any(f.is_error for f in self.all_findings):
            return False
        return bool(self.tasks) and all(t.status == "passed" for t in self.tasks)

    @property
    def status(self) -> str:
        if self.ok:
            return "passed"
        if self.tasks and all(t.status == "skipped" for t in self.tasks):
            return "skipped"
        for t in self.tasks:
            if t.status not in ("passed", "skipped"):
                return t.status
        return "error"

    @property
    def seconds(self) -> float:
        return sum(t.seconds or 0.0 for t in self.tasks)

    @property
    def peak_memory_bytes(self) -> int | None:
        peaks = [t.peak_memory_bytes for t in self.tasks if t.peak_memory_bytes]
        return max(peaks) if peaks else None

    def to_dict(self) -> dict:
        """The shape the JSON report and its readers (the HTML leaderboard) rely on: keep these six keys; "probes"
        is added when the submission's probes ran."""
        out = {
            "path": self.path,
            "role": self.role,
            "ok": self.ok,
            "results": self.results,
            "tasks": [t.to_dict() for t in self.tasks],
            "findings": [f.to_dict() for f in self.findings + (self.build.findings if self.build else [])],
        }
        if self.probes:
            out["probes"] = [p.to_dict() for p in self.probes]
        return out


@dataclass
class ManyReport:
    """The shared preparation (builds of the benchmark's cubes and the data preparation tasks) and the submissions."""

    preparation: RunReport
    submissions: list[Submission]
    primary_metric: str | None = None
    higher_is_better: bool = True
    jobs: int = 1
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.preparation.ok and all(s.ok for s in self.submissions)

    @property
    def cancelled(self) -> str | None:
        """The signal that cancelled the run (the leaderboard has what ran before it), else None."""
        return self.preparation.cancelled


def expand_cubes(paths: list[Path | str], role: str) -> list[Path]:
    """Each path as given; a folder that is not a cube itself but holds cube folders stands for those (sorted)."""
    from validator.manifest.load import is_cube_folder, locate

    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise UserError(f"{p}: no such file or directory", hint=f"--{role} takes a cube folder, its config file, "
                            "or a folder holding cube folders")
        if p.is_dir() and not is_cube_folder(p):
            inner = sorted(c for c in p.iterdir() if c.is_dir() and not c.is_symlink() and is_cube_folder(c))
            if not inner:
                raise UserError(f"{p}: neither a cube nor a folder holding cubes",
                                hint="a cube folder holds container_config.yaml or mlcube/mlcube.yaml")
            out += inner
        else:
            locate(p)  # a file that is not a cube config is a usage error, said now
            out.append(p)
    return out


def parse_shard(text: str) -> tuple[int, int]:
    """`i/n` (1 <= i <= n) -> (i, n); a UserError naming --shard otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise UserError(f"--shard {text!r}: expected i/n with 1 <= i <= n, e.g. --shard 2/8",
                        hint="shard i of n runs every n-th submission starting with the i-th (in the order given)")
    return int(m.group(1)), int(m.group(2))


def shard(submissions: list, i: int, n: int) -> list:
    """Shard i of n (1-based): every n-th submission starting with the i-th, in the order given. The n shards
    cover every submission exactly once, whatever the machine that runs each."""
    if not 1 <= i <= n:
        raise ValueError(f"shard {i}/{n}")
    return submissions[i - 1::n]


def _load(sub: Submission) -> None:
    from validator.checks import checked_cube

    try:
        cube = checked_cube(sub.path)  # read and checked once: the gate below reuses its report
    except UserError as e:
        sub.findings.append(F.error(LOAD_FAILED, sub.path, f"the {sub.role} cube cannot be loaded: {e.message}",
                                    hint=e.hint))
        return
    if cube.role and cube.role != sub.role:
        sub.findings.append(F.error(LOAD_FAILED, cube.rel(cube.config_file),
                                    f"a {cube.role} cube (it declares {', '.join(cube.tasks)}), submitted as a {sub.role}",
                                    hint=f"pass it as --{cube.role.replace('_', '-')}"))
        return
    from validator.checks import gate

    refused = gate.refused([cube])
    if refused:  # host safety and the contract before anything of this submission is built or run
        sub.findings += gate.blocking(refused[0])
        return
    sub.cube = cube


def run_submissions(
    benchmark: Benchmark,
    cubes: dict[str, Cube],
    demo: DemoData,
    submissions: list[Submission],
    options: RunOptions | None = None,
    jobs: int | None = None,
    runner=None,
) -> ManyReport:
    """Prepare the demo data once with cubes["data_preparator"], then run every submission, `jobs` at a time.
    cubes["model"] and cubes["metrics"] are the benchmark's own (the other half of each submission's chain)."""
    options = options or RunOptions()
    console = options.console
    started = time.monotonic()
    jobs = jobs or options.jobs or default_jobs(options.limits.memory)
    gate = Slots(jobs)  # runs at once, of every submission and of the preparation's probes
    folder, runner, prep = start_run(benchmark, cubes, options, runner)
    many = ManyReport(prep, submissions, getattr(benchmark, "primary_metric", None),
                      getattr(benchmark, "higher_is_better", True), jobs)
    say = threading.Lock()
    quiet = dataclasses.replace(options, console=None)  # no spinner from parallel threads

    def build(cube: Cube, side_by_side: bool = False) -> BuildResult:
        """One image; side by side with others: no spinner nor streamed log, one line when done."""
        b = runner.build(cube, base_image=options.base_image, rebuild=options.rebuild, log_dir=folder.logs,
                         console=None if side_by_side else console, pull=options.pull,
                         verbose=options.verbose and not side_by_side)
        with say:
            say_build(console, b)
        return b

    def build_all(todo: list[Cube]) -> list[BuildResult]:
        """The images side by side, `jobs` at a time (the engine builds each context on its own)."""
        if len(todo) < 2 or jobs < 2:
            return [build(c) for c in todo]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="medcube-build") as pool:
            return list(pool.map(lambda c: build(c, True), todo))

    prep_probes = None
    try:
        # 1. the benchmark's cubes a submission needs: the preparator always, the model for metrics submissions,
        #    the metrics cube for model submissions
        roles = ["data_preparator"]
        roles += ["metrics"] if any(s.role == "model" for s in submissions) else []
        roles += ["model"] if any(s.role == "metrics" for s in submissions) else []
        built = dict(zip(roles, build_all([cubes[role] for role in roles]), strict=True))
        prep.builds += list(built.values())
        prep_probes = preparation_probes(options.probes, runner, cubes, folder, demo, benchmark.contracts,
                                         options.limits, console, jobs, gate)
        if prep_probes is not None:
            prep_probes.before_chain({str(cubes[r].path): b for r, b in built.items()})

        # 2. the data preparation, once (and the benchmark's model once, for metrics submissions)
        shared = [(r, t) for r, t in chain_tasks() if r == "data_preparator"]
        if any(s.role == "metrics" for s in submissions):
            shared.append(("model", "infer"))
        def prepare(n: int, role: str, task: str, cube: Cube) -> TaskResult:
            with using(gate):  # before the probes' runs
                r = run_task(runner, cube, role, task, folder, demo, benchmark.contracts, built.get(role), options, n,
                             prep_probes)
            say_task(console, r)
            if prep_probes is not None:
                prep_probes.task_done(r)  # the preparator's probes run once, beside the submissions
            return r

        in_order([(n, role, task, cubes[role]) for n, (role, task) in enumerate(shared, 1)], prep.tasks,
                 runner.name, prepare, stopped=lambda: not prep.ok)  # a failed build stops it too

        # 3. the submissions' cubes: load, refuse image clashes, build (not when the data preparation failed)
        images: dict[str, tuple[Path, str, BuildResult | None]] = {}
        for own in roles:
            if cubes[own].image:
                images[str(cubes[own].image)] = (cubes[own].path, f"the benchmark's {own} cube", built[own])
        builders: dict[str, Submission] = {}  # image -> the submission that builds it
        twins: list[tuple[Submission, Submission]] = []  # (a submission, the one whose build it shares)
        for sub in submissions:
            _load(sub)
            if sub.cube is None:
                continue
            seen = images.get(sub.cube.image) if sub.cube.image else None
            if seen is not None and seen[0] == sub.cube.path:
                if seen[2] is not None:
                    sub.build = seen[2]  # the benchmark's own cube: built already
                elif sub.cube.image in builders:
                    twins.append((sub, builders[sub.cube.image]))  # the same cube twice: built once
                continue
            if seen is not None:
                sub.findings.append(F.error(SAME_IMAGE, sub.cube.rel(sub.cube.config_file),
                                            f"the image {sub.cube.image} is also that of {seen[1]}: building one "
                                            "replaces the other", hint="give every submission its own image name (or tag)"))
                continue
            if not prep.ok:
                continue
            if sub.cube.image:
                images[sub.cube.image] = (sub.cube.path, sub.path, None)
                builders[sub.cube.image] = sub
            else:
                builders[f"#{id(sub)}"] = sub
        for sub, b in zip(builders.values(), build_all([s.cube for s in builders.values() if s.cube is not None]),
                          strict=True):
            sub.build = b
        for sub, first in twins:
            sub.build = first.build
        if options.entrypoint_help and prep.ok:  # each submission's entrypoints asked for --help (MC811)
            from validator.chain.probes import entrypoint_help

            asked = {str(s.cube.path): (f"{s.role}-{k:03d}", s) for k, s in enumerate(submissions, 1)
                     if s.cube is not None and s.build is not None and s.build.ok and s.cube.path != cubes[s.role].path}
            crashes = entrypoint_help.check(runner, [(name, s.cube) for name, s in asked.values() if s.cube],
                                            {path: s.build for path, (_, s) in asked.items() if s.build}, folder.logs)
            for s in submissions:
                if s.cube is not None:
                    s.findings += crashes.get(str(s.cube.path), [])

        # 4. the submissions, `jobs` at a time
        def one(k: int, sub: Submission) -> None:
            try:
                with using(gate, priority=k):  # their runs take the slots in the order the submissions were given
                    run_one(k, sub)
            except Exception as e:  # a bug or an engine failure: this submission's result, not the whole run's
                sub.findings.append(F.error(RUN_FAILED, sub.path, f"the run stopped: {type(e).__name__}: {e}",
                                            hint="see the run folder's logs; run this submission alone to reproduce"))

        def run_one(k: int, sub: Submission) -> None:
            sub.folder = folder.root / "submissions" / f"{k:03d}-{sub.name}"
            sf = SubmissionFolder(sub.folder, shared=folder.root, shared_predictions=sub.role == "metrics")
            sf.root.mkdir(parents=True, exist_ok=True)
            sf.logs.mkdir(exist_ok=True)
            steps = [("model", "infer"), ("metrics", "evaluate")] if sub.role == "model" else [("metrics", "evaluate")]
            assert sub.cube is not None  # only loaded submissions run
            probes = submission_probes(options.probes, runner, cubes, sub.role, sub.cube, sf, demo,
                                       benchmark.contracts, options.limits)

            def step(n: int, role: str, task: str, cube: Cube) -> TaskResult:
                b = sub.build if role == sub.role else built.get(role)
                r = run_task(runner, cube, role, task, sf, demo, benchmark.contracts, b, quiet, n, probes)
                if task == "evaluate" and r.status == "passed":
                    sub.results = read_results(sf.path("results", "results.yaml"))
                if probes is not None:
                    probes.task_done(r)
                if console is not None:
                    with say:
                        style = "green" if r.status == "passed" else "red"
                        console.print(Text.assemble((f"{r.status:>7}", style),
                                                    printable(f" {task} ({Path(r.cube).name}) for "),
                                                    (printable(sub.name), "bold"), f" {r.seconds or 0:.1f}s"))
                return r

            in_order([(n, role, task, sub.cube if role == sub.role else cubes[role])
                      for n, (role, task) in enumerate(steps, len(shared) + 1)], sub.tasks, runner.name, step)
            if probes is not None:
                sub.probes = probes.after_chain(sub.tasks)

        runnable = [(k, s) for k, s in enumerate(submissions, 1)
                    if s.cube is not None and not s.findings and (s.build is None or s.build.ok)]
        if not prep.ok:  # nothing built or run for the submissions
            for _, sub in runnable:
                sub.tasks.append(TaskResult("infer" if sub.role == "model" else "evaluate", sub.role, sub.path, "skipped",
                                            runner=runner.name, message="not run: the data preparation failed"))
        elif runnable:
            from concurrent.futures import ThreadPoolExecutor  # only here: a plain run does not import it

            pool = ThreadPoolExecutor(max_workers=jobs + 1)  # one more: its next run is ready when a slot frees
            try:
                for f in [pool.submit(one, k, s) for k, s in runnable]:
                    f.result()
            except Cancelled:
                # no submission starts any more, and the runs of those running are stopped before the pool is
                # waited for: each of them ends at once, its task recorded as cancelled
                gate.close()
                stop_runs(runner)
                pool.shutdown(wait=True, cancel_futures=True)
                for _, sub in runnable:
                    if not sub.tasks:  # never started
                        sub.tasks.append(TaskResult("infer" if sub.role == "model" else "evaluate", sub.role,
                                                    sub.path, "cancelled", runner=runner.name,
                                                    message="not run: the run was cancelled"))
                raise
            pool.shutdown(wait=True)
        if prep_probes is not None:
            prep.probes = prep_probes.after_chain(prep.tasks)
            prep_probes = None
    except Cancelled as e:  # the leaderboard so far is the report, marked cancelled
        if prep_probes is not None:
            prep.probes = prep_probes.cancelled()
        cancelled(e, runner, prep, started)
        many.seconds = prep.seconds
        e.partial = many
        raise
    finally:
        if prep_probes is not None:
            prep_probes.jobs.close()  # an early end: no more probe runs; cleanup() removes theirs
        if hasattr(runner, "cleanup"):
            runner.cleanup()  # nothing may outlive the run, whatever happened
    many.seconds = prep.seconds = time.monotonic() - started
    return many
