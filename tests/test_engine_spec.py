"""The container medcube creates, as the Engine API body it sends (validator.engine.tasks.spec.ContainerSpec.api_body),
held against the body the docker SDK sends for the same options: the sandbox (no network, the run user, read-only
inputs, a tmpfs /tmp, no new privileges) and the limits must be the same whichever client creates the container.

The SDK side is docker-py's own `containers.create` path: `_create_container_args` and `create_container_config`,
with the None values dropped as its `_post_json` drops them. No engine is needed: the SDK's APIClient is given a
version and never connects."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import docker
import pytest
from docker.models.containers import _create_container_args
from docker.types import DeviceRequest
from docker.types import Mount as SdkMount

from validator.engine.limits import ram_in_bytes
from validator.engine.tasks.plan import Mount
from validator.engine.tasks.spec import TMPFS_OPTIONS, ContainerSpec
from validator.errors import UserError
from validator.values import GpuRequest

API = docker.APIClient(version="1.41")


def sdk_kwargs(spec: ContainerSpec) -> dict:
    """The keyword arguments of docker-py's `containers.create` for the spec's options (what medcube passed up to
    version 0.1)."""
    kwargs: dict = dict(
        image=spec.image, command=spec.args, entrypoint=spec.entrypoint, user=spec.user, network_mode="none",
        mounts=[SdkMount(m.container, str(m.host), type="bind", read_only=m.read_only) for m in spec.mounts],
        tmpfs={"/tmp": TMPFS_OPTIONS}, environment=spec.environment or None, security_opt=["no-new-privileges"],
        labels=spec.labels, detach=True,
    )
    if spec.memory:
        kwargs.update(mem_limit=spec.memory, memswap_limit=spec.memory)
    if spec.cpus:
        kwargs["nano_cpus"] = int(spec.cpus * 1e9)
    if spec.pids:
        kwargs["pids_limit"] = spec.pids
    if spec.log_limit:
        kwargs["log_config"] = {"type": "json-file", "config": {"max-size": str(spec.log_limit), "max-file": "1"}}
    if spec.shm_size:
        kwargs["shm_size"] = spec.shm_size
    if spec.gpus is not None and spec.gpus.devices:
        kwargs["device_requests"] = [DeviceRequest(device_ids=list(spec.gpus.devices), capabilities=[["gpu"]])]
    elif spec.gpus is not None:
        kwargs["device_requests"] = [DeviceRequest(count=spec.gpus.count, capabilities=[["gpu"]])]
    return kwargs


def sdk_body(spec: ContainerSpec) -> dict:
    create = _create_container_args(dict(sdk_kwargs(spec), version=API._version))
    config = API.create_container_config(**{k: v for k, v in create.items() if k not in ("name", "platform")})
    return json.loads(json.dumps({k: v for k, v in config.items() if v is not None}))


def specs():
    """Every combination of the options that change the body, and random values for them."""
    rng = random.Random(7)
    mounts = [
        [],
        [Mount(Path("/h/in"), "/mlcube_io0", "ro", "directory", ("data_path",))],
        [Mount(Path("/h/in"), "/mlcube_io0", "ro", "directory", ("data_path",)),
         Mount(Path("/h/out dir"), "/mlcube_io1/out", "rw", "file", ("output_path",))],
    ]
    for args, entrypoint, mount, env, gpus, shm in itertools.product(
            [None, [], ["infer", "--data_path=/mlcube_io0"]], [None, ["python3", "/app/x.py"]], mounts,
            [{}, {"A": "1", "B": "x=y"}], [None, "all", 2, "device=0,3"], [None, "1g", "512m", "100", "2gb", "1.5g"]):
        yield ContainerSpec(
            image=rng.choice(["medcube/model:0.1", "sha256:" + "ab" * 32]), args=args, entrypoint=entrypoint,
            user=f"{rng.randint(1, 65000)}:{rng.randint(1, 65000)}", mounts=mount, environment=env,
            memory=rng.choice([None, 1 << 30, 123456789]), cpus=rng.choice([None, 1.0, 1.5, 0.25]),
            pids=rng.choice([None, 1024, 7]), log_limit=rng.choice([None, 50 << 20, 1000]), shm_size=shm, gpus=GpuRequest.parse(gpus),
            labels=rng.choice([{}, {"org.medcube.run": "r1", "org.medcube.task": "infer"}]))


def test_the_body_medcube_sends_is_the_body_the_docker_sdk_sends_for_the_same_container():
    checked = 0
    for spec in specs():
        assert spec.api_body() == sdk_body(spec), spec
        checked += 1
    assert checked == 3 * 2 * 3 * 2 * 4 * 6


def test_the_sandbox_is_in_every_body():
    spec = ContainerSpec(image="i", args=None, entrypoint=None, user="1000:1000",
                         mounts=[Mount(Path("/h/in"), "/in", "ro", "directory", ("d",))])
    host = spec.api_body()["HostConfig"]
    assert host["NetworkMode"] == "none" and host["SecurityOpt"] == ["no-new-privileges"]
    assert host["Mounts"] == [{"Target": "/in", "Source": "/h/in", "Type": "bind", "ReadOnly": True}]
    assert host["Tmpfs"] == {"/tmp": TMPFS_OPTIONS} and spec.api_body()["User"] == "1000:1000"


@pytest.mark.parametrize("text, expected", [
    ("1g", 1 << 30), ("1gb", 1 << 30), ("1GiB", 1 << 30), ("512m", 512 << 20), ("512MiB", 512 << 20),
    ("1.5 g", int(1.5 * (1 << 30))), ("100", 100), ("2k", 2048), ("1t", 1 << 40), ("1p", 1 << 50), (4096, 4096),
])
def test_shm_size_is_read_as_docker_run_reads_it(text, expected):
    assert ram_in_bytes(text) == expected


@pytest.mark.parametrize("text", ["lots", "1.5.2g", "1 g b", "-1g", "1x"])
def test_a_shm_size_docker_run_refuses_is_a_clear_error(text):
    with pytest.raises(UserError, match="shm_size: cannot read the size"):
        ram_in_bytes(text)
