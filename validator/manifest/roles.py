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
    """The role a set of task names alone points to (None when it matches no role or several)."""
    names = set(task_names)
    roles = {TASKS[t].role for t in names if t in TASKS}
    if len(roles) == 1:
        return roles.pop()
    return None


def _labels(task) -> set[str]:
    return set(getattr(task, "inputs", {}) or {}) | set(getattr(task, "outputs", {}) or {})


def evidenced_roles(tasks: dict) -> list[str]:
    """The roles a cube's tasks give real evidence of: a task of the role that declares at least one of the labels
    MedPerf gives that task (beyond parameters_file and additional_files, which it gives every task). A task named
    `infer` with labels of its own (data_dir, model_dir) is an MLCube pipeline's step, not MedPerf's model."""
    found = []
    for name, task in tasks.items():
        spec = TASKS.get(name)
        if spec is None:
            continue
        own = {v.label for v in (*spec.inputs, *spec.outputs)} - {PARAMS.label, ADDITIONAL.label}
        if own & _labels(task) and spec.role not in found:
            found.append(spec.role)
    return found


def role_of_cube(tasks: dict, declared: str | None = None) -> str | None:
    """A cube's benchmark role: the one the user declared (`--role`), else the one role its tasks give evidence of
    (evidenced_roles); None for a cube with no evidence (not a benchmark cube) or evidence of several roles."""
    if declared:
        return declared
    roles = evidenced_roles(tasks)
    if len(roles) == 1:
        return roles[0]
    if not roles:
        return None
    return role_of_tasks(tasks)  # several roles evidenced: none (the role check says "different roles")
