"""What one chain run gives: the builds, the tasks, the probes, the metrics and the findings not tied to a task."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from validator.engine.result import BuildResult, TaskResult
from validator.findings import Finding

if TYPE_CHECKING:
    from validator.chain.probes.result import ProbeResult


@dataclass
class RunReport:
    benchmark: str
    runner: str
    run_dir: Path
    engine: str | None = None  # the container engine that ran the tasks, e.g. "Podman 4.3.1, rootful, cgroup v1"
    builds: list[BuildResult] = field(default_factory=list)
    tasks: list[TaskResult] = field(default_factory=list)
    results: dict | None = None
    findings: list[Finding] = field(default_factory=list)  # not tied to one task
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    probes: list[ProbeResult] = field(default_factory=list)  # in the order they ran
    target: str = "medperf"  # the runtime the verdict is for (--target: medperf or mlcube)
    cancelled: str | None = None  # the signal that cancelled the run (SIGINT, SIGTERM): the report has what ran before

    @property
    def status(self) -> str:
        """completed, or cancelled (by a signal: the tasks listed are those that ran before it)."""
        return "completed" if self.cancelled is None else "cancelled"

    @property
    def image_built(self) -> bool:
        return bool(self.builds) and all(b.image_built for b in self.builds)

    def holders(self) -> list[tuple[Any, str | None]]:
        """Everything of the run that holds findings (each has a ``findings`` list), in report order, with the cube
        it belongs to (None: the run's own, a probe's): the one walk over a run's findings."""
        return [(self, None), *((b, b.cube) for b in self.builds), *((t, t.cube) for t in self.tasks),
                *((p, None) for p in self.probes)]

    @property
    def all_findings(self) -> list[Finding]:
        return [f for holder, _ in self.holders() for f in holder.findings]

    @property
    def ok(self) -> bool:
        if self.cancelled is not None:
            return False
        if any(f.is_error for f in self.all_findings):
            return False
        if any(not b.ok for b in self.builds):
            return False
        return all(t.status == "passed" for t in self.tasks)


def flatten_metrics(results: dict | None, prefix: str = "") -> list[tuple[str, object]]:
    """A results mapping as (dotted name, value) pairs: {"AUC": {"a": 1}} -> [("AUC.a", 1)]."""
    out: list[tuple[str, object]] = []
    for k, v in (results or {}).items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out += flatten_metrics(v, name + ".")
        else:
            out.append((name, v))
    return out
