"""The benchmark chain, as `medperf test run` runs it: prepare -> sanity_check -> statistics -> infer -> evaluate.

Outputs are chained through a run folder; each task's outputs are checked against the benchmark's contracts as
soon as it ends, and the chain stops at the first failure (later tasks are reported as skipped).

With the probes on and room for tasks side by side, infer starts as soon as prepare has passed, beside
sanity_check and statistics (it reads only prepare's data), as a job on the probes' slots: the probes' second run
of infer, the longest of their runs, no longer waits behind them. The chain still reads each task in MedPerf's order
and judges infer only once statistics has passed; an infer started early whose chain then stopped is discarded
(its log and outputs removed) and reported as skipped, as one after another.

The run folder is validator.chain.rundir's; the output contracts validator.chain.outputs'.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from validator import findings as F
from validator.cancel import Cancelled
from validator.chain.benchmark import Benchmark, Contracts
from validator.chain.demo_data import DemoData
from validator.chain.options import RunOptions, default_jobs
from validator.chain.outputs import check_outputs, read_results
from validator.chain.result import RunReport
from validator.chain.rundir import RunFolder
from validator.chain.say import say_build, say_start, say_task, shown
from validator.codes import IMPORT_CRASH, MISSING_TASK, PLAN_FAILED
from validator.engine.result import BuildResult, TaskResult
from validator.engine.tasks.plan import PlanError, RunPlan, plan_task
from validator.engine.tasks.runner import Runner, stop_runs
from validator.engine.tasks.scratch import remove_tree
from validator.engine.tasks.select import select_runner
from validator.engine.tasks.slots import Slots, holding, lent
from validator.errors import UserError
from validator.manifest.model import Cube
from validator.manifest.roles import CHAIN, ROLES
from validator.textsafe import printable

if TYPE_CHECKING:
    from rich.console import Console

    from validator.chain.probes.jobs import Outcome
    from validator.chain.probes.session import ProbeSession

ROLE_TITLES = {"data_preparator": "data preparator", "model": "model", "metrics": "metrics"}


# -- the chain -------------------------------------------------------------------------------------------------------
def chain_tasks() -> list[tuple[str, str]]:
    """(role, task) in chain order. Every task, as MedPerf runs them: a data preparator without sanity_check fails
    there ("Task sanity_check is not found in container config.")."""
    return list(CHAIN)


def check_roles(cubes: dict[str, Cube]) -> None:
    for role, cube in cubes.items():
        if cube.role and cube.role != role:
            raise UserError(
                f"{cube.rel(cube.config_file)} is a {ROLE_TITLES.get(cube.role, cube.role)} cube "
                f"(it declares {', '.join(cube.tasks)}), given as the {ROLE_TITLES[role]}",
                hint=f"pass it as --{cube.role.replace('_', '-')}",
            )


def start_run(benchmark: Benchmark, cubes: dict[str, Cube], options: RunOptions,
              runner: Runner | None) -> tuple[RunFolder, Runner, RunReport]:
    """What every run begins with: the roles checked, a run folder, a runner (said in a note when it is not
    Docker's), and an empty report."""
    check_roles(cubes)
    folder = RunFolder.create(options.run_dir)
    note = None
    if runner is None:
        runner, note = select_runner(options.runner, options.limits, run_id=folder.root.name)
    facts = getattr(runner, "facts", None)
    report = RunReport(benchmark=benchmark.name, runner=runner.name, run_dir=folder.root,
                       engine=facts().describe() if callable(facts) else None)
    if note:
        report.notes.append(note)
        if options.console is not None:
            options.console.print(Text(printable(note), style="yellow"))
    return folder, runner, report


def run_chain(
    benchmark: Benchmark,
    cubes: dict[str, Cube],
    demo: DemoData,
    options: RunOptions | None = None,
    runner: Runner | None = None,
    build_roles: tuple[str, ...] = ROLES,
    chain: bool = True,
) -> RunReport:
    """Build the cubes' images (with a Docker runner) and run the chain on the demo data. ``chain`` False: only
    the images of ``build_roles`` built and their entrypoints probed (a cube no benchmark here fits). A signal
    (validator.cancel) on the way: the report so far goes out with it, marked cancelled."""
    options = options or RunOptions()
    started = time.monotonic()
    folder, runner, report = start_run(benchmark, cubes, options, runner)
    try:
        return _chain(benchmark, cubes, demo, options, runner, build_roles, chain, folder, report, started)
    except Cancelled as e:  # what ran before the signal is the report, marked cancelled
        cancelled(e, runner, report, started)
        raise


def cancelled(e: Cancelled, runner: Runner, report: RunReport, started: float) -> None:
    """A run cancelled by a signal: its runs stopped, and the report so far rides on the signal's way out
    (``e.partial``), marked cancelled."""
    stop_runs(runner)
    report.cancelled = e.signal_name
    report.seconds = time.monotonic() - started
    if e.partial is None:
        e.partial = report


def _chain(benchmark: Benchmark, cubes: dict[str, Cube], demo: DemoData, options: RunOptions, runner: Runner,
           build_roles: tuple[str, ...], chain: bool, folder: RunFolder, report: RunReport,
           started: float) -> RunReport:
    console = options.console
    built: dict[str, BuildResult] = {}
    for role in ROLES:
        if role not in build_roles and (options.no_run or not chain):
            continue
        cube = cubes[role]
        key = str(cube.path)
        if key not in built:
            built[key] = runner.build(
                cube, base_image=options.base_image, rebuild=options.rebuild, log_dir=folder.logs, console=console,
                pull=options.pull, verbose=options.verbose,
            )
            report.builds.append(built[key])
            say_build(console, built[key])
    if options.no_run:
        report.seconds = time.monotonic() - started
        return report
    if not chain:
        if options.entrypoint_help:
            entrypoint_crashes(runner, cubes, build_roles, built, folder, report)
        runner.cleanup()
        report.seconds = time.monotonic() - started
        return report
    if options.entrypoint_help and entrypoint_crashes(runner, cubes, build_roles, built, folder, report):
        steps = chain_tasks()
        report.tasks = [TaskResult(task, role, str(cubes[role].path), "skipped", runner=runner.name,
                                   message=f"not run: an entrypoint crashes at import ({IMPORT_CRASH})")
                        for role, task in steps]
        runner.cleanup()
        report.seconds = time.monotonic() - started
        return report

    probes = None
    jobs = options.jobs or default_jobs(options.limits.memory)
    gate = Slots(jobs)  # runs at once: the chain's tasks and the probes' runs beside it
    if options.probes is not None:
        from validator.chain.probes.session import ProbeSession  # only when probing: its imports cost a plain run

        probes = ProbeSession(options.probes, runner, cubes, folder, demo, benchmark.contracts, options.limits, console,
                              jobs=jobs, slots=gate)
    steps = chain_tasks()
    early: dict[int, Future] = {}  # step number -> a task started before its turn (infer, beside the preparator's)

    def step(n: int, role: str, task: str, cube: Cube) -> TaskResult:
        if n in early:
            assert probes is not None
            say_start(console, task, cube)
            with lent() as back:  # the chain's slot is the others' while its infer runs on one of its own
                outcome = early.pop(n).result()
                back.adopt = outcome.error is None  # the infer's slot, kept for the chain (start_early)
            ran = outcome.get()
            result = judge_task(ran, cube, task, folder, benchmark.contracts, probes)
        else:
            if n < len(steps) and n + 1 not in early:
                say_next(runner, cubes, steps[n], n + 1, folder, demo, built, options)
            result = run_task(runner, cube, role, task, folder, demo, benchmark.contracts,
                              built.get(str(cube.path)), options, n, probes)
        if task == "evaluate" and result.status == "passed":
            report.results = read_results(folder.path("results", "results.yaml"))
        say_task(console, result)
        if probes is not None:
            if task == "prepare" and result.status == "passed" and probes.jobs.side_by_side:
                early.update(start_early(probes, cubes, steps, folder, demo, built, options))
            probes.task_done(result)  # the probe runs that read its outputs start beside the chain
        return result

    try:
        with holding(gate):  # the chain's tasks, one after another, on a slot of their own
            if probes is not None:
                probes.before_chain(built)
            in_order([(n, role, task, cubes[role]) for n, (role, task) in enumerate(steps, 1)], report.tasks,
                     runner.name, step)
        if probes is not None:  # the chain has ended: its slot is the probes'
            for future in early.values():  # started early, its turn never came: an earlier task failed
                discard(future.result(), gate)
            report.probes = probes.after_chain(report.tasks)
    except Cancelled:
        gate.close()  # a run waiting for its turn never starts
        stop_runs(runner)  # before the probes' jobs are closed: none of them starts another run
        if probes is not None:
            report.probes = probes.cancelled()
        raise
    finally:
        if probes is not None:
            probes.jobs.close()  # an early end (an error, Ctrl-C): no more probe runs; cleanup() removes theirs
        runner.cleanup()  # nothing may outlive the chain, whatever happened
    report.seconds = time.monotonic() - started
    return report


def entrypoint_crashes(runner: Runner, cubes: dict[str, Cube], roles: Sequence[str], built: dict[str, BuildResult],
                       folder: RunFolder, report: RunReport) -> bool:
    """The entrypoint --help probe (validator.chain.probes.entrypoint_help) on the built cubes of ``roles``, its
    findings into the report; True when an entrypoint crashes at import (the chain then does not run)."""
    from validator.chain.probes import entrypoint_help

    chosen: dict[str, tuple[str, Cube]] = {}
    for role in roles:
        chosen.setdefault(str(cubes[role].path), (role, cubes[role]))
    found = [f for fs in entrypoint_help.check(runner, chosen.values(), built, folder.logs).values() for f in fs]
    report.findings += found
    return any(f.is_error for f in found)


def in_order(steps: Sequence[tuple[int, str, str, Cube]], tasks: list[TaskResult], runner_name: str,
             run: Callable[[int, str, str, Cube], TaskResult], stopped: Callable[[], bool] | None = None) -> None:
    """The chain's order, written once (the chain, the shared preparation and each submission of many): each step
    (n, role, task, cube) is ``run`` while the task before it passed and ``stopped`` (an earlier failure of the
    caller's, e.g. a build) says no; after that the rest are recorded as skipped, as MedPerf stops a chain. Each
    result is appended to ``tasks``. A signal (validator.cancel) while a step runs: that task is recorded as
    cancelled, the rest as not run, and the signal goes on."""
    for i, (n, role, task, cube) in enumerate(steps):
        if any(t.status == "cancelled" for t in tasks):
            tasks.append(TaskResult(task, role, str(cube.path), "skipped", runner=runner_name,
                                    message="not run: the run was cancelled"))
            continue
        if (tasks and tasks[-1].status != "passed") or (stopped is not None and stopped()):
            tasks.append(TaskResult(task, role, str(cube.path), "skipped", runner=runner_name,
                                    message="not run: an earlier task failed"))
            continue
        try:
            tasks.append(run(n, role, task, cube))
        except Cancelled as e:  # the task that ran is recorded as cancelled, the rest as not run; the signal goes on
            tasks.append(TaskResult(task, role, str(cube.path), "cancelled", runner=runner_name,
                                    message=f"cancelled by {e.signal_name} while it ran"))
            in_order(steps[i + 1:], tasks, runner_name, run, stopped)  # each later one: not run (cancelled)
            raise


def plan_for(cube: Cube, task: str, folder: RunFolder, demo: DemoData, options: RunOptions) -> RunPlan:
    """The task's run plan on the run folder's paths (PlanError when the cube's config cannot give one)."""
    bindings = folder.bindings(task, demo)
    prepare = cube.task("prepare")
    if task in ("sanity_check", "statistics") and prepare is not None and "metadata_path" not in prepare.outputs:
        bindings.pop("metadata_path", None)  # MedPerf supplies it only when prepare outputs it
    return plan_task(cube, task, bindings, gpus=options.limits.gpus)


def log_path_for(folder: RunFolder, n: int, task: str) -> Path:
    return folder.logs / f"{n}-{task}.log"


def say_next(runner: Runner, cubes: dict[str, Cube], step: tuple[str, str], n: int, folder: RunFolder,
             demo: DemoData, built: dict[str, BuildResult], options: RunOptions) -> None:
    """Tell the runner which task runs after the next one, so that it can get that one ready meanwhile."""
    role, task = step
    cube = cubes[role]
    build = built.get(str(cube.path))
    if cube.task(task) is None or (build is not None and not build.ok):
        return
    # The plan is made when the runner gets that task ready, once the next task has started: its inputs may be the
    # next task's outputs (sanity_check reads what prepare writes). A PlanError there leaves it to run_task to report.
    runner.ahead(cube, lambda: plan_for(cube, task, folder, demo, options), log_path_for(folder, n, task))


@dataclass
class Ran:
    """A task's run before it is judged (the per-task probes, the output contract): plan None when it could not
    start (its result says why)."""

    plan: RunPlan | None
    result: TaskResult
    log_path: Path | None = None
    token: object = None  # the inputs probe's snapshot, taken before the run


def run_task(runner: Runner, cube: Cube, role: str, task: str, folder: RunFolder, demo: DemoData, contracts: Contracts,
             build: BuildResult | None, options: RunOptions, n: int, probes: ProbeSession | None = None) -> TaskResult:
    ran = launch_task(runner, cube, role, task, folder, demo, build, options, n, probes, options.console)
    return judge_task(ran, cube, task, folder, contracts, probes)


def launch_task(runner: Runner, cube: Cube, role: str, task: str, folder: RunFolder, demo: DemoData,
                build: BuildResult | None, options: RunOptions, n: int, probes: ProbeSession | None,
                console: Console | None) -> Ran:
    """Run one task of the chain (console None: quietly, as a job beside the chain); nothing judged yet."""
    where = cube.rel(cube.config_file)
    if cube.task(task) is None:
        r = TaskResult(task, role, str(cube.path), "error", runner=runner.name,
                       message=f"the {ROLE_TITLES[role]} declares no {task} task")
        r.findings.append(F.error(MISSING_TASK, where, f"a {ROLE_TITLES[role]} must declare the task {task!r}: MedPerf "
                                  f"runs it and stops with \"Task {task} is not found in container config.\"",
                                  hint=f"declared: {', '.join(cube.tasks) or 'none'}"))
        return Ran(None, r)
    if build is not None and not build.ok:
        return Ran(None, TaskResult(task, role, str(cube.path), "error", runner=runner.name, image=build.image,
                                    message="not run: the image build failed"))
    try:
        plan = plan_for(cube, task, folder, demo, options)
    except PlanError as e:
        r = TaskResult(task, role, str(cube.path), "error", runner=runner.name, message=e.message)
        r.findings.append(F.error(PLAN_FAILED, where, e.message, hint=e.hint))
        return Ran(None, r)
    log_path = log_path_for(folder, n, task)
    say_start(console, task, cube)
    status = console.status(shown(task, cube) + " ...") if console is not None and console.is_terminal else None
    token = probes.before_task(plan) if probes is not None else None
    if status is not None:
        with status:
            result = runner.run(cube, plan, log_path)
    else:
        result = runner.run(cube, plan, log_path)
    result.role = role
    return Ran(plan, result, log_path, token)


def judge_task(ran: Ran, cube: Cube, task: str, folder: RunFolder, contracts: Contracts,
               probes: ProbeSession | None) -> TaskResult:
    """The per-task probes and the output contract on a task's run."""
    result = ran.result
    if ran.plan is None:
        return result
    if probes is not None:
        probes.after_task(cube, ran.plan, result, ran.token)
    if result.status == "passed":
        for finding in check_outputs(task, ran.plan.outputs, folder, contracts, cube.rel(cube.config_file)):
            result.fail(finding)
    return result


def start_early(probes: ProbeSession, cubes: dict[str, Cube], steps: list[tuple[str, str]], folder: RunFolder,
                demo: DemoData, built: dict[str, BuildResult], options: RunOptions) -> dict[int, Future]:
    """Once prepare has passed: the model's infer as a job beside sanity_check and statistics, which it does not
    read, on a slot of its own (the first free one) that it keeps for the chain when it ends: the chain goes on
    with it at once (its turn is not taken by a probe's run meanwhile). Returns {its step number: its job}."""
    n = steps.index(("model", "infer")) + 1
    cube = cubes["model"]
    run = partial(launch_task, probes.beside, cube, "model", "infer", folder, demo, built.get(str(cube.path)),
                  options, n, probes, None)
    gate = probes.jobs.slots

    def job() -> Ran:
        if gate is None:
            return run()
        with holding(gate, keep=True):
            return run()

    future = probes.jobs.submit(("chain", "infer"), job, first=True)
    return {n: future} if future is not None else {}


def discard(outcome: Outcome, gate: Slots) -> None:
    """A task run before its turn that never came: its log and outputs go, as if it had not run; the slot it kept
    for the chain is given back."""
    if outcome.error is None:
        gate.give()
    ran = outcome.value
    if not isinstance(ran, Ran) or ran.plan is None:
        return
    for path in [*ran.plan.outputs.values(), *([ran.log_path] if ran.log_path else [])]:
        remove_tree(Path(path))
