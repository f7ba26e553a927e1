"""What `validate` was given -> the cubes to check, each once.

- a cube folder or its config file (`container_config.yaml`, `mlcube.yaml`): that cube, as before;
- a benchmark folder (holding `benchmark.yaml` and no cube config) or a `benchmark.yaml`: the cubes it names;
- any other file or folder inside a cube (`project/mlcube.py`, `mlcube/workspace/parameters.yaml`): that cube,
  found by going up to the nearest folder holding `container_config.yaml` or `mlcube/mlcube.yaml` (not above the
  repository root, the folder holding `.git`);
- any other folder (`validate --static .` in a repository holding a benchmark's cubes): every cube below it, found
  by walking down (links not followed; hidden folders, virtual environments and cookiecutter templates passed over;
  a cube's own folders not entered).

With `changed=True` (the pre-commit hook passes the changed files) every path maps to its whole cube, and files in
no cube are skipped instead of reported. Nothing here reads a cube's content beyond the names of its files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

CONTAINER_CONFIG = "container_config.yaml"
MLCUBE_YAML = "mlcube.yaml"
BENCHMARK_NAMES = ("benchmark.yaml", "benchmark.yml")


@dataclass
class Targets:
    paths: list[Path] = field(default_factory=list)  # what to validate, in the order given, each cube once
    skipped: list[Path] = field(default_factory=list)  # changed files that belong to no cube


def is_config_name(name: str) -> bool:
    """A cube config file by its name: container_config.yaml, mlcube.yaml, or a variant of either
    (mlcube_medperf.yaml, mlcube_gpu.yaml): given by name, that file is validated, not its folder's mlcube.yaml."""
    stem, _, suffix = name.rpartition(".")
    return suffix in ("yaml", "yml") and (stem.startswith("mlcube") or stem.startswith("container_config"))


def is_cube_dir(folder: Path) -> bool:
    if (folder / CONTAINER_CONFIG).is_file() or (folder / "mlcube" / MLCUBE_YAML).is_file():
        return True
    return (folder / MLCUBE_YAML).is_file() and folder.name != "mlcube"


def cube_above(path: Path) -> Path | None:
    """The cube folder holding `path` (a file or folder), or None."""
    path = Path(path).absolute()
    start = path if path.is_dir() else path.parent
    for d in (start, *start.parents):
        if d.name == "mlcube" and (d / MLCUBE_YAML).is_file() and not (d / CONTAINER_CONFIG).is_file():
            return d.parent
        if is_cube_dir(d):
            return d
        if (d / ".git").exists():
            return None
    return None


def benchmark_file(path: Path) -> Path | None:
    """The benchmark profile `path` names (the file, or a folder holding one that is not itself a cube)."""
    if path.is_file() and path.name in BENCHMARK_NAMES:
        return path
    if path.is_dir() and not is_cube_dir(path):
        for name in BENCHMARK_NAMES:
            if (path / name).is_file():
                return path / name
    return None


def benchmark_cubes(profile: Path) -> list[Path]:
    """The cube folders a benchmark profile names (data preparator, model, metrics). Only those keys are read: a
    benchmark repository's CI validates its cubes whether or not the demo data is there (`test` checks the rest)."""
    from validator.errors import UserError
    from validator.manifest.roles import ROLES
    from validator.manifest.yamlread import YamlSyntaxError, read

    try:
        doc = read(profile)
    except YamlSyntaxError as e:
        raise UserError(e.described(), file=str(profile), line=e.line,
                        hint=e.hint or "fix the YAML syntax (indentation, colons, quotes) at that line") from None
    if not isinstance(doc.data, dict):
        raise UserError("a benchmark profile is a mapping with data_preparator, model and metrics", file=str(profile))
    cubes = []
    for role in ROLES:
        value = doc.data.get(role)
        if not isinstance(value, str) or not value.strip():
            raise UserError(f"the benchmark profile names no {role} cube folder", file=str(profile),
                            line=doc.line((role,)) if role in doc.data else None,
                            hint=f"{role}: the cube's folder, relative to this file")
        folder = profile.parent / value
        if not folder.is_dir():
            raise UserError(f"{role}: cube folder {value!r} not found (looked in {folder})", file=str(profile),
                            line=doc.line((role,)), hint="paths are relative to the folder of benchmark.yaml")
        cubes.append(folder)
    return cubes


def resolve(paths: Iterable[Path | str], changed: bool = False) -> Targets:
    out = Targets()
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.absolute()
        if key not in seen:
            seen.add(key)
            out.paths.append(p)

    for raw in paths:
        p = Path(raw)
        profile = benchmark_file(p) if p.exists() else None
        if profile is not None:
            for cube in benchmark_cubes(profile):
                add(_shown(cube))
            continue
        if not p.exists():
            if not changed:
                add(p)  # validate reports it
            continue  # a deleted file
        if not changed and (p.is_dir() and is_cube_dir(p) or p.is_file() and is_config_name(p.name)):
            add(p)
            continue
        above = cube_above(p)
        below = cubes_below(p) if above is None and not changed and p.is_dir() else []
        if above is not None:
            add(_shown(above))
        elif below:
            for cube in below:
                add(_shown(cube))
        elif changed:
            out.skipped.append(p)
        else:
            add(p)  # validate says what is missing
    return out


_PASSED_OVER = frozenset({"node_modules", "__pycache__", "site-packages", "venv", "env", "dist", "build"})
MAX_FOLDERS = 20_000  # a walk stops after this many folders (a repository of cubes has far fewer)


def cubes_below(folder: Path) -> list[Path]:
    """Every cube folder below `folder`, sorted; a cube's own folders are not entered, links are not followed."""
    found: list[Path] = []
    stack, visited = [Path(folder)], 0
    while stack and visited < MAX_FOLDERS:
        d = stack.pop()
        visited += 1
        if is_cube_dir(d):
            found.append(d)
            continue
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            if (e.is_dir(follow_symlinks=False) and not e.name.startswith(".") and e.name not in _PASSED_OVER
                    and "{{" not in e.name and not (Path(e.path) / "pyvenv.cfg").exists()):
                stack.append(Path(e.path))
    return sorted(found)


def _shown(path: Path) -> Path:
    """A path relative to the working directory when below it, as a user would type it."""
    try:
        return Path(path).absolute().relative_to(Path.cwd())
    except ValueError:
        return Path(path)
