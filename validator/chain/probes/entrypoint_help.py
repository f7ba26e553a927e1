"""The entrypoint `--help` probe: once a cube's image is built, each task's entrypoint run inside it with `--help` in
place of the task's arguments, to catch a crash before the code reads its arguments (a missing module, a syntax
error, `typer.Options`) before the chain runs, or where no chain can run (a cube of another benchmark).

The tasks asked are those MedPerf runs for the cube's role; the command is the one MedPerf runs for the task
(container_config: `--entrypoint` as one word, `run_args.command` split; mlcube.yaml: the image ENTRYPOINT with the
task name) with the arguments from the first option on replaced by `--help` (`python3 mlcube.py infer --help`,
`python3 /project/infer.py --help`), under the benchmark's rules (no network, the unprivileged user, no data
mounted), a short timeout and a small log. Only a Python traceback that
ends at module level in an import-time error (ImportError, ModuleNotFoundError, SyntaxError, AttributeError, ...)
with exit code 1 is reported (MC811); usage text with exit code 0 or 2 is an answer, and an entrypoint that
ignores `--help` and fails or hangs on the missing data says nothing here (the chain's own run tells).

An answer depends only on the image (by id) and the question, so a clean answer (usage text, exit code 0 or 2) is
remembered under the cache folder (`entrypoint-help/`, one empty file per image and question) and not asked again:
a run on images already built asks nothing, and says the same. A crash, a timeout or any other end is asked again
every run.

Boundary: which command, and what its outcome means; the run is the runner's (validator.engine.tasks).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from validator import findings as F
from validator.codes import IMPORT_CRASH, UNLISTED_OPTION
from validator.engine.images.tag import image_name
from validator.engine.result import BuildResult, TaskResult
from validator.engine.tasks.plan import RunPlan
from validator.manifest.model import Cube, Task
from validator.manifest.roles import CHAIN
from validator.textsafe import printable
from validator.values import GpuRequest

HELP_TIMEOUT = 60.0  # seconds: an import of a large framework fits; an entrypoint that ignores --help is cut
HELP_LOG_LIMIT = 1024 * 1024  # bytes of its log kept
HELP_JOBS = 4  # probe runs at once
USAGE_KEPT = 64 * 1024  # characters of a usage text read and remembered
# Exceptions a module raises while it is imported, before any argument is read.
IMPORT_ERRORS = ("ModuleNotFoundError", "ImportError", "SyntaxError", "IndentationError", "TabError",
                 "AttributeError", "NameError", "TypeError")
_LAST = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?(" + "|".join(IMPORT_ERRORS) + r")\b(?::\s*(.*))?$")
_FRAME = re.compile(r'^\s*File "([^"]*)", line \d+(?:, in (.+))?$')


def help_argv(cube: Cube, task: Task, image_config: dict | None) -> tuple[list[str] | None, list[str]] | None:
    """(entrypoint, args) of the task's command with `--help` in place of its arguments; None when there is no way
    to ask (an image with neither ENTRYPOINT nor CMD and a task without a command)."""
    if cube.format == "mlcube":
        entrypoint = list(task.entrypoint) if task.entrypoint else None
        return entrypoint, (["--help"] if entrypoint else [task.name, "--help"])
    entrypoint = [task.entrypoint_word] if task.entrypoint_word else None
    if task.command is not None:
        return entrypoint, _words_before_options(task, list(task.command)) + ["--help"]
    config = image_config or {}
    if entrypoint or config.get("Entrypoint"):
        return entrypoint, ["--help"]
    cmd = config.get("Cmd") or []
    if not cmd:
        return None
    return entrypoint, _words_before_options(task, [str(c) for c in cmd]) + ["--help"]


def _words_before_options(task: Task, words: list[str]) -> list[str]:
    """The program and its subcommands: the words before the first option, `key=value` or path of a volume."""
    mounts = [v.mount_path.rstrip("/") for v in task.volumes if v.mount_path]
    kept: list[str] = []
    for word in words:
        if word.startswith("-") or "=" in word or any(word == m or word.startswith(m + "/") for m in mounts if m):
            break
        kept.append(word)
    return kept


def import_crash(log: str, exit_code: int | None) -> str | None:
    """The last line of a Python traceback that ended at module level in an import-time error (exit code 1), else
    None. Frames inside functions (a crash while running, e.g. on the missing data) do not count."""
    if exit_code != 1:
        return None
    lines = [ln.rstrip() for ln in log.splitlines() if ln.strip()]
    for i in range(len(lines) - 1, -1, -1):
        m = _LAST.match(lines[i])
        if m is None:
            continue
        start = max((j for j in range(i) if lines[j].startswith("Traceback (most recent call last)")), default=None)
        block = lines[start if start is not None else max(0, i - 4):i]
        frames = [f for f in (_FRAME.match(b) for b in block) if f is not None]
        if start is None and m.group(1) not in ("SyntaxError", "IndentationError", "TabError"):
            return None  # no traceback: a message a program printed, not a crash
        at_import = all(f.group(2) in (None, "<module>") or f.group(1).startswith("<frozen importlib")
                        for f in frames)
        return lines[i].strip()[:200] if at_import else None
    return None


def _image_config(runner, cube: Cube) -> dict | None:
    """The `Config` of the cube's image (its ENTRYPOINT and CMD), or None when the engine does not say."""
    try:
        found = runner.engine.image(image_name(cube))
    except Exception:  # no answer: the command is made from the config alone
        return None
    config = (found or {}).get("Config")
    return config if isinstance(config, dict) else None


