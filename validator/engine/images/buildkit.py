"""Build an image with BuildKit through the docker CLI, so `RUN --mount=type=cache`, heredocs and `# syntax=` lines
build here as they do for the cube's author. The docker SDK only has the legacy builder; engine/images/build.py falls back
to it when no CLI here can use BuildKit, and says so.

Which CLI can: one with the buildx plugin (`docker buildx version` answers; then `docker buildx build --load`), or a
client older than 23 (BuildKit built in, switched on by DOCKER_BUILDKIT=1). A newer client without buildx cannot.
`MEDCUBE_DOCKER_CLI` names the docker binary to use; `MEDCUBE_BUILDER=sdk` forces the SDK's legacy builder.
The CLI talks to the same engine as the SDK (DOCKER_HOST and the other docker variables of this environment).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from collections import deque
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Callable

CLI_ENV = "MEDCUBE_DOCKER_CLI"
BUILDER_ENV = "MEDCUBE_BUILDER"
STEP = re.compile(r"^#\d+ \[[^\]]*\] ")  # BuildKit's plain progress: "#7 [2/4] RUN pip install ..."
_PROBE_TIMEOUT = 20
MAX_LOG = 16 << 20  # characters of build log kept in memory (the end)


@dataclass(frozen=True)
class Cli:
    path: str
    version: str
    buildx: bool  # build with `docker buildx build --load`; otherwise `DOCKER_BUILDKIT=1 docker build`
    podman_url: str | None = None  # `podman --remote --url URL build`: Podman's own builder, through its socket

    def describe(self) -> str:
        if self.podman_url:
            return f"podman build (podman {self.version} at {self.path}, through {self.podman_url})"
        how = "buildx" if self.buildx else "built-in BuildKit"
        return f"BuildKit (docker CLI {self.version} at {self.path}, {how})"


def podman_cli(url: str) -> Cli | None:
    """The podman command, building through the Podman socket at ``url`` (`podman --remote`): Podman's own build
    honours `--network none`, which its Docker-compatible /build endpoint ignores. None without a podman command."""
    path = os.environ.get("MEDCUBE_PODMAN_CLI") or shutil.which("podman")
    if not path or not url.startswith("unix://"):
        return None
    done = _run([path, "--remote", "--url", url, "version", "--format", "{{.Client.Version}}"])
    if done is None or done.returncode != 0 or not done.stdout.strip():
        return None
    return Cli(path, done.stdout.strip().splitlines()[0], buildx=False, podman_url=url)


@dataclass
class CliBuild:
    ok: bool
    log: str
    error: str | None  # the builder's error line when not ok
    timed_out: bool = False
    image_id: str | None = None  # what was built (--iidfile): what runs, whatever the tag names later


def _candidates() -> list[str]:
    chosen = os.environ.get(CLI_ENV)
    if chosen:
        return [chosen]
    found: list[str] = []
    for folder in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/bin"]:
        path = os.path.join(folder, "docker") if folder else ""
        if path and os.access(path, os.X_OK) and os.path.realpath(path) not in {os.path.realpath(p) for p in found}:
            found.append(path)
    return found


def _run(argv: list[str]) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=_PROBE_TIMEOUT,
                              env={**os.environ, "DOCKER_CLI_HINTS": "false"})
    except (OSError, subprocess.SubprocessError):
        return None


def probe(path: str) -> Cli | None:
    """Whether this docker binary can build with BuildKit against the engine, and how."""
    done = _run([path, "version", "--format", "{{.Client.Version}}"])
    if done is None or not done.stdout.strip():
        return None
    version = done.stdout.strip().splitlines()[0]
    buildx = _run([path, "buildx", "version"])
    if buildx is not None and buildx.returncode == 0:
        return Cli(path, version, buildx=True)
    major = re.match(r"(\d+)\.", version)
    if major and int(major.group(1)) < 23:
        return Cli(path, version, buildx=False)
    return None


@cache
def _find(candidates: tuple[str, ...]) -> Cli | None:
    for path in candidates:
        cli = probe(path)
        if cli is not None:
            return cli
    return None


def find_cli() -> Cli | None:
    """The docker CLI to build with, None when the SDK's legacy builder has to do (or MEDCUBE_BUILDER=sdk)."""
    if os.environ.get(BUILDER_ENV, "").strip().lower() == "sdk":
        return None
    if not shutil.which("docker") and not os.environ.get(CLI_ENV) and not os.access("/usr/bin/docker", os.X_OK):
        return None
    return _find(tuple(_candidates()))


