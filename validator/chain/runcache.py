"""The run folders medcube makes under its cache (`~/.cache/medcube/runs/<stamp>-<hex>/`), kept bounded.

Each `medcube test` / `validate` run without `--run-dir` prunes before it makes its own folder: folders older than
MEDCUBE_RUNS_MAX_AGE_DAYS (default 14) go, and beyond the newest MEDCUBE_RUNS_KEEP (default 50) the older ones go too,
but never one younger than a day (it may be another run's, still going). `medcube clean` removes them on demand.
Only folders named as medcube names them are touched (nothing else under runs/, nothing a `--run-dir` chose);
links are not followed; a folder that cannot be removed (files a container left unreadable) is left and counted."""

from __future__ import annotations

import os
import re
import shutil
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

_NAME = re.compile(r"^(\d{8}-\d{6})-[0-9a-f]{4}$")
DAY = 86400.0
DEFAULT_MAX_AGE_DAYS = 14.0
DEFAULT_KEEP = 50
MIN_AGE_S = DAY  # the automatic pruning never removes a folder younger than this


def runs_dir() -> Path:
    from validator.cachedir import cache_dir

    return cache_dir() / "runs"


@dataclass
class Pruned:
    removed: list[Path] = field(default_factory=list)
    failed: list[Path] = field(default_factory=list)
    kept: int = 0
    bytes_freed: int = 0


def run_folders(root: Path) -> list[tuple[float, Path]]:
    """(started, folder) of every run folder medcube named under root, oldest first."""
    out = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []
    for e in entries:
        m = _NAME.match(e.name)
        if not m or not e.is_dir(follow_symlinks=False):
            continue
        try:
            started = time.mktime(time.strptime(m.group(1), "%Y%m%d-%H%M%S"))
        except (ValueError, OverflowError):
            continue
        out.append((started, Path(e.path)))
    return sorted(out)


def _setting(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value >= 0 else default


def select(folders: list[tuple[float, Path]], now: float, max_age_s: float, keep: int | None,
           min_age_s: float) -> list[Path]:
    """The folders to remove: older than max_age_s, or beyond the newest `keep`; none younger than min_age_s."""
    doomed = []
    newest_first = sorted(folders, reverse=True)
    for i, (started, folder) in enumerate(newest_first):
        age = now - started
        if age < min_age_s:
            continue
        if age > max_age_s or (keep is not None and i >= keep):
            doomed.append(folder)
    return doomed


def prune(root: Path | None = None, *, max_age_s: float | None = None, keep: int | None = -1,
          min_age_s: float = MIN_AGE_S, dry_run: bool = False, now: float | None = None) -> Pruned:
    """Remove run folders under root (default: the cache's runs/). keep=-1: the setting; None: no count limit."""
    root = runs_dir() if root is None else Path(root)
    if max_age_s is None:
        max_age_s = _setting("MEDCUBE_RUNS_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS) * DAY
    if keep == -1:
        keep = int(_setting("MEDCUBE_RUNS_KEEP", DEFAULT_KEEP))
    folders = run_folders(root)
    doomed = select(folders, time.time() if now is None else now, max_age_s, keep, min_age_s)
    result = Pruned(kept=len(folders) - len(doomed))
    for folder in doomed:
        size = _size(folder)
        if not dry_run and not _remove(folder):
            result.failed.append(folder)
            continue
        result.removed.append(folder)
        result.bytes_freed += size
    return result


def auto_prune() -> None:
    """Before a run makes its folder in the cache: the settings' bounds; never raises."""
    try:
        prune()
    except Exception:  # noqa: BLE001 - housekeeping must never cost a run
        pass


def _size(folder: Path) -> int:
    total, stack, seen = 0, [folder], 0
    while stack and seen < 1_000_000:
        d = stack.pop()
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            seen += 1
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                stack.append(Path(e.path))
            else:
                total += st.st_size
    return total


def _remove(folder: Path) -> bool:
    def writable(func, path, _exc):  # a folder a container left read-only: make it writable and try once more
        try:
            os.chmod(os.path.dirname(path), 0o700)
            func(path)
        except OSError:
            pass

    try:
        shutil.rmtree(folder, onerror=writable)
    except (OSError, RecursionError):
        pass
    return not os.path.lexists(folder)
