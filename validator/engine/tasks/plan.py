"""How one task of a cube runs: the image, the argv, the mounts. Pure: reads the Cube, touches nothing.

Two conventions, chosen by the cube's runtime format:
- container_config: each volume is mounted at its ``mount_path``; ``run_args.command`` is passed as arguments to
  the image ENTRYPOINT (``docker run IMAGE ARGS...``), ``run_args.entrypoint`` replaces it as one word, never
  split (MedPerf's ``--entrypoint {entrypoint}``). File volumes are mounted as files, as MedPerf does.
- mlcube: each host path is mounted at ``/mlcube_io{N}`` (a file's parent directory, shared when two parameters
  live in the same folder) and the image ENTRYPOINT gets ``TASK --label=/mlcube_ioN[/file] ...``, inputs first,
  then outputs (MLCube's docker runner, and MedPerf's reading of mlcube.yaml).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from validator.engine.images.tag import image_name
from validator.errors import MedcubeError
from validator.manifest.model import Cube, Task, Volume
from validator.manifest.roles import ADDITIONAL_FILES_DIR
from validator.values import GpuRequest


class PlanError(MedcubeError):
    """The task cannot be run as declared: said in a sentence, with a hint (a finding of the run, MC615)."""


@dataclass(frozen=True)
class Mount:
    host: Path
    container: str
    mode: Literal["ro", "rw"]
    type: Literal["file", "directory"]
    labels: tuple[str, ...]  # the volume labels this mount serves

    @property
    def read_only(self) -> bool:
        return self.mode == "ro"


@dataclass
class RunPlan:
    task: str
    image: str
    args: list[str] | None  # after the ENTRYPOINT; None: the image's CMD
    entrypoint: list[str] | None  # replaces the image ENTRYPOINT; None: keep it
    mounts: list[Mount]
    environment: dict[str, str] = field(default_factory=dict)
    shm_size: str | None = None
    gpus: GpuRequest | None = None  # what the container gets: the user's --gpus, else the task's run_args.gpus
    inputs: dict[str, Path] = field(default_factory=dict)  # label -> host path
    outputs: dict[str, Path] = field(default_factory=dict)  # label -> host path (file or directory)
    output_types: dict[str, str] = field(default_factory=dict)  # label -> file | directory
    read_only_root: bool = False  # the image's filesystem read-only (as Singularity runs it; probes/singularity.py)
    workdir: str | None = None  # the working directory instead of the image's WORKDIR

    def docker_args(self) -> list[str]:
        """`docker run` options for the mounts, environment and shm size (without user, limits, network)."""
        return mount_args(self.mounts, self.environment, self.shm_size)

    def image_argv(self) -> list[str]:
        """`--entrypoint X IMAGE ARGS...` as the docker CLI wants them."""
        return image_argv(self.image, self.entrypoint, self.args)


def mount_args(mounts: list[Mount], environment: dict[str, str], shm_size: str | None) -> list[str]:
    """`docker run` options for mounts, environment and shm size."""
    out: list[str] = []
    for m in mounts:
        out += ["--volume", f"{m.host}:{m.container}:{m.mode}"]
    for k, v in environment.items():
        out += ["--env", f"{k}={v}"]
    if shm_size:
        out += ["--shm-size", str(shm_size)]
    return out


def image_argv(image: str, entrypoint: list[str] | None, args: list[str] | None) -> list[str]:
    """`--entrypoint X IMAGE ARGS...` as the docker CLI wants them (the rest of the entrypoint goes before ARGS)."""
    rest = list(args or [])
    out: list[str] = []
    if entrypoint:
        out += ["--entrypoint", entrypoint[0]]
        rest = list(entrypoint[1:]) + rest
    return out + [image] + rest


def default_bindings(cube: Cube) -> dict[str, Path]:
    """Host paths a cube brings itself: its parameters file and additional files."""
    out: dict[str, Path] = {}
    if cube.parameters_file is not None:
        out["parameters_file"] = Path(cube.parameters_file)
    if cube.additional_files is not None:
        out["additional_files"] = Path(cube.additional_files)
    return out


def plan_task(cube: Cube, task_name: str, bindings: dict[str, Path], gpus: GpuRequest | None = None) -> RunPlan:
    """Plan a task. ``bindings`` maps volume labels to host paths; the cube's own parameters file and additional
    files are added when not given. Labels the task does not declare are ignored."""
    task = cube.task(task_name)
    if task is None:
        raise PlanError(
            f"{cube.rel(cube.config_file)} declares no task {task_name!r}",
            hint=f"declared tasks: {', '.join(cube.tasks) or 'none'}",
        )
    merged = {**default_bindings(cube), **{k: Path(v) for k, v in bindings.items()}}
    if cube.format == "mlcube":
        plan = _plan_mlcube(cube, task, merged)
    else:
        plan = _plan_container_config(cube, task, merged)
    plan.gpus = GpuRequest.effective(gpus, task.gpu_request)
    return plan


def _check_input(cube: Cube, task: Task, vol: Volume, host: Path) -> None:
    if not host.exists():
        what = {"parameters_file": "parameters file", "additional_files": "additional files folder"}.get(
            vol.label, "input"
        )
        raise PlanError(
            f"task {task.name}: the {what} {vol.label!r} does not exist: {cube.rel(host)}",
            hint=(
                "create it, or remove the volume from the task"
                if vol.label in ("parameters_file", "additional_files")
                else "the previous task of the chain did not produce it"
            ),
        )
    if vol.type == "file" and host.is_dir():
        raise PlanError(f"task {task.name}: {vol.label!r} is declared as a file but {cube.rel(host)} is a folder")
    if vol.type == "directory" and host.is_file():
        raise PlanError(f"task {task.name}: {vol.label!r} is declared as a directory but {cube.rel(host)} is a file")


def _unbound(task: Task, vol: Volume) -> PlanError:
    if vol.label == "metadata_path":
        return PlanError(
            f"task {task.name}: reads metadata_path, but prepare does not write it: MedPerf then supplies none and "
            "stops with KeyError: 'metadata_path'",
            hint="add metadata_path to the output volumes of prepare, or drop it from this task",
        )
    known = "a benchmark gives data_path, labels_path, output_path, ... (see the contract)"
    return PlanError(
        f"task {task.name}: volume {vol.label!r} gets no host path in this run",
        hint=f"{known}; a volume label outside the contract is never filled by MedPerf",
    )


@dataclass
class _Volumes:
    """A task's host paths by direction, as a RunPlan keeps them; each input is checked as it is added."""

    inputs: dict[str, Path] = field(default_factory=dict)
    outputs: dict[str, Path] = field(default_factory=dict)
    output_types: dict[str, str] = field(default_factory=dict)

    def add(self, cube: Cube, task: Task, vol: Volume, host: Path) -> None:
        if vol.is_input:
            _check_input(cube, task, vol, host)
            self.inputs[vol.label] = host
        else:
            self.outputs[vol.label] = host
            self.output_types[vol.label] = vol.type

    def plan(self, cube: Cube, task: Task, args: list[str] | None, entrypoint: list[str] | None,
             mounts: list[Mount]) -> RunPlan:
        return RunPlan(
            task=task.name,
            image=image_name(cube),
            args=args,
            entrypoint=entrypoint,
            mounts=mounts,
            environment={str(k): str(v) for k, v in (task.environment or {}).items()},
            shm_size=task.shm_size,
            inputs=self.inputs,
            outputs=self.outputs,
            output_types=self.output_types,
        )


