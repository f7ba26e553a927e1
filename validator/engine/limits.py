"""Limits a task runs under, with defaults a user can change, and the unprivileged user it runs as."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from validator.errors import UserError

DEFAULT_TIMEOUT = 1800.0  # seconds per task
DEFAULT_MEMORY = "8g"
DEFAULT_PIDS = 1024
DEFAULT_BUILD_TIMEOUT = 1800.0  # seconds per image build
DEFAULT_LOG_LIMIT = "50m"  # of a task's log kept on disk (the first part and the end); more is cut, with a note
# When medcube itself runs as root (CI, containers), tasks run as this user instead: a benchmark never runs as root.
DEFAULT_UNPRIVILEGED = "1000:1000"

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
    user: str | None = None  # "uid:gid"; None: the host user, or DEFAULT_UNPRIVILEGED when that is root
    gpus: str | None = None  # all | N | device=a,b; None: what the task's run_args ask, else none
    log_tail_lines: int = 30
    log_limit: int | None = parse_size(DEFAULT_LOG_LIMIT)  # bytes of log on disk; None: no limit
    build_timeout: float | None = DEFAULT_BUILD_TIMEOUT  # seconds per build; None: no limit
    build_network: bool = False  # builds run with no network unless asked for

    @classmethod
    def from_options(cls, timeout=None, memory=None, cpus=None, pids=None, user=None, gpus=None,
                     log_limit=None, build_timeout=None, build_network=False) -> Limits:
        lim = cls()
        if build_timeout is not None:
            lim.build_timeout = None if float(build_timeout) <= 0 else float(build_timeout)
        lim.build_network = bool(build_network)
        if timeout is not None:
            lim.timeout = None if float(timeout) <= 0 else float(timeout)
        if memory is not None:
            lim.memory = None if str(memory).lower() in ("0", "none", "unlimited") else parse_size(memory)
        if cpus is not None:
            lim.cpus = None if float(cpus) <= 0 else float(cpus)
        if pids is not None:
            lim.pids = None if int(pids) <= 0 else int(pids)
        if log_limit is not None:
            lim.log_limit = (None if str(log_limit).lower() in ("0", "none", "unlimited")
                             else parse_size(log_limit, "--log-limit"))
        lim.user = user or os.environ.get("MEDCUBE_RUN_USER") or None
        lim.run_user()  # a bad MEDCUBE_RUN_USER is said now, before any build
        parse_gpus(gpus)  # likewise a bad --gpus
        lim.gpus = gpus
        return lim

    def run_user(self) -> tuple[int, int]:
        """The uid and gid a task runs as: never root."""
        if self.user:
            uid, _, gid = self.user.partition(":")
            try:
                ids = int(uid), int(gid or uid)
            except ValueError:
                raise UserError(f"run user {self.user!r} is not 'uid:gid'",
                                hint="e.g. MEDCUBE_RUN_USER=1000:1000") from None
            if ids[0] == 0:
                raise UserError("tasks never run as root (uid 0)", hint="pick another uid, e.g. 1000:1000")
            return ids
        if os.getuid() != 0:
            return os.getuid(), os.getgid()
        uid, _, gid = DEFAULT_UNPRIVILEGED.partition(":")
        return int(uid), int(gid)


def human_size(n: int | None) -> str:
    if n is None:
        return "-"
    size: float = n
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def parse_gpus(spec: str | int | None) -> str | int | list[str] | None:
    """`--gpus` as MedPerf reads it: all | N | device=a,b; None, '', 0 and 'none' ask for no GPU."""
    if spec is None or spec == "" or spec == 0:
        return None
    if isinstance(spec, int):
        return spec if spec > 0 else None
    text = str(spec).strip()
    if text.lower() in ("0", "none"):
        return None
    if text.lower() == "all":
        return "all"
    if text.isdigit():
        return int(text)
    if text.startswith("device="):
        ids = [d.strip() for d in text[len("device="):].strip("\"'").split(",") if d.strip()]
        if ids:
            return ids
    raise UserError(f"--gpus: cannot read {spec!r}", hint="use all, a count (e.g. 1) or device=0,1")


def gpus_text(spec) -> str:
    """The --gpus spelling of a parsed GPU request."""
    if isinstance(spec, list):
        return "device=" + ",".join(spec)
    return str(spec)
