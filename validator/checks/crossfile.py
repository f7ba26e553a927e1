"""Cross-file checks: the config against the code it runs and the files it names.

- every task is a command of the entrypoint script, and every declared parameter an option of that command; every
  option the command requires is passed by the task (MC430);
- the script the ENTRYPOINT / run_args.command runs (by any Python interpreter's name) exists in the build context
  and holds code (MC432); it keeps the exit status of what it runs (exitstatus.py, MC419), and what it runs accepts
  the options it passes (scriptcalls.py, MC431);
- the parameters file exists and is a mapping; files named under additional_files/ exist.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from validator import codes as C
from validator import hostfs, utf8
from validator.checks import exitstatus, scriptcalls
from validator.checks.dockerfile import base_without_entrypoint, resolve_from
from validator.checks.schema import check_doc
from validator.checks.suggest import closest
from validator.findings import Finding, error, warning
from validator.manifest import pyinterface
from validator.manifest.argv import is_env, is_interpreter
from validator.manifest.dockerfile import Dockerfile
from validator.manifest.model import Cube, Task
from validator.manifest.roles import TASKS
from validator.manifest.yamlread import YamlSyntaxError, read


def task_argv(cube: Cube, task: Task, df: Dockerfile) -> tuple[list[str], list[str]]:
    """(entrypoint, arguments) the container would run for this task (docker run semantics)."""
    if cube.format == "mlcube":
        args = [f"--{v.label}=<{v.label}>" for v in task.volumes]
        if task.entrypoint:  # MLCube's docker runner: a task's own entrypoint gets no task name
            return task.entrypoint, args
        return df.entrypoint or [], [task.name, *args]
    if task.entrypoint is not None:
        return task.entrypoint, task.command or []
    entry = df.entrypoint or []
    args = task.command if task.command is not None else (df.cmd or [])
    return entry, args


def _script(argv: list[str]) -> tuple[int, str] | None:
    """(index, path) of the Python script the command runs: `python3.7 -u /x/mlcube.py ...`, `/x/mlcube.py ...`;
    None for another program. Interpreter options (-u, -W ignore) are stepped over; `-m module` runs no file."""
    start = 1 if argv and is_env(argv[0]) and len(argv) > 1 and is_interpreter(argv[1]) else 0
    for i, tok in enumerate(argv[start:], start):
        if tok.endswith(".py"):
            return i, tok
        if i == start and not is_interpreter(tok) and not tok.startswith("-"):
            return None  # a binary, not a python script
        if tok == "-m" or tok == "-c":
            return None  # a module or a program text, not a file
    return None


def check_code(cube: Cube, df: Dockerfile | None, show, interfaces: dict | None = None,
               every_task: bool = False) -> list[Finding]:
    """`interfaces` (script -> Interface) may be shared by the calls for both config views of one cube.
    `every_task`: check every task, not only MedPerf's (a cube that is no benchmark cube runs under the MLCube
    client, which calls the entrypoint with the task name and `--label=path` for each parameter just the same)."""
    if df is None or cube.build is None or not cube.build.context.is_dir():
        return []
    file = show(cube.config_file)
    findings: list[Finding] = []
    interfaces = {} if interfaces is None else interfaces
    base = base_without_entrypoint(df) if df.entrypoint is None else None
    findings += _relative_entrypoint(df, cube.build.context, show)
    inherited_said = False
    said_scripts: set[Path] = set()
    for task in cube.tasks.values():
        if task.name not in TASKS and not every_task:
            continue  # MedPerf never runs it; the role check reports the task itself (MC201/MC203)
        entry, args = task_argv(cube, task, df)
        where = _command_line(cube, task)
        runs_a_program = bool(task.command and (is_interpreter(task.command[0]) or task.command[0].startswith("/")))
        if df.entrypoint is None and task.entrypoint is None and base is None and not runs_a_program:
            # The ENTRYPOINT comes from a base image medcube cannot see into: the run stage checks the built image.
            if not inherited_said:
                inherited_said = True
                findings.append(warning(
                    C.INHERITED_ENTRYPOINT, show(df.path),
                    f"no ENTRYPOINT here: the image inherits the one of its base image "
                    f"{resolve_from(df, df.all('FROM')[-1]) if df.all('FROM') else '(none)'}, which cannot be checked "
                    "statically", hint="The run stage checks the built image's real entrypoint (docker inspect); to "
                    "have it checked here, set ENTRYPOINT in this Dockerfile.", line=None))
            continue
        argv = entry + args
        if not argv:
            findings.append(error(
                C.NOTHING_TO_RUN, file, f"task '{task.name}': the image has no ENTRYPOINT and the task gives no command",
                hint="Add ENTRYPOINT [\"python3\", \"/mlcube_project/mlcube.py\"] to the Dockerfile or run_args.command "
                "to the task.", line=where))
            continue
        if not entry and argv[0] in TASKS:
            findings.append(error(
                C.TASK_NAME_EXECUTED, file,
                f"task '{task.name}': the image has no ENTRYPOINT (base {base}), so the container would execute "
                f"'{argv[0]}' as a program; the task name is an argument for a script",
                hint="Add ENTRYPOINT [\"python3\", \"/mlcube_project/mlcube.py\"] to the Dockerfile, or start "
                f"run_args.command with the program: python3 /path/to/script.py {argv[0]} ...", line=where))
            continue
        found = _script(argv)
        if found is None:
            continue
        idx, script = found
        ins = df.last("ENTRYPOINT") if idx < len(entry) else None
        # A relative script is found from the container's working directory: the final WORKDIR, wherever the
        # ENTRYPOINT line stands.
        image_path = script if script.startswith("/") else posixpath.join(df.workdir_at(10**9), script)
        host = df.host_path(image_path, cube.build.context)
        if host is None:
            continue  # not copied from the context: may come from the base image
        if not host.is_file():
            findings.append(error(
                C.SCRIPT_MISSING, show(df.path) if ins else file,
                f"task '{task.name}' runs {script}, but {show(host)} does not exist in the build context",
                hint="Fix the path in ENTRYPOINT / run_args.command, or add the script to the build context.",
                line=ins.line if ins else where))
            continue
        if host not in interfaces:
            try:
                interfaces[host] = pyinterface.read(host)
            except UnicodeDecodeError as e:
                findings.append(error(C.SCRIPT_MISSING, show(host), f"cannot read {show(host)}: {utf8.message(e)}",
                                      hint=utf8.SCRIPT_HINT, line=utf8.where(e)[1]))
                interfaces[host] = None
            except (SyntaxError, ValueError) as e:
                findings.append(error(C.SCRIPT_MISSING, show(host), f"cannot read {show(host)}: {e}",
                                      hint="Fix the Python syntax error.", line=getattr(e, "lineno", None)))
                interfaces[host] = None
            except RecursionError:  # nested deeper than Python's ast module builds: Python may still run it
                interfaces[host] = None
        iface = interfaces[host]
        if host not in said_scripts and iface is not None and iface.tree is not None:
            said_scripts.add(host)  # what is said of a script itself, once whatever task runs it
            if pyinterface.is_empty(iface.tree):
                findings.append(error(
                    C.EMPTY_SCRIPT, show(host), f"task '{task.name}' runs {show(host)}, which holds no code: the task "
                    "does nothing and exits 0, so it \"passes\" and writes no outputs",
                    hint="Put the task's code in the script, or point the ENTRYPOINT / run_args.command at the "
                    "script that has it.", line=None))
                continue
            key = ("script findings", host)  # the same for both config views of the cube: found once
            if key not in interfaces:
                interfaces[key] = [*exitstatus.dropped_exit_status(iface.nodes, host, show, iface.memo),
                                   *scriptcalls.check_calls(host, iface.tree, df, cube.build.context, show, interfaces,
                                                            iface.nodes, iface.memo)]
            findings += interfaces[key]
        if iface is None or iface.kind == "unknown":
            continue
        findings += _check_call(cube, task, iface, argv[idx + 1 :], host, show, file, where)
    return findings


def _relative_entrypoint(df: Dockerfile, context: Path, show) -> list[Finding]:
    """A script named by a relative path in ENTRYPOINT works under Docker (WORKDIR) but not under Singularity, which
    MedPerf also runs images with: Singularity starts in the caller's folder, not in WORKDIR."""
    ins = df.last("ENTRYPOINT")
    if ins is None:
        return []
    found = _script(ins.argv() if ins.exec_form() is not None else ins.value.split())
    if found is None or found[1].startswith("/"):
        return []
    script = found[1]
    return [warning(
        C.RELATIVE_ENTRYPOINT, show(df.path), f"ENTRYPOINT runs {script} by a relative path: Singularity (which MedPerf also uses) "
        "does not start in WORKDIR, so the script is not found there",
        hint=f"Use the absolute path: {_absolute_script(df, context, script)}.", line=ins.line)]


