"""Host file access for paths that a cube, a tarball or a task's output controls.

medcube runs as root in CI on cubes other people wrote, so everything here assumes the tree is hostile: links are
never followed (`lstat`, `O_NOFOLLOW`, `follow_symlinks=False`), FIFOs and devices are never opened (an open would
block or reach hardware), reads are capped, and walks are iterative (no recursion a deep tree can drive past Python's
limit). Containment (`escape`) resolves links, so a path that points out of its root through a link is refused.

This module knows nothing of cubes or benchmarks: callers turn its answers into findings or `UserError`s.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from validator.errors import UserError

MAX_WALK_ENTRIES = 200_000  # entries a walk visits before it gives up (a cube or an output folder is far smaller)


class HostFileError(UserError):
    """A path a cube controls is a link, not a regular file, too large, or outside where it must be."""


def kind(mode: int) -> str:
    """A file type in words, for messages."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def escape(root: Path | str, path: Path | str) -> str | None:
    """Why `path` is not inside `root` once links are resolved (None when it is inside). The root's own links
    are resolved too, so a cube folder reached through a link still works."""
    root_real = Path(os.path.realpath(root))
    try:
        real = Path(os.path.realpath(path))
    except (OSError, RuntimeError) as e:  # a link loop
        return f"cannot be resolved ({e})"
    if real == root_real or root_real in real.parents:
        return None
    lexical = Path(os.path.normpath(os.path.join(root, path)))
    if lexical != Path(os.path.normpath(root)) and Path(os.path.normpath(root)) not in lexical.parents:
        return f"points outside {root} (to {lexical})"
    return f"resolves outside {root} through a link (to {real})"


def links_on_the_way(root: Path | str, path: Path | str, seen: dict | None = None) -> Path | None:
    """The first symbolic link among `path` and its parents below `root` (None when there is none). `path` is taken
    as written: a `..` after a link is not normalised away (the link is found first). `seen` (path text -> is a
    link) saves the lstat of folders already looked at, when one caller checks many paths."""
    return _walk_down(root, path, seen)[0]


def plainly_inside(root: Path | str, path: Path | str, seen: dict | None = None) -> bool:
    """Whether `path` is below `root` as written, exists, and no part of it below root is a link: then it is
    inside root once links are resolved too (escape() says None), without resolving them."""
    link, complete = _walk_down(root, path, seen)
    return link is None and complete


def _walk_down(root: Path | str, path: Path | str, seen: dict | None) -> tuple[Path | None, bool]:
    """(the first link on the way, whether every part of path below root was looked at: it is below root as
    written, never climbs out of it, and each part exists)."""
    root = os.path.abspath(root)
    raw = os.fspath(path) if os.path.isabs(path) else os.path.join(os.getcwd(), path)
    prefix = root.rstrip(os.sep) + os.sep
    if not raw.startswith(prefix):
        return None, False
    cur = root
    for part in raw[len(prefix):].split(os.sep):  # as Path(...).parts: empty and "." parts are no step
        if not part or part == ".":
            continue
        if part == "..":
            if cur == root:
                return None, False  # climbs out of root: a lexical check says so
            cur = os.path.dirname(cur)  # every component so far is a real folder (a link would have been returned)
            continue
        cur = prefix + part if cur == root else cur + os.sep + part
        is_link = seen.get(cur) if seen is not None else None
        if is_link is None:
            try:
                is_link = stat.S_ISLNK(os.lstat(cur).st_mode)
            except OSError:
                return None, False
            if seen is not None:
                seen[cur] = is_link
        if is_link:
            return Path(cur), True
    return None, cur != root


@dataclass(frozen=True)
class Entry:
    path: Path
    rel: str  # POSIX path relative to the walk's root
    mode: int  # from lstat: the entry itself, never what a link points to
    size: int
    uid: int
    gid: int

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)

    @property
    def is_file(self) -> bool:
        return stat.S_ISREG(self.mode)

    @property
    def is_link(self) -> bool:
        return stat.S_ISLNK(self.mode)

    @property
    def is_special(self) -> bool:
        return not (self.is_dir or self.is_file)


def walk(root: Path | str, limit: int = MAX_WALK_ENTRIES):
    """Every entry below root (not root itself), parents first, by lstat; links are listed, never entered.
    Iterative; raises HostFileError past `limit` entries. A folder's names are held while it is walked, not its
    scandir entries: each of those keeps its stat result once asked (43 MiB for a folder of 50,000 records)."""
    root = Path(root)
    stack = [(root, "")]
    seen = 0
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                names = sorted(e.name for e in it)
        except OSError:
            continue
        for name in names:
            seen += 1
            if seen > limit:
                raise HostFileError(f"{root}: more than {limit} entries", hint="Keep generated trees small.")
            path = os.path.join(folder, name)
            st = os.lstat(path)
            rel = f"{prefix}{name}"
            entry = Entry(Path(path), rel, st.st_mode, st.st_size, st.st_uid, st.st_gid)
            yield entry
            if entry.is_dir:
                stack.append((Path(path), rel + "/"))