def _probe_runner(runner):
    """A runner beside the chain's with the probe's short timeout and small log."""
    other = runner.beside()
    other.limits = dataclasses.replace(runner.limits, timeout=HELP_TIMEOUT, log_limit=HELP_LOG_LIMIT)
    return other


def check(runner, cubes: Iterable[tuple[str, Cube]], built: dict[str, BuildResult],
          logs: Path) -> dict[str, list[F.Finding]]:
    """The probe over each task of each (name, cube) whose image was built (``built``: by cube folder): an error
    (MC811) for each task whose entrypoint crashes at import, by cube folder; ``name`` names its logs
    (`help-NAME-TASK.log`). A runner that runs no containers (the local one) is not probed."""
    found: dict[str, list[F.Finding]] = {}
    if getattr(runner, "name", None) != "docker" or not hasattr(runner, "beside"):
        return found
    work: list[tuple[str, Cube, RunPlan, Path, Path | None]] = []
    seen: set[tuple[str, tuple, tuple]] = set()
    askers: dict[tuple[str, tuple, tuple], list[Task]] = {}  # the tasks that share a question
    known: list[tuple[Cube, tuple[str, tuple, tuple], str]] = []  # questions answered before: (cube, key, usage)
    for role, cube in cubes:
        b = built.get(str(cube.path))
        if b is None or not b.ok:
            continue
        config = _image_config(runner, cube)
        chained = {t for r, t in CHAIN if r == cube.role}
        for task in cube.tasks.values():
            if chained and task.name not in chained:
                continue  # a task MedPerf never runs for the cube's role is never asked
            argv = help_argv(cube, task, config)
            if argv is None:
                continue
            entrypoint, args = argv
            key = (str(cube.path), tuple(entrypoint or ()), tuple(args))
            askers.setdefault(key, []).append(task)
            if key in seen:  # two tasks asking the same question of the same image: asked once
                continue
            seen.add(key)
            plan = RunPlan(task=task.name, image=image_name(cube), args=args, entrypoint=entrypoint, mounts=[],
                           environment={str(k): str(v) for k, v in (task.environment or {}).items()},
                           shm_size=task.shm_size,
                           # the GPUs the chain gives the task: an import that needs the driver finds it here too
                           gpus=GpuRequest.effective(runner.limits.gpus, task.gpu_request))
            answered = _answered(runner, b.image_id, plan)
            usage = _read_answer(answered)
            if usage is not None:  # this image answered this question before
                known.append((cube, key, usage))
                continue
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", task.name)[:60]  # a task name is the cube's: never a path
            work.append((role, cube, plan, logs / f"help-{role}-{safe}.log", answered))
    for cube, key, usage in known:
        for task in askers[key]:
            _add(found, cube, unlisted(cube, task, usage))

    def ask(item: tuple[str, Cube, RunPlan, Path, Path | None]) -> tuple[Cube, RunPlan, TaskResult, Path | None]:
        _, cube, plan, log, answered = item
        return cube, plan, _probe_runner(runner).run(cube, plan, log), answered

    if not work:
        return found
    with ThreadPoolExecutor(max_workers=min(HELP_JOBS, len(work)), thread_name_prefix="medcube-help") as pool:
        for cube, plan, result, answered in pool.map(ask, work):
            finding = judge(cube, plan, result)
            if finding is not None:
                _add(found, cube, finding)
            elif result.status != "timeout" and result.exit_code in (0, 2):
                from validator.chain.probes.logscan import read_log

                usage = (read_log(result.log_path) or result.log_tail)[:USAGE_KEPT] if result.exit_code == 0 else ""
                for task in askers[(str(cube.path), tuple(plan.entrypoint or ()), tuple(plan.args or ()))]:
                    _add(found, cube, unlisted(cube, task, usage))
                if answered is not None:
                    _remember(answered, usage)
    return found


