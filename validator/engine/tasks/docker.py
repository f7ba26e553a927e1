"""Run one planned task in a container, the way a benchmark runs it.

No network, an unprivileged user, inputs read-only, outputs writable, a writable tmpfs /tmp, limits on time,
memory, cpus and processes; the container is removed afterwards whatever happens (timeout, error, Ctrl-C).

Its length (a little over 400 lines) is one container's life, kept in one place: created (or made ready ahead),
started, waited for, judged, removed, with each way the engine or a signal can end it on the way.
"""

from __future__ import annotations

import dataclasses
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from validator import findings as F
from validator.codes import ENGINE_LOST, LIMITS_NOT_ENFORCED, NO_GPU, OOM, PIDS_LIMIT, START_FAILED
from validator.engine.client.api import Engine, EngineError, EngineTimeout
from validator.engine.client.kind import PODMAN_NOFILE, EngineFacts, learn
from validator.engine.images.build import build_image
from validator.engine.limits import Limits, human_size
from validator.engine.result import BuildResult, TaskResult, tail
from validator.engine.tasks import slots
from validator.engine.tasks.enginelost import what_happened
from validator.engine.tasks.plan import RunPlan
from validator.engine.tasks.runner import judge_exit, judge_log, judge_outputs, prepare_outputs
from validator.engine.tasks.spec import ContainerSpec
from validator.engine.tasks.watch import LogPump, PeakMemory, PidsWatch
from validator.manifest.model import Cube

RUN_LABEL = "org.medcube.run"  # every container medcube starts carries it, to find leftovers
# What a process says when it cannot fork because the pids limit is reached (Python, glibc, shells).
_FORK_FAILED = re.compile(
    r"BlockingIOError: \[Errno 11\]|Resource temporarily unavailable|Cannot fork|can't fork|fork: retry|"
    r"can't start new thread|Cannot allocate memory.*fork",
    re.IGNORECASE,
)


@dataclasses.dataclass
class _Ready:
    """A container created (not started) for the task that runs next, its log already attached."""

    body: dict[str, Any]
    log_path: Path
    container: str  # its id
    log: LogPump