def build_argv(cli: Cli, context: Path, dockerfile: str, tag: str | None, buildargs: dict[str, str],
               labels: dict[str, str], network: str | None = None, iidfile: str | None = None) -> list[str]:
    """The command line; `dockerfile` is relative to the context (the CLI would read it relative to its cwd). No
    tag: the image is built untagged (its id is in `iidfile`)."""
    argv = [cli.path, "buildx", "build", "--load"] if cli.buildx else [cli.path, "build"]
    if cli.podman_url:
        argv = [cli.path, "--remote", "--url", cli.podman_url, "build"]
    path = dockerfile if os.path.isabs(dockerfile) else os.path.join(os.path.abspath(context), dockerfile)
    argv += ([] if cli.podman_url else ["--progress=plain"]) + ["-f", path] + (["-t", tag] if tag else [])
    if iidfile:
        argv += ["--iidfile", iidfile]
    for k, v in sorted(buildargs.items()):
        argv += ["--build-arg", f"{k}={v}"]
    for k, v in sorted(labels.items()):
        argv += ["--label", f"{k}={v}"]
    if network:
        argv += ["--network", network]
    return argv + ["--", str(context)]


def build(cli: Cli, context: Path, dockerfile: str, tag: str | None, *, buildargs: dict[str, str] | None = None,
          labels: dict[str, str] | None = None, network: str | None = None, timeout: float | None = None,
          on_line: Callable[[str], None] | None = None) -> CliBuild:
    """Run the build, streaming each output line to `on_line`; never raises for a failed build."""
    with tempfile.TemporaryDirectory(prefix="medcube-iid-") as tmp:
        iidfile = os.path.join(tmp, "iid")
        done = _build(cli, build_argv(cli, context, dockerfile, tag, buildargs or {}, labels or {}, network, iidfile),
                      timeout, on_line)
        if done.ok and os.path.isfile(iidfile):
            with open(iidfile) as f:
                done.image_id = f.read().strip() or None
    return done


def _build(cli: Cli, argv: list[str], timeout: float | None, on_line: Callable[[str], None] | None) -> CliBuild:
    env = {**os.environ, "DOCKER_BUILDKIT": "1", "BUILDKIT_PROGRESS": "plain", "DOCKER_CLI_HINTS": "false"}
    lines = _Tail()
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True, text=True, errors="replace", bufsize=1)
    except OSError as e:
        return CliBuild(False, "", f"could not start {cli.path}: {e}")
    assert proc.stdout is not None
    reader = threading.Thread(target=_pump, args=(proc.stdout, lines, on_line), daemon=True)
    reader.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout or None)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill(proc)
    except BaseException:  # cancelled (a signal): the build ends with medcube, BuildKit cancels its steps
        _kill(proc)
        raise
    reader.join(timeout=10)
    log = lines.text()
    if timed_out:
        return CliBuild(False, log, f"the build ran longer than {timeout:g} s and was stopped", timed_out=True)
    if proc.returncode == 0:
        return CliBuild(True, log, None)
    return CliBuild(False, log, error_line(log) or f"docker build exited with code {proc.returncode}")


class _Tail:
    """The log kept in memory: its last MAX_LOG characters (a build can print without end)."""

    def __init__(self) -> None:
        self.lines: deque[str] = deque()
        self.size = 0
        self.cut = 0

    def append(self, line: str) -> None:
        self.lines.append(line)
        self.size += len(line)
        while self.size > MAX_LOG and len(self.lines) > 1:
            self.size -= len(self.lines.popleft())
            self.cut += 1

    def text(self) -> str:
        head = f"[... {self.cut} earlier lines not kept ...]\n" if self.cut else ""
        return head + "".join(self.lines)


def _pump(stream, lines: _Tail, on_line) -> None:
    for line in stream:
        lines.append(line if line.endswith("\n") else line + "\n")
        if on_line is not None:
            try:
                on_line(line.rstrip("\n"))
            except Exception:  # a display problem must not stop the build log
                pass


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def error_line(log: str) -> str | None:
    """The line that says why a BuildKit build failed."""
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    for ln in reversed(lines):
        if ln.startswith(("ERROR:", "error:", "failed to solve", "failed to build")):
            return ln
    return lines[-1] if lines else None
