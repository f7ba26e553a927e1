"""What each of the probes' own runs does, in a job's thread (validator.chain.probes.jobs): the copies it needs,
the run, and what its outcome is compared with. Nothing here changes the session's state: the session registers
each run's findings and judges it when it reads the outcomes, in the probes' fixed order.

    rerun(role, task)   the task run again into copies of its first run's outputs
    infer_again()       one second run of infer for the rerun and determinism probes (or determinism's own run
                        into an empty folder, where that one cannot serve), its predictions compared
    fault(kind, task)   one broken copy of the prepared data, and sanity_check (or statistics) run on it
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from validator import hostfs
from validator.chain.outputs import check_outputs, record_ids
from validator.chain.probes import determinism, faults
from validator.engine.result import TaskResult
from validator.engine.tasks.plan import PlanError, RunPlan, plan_task
from validator.engine.tasks.scratch import remove_tree
from validator.findings import Finding
from validator.manifest.model import Cube

if TYPE_CHECKING:
    from validator.chain.benchmark import Contracts
    from validator.chain.demo_data import DemoData
    from validator.chain.rundir import RunFolder


@dataclass
class ProbeRun:
    """One task run of a probe, made in a job: its result and the per-task probes' findings on it, registered
    (deduplicated, added to the result) only when the probes are read, in their fixed order."""

    plan: RunPlan
    result: TaskResult
    found: list[Finding]
    hits: dict[str, list[str]]


@dataclass
class Rerun:
    """A task run again into copies of its first run's outputs."""

    task: str
    labels: list[str]  # its output labels
    run: ProbeRun
    broken: list[Finding]  # the output contract on what the second run left (when it passed)
    copies: dict[str, Path]


@dataclass
class InferAgain:
    """The second run of infer, shared by the rerun and determinism probes, and the comparison of its predictions."""

    rerun: Rerun | None  # the rerun probe's run (None: that probe is off)
    fresh: ProbeRun | None = None  # determinism's own run into an empty folder, when the rerun could not serve
    diffs: list[str] = field(default_factory=list)
    largest: float | None = None
    records: int = 0

    @property
    def compared(self) -> ProbeRun | None:
        return self.fresh if self.fresh is not None else self.rerun.run if self.rerun is not None else None


_UNWRITTEN = 1.0  # the mtime a rerun's copies get first: a file still bearing it was not written again


def _mark(path: Path) -> None:
    for f in _files(path):
        os.utime(f, (_UNWRITTEN, _UNWRITTEN), follow_symlinks=False)


def _unwritten(path: Path) -> list[Path]:
    return [f for f in _files(path) if os.lstat(f).st_mtime == _UNWRITTEN]


def _files(path: Path) -> list[Path]:
    """Regular files at or below path, no link followed."""
    if path.is_file() and not path.is_symlink():
        return [path]
    if not path.is_dir() or path.is_symlink():
        return []
    return [e.path for e in hostfs.walk(path) if e.is_file]


@dataclass
class OwnRuns:
    """The jobs' side of a probe session: where they copy and run, and how a run is made (the session's run)."""

    cubes: dict[str, Cube]
    folder: RunFolder
    demo: DemoData
    contracts: Contracts
    scratch: Path
    tolerance: float
    run: Callable[[str, str, dict, str], ProbeRun]  # (role, task, bindings, log name): a run with its findings
    wants: Callable[[str, str], bool]  # (probe, role): whether that probe runs for that role

    def rerun(self, role: str, task: str, mark: bool = False, keep: bool = False) -> Rerun | None:
        """The task run again into copies of its first run's outputs (the run folder stays as it is); None when it
        has no outputs. The copies are removed once the run is judged (keep: by the caller), in the job's thread:
        nothing of it is left for the run's end to remove."""
        cube = self.cubes[role]
        bindings = self.folder.bindings(task, self.demo)
        try:
            outputs = plan_task(cube, task, bindings).outputs
        except PlanError:
            return None
        if not outputs:
            return None
        copies: dict[str, Path] = {}
        for label, host in outputs.items():
            copy = self.scratch / "rerun" / task / label / Path(host).name
            copy.parent.mkdir(parents=True, exist_ok=True)
            if Path(host).is_dir() and not Path(host).is_symlink():
                hostfs.copytree(host, copy)  # links and special files are not copied, nor followed
            elif Path(host).is_file() and not Path(host).is_symlink():
                with os.fdopen(hostfs.open_regular(host), "rb") as fin, open(copy, "wb") as fout:
                    shutil.copyfileobj(fin, fout)
            if mark:
                _mark(copy)
            bindings[label] = copies[label] = copy
        run = self.run(role, task, bindings, f"probe-rerun-{task}.log")
        broken: list[Finding] = []
        if run.result.status == "passed":
            where = cube.rel(cube.config_file)
            broken = [f for f in check_outputs(task, run.plan.outputs, self.folder, self.contracts, where)
                      if f.is_error]
        if not keep:
            remove_tree(self.scratch / "rerun" / task)
        return Rerun(task, list(outputs), run, broken, copies)

    def infer_again(self) -> InferAgain:
        """One more run of infer serves both probes: into copies of the first run's predictions (the rerun probe),
        and its predictions compared with the first run's (determinism). Determinism gets a run of its own into an
        empty folder only when that one cannot serve: the rerun probe is off, the rerun did not pass, or it left a
        file of the first run unwritten (a task that skips the files it finds would otherwise look deterministic)."""
        again = InferAgain(self.rerun("model", "infer", mark=True, keep=True) if self.wants("rerun", "model") else None)
        try:
            self._compare(again)
        finally:
            remove_tree(self.scratch / "rerun" / "infer")
            remove_tree(self.scratch / "determinism")
        return again

    def _compare(self, again: InferAgain) -> None:
        if not self.wants("determinism", "model"):
            return
        first = Path(self.folder.bindings("infer", self.demo)["output_path"])
        second = again.rerun.copies.get("output_path") if again.rerun is not None else None
        if (second is None or again.rerun is None or again.rerun.run.result.status != "passed"
                or _unwritten(second)):
            bindings = self.folder.bindings("infer", self.demo)
            second = bindings["output_path"] = self.scratch / "determinism" / "predictions"
            again.fresh = self.run("model", "infer", bindings, "probe-determinism-infer.log")
        run = again.compared
        if run is not None and run.result.status == "passed":
            contract = self.contracts.predictions
            ids = record_ids(self.folder.path("data"), contract.records)
            again.records = len(ids)
            again.diffs, again.largest = determinism.compare(first, second, contract, ids, self.tolerance)

    def fault(self, kind: str, task: str) -> tuple[str, ProbeRun | None]:
        """(what was broken, the run of `task` on the broken copy); (why not, None) when it cannot be made."""
        base = self.scratch / "faults" / kind
        paths = {label: base / label for label in ("data", "labels", "metadata")}
        for name, dst in paths.items():
            faults.copy_tree(self.folder.path(name), dst)
        try:
            what = faults.inject(kind, paths["data"], paths["labels"], self.contracts.predictions.records)
            bindings = {"data_path": paths["data"], "labels_path": paths["labels"], "metadata_path": paths["metadata"]}
            if task == "statistics":
                bindings["output_path"] = base / "statistics" / "statistics.yaml"
            return what, self.run("data_preparator", task, bindings, f"probe-faults-{kind}.log")
        except faults.Unsupported as e:
            return str(e), None
        finally:
            remove_tree(base)  # the broken copy, once its run is judged

