"""Host safety of a cube, checked statically: every host path its config names stays inside the cube folder,
links included; its files hold no link out and nothing but folders and regular files; its build context is not
huge; and it asks the container runtime for no privileges, host namespaces or host mounts.

These are the paths medcube (and MedPerf after it) mounts, packs into images and tarballs, copies and chowns as root,
so a cube that points them at the host is refused before any container starts. The checks read nothing but file
metadata (lstat) and never follow a link to read what it points at.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from validator import codes as C
from validator import hostfs
from validator.findings import Finding, error
from validator.manifest.argv import split
from validator.manifest.model import Cube
from validator.manifest.roles import ADDITIONAL_FILES_DIR

PATH_OUT = C.PATH_OUT  # a host path from the config leaves the cube folder (or goes through a link)
BAD_ENTRY = C.BAD_ENTRY  # a link or a special file among the cube's files
BIG_CONTEXT = C.BIG_CONTEXT  # the build context is larger than medcube builds
PRIVILEGED = C.PRIVILEGED  # run_args / gpu_args / cpu_args ask for privileges, host namespaces or host mounts
OUTPUT_IS_INPUT = C.OUTPUT_IS_INPUT  # an output volume's host path is what the benchmark provides as an input

MAX_CONTEXT_BYTES = 2 << 30  # MEDCUBE_MAX_BUILD_CONTEXT overrides it (bytes)
MAX_CONTEXT_ENTRIES = 100_000

# docker run options a cube must not ask for: they would undo the isolation medcube and MedPerf give a task.
DANGEROUS_FLAGS = {
    "--privileged": "full privileges",
    "--cap-add": "extra capabilities",
    "--security-opt": "a weaker security profile",
    "--device": "a host device",
    "--volume": "a host mount",
    "-v": "a host mount",
    "--mount": "a host mount",
    "--volumes-from": "another container's mounts",
    "--network": "a network", "--net": "a network",
    "--pid": "the host's process namespace",
    "--ipc": "the host's IPC namespace",
    "--uts": "the host's UTS namespace",
    "--userns": "the host's user namespace",
    "--cgroupns": "the host's cgroup namespace",
    "--user": "a chosen user", "-u": "a chosen user",
    "--group-add": "extra groups",
}
# run_args keys (container_config.yaml) with the same meaning.
DANGEROUS_KEYS = {
    "privileged": "full privileges", "cap_add": "extra capabilities", "security_opt": "a weaker security profile",
    "devices": "a host device", "volumes": "a host mount", "mounts": "a host mount", "binds": "a host mount",
    "network_mode": "a network", "network": "a network", "pid_mode": "the host's process namespace",
    "ipc_mode": "the host's IPC namespace", "uts_mode": "the host's UTS namespace",
    "userns_mode": "the host's user namespace", "user": "a chosen user", "group_add": "extra groups",
}

_HINT_PATH = ("Keep every file the config names inside the cube folder, as a plain file or folder (no symbolic "
              "link, no '..' out, no absolute path).")


def _max_context() -> int:
    text = os.environ.get("MEDCUBE_MAX_BUILD_CONTEXT", "").strip()
    return int(text) if text.isdigit() else MAX_CONTEXT_BYTES


def _path_problem(root: Path, path: Path | str, show, seen: dict | None = None) -> str | None:
    """Why a host path the config names is unsafe: reached through a link, or outside root (None when fine)."""
    link = hostfs.links_on_the_way(root, path, seen)
    if link is not None:
        return f"goes through the symbolic link {show(link)} (-> {os.readlink(link)!r})"
    lexical = os.path.normpath(os.path.abspath(path))
    base = os.path.normpath(os.path.abspath(root))
    if lexical != base and not lexical.startswith(base.rstrip(os.sep) + os.sep):
        return "is outside the cube folder"
    return None  # lexically inside, and no link on the way below the root: inside


def _entries(root: Path, file: str, show, what: str) -> list[Finding]:
    """Links and special files below a folder medcube packs, mounts or copies."""
    findings = []
    try:
        for e in hostfs.walk(root):
            if e.is_special:
                findings.append(error(BAD_ENTRY, file, f"{what} holds {hostfs.kind(e.mode)}: {show(e.path)}",
                                      hint="Replace it with a plain file (medcube and MedPerf never follow links "
                                      "a cube supplies, nor pack devices or FIFOs)."))
    except hostfs.HostFileError as e:
        findings.append(error(BAD_ENTRY, file, f"{what}: {e.message}", hint=e.hint))
    return findings[:20]


def check_paths(cube: Cube, show) -> list[Finding]:
    """The config file, workspace, parameters file, additional files, mlcube.yaml defaults and the build."""
    root = cube.path
    findings: list[Finding] = []
    file = show(cube.config_file)
    seen: dict = {}  # folder -> is a link, shared by the checks below

    def where(view: Cube, path: tuple) -> int | None:
        return view.doc.line(path) if view.doc is not None else None

    def refuse(path: Path | str | None, what: str, view: Cube, line=None, shown=None) -> bool:
        if path is None:
            return False
        why = _path_problem(root, path, show, seen)
        if why:
            findings.append(error(PATH_OUT, show(view.config_file), f"{what} {shown or show(path)} {why}",
                                  hint=_HINT_PATH, line=line))
            return True
        return False

    views = [cube] + ([cube.other] if cube.other is not None else [])
    for view in views:
        refuse(view.config_file, "the config file", view, 1)
    if refuse(cube.workspace, "the workspace folder", cube):
        return findings
    refuse(cube.parameters_file, "the parameters file", cube)
    if not refuse(cube.additional_files, "the additional files folder", cube) and cube.additional_files is not None \
            and os.path.isdir(cube.additional_files) and not os.path.islink(cube.additional_files):
        findings += _entries(cube.additional_files, file, show, "additional_files/")
    for view in views:
        if view.format != "mlcube" or view.workspace is None:
            continue
        additional = os.path.normpath(str(view.workspace / ADDITIONAL_FILES_DIR))
        params = os.path.normpath(str(view.parameters_file)) if view.parameters_file else None
        for task in view.tasks.values():
            for vol in task.volumes:
                if not vol.default:
                    continue
                line = where(view, ("tasks", task.name, "parameters", "outputs" if not vol.is_input else "inputs",
                                    vol.label))
                raw = os.path.join(view.workspace, vol.default)  # as written: links_on_the_way sees a '..'
                host = os.path.normpath(raw)
                if os.path.isabs(vol.default):
                    findings.append(error(PATH_OUT, show(view.config_file),
                                          f"task '{task.name}': '{vol.label}' default is the absolute host path "
                                          f"{vol.default}", hint="Defaults are relative to mlcube/workspace/.",
                                          line=line))
                    continue
                if refuse(raw, f"task '{task.name}': '{vol.label}' default", view, line, shown=vol.default):
                    continue
                if not vol.is_input and (host == additional or host.startswith(additional + os.sep)
                                         or host == params):
                    findings.append(error(OUTPUT_IS_INPUT, show(view.config_file),
                                          f"task '{task.name}': output '{vol.label}' is written into {vol.default}, "
                                          "which the benchmark provides as an input",
                                          hint="Write outputs into their own folders (e.g. workspace/"
                                          f"{vol.label}/); additional files and parameters are read-only.",
                                          line=line))
    if cube.build is not None and os.path.lexists(cube.build.dockerfile):
        # Only where something is built: with no Dockerfile there the image is pulled and no context is read.
        mlcube = next((v for v in views if v.format == "mlcube" and v.doc is not None), None)
        bline = mlcube.doc.line(("docker", "build_context")) if mlcube is not None and cube.build.source.startswith(
            mlcube.config_file.name) else None
        docker = mlcube.doc.data.get("docker") if mlcube is not None and bline is not None and isinstance(
            mlcube.doc.data, dict) else None
        written = docker.get("build_context") if isinstance(docker, dict) else None  # as written: reads the same anywhere
        if not refuse(cube.build.context, "the build context", cube, bline,
                      shown=written if isinstance(written, str) else None) \
                and not refuse(cube.build.dockerfile, "the Dockerfile", cube, bline):
            findings += _context(cube, show)
    return findings


def _context(cube: Cube, show) -> list[Finding]:
    """Links out of the build context, special files in it, and its size."""
    assert cube.build is not None
    context = cube.build.context
    file = show(cube.build.dockerfile)
    findings: list[Finding] = []
    if not os.path.isdir(context):
        return findings
    total, limit = 0, _max_context()
    try:
        for e in hostfs.walk(context, MAX_CONTEXT_ENTRIES):
            if e.is_link:
                if hostfs.escape(context, e.path):
                    findings.append(error(BAD_ENTRY, file, f"the build context holds a link out of it: "
                                          f"{show(e.path)} -> {os.readlink(e.path)!r}",
                                          hint="Copy the file into the context instead."))
            elif e.is_special:
                findings.append(error(BAD_ENTRY, file, f"the build context holds {hostfs.kind(e.mode)}: {show(e.path)}",
                                      hint="Remove it from the build context."))
            elif e.is_file:
                total += e.size
        if total > limit:
            findings.append(error(BIG_CONTEXT, file, f"the build context {show(context)} holds {total} bytes, more "
                                  f"than medcube builds ({limit}; MEDCUBE_MAX_BUILD_CONTEXT raises it)",
                                  hint="Add a .dockerignore, or move data out of the build context."))
    except hostfs.HostFileError as e:
        findings.append(error(BIG_CONTEXT, file, f"the build context: {e.message}", hint="Add a .dockerignore."))
    return findings[:20]


def check_copy_sources(cube: Cube, df, show) -> list[Finding]:
    """COPY/ADD sources that leave the build context ('..', absolute paths resolved by docker from the context)."""
    if cube.build is None or df is None:
        return []
    findings = []
    for sources, _dest, ins in df.copies():
        for src in sources:
            if "://" in src:
                continue
            norm = posixpath.normpath(src)
            if norm == ".." or norm.startswith("../"):
                findings.append(error(PATH_OUT, show(cube.build.dockerfile),
                                      f"COPY source '{src}' leaves the build context", hint=_HINT_PATH,
                                      line=ins.line))
                continue
            host = cube.build.context / norm.lstrip("/")
            link = hostfs.links_on_the_way(cube.build.context, host)
            if link is not None and hostfs.escape(cube.build.context, host):
                findings.append(error(PATH_OUT, show(cube.build.dockerfile),
                                      f"COPY source '{src}' resolves outside the build context through the link "
                                      f"{show(link)}", hint=_HINT_PATH, line=ins.line))
    return findings


def _flags(text: str) -> list[tuple[str, str]]:
    """(flag, why) for each dangerous docker run option in a gpu_args/cpu_args string."""
    try:
        words = split(text)
    except ValueError:
        words = text.split()
    out = []
    for i, w in enumerate(words):
        flag, _, value = w.partition("=")
        if flag in ("--network", "--net"):
            value = value or (words[i + 1] if i + 1 < len(words) else "")
            if value == "none":
                continue
        if flag in DANGEROUS_FLAGS:
            out.append((w, DANGEROUS_FLAGS[flag]))
        elif flag.startswith("-v") and len(flag) > 2 and not flag.startswith("--"):
            out.append((w, "a host mount"))
    return out


def check_privileges(doc, fmt: str, file: str) -> list[Finding]:
    """run_args keys (container_config.yaml) and gpu_args/cpu_args (mlcube.yaml) asking for privileges, host
    namespaces or host mounts. medcube runs without them; MedPerf might not."""
    data = doc.data if isinstance(doc.data, dict) else {}
    findings: list[Finding] = []
    hint = ("Remove it: a benchmark runs cubes without privileges, host namespaces or host mounts, with no network "
            "(medcube ignores it when running).")
    if fmt == "container_config":
        tasks = data.get("tasks")
        for name, task in (tasks.items() if isinstance(tasks, dict) else []):
            run_args = task.get("run_args") if isinstance(task, dict) else None
            if not isinstance(run_args, dict):
                continue
            for key in run_args:
                if str(key) in DANGEROUS_KEYS:
                    findings.append(error(PRIVILEGED, file, f"task '{name}': run_args.{key} asks for "
                                          f"{DANGEROUS_KEYS[str(key)]}", hint=hint,
                                          line=doc.line(("tasks", name, "run_args", key), key=True)))
    else:
        docker = data.get("docker")
        for key in ("gpu_args", "cpu_args"):
            value = docker.get(key) if isinstance(docker, dict) else None
            if isinstance(value, str):
                for flag, why in _flags(value):
                    findings.append(error(PRIVILEGED, file, f"docker.{key} '{flag}' asks for {why}", hint=hint,
                                          line=doc.line(("docker", key))))
    return findings
