"""Run a planned task as a subprocess of this Python, without Docker: fast iteration on a cube you trust.

The argv is the one the container would run: the Dockerfile's ENTRYPOINT (exec form) or the task's entrypoint,
then the task's arguments. Container paths are mapped back to the host: mount points to the mounted paths
(inputs to read-only copies), paths the Dockerfile COPYs to to the build context, `python3` to this interpreter.
No image is built and there is no network, user or memory isolation: results say so.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from validator import findings as F
from validator import hostfs
from validator.codes import LEFT_RUNNING, LOCAL_UNSUPPORTED
from validator.engine.limits import Limits
from validator.engine.result import BuildResult, TaskResult, read_tail
from validator.engine.tasks import slots
from validator.engine.tasks.hostpaths import DockerfileInfo, PathMap, read_dockerfile
from validator.engine.tasks.logcap import CappedLog
from validator.engine.tasks.plan import RunPlan
from validator.engine.tasks.processes import MARK_ENV, kill_marked, killpg, pump
from validator.engine.tasks.runner import judge_exit, judge_log, judge_outputs, prepare_outputs
from validator.engine.tasks.scratch import remove_tree
from validator.engine.tasks.snapshot import differences, snapshot
from validator.errors import MedcubeError
from validator.manifest.model import Cube

_PYTHON = re.compile(r"^(/usr(/local)?/bin/)?python(3(\.\d+)?)?$")


# What a local task gets of medcube's environment: enough to find programs and decode text, nothing else (CI
# runners keep tokens and keys in the environment).
KEPT_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")


def scrubbed_environment() -> dict[str, str]:
    return {k: os.environ[k] for k in KEPT_ENVIRONMENT if k in os.environ}


class LocalRunner:
    name = "local"

    def __init__(self, limits: Limits | None = None, python: str | None = None):
        self.limits = limits or Limits()
        self.python = python or sys.executable
        self.watch_inputs = False  # hash the read-only input copies before and after (TaskResult.input_changes)
        self._stopped = threading.Event()  # stop(): no task starts any more
        self._live: set[int] = set()  # the process groups of the tasks running now (from any thread)
        self._lock = threading.Lock()

    def cleanup(self) -> list[str]:
        """Nothing to remove: every task's processes are killed and reaped when it ends."""
        return []

    def stop(self) -> None:
        """The run was cancelled: no task starts any more, and every task running now (in any thread: the probes',
        many submissions') is killed with its process group; each of those runs then ends as it does on a kill."""
        with self._lock:
            self._stopped.set()
            for group in self._live:
                killpg(group)

    def beside(self) -> LocalRunner:
        """Itself: each run is a subprocess of its own, so runs from several threads do not meet."""
        return self

    def ahead(self, cube: Cube, make_plan: Callable[[], RunPlan], log_path: Path) -> None:
        """Nothing to get ready: a task starts as a plain subprocess."""

    def build(self, cube: Cube, *, base_image=None, rebuild=False, log_dir=None, console=None, pull=False,
              verbose=False) -> BuildResult:
        return BuildResult(
            cube=str(cube.path),
            role=cube.role,
            image=None,
            status="not_built",
            message="local runner: no image is built; tasks run with this Python",
        )

    def argv(self, cube: Cube, plan: RunPlan, paths: PathMap) -> tuple[list[str], Path, dict[str, str]]:
        """The host argv, working directory and extra environment for a plan."""
        build = cube.build
        info = DockerfileInfo()
        context = Path(build.context) if build is not None else Path(cube.path)
        if build is not None and Path(build.dockerfile).is_file():
            info = read_dockerfile(build.dockerfile, context)
        paths.image = info
        paths.add_fallback("/mlcube_project", context)  # the MLCube convention, when the Dockerfile does not say
        entry = list(plan.entrypoint) if plan.entrypoint else list(info.entrypoint or [])
        if plan.entrypoint is None and info.shell_form and info.entrypoint:
            raise _Unsupported(
                f"the Dockerfile ENTRYPOINT is in shell form ({shlex.join(info.entrypoint)})",
                "write it in exec form, e.g. ENTRYPOINT [\"python3\", \"/mlcube_project/mlcube.py\"]",
            )
        args = list(plan.args) if plan.args is not None else list(info.cmd or [])
        argv = entry + args
        if not argv:
            raise _Unsupported("there is nothing to run: no ENTRYPOINT, no CMD and no command", None)
        argv = [paths.map_text(a) for a in argv]
        if _PYTHON.match(argv[0]) or argv[0] in ("python", "python3"):
            argv[0] = self.python
        elif argv[0].startswith("/") and not Path(argv[0]).exists():
            raise _Unsupported(
                f"the entrypoint {argv[0]} exists only inside the image",
                "the local runner runs Python entrypoints (python3 /path/in/context.py); use --runner docker",
            )
        workdir = paths.map_path(info.workdir) if info.workdir != "/" else None
        cwd = Path(workdir) if workdir and Path(workdir).is_dir() else context
        env = {k: paths.map_text(v) for k, v in {**info.env, **plan.environment}.items() if k != "PATH"}
        return argv, cwd, env

    def run(self, cube: Cube, plan: RunPlan, log_path: Path) -> TaskResult:
        result = TaskResult.starting(cube, plan, log_path, runner="local", image=None, image_built=False)
        if self._stopped.is_set():
            return result.not_started()
        log_path = Path(log_path)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        where = cube.rel(cube.config_file)
        scratch = Path(tempfile.mkdtemp(prefix=f"medcube-local-{plan.task}-"))
        watched = []
        try:
            paths = PathMap()
            for i, m in enumerate(plan.mounts):
                if m.read_only:
                    copy = scratch / "inputs" / str(i) / m.host.name
                    _copy_read_only(m.host, copy)
                    paths.add(m.container, copy)
                    if self.watch_inputs:
                        watched.append((m, copy, snapshot(copy)))
                else:
                    paths.add(m.container, m.host)
            prepare_outputs(plan)
            try:
                argv, cwd, extra_env = self.argv(cube, plan, paths)
            except _Unsupported as e:
                result.message = f"the local runner cannot run this task: {e.message}"
                result.findings.append(F.error(LOCAL_UNSUPPORTED, where, f"task {plan.task}: {result.message}", hint=e.hint))
                return result
            result.command = argv
            home, tmp = scratch / "home", scratch / "tmp"
            home.mkdir()
            tmp.mkdir()
            env = {
                **scrubbed_environment(),  # not the host's: CI secrets stay out of a cube's reach (and its log)
                **extra_env,
                "HOME": str(home),
                "TMPDIR": str(tmp),
                "PYTHONDONTWRITEBYTECODE": "1",  # leave the cube's source as it is
                "PYTHONUNBUFFERED": "1",
            }
            visible = plan.gpus.cuda_visible_devices() if plan.gpus is not None else ""
            if visible is not None:
                env["CUDA_VISIBLE_DEVICES"] = visible
            env[MARK_ENV] = secrets.token_hex(8)
            log = CappedLog(log_path, self.limits.log_limit)
            held = slots.take()  # its inputs copied above while others ran; now its turn on the cores
            try:
                if not held.granted:
                    return result.not_started()  # cancelled while it waited
                left = self._spawn(result, argv, cwd, env, log)
            finally:
                held.give()
                log.close()
            for m, copy, before in watched:
                changes = differences(before, snapshot(copy))
                for label in m.labels if changes else ():
                    result.input_changes[label] = changes
        finally:
            remove_tree(scratch)
        result.log_tail = read_tail(log_path, self.limits.log_tail_lines)
        if self._stopped.is_set():  # stop() killed it while it ran
            return result.stopped()
        self._judge(result, cube, plan, where)
        if left and result.status != "timeout":
            shown = "; ".join(f"pid {pid}: {cmd}" for pid, cmd in left[:3]) + ("; ..." if len(left) > 3 else "")
            result.fail(F.error(
                LEFT_RUNNING, where,
                f"task {plan.task} left {len(left)} process{'es' if len(left) > 1 else ''} running after it ended "
                f"({shown}); medcube killed {'them' if len(left) > 1 else 'it'}",
                hint="wait for (join) every process and thread the task starts before it exits; in a container they "
                "are killed when the task ends and whatever they were still doing is lost",
            ))
        judge_log(result, plan, log, self.limits.log_limit, where)
        judge_outputs(result, plan, where)
        return result

    def _spawn(self, result: TaskResult, argv, cwd, env, log: CappedLog) -> list[tuple[int, str]]:
        """Run the task, its output through the log limit; returns the processes it left running when it ended
        (killed since)."""
        timeout = self.limits.timeout
        timed_out = threading.Event()
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as e:
            result.seconds = time.monotonic() - started
            result.message = f"could not start {argv[0]}: {e}"
            result.findings.append(F.error(LOCAL_UNSUPPORTED, result.cube, result.message))
            result.status = "error"
            return []
        with self._lock:
            self._live.add(proc.pid)
            if self._stopped.is_set():  # stop() came while it started: it never runs on
                killpg(proc.pid)
        output = proc.stdout
        assert output is not None  # stdout=PIPE
        reader = threading.Thread(target=pump, args=(output, log), daemon=True)
        reader.start()

        def kill():
            timed_out.set()
            killpg(proc.pid)

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.daemon = True
            timer.start()
        left: list[tuple[int, str]] = []
        try:
            # Wait without reaping: while the task is a zombie its pid, and so its process group id, cannot be
            # given to another process, so killing the group below can only reach what the task started.
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        except BaseException:
            killpg(proc.pid)
            raise
        finally:
            if timer:
                timer.cancel()
                timer.join()
            left = kill_marked(env[MARK_ENV], proc.pid)  # whatever the task left running, in its session or not
            with self._lock:
                self._live.discard(proc.pid)  # before it is reaped: stop() never signals a pid given to another
            _, status, usage = os.wait4(proc.pid, 0)  # now reap it
            proc.returncode = os.waitstatus_to_exitcode(status)
            reader.join(timeout=5)
            output.close()
        result.seconds = time.monotonic() - started
        result.exit_code = proc.returncode
        result.peak_memory_bytes = usage.ru_maxrss * 1024
        result.peak_memory_source = "getrusage ru_maxrss of the task process"
        result.status = "timeout" if timed_out.is_set() else "failed"  # judged by _judge
        return left

    def _judge(self, result: TaskResult, cube: Cube, plan: RunPlan, where: str) -> None:
        if result.status == "error":  # could not start: already said
            return
        if result.status == "timeout":
            assert self.limits.timeout is not None  # only a timer set from --timeout kills a task for time
            result.timed_out(self.limits.timeout, where)
            return
        hint = None
        if "ModuleNotFoundError" in result.log_tail or "ImportError" in result.log_tail:
            hint = (
                f"the local runner uses this Python ({self.python}): install the cube's requirements into it, "
                "or use --runner docker"
            )
        elif _unpassed_mounts(plan):
            hint = (
                f"full log: {result.log_path}; note: {', '.join(_unpassed_mounts(plan))} reach the task only as "
                "mount paths, which exist inside a container but not here (the local runner maps paths given in "
                "arguments and environment): use --runner docker"
            )
        judge_exit(result, plan, where, hint=hint)


