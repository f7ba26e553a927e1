"""The one way medcube shows a path to the user: as they would type it, relative to the working directory when
below it, else as given."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


def display_path(p: Path | str) -> str:
    """A path as the user would type it: relative to the working directory when below it."""
    text = os.fspath(p)
    try:
        cwd = os.getcwd()
    except OSError:
        return str(Path(text))
    return _shown(text, cwd)


@lru_cache(maxsize=4096)
def _shown(text: str, cwd: str) -> str:
    """display_path's answer for a path text and a working directory (remembered: a check shows one cube's few
    files many times, and building a Path for each costs more than the check)."""
    full = os.path.normpath(os.path.join(cwd, text))
    if full == cwd:
        return "."
    root = cwd if cwd.endswith(os.sep) else cwd + os.sep
    return full[len(root):] if full.startswith(root) else str(Path(text))
