"""Tarballs: made deterministically (same files -> same sha256) and opened safely (nothing escapes the target).

Opening is bounded (Limits): total bytes extracted, number of entries and name length are checked from the headers
before anything is written, so a small archive cannot fill the disk or hang the check. The environment variables
MEDCUBE_MAX_EXTRACT_BYTES and MEDCUBE_MAX_EXTRACT_ENTRIES raise or lower the first two.
"""

from __future__ import annotations

import errno
import hashlib
import os
import posixpath
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal, TypedDict

from validator.errors import UserError
from validator.hostfs import open_regular, walk  # no link followed, no FIFO or device opened

if TYPE_CHECKING:  # tarfile and gzip are imported where an archive is read or written: not every run has one
    import tarfile

CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    bytes: int = 2 << 30  # what all members hold, extracted
    entries: int = 100_000
    name: int = 1024  # characters in a member's path
    component: int = 255  # characters in one part of it

    @classmethod
    def from_env(cls) -> Limits:
        def number(var: str, default: int) -> int:
            text = os.environ.get(var, "").strip()
            try:
                return int(text) if text else default
            except ValueError:
                raise UserError(f"{var}={text!r} is not a whole number", hint=f"Unset {var} or give a count.") from None

        base = cls()
        return cls(bytes=number("MEDCUBE_MAX_EXTRACT_BYTES", base.bytes),
                   entries=number("MEDCUBE_MAX_EXTRACT_ENTRIES", base.entries))


class _ExtractOptions(TypedDict, total=False):
    filter: Literal["data"]


def _data_filter() -> _ExtractOptions:
    """tarfile's extraction filters exist from Python 3.10.12 / 3.11.4 on: the strict one where there is one."""
    import tarfile

    return {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


def sha256_file(path: Path | str, *, follow_links: bool = True) -> str:
    """sha256 of a regular file (a FIFO or a device is refused, never opened to block)."""
    h = hashlib.sha256()
    with os.fdopen(open_regular(path, follow_links=follow_links), "rb") as f:
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
    """(arcname, path) for a folder and everything below it (links are listed, never followed)."""
    yield arcroot, root
    for entry in walk(root):
        yield str(PurePosixPath(arcroot) / entry.rel), entry.path


def write_deterministic(out: Path, entries) -> str:
    """Write a .tar.gz of (arcname, host path) entries — folders recursively — with sorted members, mtime 0,
    owner 0:0, normalized modes and a zero gzip timestamp. Returns its sha256."""
    import gzip
    import tarfile

    members: dict[str, Path] = {}
    for arcname, path in entries:
        path = Path(path)
        if path.is_dir() and not path.is_symlink():  # links are refused below, never entered
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
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                raise UserError(f"{path}: symbolic links are not packaged", hint="Replace the link with the file it points to.")
            if stat.S_ISDIR(st.st_mode):
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                with os.fdopen(open_regular(path), "rb") as f:
                    st = os.fstat(f.fileno())
                    info.size = st.st_size
                    info.mode = 0o755 if st.st_mode & 0o111 else 0o644
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


def _shape_problem(member: tarfile.TarInfo, kinds: dict[str, bool]) -> str | None:
    """Why a member cannot take its place in the tree the members before it made: a file standing for the root
    (`.`), a name given as a file and as a folder, or a member inside a file. Records the member in kinds."""
    name = posixpath.normpath(member.name.strip("/") or ".")
    is_dir = member.isdir()
    if name == "." and not is_dir:
        return "is a file where the archive's root folder is"
    if kinds.get(name, is_dir) != is_dir:
        return "is given both as a file and as a folder"
    parent = posixpath.dirname(name)
    while parent:
        if kinds.get(parent) is False:
            return f"lies inside '{_shown(parent)}', which is a file"
        parent = posixpath.dirname(parent)
    kinds[name] = is_dir
    return None


def _shown(name: str) -> str:
    """A member name as printed: control characters escaped, long names cut."""
    text = name.encode("unicode_escape").decode("ascii")
    return text if len(text) <= 120 else text[:100] + "..." + text[-17:]


def check_tarball(path: Path, limits: Limits | None = None) -> list[str]:
    """Problems found in an archive, one line each naming the member (empty when it is safe). Stops at the first
    limit crossed (the rest would only repeat it)."""
    import tarfile

    limits = limits or Limits.from_env()
    problems = []
    dest = Path("/nonexistent-medcube-root")
    total = count = 0
    kinds: dict[str, bool] = {}  # normalised member name -> is a folder
    try:
        with tarfile.open(path, "r:*") as tar:
            for m in tar:
                count += 1
                name = _shown(m.name)
                if count > limits.entries:
                    problems.append(f"holds more than {limits.entries} entries (MEDCUBE_MAX_EXTRACT_ENTRIES)")
                    break
                if len(m.name) > limits.name or any(len(p) > limits.component for p in m.name.split("/")):
                    problems.append(f"member '{name}' has a name longer than {limits.name} characters "
                                    f"(or a part longer than {limits.component})")
                    continue
                if m.isfile():
                    total += m.size
                    if total > limits.bytes:
                        problems.append(f"would extract more than {limits.bytes} bytes (at member '{name}'; "
                                        "MEDCUBE_MAX_EXTRACT_BYTES raises the limit)")
                        break
                why = member_problem(m, dest) or _shape_problem(m, kinds)
                if why:
                    problems.append(f"member '{name}' {why}")
    except (tarfile.TarError, OSError, EOFError, ValueError) as e:
        problems.append(f"not a readable tar archive ({_shown(str(e))})")
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
    import tarfile

    dest.mkdir(parents=True, exist_ok=True)
    data_filter = _data_filter()
    with tarfile.open(path, "r:*") as tar:
        for m in tar:
            if m.issym() or m.islnk():
                continue  # checked safe, but data never needs them: skip
            m.mode = (m.mode | 0o600) & 0o777 if m.isfile() else 0o755
            m.uid = m.gid = 0
            try:
                tar.extract(m, dest, set_attrs=False, **data_filter)
            except (OSError, tarfile.TarError) as e:  # checked above; the file system may still refuse (full, ...)
                if getattr(e, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
                    raise
                raise UserError(f"{path}: cannot extract member '{_shown(m.name)}': {_shown(str(e))}",
                                hint="Rebuild the archive from plain files and folders with relative paths "
                                "(`medcube package-demo` makes a safe one).") from None
    return dest