def _add(found: dict[str, list[F.Finding]], cube: Cube, finding: F.Finding | None) -> None:
    if finding is not None:
        found.setdefault(str(cube.path), []).append(finding)


_OPTION = re.compile(r"(?<![\w-])--[A-Za-z0-9][\w-]*")


def passed_options(cube: Cube, task: Task) -> list[str]:
    """The options the task is given: `--LABEL=...` for each volume of an mlcube.yaml task (MLCube passes them, with
    or without an entrypoint of the task's own); the `--x` words of a container_config task's command."""
    if cube.format == "mlcube":
        return [f"--{v.label}" for v in task.volumes]
    return [w.split("=", 1)[0] for w in (task.command or []) if w.startswith("--") and len(w) > 2]


def unlisted(cube: Cube, task: Task, usage: str) -> F.Finding | None:
    """MC812 when the usage text the task's entrypoint printed for `--help` (exit code 0) lists options, and some
    option the task is given is none of them (nor the start of one: argparse takes abbreviations)."""
    listed = set(_OPTION.findall(usage))
    if not listed:
        return None
    missing = [o for o in dict.fromkeys(passed_options(cube, task))
               if o not in listed and not any(x.startswith(o) for x in listed)]
    if not missing:
        return None
    return F.warning(
        UNLISTED_OPTION, cube.rel(cube.config_file),
        printable(f"task {task.name} is given {', '.join(missing)}, which its entrypoint's --help does not list "
                  f"(it lists {', '.join(sorted(listed)[:12])})"),
        hint="the real parser in the image disagrees with the code medcube read: rename the option in the code or "
             "the label in the config, or rebuild the image from the code you meant",
        line=task.line)


def _answered(runner, image_id: str | None, plan: RunPlan) -> Path | None:
    """The cache file that says this image answered this question cleanly (None: the image's id is unknown)."""
    if not image_id:
        return None
    from validator.cachedir import cache_dir

    try:
        user = runner.run_user()
    except Exception:
        user = None
    question = json.dumps([image_id, plan.entrypoint, plan.args, sorted(plan.environment.items()), plan.shm_size,
                           user, str(plan.gpus)], default=str)
    return cache_dir() / "entrypoint-help" / hashlib.sha256(question.encode()).hexdigest()


def _read_answer(path: Path | None) -> str | None:
    """The usage text remembered for a question (empty: it answered with exit code 2), or None when not asked yet."""
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            return f.read(USAGE_KEPT).decode("utf-8", "replace")
    except OSError:
        return None


def _remember(path: Path, usage: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f".{path.name}.{os.getpid()}.part")
        part.write_text(usage, encoding="utf-8", errors="replace")
        os.replace(part, path)
    except OSError:
        pass  # not remembered: asked again next time


def judge(cube: Cube, plan: RunPlan, result: TaskResult) -> F.Finding | None:
    """MC811 when the run ended in an import-time crash; nothing for usage text, a timeout or any other end."""
    from validator.chain.probes.logscan import read_log

    if result.status == "timeout" or result.exit_code is None:
        return None
    last = import_crash(read_log(result.log_path) or result.log_tail, result.exit_code)
    if last is None:
        return None
    shown = " ".join([*(f"--entrypoint {w}" for w in (plan.entrypoint or [])[:1]), *(plan.entrypoint or [])[1:],
                      *(plan.args or [])])
    return F.error(
        IMPORT_CRASH, cube.rel(cube.config_file),
        printable(f"task {plan.task}: its entrypoint crashes before it reads its arguments ({shown!s} exited 1): "
                  f"{last}"),
        hint=printable(f"install what the code imports in the image (requirements, Dockerfile) or fix the line the "
                       f"traceback names, then rebuild; the full log: {result.log_path}"),
        line=cube.tasks[plan.task].line if plan.task in cube.tasks else None)
