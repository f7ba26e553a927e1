"""mlcube.yaml -> container_config.yaml: the migration MedPerf made in 2025.

Each volume keeps its label and gets MedPerf's default mount path; the task name and the paths are passed to the
image ENTRYPOINT (`mlcube.py TASK --label=PATH ...`) through run_args.command, the way MLCube's runner called it.
Extra inputs under additional_files/ (e.g. `weights: additional_files/cnn_weights.pth`) become paths inside
MedPerf's additional_files mount.
"""

from __future__ import annotations

import posixpath
from typing import Any

import yaml

from validator.manifest.model import Cube
from validator.manifest.roles import ADDITIONAL_FILES_DIR, TASKS

ADDITIONAL_MOUNT = TASKS["infer"].input("additional_files").default_mount


def _mount(task_name: str, label: str, vtype: str, is_input: bool) -> str:
    spec = TASKS.get(task_name)
    known = (spec.input(label) if is_input else spec.output(label)) if spec else None
    if known is not None:
        return known.default_mount
    return f"/mlcommons/volumes/{label}" + ("" if vtype == "directory" else f"/{label}")


def to_container_config(cube: Cube) -> dict:
    assert cube.format == "mlcube"
    tasks: dict[str, dict[str, Any]] = {}
    for task in cube.tasks.values():
        inputs: dict[str, dict[str, str]] = {}
        outputs: dict[str, dict[str, str]] = {}
        args = [task.name]
        for vol in task.inputs.values():
            if cube.is_additional_file(vol):
                rel = str(vol.default).replace("\\", "/").lstrip("./")[len(ADDITIONAL_FILES_DIR) + 1 :]
                inputs["additional_files"] = {"mount_path": ADDITIONAL_MOUNT, "type": "directory"}
                args.append(f"--{vol.label}={posixpath.join(ADDITIONAL_MOUNT, rel)}")
                continue
            mount = _mount(task.name, vol.label, vol.type, True)
            inputs[vol.label] = {"mount_path": mount, "type": vol.type}
            args.append(f"--{vol.label}={mount}")
        for vol in task.outputs.values():
            mount = _mount(task.name, vol.label, vol.type, False)
            outputs[vol.label] = {"mount_path": mount, "type": vol.type}
            args.append(f"--{vol.label}={mount}")
        run_args: dict[str, Any] = {"command": " ".join(args)}
        if cube.gpu_count:
            run_args["gpus"] = cube.gpu_count
        entry: dict[str, Any] = {"run_args": run_args}
        entry["input_volumes"] = inputs
        if outputs:
            entry["output_volumes"] = outputs
        tasks[task.name] = entry
    return {"container_type": "DockerImage", "image": cube.image, "tasks": tasks}


def dump(config: dict) -> str:
    header = "# MedPerf container configuration, converted from mlcube.yaml by `medcube convert`.\n"
    return header + yaml.safe_dump(config, sort_keys=False, width=200)
