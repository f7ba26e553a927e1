"""Build a cube's image, with BuildKit through the docker CLI (engine/images/buildkit.py) when one here can, else with the
docker SDK's legacy builder; skip the build when nothing in the context changed.

The cache key is a content hash of what docker would send (engine/images/context.py: the build context minus
`.dockerignore`, the Dockerfile, the build args and the base image's id), stored on the image as the label
``org.medcube.context-hash``. The SDK's builder itself is engine/images/sdkbuild.py.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import nullcontext
from pathlib import Path

from rich.text import Text

from validator import findings as F
from validator.codes import BUILD_FAILED, BUILD_NOT_ISOLATED, IMAGE_MISSING, NO_ENTRYPOINT, PULL_FAILED
from validator.engine.client.api import Engine, EngineError
from validator.engine.images import buildkit
from validator.engine.images.context import context_hash, dockerfile_in_context
from validator.engine.images.sdkbuild import sdk_build
from validator.engine.images.tag import image_name
from validator.engine.result import BuildResult, tail
from validator.manifest.model import Build, Cube
from validator.textsafe import printable

HASH_LABEL = "org.medcube.context-hash"
CUBE_LABEL = "org.medcube.cube"  # the cube folder an image was built from (for people and cleanup)
BASE_IMAGE_ENV = "MEDCUBE_BASE_IMAGE"
# What a failed pull says, for the engines we know (dockerd 20.10 to 28).
_NETWORK_ERRORS = re.compile(
    r"dial tcp|lookup .* (no such host|server misbehaving)|no such host|network is unreachable|i/o timeout|"
    r"TLS handshake timeout|connection refused|pull access denied|manifest unknown|Client.Timeout|"
    r"failed to resolve source metadata|failed to do request|registry-1\.docker\.io",
    re.IGNORECASE,
)
_STEP = re.compile(r"^Step \d+/\d+ : |^STEP \d+/\d+: ")  # the legacy builder's steps, and podman build's
SDK_BUILDER = "the docker SDK's legacy builder (no docker CLI with BuildKit here: RUN --mount and heredocs fail)"


def _inspect(engine: Engine, name: str | None) -> dict:
    """`docker image inspect` of a tag or id ({} when there is none, or no answer)."""
    if not name:
        return {}
    try:
        return engine.image(name) or {}
    except EngineError:
        return {}


def _image_id(engine: Engine, name: str | None) -> str | None:
    return _inspect(engine, name).get("Id")


def build_image(
    engine: Engine,
    cube: Cube,
    *,
    base_image: str | None = None,
    rebuild: bool = False,
    log_dir: Path | None = None,
    console=None,
    pull: bool = False,
    verbose: bool = False,
    limits=None,
) -> BuildResult:
    """Build (or reuse) the cube's image, with BuildKit through the docker CLI when one here can, else with the
    SDK's legacy builder (`result.builder` says which). `verbose` streams the build log to the console. Never raises
    for a failed build: the result carries the findings. A cube without a Dockerfile (a config-only cube, as
    MedPerf's `container create` makes it) uses the local image, or pulls it when ``pull``. Either way the image's
    real entrypoint is then checked against the tasks.

    Untrusted builds are bounded (``limits``, validator.engine.limits.Limits): no network unless build_network,
    build_timeout, and (legacy builder) the task memory limit. The image's tag is only written when it is free or
    names an image medcube built; otherwise the image is built untagged (a cube cannot replace a base image or any
    other image medcube did not build by naming its tag). result.image_id is what runs, whatever the tag names."""
    from validator.engine.limits import Limits

    limits = limits or Limits()
    image = image_name(cube)
    result = BuildResult(cube=str(cube.path), role=cube.role, image=image, status="failed")
    started = time.monotonic()
    build = cube.build
    if cube.container_type.startswith(("Singularity", "EncryptedSingularity")):
        result.message = f"{cube.container_type} cubes run with Singularity; medcube builds and runs Docker images"
        result.findings.append(F.error(IMAGE_MISSING, cube.rel(cube.config_file), result.message,
                                       hint="use container_type: DockerImage with a Dockerfile to test the cube here"))
        return result
    if build is None or not Path(build.dockerfile).is_file():
        if _image_id(engine, image):
            result.status = "present"
            result.message = f"no Dockerfile; using the local image {image}"
        elif pull:
            try:
                engine.sdk().images.pull(image)
                result.status = "present"
                result.message = f"no Dockerfile; pulled {image}"
            except Exception as e:  # no registry reachable, no such image, no access
                result.message = f"image {image} is not present locally and could not be pulled: {e}"
                result.findings.append(F.error(IMAGE_MISSING, cube.rel(cube.config_file), result.message,
                                               hint="check the image name and the registry access, or build it"))
        else:
            result.message = f"image {image} is not present locally: build or pull it (--pull)"
            result.findings.append(
                F.error(
                    IMAGE_MISSING,
                    cube.rel(cube.config_file),
                    result.message,
                    hint="MedPerf pulls the image; pass --pull to do the same, `docker pull` it, or add a Dockerfile "
                    "beside container_config.yaml to have it built",
                )
            )
        if result.status == "present":
            result.findings += entrypoint_findings(engine, cube, image)
        result.seconds = time.monotonic() - started
        return result

    base_image = base_image or os.environ.get(BASE_IMAGE_ENV) or None
    buildargs = {"BASE_IMAGE": base_image} if base_image else {}
    digest = context_hash(build, buildargs, _image_id(engine, base_image))
    result.context_hash = digest
    owner = str(Path(cube.path).resolve())
    current = _inspect(engine, image)  # the image the tag names now
    current_id, current_labels = current.get("Id"), dict((current.get("Config") or {}).get("Labels") or {})
    # ours: a free tag, or one naming an image medcube built (from this cube or another: the content hash says
    # whether it is up to date). A tag naming any other image (a base image, one pulled or built by hand) is never
    # written: the build goes untagged and runs by its id.
    ours = current_id is None or HASH_LABEL in current_labels
    if not rebuild and current_id and ours and current_labels.get(HASH_LABEL) == digest:
        result.status = "cached"
        result.image_id = current_id
        result.message = f"{image} is up to date (build context unchanged)"
        result.findings += entrypoint_findings(engine, cube, current_id, current)
        result.seconds = time.monotonic() - started
        return result
    tag = image if ours else None
    labels = {HASH_LABEL: digest, CUBE_LABEL: owner}
    timeout = limits.build_timeout

    log_path = None
    if log_dir is not None:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        log_path = Path(log_dir) / f"build-{_slug(image)}.log"
        result.log_path = str(log_path)
    podman = _is_podman(engine)
    cli = buildkit.podman_cli(engine.host) if podman else buildkit.find_cli()
    if podman and cli is None and not limits.build_network:
        # Podman's compat /build ignores networkmode=none: never a silent build with network
        result.message = (f"{image} was not built: this engine is Podman, whose Docker-compatible build lets RUN "
                          "steps reach the network, and there is no podman command here to build without it")
        result.findings.append(F.error(
            BUILD_NOT_ISOLATED, cube.rel(build.dockerfile), result.message,
            hint="install podman here (it builds through the same socket with --network none), or pass "
            "--build-network if this benchmark allows builds to download"))
        result.seconds = time.monotonic() - started
        return result
    result.builder = cli.describe() if cli is not None else SDK_BUILDER
    status = console.status(f"building {image}") if console is not None and console.is_terminal else nullcontext()
    if console is not None and not console.is_terminal:
        console.print(Text(printable(f"building {image} with {result.builder} ...")))
    with status as live:

        def on_line(text: str) -> None:
            if verbose and console is not None:
                console.print(Text(f"  | {printable(text)}"), highlight=False)
            if live is not None and (_STEP.match(text) or buildkit.STEP.match(text)):
                live.update(f"building {image}: {printable(text.strip()[:100])}")

        if cli is not None:
            done = buildkit.build(cli, Path(build.context), str(Path(build.dockerfile).resolve()), tag,
                                  buildargs=buildargs, labels=labels, on_line=on_line,
                                  network=None if limits.build_network else "none", timeout=timeout)
            log, error, built_id, timed_out = done.log, done.error, done.image_id, done.timed_out
        else:
            dockerfile = dockerfile_in_context(build) or str(Path(build.dockerfile).resolve())
            log, error, built_id, timed_out = sdk_build(engine, build, dockerfile, tag, buildargs, labels, on_line,
                                                         limits)
    if not ours:
        log = f"note: the tag {image} names an image medcube did not build; built untagged\n" + log
    if log_path is not None:
        log_path.write_text(log)
    result.seconds = time.monotonic() - started
    result.log_tail = tail(log, 25)
    if error is None:
        result.status = "built"
        result.image_id = built_id or (_image_id(engine, tag) if tag else None)
        result.message = f"built {image} in {result.seconds:.1f}s with {result.builder}" + (
            "" if tag else " (untagged: the tag names an image medcube did not build, which is left as it is)")
        result.findings += entrypoint_findings(engine, cube, result.image_id or image)
        return result

    where = cube.rel(build.dockerfile)
    frontend = _syntax_directive(build)
    if frontend and _is_pull_failure(error, log) and _mentions_frontend(error + log, frontend):
        result.message = (f"could not pull the Dockerfile frontend {frontend} that its `# syntax=` line asks for: "
                          "no network or registry reachable from this Docker engine")
        result.findings.append(F.error(
            PULL_FAILED, where, result.message, line=1,
            hint="remove the `# syntax=` line so the builder's own Dockerfile frontend is used (RUN --mount works "
            "without it), or load that frontend image into the engine first"))
    elif _is_pull_failure(error, log):
        base = base_image or _default_base(build) or "the FROM image"
        result.message = f"could not pull the base image {base}: no network or registry reachable from this Docker engine"
        result.findings.append(
            F.error(
                PULL_FAILED,
                where,
                result.message,
                hint="build from an image that is already present: --base-image IMG (or MEDCUBE_BASE_IMAGE=IMG), "
                "e.g. --base-image medcube/base:bookworm; the Dockerfile needs `ARG BASE_IMAGE` / `FROM ${BASE_IMAGE}`",
            )
        )
    elif timed_out:
        result.message = f"the build ran longer than the --build-timeout of {timeout:g}s and was stopped"
        result.findings.append(F.error(
            BUILD_FAILED, where, result.message,
            hint="a build on the benchmark's machines must not hang: remove the step that waits (its log: "
            f"{log_path}), or raise --build-timeout" if log_path else "raise --build-timeout if the build needs it"))
    else:
        result.message = f"docker build failed: {error.strip().splitlines()[-1][:300] if error.strip() else error}"
        hint = f"full build log: {log_path}" if log_path else "run `docker build` by hand to see the log"
        if not limits.build_network and _NEEDS_NETWORK.search(log):
            result.message += " (the build has no network: medcube builds with none unless --build-network)"
            hint = ("install what the build downloads from files in the build context (or a base image that has "
                    "it), or pass --build-network if this benchmark allows builds to download; " + hint)
        result.findings.append(F.error(BUILD_FAILED, where, result.message, hint=hint))
    return result


# What a RUN step says when it wanted the network it does not have.
_NEEDS_NETWORK = re.compile(
    r"Temporary failure in name resolution|Name or service not known|Network is unreachable|"
    r"Could not resolve|Failed to establish a new connection|No route to host|getaddrinfo failed|"
    r"Could not fetch URL|ConnectionError|nodename nor servname",
    re.IGNORECASE,
)


def _is_pull_failure(error: str, log: str) -> bool:
    if _NETWORK_ERRORS.search(error):
        return True
    steps = [ln for ln in log.splitlines() if _STEP.match(ln)]
    return bool(steps) and " : FROM " in steps[-1] and "not found" in error.lower()


def _syntax_directive(build: Build) -> str | None:
    from validator.manifest import dockerfile as reader

    try:
        return reader.read(Path(build.dockerfile)).directives.get("syntax") or None
    except OSError:
        return None


def _mentions_frontend(text: str, frontend: str) -> bool:
    name = frontend.split("@")[0].split(":")[0]
    return name.lower() in text.lower()


def _default_base(build: Build) -> str | None:
    """The image a Dockerfile builds FROM when no --base-image is given (its ARG BASE_IMAGE default)."""
    try:
        text = Path(build.dockerfile).read_text(errors="replace")
    except OSError:
        return None
    m = re.search(r"^\s*ARG\s+BASE_IMAGE\s*=\s*(\S+)", text, re.MULTILINE | re.IGNORECASE)
    if m:
        return m.group(1).strip("\"'")
    m = re.search(r"^\s*FROM\s+(\S+)", text, re.MULTILINE | re.IGNORECASE)
    return m.group(1) if m else None


def _is_podman(engine: Engine) -> bool:
    from validator.engine.client.kind import learn

    try:
        return learn(engine).podman
    except Exception:  # an engine that does not say what it is: Docker's ways
        return False


def _slug(image: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", image).strip("_")


def entrypoint_findings(engine: Engine, cube: Cube, image: str, inspected: dict | None = None) -> list[F.Finding]:
    """The image's real entrypoint (docker inspect) against the tasks: with none, `docker run IMAGE ARGS` executes
    the first argument, so a task whose arguments start with its name, or that gives none, cannot run.
    ``inspected``: the image's inspect, when the caller has it already."""
    from validator.manifest.roles import TASKS

    attrs = inspected if inspected is not None else _inspect(engine, image)
    if not attrs:
        return []
    config = attrs.get("Config") or {}
    if config.get("Entrypoint"):
        return []
    findings = []
    for task in cube.tasks.values():
        if task.name not in TASKS or task.entrypoint:
            continue
        if cube.format == "mlcube":
            argv = [task.name]
        else:
            argv = list(task.command) if task.command is not None else list(config.get("Cmd") or [])
        if argv and argv[0] not in TASKS:
            continue  # the command names a program: fine without an entrypoint
        what = f"execute '{argv[0]}' as a program" if argv else "run nothing"
        findings.append(F.error(
            NO_ENTRYPOINT, cube.rel(cube.config_file),
            f"task {task.name}: the image {image} has no entrypoint (docker inspect), so the container would {what}",
            hint="set ENTRYPOINT in the Dockerfile (e.g. [\"python3\", \"/mlcube_project/mlcube.py\"]), or start "
            "run_args.command with the program"))
    return findings
