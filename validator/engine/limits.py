"""Limits a task runs under, with defaults a user can change, the unprivileged user it runs as and the GPUs the user
asks for (validator.values: parsed once, here, from the options)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from validator.errors import UserError
from validator.values import GpuRequest, RunUser

DEFAULT_TIMEOUT = 1800.0  # seconds per task
DEFAULT_MEMORY = "8g"
DEFAULT_PIDS = 1024
DEFAULT_BUILD_TIMEOUT = 1800.0  # seconds per image build
DEFAULT_LOG_LIMIT = "50m"  # of a task's log kept on disk (the first part and the end); more is cut, with a note

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


def parse_size(text: str | int | None, what: str = "--memory") -> int | None:
    """'512m', '8g', '1.5GiB', 1048576 -> bytes."""
    if text is None or text == "":
        return None
    if isinstance(text, int):
        return text
    m = _SIZE.match(str(text))
    if not m:
        raise UserError(f"{what}: cannot read the size {text!r}", hint="use a number with a unit, e.g. 512m or 8g")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


# What `docker run --shm-size` reads (go-units' RAMInBytes): binary units, an optional i and b, one space allowed.
_RAM = re.compile(r"^(\d+(?:\.\d+)*) ?([kmgtp])?i?b?$", re.IGNORECASE)


def ram_in_bytes(text: str | int) -> int:
    """'1g', '512MiB', '1.5 gb', 1048576 -> bytes, as `docker run --shm-size` reads them."""
    if isinstance(text, int):
        return text
    m = _RAM.match(str(text))
    try:
        number = float(m.group(1)) if m else None
    except ValueError:
        number = None
    if m is None or number is None:
        raise UserError(f"shm_size: cannot read the size {text!r}", hint="use a number with a unit, e.g. 1g or 512m")
    return int(number * _UNITS[(m.group(2) or "").lower()])


@dataclass
class Limits:
    timeout: float | None = DEFAULT_TIMEOUT  # seconds per task; None: no limit
    memory: int | None = parse_size(DEFAULT_MEMORY)  # bytes; swap is not allowed on top
    cpus: float | None = None  # None: all of them
    pids: int | None = DEFAULT_PIDS
    user: RunUser = field(default_factory=RunUser.resolve)  # the host user, or 1000:1000 when that is root
    gpus: GpuRequest | None = None  # the user's --gpus; None: what the task's run_args ask, else none
    log_tail_lines: int = 30
    log_limit: int | None = parse_size(DEFAULT_LOG_LIMIT)  # bytes of log on disk; None: no limit
    build_timeout: float | None = DEFAULT_BUILD_TIMEOUT  # seconds per build; None: no limit
    build_network: bool = False  # builds run with no network unless asked for

    @classmethod
    def from_options(cls, timeout=None, memory=None, cpus=None, pids=None, user=None, gpus=None,
                     log_limit=None, build_timeout=None, build_network=False) -> Limits:
        lim = cls()
        if build_timeout is not None:
            lim.build_timeout = _no_limit_at_0(float(build_timeout), "--build-timeout")
        lim.build_network = bool(build_network)
        if timeout is not None:
            lim.timeout = _no_limit_at_0(float(timeout), "--timeout")
        if memory is not None:
            lim.memory = None if str(memory).lower() in ("0", "none", "unlimited") else parse_size(memory)
        if cpus is not None:
            lim.cpus = _no_limit_at_0(float(cpus), "--cpus")
        if pids is not None:
            value = _no_limit_at_0(int(pids), "--pids")
            lim.pids = int(value) if value is not None else None
        if log_limit is not None:
            lim.log_limit = (None if str(log_limit).lower() in ("0", "none", "unlimited")
                             else parse_size(log_limit, "--log-limit"))
        lim.user = RunUser.resolve(user)  # a bad MEDCUBE_RUN_USER is said now, before any build
        lim.gpus = GpuRequest.parse(gpus)  # likewise a bad --gpus
        return lim


def _no_limit_at_0(value: float, option: str) -> float | None:
    """An option's number: 0 is no limit, a negative one is refused (it used to mean no limit, silently)."""
    if value < 0:
        raise UserError(f"{option} {value:g}: a limit is not negative", hint=f"use a positive number, or {option} 0 "
                        "for no limit")
    return value or None


def human_size(n: int | None) -> str:
    if n is None:
        return "-"
    size: float = n
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)
