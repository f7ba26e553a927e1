"""Find a cube's config file(s), read them, and build the one Cube model the rest of medcube uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from validator.errors import ConfigNotFound, UserError
from validator.manifest import container_config, mlcube_yaml
from validator.manifest.model import Cube
from validator.manifest.yamlread import Doc, YamlSyntaxError, read

CONTAINER_CONFIG = "container_config.yaml"
MLCUBE_YAML = "mlcube.yaml"


@dataclass
class Located:
    cube_dir: Path
    files: dict[str, Path]  # format -> config file ("container_config" first when present)


def is_cube_folder(path: Path) -> bool:
    """A folder holding a cube config (container_config.yaml or mlcube/mlcube.yaml), or a cube's mlcube/ folder."""
    return (path / "container_config.yaml").is_file() or (path / "mlcube" / "mlcube.yaml").is_file() or (
        path.name == "mlcube" and (path / "mlcube.yaml").is_file())


def locate(path: Path | str) -> Located:
    """A cube directory or a config file -> the cube directory and its config file(s)."""
    path = Path(path).absolute()
    if not path.exists():
        raise ConfigNotFound(f"{path}: no such file or directory", hint="Pass a cube directory or its config file.")
    if path.is_file():
        if path.name == MLCUBE_YAML or (path.suffix in (".yaml", ".yml") and path.parent.name == "mlcube"):
            cube_dir = path.parent.parent if path.parent.name == "mlcube" else path.parent
            return Located(cube_dir, {"mlcube": path})
        if path.suffix in (".yaml", ".yml"):
            return Located(path.parent, {"container_config": path})
        raise ConfigNotFound(
            f"{path}: not a cube config file",
            hint=f"Pass a cube directory, its {CONTAINER_CONFIG} or its mlcube/{MLCUBE_YAML}.",
        )
    cube_dir = path
    if path.name == "mlcube" and (path / MLCUBE_YAML).is_file() and not (path / CONTAINER_CONFIG).is_file():
        cube_dir = path.parent  # the user pointed at the mlcube/ folder of a cube
    files: dict[str, Path] = {}
    if (cube_dir / CONTAINER_CONFIG).is_file():
        files["container_config"] = cube_dir / CONTAINER_CONFIG
    for candidate in (cube_dir / "mlcube" / MLCUBE_YAML, cube_dir / MLCUBE_YAML):
        if candidate.is_file():
            files["mlcube"] = candidate
            break
    if not files:
        raise ConfigNotFound(
            f"{path}: no {CONTAINER_CONFIG} or mlcube/{MLCUBE_YAML} here",
            hint="A cube directory holds container_config.yaml (MedPerf) and/or mlcube/mlcube.yaml (MLCube); "
            "`medcube create model` makes one.",
        )
    return Located(cube_dir, files)


PARSERS = {"container_config": container_config.parse, "mlcube": mlcube_yaml.parse}


def assemble(located: Located, docs: dict[str, Doc]) -> Cube:
    """Parse each document and combine: container_config runs when present, mlcube.yaml adds build info."""
    cubes = {fmt: PARSERS[fmt](doc, located.cube_dir) for fmt, doc in docs.items()}
    primary = cubes.get("container_config") or cubes["mlcube"]
    secondary = cubes.get("mlcube") if primary.format == "container_config" else None
    if secondary is not None:
        primary.other = secondary
        primary.build = secondary.build or primary.build
        primary.name = secondary.name
        primary.description = secondary.description
        primary.gpu_count = max(primary.gpu_count, secondary.gpu_count)
        # The workspace rule (container_config.find_workspace): MedPerf's workspace/ wins when it has parameters.yaml.
        if secondary.parameters_file and secondary.parameters_file.exists() and not (
                primary.parameters_file and primary.parameters_file.exists()):
            primary.workspace = secondary.workspace
            primary.parameters_file = secondary.parameters_file
            primary.additional_files = secondary.additional_files
    return primary


def load_cube(path: Path | str) -> Cube:
    """Load a cube for running. Raises UserError on a missing or unreadable config (validate reports more)."""
    located = locate(path)
    docs = {}
    for fmt, file in located.files.items():
        try:
            docs[fmt] = read(file)
        except YamlSyntaxError as e:
            raise UserError(e.described(), file=str(file), line=e.line,
                            hint=e.hint or "Fix the YAML syntax (indentation, colons, quotes) at that line.") from None
        if not isinstance(docs[fmt].data, dict):
            raise UserError("expected a mapping at the top of the file", file=str(file), line=1)
    return assemble(located, docs)
