"""The probes' own runs as jobs beside the chain, on the machine's cores.

A job is one piece of a probe's work (a rerun of a task with the copies it needs, one fault's sanity_check, ...).
It is handed in as soon as what it reads exists (the chain task it builds on has passed) and runs in a pool of
threads beside the chain. How many runs go on at once is the run's slots' (validator.engine.tasks.slots): the
chain's tasks and the jobs' runs take one each just before their container starts, so a job makes its copies and
its container ready while others run, and the chain's tasks go first. One thread more than there are slots: the
next job is ready when a slot frees. An urgent job (the one the run's end waits on) has a thread of its own and a
slot at once. Every job's outcome is kept under its key; the probes read them in one fixed order, so that the
reports do not depend on the order the jobs ended in. Without side-by-side runs (a runner with no `beside()`), or
with `jobs == 1`, the jobs run one after another once the chain has ended.

Boundary: when jobs run and what they returned; what a job does and what its outcome means are the session's
(validator.chain.probes.session).
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from validator.engine.tasks import slots
from validator.engine.tasks.slots import Slots
from validator.errors import MedcubeError


class Stopped(MedcubeError):
    """The run ended (an error, Ctrl-C) before this job started."""


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None
    seconds: float = 0.0

    def get(self) -> Any:
        """The job's value, or its exception raised again (where the probe that reads it reports it)."""
        if self.error is not None:
            raise self.error
        return self.value


class ProbeJobs:
    def __init__(self, jobs: int, side_by_side: bool = True, slots: Slots | None = None):
        self.jobs = max(1, int(jobs))
        self.side_by_side = side_by_side and self.jobs > 1
        self.slots = slots
        self._stopping = False
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[Hashable, Future] = {}
        self._queued: dict[Hashable, Callable[[], Any]] = {}  # not side by side: run when the chain has ended
        self._waiting: list[tuple[int, int, Future, Callable[[], Any]]] = []  # side by side: a heap, for the threads
        self._lock = threading.Lock()

    def submit(self, key: Hashable, job: Callable[[], Any], first: bool = False, urgent: bool = False) -> Future | None:
        """Hand in a job (once per key); side by side, its future (an Outcome), else None (it runs when the chain
        has ended). A free thread takes the waiting jobs marked `first` before the others, then in the order they
        came, and their runs take slots in that order too; an `urgent` one starts at once, on a thread and a slot of
        its own."""
        if key in self._futures or key in self._queued:
            return self._futures.get(key)
        if not self.side_by_side:
            self._queued[key] = job
            return None
        future: Future = Future()
        self._futures[key] = future
        if urgent:
            threading.Thread(target=lambda: future.set_result(self._timed(job, 0, True)), daemon=True,
                             name="medcube-probe-urgent").start()
            return future
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.jobs + 1, thread_name_prefix="medcube-probe")
        with self._lock:
            heapq.heappush(self._waiting, (0 if first else 1, len(self._futures), future, job))
        self._pool.submit(self._next)
        return future

    def _next(self) -> None:
        """One thread's turn: the first waiting job runs (one `_next` is handed to the pool per job)."""
        with self._lock:
            priority, _, future, job = heapq.heappop(self._waiting)
        future.set_result(self._timed(job, priority))

    def _timed(self, job: Callable[[], Any], priority: int = 1, urgent: bool = False) -> Outcome:
        if self._stopping:
            return Outcome(error=Stopped("the run ended before this probe run started"))
        started = time.monotonic()
        try:
            if self.slots is None:  # the runs take the slots of the thread that runs the job, if any
                value = job()
            else:
                with slots.using(self.slots, priority + 1, urgent):  # the chain's own tasks (priority 0) go first
                    value = job()
        except Exception as e:  # the probe that reads it says it could not finish
            return Outcome(error=e, seconds=time.monotonic() - started)
        return Outcome(value, seconds=time.monotonic() - started)

    def outcomes(self) -> dict[Hashable, Outcome]:
        """Wait for every job (those not side by side run now, one after another); their outcomes by key."""
        out = {key: self._timed(job) for key, job in self._queued.items()}
        self._queued.clear()
        for key, future in self._futures.items():
            out[key] = future.result()
        self.close()
        return out

    def close(self) -> None:
        """Start no more jobs (each waiting one ends as Stopped); those running end on their own (their containers
        are swept by the runner's cleanup)."""
        self._stopping = True
        self._queued.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None
