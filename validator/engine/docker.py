"""Run one planned task in a container, the way a benchmark runs it.

No network, an unprivileged user, inputs read-only, outputs writable, a writable tmpfs /tmp, limits on time,
memory, cpus and processes; the container is removed afterwards whatever happens (timeout, error, Ctrl-C).
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

from validator import findings as F
from validator.engine.build import build_image
from validator.engine.limits import Limits, gpus_text, human_size
from validator.engine.logcap import CappedLog
from validator.engine.plan import RunPlan
from validator.engine.result import (
    NO_GPU,
    OOM,
    PIDS_LIMIT,
    START_FAILED,
    BuildResult,
    TaskResult,
    tail,
)
from validator.engine.runner import judge_exit, judge_log, judge_outputs, prepare_outputs
from validator.engine.spec import ContainerSpec
from validator.manifest.model import Cube

RUN_LABEL = "org.medcube.run"  # every container medcube starts carries it, to find leftovers
_MEMORY_POLL_S = (0.01, 0.05)  # seconds between reads of the cgroup's high-water mark: first 2 s, then
_PIDS_POLL_S = 0.1  # seconds between reads of the pids cgroup's event counter
# What a process says when it cannot fork because the pids limit is reached (Python, glibc, shells).
_FORK_FAILED = re.compile(
    r"BlockingIOError: \[Errno 11\]|Resource temporarily unavailable|Cannot fork|can't fork|fork: retry|"
    r"can't start new thread|Cannot allocate memory.*fork",
    re.IGNORECASE,
)


class DockerRunner:
    name = "docker"
    builds_images = True
    watch_inputs = False  # inputs are mounted read-only: the inputs probe hashes the originals

    def __init__(self, client, limits: Limits | None = None, run_id: str = "medcube"):
        self.client = client
        self.limits = limits or Limits()
        self.run_id = run_id
        self._cgroup = None
        self._images: dict[str, str] = {}  # cube folder -> id of the image build() made or checked for it

    # -- build ------------------------------------------------------------------------------------------------------
    def build(self, cube: Cube, *, base_image=None, rebuild=False, log_dir=None, console=None) -> BuildResult:
        result = build_image(self.client, cube, base_image=base_image, rebuild=rebuild, log_dir=log_dir,
                             console=console, limits=self.limits)
        if result.image_id:
            self._images[str(cube.path)] = result.image_id  # what run() starts, whatever the tag names later
        return result

    # -- run --------------------------------------------------------------------------------------------------------
    def spec(self, plan: RunPlan) -> ContainerSpec:
        """The container a task runs in (rendered as the `docker run` line in reports, and as the SDK call)."""
        return ContainerSpec.for_task(plan, self.limits, {RUN_LABEL: self.run_id, "org.medcube.task": plan.task})

    def command(self, plan: RunPlan) -> list[str]:
        """The `docker run` command line equivalent to what run() does."""
        return self.spec(plan).cli()

    def run(self, cube: Cube, plan: RunPlan, log_path: Path) -> TaskResult:
        import dataclasses

        import docker

        built = self._images.get(str(cube.path))
        if built:  # the image this runner built for the cube, by id: never what its tag names now
            plan = dataclasses.replace(plan, image=built)
        lim = self.limits
        spec = self.spec(plan)
        uid, gid = lim.run_user()
        result = TaskResult.starting(cube, plan, log_path, runner="docker", image=plan.image, image_built=True,
                                     command=spec.cli())
        prepare_outputs(plan, uid, gid)
        log_path = Path(log_path)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        gpus = spec.gpus
        kwargs = spec.sdk_kwargs()

        container = None
        log = _LogPump(log_path, lim.log_limit)
        peak = None
        pids = None
        timed_out = False
        started = time.monotonic()
        try:
            try:
                container = self.client.containers.create(**kwargs)
                log.attach(container)  # before start: nothing is missed
                peak = _PeakMemory(self.client, container, self._cgroup_layout())
                pids = _PidsWatch(container, self._cgroup_layout())
                container.start()
                peak.start()
                pids.start()
            except docker.errors.APIError as e:
                result.seconds = time.monotonic() - started
                self._start_failed(result, cube, plan, e, gpus)
                return result
            try:
                status = container.wait(timeout=lim.timeout)
                exit_code = status.get("StatusCode")
            except Exception as e:  # requests' ReadTimeout / ConnectionError when the wait outlives the timeout
                if not _is_timeout(e):
                    raise
                timed_out = True
                exit_code = None
                try:
                    container.kill()
                except docker.errors.APIError:
                    pass
            result.seconds = time.monotonic() - started
            peak.stop()
            pids.stop()
            oom = False
            try:
                container.reload()
                state = container.attrs.get("State", {})
                oom = bool(state.get("OOMKilled"))
                if exit_code is None and not timed_out:
                    exit_code = state.get("ExitCode")
            except docker.errors.APIError:
                pass
            log.finish()
            if log.broken:
                log.replace(_logs(container))  # the stream broke (a long silence outlived the socket timeout)
            result.exit_code = exit_code
            result.peak_memory_bytes, result.peak_memory_source = peak.value()
            result.log_tail = tail(log.text(), lim.log_tail_lines)
            self._judge(result, cube, plan, timed_out, oom)
            self._judge_limits(result, cube, plan, pids.failures, log)
            judge_outputs(result, plan, cube.rel(cube.config_file))
            return result
        finally:
            if peak is not None:
                peak.stop()
            if pids is not None:
                pids.stop()
            if container is not None:
                _remove(container)
            log.finish()

    def cleanup(self) -> list[str]:
        """Remove every container this runner started that is still there (a safety net: run() removes its own).
        Returns their ids."""
        gone = []
        try:
            left = self.client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={self.run_id}"})
        except Exception:
            return gone
        for c in left:
            _remove(c)
            gone.append(c.id)
        return gone

    # -- helpers ----------------------------------------------------------------------------------------------------
    def _cgroup_layout(self):
        if self._cgroup is None:
            try:
                info = self.client.info()
                self._cgroup = (str(info.get("CgroupVersion") or "1"), str(info.get("CgroupDriver") or "cgroupfs"))
            except Exception:
                self._cgroup = ("1", "cgroupfs")
        return self._cgroup

    def _start_failed(self, result: TaskResult, cube: Cube, plan: RunPlan, e: Exception, gpus) -> None:
        text = str(getattr(e, "explanation", None) or e)
        where = cube.rel(cube.config_file)
        if "capabilities: [[gpu]]" in text or "could not select device driver" in text:
            result.message = (
                f"GPUs were requested (--gpus {gpus_text(gpus)}) but this Docker engine has no GPU runtime "
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

    def _judge(self, result: TaskResult, cube: Cube, plan: RunPlan, timed_out: bool, oom: bool) -> None:
        where = cube.rel(cube.config_file)
        lim = self.limits
        if timed_out:
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
                      log: "_LogPump") -> None:
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


def _logs(container) -> bytes | None:
    try:
        return container.logs(stdout=True, stderr=True)
    except Exception:
        return None


def _is_timeout(e: Exception) -> bool:
    import requests

    if isinstance(e, (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError)):
        return True
    return "timed out" in str(e).lower()


def _remove(container) -> None:
    """Remove the container, retrying once: a container must never outlive its task."""
    for attempt in range(3):
        try:
            container.remove(force=True, v=True)
            return
        except Exception as e:  # NotFound: already gone
            if "No such container" in str(e) or "404" in str(e):
                return
            if attempt == 2:
                raise
            time.sleep(0.2)


class _LogPump:
    """Streams a container's output to a file, up to the log limit (validator.engine.logcap)."""

    def __init__(self, path: Path, limit: int | None = None):
        self.path = Path(path)
        self.limit = limit
        self._log: CappedLog | None = None
        self._thread = None
        self._stream = None
        self.broken = False

    def attach(self, container) -> None:
        self._log = CappedLog(self.path, self.limit)
        self._stream = container.attach(stdout=True, stderr=True, stream=True, logs=True)
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        try:
            for chunk in self._stream:
                self._log.write(chunk)
        except Exception:
            self.broken = True

    def finish(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._stream is not None:
            try:
                self._stream.close()
            except Exception:
                pass
        if self._log is not None:
            self._log.close()

    def replace(self, data: bytes | None) -> None:
        """Write the whole log again from the engine's copy."""
        if data is None or self._log is None:
            return
        self._log.replace(data)
        self._log.close()

    @property
    def truncated(self) -> bool:
        return self._log is not None and self._log.truncated

    @property
    def total(self) -> int:
        return self._log.total if self._log is not None else 0

    def text(self) -> str:
        return self._log.text() if self._log is not None else ""


class _PidsWatch:
    """How many process creations the pids cgroup refused (its `pids.events` max counter), polled while the
    container runs. None when the engine's cgroups are not readable from here (a remote engine): the log is
    read for fork failures instead."""

    def __init__(self, container, layout):
        self.container = container
        self.version = layout[0]
        self._stop = threading.Event()
        self._thread = None
        self.failures: int | None = None

    def _file(self) -> Path | None:
        cid = self.container.id
        roots = ([Path("/sys/fs/cgroup/system.slice") / f"docker-{cid}.scope", Path("/sys/fs/cgroup/docker") / cid]
                 if self.version == "2" else
                 [Path("/sys/fs/cgroup/pids/docker") / cid, Path("/sys/fs/cgroup/pids/system.slice") / f"docker-{cid}.scope"])
        for r in roots:
            if (r / "pids.events").exists():
                return r / "pids.events"
        return None

    def start(self) -> None:
        path = self._file()
        if path is None:
            return
        self.failures = 0
        self._thread = threading.Thread(target=self._poll, args=(path,), daemon=True)
        self._thread.start()

    def _poll(self, path: Path) -> None:
        while True:
            try:
                for line in path.read_text().splitlines():
                    key, _, value = line.partition(" ")
                    if key == "max" and value.strip().isdigit():
                        self.failures = max(self.failures or 0, int(value))
            except OSError:
                return  # the cgroup is gone: the container has exited
            if self._stop.wait(_PIDS_POLL_S):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=1)


