"""What MedPerf's runtime does with a config that the schema and the role contract do not see.

MedPerf 0.3.0 (see docs/findings.md, "Severity policy"): it mounts only the labels a task declares, looks each up
in what it supplies, runs prepare -> sanity_check -> statistics, passes `run_args.entrypoint` as one `--entrypoint`
value, and never builds an image. Each check returns findings; none reads the code (crossfile.py does that).

- `not_a_benchmark_cube`: federated learning, certificate and confidential-computing containers (MC212);
- `check_metadata`: a task reads `metadata_path` that prepare never writes (MC213, MedPerf's KeyError);
- `check_mlcube_only`: a cube MedPerf 0.3.0 cannot run (no container_config.yaml, MC214);
- `check_command_paths`: absolute container paths in run_args that are no mount of the task (MC410);
- `check_entrypoint_string`: run_args.entrypoint with spaces (MC415);
- `check_layout`: both folder layouts present and different (MC215).
"""

from __future__ import annotations

import filecmp
import posixpath

from validator import codes as C
from validator.checks.suggest import closest
from validator.findings import Finding, error, warning
from validator.manifest.model import Cube, Task
from validator.manifest.roles import TASKS, evidenced_roles

# Task names of MedPerf's other containers (examples/fl, examples/flower, examples/cc) and of the MLCube pipelines
# found in public repositories: not benchmark roles.
OTHER_CONTAINER_TASKS = {
    "federated learning": ("start_aggregator", "generate_plan", "train_initial_model", "get_experiment_status",
                           "update_plan", "add_collaborator", "remove_collaborator"),
    "certificates": ("get_client_cert", "get_server_cert", "trust", "verify_cert"),
    "confidential computing": ("run_script",),
    "training pipeline": ("train", "download_data", "process_data", "preprocess_data", "download_demo", "demo"),
    "data-selection pipeline": ("select", "create_baselines"),
}


def not_a_benchmark_cube(cube: Cube, show) -> Finding | None:
    """One finding for a cube that gives no evidence of a benchmark role, else None. Evidence: in
    container_config.yaml (which only MedPerf runs) a task of a role; in mlcube.yaml a task of a role that declares
    one of the labels MedPerf gives it (evidenced_roles), or a typo of such a task carrying those labels. `--role`
    overrides (the cube's role is then set)."""
    names = list(cube.tasks)
    if not names or cube.role is not None:
        return None
    if cube.format == "container_config":
        if any(t in TASKS for t in names) or any(closest(t, TASKS) for t in names):
            return None
    else:
        if evidenced_roles(cube.tasks):
            return None  # evidence of several roles: the role check says "different roles"
        for t in names:
            best = closest(t, TASKS)
            spec = TASKS.get(best) if best else None
            if spec is not None and t not in TASKS and {v.label for v in (*spec.inputs, *spec.outputs)} & \
                    (set(cube.tasks[t].inputs) | set(cube.tasks[t].outputs)) - {"parameters_file", "additional_files"}:
                return None  # a typo of a benchmark task with its labels: the role check says "did you mean"
    kinds = [kind for kind, tasks in OTHER_CONTAINER_TASKS.items() if any(t in tasks for t in names)]
    if "federated learning" in kinds and "training pipeline" in kinds:
        kinds.remove("training pipeline")
    what = f" (looks like a {' / '.join(kinds)})" if kinds else ""
    if cube.format == "mlcube" and any(t in TASKS for t in names):
        what += "; its " + ", ".join(t for t in names if t in TASKS) + " declares none of the labels MedPerf gives"
    return warning(
        C.NOT_A_BENCHMARK_CUBE, show(cube.config_file),
        f"not a benchmark cube (data preparator, model or metrics): tasks {', '.join(names)}{what}; "
        "role and mount checks are skipped (its tasks are still checked against its code, as the MLCube client runs them)",
        hint="medcube checks benchmark cubes (prepare/sanity_check/statistics, infer, evaluate, with MedPerf's "
        "labels). Other cubes run under the MLCube client or MedPerf's own commands (federated learning, "
        "certificates, run_script). If this is a benchmark cube, say its role: --role data_preparator|model|metrics.",
        line=cube.tasks[names[0]].line)


