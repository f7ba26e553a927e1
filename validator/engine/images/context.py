"""A build context as docker sends it: its files (as `.dockerignore` leaves them) and their content hash, the cache
key medcube stores on the image it builds (validator.engine.images.build)."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

from validator.engine.images import dockerignore
from validator.manifest.model import Build


def dockerignore_patterns(context: Path) -> list[str] | None:
    """The patterns of `.dockerignore`, read the way the docker SDK reads them."""
    path = context / ".dockerignore"
    if not path.is_file():
        return None
    lines = (ln.strip() for ln in path.read_text(errors="replace").splitlines())
    return [ln for ln in lines if ln and not ln.startswith("#")]


def context_files(build: Build) -> list[str]:
    """The paths (relative, sorted) docker would put in the build context; ignored folders are not walked."""
    context = Path(build.context)
    patterns = dockerignore_patterns(context) or []
    return sorted(dockerignore.sent(str(context), patterns, dockerfile=dockerfile_in_context(build)))


def context_hash(build: Build, buildargs: dict[str, str] | None = None, base_image_id: str | None = None) -> str:
    """sha256 over the context (names, types, exec bits, contents), the Dockerfile, build args and base image id."""
    h = hashlib.sha256()
    context = Path(build.context)
    for rel in context_files(build):
        full = context / rel
        try:
            st = full.lstat()
        except OSError:
            continue
        if stat.S_ISLNK(st.st_mode):
            h.update(f"L {rel} -> {os.readlink(full)}\n".encode())
        elif stat.S_ISDIR(st.st_mode):
            h.update(f"D {rel}\n".encode())
        elif stat.S_ISREG(st.st_mode):
            digest = _file_sha256(full)
            h.update(f"F {rel} {st.st_mode & 0o111:o} {digest}\n".encode())
    h.update(b"Dockerfile\n" + Path(build.dockerfile).read_bytes())
    for k, v in sorted((buildargs or {}).items()):
        h.update(f"ARG {k}={v}\n".encode())
    h.update(f"BASE {base_image_id or ''}\n".encode())
    return h.hexdigest()


def _file_sha256(path: Path) -> str:
    """The sha256 of a file's content, read in chunks (`hashlib.file_digest` exists only from Python 3.11 on)."""
    with open(path, "rb") as f:
        if sys.version_info >= (3, 11):
            return hashlib.file_digest(f, "sha256").hexdigest()
        h = hashlib.sha256()
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
        return h.hexdigest()


def dockerfile_in_context(build: Build) -> str | None:
    try:
        return str(Path(build.dockerfile).resolve().relative_to(Path(build.context).resolve()))
    except ValueError:
        return None
