"""How many task runs go on at once: a slot is taken just before a task's container (or a local task's process)
starts and given back as soon as it has ended, so that the work around each run (copying inputs, creating the
container and attaching its log, removing it, checking its outputs) overlaps with the runs of others instead of
holding a core's turn.

A probe's job or a submission says once, for its thread, which slots its runs take and how urgently
(`using(slots, priority=..., urgent=...)`); the chain holds one slot for its tasks one after another
(`holding(slots)`), lent to the others while it waits for one of its tasks that runs elsewhere (`lent()`). The
runners take and give them (`take()` ... `give()`) without knowing who runs them. A free slot goes to the waiting run of the lowest priority number, then the one that came first. An
urgent run (the one the run's end waits on: the second run of infer) takes a slot at once, one more than there are
for as long as the others hold theirs. A thread that set none runs ungated.

Boundary: counting runs that go on; which runs there are and what they mean are the chain's and the probes'.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Slots:
    def __init__(self, count: int):
        self.count = max(1, int(count))
        self._free = self.count
        self._closed = False
        self._waiting: list[tuple[int, int]] = []  # (priority, arrival): a heap
        self._arrivals = itertools.count()
        self._cond = threading.Condition()

    def take(self, priority: int = 0, urgent: bool = False) -> bool:
        """Wait for a slot (urgent: none); False when the slots were closed (the run was cancelled) meanwhile."""
        with self._cond:
            if self._closed:
                return False
            if urgent:
                self._free -= 1
                return True
            ticket = (priority, next(self._arrivals))
            heapq.heappush(self._waiting, ticket)
            while not self._closed and (self._free <= 0 or self._waiting[0] != ticket):
                self._cond.wait()
            if self._closed:
                self._waiting.remove(ticket)
                heapq.heapify(self._waiting)
                return False
            heapq.heappop(self._waiting)
            self._free -= 1
            self._cond.notify_all()  # the next in line may find a slot too
            return True

    @property
    def closed(self) -> bool:
        return self._closed

    def give(self) -> None:
        with self._cond:
            self._free += 1
            self._cond.notify_all()

    def close(self) -> None:
        """No slot is given any more: every run waiting for one, and every later one, is told so (take() -> False)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class Held:
    """One run's slot, taken by take(): give() gives it back (once, however often it is called)."""

    def __init__(self, slots: Slots | None, granted: bool):
        self._slots = slots if granted else None
        self.granted = granted

    def give(self) -> None:
        slots, self._slots = self._slots, None
        if slots is not None:
            slots.give()


_here = threading.local()


@contextmanager
def using(slots: Slots | None, priority: int = 0, urgent: bool = False) -> Iterator[None]:
    """The runs made in this thread meanwhile take their slots from `slots`, with this priority."""
    before = getattr(_here, "setting", None)
    _here.setting = (slots, priority, urgent, False)
    try:
        yield
    finally:
        _here.setting = before


@contextmanager
def holding(slots: Slots, keep: bool = False) -> Iterator[None]:
    """This thread holds one slot meanwhile (the chain: its tasks one after another, the next one's turn never
    taken by another run in the moment between two), its runs taking no other; lent() gives it up for a while.
    keep: the slot is not given back when the block ends without an error: it is handed over (Lent.adopt)."""
    before = getattr(_here, "setting", None)
    granted = slots.take(0)
    _here.setting = (slots, 0, False, granted)
    failed = True
    try:
        yield
        failed = False
    finally:
        if _here.setting[3] and (failed or not keep):
            slots.give()
        _here.setting = before


class Lent:
    """What lent() yields: set `adopt` when the run waited for kept its slot (holding(keep=True)) for this thread,
    which then goes on with that slot instead of waiting for one."""

    adopt = False


@contextmanager
def lent() -> Iterator[Lent]:
    """A thread that holds a slot waits for another's run (the chain for its infer started early): the slot is the
    others' meanwhile, and taken back (before any other waiting run) afterwards, or the other's adopted."""
    setting = getattr(_here, "setting", None)
    back = Lent()
    if setting is None or not setting[3]:
        yield back
        return
    slots = setting[0]
    slots.give()
    _here.setting = (*setting[:3], False)
    yield back  # an exception (a signal) goes on without the slot: waiting for one then could wait for a cancelled run
    _here.setting = (*setting[:3], True if back.adopt else slots.take(0))


def take() -> Held:
    """A slot for a run about to start in this thread (waits for one); Held.granted is False when the slots were
    closed meanwhile (the run must not start). Ungated (nothing set for this thread), or in a thread that holds a
    slot: granted at once."""
    slots, priority, urgent, holds = getattr(_here, "setting", None) or (None, 0, False, False)
    if slots is None or holds:
        return Held(None, not slots.closed if slots is not None else True)
    return Held(slots, slots.take(priority, urgent))
