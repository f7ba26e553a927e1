"""Where a container's cgroup is on this machine, for the engine that runs it: Docker's and Podman's layouts on
cgroup v1 and v2 (rootful under docker/, system.slice, libpod_parent/ or machine.slice; rootless Podman under the
user's slice). Only paths: validator.engine.watch reads the files while the container runs.

Measured on Podman 4.3.1: a container's cgroup is gone within about a second of its exit, and `State.OOMKilled`
stays false after a kernel OOM kill, so the kill counter (v1 `memory.oom_control`, v2 `memory.events`) is read while
the container runs.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


def dirs(cid: str, controller: str, version: str, engine: str = "docker", uid: int | None = None) -> list[Path]:
    """The folders the container's cgroup may be, first the likeliest (v1: under the controller's hierarchy)."""
    if engine == "podman":
        names = [Path("libpod_parent") / f"libpod-{cid}", Path("machine.slice") / f"libpod-{cid}.scope"]
        if uid is not None:
            names.append(Path("user.slice") / f"user-{uid}.slice" / f"user@{uid}.service" / "user.slice" /
                         f"libpod-{cid}.scope")
    else:
        names = [Path("system.slice") / f"docker-{cid}.scope", Path("docker") / cid]
    base = ROOT if version == "2" else ROOT / controller
    out = []
    for name in names:
        out.append(base / name)
        if engine == "podman":
            out.append(base / name / "container")  # Podman's split: the container's own processes one level down
    return out


def find(cid: str, controller: str, version: str, engine: str, uid: int | None, file: str) -> Path | None:
    """The first of dirs() that has ``file``; None when none has (a remote engine, or the container is gone)."""
    for d in dirs(cid, controller, version, engine, uid):
        if (d / file).exists():
            return d / file
    return None


def oom_kills(memory_dir: Path, version: str) -> int | None:
    """The kernel's OOM kill count of a memory cgroup (v1 memory.oom_control, v2 memory.events); None unreadable."""
    path = memory_dir / ("memory.events" if version == "2" else "memory.oom_control")
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value)
    except OSError:
        return None
    return None
