"""The MedPerf contract: roles, their tasks, the fixed volume labels and the default mount paths.

Single source of truth for the checks, the engine and the chain.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("data_preparator", "model", "metrics")

# Order in which a benchmark runs the chain.
CHAIN = (
    ("data_preparator", "prepare"),
    ("data_preparator", "sanity_check"),
    ("data_preparator", "statistics"),
    ("model", "infer"),
    ("metrics", "evaluate"),
)


@dataclass(frozen=True)
class VolumeSpec:
    label: str
    type: str  # "file" | "directory"
    required: bool = True
    default_mount: str = ""


_V = "/mlcommons/volumes"
# MedPerf offers these two to every task (entities/cube.py: extra_mounts), whatever its role.
PARAMS = VolumeSpec("parameters_file", "file", False, f"{_V}/parameters/parameters_file.yaml")
ADDITIONAL = VolumeSpec("additional_files", "directory", False, f"{_V}/additional_files")


@dataclass(frozen=True)
class TaskSpec:
    role: str
    name: str
    inputs: tuple[VolumeSpec, ...]
    outputs: tuple[VolumeSpec, ...]
    required: bool = True  # a role must declare it

    def input(self, label):
        return next((v for v in self.inputs if v.label == label), None)

    def output(self, label):
        return next((v for v in self.outputs if v.label == label), None)


# What sanity_check and statistics both read: the prepared data and labels, as prepare wrote them. A task that does
# not read the labels need not declare them (MedPerf mounts only the labels a task declares). metadata_path is only
# supplied when prepare outputs it (commands/dataset/prepare.py; checks/medperf.py says so).
PREPARED_INPUTS = (
    VolumeSpec("data_path", "directory", True, f"{_V}/data"),
    VolumeSpec("labels_path", "directory", False, f"{_V}/labels"),
    PARAMS,
    ADDITIONAL,
    VolumeSpec("metadata_path", "directory", False, f"{_V}/metadata"),
)

TASKS: dict[str, TaskSpec] = {
    "prepare": TaskSpec(
        "data_preparator",
        "prepare",
        (
            VolumeSpec("data_path", "directory", True, f"{_V}/raw_data"),
            VolumeSpec("labels_path", "directory", True, f"{_V}/raw_labels"),
            PARAMS,
            ADDITIONAL,
        ),
        (
            VolumeSpec("output_path", "directory", True, f"{_V}/data"),
            VolumeSpec("output_labels_path", "directory", True, f"{_V}/labels"),
            VolumeSpec("metadata_path", "directory", False, f"{_V}/metadata"),
            VolumeSpec("report_file", "file", False, f"{_V}/report/report.yaml"),
        ),
    ),
    # MedPerf 0.3.0 runs prepare, sanity_check, statistics (commands/dataset/prepare.py): required in both formats.
    "sanity_check": TaskSpec(
        "data_preparator",
        "sanity_check",
        PREPARED_INPUTS,
        (),
    ),
    "statistics": TaskSpec(
        "data_preparator",
        "statistics",
        PREPARED_INPUTS,
        (VolumeSpec("output_path", "file", True, f"{_V}/statistics/statistics.yaml"),),
    ),
    "infer": TaskSpec(
        "model",
        "infer",
        (
            VolumeSpec("data_path", "directory", True, f"{_V}/data"),
            PARAMS,
            ADDITIONAL,
        ),
        (VolumeSpec("output_path", "directory", True, f"{_V}/predictions"),),
    ),
    "evaluate": TaskSpec(
        "metrics",
        "evaluate",
        (
            VolumeSpec("predictions", "directory", True, f"{_V}/predictions"),
            VolumeSpec("labels", "directory", True, f"{_V}/labels"),
            PARAMS,
            ADDITIONAL,
        ),
        (
            VolumeSpec("output_path", "file", True, f"{_V}/results/results.yaml"),
            # commands/execution/container_execution.py: results a benchmark keeps locally, never uploaded.
            VolumeSpec("local_outputs_path", "directory", False, f"{_V}/local_outputs"),
        ),
    ),
}

# Tasks each role must declare, per config format.
ROLE_TASKS = {
    "mlcube": {
        "data_preparator": ("prepare", "sanity_check", "statistics"),
        "model": ("infer",),
        "metrics": ("evaluate",),
    },
    "container_config": {
        "data_preparator": ("prepare", "sanity_check", "statistics"),
        "model": ("infer",),
        "metrics": ("evaluate",),
    },
}

# Required volumes whose absence MedPerf survives, but with a likely wrong result: a warning, not an error.
# prepare without output_labels_path leaves the prepared labels folder, which evaluate reads, empty.
MISSING_IS_WARNING = {("prepare", "output_labels_path"): "MedPerf then hands evaluate an empty labels folder"}

CONTAINER_TYPES = (
    "DockerImage",
    "DockerArchive",
    "EncryptedDockerArchive",
    "SingularityFile",
    "EncryptedSingularityFile",
)

# Where MedPerf mounts the parameters file and the unpacked additional_files.tar.gz.
ADDITIONAL_FILES_DIR = "additional_files"


def role_of_tasks(task_names) -> str | None:
    """Infer a cube's role from the tasks it declares (None when it matches no role)."""
    names = set(task_names)
    roles = {TASKS[t].role for t in names if t in TASKS}
    if len(roles) == 1:
        return roles.pop()
    return None
