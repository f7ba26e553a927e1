"""Where medcube keeps what it may reuse between runs (demo data, run folders, downloads, remembered answers of
hadolint and of the entrypoint --help probe): MEDCUBE_CACHE_DIR, else $XDG_CACHE_HOME/medcube, else
~/.cache/medcube."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    env = os.environ.get("MEDCUBE_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "medcube"
