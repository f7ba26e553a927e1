"""What running a task or building an image produced (its findings use the run-stage codes, MC6xx, of validator.codes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from validator import findings as F
from validator.codes import TIMEOUT
from validator.findings import Finding
from validator.textsafe import printable

Status = Literal["passed", "failed", "timeout", "oom", "error", "skipped", "cancelled"]
BuildStatus = Literal["built", "cached", "present", "failed", "not_built"]

@dataclass
class TaskResult:
    task: str
    role: str | None
    cube: str  # the cube directory
    status: Status
    exit_code: int | None = None
    seconds: float | None = None
    peak_memory_bytes: int | None = None  # what the task held at most, reclaimable page cache left out
    peak_memory_source: str | None = None  # how the peak was measured (best effort)
    peak_memory_with_cache_bytes: int | None = None  # its cgroup's high-water mark, page cache included
    log_path: str | None = None  # the full log, on disk
    log_tail: str = ""
    findings: list[Finding] = field(default_factory=list)
    message: str = ""  # one line for the table
    runner: str = "docker"
    image: str | None = None
    image_built: bool = False
    command: list[str] = field(default_factory=list)  # the equivalent command line, for reproducing by hand
    input_changes: dict[str, list[str]] = field(default_factory=dict)  # label -> changes the runner saw in its copy

    @classmethod
    def starting(cls, cube, plan, log_path, **runner) -> TaskResult:
        """The result of a task about to run (an error until the runner tells otherwise); ``runner``: the fields
        that say which runner ran it and how."""
        return cls(task=plan.task, role=cube.role, cube=str(cube.path), status="error", log_path=str(log_path),
                   **runner)

    @property
    def ok(self) -> bool:
        return self.status == "passed"

    def not_started(self) -> TaskResult:
        """The run was cancelled (validator.cancel) before this task started: it never runs."""
        self.status = "cancelled"
        self.message = "not run: the run was cancelled"
        return self

    def stopped(self) -> TaskResult:
        """The run was cancelled while this task ran (its container removed, its processes killed): what that did
        to the task is no finding of the cube's."""
        self.status = "cancelled"
        self.message = "stopped: the run was cancelled while it ran"
        self.findings.clear()
        return self

    def timed_out(self, timeout: float, where: str) -> None:
        """The task was killed at --timeout: say so (MC611)."""
        self.status = "timeout"
        self.message = f"killed after {timeout:g}s (--timeout)"
        self.findings.append(
            F.error(
                TIMEOUT,
                where,
                f"task {self.task} ran longer than the --timeout of {timeout:g}s and was killed",
                hint="a task on demo data should take seconds; raise --timeout if it really needs longer",
            )
        )

    def fail(self, finding: Finding) -> None:
        """Add a finding; an error turns a passed task into a failed one."""
        self.findings.append(finding)
        if finding.is_error and self.status == "passed":
            self.status = "failed"
            self.message = self.message or finding.message

    def to_dict(self) -> dict:
        return {
            "task": self.task,
            "role": self.role,
            "cube": self.cube,
            "status": self.status,
            "exit_code": self.exit_code,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "peak_memory_bytes": self.peak_memory_bytes,
            "peak_memory_source": self.peak_memory_source,
            "peak_memory_with_cache_bytes": self.peak_memory_with_cache_bytes,
            "log_path": self.log_path,
            "message": self.message,
            "runner": self.runner,
            "image": self.image,
            "image_built": self.image_built,
            "command": self.command,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass
class BuildResult:
    cube: str
    role: str | None
    image: str | None
    status: BuildStatus
    seconds: float = 0.0
    context_hash: str | None = None
    log_path: str | None = None
    log_tail: str = ""
    message: str = ""
    findings: list[Finding] = field(default_factory=list)
    image_id: str | None = None  # what runs: the image this build made or checked, never a tag's later meaning
    builder: str = ""  # what built it: BuildKit through the docker CLI, or the SDK's legacy builder

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    @property
    def image_built(self) -> bool:
        return self.status in ("built", "cached", "present")

    def to_dict(self) -> dict:
        return {
            "cube": self.cube,
            "role": self.role,
            "image": self.image,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "context_hash": self.context_hash,
            "log_path": self.log_path,
            "message": self.message,
            "builder": self.builder,
            "findings": [f.to_dict() for f in self.findings],
        }


def tail(text: str, lines: int = 30, chars: int = 4000) -> str:
    """The last lines of a log, capped in size, with control characters escaped (validator.textsafe): a task's log
    may hold escape sequences meant to fool a terminal, or characters an XML report cannot hold."""
    safe = printable(text)  # first: a CR or a vertical tab must not start a line of its own below
    return "\n".join(safe.rstrip("\n").split("\n")[-lines:])[-chars:]


def read_tail(path: Path, lines: int = 30, chars: int = 4000) -> str:
    """The last lines of a log file without reading all of a large one."""
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read()
    except OSError:
        return ""
    return tail(data.decode("utf-8", "replace"), lines, chars)
