"""Container paths -> host paths, for the local runner: what a task would see inside its image, found on the host.
Mount points map to the mounted host paths; files the Dockerfile COPYs map into the build context (read with
validator.manifest.dockerfile, the same reader the checks use)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from validator.manifest import dockerfile


@dataclass
class DockerfileInfo:
    """What the local runner needs from a Dockerfile (validator.manifest.dockerfile reads it, as for the checks):
    ENTRYPOINT, CMD, WORKDIR, ENV, and where the files it COPYs come from in the build context."""

    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    shell_form: bool = False
    dockerfile: dockerfile.Dockerfile | None = None
    context: Path | None = None

    def host_path(self, image_path: str) -> Path | None:
        if self.dockerfile is None or self.context is None:
            return None
        return self.dockerfile.host_path(image_path, self.context)


def read_dockerfile(path: Path, context: Path) -> DockerfileInfo:
    df = dockerfile.read(path)
    info = DockerfileInfo(dockerfile=df, context=Path(context))
    entry, cmd = df.last("ENTRYPOINT"), df.last("CMD")
    if entry is not None:
        form = entry.exec_form()
        info.entrypoint, info.shell_form = (form, False) if form is not None else (shlex.split(entry.value), True)
    if cmd is not None:
        info.cmd = cmd.exec_form() or shlex.split(cmd.value)
    if df.instructions:
        info.workdir = df.workdir_at(df.instructions[-1].line)
    info.env.update(df.env())  # the final image's ENV (its stages), with ARG/ENV substituted
    return info


# An absolute path inside an argument such as `--data_path=/mlcommons/volumes/data` or `/app/mlcube.py`.
_ABSOLUTE = re.compile(r"(?<![\w.\-/])/[^\s=,;:'\"]*")


class PathMap:
    """Container paths -> host paths: mount points first (the longest prefix wins, whole path components only),
    then what the Dockerfile COPYs from the build context, then fallback prefixes."""

    def __init__(self, image: DockerfileInfo | None = None):
        self.items: list[tuple[str, Path]] = []
        self.fallbacks: list[tuple[str, Path]] = []
        self.image = image

    def add(self, container: str, host: Path) -> None:
        self.items.append((str(PurePosixPath(container)), Path(host)))

    def add_fallback(self, container: str, host: Path) -> None:
        self.fallbacks.append((str(PurePosixPath(container)), Path(host)))

    @staticmethod
    def _by_prefix(items: list[tuple[str, Path]], path: str) -> str | None:
        for prefix, host in sorted(items, key=lambda it: len(it[0]), reverse=True):
            if path == prefix:
                return str(host)
            if path.startswith(prefix.rstrip("/") + "/"):
                return str(host / path[len(prefix.rstrip("/")) + 1:])
        return None

    def map_path(self, path: str) -> str | None:
        found = self._by_prefix(self.items, path)
        if found is None and self.image is not None and path != "/":
            copied = self.image.host_path(path)
            found = str(copied) if copied is not None else None
        return found if found is not None else self._by_prefix(self.fallbacks, path)

    def map_text(self, text: str) -> str:
        """Replace the container paths inside an argument such as `--data_path=/mlcommons/volumes/data`."""
        return _ABSOLUTE.sub(lambda m: self.map_path(m.group(0)) or m.group(0), text)
