"""What a file or folder holds, to tell whether a task changed it: names, types, permissions, sizes, sha256s.

Links are recorded by their target and never followed. Modification times are left out: a task that rewrites a
file with the same bytes has not changed it.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

Snapshot = dict[str, tuple]  # relative path ("." for the root) -> (kind, details...)


def _entry(path: str) -> tuple:
    try:
        st = os.lstat(path)
    except OSError:
        return ("missing",)
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        return ("link", os.readlink(path))
    if stat.S_ISDIR(st.st_mode):
        return ("dir", mode)
    if stat.S_ISREG(st.st_mode):
        h = hashlib.sha256()
        try:
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
        except OSError as e:  # unreadable: the permission bits and size still tell a change
            return ("file", mode, st.st_size, f"unreadable: {e.strerror}")
        return ("file", mode, st.st_size, h.hexdigest())
    return ("other", stat.S_IFMT(st.st_mode), mode)


def snapshot(path: Path | str) -> Snapshot:
    root = str(path)
    out: Snapshot = {".": _entry(root)}
    if out["."][0] != "dir":
        return out
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(dirs + files):
            full = os.path.join(dirpath, name)
            out[os.path.relpath(full, root)] = _entry(full)
    return out


def differences(before: Snapshot, after: Snapshot) -> list[str]:
    """What changed, one phrase per path: 'modified images/a.png', 'deleted x', 'added y', 'permissions of z'."""
    out = []
    for rel in sorted(set(before) | set(after)):
        a, b = before.get(rel), after.get(rel)
        if a == b:
            continue
        name = "the input itself" if rel == "." else rel
        if b is None or b == ("missing",):
            out.append(f"deleted {name}")
        elif a is None or a == ("missing",):
            out.append(f"added {name}")
        elif a[0] != b[0]:
            out.append(f"replaced {name} ({a[0]} -> {b[0]})")
        elif a[0] in ("file", "dir") and a[1:2] != b[1:2] and a[2:] == b[2:]:
            out.append(f"changed the permissions of {name} ({a[1]:o} -> {b[1]:o})")
        else:
            out.append(f"modified {name}")
    return out
