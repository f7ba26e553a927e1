"""The one way medcube shows a path to the user: as they would type it, relative to the working directory when
below it, else as given."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(p: Path | str) -> str:
    """A path as the user would type it: relative to the working directory when below it."""
    text = os.fspath(p)
    try:
        cwd = os.getcwd()
    except OSError:
        return str(Path(text))
    full = os.path.normpath(os.path.join(cwd, text))
    if full == cwd:
        return "."
    root = cwd if cwd.endswith(os.sep) else cwd + os.sep
    return full[len(root):] if full.startswith(root) else str(Path(text))