def check_metadata(cube: Cube, show) -> list[Finding]:
    """MedPerf supplies metadata_path to sanity_check/statistics only when prepare outputs it."""
    if cube.role != "data_preparator":
        return []
    prepare = cube.tasks.get("prepare")
    if prepare is None or "metadata_path" in prepare.outputs:
        return []
    findings = []
    for name in ("sanity_check", "statistics"):
        task = cube.tasks.get(name)
        if task is None or "metadata_path" not in task.inputs:
            continue
        findings.append(error(
            C.METADATA_NEVER_WRITTEN, show(cube.config_file),
            f"task '{name}' reads metadata_path, but prepare does not write it: MedPerf then supplies no "
            "metadata_path and stops with KeyError: 'metadata_path'",
            hint="Add metadata_path to the output volumes of prepare (MedPerf then creates and passes the folder), "
            f"or drop it from '{name}'.", line=task.inputs["metadata_path"].line))
    return findings


def check_mlcube_only(cube: Cube, show) -> list[Finding]:
    if cube.format != "mlcube" or (cube.path / "container_config.yaml").is_file():
        return []  # (pointed at mlcube/mlcube.yaml of a cube that has both: MedPerf runs the other one)
    return [warning(
        C.MLCUBE_ONLY, show(cube.config_file),
        "no container_config.yaml: MedPerf 0.3.0 runs container_config.yaml only (it refuses a config without "
        "container_type); mlcube.yaml is read by the MLCube client",
        hint=f"Write one beside mlcube/: medcube convert {show(cube.config_file)} -o "
        f"{show(cube.path / 'container_config.yaml')}", line=1)]


def _mount_roots(cube: Cube) -> set[str]:
    """Folders that hold volumes: every ancestor of at least two distinct mount paths of the cube (e.g.
    /mlcommons/volumes). A path below one of them is meant to be a volume; the image's own folders are not."""
    mounts = {posixpath.normpath(v.mount_path) for task in cube.tasks.values() for v in task.volumes
              if v.mount_path and v.mount_path.startswith("/")}
    below: dict[str, set[str]] = {}
    for mount in mounts:
        parent = posixpath.dirname(mount)
        while parent != "/":
            below.setdefault(parent, set()).add(mount)
            parent = posixpath.dirname(parent)
    return {root for root, under in below.items() if len(under) >= 2}


_PROGRAMS = (".py", ".sh", ".r", ".R", ".jl")


def _is_mounted(path: str, task: Task) -> bool:
    for vol in task.volumes:
        if not vol.mount_path:
            continue
        mount = posixpath.normpath(vol.mount_path)
        if path == mount or (vol.type == "directory" and path.startswith(mount + "/")):
            return True
    return False


def _paths(argv: list[str]):
    """Absolute paths among the arguments (`--x=/p` included); not the program, nor a script it runs."""
    for i, token in enumerate(argv):
        value = token.split("=", 1)[1] if token.startswith("-") and "=" in token else token
        if not value.startswith("/") or i == 0 or value.endswith(_PROGRAMS):
            continue
        yield value


def check_command_paths(cube: Cube, show) -> list[Finding]:
    """An absolute path under the mounts' folders in run_args.command/entrypoint must be a mount of that task."""
    if cube.format != "container_config":
        return []
    roots = _mount_roots(cube)
    findings = []
    for task in cube.tasks.values():
        mounts = [posixpath.normpath(v.mount_path) for v in task.volumes if v.mount_path]
        argv_all = [*(task.entrypoint or []), *(task.command or [])]
        code = [t for t in argv_all if t.startswith("/") and t.endswith(_PROGRAMS)]
        # A folder holding the program the task runs is the image's code folder, not (only) a volume folder.
        task_roots = {r for r in roots if not any(c.startswith(r + "/") for c in code)}
        for key, argv in (("command", task.command), ("entrypoint", task.entrypoint)):
            for path in _paths(argv or []):
                norm = posixpath.normpath(path)
                if _is_mounted(norm, task) or not any(norm.startswith(r + "/") or norm == r for r in task_roots):
                    continue
                others = [n for n, t in cube.tasks.items() if t is not task and _is_mounted(norm, t)]
                best = closest(norm, mounts)
                if others:
                    why = f"it is mounted for task {', '.join(others)}, not for '{task.name}'"
                else:
                    why = "no volume of this task is mounted there"
                findings.append(error(
                    C.PATH_NOT_MOUNTED, show(cube.config_file),
                    f"task '{task.name}': run_args.{key} names {path}, but {why}"
                    + (f" (did you mean '{best}'?)" if best else ""),
                    hint=f"Use a mount_path of '{task.name}' ({', '.join(mounts) or 'none declared'}), or declare the "
                    "volume in this task: MedPerf mounts only the volumes a task declares.",
                    line=cube.doc.line(("tasks", task.name, "run_args", key)) if cube.doc else task.line))
    return findings