class DockerRunner:
    name = "docker"
    watch_inputs = False  # inputs are mounted read-only: the inputs probe hashes the originals
    engine_back_s = 30.0  # the engine lost while a task ran: how long medcube waits for it to answer again

    def __init__(self, engine: Engine, limits: Limits | None = None, run_id: str = "medcube"):
        self.engine = engine
        self.limits = limits or Limits()
        self.run_id = run_id
        self._facts: EngineFacts | None = None
        self._unenforced_said = False  # the limits this engine cannot enforce: said once a run
        self._images: dict[str, str] = {}  # cube folder -> id of the image build() made or checked for it
        self._next: tuple[Cube, Callable[[], RunPlan], Path] | None = None  # ahead(): the task after the current one
        self._ready: _Ready | None = None  # its container, once created
        self._readying: threading.Thread | None = None
        self._stopped = threading.Event()  # stop(): no container starts any more (shared with the runners beside)

    def beside(self) -> DockerRunner:
        """A runner for tasks beside this one's (the probes'): the same engine, limits, run id (cleanup() sweeps its
        containers too) and images, without this runner's next container made ready ahead (that is for its own)."""
        other = DockerRunner(self.engine, self.limits, self.run_id)
        other._images, other._facts = self._images, self._facts  # read only once the builds are done
        other._unenforced_said = True  # the chain's runner says it, before any probe runs
        other.watch_inputs = self.watch_inputs
        other._stopped = self._stopped  # one stop() stops both
        return other

    # -- build ------------------------------------------------------------------------------------------------------
    def build(self, cube: Cube, *, base_image=None, rebuild=False, log_dir=None, console=None, pull=False,
              verbose=False) -> BuildResult:
        result = build_image(self.engine, cube, base_image=base_image, rebuild=rebuild, log_dir=log_dir,
                             console=console, pull=pull, verbose=verbose, limits=self.limits)
        if result.image_id:
            self._images[str(cube.path)] = result.image_id  # what run() starts, whatever the tag names later
        return result

    # -- run --------------------------------------------------------------------------------------------------------
    def facts(self) -> EngineFacts:
        """The engine that answers (validator.engine.client.kind): Docker or Podman, rootful or rootless, its cgroups."""
        if self._facts is None:
            try:
                self._facts = learn(self.engine)
            except Exception:  # an engine that does not say: Docker's ways, every limit assumed
                self._facts = EngineFacts("docker", "?")
        return self._facts

    def run_user(self) -> tuple[int, int]:
        """The task's uid and gid: the limits' (never root); under a rootless Podman (unless MEDCUBE_RUN_USER names
        one), the user the engine runs as, whom keep-id maps into the container (any other uid writes as an
        unmapped id)."""
        facts = self.facts()
        if facts.podman and facts.rootless and not os.environ.get("MEDCUBE_RUN_USER") and facts.uid:
            return facts.uid, facts.gid if facts.gid is not None else facts.uid
        return self.limits.user.ids

    def spec(self, plan: RunPlan) -> ContainerSpec:
        """The container a task runs in (rendered as the `docker run` line in reports, and as the API call)."""
        spec = ContainerSpec.for_task(plan, self.limits, {RUN_LABEL: self.run_id, "org.medcube.task": plan.task})
        facts = self.facts()
        if facts.podman:
            uid, gid = self.run_user()
            spec.user = f"{uid}:{gid}"
            spec.program = "podman"
            # Sent with each container: Podman's defaults exceed what runc may set where its service runs with
            # lower hard limits. nproc above --pids, so that the pids cgroup (which medcube reads) is what bites.
            spec.ulimits = {"nofile": PODMAN_NOFILE, "nproc": max(2048, 2 * (self.limits.pids or 1024))}
            if facts.rootless:
                spec.userns = "keep-id"
        return spec

    def command(self, plan: RunPlan) -> list[str]:
        """The `docker run` command line equivalent to what run() does."""
        return self.spec(plan).cli()

    def _container(self, cube: Cube, plan: RunPlan, log_path: Path) -> tuple[RunPlan, ContainerSpec, dict[str, Any]]:
        """(plan, spec, Engine API body) of a task's container, its output folders made ready for the run user."""
        built = self._images.get(str(cube.path))
        if built:  # the image this runner built for the cube, by id: never what its tag names now
            plan = dataclasses.replace(plan, image=built)
        spec = self.spec(plan)
        prepare_outputs(plan, *self.run_user())
        log_path.parent.mkdir(parents=True, exist_ok=True)
        return plan, spec, spec.api_body()

    def ahead(self, cube: Cube, make_plan: Callable[[], RunPlan], log_path: Path) -> None:
        """The task that runs after the next run(): once that run's container has started (and so its output
        folders, this task's inputs, exist), this task's plan is made, its container created and its log attached,
        so that its own run() only starts it (about 10 ms a task). A hint: run() takes that container only for the
        very same arguments and log, and cleanup() removes it when unused."""
        self._next = (cube, make_plan, Path(log_path))

    def _get_next_ready(self) -> None:
        if self._next is None:
            return
        cube, make_plan, log_path = self._next
        self._next = None

        def create() -> None:
            try:
                _, _, body = self._container(cube, make_plan(), log_path)
                container = self.engine.create(body)
                log = LogPump(log_path, self.limits.log_limit)
                try:
                    log.attach(self.engine, container)
                except Exception:
                    _remove(self.engine, container)
                    raise
                self._ready = _Ready(body, log_path, container, log)
            except Exception:  # run() creates it again, and reports what goes wrong then
                self._ready = None

        self._discard_ready()
        self._readying = threading.Thread(target=create, name="medcube-next-container", daemon=True)
        self._readying.start()

    def _join_readying(self) -> None:
        if self._readying is not None:
            self._readying.join()
            self._readying = None

    def _take_ready(self, body: dict[str, Any], log_path: Path) -> _Ready | None:
        self._join_readying()
        ready = self._ready
        if ready is not None and ready.body == body and ready.log_path == log_path:
            self._ready = None
            return ready
        return None  # another run (a probe's): the ready container waits for its own task

    def _discard_ready(self) -> None:
        self._join_readying()
        ready, self._ready = self._ready, None
        if ready is None:
            return
        try:
            _remove(self.engine, ready.container)  # ends its attach stream too
        except Exception:
            pass  # never into the run that called this: cleanup()'s sweep by label removes it
        ready.log.finish()
        try:
            if ready.log_path.stat().st_size == 0:
                ready.log_path.unlink()  # the log of a task that never ran
        except OSError:
            pass

    def run(self, cube: Cube, plan: RunPlan, log_path: Path) -> TaskResult:
        lim = self.limits
        log_path = Path(log_path)
        plan, spec, body = self._container(cube, plan, log_path)
        result = TaskResult.starting(cube, plan, log_path, runner="docker", image=plan.image, image_built=True,
                                     command=spec.cli())
        gpus = spec.gpus
        if self._stopped.is_set():
            return result.not_started()
        ready = self._take_ready(body, log_path)

        container = ready.container if ready is not None else None
        log = ready.log if ready is not None else LogPump(log_path, lim.log_limit)
        peak = None
        pids = None
        held = slots.Held(None, False)
        timed_out = engine_lost = False
        started = time.monotonic()
        try:
            try:
                if container is None:
                    container = self.engine.create(body)
                    log.attach(self.engine, container)  # before start: nothing is missed
                peak = PeakMemory(self.engine, container, self._cgroup_layout())
                pids = PidsWatch(container, self._cgroup_layout())
                held = slots.take()  # made ready above while others ran; now its turn on the cores
                if not held.granted or self._stopped.is_set():
                    return result.not_started()  # cancelled while it waited (removed below)
                started = time.monotonic()  # its time is its run's, not its wait for a slot
                self.engine.start(container)
                if self._stopped.is_set():  # stop() came while it started (its sweep may have missed it)
                    return result.not_started()  # removed below
                peak.start()
                pids.start()
                self._get_next_ready()  # while this one runs
            except EngineError as e:
                result.seconds = time.monotonic() - started
                self._start_failed(result, cube, plan, e, gpus)
                return result
            try:
                exit_code = self.engine.wait(container, lim.timeout).get("StatusCode")
                held.give()  # it has ended: the next run starts while this one is inspected and removed
            except EngineError as e:
                held.give()
                if self._stopped.is_set():  # stop() removed the container while it ran
                    return result.stopped()
                if not isinstance(e, EngineTimeout) or lim.timeout is None:  # the connection broke, the engine died
                    engine_lost = True
                    result.seconds = time.monotonic() - started
                    self._engine_lost(result, cube, plan, e, container)
                    return result
                timed_out = True
                exit_code = None
                try:
                    self.engine.kill(container)
                except EngineError:
                    pass
            result.seconds = time.monotonic() - started
            if self._stopped.is_set():  # stop() removed the container while it ran
                return result.stopped()
            peak.stop()
            pids.stop()
            # Podman says OOMKilled=false after a kernel OOM kill: the cgroup's kill counter, read while it ran
            oom = bool(peak.oom_kills)
            try:
                state = self.engine.inspect(container).get("State") or {}
                oom = oom or bool(state.get("OOMKilled"))
                if exit_code is None and not timed_out:
                    exit_code = state.get("ExitCode")
            except EngineError:
                pass
            log.finish()
            if log.broken:
                log.replace(_logs(self.engine, container))  # the stream broke: the engine's copy instead
            result.exit_code = exit_code
            if self.facts().controllers is None or "memory" in (self.facts().controllers or ()):
                result.peak_memory_bytes, result.peak_memory_source = peak.value()
                result.peak_memory_with_cache_bytes = peak.with_cache
            # else no memory cgroup of its own (rootless Podman on cgroup v1): what its stats say is not the task's
            result.log_tail = tail(log.text(), lim.log_tail_lines)
            self._judge(result, cube, plan, timed_out, oom)
            self._judge_unenforced(result, cube)
            self._judge_limits(result, cube, plan, pids.failures, log)
            judge_outputs(result, plan, cube.rel(cube.config_file))
            return result
        finally:
            held.give()
            if peak is not None:
                peak.stop()
            if pids is not None:
                pids.stop()
            if container is not None:
                try:
                    _remove(self.engine, container)
                except EngineError:
                    if not engine_lost:
                        raise  # an engine that answers but cannot remove it: never silent
            log.finish()

    def stop(self) -> None:
        """The run was cancelled: no container of this run starts any more (nor one of a runner beside this one),
        and every container of the run is removed now; the runs waiting on them end as on a `docker rm -f`."""
        self._stopped.set()
        self.cleanup()

    def cleanup(self) -> list[str]:
        """Remove every container this runner started that is still there (a safety net: run() removes its own),
        and one created ahead for a task that did not run. Returns the ids of the leftovers."""
        self._next = None
        self._discard_ready()
        gone: list[str] = []
        try:
            left = self.engine.containers(f"{RUN_LABEL}={self.run_id}")
        except EngineError:
            return gone
        for cid in left:
            _remove(self.engine, cid)
            gone.append(cid)
        return gone

    # -- helpers ----------------------------------------------------------------------------------------------------
    def _cgroup_layout(self) -> tuple[str, str, str, int | None]:
        f = self.facts()
        return f.cgroup_version, f.cgroup_driver, f.name, f.uid if f.rootless else None

    def _judge_unenforced(self, result: TaskResult, cube: Cube) -> None:
        """The limits asked for that this engine cannot enforce: a warning, once a run, never a silent pass."""
        if self._unenforced_said:
            return
        lim, facts = self.limits, self.facts()
        missing = facts.unenforced(memory=bool(lim.memory), cpus=bool(lim.cpus), pids=bool(lim.pids))
        if not missing:
            return
        self._unenforced_said = True
        result.findings.append(F.warning(
            LIMITS_NOT_ENFORCED, cube.rel(cube.config_file),
            f"the engine ({facts.describe()}) cannot enforce {', '.join(missing)}: the tasks of this run ran "
            "without " + ("that limit" if len(missing) == 1 else "those limits") +
            (" (its cgroup controllers: " + (", ".join(facts.controllers) or "none") + ")"
             if facts.controllers is not None else ""),
            hint="run with rootful Docker or Podman, or on cgroup v2 with the controllers delegated to the user, "
            "to test the cube under the limits the benchmark sets"))

    def _start_failed(self, result: TaskResult, cube: Cube, plan: RunPlan, e: Exception, gpus) -> None:
        text = str(getattr(e, "explanation", None) or e)
        where = cube.rel(cube.config_file)
        if "capabilities: [[gpu]]" in text or "could not select device driver" in text:
            result.message = (
                f"GPUs were requested (--gpus {gpus}) but this Docker engine has no GPU runtime "
                "(nvidia-container-toolkit)"
            )
            result.findings.append(
                F.error(
                    NO_GPU,
                    where,
                    f"task {plan.task}: {result.message}",
                    hint="run without --gpus on this machine, or install the NVIDIA driver and "
                    "nvidia-container-toolkit and restart Docker",
                )
            )
        else:
            result.message = f"the engine could not start the container: {text.strip()[:300]}"
            hint = None
            if "No such image" in text or "not found" in text:
                hint = f"the image {plan.image} is missing: build the cube first (medcube validate CUBE)"
            result.findings.append(F.error(START_FAILED, where, f"task {plan.task}: {result.message}", hint=hint))
        result.status = "error"

    def _engine_lost(self, result: TaskResult, cube: Cube, plan: RunPlan, e: EngineError, container: str) -> None:
        """The wait's connection broke: MC623, saying whether the engine restarted, went away, or only the connection
        broke (validator.engine.tasks.enginelost)."""
        lost = what_happened(self.engine, container, e, self.engine_back_s)
        result.status = "error"
        result.message = f"the Docker engine stopped answering while the task ran: {lost.text}"
        result.findings.append(F.error(
            ENGINE_LOST, cube.rel(cube.config_file), f"task {plan.task}: {result.message}",
            hint="nothing is known of how the task would have ended: check the engine (`docker info`, its log: a "
            "restart, a crash, no disk or memory left) and run again"
            + ("" if lost.answers else "; its container is removed at the end of the run if the engine answers by then")))

    def _judge(self, result: TaskResult, cube: Cube, plan: RunPlan, timed_out: bool, oom: bool) -> None:
        where = cube.rel(cube.config_file)
        lim = self.limits
        if timed_out:
            assert lim.timeout is not None  # the wait only gives up when --timeout set a limit on it
            result.timed_out(lim.timeout, where)
        elif oom:
            result.status = "oom"
            result.message = f"out of memory (limit {human_size(lim.memory)}, --memory)"
            result.findings.append(
                F.error(
                    OOM,
                    where,
                    f"task {plan.task} used more than the --memory limit of {human_size(lim.memory)} and was killed",
                    hint="lower the memory use (batch size, streaming over records) or raise --memory",
                )
            )
        else:
            judge_exit(result, plan, where)

    def _judge_limits(self, result: TaskResult, cube: Cube, plan: RunPlan, fork_failures: int | None,
                      log: LogPump) -> None:
        """The pids and log limits: named in a finding whenever the task ran into them."""
        where = cube.rel(cube.config_file)
        lim = self.limits
        if lim.pids and (fork_failures or (result.status != "passed" and _FORK_FAILED.search(log.text()))):
            seen = f" ({fork_failures} process creations refused)" if fork_failures else ""
            message = (f"task {plan.task} hit the limit of {lim.pids} processes (--pids){seen}: "
                       "it starts processes or threads without end (a fork bomb, or a pool sized by the data)")
            hint = ("bound the number of workers (e.g. min(os.cpu_count(), 8)) and join them; raise --pids only if "
                    "the task really needs that many")
            if result.status == "passed":
                result.findings.append(F.warning(PIDS_LIMIT, where, message, hint=hint))
            else:
                result.findings.insert(0, F.error(PIDS_LIMIT, where, message, hint=hint))
                result.message = f"hit the limit of {lim.pids} processes (--pids); " + result.message
        judge_log(result, plan, log, lim.log_limit, where)


def _logs(engine: Engine, container: str) -> bytes | None:
    try:
        return engine.logs(container)
    except EngineError:
        return None


def _remove(engine: Engine, container: str) -> None:
    """Remove the container, retrying twice: a container must never outlive its task."""
    for attempt in range(3):
        try:
            engine.remove(container)  # one already gone is fine
            return
        except EngineError:
            if attempt == 2:
                raise
            time.sleep(0.2)