def _plan_container_config(cube: Cube, task: Task, bindings: dict[str, Path]) -> RunPlan:
    mounts: list[Mount] = []
    volumes = _Volumes()
    seen: dict[str, str] = {}
    for vol in task.volumes:
        host = bindings.get(vol.label)
        if host is None:
            raise _unbound(task, vol)
        if not vol.mount_path:
            raise PlanError(f"task {task.name}: volume {vol.label!r} has no mount_path")
        target = posixpath.normpath(vol.mount_path)
        if target in seen:
            raise PlanError(
                f"task {task.name}: volumes {seen[target]!r} and {vol.label!r} are both mounted at {target}",
                hint="give each volume its own mount_path",
            )
        seen[target] = vol.label
        volumes.add(cube, task, vol, host)
        mounts.append(Mount(host, target, "ro" if vol.is_input else "rw", vol.type, (vol.label,)))
    args = list(task.command) if task.command is not None else None
    # MedPerf passes run_args.entrypoint as ONE `--entrypoint` word, never split (a string with spaces names an
    # executable that does not exist, MC415): run it the same way.
    entrypoint = [task.entrypoint_word] if task.entrypoint_word else None
    return volumes.plan(cube, task, args, entrypoint, mounts)


def _mlcube_host_path(cube: Cube, task: Task, vol: Volume, bindings: dict[str, Path]) -> Path:
    host = bindings.get(vol.label)
    if host is not None:
        return host
    # MLCube and MedPerf resolve a parameter nobody binds from its default, relative to the workspace
    # (e.g. `weights: additional_files/cnn_weights.pth`). Outputs always come from the run.
    if vol.is_input and vol.default and cube.workspace is not None:
        default = Path(vol.default)
        if not default.is_absolute():
            parts = default.parts
            if parts and parts[0] == ADDITIONAL_FILES_DIR and cube.additional_files is not None:
                return Path(cube.additional_files).joinpath(*parts[1:])
            return Path(cube.workspace) / default
        return default
    raise _unbound(task, vol)


def _plan_mlcube(cube: Cube, task: Task, bindings: dict[str, Path]) -> RunPlan:
    mounts: dict[Path, Mount] = {}
    args: list[str] = []
    volumes = _Volumes()
    for vol in task.volumes:  # inputs first, then outputs: the order MLCube numbers them in
        host = _mlcube_host_path(cube, task, vol, bindings)
        volumes.add(cube, task, vol, host)
        folder, name = (host.parent, host.name) if vol.type == "file" else (host, "")
        mount = mounts.get(folder)
        mode: Literal["ro", "rw"] = "ro" if vol.is_input else "rw"
        if mount is None:
            mount = Mount(folder, f"/mlcube_io{len(mounts)}", mode, "directory", (vol.label,))
        else:
            # a folder shared by an input and an output must stay writable
            mount = Mount(
                folder,
                mount.container,
                "rw" if "rw" in (mode, mount.mode) else "ro",
                "directory",
                mount.labels + (vol.label,),
            )
        mounts[folder] = mount
        arg = posixpath.join(mount.container, name) if name else mount.container
        args.append(f"--{vol.label}={arg}")
    entrypoint = list(task.entrypoint) if task.entrypoint else None
    # MedPerf: a task entrypoint replaces the image ENTRYPOINT and the task name is not passed.
    argv = args if entrypoint else [task.name, *args]
    return volumes.plan(cube, task, argv, entrypoint, list(mounts.values()))

