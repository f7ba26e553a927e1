"""Which engine answers on a socket (Docker or Podman, rootful or rootless), what it can enforce, and which socket
`--engine docker|podman` means. Learnt from the engine itself (`/version`, `/info`, Podman's `/libpod/info`), once
per connection; nothing here runs a container.

Podman answers the Docker Engine API, but differs where medcube looks: its containers need ulimits in each request
(its defaults exceed what runc may set on many machines), a rootless Podman needs `UsernsMode=keep-id` so the task's
user writes as the socket's owner, its cgroups sit elsewhere, `State.OOMKilled` stays false after an OOM kill, and
a rootless Podman on cgroup v1 (or without delegated controllers on v2) enforces no memory, CPU or pids limit at all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.errors import UserError

ENGINES = ("docker", "podman")
ENGINE_ENV = "MEDCUBE_ENGINE"
DOCKER_SOCKET = "/var/run/docker.sock"
PODMAN_SOCKET = "/run/podman/podman.sock"  # Podman's own rootful default (podman.socket)
# The open-files and processes limits sent with every Podman container: Podman's defaults (the host's maxima) make
# runc fail ("error setting rlimit type 7") where the service runs with lower hard limits, as on these machines.
PODMAN_NOFILE = 1024


@dataclass(frozen=True)
class EngineFacts:
    """What medcube needs to know of the engine that answers."""

    name: str  # "docker" or "podman"
    version: str
    rootless: bool = False
    cgroup_version: str = "1"  # "1" or "2"
    cgroup_driver: str = "cgroupfs"  # cgroupfs or systemd
    controllers: tuple[str, ...] | None = None  # the cgroup controllers it may use (None: not said, all assumed)
    uid: int | None = None  # rootless: the host uid the engine runs as (keep-id maps the task's user to it)
    gid: int | None = None

    @property
    def podman(self) -> bool:
        return self.name == "podman"

    def describe(self) -> str:
        """e.g. "Podman 4.3.1, rootless, cgroup v1" - as reports show it."""
        mode = "rootless" if self.rootless else "rootful"
        return f"{'Podman' if self.podman else 'Docker'} {self.version}, {mode}, cgroup v{self.cgroup_version}"

    def unenforced(self, memory: bool, cpus: bool, pids: bool) -> list[str]:
        """The asked-for limits this engine cannot enforce (their option names)."""
        if self.controllers is None:
            return []
        have = set(self.controllers)
        out = []
        if memory and "memory" not in have:
            out.append("--memory")
        if cpus and "cpu" not in have:
            out.append("--cpus")
        if pids and "pids" not in have:
            out.append("--pids")
        return out


def learn(engine) -> EngineFacts:
    """The facts of the engine that answers (validator.engine.client.api.Engine), read once and kept on it."""
    cached = getattr(engine, "_facts", None)
    if isinstance(cached, EngineFacts):
        return cached
    version = engine.server_version() or {}
    components = [c.get("Name", "") for c in version.get("Components") or [] if isinstance(c, dict)]
    if any("podman" in str(n).lower() for n in components):
        facts = _podman(engine, str(version.get("Version") or "?"))
    else:
        facts = _docker(engine, str(version.get("Version") or "?"))
    engine._facts = facts
    return facts


def _docker(engine, version: str) -> EngineFacts:
    info = engine.info()
    security = [str(s) for s in info.get("SecurityOptions") or []]
    return EngineFacts(
        name="docker", version=version, rootless=any("rootless" in s for s in security),
        cgroup_version=str(info.get("CgroupVersion") or "1"), cgroup_driver=str(info.get("CgroupDriver") or "cgroupfs"),
        controllers=_docker_controllers(info),
    )


def _docker_controllers(info: dict[str, Any]) -> tuple[str, ...] | None:
    """Docker says per limit whether the kernel lets it enforce that (MemoryLimit, PidsLimit, CpuCfsQuota)."""
    keys = {"memory": "MemoryLimit", "pids": "PidsLimit", "cpu": "CpuCfsQuota"}
    if not all(k in info for k in keys.values()):
        return None
    return tuple(name for name, key in keys.items() if info.get(key))


def _podman(engine, version: str) -> EngineFacts:
    info = engine.libpod_info() or {}
    host = info.get("host") or {}
    rootless = bool((host.get("security") or {}).get("rootless"))
    cg = str(host.get("cgroupVersion") or "v1").lstrip("v")
    controllers = host.get("cgroupControllers")
    uid = gid = None
    if rootless:
        uid = _mapped_host_id((host.get("idMappings") or {}).get("uidmap"))
        gid = _mapped_host_id((host.get("idMappings") or {}).get("gidmap"))
    return EngineFacts(
        name="podman", version=version, rootless=rootless, cgroup_version=cg,
        cgroup_driver=str(host.get("cgroupManager") or "cgroupfs"),
        controllers=tuple(str(c) for c in controllers) if isinstance(controllers, list) else None, uid=uid, gid=gid,
    )


def _mapped_host_id(mappings: Any) -> int | None:
    """The host id that container id 0 maps to in a rootless engine's user namespace: the user it runs as."""
    for m in mappings or []:
        if isinstance(m, dict) and m.get("container_id") == 0 and isinstance(m.get("host_id"), int):
            return int(m["host_id"])
    return None