def _unpassed_mounts(plan: RunPlan) -> list[str]:
    """Mount paths that appear in neither the arguments nor the environment of a task."""
    text = " ".join([*(plan.entrypoint or []), *(plan.args or []), *plan.environment.values()])
    return [m.container for m in plan.mounts if m.container not in text]


class _Unsupported(MedcubeError):
    """The local runner cannot reproduce this entrypoint (a finding, MC616)."""


def _copy_read_only(src: Path, dst: Path) -> None:
    """Copy an input and take write permission away, so a task that writes into its inputs fails as in a container
    (for a non-root user; root ignores permissions, but the original stays untouched either way)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir() and not src.is_symlink():
        hostfs.copytree(src, dst)  # links and special files are not copied (nor followed)
        for root, _dirs, files in os.walk(dst):
            for name in files:
                p = os.path.join(root, name)
                if not os.path.islink(p):
                    os.chmod(p, stat.S_IMODE(os.lstat(p).st_mode) & ~0o222)
            os.chmod(root, stat.S_IMODE(os.lstat(root).st_mode) & ~0o222)
    else:
        with os.fdopen(hostfs.open_regular(src), "rb") as fin, open(dst, "wb") as fout:  # not through a link
            shutil.copyfileobj(fin, fout)
            os.chmod(dst, stat.S_IMODE(os.fstat(fin.fileno()).st_mode) & ~0o222)
        os.chmod(dst.parent, 0o555)
