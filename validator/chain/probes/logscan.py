"""Why a task failed, read from its log: it wanted the network, wrote into a read-only input, needed root, or wrote
outside its output folders. Each is a benchmark rule the task ran into; the finding says which, and what to change.

Only failed tasks are read: a passing task that caught such an error itself is left alone.
"""

from __future__ import annotations

import re
from pathlib import Path

from validator import findings as F
from validator.codes import (
    INPUT_WRITE,
    NEEDS_NETWORK,
    NEEDS_ROOT,
    WRITES_OUTSIDE,
)
from validator.engine.tasks.plan import RunPlan

# What Python, glibc, curl, pip, requests/urllib3 and huggingface_hub say when there is no network.
_NETWORK = re.compile(
    r"Network is unreachable|Temporary failure in name resolution|Name or service not known|"
    r"No address associated with hostname|nodename nor servname provided|getaddrinfo failed|Could not resolve host|"
    r"urllib\.error\.URLError|socket\.gaierror|NewConnectionError|Failed to establish a new connection|"
    r"Max retries exceeded with url|requests\.exceptions\.ConnectionError|LocalEntryNotFoundError|"
    r"couldn't connect to 'https?://|Could not fetch URL|No matching distribution found|"
    r"Connection to [\w.-]+ timed out",
    re.IGNORECASE,
)
_TARGET = re.compile(r"host='([^']+)'|(https?://[^\s'\"<>)]+)|Could not resolve host: (\S+)")
# Python puts the path after the error, shells and coreutils before it ("touch: cannot touch '/etc/x': Permission denied").
_READ_ONLY = (re.compile(r"(?:Read-only file system|\[Errno 30\][^'\n]*?):? '([^']+)'"),
              re.compile(r"'?(/[^'\s:]+)'?: Read-only file system"))
_DENIED = (re.compile(r"(?:Permission denied|\[Errno 13\][^'\n]*?):? '([^']+)'"),
           re.compile(r"'?(/[^'\s:]+)'?: Permission denied"))
_NOT_PERMITTED = re.compile(r"(?:Operation not permitted|\[Errno 1\][^'\n]*?)(?::? '([^']+)')?")
_ROOT_WORDS = re.compile(
    r"must be run as root|must be root|requires root|need(?:s)? to be root|are you root\?|"
    r"sudo: .*not found|sudo: a terminal is required|su: Authentication failure",
    re.IGNORECASE,
)
_SYSTEM = ("/etc", "/root", "/usr", "/var", "/bin", "/sbin", "/lib", "/lib64", "/opt", "/boot", "/sys", "/proc", "/srv")
_HOME_CACHE = re.compile(r"^/\.[^/]+|^/home/")


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/") or "/"
    return path == prefix or path.startswith(prefix + "/")


def _line_with(text: str, match: re.Match) -> str:
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    return text[start: end if end >= 0 else len(text)].strip()[:220]


def network_finding(task: str, log: str, where: str, timed_out: bool = False) -> F.Finding | None:
    m = _NETWORK.search(log)
    if not m:
        return None
    evidence = _line_with(log, m)
    target = None
    t = _TARGET.search(log)
    if t:
        target = next(g for g in t.groups() if g)
    to = f" to {target}" if target else ""
    what = f"kept trying to connect{to} until --timeout killed it" if timed_out else f"failed after trying to connect{to}"
    return F.error(
        NEEDS_NETWORK,
        where,
        f"task {task} needs network: it {what} ({evidence}); a benchmark runs every task with --network none, "
        "there is no network at all",
        hint="put what the task downloads into the image at build time (weights, tokenizers, pip packages) or into "
        "additional_files, and load it from there (e.g. HF_HUB_OFFLINE=1, TORCH_HOME pointing into the image)",
    )


def _input_label(path: str, plan: RunPlan) -> str | None:
    for m in plan.mounts:
        if not m.read_only:
            continue
        if _under(path, m.container) or _under(path, str(m.host)):
            return "/".join(m.labels)
    if "/medcube-local-" in path and "/inputs/" in path:  # the local runner's read-only copies
        return "an input"
    return None


