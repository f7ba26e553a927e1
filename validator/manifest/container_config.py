"""MedPerf's container_config.yaml (current format) -> Cube.

Tolerant: the schema check reports malformed parts; here they are skipped.
The host side (parameters.yaml, additional_files/) lives in `workspace/` beside the config, as in MedPerf's
examples, or in `mlcube/workspace/` for cubes that carry both formats.
"""

from __future__ import annotations

from pathlib import Path

from validator.manifest.argv import to_argv
from validator.manifest.model import Access, Build, Cube, Task, Volume, VolumeType, parsed_cube, typed
from validator.manifest.yamlread import Doc
from validator.values import GpuRequest


def find_workspace(cube_dir: Path) -> Path:
    """The one rule for the host side: `workspace/` beside container_config.yaml (MedPerf's layout) when it holds
    parameters.yaml, else `mlcube/workspace/` when that does, else the first of them that exists."""
    candidates = (cube_dir / "workspace", cube_dir / "mlcube" / "workspace")
    for candidate in candidates:
        if (candidate / "parameters.yaml").is_file():
            return candidate
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return cube_dir / "workspace"


def find_build(cube_dir: Path) -> Build | None:
    if (cube_dir / "Dockerfile").is_file():
        return Build(cube_dir, cube_dir / "Dockerfile", "Dockerfile beside container_config.yaml")
    if (cube_dir / "project" / "Dockerfile").is_file():
        return Build(cube_dir / "project", cube_dir / "project" / "Dockerfile", "project/Dockerfile")
    return None


def parse(doc: Doc, cube_dir: Path) -> Cube:
    data = doc.data if isinstance(doc.data, dict) else {}
    tasks: dict[str, Task] = {}
    gpu_count = 0
    for name, tdata in typed(data, "tasks", dict, {}).items():
        tdata = tdata if isinstance(tdata, dict) else {}
        task = Task(name=str(name), line=doc.line(("tasks", name), key=True))
        sides: tuple[tuple[str, Access, dict[str, Volume]], ...] = (("input_volumes", "ro", task.inputs),
                                                                    ("output_volumes", "rw", task.outputs))
        for kind, access, target in sides:
            group = tdata.get(kind)
            if not isinstance(group, dict):
                continue
            for label, spec in group.items():
                spec = spec if isinstance(spec, dict) else {}
                vtype: VolumeType = "file" if spec.get("type") == "file" else "directory"
                mount = spec.get("mount_path")
                target[str(label)] = Volume(
                    label=str(label),
                    type=vtype,
                    access=access,
                    mount_path=str(mount) if mount is not None else None,
                    line=doc.line(("tasks", name, kind, label), key=True),
                )
        run_args = typed(tdata, "run_args", dict, {})
        task.command = to_argv(run_args.get("command"))
        task.entrypoint = to_argv(run_args.get("entrypoint"))
        raw = run_args.get("entrypoint")
        task.entrypoint_word = None if raw is None else f"{raw}"  # MedPerf: docker_utils.craft_docker_run_command
        env = run_args.get("environment")
        task.environment = {str(k): str(v) for k, v in env.items()} if isinstance(env, dict) else {}
        task.shm_size = str(run_args["shm_size"]) if run_args.get("shm_size") is not None else None
        task.gpus = run_args.get("gpus")
        task.gpu_request = GpuRequest.read(task.gpus)
        gpu_count = max(gpu_count, task.gpu_request.at_least if task.gpu_request else 0)
        tasks[task.name] = task

    workspace = find_workspace(cube_dir)
    return parsed_cube(
        "container_config", doc, cube_dir, tasks, workspace,
        image=typed(data, "image", str),
        container_type=typed(data, "container_type", str, "DockerImage"),
        build=find_build(cube_dir),
        parameters_file=workspace / "parameters.yaml",
        gpu_count=gpu_count,
    )
