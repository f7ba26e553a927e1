"""The probes of one chain run: hooks around every task (inputs, permissions, network), a GPU check before the
chain, and runs of their own (determinism, rerun, faults), handed in as jobs (validator.chain.probes.jobs) as soon
as the chain task they read has passed, so that they run beside the chain and beside each other; one second run of
infer serves both the rerun and the determinism probes. When the chain has ended the probes read their runs in one
fixed order: the reports are the same whatever ran side by side. Their scratch copies live in the run folder's
`probes/` and are removed at the end; their logs stay in `logs/probe-*.log`.
"""

from __future__ import annotations

import os
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from validator import findings as F
from validator.chain.probes import faults, gpu, inputs, logscan, singularity
from validator.chain.probes.jobs import ProbeJobs
from validator.chain.probes.options import PROBES, ProbeOptions
from validator.chain.probes.result import ProbeResult
from validator.chain.probes.runs import InferAgain, OwnRuns, ProbeRun, Rerun
from validator.codes import (
    ACCEPTS_BROKEN,
    INPUT_CHANGED,
    INPUT_WRITE,
    NEEDS_NETWORK,
    NEEDS_ROOT,
    NONDETERMINISTIC,
    PROBE_INCOMPLETE,
    RERUN_FAILS,
    WRITES_OUTSIDE,
)
from validator.engine.result import TaskResult
from validator.engine.tasks.plan import RunPlan, plan_task
from validator.engine.tasks.runner import stop_runs
from validator.engine.tasks.scratch import remove_tree
from validator.findings import Finding
from validator.manifest.model import Cube

if TYPE_CHECKING:
    from rich.console import Console

    from validator.chain.benchmark import Contracts
    from validator.chain.demo_data import DemoData
    from validator.chain.rundir import RunFolder
    from validator.engine.limits import Limits
    from validator.engine.tasks.runner import Runner
    from validator.engine.tasks.slots import Slots

# The few words a failed task's table note starts with, by the probe finding that explains it.
SHORT: dict[str, str] = {
    INPUT_CHANGED: "changed an input",
    INPUT_WRITE: "wrote into an input",
    NEEDS_NETWORK: "needs network",
    NEEDS_ROOT: "needs root",
    WRITES_OUTSIDE: "writes outside its outputs",
}


