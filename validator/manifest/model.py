"""One normalized description of a cube, whichever config format it was read from.

Parsers (mlcube_yaml.py, container_config.py) produce it; checks, the engine and the chain consume it.
Paths on the host are absolute; paths inside the container are POSIX strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from validator.manifest.roles import ADDITIONAL_FILES_DIR, role_of_cube, role_of_tasks
from validator.values import GpuRequest

Format = Literal["mlcube", "container_config"]
VolumeType = Literal["file", "directory"]
Access = Literal["ro", "rw"]


@dataclass
class Volume:
    label: str
    type: VolumeType
    access: Access  # inputs are read-only, outputs read-write
    # container_config.yaml: where it is mounted inside the container.
    mount_path: str | None = None
    # mlcube.yaml: the default host path, relative to the workspace (may be None for container_config).
    default: str | None = None
    line: int | None = None  # where the volume is declared in the config file

    @property
    def is_input(self) -> bool:
        return self.access == "ro"


@dataclass
class Task:
    name: str
    inputs: dict[str, Volume] = field(default_factory=dict)
    outputs: dict[str, Volume] = field(default_factory=dict)
    # container_config run_args (None when absent). command/entrypoint are argv lists.
    command: list[str] | None = None
    entrypoint: list[str] | None = None
    # container_config: the one `docker run --entrypoint` word MedPerf passes (`f"{entrypoint}"`: a string as it
    # is, spaces and all; a list as its Python text), what the runner runs. None: the image's ENTRYPOINT.
    entrypoint_word: str | None = None
    environment: dict[str, str] = field(default_factory=dict)
    shm_size: str | None = None
    gpus: str | int | None = None  # run_args.gpus as the config says it (the static check reports a bad one)
    gpu_request: GpuRequest | None = None  # and as read (validator.values): None for no GPU, or a bad value
    line: int | None = None

    @property
    def volumes(self) -> list[Volume]:
        return [*self.inputs.values(), *self.outputs.values()]


@dataclass
class Build:
    context: Path  # build context directory on the host
    dockerfile: Path  # Dockerfile on the host (inside or outside the context)
    source: str  # where the build was found, said in messages ("mlcube.yaml docker.build_context", ...)


@dataclass
class Cube:
    path: Path  # the cube directory
    format: Format  # the format the cube runs with (container_config wins when both exist)
    config_file: Path  # the file it was loaded from
    tasks: dict[str, Task]
    image: str | None = None
    role: str | None = None  # data_preparator | model | metrics: declared (--role) or evidenced by tasks and labels
    name: str | None = None
    description: str | None = None
    container_type: str = "DockerImage"
    build: Build | None = None
    workspace: Path | None = None  # host folder holding parameters.yaml and additional_files/
    parameters_file: Path | None = None  # host path of parameters.yaml (may not exist)
    additional_files: Path | None = None  # host folder (may not exist)
    gpu_count: int = 0  # accelerators requested (mlcube platform.accelerator_count / run_args.gpus)
    # Both formats, when both files are present: the other one, kept for the agreement check.
    other: Cube | None = None
    doc: Any = field(default=None, repr=False)  # yamlread.Doc of config_file: data plus line numbers
    checked: Any = field(default=None, repr=False)  # the static report of checks.load that built this Cube

    def is_additional_file(self, vol: Volume) -> bool:
        """mlcube.yaml inputs like `weights: additional_files/cnn_weights.pth` map into MedPerf's additional files."""
        default = vol.default
        return self.format == "mlcube" and vol.is_input and bool(default) and \
            str(default).replace("\\", "/").lstrip("./").startswith(ADDITIONAL_FILES_DIR + "/")

    def task(self, name: str) -> Task | None:
        return self.tasks.get(name)

    def rel(self, p: Path | str) -> str:
        """A path relative to the cube directory's parent, as a user would read it in a message."""
        p = Path(p)
        try:
            return str(p.relative_to(self.path.parent))
        except ValueError:
            return str(p)


def parsed_cube(fmt: Format, doc: Any, cube_dir: Path, tasks: dict[str, Task], workspace: Path, **fields) -> Cube:
    """The Cube a parser returns, either format, additional_files/ in the workspace. The role: in container_config.yaml
    (a file only MedPerf runs) the tasks' names tell it; in mlcube.yaml the tasks and their labels must show it."""
    return Cube(path=cube_dir, format=fmt, config_file=doc.file, tasks=tasks, role=role_of_cube(tasks) if fmt == "mlcube" else role_of_tasks(tasks),
                workspace=workspace, additional_files=workspace / ADDITIONAL_FILES_DIR, doc=doc, **fields)


def typed(data: dict, key: str, kind: type, default=None):
    """data[key] when it is of that type, else the default (parsers are tolerant: the schema check reports it)."""
    value = data.get(key)
    return value if isinstance(value, kind) else default
