"""The singularity probe: a task run once more as Singularity / Apptainer (MedPerf's second runner, the one of HPC
clusters) would run it, with any container engine: the image's filesystem read-only, the working directory not the
image's WORKDIR but the user's HOME, bound in and writable, HOME set to it, a writable /tmp and nothing else
writable but the output folders. What a cube does that only Docker allows fails here, and the task's log says what:
a write into the code folder, a script called by a relative path.

MC414 says it from the config and Dockerfile; this proves it. Opt-in (`--probe singularity`): it runs every task of
the cubes under test once more.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from validator import findings as F
from validator.codes import SINGULARITY
from validator.engine.plan import Mount, RunPlan
from validator.findings import Finding
from validator.textsafe import printable

HOME = "/home/singularity-user"  # where the user's HOME is bound, and the working directory
# What a write into a read-only filesystem says (Python, shells, coreutils), and the path when it names one.
_READ_ONLY = re.compile(r"Read-only file system(?::\s*'([^']+)')?|cannot create ([^:\s]+): Read-only", re.IGNORECASE)
# A script or file named relative to the working directory that is not there.
_RELATIVE = re.compile(r"can't open file '([^']+)'|No such file or directory: '((?!/)[^']+)'")


def plan_for(plan: RunPlan, home: Path) -> RunPlan:
    """The task's plan as Singularity runs it: read-only image, HOME bound in and the working directory."""
    env = {**plan.environment, "HOME": HOME}
    mounts = [*plan.mounts, Mount(Path(home), HOME, "rw", "directory", ())]
    return dataclasses.replace(plan, read_only_root=True, workdir=HOME, mounts=mounts, environment=env)


def code_folders(plan: RunPlan, image: dict) -> list[str]:
    """The image's code folders: its WORKDIR and the folder of the script its entrypoint runs."""
    config = image.get("Config") or {}
    out = [str(config.get("WorkingDir") or "")]
    argv = list(plan.entrypoint or config.get("Entrypoint") or []) + list(plan.args or [])
    out += [a.rsplit("/", 1)[0] for a in argv[:3] if isinstance(a, str) and a.startswith("/") and a.endswith(".py")]
    return [d.rstrip("/") for d in out if d and d != "/"]


def findings(task: str, log: str, where: str, code: list[str], message: str) -> list[Finding]:
    """What a task that passed under the engine and failed as Singularity runs it did: named from its log."""
    hint = SINGULARITY.fix
    out: list[Finding] = []
    for m in _READ_ONLY.finditer(log):
        path = m.group(1) or m.group(2)
        if path:
            what = "into its code folder" if any(path.startswith(d + "/") for d in code) else "into the image"
            out.append(F.error(SINGULARITY, where, f"task {task} would fail under Singularity: it writes {what} "
                               f"({printable(path)[:200]}), which is read-only there", hint=hint))
        else:
            out.append(F.error(SINGULARITY, where, f"task {task} would fail under Singularity: it writes into the "
                               "image's filesystem, which is read-only there (Read-only file system)", hint=hint))
        break
    if not out:
        rel = _RELATIVE.search(log)
        if rel:
            path = rel.group(1) or rel.group(2)
            if not path.startswith("/") or path.startswith(HOME):
                out.append(F.error(SINGULARITY, where, f"task {task} would fail under Singularity: it names "
                                   f"{printable(path)[:200]} relative to the working directory, which there is the "
                                   "user's directory, not the image's WORKDIR", hint=hint))
    if not out:
        out.append(F.error(SINGULARITY, where, f"task {task} passed under the engine but fails as Singularity runs "
                           f"it (read-only image, working directory {HOME}): {printable(message)[:300]}", hint=hint))
    return out