def special_entries(root: Path | str) -> list[Entry]:
    """Links, FIFOs, sockets and devices below root: what no output folder or cube tree should hold."""
    return [e for e in walk(root) if e.is_special]


def open_regular(path: Path | str, *, follow_links: bool = False) -> int:
    """A read-only descriptor of a regular file, opened without blocking and (by default) without following a
    final link. Raises HostFileError for links, FIFOs, devices and folders."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_links:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise HostFileError(f"{path} is a symbolic link; medcube does not read through links",
                                hint="Replace the link with the file itself.") from None
        raise HostFileError(f"{path}: cannot open ({e.strerror})", hint="Check that the file exists.") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise HostFileError(f"{path} is {kind(st.st_mode)}, not a regular file",
                            hint="Write a plain file there.")
    os.set_blocking(fd, True)
    return fd


def read_bytes(path: Path | str, limit: int, *, follow_links: bool = False) -> bytes:
    """The bytes of a regular file, refusing one larger than `limit` (see open_regular for what else is refused)."""
    fd = open_regular(path, follow_links=follow_links)
    try:  # os.read, not a buffered file object: most files read here are a few hundred bytes
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise HostFileError(f"{path} is larger than medcube reads ({limit} bytes)",
                            hint="Keep this file small; large data belongs in the data folders.")
    return data


def read_text(path: Path | str, limit: int, *, follow_links: bool = False) -> str:
    """read_bytes as UTF-8 text, undecodable bytes replaced."""
    return read_bytes(path, limit, follow_links=follow_links).decode("utf-8", errors="replace")


def copytree(src: Path | str, dst: Path | str, limit: int = MAX_WALK_ENTRIES) -> list[Entry]:
    """Copy folders and regular files from src into dst (created), never following or copying a link or a special
    file: those are returned, for the caller to report. File contents are read without following links."""
    src, dst = Path(src), Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    skipped = []
    for e in walk(src, limit):
        target = dst / e.rel
        if e.is_dir:
            target.mkdir(exist_ok=True)
        elif e.is_file:
            fd = open_regular(e.path)
            with os.fdopen(fd, "rb") as fin, open(target, "xb") as fout:
                shutil.copyfileobj(fin, fout)
        else:
            skipped.append(e)
    return skipped


def chmod_tree(root: Path | str, dir_mode: int, file_mode: int, *, add: bool = True) -> None:
    """chmod root and every folder and regular file below it (modes OR-ed in when `add`); links and special files
    are left alone and never followed."""
    root = Path(root)
    items = [(root, os.lstat(root).st_mode)] + [(e.path, e.mode) for e in walk(root)]
    for path, mode in items:
        if stat.S_ISDIR(mode):
            new = (mode | dir_mode) if add else dir_mode
        elif stat.S_ISREG(mode):
            new = (mode | file_mode) if add else file_mode
        else:
            continue
        try:  # through a descriptor opened without following links: a swapped-in link is never chmod-ed through
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            continue
        try:
            if stat.S_IFMT(os.fstat(fd).st_mode) == stat.S_IFMT(mode):
                os.fchmod(fd, stat.S_IMODE(new))
        except OSError:
            pass
        finally:
            os.close(fd)


def chown_tree(root: Path | str, uid: int, gid: int) -> None:
    """lchown root and everything below it: a link itself changes owner, never what it points to."""
    root = Path(root)
    for path in [root] + [e.path for e in walk(root)]:
        try:
            os.chown(path, uid, gid, follow_symlinks=False)
        except OSError:
            pass


def rmtree(path: Path | str) -> None:
    """Remove a tree without following links (shutil.rmtree's own guarantee), making folders writable first."""
    path = Path(path)
    if not os.path.lexists(path):
        return
    if not stat.S_ISDIR(os.lstat(path).st_mode):
        os.unlink(path)
        return

    def onerror(func, p, exc):
        try:
            fd = os.open(os.path.dirname(p), os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY)
            try:
                os.fchmod(fd, 0o700)  # the folder itself, never through a link
            finally:
                os.close(fd)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=onerror)


def neutralize(root: Path | str) -> list[Entry]:
    """Remove every link, FIFO, socket and device below root (and root itself when it is one): the entries
    themselves, never what a link points to. Returns what was removed, for the caller to report. Run on a task's
    outputs as soon as it ends, so that nothing medcube does later (output checks, probes, cleanup) can be led
    through them."""
    root = Path(root)
    try:
        st = os.lstat(root)
    except FileNotFoundError:
        return []
    if not stat.S_ISDIR(st.st_mode):
        if stat.S_ISREG(st.st_mode):
            return []
        os.unlink(root)
        return [Entry(root, root.name, st.st_mode, st.st_size, st.st_uid, st.st_gid)]
    removed = []
    for e in walk(root):
        if e.is_special:
            try:
                os.unlink(e.path)
            except OSError:
                continue
            removed.append(e)
    return removed


@contextmanager
def locked(lock_file: Path) -> Iterator[None]:
    """An exclusive lock on lock_file (created with its folders), held while the block runs: one process at a time
    fills or checks a cache entry (demo data, downloaded files)."""
    import fcntl

    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