def _absolute_script(df: Dockerfile, context: Path, script: str) -> str:
    """Where the image holds a script named relatively: from the final WORKDIR (where docker starts) when a COPY put
    it there, else where a COPY put a file of that relative path (`COPY . /mlcube_project` and no WORKDIR:
    /mlcube_project/mlcube.py, not /mlcube.py)."""
    from_workdir = posixpath.normpath(posixpath.join(df.workdir_at(10**9), script))
    candidates = [from_workdir] + [
        posixpath.normpath(posixpath.join(df.workdir_at(ins.line), dest, script)) for _srcs, dest, ins in df.copies()]
    for image_path in candidates:
        host = df.host_path(image_path, context)
        if host is not None and host.is_file():
            return image_path
    return from_workdir


def _command_line(cube: Cube, task: Task):
    if cube.doc is None:
        return task.line
    if cube.format == "container_config":
        return cube.doc.line(("tasks", task.name, "run_args", "command")) or task.line
    return task.line


def _check_call(cube, task, iface, rest, script: Path, show, file, where) -> list[Finding]:
    findings: list[Finding] = []
    positional = [t for t in rest if not t.startswith("-")]
    options = {t.split("=", 1)[0] for t in rest if t.startswith("--")}
    allowed = set(iface.global_options)
    if iface.commands:
        name = positional[0] if positional else None
        if iface.single_command_app:
            cmd = next(iter(iface.commands.values()))
            findings.append(error(
                C.LONE_TYPER_COMMAND, show(script),
                f"{show(script)} is a typer app with the single command '{cmd.name}': typer then runs it without a "
                f"command name, so `mlcube.py {task.name} ...` fails with 'unexpected extra argument'",
                hint="Add a second command or an @app.callback() (MedPerf's templates add a `hotfix` command for this).",
                line=cmd.line))
            return findings
        cmd = iface.commands.get(name) if name else None
        if name is None:
            findings.append(error(
                C.NOT_A_COMMAND, file,
                f"task '{task.name}' runs {show(script)} without a command name; it expects one of: "
                f"{', '.join(sorted(iface.commands))}",
                hint=f"Pass the command first, e.g. run_args.command: \"{task.name} --data_path=...\".", line=where))
            return findings
        if cmd is None:
            alt = iface.commands.get((name or "").replace("_", "-"))
            if alt is not None and not alt.named_explicitly:
                hint = (f"typer names the function '{alt.function}' as the command '{alt.name}'; "
                        f"write @app.command(\"{name}\") so MLCube/MedPerf can call '{name}'.")
                line = alt.line
            else:
                hint = f"Add a command '{name}' to {show(script)} (it has: {', '.join(sorted(iface.commands)) or 'none'})."
                line = where
            findings.append(error(
                C.NOT_A_COMMAND, file if line == where else show(script),
                f"task '{task.name}' calls the command '{name}', which {show(script)} does not define",
                hint=hint, line=line))
            return findings
        allowed |= cmd.options
    for opt in sorted(options - allowed):
        label = opt[2:]
        vol = task.inputs.get(label) or task.outputs.get(label)
        if vol is not None and cube.format == "mlcube" and _unknown_label(cube, task, vol):
            continue  # the role check reports the label itself (MC204)
        dashed = "--" + label.replace("_", "-")
        if dashed in allowed:
            hint = (f"typer derives '{dashed}' from the parameter name; declare typer.Option(..., \"{opt}\") "
                    f"so the option MLCube/MedPerf passes exists.")
        else:
            hint = f"Add an option '{opt}' to the command in {show(script)}, or remove it from the config."
        best = closest(opt, allowed)
        findings.append(error(
            C.NOT_AN_OPTION, file, f"task '{task.name}' passes {opt}, which is not an option of the command in {show(script)}"
            + (f" (did you mean '{best}'?)" if best and best != dashed else ""),
            hint=hint, line=vol.line if vol is not None and cube.format == "mlcube" else where))
    required = [*iface.global_required, *(cmd.required if iface.commands and cmd is not None else [])]
    findings += _required_not_passed(task, iface, required, rest, script, show, file, where)
    return findings


