"""Tarballs: made deterministically (same files -> same sha256) and opened safely (nothing escapes the target)."""

from __future__ import annotations

import gzip
import hashlib
import os
import tarfile
from pathlib import Path, PurePosixPath

from validator.errors import UserError

CHUNK = 1 << 20
_DATA_FILTER = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


def sha256_file(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def verify_sha256(path: Path, expected: str | None) -> None:
    if not expected:
        return
    actual = sha256_file(path)
    if actual.lower() != expected.strip().lower():
        raise UserError(
            f"{path}: sha256 is {actual}, expected {expected}",
            hint="The file changed or was not fully downloaded; get it again, or fix the expected hash.",
        )


def _tree(root: Path, arcroot: str):
    """(arcname, path) for a folder and everything below it (links are not followed)."""
    yield arcroot, root
    for path in root.rglob("*"):
        yield str(PurePosixPath(arcroot) / path.relative_to(root).as_posix()), path


def write_deterministic(out: Path, entries) -> str:
    """Write a .tar.gz of (arcname, host path) entries — folders recursively — with sorted members, mtime 0,
    owner 0:0, normalized modes and a zero gzip timestamp. Returns its sha256."""
    members: dict[str, Path] = {}
    for arcname, path in entries:
        path = Path(path)
        if path.is_dir() and not path.is_symlink():
            for a, p in _tree(path, arcname):
                members[a] = p
        else:
            members[arcname] = path
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for arcname in sorted(members, key=lambda a: PurePosixPath(a).parts):
            path = members[arcname]
            info = tarfile.TarInfo(arcname)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            if path.is_symlink():
                raise UserError(f"{path}: symbolic links are not packaged", hint="Replace the link with the file it points to.")
            if path.is_dir():
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size = path.stat().st_size
                info.mode = 0o755 if os.access(path, os.X_OK) else 0o644
                with open(path, "rb") as f:
                    tar.addfile(info, f)
    os.replace(tmp, out)
    return sha256_file(out)


def member_problem(member: tarfile.TarInfo, dest: Path) -> str | None:
    """Why a member must not be extracted into dest (None when it is safe)."""
    name = member.name
    if name.startswith("/") or PurePosixPath(name).is_absolute():
        return "has an absolute path"
    if ".." in PurePosixPath(name).parts:
        return "climbs out of the archive with '..'"
    if member.isdev() or member.isfifo():
        return "is a device or FIFO file"
    if member.issym() or member.islnk():
        target = PurePosixPath(member.linkname)
        base = PurePosixPath(name).parent if member.issym() else PurePosixPath()
        if target.is_absolute() or ".." in PurePosixPath(os.path.normpath(base / target)).parts \
                or os.path.normpath(str(base / target)).startswith(".."):
            return f"is a link pointing out of the archive ({member.linkname})"
    resolved = (dest / name).resolve()
    if resolved != dest.resolve() and dest.resolve() not in resolved.parents:
        return "would be written outside the target folder"
    return None


def check_tarball(path: Path) -> list[str]:
    """Problems found in an archive, one line each naming the member (empty when it is safe)."""
    problems = []
    dest = Path("/nonexistent-medcube-root")
    try:
        with tarfile.open(path, "r:*") as tar:
            for m in tar:
                why = member_problem(m, dest)
                if why:
                    problems.append(f"member '{m.name}' {why}")
    except (tarfile.TarError, OSError, EOFError) as e:
        problems.append(f"not a readable tar archive ({e})")
    return problems


def safe_extract(path: Path, dest: Path, sha256: str | None = None) -> Path:
    """Extract a tarball into dest after checking its hash and every member; refuse the whole archive otherwise."""
    path, dest = Path(path), Path(dest)
    verify_sha256(path, sha256)
    problems = check_tarball(path)
    if problems:
        raise UserError(f"{path}: refusing to extract: {problems[0]}"
                        + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                        hint="Rebuild the archive from plain files and folders with relative paths "
                        "(`medcube package-demo` makes a safe one).")
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "r:*") as tar:
        for m in tar:
            if m.issym() or m.islnk():
                continue  # checked safe, but data never needs them: skip
            m.mode = (m.mode | 0o600) & 0o777 if m.isfile() else 0o755
            m.uid = m.gid = 0
            tar.extract(m, dest, set_attrs=False, **_DATA_FILTER)
    return dest

