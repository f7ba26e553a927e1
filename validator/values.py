"""Typed values a user or a config gives, parsed once where they come in (an option, a config file, the
environment) and passed on as such: a GpuRequest and the RunUser a task runs as. Every reader of `--gpus` or
`run_args.gpus` (the static check, the planner, both runners, the GPU probe) goes through GpuRequest.parse, and
the rule of which request wins is GpuRequest.effective alone."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from validator.errors import UserError

_DEVICE_ID = re.compile(r"^[0-9A-Za-z-]+$")  # an index, or a GPU's UUID (GPU-0b1f...)
# When medcube itself runs as root (CI, containers), tasks run as this user instead: a benchmark never runs as root.
DEFAULT_UNPRIVILEGED = "1000:1000"


@dataclass(frozen=True)
class GpuRequest:
    """What `docker run --gpus` asks for, as MedPerf passes `run_args.gpus` on: every GPU (``all``), a count, or
    device ids. No GPU at all is not a request: parse() answers None for it."""

    count: int = 0  # -1: all of them; > 0: that many; 0: the devices below
    devices: tuple[str, ...] = ()

    @classmethod
    def parse(cls, value: object, what: str = "--gpus") -> GpuRequest | None:
        """all | N | device=a,b (spaces after the commas and quotes around the ids allowed, as a shell passes them
        on); None, '', 0 and 'none' ask for no GPU (None). Anything else is a UserError naming ``what``."""
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return cls(count=value) if value else None
        if isinstance(value, str):
            text = value.strip().strip("\"'").strip()
            if text.lower() in ("", "0", "none"):
                return None
            if text.lower() == "all":
                return cls(count=-1)
            if text.isdigit():
                return cls(count=int(text))
            if text.lower().startswith("device="):
                ids = tuple(d.strip() for d in text[len("device="):].strip("\"'").split(","))
                if ids and all(_DEVICE_ID.match(d) for d in ids):
                    return cls(devices=ids)
        raise UserError(f"{what.rstrip(':')}: {value!r} is not a Docker --gpus value",
                        hint="use all, a count such as 1, device=0,1, or none")

    @classmethod
    def read(cls, value: object) -> GpuRequest | None:
        """parse() for a config read before its checks: an unreadable value is no request (the static check
        reports it, and a cube with that error does not run)."""
        try:
            return cls.parse(value)
        except UserError:
            return None

    @staticmethod
    def effective(user: GpuRequest | None, *tasks: GpuRequest | None) -> GpuRequest | None:
        """The request a container gets: the user's --gpus beats the task's run_args.gpus (the first given)."""
        if user is not None:
            return user
        return next((t for t in tasks if t is not None), None)

    @property
    def at_least(self) -> int:
        """How many GPUs the request needs at least (1 for all)."""
        return 1 if self.count < 0 else self.count or len(self.devices)

    def device_request(self) -> dict[str, object]:
        """The Engine API's DeviceRequest, as `docker run --gpus` sends it."""
        return {"Driver": "", "Count": self.count if not self.devices else 0, "DeviceIDs": list(self.devices),
                "Capabilities": [["gpu"]], "Options": {}}

    def cuda_visible_devices(self) -> str | None:
        """CUDA_VISIBLE_DEVICES for a task run on the host (None: leave the host's as it is)."""
        return ",".join(self.devices) if self.devices else None

    def __str__(self) -> str:
        """The --gpus spelling."""
        if self.devices:
            return "device=" + ",".join(self.devices)
        return "all" if self.count < 0 else str(self.count)


@dataclass(frozen=True)
class RunUser:
    """The unprivileged user a task runs as: never root."""

    uid: int
    gid: int

    @classmethod
    def parse(cls, text: str, what: str = "run user") -> RunUser:
        """'uid:gid' or 'uid' (the gid the same); uid 0 is refused."""
        uid, _, gid = str(text).strip().partition(":")
        try:
            user = cls(int(uid), int(gid or uid))
        except ValueError:
            raise UserError(f"{what} {text!r} is not 'uid:gid'", hint="e.g. MEDCUBE_RUN_USER=1000:1000") from None
        if user.uid == 0:
            raise UserError("tasks never run as root (uid 0)", hint="pick another uid, e.g. 1000:1000")
        if user.uid < 0 or user.gid < 0:
            raise UserError(f"{what} {text!r}: ids are not negative", hint="e.g. 1000:1000")
        return user

    @classmethod
    def resolve(cls, text: str | None = None) -> RunUser:
        """The given user, else MEDCUBE_RUN_USER, else the host user, or DEFAULT_UNPRIVILEGED when that is root."""
        chosen = text or os.environ.get("MEDCUBE_RUN_USER")
        if chosen:
            return cls.parse(chosen, "MEDCUBE_RUN_USER" if not text else "run user")
        if os.getuid() != 0:
            return cls(os.getuid(), os.getgid())
        return cls.parse(DEFAULT_UNPRIVILEGED)

    @property
    def ids(self) -> tuple[int, int]:
        return self.uid, self.gid

    def __str__(self) -> str:
        return f"{self.uid}:{self.gid}"