# -- which socket -----------------------------------------------------------------------------------------------------
def podman_sockets() -> list[str]:
    """Where a Podman API socket usually is: CONTAINER_HOST (Podman's own variable), rootful, then this user's."""
    out = []
    if os.environ.get("CONTAINER_HOST", "").startswith("unix://"):
        out.append(os.environ["CONTAINER_HOST"][len("unix://"):])
    out.append(PODMAN_SOCKET)
    runtime = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    out.append(os.path.join(runtime, "podman", "podman.sock"))
    return out


def engine_host(engine: str | None) -> str | None:
    """The DOCKER_HOST-style address for `--engine NAME` (or MEDCUBE_ENGINE); None: DOCKER_HOST or Docker's
    default socket, as before. DOCKER_HOST, when set, always wins: its engine is checked against the name later."""
    name = (engine or os.environ.get(ENGINE_ENV) or "").strip().lower() or None
    if name is not None and name not in ENGINES:
        raise UserError(f"--engine: {name!r} is not an engine medcube knows", hint="use docker or podman")
    if os.environ.get("DOCKER_HOST"):
        return None
    if name == "podman":
        for path in podman_sockets():
            if Path(path).is_socket():
                return f"unix://{path}"
        raise UserError(
            "--engine podman: no Podman API socket found (" + ", ".join(podman_sockets()) + ")",
            hint="start it: `podman system service --time=0 unix:///run/podman/podman.sock &` (or "
            "`systemctl --user start podman.socket`), or set DOCKER_HOST=unix:///path/to/podman.sock")
    if name is None and not Path(DOCKER_SOCKET).is_socket():
        for path in podman_sockets():  # no Docker here: a Podman socket present is the engine
            if Path(path).is_socket():
                return f"unix://{path}"
    return None


def select(name: str | None) -> None:
    """`--engine NAME` at the command line: checked, and the socket it means (when DOCKER_HOST is unset) put into
    DOCKER_HOST and the name into MEDCUBE_ENGINE, so that every client of this process (the engine API, the SDK,
    the docker or podman command of a build) talks to that engine."""
    host = engine_host(name)
    if host:
        os.environ["DOCKER_HOST"] = host
    if name:
        os.environ[ENGINE_ENV] = name


def check_name(asked: str | None, facts: EngineFacts, host: str) -> None:
    """`--engine NAME` against the engine that answers: a UserError when they differ."""
    name = (asked or os.environ.get(ENGINE_ENV) or "").strip().lower() or None
    if name is not None and name != facts.name:
        raise UserError(f"--engine {name}: the engine at {host} is {facts.describe()}",
                        hint=f"unset DOCKER_HOST or point it at a {name} socket, or pass --engine {facts.name}")
