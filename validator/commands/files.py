"""The commands that make or check files: `convert`, `schema`, `package`, `package-demo`, `verify-package`. Each
returns what it made or found (nothing is printed here); validator.cli prints it and picks the exit code."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from validator.errors import UserError

if TYPE_CHECKING:  # imported where they are made: a command loads only what it needs
    from validator.checks import CubeReport
    from validator.package import Package, Verification


class ConvertRefused(UserError):
    """The mlcube.yaml to convert has errors; ``report``: its static report (the CLI prints it first)."""

    def __init__(self, report: CubeReport, shown: str):
        super().__init__(f"{shown} has errors; fix them before converting.", hint="The table above lists them.")
        self.report = report


@dataclass(frozen=True)
class Converted:
    """`convert`: the mlcube.yaml read and its container_config.yaml, as text."""

    source: Path
    text: str
    left: list = field(default_factory=list)  # findings that hold for MedPerf 0.3 once converted: still to fix


def convert_command(path: Path) -> Converted:
    """The container_config.yaml of the cube's mlcube.yaml (``path``: that file or the cube folder). The file is read
    and checked once (its static report's cube is the one converted); any error refuses it (ConvertRefused), not
    only the errors that stop a run: the file converted is submitted as it is. It is judged for the MLCube client
    (`--target mlcube`): the findings that hold for MedPerf 0.3 only are what converting is for; they come back in
    ``left``."""
    from validator.checks import display_path, run_static
    from validator.manifest.convert import dump, to_container_config
    from validator.manifest.load import locate

    located = locate(path)
    if "mlcube" not in located.files:
        raise UserError(f"{path}: no mlcube.yaml to convert", hint="Pass an mlcube.yaml or a cube directory holding mlcube/mlcube.yaml.")
    src = located.files["mlcube"]
    # Judged as the MLCube client runs it: what holds for MedPerf 0.3 only is what converting is for, not a refusal;
    # those findings come back with the result (`left`), for the CLI to name.
    static = run_static(src, target="mlcube")
    if not static.ok or static.cube is None:
        raise ConvertRefused(static, display_path(src))
    left = [f for f in static.findings if "--target medperf" in f.message]
    return Converted(src, dump(to_container_config(static.cube)), left)


def schema_command(name: str) -> str:
    """The JSON Schema named ``name`` (one of validator.manifest.schemas.PRINTABLE), as text."""
    from validator.manifest import schemas

    if name not in schemas.PRINTABLE:
        raise UserError(f"unknown schema '{name}'", hint=f"Choose one of: {', '.join(schemas.PRINTABLE)}.")
    return schemas.text(name)


@dataclass(frozen=True)
class Packaged:
    """`package`: the deploy folder made and, for a model that passed a registered benchmark, the association
    lines to add after its submit command."""

    package: Package
    association: list[str] = field(default_factory=list)


def package_command(cube: Path, output: Path | None) -> Packaged:
    from validator.package import package
    from validator.registry.submission import association_lines

    pkg = package(cube, output)
    return Packaged(pkg, association_lines(cube, pkg.manifest.get("role")))


@dataclass(frozen=True)
class DemoPackage:
    """`package-demo`: the tarball written and its sha256."""

    tarball: Path
    sha256: str


def package_demo_command(data_dir: Path, labels_dir: Path, output: Path | None) -> DemoPackage:
    from validator.package import package_demo

    return DemoPackage(*package_demo(data_dir, labels_dir, output))


def verify_package_command(folder: Path) -> Verification:
    """The deploy folder re-checked: the files checked and the problems found (``ok`` when none)."""
    from validator.package import verify_package

    return verify_package(folder)
