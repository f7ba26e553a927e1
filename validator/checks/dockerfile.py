"""Dockerfile checks: it exists, COPY sources exist, something runs, and advisory warnings that save pain later."""

from __future__ import annotations

import os
import re
from pathlib import Path

from validator import codes as C
from validator.findings import Finding, error, info, warning
from validator.manifest.dockerfile import Dockerfile
from validator.manifest.model import Cube

LARGE_WORKSPACE_BYTES = 50 * 1024 * 1024
_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}?")


def check_build(cube: Cube, df: Dockerfile | None, show) -> list[Finding]:
    """MedPerf never builds (it pulls the image): a cube without a Dockerfile is complete, and build checks are skipped.

    A config-only cube (as `medperf container create` makes it) gets one info; a Dockerfile or build context the
    config names but that is missing is a warning (MLCube's client could not build it; MedPerf does not care).
    """
    file = show(cube.config_file)
    if cube.container_type != "DockerImage":
        return []
    pull = f"the run stage uses the local image {cube.image} or pulls it with --pull" if cube.image else \
        "the run stage needs an image"
    if cube.build is None:
        looked = "container_config.yaml's folder (Dockerfile), project/Dockerfile" if cube.format == "container_config" \
            else "docker.build_context in mlcube.yaml"
        return [info(C.CONFIG_ONLY, file, f"no Dockerfile: a config-only cube; build and code checks are skipped, {pull}",
                     hint=f"medcube looked in: {looked}. Add a Dockerfile there to have the build and the code checked.")]
    if not cube.build.context.is_dir():
        return [warning(C.NO_DOCKERFILE, file, f"build context {show(cube.build.context)} does not exist: the image cannot be "
                        f"built here; build checks are skipped, {pull}",
                        hint=f"Fix {cube.build.source} or create the folder.",
                        line=_build_line(cube))]
    if df is None and cube.build.dockerfile.is_file():
        return []  # it exists, out of the cube or through a link: MC420 says so, and it is not read
    if df is None:
        return [warning(C.NO_DOCKERFILE, file, f"Dockerfile {show(cube.build.dockerfile)} does not exist: the image cannot be "
                        f"built here; build checks are skipped, {pull}",
                        hint=f"Create it, or fix {cube.build.source}.", line=_build_line(cube))]
    return []


def _build_line(cube: Cube):
    src = cube.other if cube.other is not None and cube.other.build is cube.build else cube
    return src.doc.line(("docker", "build_context")) if src.doc else None


def resolve_from(df: Dockerfile, ins) -> str:
    args = df.arg_defaults()
    words = [w for w in ins.value.split() if not w.startswith("--")]  # --platform=... before the image
    image = words[0] if words else ""
    return _VAR.sub(lambda m: args.get(m.group(1)) or (m.group(2) or ""), image)


def check_dockerfile(cube: Cube, df: Dockerfile | None, show) -> list[Finding]:
    if df is None or cube.build is None:
        return []
    file = show(df.path)
    findings: list[Finding] = []
    stages = {ins.value.split()[-1].lower() for ins in df.all("FROM") if " as " in ins.value.lower()}
    for ins in df.all("FROM"):
        image = resolve_from(df, ins)
        if not image or image.lower() in stages or image == "scratch":
            continue
        name, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
        if "@sha256:" not in image and (not tag or tag == "latest"):
            findings.append(warning(
                C.UNPINNED_BASE, file, f"base image '{image}' has no pinned tag",
                hint=f"Pin a version, e.g. FROM {image.split(':')[0]}:3.11-slim, so the image builds the same tomorrow.",
                line=ins.line))
    for sources, _dest, ins in df.copies(image_only=False):  # a missing source fails the build in any stage
        for src in sources:
            if any(c in src for c in "*?[$") or os.path.normpath(src).startswith(".."):
                continue  # a source leaving the context is MC420 (checks/hostpaths.py)
            if not (cube.build.context / src).exists():
                findings.append(error(
                    C.COPY_MISSING, file, f"COPY source '{src}' is not in the build context {show(cube.build.context)}",
                    hint="docker build would fail here: fix the path (it is relative to the build context).",
                    line=ins.line))
    findings += _requirements_order(df, file)
    user = df.last("USER")
    if user and user.value.strip().split(":")[0] in ("root", "0"):
        findings.append(warning(
            C.RUNS_AS_ROOT, file, "the image runs as root (USER root)",
            hint="MedPerf runs containers as a non-root user; drop USER root or switch back to a normal user "
            "after the steps that need root.", line=user.line))
    findings += _dockerignore(cube, file)
    return findings


