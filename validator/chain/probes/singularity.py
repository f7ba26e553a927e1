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
from validator.chain.probes import logscan
from validator.codes import SINGULARITY
from validator.engine.tasks.plan import Mount, PlanError, RunPlan, plan_task
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


def run(session, passed: dict, probe) -> None:
    """The probe, for a ProbeSession (validator.chain.probes.session): every task that passed, of the cubes under
    test, run again as Singularity runs it, into fresh output folders (the run folder's inputs, read-only as
    before)."""
    engine = getattr(session.runner, "engine", None)
    if engine is None:
        probe.status, probe.message = "skipped", "needs a container engine (the local runner has no image)"
        return
    tried, failed = [], []
    for task, first in passed.items():
        role = first.role
        if role not in session.cubes or not session.options.tests(role):
            continue
        cube = session.cubes[role]
        where = cube.rel(cube.config_file)
        bindings = session.folder.bindings(task, session.demo)
        try:
            outputs = plan_task(cube, task, bindings).outputs
        except PlanError:
            continue
        base = session.scratch / "singularity" / task
        for label, host in outputs.items():  # fresh, empty outputs of the same kind: the run folder stays
            fresh = base / label / Path(host).name
            if Path(host).is_dir():
                fresh.mkdir(parents=True, exist_ok=True)
            else:
                fresh.parent.mkdir(parents=True, exist_ok=True)
            bindings[label] = fresh
        home = base / "home"
        home.mkdir(parents=True, exist_ok=True)
        plan = plan_for(plan_task(cube, task, bindings, gpus=session.limits.gpus), home)
        # its inputs are mounted read-only as before; the per-task probes already judged this task's own run
        result = session.runner.run(cube, plan, session.folder.logs / f"probe-singularity-{task}.log")
        result.role = role
        probe.runs += 1
        tried.append(task)
        if result.status == "passed":
            continue
        failed.append(task)
        try:
            image = engine.image(plan.image) or {}
        except Exception:
            image = {}
        probe.findings += findings(task, logscan.read_log(result.log_path) or result.log_tail, where,
                                               code_folders(plan, image), result.message)
    if not tried:
        probe.status, probe.message = "skipped", "no task of a cube under test passed"
    else:
        probe.message = (f"{len(failed)} of {len(tried)} tasks would fail: {', '.join(failed)}" if failed else
                         f"{len(tried)} tasks ran as Singularity runs them")