def _given(name: str, passed: set[str], abbreviations: bool) -> bool:
    return name in passed or abbreviations and name.startswith("--") and any(
        p.startswith("--") and len(p) > 2 and name.startswith(p) for p in passed)


def _required_not_passed(task, iface, required, rest, script: Path, show, file, where) -> list[Finding]:
    """An option the command requires that the task never passes: the task stops at once ("Missing option")."""
    passed = {t.split("=", 1)[0] for t in rest if t.startswith("-")}
    findings = []
    near = {p.replace("_", "-") for p in passed}  # passed under typer's other spelling: MC403 says that one
    for req in required:
        if any(_given(n, passed, iface.abbreviations) or n.replace("_", "-") in near for n in req.names):
            continue
        name = req.names[0]
        said = (f"the following arguments are required: {name}" if iface.kind == "argparse"
                else f"Missing option '{name}'")
        findings.append(error(
            C.REQUIRED_OPTION_NOT_PASSED, show(script),
            f"task '{task.name}' ({file}" + (f":{where}" if where else "") + f") never passes {name}, which the "
            f"command requires: the task stops at once with \"{said}\"",
            hint=f"Pass {name} in the task (a volume or parameter labelled {name.lstrip('-')}, or in "
            "run_args.command), or give the option a default.", line=req.line))
    return findings


