"""The Runner protocol both runners implement, and the judgement they share: what an exit code, a log over the
limit or a timeout means, and how output folders are made ready for a task.

    Runner.name            "docker" | "local": said in every report
    Runner.build(cube)     -> BuildResult
    Runner.run(cube, plan, log_path) -> TaskResult
    Runner.ahead(cube, make_plan, log_path)  a hint: the task that runs after the next run(), to get ready
                           meanwhile (its plan made once the next run's container has started: its inputs may be
                           that run's outputs)
    Runner.beside()        (optional) a runner for tasks run from other threads beside this one's (the probes'):
                           the same engine, images and run id, no shared state of this runner's next task
    Runner.cleanup()       removes whatever this runner started and is still there (a safety net)
    Runner.watch_inputs    set by the inputs probe: a runner that hands tasks copies of their inputs (local)
                           hashes those copies too; one that mounts the originals read-only (docker) ignores it
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from validator import findings as F
from validator import hostfs
from validator.codes import EXIT_NONZERO, OUTPUT_SPECIAL
from validator.engine.result import BuildResult, TaskResult
from validator.engine.tasks.logcap import log_limit_finding
from validator.engine.tasks.plan import RunPlan
from validator.manifest.model import Cube

if TYPE_CHECKING:
    from rich.console import Console


class LogSize(Protocol):
    """What the log judgement needs of a capped log."""

    @property
    def truncated(self) -> bool: ...

    @property
    def total(self) -> int: ...


class Runner(Protocol):
    name: str
    watch_inputs: bool

    def build(self, cube: Cube, *, base_image: str | None = None, rebuild: bool = False,
              log_dir: Path | None = None, console: Console | None = None, pull: bool = False,
              verbose: bool = False) -> BuildResult: ...

    def run(self, cube: Cube, plan: RunPlan, log_path: Path) -> TaskResult: ...

    def ahead(self, cube: Cube, make_plan: Callable[[], RunPlan], log_path: Path) -> None: ...

    def cleanup(self) -> list[str]: ...


def stop_runs(runner: Runner) -> None:
    """The run was cancelled (validator.cancel): no run of the runner's (nor of a runner beside it, the probes')
    starts any more, and what runs is stopped now (its containers removed, its local processes killed), before
    anything waits for them or removes their folders. A runner without ``stop()`` has nothing to stop."""
    stop = getattr(runner, "stop", None)
    if stop is not None:
        stop()


def last_error_line(log_tail: str) -> str:
    """The line of a log most likely to say what went wrong (a traceback's last line, else the last line)."""
    lines = [ln.strip() for ln in log_tail.splitlines() if ln.strip()]
    if not lines:
        return ""
    for ln in reversed(lines):
        head = ln.split(":", 1)[0]
        if head.endswith(("Error", "Exception", "Exit", "Interrupt")) and " " not in head:
            return ln[:200]
    return lines[-1][:200]


def _killed(code: int | None) -> str:
    """How a task ended by a signal is said: SIGKILL that neither --timeout nor --memory sent came from outside the
    task (`docker kill`, the host's OOM killer, a person)."""
    if code is None or not (128 < code < 128 + 65 or code < 0):
        return ""
    try:
        name = signal.Signals(code - 128 if code > 0 else -code).name
    except ValueError:
        return " (killed by a signal)"
    if name == "SIGKILL":
        return " (killed by SIGKILL from outside the task: `docker kill`, the host's OOM killer, or a person)"
    return f" (killed by {name})"


def judge_exit(result: TaskResult, plan: RunPlan, where: str, hint: str | None = None) -> None:
    """A task that ran to its end: passed on exit code 0, else failed with the log's telling line."""
    if result.exit_code == 0:
        result.status = "passed"
        return
    result.status = "failed"
    code = result.exit_code
    last = last_error_line(result.log_tail)
    killed = _killed(code)
    result.message = f"exit code {code}{killed}" + (f": {last}" if last else "")
    result.findings.append(F.error(
        EXIT_NONZERO, where, f"task {plan.task} exited with code {code}{killed}" + (f": {last}" if last else ""),
        hint=hint or f"full log: {result.log_path}",
    ))


def judge_log(result: TaskResult, plan: RunPlan, log: LogSize | None, limit: int | None, where: str) -> None:
    """A log over --log-limit fails the task, whatever its exit code (MedPerf crawls on long logs)."""
    if log is None or not log.truncated:
        return
    from validator.engine.limits import human_size

    short = f"wrote {human_size(log.total)} of log, over --log-limit"
    result.message = short if result.status == "passed" else f"{short}; {result.message}"
    result.fail(log_limit_finding(plan.task, log.total, limit, result.log_path, where))


def prepare_outputs(plan: RunPlan, uid: int | None = None, gid: int | None = None) -> None:
    """Create the output folders and files (a file bind mount needs the file; MedPerf creates it too) and, when a
    uid is given, make them writable to the user the task runs as."""
    for m in plan.mounts:
        if m.read_only:
            continue
        if m.type == "directory":
            m.host.mkdir(parents=True, exist_ok=True)
        else:
            m.host.parent.mkdir(parents=True, exist_ok=True)
            m.host.touch(exist_ok=True)
        if uid is not None and gid is not None:
            _give(m.host, uid, gid)


def _give(path: Path, uid: int, gid: int) -> None:
    """Hand an output folder (and what a previous run left in it) to the task's user, never through a link."""
    if os.getuid() == 0:
        hostfs.chown_tree(path, uid, gid)
    elif uid != os.getuid():
        hostfs.chmod_tree(path, 0o777, 0o666)


def judge_outputs(result: TaskResult, plan: RunPlan, where: str) -> None:
    """Links, FIFOs, sockets and device files a task left in its outputs fail it (MC622) and are removed at once
    (the entries, never what they point to), so that nothing medcube does later (output checks, probes, copies,
    cleanup) can be led through them to a host file, or block on a FIFO."""
    for m in plan.mounts:
        if m.read_only:
            continue
        try:
            removed = hostfs.neutralize(m.host)
        except (OSError, hostfs.HostFileError) as e:
            result.fail(F.error(OUTPUT_SPECIAL, where, f"task {plan.task}: its output {m.host} cannot be checked "
                                f"for links ({e})", hint="Write plain files and folders only."))
            continue
        if not removed:
            continue
        label = "/".join(m.labels) or m.container
        names = ", ".join(f"{e.rel} ({hostfs.kind(e.mode)})" for e in removed[:5])
        more = f" and {len(removed) - 5} more" if len(removed) > 5 else ""
        result.fail(F.error(
            OUTPUT_SPECIAL, where,
            f"task {plan.task} left {len(removed)} symbolic link(s) or special file(s) in its output {label}: "
            f"{names}{more}; medcube removed them without following them",
            hint="Write plain files and folders only: MedPerf and medcube never follow a link a task writes, and a "
            "FIFO or device in the outputs would block or reach the host when the data is copied."))
