"""The processes a local task starts: its output pumped into a capped log, and every process it started killed
when it ends. Every process a task starts inherits MARK_ENV in its environment, so what is still running when the
task has ended is found by it, even when it left the task's process group (setsid, double fork)."""

from __future__ import annotations

import os
import signal
import time

from validator.engine.tasks.logcap import CappedLog

MARK_ENV = "MEDCUBE_TASK_MARK"


def killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def pump(stream, log: CappedLog) -> None:
    fd = stream.fileno()
    try:
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return
            log.write(chunk)
    except OSError:
        return


def marked(mark: str) -> list[tuple[int, str]]:
    """(pid, command line) of the processes whose environment carries the task's mark."""
    needle = f"{MARK_ENV}={mark}".encode()
    out: list[tuple[int, str]] = []
    me = os.getpid()
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return out
    for pid in pids:
        if pid == me:
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if needle not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except OSError:
            continue
        out.append((pid, cmd[:120] or "?"))
    return out


def kill_marked(mark: str, group: int, grace: float = 1.0) -> list[tuple[int, str]]:
    """Kill the task's process group and every process carrying its mark (until none is left: they may fork
    while being killed). Returns those still running ``grace`` seconds after the task's own process ended
    (helpers such as multiprocessing's resource tracker exit by themselves within milliseconds)."""
    deadline = time.monotonic() + grace
    found = marked(mark)
    while found and time.monotonic() < deadline:
        time.sleep(0.05)
        found = marked(mark)
    killpg(group)
    seen = {pid for pid, _ in found}
    for _ in range(20):
        alive = marked(mark)
        if not alive:
            break
        for pid, cmd in alive:
            if pid not in seen:
                seen.add(pid)
                found.append((pid, cmd))
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.05)
    return found
