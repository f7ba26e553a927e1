"""Run one planned task in a container, the way a benchmark runs it.

No network, an unprivileged user, inputs read-only, outputs writable, a writable tmpfs /tmp, limits on time,
memory, cpus and processes; the container is removed afterwards whatever happens (timeout, error, Ctrl-C).
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

from validator import findings as F
from validator.engine.build import build_image
from validator.engine.limits import Limits, gpus_text, human_size, parse_gpus
from validator.engine.logcap import CappedLog, log_limit_finding
from validator.engine.plan import RunPlan
from validator.engine.result import (
    EXIT_NONZERO,
    NO_GPU,
    OOM,
    PIDS_LIMIT,
    START_FAILED,
    BuildResult,
    TaskResult,
    tail,
)
from validator.manifest.model import Cube

RUN_LABEL = "org.medcube.run"  # every container medcube starts carries it, to find leftovers
TMPFS_OPTIONS = "rw,exec,nosuid,nodev,mode=1777"
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

    def __init__(self, client, limits: Limits | None = None, run_id: str = "medcube"):
        self.client = client
        self.limits = limits or Limits()
        self.run_id = run_id
        self._cgroup = None

    # -- build ------------------------------------------------------------------------------------------------------
    def build(self, cube: Cube, *, base_image=None, rebuild=False, log_dir=None, console=None) -> BuildResult:
        return build_image(self.client, cube, base_image=base_image, rebuild=rebuild, log_dir=log_dir, console=console)

    # -- run --------------------------------------------------------------------------------------------------------
    def command(self, plan: RunPlan) -> list[str]:
        """The `docker run` command line equivalent to what run() does."""
        uid, gid = self.limits.run_user()
        lim = self.limits
        cmd = ["docker", "run", "--rm", "--network", "none", "--user", f"{uid}:{gid}"]
        cmd += ["--tmpfs", f"/tmp:{TMPFS_OPTIONS}", "--security-opt", "no-new-privileges"]
        if lim.memory:
            cmd += ["--memory", str(lim.memory), "--memory-swap", str(lim.memory)]
        if lim.cpus:
            cmd += ["--cpus", f"{lim.cpus:g}"]
        if lim.pids:
            cmd += ["--pids-limit", str(lim.pids)]
        if lim.log_limit:
            cmd += ["--log-driver", "json-file", "--log-opt", f"max-size={lim.log_limit}", "--log-opt", "max-file=1"]
        gpus = parse_gpus(plan.gpus)
        if gpus is not None:
            cmd += ["--gpus", gpus_text(gpus)]
        return cmd + plan.docker_args() + plan.image_argv()

    def run(self, cube: Cube, plan: RunPlan, log_path: Path) -> TaskResult:
        import docker
        from docker.types import DeviceRequest, Mount

        lim = self.limits
        uid, gid = lim.run_user()
        result = TaskResult.starting(cube, plan, log_path, runner="docker", image=plan.image, image_built=True,
                                     command=self.command(plan))
        prepare_outputs(plan, uid, gid)
        log_path = Path(log_path)
        log_path.parent.mkdir(parents=True, exist_ok=True)

        gpus = parse_gpus(plan.gpus)
        device_requests = None
        if gpus == "all":
            device_requests = [DeviceRequest(count=-1, capabilities=[["gpu"]])]
        elif isinstance(gpus, int):
            device_requests = [DeviceRequest(count=gpus, capabilities=[["gpu"]])]
        elif isinstance(gpus, list):
            device_requests = [DeviceRequest(device_ids=gpus, capabilities=[["gpu"]])]

        kwargs = dict(
            image=plan.image,
            command=plan.args,
            entrypoint=plan.entrypoint,
            user=f"{uid}:{gid}",
            network_mode="none",
            mounts=[Mount(m.container, str(m.host), type="bind", read_only=m.read_only) for m in plan.mounts],
            tmpfs={"/tmp": TMPFS_OPTIONS},
            environment=plan.environment or None,
            security_opt=["no-new-privileges"],
            labels={RUN_LABEL: self.run_id, "org.medcube.task": plan.task},
            detach=True,
        )
        if lim.memory:
            kwargs.update(mem_limit=lim.memory, memswap_limit=lim.memory)
        if lim.cpus:
            kwargs["nano_cpus"] = int(lim.cpus * 1e9)
        if lim.pids:
            kwargs["pids_limit"] = lim.pids
        if lim.log_limit:  # the engine's own copy of the log is capped too
            kwargs["log_config"] = {"type": "json-file", "config": {"max-size": str(lim.log_limit), "max-file": "1"}}
        if plan.shm_size:
            kwargs["shm_size"] = plan.shm_size
        if device_requests:
            kwargs["device_requests"] = device_requests

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
        elif result.exit_code == 0:
            result.status = "passed"
        else:
            result.status = "failed"
            code = result.exit_code
            last = last_error_line(result.log_tail)
            killed = " (killed by a signal)" if code is not None and code > 128 else ""
            result.message = f"exit code {code}{killed}" + (f": {last}" if last else "")
            result.findings.append(
                F.error(
                    EXIT_NONZERO,
                    where,
                    f"task {plan.task} exited with code {code}{killed}" + (f": {last}" if last else ""),
                    hint=f"full log: {result.log_path}",
                )
            )


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
        if log.truncated:
            short = f"wrote {human_size(log.total)} of log, over --log-limit"
            result.message = short if result.status == "passed" else f"{short}; {result.message}"
            result.fail(log_limit_finding(plan.task, log.total, lim.log_limit, result.log_path, where))


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


def prepare_outputs(plan: RunPlan, uid: int, gid: int) -> None:
    """Create the output folders and files and make them writable to the user the task runs as."""
    for m in plan.mounts:
        if m.read_only:
            continue
        if m.type == "directory":
            m.host.mkdir(parents=True, exist_ok=True)
        else:
            m.host.parent.mkdir(parents=True, exist_ok=True)
            m.host.touch(exist_ok=True)  # a file bind mount needs the file (MedPerf creates it too)
        _give(m.host, uid, gid)


def _give(path: Path, uid: int, gid: int) -> None:
    if os.getuid() == 0:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                for name in dirs + files:
                    os.lchown(os.path.join(root, name), uid, gid)
        os.chown(path, uid, gid)
    elif uid != os.getuid():
        path.chmod(0o777 if path.is_dir() else 0o666)


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
