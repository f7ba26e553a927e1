"""The probes of one chain run: hooks around every task (inputs, permissions, network), a GPU check before the
chain, and runs of their own after it (determinism, rerun, faults). Their scratch copies live in the run folder's
`probes/` and are removed at the end; their logs stay in `logs/probe-*.log`.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from validator import findings as F
from validator import hostfs
from validator.chain.outputs import check_outputs, record_ids
from validator.chain.probes import determinism, faults, gpu, inputs, logscan, singularity
from validator.chain.probes.options import PROBES, ProbeOptions
from validator.codes import (
    ACCEPTS_BROKEN,
    INPUT_CHANGED,
    INPUT_WRITE,
    NEEDS_NETWORK,
    NEEDS_ROOT,
    NO_GPU,
    NONDETERMINISTIC,
    PROBE_INCOMPLETE,
    RERUN_FAILS,
    WRITES_OUTSIDE,
)
from validator.engine.images.tag import image_name
from validator.engine.result import TaskResult
from validator.engine.tasks.plan import PlanError, RunPlan, plan_task
from validator.engine.tasks.scratch import remove_tree
from validator.findings import Finding
from validator.manifest.model import Cube
from validator.values import GpuRequest

if TYPE_CHECKING:
    from rich.console import Console

    from validator.chain.benchmark import Contracts
    from validator.chain.demo_data import DemoData
    from validator.chain.rundir import RunFolder
    from validator.engine.limits import Limits
    from validator.engine.tasks.runner import Runner

# The few words a failed task's table note starts with, by the probe finding that explains it.
SHORT: dict[str, str] = {
    INPUT_CHANGED: "changed an input",
    INPUT_WRITE: "wrote into an input",
    NEEDS_NETWORK: "needs network",
    NEEDS_ROOT: "needs root",
    WRITES_OUTSIDE: "writes outside its outputs",
}


@dataclass
class ProbeResult:
    name: str
    status: str = "passed"  # passed | failed | warning | skipped
    message: str = ""
    seconds: float = 0.0
    runs: int = 0  # task runs of its own
    findings: list[Finding] = field(default_factory=list)

    def settle(self) -> None:
        if any(f.is_error for f in self.findings):
            self.status = "failed"
        elif self.findings and self.status == "passed":
            self.status = "warning"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "status": self.status,
            "message": self.message,
            "seconds": round(self.seconds, 3),
            "runs": self.runs,
            "findings": [f.to_dict() for f in self.findings],
        }


class ProbeSession:
    def __init__(self, options: ProbeOptions, runner: Runner, cubes: dict[str, Cube], folder: RunFolder, demo: DemoData,
                 contracts: Contracts, limits: Limits, console: Console | None = None):
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
        if options.on("inputs"):
            runner.watch_inputs = True

    def on(self, name: str) -> bool:
        return self.options.on(name)

    # -- around every task ------------------------------------------------------------------------------------------
    def before_task(self, plan: RunPlan):
        return inputs.take(plan) if self.on("inputs") else None

    def after_task(self, cube, plan: RunPlan, result: TaskResult, token) -> list[Finding]:
        """Findings of the per-task probes, already added to the result (first when it failed: they say why)."""
        where = cube.rel(cube.config_file)
        found: list[Finding] = []
        self._tasks += 1
        if token is not None:
            hits = inputs.check(plan.task, token, result, where)
            self._task_hits["inputs"] += [f.message for f in hits]
            found += hits
        crashed = result.status == "failed" and result.exit_code not in (0, None)
        log = logscan.read_log(result.log_path) or result.log_tail if crashed or result.status == "timeout" else ""
        if log and self.on("network"):
            hit = logscan.network_finding(plan.task, log, where, timed_out=result.status == "timeout")
            if hit:
                self._task_hits["network"].append(hit.message)
                found.append(hit)
        if crashed and self.on("permissions"):
            try:
                uid = self.limits.user.uid if result.runner == "docker" else os.getuid()
            except Exception:
                uid = None
            hits = logscan.permission_findings(plan.task, log, plan, where, uid)
            self._task_hits["permissions"] += [f.message for f in hits]
            found += hits
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

    # -- before the chain: GPU ----------------------------------------------------------------------------------------
    def before_chain(self, built: dict) -> None:
        if not self.on("gpu"):
            return
        probe = self.results["gpu"]
        started = time.monotonic()
        checked: list[tuple[str, str]] = []
        for role, cube in self.cubes.items():
            wanted = GpuRequest.effective(self.limits.gpus, *(t.gpu_request for t in cube.tasks.values()))
            if wanted is None or image_name(cube) in {c for c, _ in checked}:
                continue
            b = built.get(str(cube.path))
            if b is not None and not b.ok:
                continue
            plan = RunPlan(task="gpu_check", image=image_name(cube), args=[], entrypoint=["python3", "-c", gpu.SCRIPT],
                           mounts=[], gpus=wanted)
            result = self.runner.run(cube, plan, self.folder.logs / f"probe-gpu-{role}.log")
            probe.runs += 1
            where = cube.rel(cube.config_file)
            if any(f.code == NO_GPU for f in result.findings):
                probe.status = "skipped"
                probe.message = "the engine has no GPU runtime (the tasks say so)"
                break
            if result.status != "passed":
                probe.findings.append(F.error(PROBE_INCOMPLETE, where,
                                              f"the GPU check could not run in {plan.image}: {result.message}",
                                                hint=f"its log: {result.log_path}"))
                checked.append((plan.image, "could not run"))
                continue
            findings, line = gpu.interpret(gpu.parse(logscan.read_log(result.log_path)), plan.image,
                                           str(wanted), where)
            probe.findings += findings
            checked.append((plan.image, line))
        if probe.status != "skipped":
            probe.message = "; ".join(f"{img}: {line}" for img, line in checked) if checked else "no GPU requested"
            if not checked:
                probe.status = "skipped"
        probe.seconds = time.monotonic() - started
        probe.settle()
        if probe.runs:
            self._say(probe)

    # -- after the chain ----------------------------------------------------------------------------------------------
    def after_chain(self, tasks: list[TaskResult]) -> list[ProbeResult]:
        """Run the probes that need runs of their own (on what passed), summarize the per-task ones; returns every
        probe's result in order."""
        passed = {t.task: t for t in tasks if t.status == "passed"}
        try:
            for name, method in (("determinism", self._determinism), ("rerun", self._rerun),
                                 ("faults", self._faults), ("singularity", self._singularity)):
                if not self.on(name):
                    continue
                probe = self.results[name]
                started = time.monotonic()
                try:
                    method(passed, probe)
                except Exception as e:  # a probe never breaks the run: it says it could not finish
                    # a probe that cannot finish proves nothing: an error, with its reason (a hostile output could
                    # otherwise switch a probe off and turn a failing cube into a pass)
                    probe.findings.append(F.error(PROBE_INCOMPLETE, "-", f"probe {name} could not finish: "
                                                  f"{type(e).__name__}: {e}",
                                                  hint="Fix what the message names (the cube's outputs, or the "
                                                  "machine); --no-probe " + name + " skips this probe knowingly."))
                probe.seconds = time.monotonic() - started
                probe.settle()
                self._say(probe)
        finally:
            remove_tree(self.scratch)
        self._summarize()
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

    def _run(self, role: str, task: str, bindings: dict, log_name: str, probe: ProbeResult):
        cube = self.cubes[role]
        plan = plan_task(cube, task, bindings, gpus=self.limits.gpus)
        token = self.before_task(plan)
        result = self.runner.run(cube, plan, self.folder.logs / log_name)
        result.role = role
        probe.runs += 1
        for f in self.after_task(cube, plan, result, token):
            probe.findings.append(f)
        return plan, result

    def _determinism(self, passed: dict, probe: ProbeResult) -> None:
        if not self.options.tests("model"):
            probe.status, probe.message = "skipped", "the model is the benchmark's, not under test"
            return
        if "infer" not in passed:
            probe.status, probe.message = "skipped", "infer did not pass"
            return
        cube = self.cubes["model"]
        where = cube.rel(cube.config_file)
        bindings = self.folder.bindings("infer", self.demo)
        first = Path(bindings["output_path"])
        bindings["output_path"] = self.scratch / "determinism" / "predictions"
        severity = F.error if self.options.strict_determinism else F.warning
        hint = ("seed every random generator (random, numpy, torch.manual_seed), call model.eval() so dropout is off, "
                "drop test-time augmentation; on GPUs torch.use_deterministic_algorithms(True); if small differences "
                "are expected, pass --determinism-tolerance")
        _, result = self._run("model", "infer", bindings, "probe-determinism-infer.log", probe)
        if result.status != "passed":
            probe.findings.append(severity(NONDETERMINISTIC, where,
                                           f"infer failed when run a second time on the same data: {result.message}",
                                           hint=f"its log: {result.log_path}"))
            return
        contract = self.contracts.predictions
        ids = record_ids(self.folder.path("data"), contract.records)
        diffs, largest = determinism.compare(first, bindings["output_path"], contract, ids, self.options.tolerance)
        if diffs:
            n = len(ids) or len(diffs)
            probe.findings.append(severity(
                NONDETERMINISTIC, where,
                f"infer gave different predictions on the same data in two runs: {len(diffs)} of {n} records differ "
                f"beyond the tolerance of {self.options.tolerance:g} ({'; '.join(diffs[:3])})",
                hint=hint,
            ))
            probe.message = f"{len(diffs)} of {n} records differ"
        else:
            probe.message = "predictions of two runs equal" + (
                f" (largest difference {largest:.2g})" if largest else "")

    def _rerun(self, passed: dict, probe: ProbeResult) -> None:
        again = []
        for task, first in passed.items():
            role = first.role
            if role not in self.cubes or not self.options.tests(role):
                continue
            cube = self.cubes[role]
            where = cube.rel(cube.config_file)
            bindings = self.folder.bindings(task, self.demo)
            try:
                outputs = plan_task(cube, task, bindings).outputs
            except PlanError:
                continue
            if not outputs:
                continue
            for label, host in outputs.items():  # copies of the first run's outputs: the run folder stays as it is
                copy = self.scratch / "rerun" / task / label / Path(host).name
                copy.parent.mkdir(parents=True, exist_ok=True)
                if Path(host).is_dir() and not Path(host).is_symlink():
                    hostfs.copytree(host, copy)  # links and special files are not copied, nor followed
                elif Path(host).is_file() and not Path(host).is_symlink():
                    with os.fdopen(hostfs.open_regular(host), "rb") as fin, open(copy, "wb") as fout:
                        shutil.copyfileobj(fin, fout)
                bindings[label] = copy
            plan, result = self._run(role, task, bindings, f"probe-rerun-{task}.log", probe)
            again.append(task)
            folders = ", ".join(outputs)
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
            broken = [f for f in check_outputs(task, plan.outputs, self.folder, self.contracts, where) if f.is_error]
            if broken:
                probe.findings.append(F.error(
                    RERUN_FAILS, where,
                    f"task {task} run again into its non-empty output folder ({folders}) leaves outputs that break "
                    f"the contract: {broken[0].message}",
                    hint=hint,
                ))
        probe.message = f"ran again: {', '.join(again)}" if again else "no task of a cube under test passed"
        if not again:
            probe.status = "skipped"

    def _faults(self, passed: dict, probe: ProbeResult) -> None:
        cube = self.cubes["data_preparator"]
        where = cube.rel(cube.config_file)
        task = "sanity_check" if cube.task("sanity_check") is not None else (
            "statistics" if cube.task("statistics") is not None else None)
        if not self.options.tests("data_preparator"):
            probe.status, probe.message = "skipped", "the data preparator is the benchmark's, not under test"
            return
        if "prepare" not in passed or task is None or task not in passed:
            probe.status = "skipped"
            probe.message = "prepare did not pass" if "prepare" not in passed else f"{task or 'sanity_check'} did not pass"
            return
        accepted, refused, unclear, unsupported = [], [], [], []
        for kind, title in faults.FAULTS.items():
            base = self.scratch / "faults" / kind
            paths = {label: base / label for label in ("data", "labels", "metadata")}
            for name, dst in paths.items():
                faults.copy_tree(self.folder.path(name), dst)
            try:
                what = faults.inject(kind, paths["data"], paths["labels"], self.contracts.predictions.records)
            except faults.Unsupported as e:
                unsupported.append(f"{title}: {e}")
                continue
            bindings = {"data_path": paths["data"], "labels_path": paths["labels"], "metadata_path": paths["metadata"]}
            if task == "statistics":
                bindings["output_path"] = base / "statistics" / "statistics.yaml"
            _, result = self._run("data_preparator", task, bindings, f"probe-faults-{kind}.log", probe)
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

    def _singularity(self, passed: dict, probe: ProbeResult) -> None:
        singularity.run(self, passed, probe)

    def _say(self, probe: ProbeResult) -> None:
        if self.console is None:
            return
        style = {"passed": "green", "skipped": "dim", "warning": "yellow"}.get(probe.status, "red")
        secs = f" {probe.seconds:.1f}s" if probe.runs else ""
        self.console.print(f"[{style}]{probe.status:>7}[/{style}] probe {probe.name}{secs}")  # names are medcube's