class ProbeSession:
    def __init__(self, options: ProbeOptions, runner: Runner, cubes: dict[str, Cube], folder: RunFolder, demo: DemoData,
                 contracts: Contracts, limits: Limits, console: Console | None = None, jobs: int = 1,
                 slots: Slots | None = None):
        self.options = options
        self.runner = runner
        self.cubes = cubes
        self.folder = folder
        self.demo = demo
        self.contracts = contracts
        self.limits = limits
        self.console = console
        self.scratch = Path(folder.path("probes"))
        self.results = {name: ProbeResult(name) for name in PROBES if options.on(name)}
        self._seen: set[tuple[str, str]] = set()
        self._task_hits: dict[str, list[str]] = {"inputs": [], "permissions": [], "network": []}
        self._tasks = 0
        self._passed: dict[str, TaskResult] = {}
        self._taken: set[int] = set()  # ids of the probe runs registered
        if options.on("inputs"):
            runner.watch_inputs = True
        beside = getattr(runner, "beside", None)
        # the probes' runs go through a runner of their own (beside the chain's), or wait for the chain's end
        self.beside: Runner = beside() if beside is not None else runner  # also a chain task's, started early
        self.jobs = ProbeJobs(jobs, side_by_side=beside is not None, slots=slots)
        self.own = OwnRuns(cubes, folder, demo, contracts, self.scratch, options.tolerance, self._run, self._wants)

    def on(self, name: str) -> bool:
        return self.options.on(name)

    def _wants(self, name: str, role: str) -> bool:
        return self.on(name) and self.options.tests(role) and role in self.cubes

    # -- around every task ------------------------------------------------------------------------------------------
    def before_task(self, plan: RunPlan):
        return inputs.take(plan) if self.on("inputs") else None

    def after_task(self, cube, plan: RunPlan, result: TaskResult, token) -> list[Finding]:
        """Findings of the per-task probes, already added to the result (first when it failed: they say why)."""
        found, hits = self._task_findings(cube, plan, result, token)
        return self._register(result, found, hits)

    def _task_findings(self, cube, plan: RunPlan, result: TaskResult, token) -> tuple[list[Finding], dict[str, list[str]]]:
        """The per-task probes' findings on one run, and their messages by probe; changes nothing of the session
        (it runs in the probes' jobs too)."""
        where = cube.rel(cube.config_file)
        found: list[Finding] = []
        hits: dict[str, list[str]] = {"inputs": [], "permissions": [], "network": []}
        if token is not None:
            changed = inputs.check(plan.task, token, result, where)
            hits["inputs"] += [f.message for f in changed]
            found += changed
        crashed = result.status == "failed" and result.exit_code not in (0, None)
        log = logscan.read_log(result.log_path) or result.log_tail if crashed or result.status == "timeout" else ""
        if log and self.on("network"):
            hit = logscan.network_finding(plan.task, log, where, timed_out=result.status == "timeout")
            if hit:
                hits["network"].append(hit.message)
                found.append(hit)
        if crashed and self.on("permissions"):
            try:
                uid = self.limits.user.uid if result.runner == "docker" else os.getuid()
            except Exception:
                uid = None
            denied = logscan.permission_findings(plan.task, log, plan, where, uid)
            hits["permissions"] += [f.message for f in denied]
            found += denied
        return found, hits

    def _register(self, result: TaskResult, found: list[Finding], hits: dict[str, list[str]]) -> list[Finding]:
        """Count the run, keep its findings that are new, add them to its result (first when it failed)."""
        self._tasks += 1
        for name, messages in hits.items():
            self._task_hits[name] += messages
        new = [f for f in found if (f.code, f.message) not in self._seen]
        self._seen.update((f.code, f.message) for f in new)
        if result.status == "passed":
            for f in new:
                result.fail(f)
        elif new:
            result.findings[:0] = new
            short = SHORT.get(new[0].code)
            if short:
                result.message = f"{short}; {result.message}" if result.message else short
        return new

    def _take(self, run: ProbeRun, probe: ProbeResult) -> None:
        """A probe run read by its probe: registered once, its new findings and its time the probe's."""
        if id(run) in self._taken:
            return
        self._taken.add(id(run))
        probe.runs += 1
        probe.seconds += run.result.seconds or 0.0
        probe.findings += self._register(run.result, run.found, run.hits)

    # -- beside the chain: the probes' own runs, handed in as the chain's tasks pass ---------------------------------
    def task_done(self, result: TaskResult) -> None:
        """A chain task has ended, its outputs checked: the probe runs that read what it made are handed in."""
        if result.status != "passed" or result.role not in self.cubes:
            return
        self._passed[result.task] = result
        task, role = result.task, result.role
        if task == "infer" and role == "model":
            if self._wants("rerun", "model") or self._wants("determinism", "model"):
                self.jobs.submit("infer-again", self.own.infer_again, urgent=True)  # the longest: the end waits on it
        elif self._wants("rerun", role):
            self.jobs.submit(("rerun", task), partial(self.own.rerun, role, task))
        if (role == "data_preparator" and self._wants("faults", role) and task == self._faults_task()
                and "prepare" in self._passed):
            for kind in faults.FAULTS:
                self.jobs.submit(("faults", kind), partial(self.own.fault, kind, task))

    def _run(self, role: str, task: str, bindings: dict, log_name: str) -> ProbeRun:
        cube = self.cubes[role]
        plan = plan_task(cube, task, bindings, gpus=self.limits.gpus)
        token = self.before_task(plan)
        result = self.beside.run(cube, plan, self.folder.logs / log_name)
        result.role = role
        found, hits = self._task_findings(cube, plan, result, token)
        return ProbeRun(plan, result, found, hits)

    def _faults_task(self) -> str | None:
        cube = self.cubes["data_preparator"]
        return "sanity_check" if cube.task("sanity_check") is not None else (
            "statistics" if cube.task("statistics") is not None else None)

    # -- before the chain: GPU ----------------------------------------------------------------------------------------
    def before_chain(self, built: dict) -> None:
        if not self.on("gpu"):
            return
        probe = self.results["gpu"]
        started = time.monotonic()
        gpu.check_images(self.runner, self.cubes, built, self.limits.gpus, self.folder.logs, probe)
        probe.seconds = time.monotonic() - started
        probe.settle()
        if probe.runs:
            self._say(probe)

    # -- after the chain: the probes read their runs, in one fixed order ----------------------------------------------
    def after_chain(self, tasks: list[TaskResult]) -> list[ProbeResult]:
        """Wait for the probes' own runs (on what passed), judge them in the probes' order, summarize the per-task
        ones; returns every probe's result in order. The findings and their order do not depend on how many runs
        went side by side, nor on which ended first."""
        passed = {t.task: t for t in tasks if t.status == "passed"}
        try:
            outcomes = self.jobs.outcomes()
            for name, method in (("determinism", self._determinism), ("rerun", self._rerun), ("faults", self._faults),
                                 ("singularity", lambda passed, probe, _: singularity.run(self, passed, probe))):
                if not self.on(name):
                    continue
                probe = self.results[name]
                try:
                    method(passed, probe, outcomes)
                except Exception as e:  # a probe never breaks the run: it says it could not finish
                    # a probe that cannot finish proves nothing: an error, with its reason (a hostile output could
                    # otherwise switch a probe off and turn a failing cube into a pass)
                    probe.findings.append(F.error(PROBE_INCOMPLETE, "-", f"probe {name} could not finish: "
                                                  f"{type(e).__name__}: {e}",
                                                  hint="Fix what the message names (the cube's outputs, or the "
                                                  "machine); --no-probe " + name + " skips this probe knowingly."))
                probe.settle()
                self._say(probe)
        finally:
            self.jobs.close()
            remove_tree(self.scratch)
        self._summarize()
        return list(self.results.values())

    def cancelled(self) -> list[ProbeResult]:
        """A signal (validator.cancel): the probes' runs stopped, then their scratch copies removed; every probe
        reported as cancelled, with the findings it had so far."""
        stop_runs(self.runner)
        self.jobs.close()
        remove_tree(self.scratch)
        for probe in self.results.values():
            probe.status, probe.message = "cancelled", "cancelled before it ended"
        return list(self.results.values())

    def _summarize(self) -> None:
        words = {
            "inputs": ("inputs of {n} task runs unchanged", "{k} task run(s) changed an input"),
            "permissions": ("no task failed on a benchmark permission", "{k} failure(s) explained"),
            "network": ("no task failed for want of network", "a task needs network"),
        }
        for name, (ok, bad) in words.items():
            if not self.on(name):
                continue
            probe = self.results[name]
            hits = self._task_hits[name]
            probe.status = "failed" if hits else "passed"
            probe.message = (bad if hits else ok).format(n=self._tasks, k=len(hits))
            if hits and name != "inputs":
                probe.message = hits[0].split(":")[0]

    def _determinism(self, passed: dict, probe: ProbeResult, outcomes: dict) -> None:
        if not self.options.tests("model"):
            probe.status, probe.message = "skipped", "the model is the benchmark's, not under test"
            return
        if "infer" not in passed:
            probe.status, probe.message = "skipped", "infer did not pass"
            return
        again: InferAgain = outcomes["infer-again"].get()
        cube = self.cubes["model"]
        where = cube.rel(cube.config_file)
        severity = F.error if self.options.strict_determinism else F.warning
        hint = ("seed every random generator (random, numpy, torch.manual_seed), call model.eval() so dropout is off, "
                "drop test-time augmentation; on GPUs torch.use_deterministic_algorithms(True); if small differences "
                "are expected, pass --determinism-tolerance")
        run = again.compared
        if run is None:
            raise RuntimeError("infer was not run a second time")
        shared = again.fresh is None  # the rerun probe's run: its own
        self._take(run, self.results["rerun"] if shared and "rerun" in self.results else probe)
        result = run.result
        if result.status != "passed":
            probe.findings.append(severity(NONDETERMINISTIC, where,
                                           f"infer failed when run a second time on the same data: {result.message}",
                                           hint=f"its log: {result.log_path}"))
            return
        if again.diffs:
            n = again.records or len(again.diffs)
            probe.findings.append(severity(
                NONDETERMINISTIC, where,
                f"infer gave different predictions on the same data in two runs: {len(again.diffs)} of {n} records "
                f"differ beyond the tolerance of {self.options.tolerance:g} ({'; '.join(again.diffs[:3])})",
                hint=hint,
            ))
            probe.message = f"{len(again.diffs)} of {n} records differ"
        else:
            probe.message = "predictions of two runs equal" + (
                f" (largest difference {again.largest:.2g})" if again.largest else "")
        if shared:
            probe.message += " (the second run: the rerun probe's)"

    def _rerun(self, passed: dict, probe: ProbeResult, outcomes: dict) -> None:
        again = []
        for task, first in passed.items():
            role = first.role
            if role not in self.cubes or not self.options.tests(role):
                continue
            key = "infer-again" if task == "infer" and role == "model" else ("rerun", task)
            if key not in outcomes:
                continue
            value = outcomes[key].get()
            rerun: Rerun | None = value.rerun if isinstance(value, InferAgain) else value
            if rerun is None:
                continue
            self._take(rerun.run, probe)
            again.append(task)
            cube = self.cubes[role]
            where = cube.rel(cube.config_file)
            folders = ", ".join(rerun.labels)
            result = rerun.run.result
            hint = ("a task is run again into the same folders after a failure or an interruption: create "
                    "folders with exist_ok=True, overwrite files rather than fail or append when they exist, and "
                    "do not leave files the task itself cannot write again (read-only modes)")
            if result.status != "passed":
                probe.findings.append(F.error(
                    RERUN_FAILS, where,
                    f"task {task} fails when run again into its non-empty output folder ({folders} still holding the "
                    f"first run's files): {result.message}",
                    hint=hint + f"; log: {result.log_path}",
                ))
                continue
            if rerun.broken:
                probe.findings.append(F.error(
                    RERUN_FAILS, where,
                    f"task {task} run again into its non-empty output folder ({folders}) leaves outputs that break "
                    f"the contract: {rerun.broken[0].message}",
                    hint=hint,
                ))
        probe.message = f"ran again: {', '.join(again)}" if again else "no task of a cube under test passed"
        if not again:
            probe.status = "skipped"

    def _faults(self, passed: dict, probe: ProbeResult, outcomes: dict) -> None:
        cube = self.cubes["data_preparator"]
        where = cube.rel(cube.config_file)
        task = self._faults_task()
        if not self.options.tests("data_preparator"):
            probe.status, probe.message = "skipped", "the data preparator is the benchmark's, not under test"
            return
        if "prepare" not in passed or task is None or task not in passed:
            probe.status = "skipped"
            probe.message = "prepare did not pass" if "prepare" not in passed else f"{task or 'sanity_check'} did not pass"
            return
        accepted, refused, unclear, unsupported = [], [], [], []
        for kind, title in faults.FAULTS.items():
            what, run = outcomes[("faults", kind)].get()
            if run is None:
                unsupported.append(f"{title}: {what}")
                continue
            self._take(run, probe)
            result = run.result
            if result.status == "passed":
                accepted.append(f"{title} ({what})")
            elif result.status == "failed":
                refused.append(title)
            else:
                unclear.append(f"{title}: {result.message}")
        tried = len(accepted) + len(refused) + len(unclear)
        why = " (this cube declares no sanity_check, which MedPerf requires)" if task == "statistics" else ""
        if accepted:  # a quality finding: MedPerf runs a lax sanity_check (`--strict` makes it fail)
            probe.findings.append(F.warning(
                ACCEPTS_BROKEN, where,
                f"{task} accepted {len(accepted)} of {tried} broken copies of the prepared data: {'; '.join(accepted)}"
                + (f"; it refused {', '.join(refused)}" if refused else "") + why,
                hint=f"{task} must exit non-zero when the prepared data breaks the benchmark's contract: check each "
                "record's shape and that it is not blank, that every record has a label, and that nothing else is in "
                f"the folder (logs: {self.folder.logs}/probe-faults-*.log)",
            ))
        for line in unclear:
            probe.findings.append(F.error(PROBE_INCOMPLETE, where, f"{task} on {line}",
                                          hint=f"{task} must end (refuse or accept) on broken data within --timeout"))
        if unsupported and not tried:
            probe.findings.append(F.warning(PROBE_INCOMPLETE, where,
                                            f"no broken copy of the prepared data could be made: {'; '.join(unsupported)}"))
        probe.message = (f"{task} refused {len(refused)} of {tried} broken copies" if tried else "nothing injected") + (
            f"; not made: {'; '.join(unsupported)}" if unsupported else "")

    def _say(self, probe: ProbeResult) -> None:
        if self.console is None:
            return
        style = {"passed": "green", "skipped": "dim", "warning": "yellow"}.get(probe.status, "red")
        secs = f" {probe.seconds:.1f}s" if probe.runs else ""
        self.console.print(f"[{style}]{probe.status:>7}[/{style}] probe {probe.name}{secs}")  # names are medcube's
