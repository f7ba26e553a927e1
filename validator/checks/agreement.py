"""When a cube carries both mlcube.yaml and container_config.yaml, they must describe the same cube."""

from __future__ import annotations

from validator import codes as C
from validator.findings import Finding, error, warning
from validator.manifest.model import Cube, Task
from validator.manifest.roles import ADDITIONAL_FILES_DIR


def _labels(cube: Cube, task: Task) -> dict[str, tuple[str, str]]:
    out = {}
    for vol in task.volumes:
        if cube.is_additional_file(vol):
            out[ADDITIONAL_FILES_DIR] = ("directory", "ro")
        else:
            out[vol.label] = (vol.type, vol.access)
    return out


def check_agreement(cube: Cube, show) -> list[Finding]:
    ml = cube.other
    if ml is None:
        return []
    cc = cube
    file = show(cc.config_file)
    findings: list[Finding] = []
    only_ml = [t for t in ml.tasks if t not in cc.tasks and not (t == "sanity_check" and "statistics" in cc.tasks)]
    only_cc = [t for t in cc.tasks if t not in ml.tasks]
    for t in only_ml:
        findings.append(error(
            C.FORMATS_TASKS, file, f"task '{t}' is in {show(ml.config_file)} but not in container_config.yaml",
            hint="Declare the same tasks in both files (`medcube convert` writes container_config.yaml from mlcube.yaml).",
            line=cc.doc.line(("tasks",), key=True)))
    for t in only_cc:
        findings.append(error(
            C.FORMATS_TASKS, file, f"task '{t}' is in container_config.yaml but not in {show(ml.config_file)}",
            hint="Declare the same tasks in both files.", line=cc.tasks[t].line))
    for name, task in cc.tasks.items():
        other = ml.tasks.get(name)
        if other is None:
            continue
        a, b = _labels(cc, task), _labels(ml, other)
        for label in sorted(set(a) | set(b)):
            if label == ADDITIONAL_FILES_DIR and (label not in a or label not in b):
                continue  # optional on either side
            if label not in b:
                findings.append(error(C.FORMATS_VOLUMES, file, f"task '{name}': volume '{label}' is not in {show(ml.config_file)}",
                                      hint="Declare the same volumes in both files.", line=_line(task, label)))
            elif label not in a:
                findings.append(error(C.FORMATS_VOLUMES, file, f"task '{name}': volume '{label}' of {show(ml.config_file)} is missing here",
                                      hint="Declare the same volumes in both files.", line=task.line))
            elif a[label] != b[label]:
                vol = task.inputs.get(label) or task.outputs.get(label)
                findings.append(error(
                    C.FORMATS_VOLUMES, file,
                    f"task '{name}': '{label}' is a {a[label][0]} {'input' if a[label][1] == 'ro' else 'output'} here, "
                    f"a {b[label][0]} {'input' if b[label][1] == 'ro' else 'output'} in {show(ml.config_file)}",
                    hint="Make both files agree on the volume's type and side.", line=vol.line if vol else task.line))
    if ml.image and cc.image and ml.image != cc.image:
        findings.append(warning(
            C.FORMATS_IMAGES, file, f"image '{cc.image}' differs from docker.image '{ml.image}' in {show(ml.config_file)}",
            hint="Use one image name so both files run the same build.", line=cc.doc.line(("image",))))
    return findings


def _line(task, label: str) -> int | None:
    vol = task.inputs.get(label) or task.outputs.get(label)
    return vol.line if vol is not None else None
