"""Role contract checks (what MedPerf expects of each role): required tasks per role, fixed volume labels, types, mount paths, gpus."""

from __future__ import annotations

import posixpath

from validator import codes as C
from validator.checks.suggest import closest
from validator.errors import UserError
from validator.findings import Finding, error, warning
from validator.manifest.model import Cube, Task, Volume
from validator.manifest.roles import (
    CONTAINER_TYPES,
    MISSING_IS_WARNING,
    ROLE_TASKS,
    ROLES,
    TASKS,
)
from validator.values import GpuRequest


def _display(cube: Cube, show) -> str:
    return show(cube.config_file)


def check_role(cube: Cube, show) -> list[Finding]:
    file = _display(cube, show)
    known = [t for t in cube.tasks if t in TASKS]
    unknown = [t for t in cube.tasks if t not in TASKS]
    roles = sorted({TASKS[t].role for t in known})
    findings: list[Finding] = []
    if not known:
        for t in unknown:
            best = closest(t, TASKS)
            findings.append(error(
                C.MIXED_ROLES, file,
                f"task '{t}' is not a task of any MedPerf role" + (f" (did you mean '{best}'?)" if best else ""),
                hint=_roles_hint(), line=cube.tasks[t].line))
        if not unknown:
            findings.append(error(C.MIXED_ROLES, file, "no tasks declared", hint=_roles_hint(), line=1))
        return findings
    if len(roles) > 1:
        per_role = "; ".join(f"{r}: {', '.join(t for t in known if TASKS[t].role == r)}" for r in roles)
        findings.append(error(
            C.MIXED_ROLES, file, f"tasks belong to different roles ({per_role})",
            hint="A cube has one role: split it into one cube per role.", line=cube.tasks[known[0]].line))
        return findings
    role = roles[0]
    required = ROLE_TASKS[cube.format][role]
    allowed = [t for t, spec in TASKS.items() if spec.role == role]
    missing = [t for t in required if t not in cube.tasks]
    for t in unknown:
        best = closest(t, allowed)
        if best is not None and best not in cube.tasks:  # a typo of a task the cube lacks (required or optional)
            if best in missing:
                missing.remove(best)
            findings.append(error(
                C.FOREIGN_TASK, file, f"task '{t}' is not a {role} task (did you mean '{best}'?)",
                hint=f"Rename it to '{best}'. A {role} declares: {', '.join(allowed)}.", line=cube.tasks[t].line))
        else:
            findings.append(warning(
                C.FOREIGN_TASK, file, f"task '{t}' is not part of the {role} contract; MedPerf never runs it",
                hint=f"A {role} declares: {', '.join(allowed)}.", line=cube.tasks[t].line))
    for t in missing:
        why = ""
        if role == "data_preparator":
            why = (f": MedPerf runs prepare, sanity_check and statistics, and stops with \"Task {t} is not found in "
                   "container config.\"")
        findings.append(error(
            C.MISSING_ROLE_TASK, file, f"a {role} must declare the task '{t}'" + why,
            hint=f"Add '{t}' under tasks (a {role} declares: {', '.join(required)}).",
            line=cube.doc.line(("tasks",), key=True) if cube.doc else None))
    return findings


def _roles_hint() -> str:
    parts = [f"{r}: {', '.join(t for t, s in TASKS.items() if s.role == r)}" for r in ROLES]
    return "Declare the tasks of one role — " + "; ".join(parts) + "."


def check_volumes(cube: Cube, show) -> list[Finding]:
    file = _display(cube, show)
    findings: list[Finding] = []
    for task in cube.tasks.values():
        spec = TASKS.get(task.name)
        if spec is None:
            continue
        findings += _task_volumes(cube, task, spec, file)
    return findings