def _requirements_order(df: Dockerfile, file: str) -> list[Finding]:
    broad_copy = None
    for ins in df.instructions:
        if ins.cmd in ("COPY", "ADD") and "--from" not in ins.value:
            parts = [p for p in ins.value.split() if not p.startswith("--")]
            if parts[:-1] and any(p in (".", "./") for p in parts[:-1]):
                broad_copy = broad_copy or ins
        if ins.cmd == "RUN" and re.search(r"pip3?\s+install\b.*(-r|--requirement)\s", ins.value) and broad_copy:
            return [warning(
                C.REQUIREMENTS_AFTER_CODE, file,
                f"requirements are installed (line {ins.line}) after all the code is copied (line {broad_copy.line})",
                hint="COPY requirements.txt and RUN pip install first, then COPY the code: a code change then reuses "
                "the cached dependency layer.", line=ins.line)]
    return []


def _dir_size(path: Path, limit: int) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                continue
            if total > limit:
                return total
    return total


def _dockerignore(cube: Cube, file: str) -> list[Finding]:
    if cube.build is None:  # the caller only checks cubes that build an image
        return []
    context = cube.build.context
    if os.path.exists(os.path.join(context, ".dockerignore")) or cube.workspace is None:
        return []
    workspace, real_context = os.path.realpath(cube.workspace), os.path.realpath(context)
    if workspace != real_context and not workspace.startswith(real_context.rstrip(os.sep) + os.sep):
        return []  # the workspace is not in the build context
    if not cube.workspace.is_dir():
        return []
    size = _dir_size(cube.workspace, LARGE_WORKSPACE_BYTES)
    if size > LARGE_WORKSPACE_BYTES:
        return [warning(
            C.WORKSPACE_IN_CONTEXT, file,
            f"the build context includes the workspace ({size // (1024 * 1024)}+ MiB) and has no .dockerignore",
            hint="Add a .dockerignore listing workspace/: MedPerf mounts parameters and additional files at run time, "
            "they do not belong in the image.")]
    return []


# Base images known to define no ENTRYPOINT (official language and OS images, medcube's offline base): with one of
# these and no ENTRYPOINT of its own, an image has none. Any other base may bring its own (MedPerf's examples do).
_NO_ENTRYPOINT_BASES = ("python", "debian", "ubuntu", "alpine", "busybox", "buildpack-deps", "centos", "fedora",
                        "rockylinux", "almalinux", "medcube/base", "scratch")


def base_without_entrypoint(df: Dockerfile) -> str | None:
    """The final stage's base image when it is one known to define no ENTRYPOINT, else None (it may define one)."""
    froms = df.all("FROM")
    if not froms:
        return None
    stages = {ins.value.split()[-1].lower(): ins for ins in froms if " as " in ins.value.lower()}
    ins, seen = froms[-1], set()
    while True:
        image = resolve_from(df, ins)
        if image.lower() in stages and image.lower() not in seen:
            seen.add(image.lower())
            ins = stages[image.lower()]
            continue
        break
    name = image.split("@")[0]
    name = name.rsplit(":", 1)[0] if ":" in name.split("/")[-1] else name
    for prefix in ("docker.io/library/", "library/", "docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return image if name in _NO_ENTRYPOINT_BASES else None
