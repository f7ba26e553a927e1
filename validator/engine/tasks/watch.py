"""What medcube watches while a container runs: its output (streamed to a capped log), the processes the pids
cgroup refused to create, and its peak memory. Each watcher runs in a thread of its own and stops with the
container."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from validator.engine.client.api import Engine, OutputStream
from validator.engine.tasks import cgroups
from validator.engine.tasks.logcap import CappedLog

_MEMORY_POLL_S = (0.01, 0.05)  # seconds between samples of the cgroup's memory: first 2 s, then
_PIDS_POLL_S = 0.1  # seconds between reads of the pids cgroup's event counter


# Where the container's cgroups are: (cgroup version "1"/"2", driver, engine "docker"/"podman", rootless uid or None)
Layout = tuple[str, str, str, int | None]


class LogPump:
    """Streams a container's output to a file, up to the log limit (validator.engine.tasks.logcap)."""

    def __init__(self, path: Path, limit: int | None = None):
        self.path = Path(path)
        self.limit = limit
        self._log: CappedLog | None = None
        self._thread: threading.Thread | None = None
        self._stream: OutputStream | None = None
        self.broken = False

    def attach(self, engine: Engine, container: str) -> None:
        self._log = CappedLog(self.path, self.limit)
        self._stream = engine.attach(container)
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        try:
            log, stream = self._log, self._stream
            assert log is not None and stream is not None  # attach() opens both before it starts this thread
            for chunk in stream:
                log.write(chunk)
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


class PidsWatch:
    """How many process creations the pids cgroup refused (its `pids.events` max counter), polled while the
    container runs. None when the engine's cgroups are not readable from here (a remote engine): the log is
    read for fork failures instead."""

    def __init__(self, container: str, layout: Layout) -> None:
        self.container = container  # its id
        self.layout = layout
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures: int | None = None

    def _file(self) -> Path | None:
        version, _, engine, uid = self.layout
        return cgroups.find(self.container, "pids", version, engine, uid, "pids.events")

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


# memory.stat's counts of what a task's processes hold: anonymous memory, mapped files (its programs and libraries),
# shared memory and tmpfs files; page cache of files merely read or written is not counted (the kernel takes it back)
_HELD = {"1": (b"total_rss", b"total_mapped_file", b"total_shmem"), "2": (b"anon", b"file_mapped", b"shmem")}


def _held(stat_file: Path, version: str) -> int | None:
    """What the cgroup's processes hold (the sum of _HELD's counts of memory.stat), or None when unreadable."""
    keys = _HELD["2" if version == "2" else "1"]
    total, seen = 0, 0
    try:
        with open(stat_file, "rb") as f:
            for line in f:
                name, _, value = line.partition(b" ")
                if name in keys:
                    total += int(value)
                    seen += 1
    except (OSError, ValueError):
        return None
    return total if seen else None


class PeakMemory:
    """Best-effort peak memory of a running container: what its processes hold (anonymous memory, mapped files,
    shared memory: what `ps` calls resident, summed over the container without counting a shared page twice), from
    its cgroup's memory.stat, sampled while it runs. The page cache of the files it reads and writes is left out (the
    kernel takes it back before the task would run out of memory; it grows with the data, not with what the task
    needs), and kept apart in `with_cache`: the cgroup's own high-water mark, page cache included. Without readable
    cgroups (a remote engine): the stats API's samples (usage less inactive page cache, as `docker stats` shows)."""

    def __init__(self, engine: Engine, container: str, layout: Layout):
        self.engine = engine
        self.container = container  # its id
        self.version, self.driver, self.engine_name, self.uid = layout
        self.oom_kills: int | None = None  # the kernel's OOM kills in the container's memory cgroup, as last read
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._peak: int | None = None
        self._source: str | None = None
        self.with_cache: int | None = None  # the cgroup's high-water mark, page cache included (None: unknown)

    def _dir(self) -> Path | None:
        usage = "memory.current" if self.version == "2" else "memory.usage_in_bytes"
        for d in cgroups.dirs(self.container, "memory", self.version, self.engine_name, self.uid):
            if (d / usage).exists() and (d / "memory.stat").exists():
                return d
        return None

    def start(self) -> None:
        where = self._dir()
        if where is not None:
            self._source = (f"cgroup v{'2' if self.version == '2' else '1'} memory.stat "
                            f"{' + '.join(k.decode() for k in _HELD['2' if self.version == '2' else '1'])} "
                            "(resident, page cache left out), sampled")
            self._sample(where)  # one read now: a short task may be gone before the thread is first scheduled
            self._thread = threading.Thread(target=self._poll_file, args=(where,), daemon=True)
        else:
            self._source = "docker stats (usage less inactive page cache), sampled"
            self._thread = threading.Thread(target=self._poll_stats, daemon=True)
        self._thread.start()

    def _record(self, value) -> None:
        if isinstance(value, int) and value > 0 and (self._peak is None or value > self._peak):
            self._peak = value

    def _sample(self, where: Path) -> bool:
        """One sample of the working set and the high-water mark; False once the cgroup is gone."""
        v2 = self.version == "2"
        try:
            usage = int((where / ("memory.current" if v2 else "memory.usage_in_bytes")).read_text())
            high = int((where / ("memory.peak" if v2 else "memory.max_usage_in_bytes")).read_text())
        except FileNotFoundError:
            if not where.exists():
                return False
            high = usage  # v2 before Linux 5.19: no memory.peak
        except (OSError, ValueError):
            return False
        held = _held(where / "memory.stat", self.version)
        self._record(min(held, usage) if held is not None else usage)
        self.with_cache = max(self.with_cache or 0, high, usage)
        return True

    def _poll_file(self, where: Path) -> None:
        # Sampled: poll often while tasks are young, then relax; the last sample before the cgroup goes away ends it.
        t0 = time.monotonic()
        while True:
            if not self._sample(where):
                return  # the cgroup is gone: the container has exited
            kills = cgroups.oom_kills(where, self.version)
            if kills is not None:
                self.oom_kills = max(self.oom_kills or 0, kills)
            fast, slow = _MEMORY_POLL_S
            if self._stop.wait(fast if time.monotonic() - t0 < 2 else slow):
                return

    def _poll_stats(self) -> None:
        try:
            for s in self.engine.stats(self.container):
                mem = s.get("memory_stats") or {}
                usage, stats = mem.get("usage"), mem.get("stats") or {}
                inactive = stats.get("inactive_file", stats.get("total_inactive_file"))
                if isinstance(usage, int):
                    self._record(usage - inactive if isinstance(inactive, int) and inactive < usage else usage)
                    self.with_cache = max(self.with_cache or 0, mem.get("max_usage") or usage)
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