class _PeakMemory:
    """Best-effort peak memory of a running container: the cgroup's own high-water mark when the engine runs on
    this machine (polled), else the maximum of the stats API's samples."""

    def __init__(self, client, container, layout):
        self.client = client
        self.container = container
        self.version, self.driver = layout
        self._stop = threading.Event()
        self._thread = None
        self._peak = None
        self._source = None

    def _files(self) -> list[tuple[Path, str]]:
        cid = self.container.id
        if self.version == "2":
            roots = [Path("/sys/fs/cgroup/system.slice") / f"docker-{cid}.scope", Path("/sys/fs/cgroup/docker") / cid]
            out = []
            for r in roots:
                out += [(r / "memory.peak", "cgroup v2 memory.peak"), (r / "memory.current", "cgroup v2 memory.current, sampled")]
            return out
        roots = [
            Path("/sys/fs/cgroup/memory/docker") / cid,
            Path("/sys/fs/cgroup/memory/system.slice") / f"docker-{cid}.scope",
        ]
        return [(r / "memory.max_usage_in_bytes", "cgroup v1 memory.max_usage_in_bytes") for r in roots]

    def start(self) -> None:
        for path, source in self._files():
            if path.exists():
                self._source = source
                self._thread = threading.Thread(target=self._poll_file, args=(path,), daemon=True)
                break
        else:
            self._source = "docker stats, sampled"
            self._thread = threading.Thread(target=self._poll_stats, daemon=True)
        self._thread.start()

    def _record(self, value) -> None:
        if isinstance(value, int) and value > 0 and (self._peak is None or value > self._peak):
            self._peak = value

    def _poll_file(self, path: Path) -> None:
        # The high-water mark only grows, so the last read before the cgroup goes away is the peak (minus
        # whatever the last few milliseconds added): poll often while tasks are young, then relax.
        t0 = time.monotonic()
        while True:
            try:
                self._record(int(path.read_text().strip()))
            except (OSError, ValueError):
                return  # the cgroup is gone: the container has exited
            fast, slow = _MEMORY_POLL_S
            if self._stop.wait(fast if time.monotonic() - t0 < 2 else slow):
                return

    def _poll_stats(self) -> None:
        try:
            for s in self.container.stats(stream=True, decode=True):
                mem = s.get("memory_stats") or {}
                self._record(mem.get("max_usage") or mem.get("usage"))
                if self._stop.is_set():
                    return
        except Exception:
            return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread.is_alive() and self._source and "stats" not in self._source:
            self._thread.join(timeout=1)

    def value(self) -> tuple[int | None, str | None]:
        return self._peak, (self._source if self._peak is not None else None)