def _writable(path: str, plan: RunPlan) -> bool:
    for m in plan.mounts:
        if m.read_only:
            continue
        if _under(path, m.container) or _under(path, str(m.host)):
            return True
    return _under(path, "/tmp") or "/medcube-local-" in path


def _outputs_text(plan: RunPlan) -> str:
    outs = [f"{'/'.join(m.labels)} ({m.container})" for m in plan.mounts if not m.read_only]
    return ", ".join(outs) if outs else "none: this task has no output folder"


def permission_findings(task: str, log: str, plan: RunPlan, where: str, uid: int | None = None) -> list[F.Finding]:
    """At most one finding per kind: a write into an input, a need for root, a write outside the outputs."""
    out: list[F.Finding] = []
    kinds: set[str] = set()
    user = f"uid {uid}" if uid is not None else "an unprivileged user"

    def add(code: str, message: str, hint: str) -> None:
        if code not in kinds:
            kinds.add(code)
            out.append(F.error(code, where, message, hint=hint))

    refusals = [(m, False) for r in _READ_ONLY for m in r.finditer(log)]
    refusals += [(m, True) for r in _DENIED for m in r.finditer(log)]
    for m, denied in sorted(refusals, key=lambda item: item[0].start()):
        path = m.group(1)
        label = _input_label(path, plan)
        if label is not None:
            if denied and "/medcube-local-" not in path:
                continue  # a denied read of an input: not a write
            add(INPUT_WRITE,
                f"task {task} tried to change its input {label} ({path}): inputs are mounted read-only, as in a "
                "benchmark, where they are the hospital's data or the previous task's outputs",
                f"write only into the output folders ({_outputs_text(plan)}) and /tmp; copy an input "
                "into /tmp first if it must be changed")
        elif any(_under(path, p) for p in _SYSTEM):
            add(NEEDS_ROOT,
                f"task {task} needs root: it was refused writing {path} ({_line_with(log, m)}); a benchmark "
                f"runs every task as {user}, never root",
                "install and configure what the task needs at build time (Dockerfile RUN, as root there), "
                "and at run time write only into the output folders and /tmp")
        elif not _writable(path, plan):
            home = bool(_HOME_CACHE.match(path))
            add(WRITES_OUTSIDE,
                f"task {task} writes outside its output folders: it was refused writing {path}; in a benchmark "
                f"only the output folders ({_outputs_text(plan)}) and /tmp are writable",
                ("a library wrote its cache into the home folder, which is / for an unprivileged user: set "
                 "ENV HOME=/tmp (or XDG_CACHE_HOME, TORCH_HOME, MPLCONFIGDIR, HF_HOME) in the Dockerfile, or "
                 "bring those files into the image at build time") if home else
                "write results into the output folders and scratch files into /tmp (tempfile); files inside "
                "the image are read-only to the task")
    hit = _NOT_PERMITTED.search(log)
    if hit:
        path = hit.group(1)
        add(NEEDS_ROOT,
            f"task {task} needs root: the operation was not permitted ({_line_with(log, hit)}); a benchmark runs every "
            f"task as {user} with no-new-privileges, so chown, chmod of others' files, setuid and mounts fail",
            "leave ownership alone: files the task writes already belong to the user it runs as"
            + (f" ({path})" if path else ""))
    hit = _ROOT_WORDS.search(log)
    if hit:
        add(NEEDS_ROOT,
            f"task {task} needs root: {_line_with(log, hit)}; a benchmark runs every task as {user}, never root",
            "do at build time what needs root (Dockerfile RUN); at run time write only into the output folders and /tmp")
    return out


def read_log(path: str | Path | None, chars: int = 64 * 1024) -> str:
    """The end of a task's log, enough for a traceback."""
    if not path:
        return ""
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - chars))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""
