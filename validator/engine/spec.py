"""One container, described once: the benchmark rules (no network, an unprivileged user, read-only inputs, a
tmpfs /tmp, no new privileges) and the limits, for a planned task. Rendered two ways from the same fields: the
`docker run` command line a report shows (and a person can paste), and the keyword arguments of the docker SDK's
`containers.create`, which is what medcube runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from validator.engine.limits import Limits, gpus_text, parse_gpus
from validator.engine.plan import Mount, RunPlan, image_argv, mount_args

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
    gpus: str | int | list[str] | None = None  # parsed: "all", a count, device ids
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_task(cls, plan: RunPlan, limits: Limits, labels: dict[str, str] | None = None) -> ContainerSpec:
        uid, gid = limits.run_user()
        return cls(
            image=plan.image, args=plan.args, entrypoint=plan.entrypoint, user=f"{uid}:{gid}", mounts=plan.mounts,
            environment=dict(plan.environment), memory=limits.memory, cpus=limits.cpus, pids=limits.pids,
            log_limit=limits.log_limit, shm_size=plan.shm_size, gpus=parse_gpus(plan.gpus), labels=labels or {},
        )

    def cli(self) -> list[str]:
        """The `docker run` command line equivalent to sdk_kwargs()."""
        cmd = ["docker", "run", "--rm", "--network", "none", "--user", self.user]
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
            cmd += ["--gpus", gpus_text(self.gpus)]
        return cmd + mount_args(self.mounts, self.environment, self.shm_size) + image_argv(
            self.image, self.entrypoint, self.args)

    def sdk_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of docker-py's `containers.create` (detached; the caller starts, waits and removes)."""
        from docker.types import DeviceRequest
        from docker.types import Mount as SdkMount

        kwargs: dict[str, Any] = dict(
            image=self.image,
            command=self.args,
            entrypoint=self.entrypoint,
            user=self.user,
            network_mode="none",
            mounts=[SdkMount(m.container, str(m.host), type="bind", read_only=m.read_only) for m in self.mounts],
            tmpfs={"/tmp": TMPFS_OPTIONS},
            environment=self.environment or None,
            security_opt=["no-new-privileges"],
            labels=self.labels,
            detach=True,
        )
        if self.memory:
            kwargs.update(mem_limit=self.memory, memswap_limit=self.memory)
        if self.cpus:
            kwargs["nano_cpus"] = int(self.cpus * 1e9)
        if self.pids:
            kwargs["pids_limit"] = self.pids
        if self.log_limit:  # the engine's own copy of the log is capped too
            kwargs["log_config"] = {"type": "json-file", "config": {"max-size": str(self.log_limit), "max-file": "1"}}
        if self.shm_size:
            kwargs["shm_size"] = self.shm_size
        if self.gpus == "all":
            kwargs["device_requests"] = [DeviceRequest(count=-1, capabilities=[["gpu"]])]
        elif isinstance(self.gpus, int):
            kwargs["device_requests"] = [DeviceRequest(count=self.gpus, capabilities=[["gpu"]])]
        elif isinstance(self.gpus, list):
            kwargs["device_requests"] = [DeviceRequest(device_ids=self.gpus, capabilities=[["gpu"]])]
        return kwargs