def _task_volumes(cube: Cube, task: Task, spec, file: str) -> list[Finding]:
    findings: list[Finding] = []
    covered: set[str] = set()
    side = {"ro": ("input", spec.inputs, spec.outputs), "rw": ("output", spec.outputs, spec.inputs)}
    for vol in task.volumes:
        kind, same, opposite = side[vol.access]
        expected = next((v for v in same if v.label == vol.label), None)
        if expected is None:
            if any(v.label == vol.label for v in opposite):
                other = "output" if kind == "input" else "input"
                findings.append(error(
                    C.VOLUME_SIDE, file, f"task '{task.name}': '{vol.label}' is an {other} of this task, declared as an {kind}",
                    hint=f"Move '{vol.label}' to the {other}s of '{task.name}'.", line=vol.line))
                covered.add(vol.label)
                continue
            if cube.is_additional_file(vol):
                continue
            missing = [v.label for v in same if v.required and v.label not in task.inputs and v.label not in task.outputs]
            best = closest(vol.label, [v.label for v in same])
            if best:
                covered.add(best)
            labels = ", ".join(v.label for v in same)
            extra = " Extra model inputs belong under additional_files/." if kind == "input" and cube.format == "mlcube" else ""
            findings.append(error(
                C.UNKNOWN_LABEL, file,
                f"task '{task.name}': MedPerf never supplies the {kind} '{vol.label}' to this task; it looks up every "
                f"declared label and stops with KeyError: '{vol.label}'" + (f" (did you mean '{best}'?)" if best else ""),
                hint=f"MedPerf finds host paths by fixed labels; {kind}s of '{task.name}' are: {labels}.{extra}"
                + ("" if best or not missing else f" Missing: {', '.join(missing)}."),
                line=vol.line))
            continue
        if vol.type != expected.type and (cube.format != "mlcube" or _explicit_type(cube, task, vol)):
            findings.append(error(
                C.VOLUME_TYPE, file,
                f"task '{task.name}': '{vol.label}' is declared as a {vol.type}, MedPerf passes a {expected.type}",
                hint=f"Set type: {expected.type}" + (f" (e.g. {expected.default_mount})" if expected.default_mount else "") + ".",
                line=vol.line))
    present = set(task.inputs) | set(task.outputs)
    for v in (*spec.inputs, *spec.outputs):
        if v.required and v.label not in present and v.label not in covered:
            kind = "input" if v in spec.inputs else "output"
            consequence = MISSING_IS_WARNING.get((task.name, v.label))
            if consequence is not None:
                findings.append(warning(
                    C.MISSING_VOLUME, file, f"task '{task.name}' declares no {kind} volume '{v.label}' ({v.type}): {consequence}",
                    hint=f"Add '{v.label}' to the {kind}s of '{task.name}'"
                    + (f" (MedPerf's default mount: {v.default_mount})." if cube.format == "container_config" else "."),
                    line=task.line))
                continue
            findings.append(error(
                C.MISSING_VOLUME, file, f"task '{task.name}' must declare the {kind} volume '{v.label}' ({v.type})",
                hint=f"Add '{v.label}' to the {kind}s of '{task.name}'"
                + (f" (MedPerf's default mount: {v.default_mount})." if cube.format == "container_config" else "."),
                line=task.line))
    if cube.format == "container_config":
        findings += _mounts(task, file)
    return findings


def _explicit_type(cube: Cube, task: Task, vol: Volume) -> bool:
    data = cube.doc.data if cube.doc else {}
    try:
        group = "inputs" if vol.is_input else "outputs"
        spec = data["tasks"][task.name]["parameters"][group][vol.label]
    except (KeyError, TypeError):
        return False
    return isinstance(spec, dict) and "type" in spec


def _mounts(task: Task, file: str) -> list[Finding]:
    findings: list[Finding] = []
    seen: dict[str, Volume] = {}
    for vol in task.volumes:
        if vol.mount_path is None:
            continue
        if not vol.mount_path.startswith("/"):
            findings.append(error(
                C.RELATIVE_MOUNT, file, f"task '{task.name}': mount path '{vol.mount_path}' of '{vol.label}' is not absolute",
                hint=f"Use an absolute path inside the container, e.g. /mlcommons/volumes/{posixpath.basename(vol.mount_path) or vol.label}.",
                line=vol.line))
            continue
        norm = posixpath.normpath(vol.mount_path)
        if norm in seen:
            findings.append(error(
                C.MOUNT_TWICE, file,
                f"task '{task.name}': '{vol.label}' and '{seen[norm].label}' are both mounted at {norm}",
                hint="Give each volume its own mount path; one would hide the other.", line=vol.line))
        else:
            seen[norm] = vol
    return findings


def check_runtime(cube: Cube, show) -> list[Finding]:
    file = _display(cube, show)
    findings: list[Finding] = []
    if cube.format == "container_config" and cube.container_type not in ("DockerImage",) and cube.container_type in CONTAINER_TYPES:
        findings.append(warning(
            C.UNRUNNABLE_TYPE, file, f"container_type {cube.container_type}: medcube builds and runs DockerImage cubes only",
            hint="Static checks still apply; test the image with MedPerf itself.",
            line=cube.doc.line(("container_type",)) if cube.doc else None))
    for task in cube.tasks.values():
        if task.gpus is None:
            continue
        try:
            GpuRequest.parse(task.gpus, what="gpus:")
        except UserError as e:
            findings.append(error(
                C.BAD_GPUS, file, f"task '{task.name}': {e.message}", hint="Use all, a count such as 1, device=0,1, "
                "or none.",
                line=cube.doc.line(("tasks", task.name, "run_args", "gpus")) if cube.doc else task.line))
    return findings
