"""What running a task or building an image produced, and the finding codes of the run stage (MC6xx)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from validator import findings as F
from validator.findings import Finding
from validator.textsafe import printable

Status = Literal["passed", "failed", "timeout", "oom", "error", "skipped"]
BuildStatus = Literal["built", "cached", "present", "failed", "not_built"]

# Finding codes of the build and run stage (MC6xx). Static checks use MC0xx-MC5xx, output contracts MC7xx.
BUILD_FAILED = "MC601"  # docker build failed (also: ran past --build-timeout)
PULL_FAILED = "MC602"  # the base image could not be pulled (no network / registry)
IMAGE_MISSING = "MC603"  # no Dockerfile and the image is not present locally
EXIT_NONZERO = "MC610"  # the task exited with a non-zero code
TIMEOUT = "MC611"  # the task ran past --timeout and was killed
OOM = "MC612"  # the task was killed for exceeding --memory
NO_GPU = "MC613"  # GPUs were requested but the engine has none
START_FAILED = "MC614"  # the engine refused to create or start the container
PLAN_FAILED = "MC615"  # the task cannot be run: a volume has no host path, an input is missing
LOCAL_UNSUPPORTED = "MC616"  # the local runner cannot reproduce this cube's entrypoint
MISSING_TASK = "MC617"  # a task the role must run in the chain is not declared
PIDS_LIMIT = "MC618"  # the task hit the --pids limit (fork bomb, unbounded pool)
LOG_LIMIT = "MC619"  # the task wrote more log than --log-limit; the log on disk was cut
LEFT_RUNNING = "MC620"  # the task left processes running after it ended (killed by medcube)
OUTPUT_SPECIAL = "MC621"  # the task left a link, FIFO, socket or device in its outputs (removed by medcube)

CODES = {
    BUILD_FAILED: "docker build failed",
    PULL_FAILED: "base image could not be pulled (no network): use --base-image",
    IMAGE_MISSING: "no Dockerfile and the image is not present locally",
    EXIT_NONZERO: "task exited with a non-zero code",
    TIMEOUT: "task ran past --timeout and was killed",
    OOM: "task ran out of memory (--memory) and was killed",
    NO_GPU: "GPUs requested but the engine has no GPU runtime",
    START_FAILED: "the engine could not create or start the container",
    PLAN_FAILED: "task cannot run: a volume has no host path or an input is missing",
    LOCAL_UNSUPPORTED: "the local runner cannot run this entrypoint",
    MISSING_TASK: "the chain needs a task the cube does not declare",
    PIDS_LIMIT: "task hit the process limit (--pids)",
    LOG_LIMIT: "task wrote more log than --log-limit (the log on disk was cut)",
    LEFT_RUNNING: "task left processes running after it ended",
    OUTPUT_SPECIAL: "task left a link, FIFO or device file in its outputs (removed)",
}


@dataclass
class TaskResult:
    task: str
    role: str | None
    cube: str  # the cube directory
    status: Status
    exit_code: int | None = None
    seconds: float | None = None
    peak_memory_bytes: int | None = None
    peak_memory_source: str | None = None  # how the peak was measured (best effort)
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
