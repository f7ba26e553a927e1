"""One container, described once: the benchmark rules (no network, an unprivileged user, read-only inputs, a
tmpfs /tmp, no new privileges) and the limits, for a planned task. Rendered two ways from the same fields: the
`docker run` command line a report shows (and a person can paste), and the Engine API body medcube creates the
container with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from validator.engine.limits import Limits, ram_in_bytes
from validator.engine.tasks.plan import Mount, RunPlan, image_argv, mount_args
from validator.values import GpuRequest

TMPFS_OPTIONS = "rw,exec,nosuid,nodev,mode=1777"


@dataclass
class ContainerSpec:
    image: str
    args: list[str] | None  # after the ENTRYPOINT; None: the image's CMD
    entrypoint: list[str] | None  # replaces the image's ENTRYPOINT
    user: str  # uid:gid
    mounts: list[Mount]
    environment: dict[str, str] = field(default_factory=dict)
    memory: int | None = None
    cpus: float | None = None
    pids: int | None = None
    log_limit: int | None = None
    shm_size: str | None = None
    gpus: GpuRequest | None = None
    labels: dict[str, str] = field(default_factory=dict)
    ulimits: dict[str, int] = field(default_factory=dict)  # name -> soft = hard limit, sent per container (Podman)
    userns: str | None = None  # UsernsMode, e.g. "keep-id" (rootless Podman)
    program: str = "docker"  # the command line's program: docker or podman
    read_only_root: bool = False
    workdir: str | None = None

    @classmethod
    def for_task(cls, plan: RunPlan, limits: Limits, labels: dict[str, str] | None = None) -> ContainerSpec:
        return cls(
            image=plan.image, args=plan.args, entrypoint=plan.entrypoint, user=str(limits.user), mounts=plan.mounts,
            environment=dict(plan.environment), memory=limits.memory, cpus=limits.cpus, pids=limits.pids,
            log_limit=limits.log_limit, shm_size=plan.shm_size, gpus=plan.gpus, labels=labels or {},
            read_only_root=plan.read_only_root, workdir=plan.workdir,
        )

    def cli(self) -> list[str]:
        """The `docker run` command line equivalent to api_body()."""
        cmd = [self.program, "run", "--rm", "--network", "none", "--user", self.user]
        if self.userns:
            cmd += ["--userns", self.userns]
        for name, value in self.ulimits.items():
            cmd += ["--ulimit", f"{name}={value}:{value}"]
        if self.read_only_root:
            cmd += ["--read-only"]
        if self.workdir:
            cmd += ["--workdir", self.workdir]
        cmd += ["--tmpfs", f"/tmp:{TMPFS_OPTIONS}", "--security-opt", "no-new-privileges"]
        if self.memory:
            cmd += ["--memory", str(self.memory), "--memory-swap", str(self.memory)]
        if self.cpus:
            cmd += ["--cpus", f"{self.cpus:g}"]
        if self.pids:
            cmd += ["--pids-limit", str(self.pids)]
        if self.log_limit:
            cmd += ["--log-driver", "json-file", "--log-opt", f"max-size={self.log_limit}", "--log-opt", "max-file=1"]
        if self.gpus is not None:
            cmd += ["--gpus", str(self.gpus)]
        return cmd + mount_args(self.mounts, self.environment, self.shm_size) + image_argv(
            self.image, self.entrypoint, self.args)

    def api_body(self) -> dict[str, Any]:
        """The Engine API's `POST /containers/create` body for this container (validator.engine.client.api): the same
        body docker-py's `containers.create` sends for these options (tests/test_engine_spec.py holds them side by
        side), without importing docker-py."""
        host: dict[str, Any] = {
            "NetworkMode": "none",
            "SecurityOpt": ["no-new-privileges"],
            "Tmpfs": {"/tmp": TMPFS_OPTIONS},
            "Mounts": [{"Target": m.container, "Source": str(m.host), "Type": "bind", "ReadOnly": m.read_only}
                       for m in self.mounts],
        }
        if self.memory:
            host.update(Memory=self.memory, MemorySwap=self.memory)
        if self.cpus:
            host["NanoCpus"] = int(self.cpus * 1e9)
        if self.pids:
            host["PidsLimit"] = self.pids
        if self.log_limit:  # the engine's own copy of the log is capped too
            host["LogConfig"] = {"Type": "json-file", "Config": {"max-size": str(self.log_limit), "max-file": "1"}}
        if self.shm_size:
            host["ShmSize"] = ram_in_bytes(self.shm_size)
        if self.ulimits:
            host["Ulimits"] = [{"Name": n, "Soft": v, "Hard": v} for n, v in self.ulimits.items()]
        if self.userns:
            host["UsernsMode"] = self.userns
        if self.read_only_root:
            host["ReadonlyRootfs"] = True
        if self.gpus is not None:
            host["DeviceRequests"] = [self.gpus.device_request()]
        body: dict[str, Any] = {
            "User": self.user, "Tty": False, "OpenStdin": False, "StdinOnce": False, "AttachStdin": False,
            "AttachStdout": False, "AttachStderr": False, "Image": self.image, "NetworkDisabled": False,
            "HostConfig": host, "Labels": dict(self.labels),
        }
        if self.environment:
            body["Env"] = [f"{k}={v}" for k, v in self.environment.items()]
        if self.args is not None:
            body["Cmd"] = list(self.args)
        if self.entrypoint is not None:
            body["Entrypoint"] = list(self.entrypoint)
        if self.workdir:
            body["WorkingDir"] = self.workdir
        return body
