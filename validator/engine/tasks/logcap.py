"""A task's log: streamed to disk up to a limit, its end always kept in memory.

A task that floods its output must neither fill the disk nor the memory of the machine running it. The file gets
the first ``limit`` bytes; past that, writing stops (the stream is still drained, so the task never blocks), and when
the log is closed a note saying how much was cut is written, followed by the last part of the log (where the error
usually is). Memory holds at most ``memory_cap`` bytes: the end of the log.
"""

from __future__ import annotations

import collections
import threading
from pathlib import Path

from validator import findings as F
from validator.codes import LOG_LIMIT
from validator.engine.limits import human_size

MEMORY_CAP = 256 * 1024  # bytes of the end of a log kept in memory


class CappedLog:
    def __init__(self, path: Path, limit: int | None = None, memory_cap: int = MEMORY_CAP):
        self.path = Path(path)
        self.limit = limit
        self.memory_cap = memory_cap
        self.total = 0  # bytes the task wrote
        self.written = 0  # bytes of them on disk (before the note and the tail)
        self._chunks: collections.deque[bytes] = collections.deque()
        self._size = 0
        self._lock = threading.Lock()
        self._file = open(self.path, "wb")

    @property
    def truncated(self) -> bool:
        return self.total > self.written

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        with self._lock:
            self.total += len(chunk)
            self._chunks.append(chunk)
            self._size += len(chunk)
            while self._size > self.memory_cap and len(self._chunks) > 1:
                self._size -= len(self._chunks.popleft())
            if self._file.closed:
                return
            room = len(chunk) if self.limit is None else max(0, self.limit - self.written)
            if room:
                part = chunk[:room]
                self._file.write(part)
                self.written += len(part)

    def _tail_bytes(self) -> bytes:
        data = b"".join(self._chunks)
        return data[-self.memory_cap:]

    def close(self) -> None:
        with self._lock:
            if self._file.closed:
                return
            if self.truncated:
                tail = self._tail_bytes()
                start = self.total - len(tail)  # offset of the tail in the whole log
                if start < self.written:
                    tail = tail[self.written - start:]
                self._file.write(
                    (f"\n[medcube: log cut at {human_size(self.limit)} (--log-limit): the task wrote "
                     f"{human_size(self.total)} in all; its last {human_size(len(tail))} follow]\n").encode()
                )
                self._file.write(tail)
            self._file.close()

    def replace(self, data: bytes | None) -> None:
        """Start over from a complete copy of the log (the engine's own), under the same limit."""
        if data is None:
            return
        with self._lock:
            if not self._file.closed:
                self._file.close()
            self._file = open(self.path, "wb")
            self.total = self.written = self._size = 0
            self._chunks.clear()
        for i in range(0, len(data), 1 << 20):
            self.write(data[i:i + (1 << 20)])

    def text(self) -> str:
        with self._lock:
            return self._tail_bytes().decode("utf-8", "replace")


def log_limit_finding(task: str, total: int, limit: int | None, log_path, where: str) -> F.Finding:
    """The finding for a task whose log went over --log-limit."""
    return F.error(
        LOG_LIMIT,
        where,
        f"task {task} wrote {human_size(total)} of log, more than the --log-limit of {human_size(limit)}: "
        f"the log on disk keeps the first {human_size(limit)} and the end. An error, not a cosmetic issue: MedPerf "
        "reads a container's output line by line and slows down sharply on long logs (90k lines took minutes, "
        "600k lines did not finish)",
        hint="log a line per batch or per case, not per pixel or per step, and no debug output by default; on a "
        f"hospital's full dataset this log would be far larger (raise --log-limit only if it is needed; log: {log_path})",
    )
