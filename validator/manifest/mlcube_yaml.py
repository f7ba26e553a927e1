"""MLCube's mlcube.yaml (the format of MedPerf's MLCube-era tutorials) -> Cube.

Tolerant: the schema check reports malformed parts; here they are skipped.
Paths in the file are relative to mlcube/workspace/; a parameters file found only beside mlcube.yaml (the MLCube-era
submission bundles: mlcube.yaml + parameters.yaml) is that one.
"""

from __future__ import annotations

from pathlib import Path

from validator.manifest.model import Access, Build, Cube, Task, Volume, VolumeType, parsed_cube, typed
from validator.manifest.yamlread import Doc


def _volume(doc: Doc, path: tuple, label: str, spec, access: Access) -> Volume:
    raw_default, declared = (spec.get("default"), spec.get("type")) if isinstance(spec, dict) else (spec, None)
    default = _path_text(raw_default)
    vtype: VolumeType
    if declared in ("file", "directory"):
        vtype = declared
    else:  # MLCube guesses: a trailing slash or no extension means a directory.
        vtype = "directory" if default is None or default.endswith("/") or "." not in Path(default).name else "file"
    return Volume(label=label, type=vtype, access=access, default=default, line=doc.line(path, key=True))


def _path_text(value) -> str | None:
    """A volume's default as a path: a string, or a number's text (MLCube takes `default: 1` as the name "1"); a
    mapping, a list or bytes is the schema's error (MC1xx) and no path: their text is no name, and may be longer than
    a name can be (an OSError when it is used)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and len(text := str(value)) <= 255:
        return text
    return None


def parse(doc: Doc, cube_dir: Path) -> Cube:
    data = doc.data if isinstance(doc.data, dict) else {}
    mlcube_dir = doc.file.parent
    workspace = mlcube_dir / "workspace"
    tasks: dict[str, Task] = {}
    for name, tdata in (data.get("tasks") or {}).items() if isinstance(data.get("tasks"), dict) else []:
        task = Task(name=str(name), line=doc.line(("tasks", name), key=True))
        params = (tdata or {}).get("parameters") if isinstance(tdata, dict) else None
        params = params if isinstance(params, dict) else {}
        sides: tuple[tuple[str, Access, dict[str, Volume]], ...] = (("inputs", "ro", task.inputs),
                                                                    ("outputs", "rw", task.outputs))
        for kind, access, target in sides:
            group = params.get(kind)
            if not isinstance(group, dict):
                continue
            for label, spec in group.items():
                target[str(label)] = _volume(doc, ("tasks", name, "parameters", kind, label), str(label), spec, access)
        if isinstance(tdata, dict) and isinstance(tdata.get("entrypoint"), str):
            task.entrypoint = tdata["entrypoint"].split()
        tasks[task.name] = task

    docker = typed(data, "docker", dict, {})
    build = None
    given_context, given_file = docker.get("build_context"), docker.get("build_file")
    if given_context is not None or given_file is not None:
        # a value that is no string is the schema's error (MC1xx): the model takes the default, never its repr (a
        # list's text is no folder, and may be longer than a name can be)
        context = (mlcube_dir / (given_context if isinstance(given_context, str) else "build")).resolve()
        build = Build(
            context=context,
            dockerfile=context / (given_file if isinstance(given_file, str) else "Dockerfile"),
            source=f"{doc.file.name} docker.build_context/build_file",
        )
    platform = typed(data, "platform", dict, {})
    gpus = platform.get("accelerator_count", 0)
    params_file = None
    for task in tasks.values():
        vol = task.inputs.get("parameters_file")
        if vol and vol.default:
            params_file = workspace / vol.default
            beside = mlcube_dir / vol.default  # MLCube-era submission bundles: parameters.yaml next to mlcube.yaml
            if not params_file.exists() and Path(vol.default).name == vol.default and beside.is_file():
                params_file = beside
            break
    if params_file is None and not (workspace / "parameters.yaml").exists() and (mlcube_dir / "parameters.yaml").is_file():
        params_file = mlcube_dir / "parameters.yaml"
    return parsed_cube(
        "mlcube", doc, cube_dir, tasks, workspace,
        image=typed(docker, "image", str),
        name=typed(data, "name", str),
        description=typed(data, "description", str),
        build=build,
        parameters_file=params_file or workspace / "parameters.yaml",
        gpu_count=gpus if isinstance(gpus, int) and gpus > 0 else 0,
    )
