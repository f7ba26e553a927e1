"""Run a function over chunks of records in worker processes, with few chunks in flight at a time.

Memory stays flat in the number of records: the records are streamed from an iterator, at most
`2 * workers` chunks are queued, and results come back in submission order.
"""

from __future__ import annotations

import collections
import itertools
import multiprocessing
import os


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def num_workers(parameters: dict | None = None) -> int:
    """`num_workers` from the parameters file when set (> 0), else one per available core."""
    requested = (parameters or {}).get("num_workers") or 0
    return int(requested) if int(requested) > 0 else available_cores()


def chunked(iterable, size):
    it = iter(iterable)
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        yield chunk


def map_chunks(fn, records, workers: int, chunk_size: int = 256, extra=()):
    """Yield fn(chunk, *extra) for consecutive chunks of `records`, in order."""
    chunks = chunked(records, chunk_size)
    if workers <= 1:
        for chunk in chunks:
            yield fn(chunk, *extra)
        return
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with ctx.Pool(workers) as pool:
        pending = collections.deque()
        for chunk in chunks:
            pending.append(pool.apply_async(fn, (chunk, *extra)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
