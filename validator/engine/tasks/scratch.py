"""Scratch folders of a run: removed whatever modes the tasks left in them."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from validator import hostfs


def remove_tree(path: Path) -> None:
    """Remove a folder whatever modes the tasks left in it (read-only folders and files). Links are never followed:
    permissions are changed through hostfs (descriptors opened without following links), and shutil.rmtree
    unlinks a link instead of entering it."""
    if not os.path.lexists(path):
        return
    if not Path(path).is_dir() or Path(path).is_symlink():
        os.unlink(path)
        return
    try:
        hostfs.chmod_tree(path, stat.S_IRWXU, 0)
    except hostfs.HostFileError:
        pass

    def onerror(func, p, exc):
        try:
            hostfs.chmod_tree(os.path.dirname(p), stat.S_IRWXU, 0)
            func(p)
        except (OSError, hostfs.HostFileError):
            pass

    shutil.rmtree(path, onerror=onerror)
