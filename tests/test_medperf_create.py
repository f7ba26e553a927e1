"""MedPerf's own `container create` pointed at medcube's templates makes each role with the image asked for.

MedPerf 0.3.0 (`cli/medperf/commands/mlcube/create.py`, `CreateCube.run`) creates a cube with exactly this call,
`path` being its package's parent folder and `template_dir` a value of `config.templates`
(`{"data_preparator": "templates/data_preparator_container", "model": ..., "evaluator": ...}`):

    cookiecutter(
        path,
        directory=template_dir,
        output_dir=output_path,
        extra_context={"image_name": image_name, "project_slug": folder_name},
        no_input=True,
    )

Here `path` is the folder holding medcube's `templates/` and `config.templates` points at medcube's template
folders (`templates/data_preparator`, `templates/model`, `templates/evaluator`: MedPerf's role names), unchanged.
MedPerf itself is not installed (its CLI pins an older cookiecutter than medcube's); the call is its code verbatim.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cookiecutter.main import cookiecutter

from validator import resources

# MedPerf's config.templates, pointed at medcube's templates (relative to `path`, as MedPerf's are).
MEDCUBE_TEMPLATES = {
    "data_preparator": "templates/data_preparator",
    "model": "templates/model",
    "evaluator": "templates/evaluator",
}
MEDCUBE_ROLE = {"data_preparator": "data_preparator", "model": "model", "evaluator": "metrics"}
ROOT = Path(__file__).resolve().parents[1]


def medperf_create(template_name: str, image_name: str, folder_name: str, output_path: str) -> None:
    """`CreateCube.run` of MedPerf 0.3.0, with medcube's templates as `config.templates`."""
    path = str(resources.templates_dir().parent)  # MedPerf: abspath(Path(__file__).parent.parent.parent)
    template_dir = MEDCUBE_TEMPLATES[template_name]
    cookiecutter(
        path,
        directory=template_dir,
        output_dir=output_path,
        extra_context={"image_name": image_name, "project_slug": folder_name},
        no_input=True,
    )


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """`medperf container create ROLE -i myorg/<role>:0.1.0 -f my_<role>` for each role."""
    out = tmp_path_factory.mktemp("medperf_create")
    cubes = {}
    for role in MEDCUBE_TEMPLATES:
        image = f"myorg/my-{role.replace('_', '-')}:0.1.0"
        medperf_create(role, image, f"my_{role}", str(out))
        cubes[role] = (out / f"my_{role}", image)
    return cubes


def test_templates_take_medperfs_keys():
    for role, rel in MEDCUBE_TEMPLATES.items():
        keys = json.loads((resources.templates_dir().parent / rel / "cookiecutter.json").read_text())
        assert "image_name" in keys and "project_slug" in keys, role
        assert "docker_image_name" not in keys, role


@pytest.mark.parametrize("role", list(MEDCUBE_TEMPLATES))
def test_medperf_create_makes_the_folder_with_the_image_asked_for(made, role):
    cube, image = made[role]
    assert cube.is_dir(), f"MedPerf's call did not make {cube.name}"
    config = yaml.safe_load((cube / "container_config.yaml").read_text())
    mlcube = yaml.safe_load((cube / "mlcube/mlcube.yaml").read_text())
    assert config["image"] == image and mlcube["docker"]["image"] == image


@pytest.mark.parametrize("role", list(MEDCUBE_TEMPLATES))
def test_what_medperf_create_made_validates(made, role):
    """`medcube validate --static` on each cube MedPerf's call made: its role, no finding that fails it."""
    cube, _ = made[role]
    proc = subprocess.run([sys.executable, "-m", "validator", "validate", "--static", "--format", "json", str(cube)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["ok"] and [c["role"] for c in doc["cubes"]] == [MEDCUBE_ROLE[role]]


@pytest.mark.docker
@pytest.mark.slow
def test_what_medperf_create_made_builds_and_runs(made, base_image):
    """The model MedPerf's call made: `medcube validate` builds it and runs it in the chest X-ray chain, under the
    image asked for (the other roles run the same way in tests/test_readme_commands.py)."""
    cube, image = made["model"]
    proc = subprocess.run([sys.executable, "-m", "validator", "validate", "--format", "json", "--base-image",
                           base_image, str(cube)],
                          capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    doc = json.loads(proc.stdout)
    assert doc["ok"] and doc["cubes"][0]["run"]["builds"], doc