def _unknown_label(cube: Cube, task: Task, vol) -> bool:
    spec = TASKS[task.name]
    known = spec.input(vol.label) if vol.is_input else spec.output(vol.label)
    return known is None and not cube.is_additional_file(vol)


def _unsafe(cube: Cube, path: Path) -> bool:
    """A host path reached through a link or lying outside the cube (hostpaths reports it as MC420)."""
    if hostfs.plainly_inside(cube.path, path):
        return False  # no link to resolve
    return hostfs.links_on_the_way(cube.path, path) is not None or hostfs.escape(cube.path, path) is not None


def _parameters(pf: Path, show) -> list[Finding]:
    """What is wrong in a parameters file that exists: its YAML, its shape, its schema."""
    try:
        doc = read(pf)
    except YamlSyntaxError as e:
        return [error(C.YAML_SYNTAX, show(pf), e.described(), hint=e.hint or "Fix the YAML at that line.",
                      line=e.line, column=e.column)]
    if doc.data is None:
        return []  # an empty file: MedPerf reads it as {} (commands/mlcube/submit.py)
    if not isinstance(doc.data, dict):
        return [error(C.BAD_PARAMETERS, show(pf), f"the parameters file must be a mapping of names to values, "
                      f"got {type(doc.data).__name__}", hint="Write `name: value` lines (`{}` for no parameters).",
                      line=1)]
    return check_doc(doc, "parameters", show(pf))


def check_files(cube: Cube, show, read_once: dict | None = None) -> list[Finding]:
    """`read_once` (like check_code's `interfaces`) may be shared by the calls for both config views of one cube:
    the parameters file is then read and checked once."""
    read_once = {} if read_once is None else read_once
    findings: list[Finding] = []
    file = show(cube.config_file)
    declares_params = [t for t in cube.tasks.values() if "parameters_file" in t.inputs]
    if declares_params and cube.parameters_file is not None:
        vol = declares_params[0].inputs["parameters_file"]
        pf = cube.parameters_file
        if _unsafe(cube, pf):
            pass  # a link or a path out of the cube: MC420 (checks/hostpaths.py); never read through it
        elif not pf.is_file():
            others = sorted(p.name for p in pf.parent.glob("parameters*.y*ml") if p.is_file()) if pf.parent.is_dir() else []
            if others:  # the file to submit is chosen at `medperf container submit --parameters-file`
                findings.append(warning(
                    C.BAD_PARAMETERS, file, f"no {show(pf)}, but {show(pf.parent)} holds {', '.join(others)}: medcube runs and "
                    f"packages {pf.name} only",
                    hint=f"Copy the one you submit (--parameters-file) to {show(pf)}; without a parameters file MedPerf "
                    "stops (the parameters_file input must exist).", line=vol.line))
            else:
                findings.append(error(
                    C.BAD_PARAMETERS, file, f"the parameters file {show(pf)} does not exist",
                    hint=f"Create {show(pf)} (a YAML mapping, may be empty): MedPerf mounts it as parameters_file "
                    "and stops when it is missing.", line=vol.line))
        else:
            key = ("parameters findings", pf)  # both config views name the same file: read and said once
            if key not in read_once:
                read_once[key] = _parameters(pf, show)
            findings += read_once[key]
    for task in cube.tasks.values():
        for vol in task.inputs.values():
            # an additional file always names a default path (Cube.is_additional_file)
            if cube.is_additional_file(vol) and vol.default is not None and cube.workspace is not None:
                target = cube.workspace / vol.default
                if not _unsafe(cube, target) and not target.exists():  # MedPerf downloads the tarball submitted; medcube needs the files here
                    findings.append(warning(
                        C.FILE_MISSING, file, f"task '{task.name}': '{vol.label}' names {show(target)}, which does not exist "
                        "here: the run stage and `medcube package` need it",
                        hint="Put the file there (it is shipped in additional_files.tar.gz; MedPerf downloads that "
                        "tarball from the --additional-file URL) or fix the path.",
                        line=vol.line))
        if cube.format == "container_config" and "additional_files" in task.inputs:
            if cube.additional_files is not None and not cube.additional_files.is_dir():
                findings.append(warning(
                    C.FILE_MISSING, file, f"task '{task.name}' mounts additional_files, but {show(cube.additional_files)} does not exist",
                    hint="Create it with the files the task needs (weights, ...), or drop the volume.",
                    line=task.inputs["additional_files"].line))
    return findings
