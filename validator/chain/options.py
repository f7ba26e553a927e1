"""How one chain run is made: which runner, which base image, the limits, the run folder, the probes."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from validator.engine.limits import Limits

if TYPE_CHECKING:
    from rich.console import Console

    from validator.chain.probes.options import ProbeOptions


@dataclass(frozen=True)
class RunOptions:
    """Built once, at the command line or by a library caller, and validated there: nothing here is parsed later."""

    runner: str | None = None  # docker | local | None: docker when an engine answers, else local (announced)
    base_image: str | None = None
    rebuild: bool = False
    limits: Limits = field(default_factory=Limits)
    run_dir: Path | None = None
    no_run: bool = False  # build only
    console: Console | None = None  # a rich Console for progress; None: quiet
    verbose: bool = False  # stream each build's log to the console
    probes: ProbeOptions | None = None  # None: no probe (the plain chain)
    pull: bool = False  # a cube without a Dockerfile whose image is not present locally: pull it (MedPerf always pulls)
    jobs: int | None = None  # tasks at once (the probes' runs beside the chain; many submissions); None: default_jobs
    entrypoint_help: bool = True  # each built image's task entrypoints asked for --help before the chain (MC811)


def default_jobs(memory_per_task: int | None) -> int:
    """As many tasks at a time as the machine has cores, and no more than its available memory holds at the
    per-task memory limit; at least one."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    jobs = max(1, cores)
    available = _available_memory()
    if memory_per_task and available:
        jobs = min(jobs, max(1, available // memory_per_task))
    return jobs


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


