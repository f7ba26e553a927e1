"""The probes' own runs as jobs beside the chain, on the machine's cores.

A job is one piece of a probe's work (a rerun of a task with the copies it needs, one fault's sanity_check, ...).
It is handed in as soon as what it reads exists (the chain task it builds on has passed) and runs on a pool of
threads beside the chain: at most `jobs - 1` at once while the chain runs (the chain's own task is the other one),
`jobs` once the chain has ended. Every job's outcome is kept under its key; the probes read them in one fixed
order, so that the reports do not depend on the order the jobs ended in. Without side-by-side runs (a runner with
no `beside()`), or with `jobs == 1`, the jobs run one after another once the chain has ended.

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
    def __init__(self, jobs: int, side_by_side: bool = True):
        self.jobs = max(1, int(jobs))
        self.side_by_side = side_by_side and self.jobs > 1
        self._slots = threading.Semaphore(self.jobs - 1)  # while the chain runs: the chain holds the other slot
        self._chain_done = False
        self._stopping = False
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[Hashable, Future] = {}
        self._queued: dict[Hashable, Callable[[], Any]] = {}  # not side by side: run when the chain has ended
        self._waiting: list[tuple[int, int, Future, Callable[[], Any], bool]] = []  # side by side: a heap, for the slots
        self._lock = threading.Lock()

    def submit(self, key: Hashable, job: Callable[[], Any], first: bool = False,
               chains: bool = False) -> Future | None:
        """Hand in a job (once per key); side by side, its future (an Outcome), else None (it runs when the chain
        has ended). A free slot takes the waiting jobs marked `first` before the others (a long one that the run's
        end waits for), then in the order they came. A job that `chains` is a chain task started early: when it
        ends, its slot is kept for the chain, which goes on with it (see wait())."""
        if key in self._futures or key in self._queued:
            return self._futures.get(key)
        if not self.side_by_side:
            self._queued[key] = job
            return None
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="medcube-probe")
        future: Future = Future()
        self._futures[key] = future
        with self._lock:
            heapq.heappush(self._waiting, (0 if first else 1, len(self._futures), future, job, chains))
        self._pool.submit(self._next)
        return future

    def wait(self, future: Future) -> Outcome:
        """The chain waits for a job that `chains` (a task of its own started early): the chain's slot is lent to
        the other jobs meanwhile, and the job's slot, kept when it ended, is the chain's from then on; once the
        chain has ended, that slot goes back to the jobs."""
        self._slots.release()
        return future.result()

    def _next(self) -> None:
        """One slot's turn: the first waiting job runs (one `_next` is handed to the pool per job)."""
        self._slots.acquire()
        with self._lock:
            *_, future, job, chains = heapq.heappop(self._waiting)
        try:
            outcome = self._timed(job)
        finally:
            if not chains:
                self._slots.release()
        future.set_result(outcome)

    def _timed(self, job: Callable[[], Any]) -> Outcome:
        if self._stopping:
            return Outcome(error=Stopped("the run ended before this probe run started"))
        started = time.monotonic()
        try:
            value = job()
        except Exception as e:  # the probe that reads it says it could not finish
            return Outcome(error=e, seconds=time.monotonic() - started)
        return Outcome(value, seconds=time.monotonic() - started)

    def chain_ended(self) -> None:
        """The chain's slot is free: one more job at a time."""
        if not self._chain_done:
            self._chain_done = True
            self._slots.release()

    def outcomes(self) -> dict[Hashable, Outcome]:
        """Wait for every job; their outcomes by key."""
        self.chain_ended()
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