def check_entrypoint_string(cube: Cube, show) -> list[Finding]:
    """MedPerf passes run_args.entrypoint as ONE `--entrypoint` value (`f"{entrypoint}"`): a string with spaces, or
    a list (its Python text), names no executable."""
    if cube.format != "container_config" or cube.doc is None or not isinstance(cube.doc.data, dict):
        return []
    findings = []
    tasks = cube.doc.data.get("tasks")
    for name, tdata in (tasks.items() if isinstance(tasks, dict) else []):
        run_args = tdata.get("run_args") if isinstance(tdata, dict) else None
        value = run_args.get("entrypoint") if isinstance(run_args, dict) else None
        if isinstance(value, str) and len(value.split()) > 1:
            first, rest = value.split(None, 1)
            findings.append(error(
                C.ENTRYPOINT_WITH_SPACES, show(cube.config_file),
                f"task '{name}': run_args.entrypoint {value!r} has spaces; MedPerf passes it as one --entrypoint "
                f"value, so the container looks for an executable named {value!r}",
                hint=f"Set entrypoint: {first} and put the rest in run_args.command (command: {rest} ...).",
                line=cube.doc.line(("tasks", name, "run_args", "entrypoint"))))
        elif isinstance(value, list) and value:
            word = f"{value}"
            first, rest = str(value[0]), " ".join(str(v) for v in value[1:])
            findings.append(error(
                C.ENTRYPOINT_WITH_SPACES, show(cube.config_file),
                f"task '{name}': run_args.entrypoint is a list; MedPerf passes it as one --entrypoint value, its "
                f"Python text {word!r}, so the container looks for an executable of that name",
                hint=f"Set entrypoint: {first}" + (f" and put the rest in run_args.command ({rest} ...)." if rest
                                                    else " (a string, not a list)."),
                line=cube.doc.line(("tasks", name, "run_args", "entrypoint"))))
    return findings


def check_layout(cube: Cube, show) -> list[Finding]:
    """Both `workspace/` (MedPerf's layout) and `mlcube/workspace/` (MLCube's) present and different: say which wins."""
    medperf_ws, mlcube_ws = cube.path / "workspace", cube.path / "mlcube" / "workspace"
    if not (medperf_ws.is_dir() and mlcube_ws.is_dir()):
        return []
    differ = []
    a, b = medperf_ws / "parameters.yaml", mlcube_ws / "parameters.yaml"
    if a.is_file() != b.is_file() or (a.is_file() and not filecmp.cmp(a, b, shallow=False)):
        differ.append("parameters.yaml")
    a, b = medperf_ws / "additional_files", mlcube_ws / "additional_files"
    if _tree_differs(a, b):  # a missing folder counts as an empty one
        differ.append("additional_files/")
    if not differ:
        return []
    used = cube.workspace
    return [warning(
        C.TWO_WORKSPACES, show(cube.config_file),
        f"both {show(medperf_ws)} and {show(mlcube_ws)} exist and their {' and '.join(differ)} differ; "
        f"medcube uses {show(used) if used else show(medperf_ws)}",
        hint="The rule: workspace/ beside container_config.yaml (MedPerf's layout) wins when it holds "
        "parameters.yaml; else mlcube/workspace/. Keep one of them.", line=None)]


def _tree_differs(a, b) -> bool:
    if not (a.is_dir() and b.is_dir()):
        present = a if a.is_dir() else b if b.is_dir() else None
        return present is not None and any(present.iterdir())
    stack = [filecmp.dircmp(a, b)]
    while stack:
        c = stack.pop()
        if c.left_only or c.right_only or c.diff_files or c.funny_files:
            return True
        stack.extend(c.subdirs.values())
    return False
