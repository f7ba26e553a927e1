"""The release artefacts and the declared dependency ranges: one version source, no exact pins in the extras, an
sdist that carries what its wheel bundles. (The lowest declared versions are installed and run by
scripts/lowest.sh, and the sdist-built wheel by scripts/package-check.sh, both in .ci/run.)"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from validator import __version__

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _requirements() -> list[str]:
    """What a user installs: the dependencies and every extra but `dev` (medcube's own tooling, where an exact pin
    with its reason in pyproject.toml is the tool's business: fastjsonschema writes code naming its version)."""
    project = PYPROJECT["project"]
    extras = {k: v for k, v in project["optional-dependencies"].items() if k != "dev"}
    return list(project["dependencies"]) + [r for reqs in extras.values() for r in reqs]


def test_version_has_one_source():
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "validator.__version__"}
    assert __version__.count(".") == 2


def test_no_requirement_pins_an_exact_version():
    """An exact pin (torch==2.13.0 in [examples]) replaces a user's own install of that package."""
    pinned = [r for r in _requirements() if "==" in r.split(";")[0]]
    assert pinned == []


def test_typer_floor_is_one_that_works_with_current_click():
    """typer below 0.16 with click >= 8.3: every command only printed the version and exited 0 (a broken cube
    passed CI), and --help ended in a traceback; scripts/lowest.sh runs the quick suite at the floor."""
    typer = next(r for r in PYPROJECT["project"]["dependencies"] if r.startswith("typer"))
    floor = typer.split(">=")[1].split(",")[0]
    assert tuple(int(p) for p in floor.split(".")) >= (0, 16)


@pytest.mark.slow
def test_sdist_carries_the_templates_and_the_example(tmp_path):
    """`pip wheel medcube-X.tar.gz` failed: the sdist had no templates/ for setup.py to bundle."""
    # In build's own isolated environment (the setuptools pyproject.toml asks for), as PyPI's builders do.
    subprocess.run([sys.executable, "-m", "build", "--sdist", "-o", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (sdist,) = tmp_path.glob("medcube-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {"templates/model/cookiecutter.json", "templates/evaluator/cookiecutter.json",
            "templates/data_preparator/cookiecutter.json", "examples/chestxray/benchmark.yaml", "setup.py"} <= names
    assert not any("__pycache__" in n for n in names)
