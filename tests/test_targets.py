"""What `validate` is given -> the cubes it checks: cubes, benchmark folders and profiles, files inside a cube."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from validator.errors import UserError
from validator.targets import resolve

ROOT = Path(__file__).resolve().parents[1]
VALID = ROOT / "tests" / "fixtures" / "static" / "valid"
CHESTXRAY = ROOT / "examples" / "chestxray"


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A repository with two cubes (one with only mlcube/mlcube.yaml) and a README outside them."""
    (tmp_path / ".git").mkdir()
    shutil.copytree(VALID / "medcube_model", tmp_path / "cubes" / "model")
    shutil.copytree(VALID / "medcube_metrics", tmp_path / "cubes" / "metrics")
    (tmp_path / "cubes" / "metrics" / "container_config.yaml").unlink()
    (tmp_path / "README.md").write_text("hi\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cubes_and_config_files_pass_through(repo):
    given = [Path("cubes/model"), Path("cubes/model/container_config.yaml"), Path("cubes/model")]
    assert resolve(given).paths == given[:2]


def test_files_inside_a_cube_map_to_it_once(repo):
    changed = ["cubes/model/project/mlcube.py", "cubes/model/container_config.yaml",
               "cubes/metrics/mlcube/workspace/parameters.yaml", "cubes/metrics/mlcube/mlcube.yaml", "README.md",
               "cubes/model/deleted.py"]
    (repo / "cubes/metrics/mlcube/workspace/parameters.yaml").write_text("x: 1\n")
    targets = resolve(changed, changed=True)
    assert targets.paths == [Path("cubes/model"), Path("cubes/metrics")]
    assert targets.skipped == [Path("README.md")]


def test_without_changed_a_file_in_no_cube_is_kept_for_validate_to_report(repo):
    assert resolve(["README.md", "cubes/model/project"]).paths == [Path("README.md"), Path("cubes/model")]


def test_benchmark_folder_and_profile_name_its_cubes():
    expected = [CHESTXRAY / role for role in ("data_preparator", "model", "metrics")]
    for given in (CHESTXRAY, CHESTXRAY / "benchmark.yaml"):
        assert [p.absolute() for p in resolve([given]).paths] == expected
    changed = resolve([CHESTXRAY / "benchmark.yaml", CHESTXRAY / "model" / "project" / "mlcube.py"], changed=True)
    assert [p.absolute() for p in changed.paths] == expected


@pytest.mark.parametrize("text, expected, line", [
    ("name: x\nmodel: nowhere\n", "names no data_preparator cube folder", None),
    ("data_preparator: prep\nmodel: nowhere\nmetrics: prep\n", "model: cube folder 'nowhere' not found", 2),
    ("data_preparator: [prep\n", "YAML syntax error", 2),
])
def test_broken_benchmark_profile_is_a_user_error(tmp_path, text, expected, line):
    (tmp_path / "prep").mkdir()
    (tmp_path / "benchmark.yaml").write_text(text)
    with pytest.raises(UserError, match=expected) as e:
        resolve([tmp_path])
    assert e.value.file == str(tmp_path / "benchmark.yaml") and e.value.line == line


def test_benchmark_without_its_demo_data_still_names_its_cubes(tmp_path):
    """A benchmark repository whose demo data is hosted elsewhere: validate checks its cubes all the same."""
    for role in ("prep", "model", "metrics"):
        (tmp_path / role).mkdir()
    (tmp_path / "benchmark.yaml").write_text("data_preparator: prep\nmodel: model\nmetrics: metrics\n"
                                             "demo_data: {path: not-here.tar.gz}\n")
    assert [p.name for p in resolve([tmp_path / "benchmark.yaml"]).paths] == ["prep", "model", "metrics"]


def test_a_folder_of_cubes_is_every_cube_below_it(tmp_path, monkeypatch):
    """`validate --static .` in a repository holding a benchmark's cubes: every cube, not MC000 for the folder."""
    repo = tmp_path / "repo"
    shutil.copytree(VALID / "medcube_model", repo / "cubes" / "model")
    shutil.copytree(VALID / "tutorial_metrics", repo / "metrics")
    shutil.copytree(VALID / "medcube_metrics", repo / ".hidden" / "metrics")  # passed over
    shutil.copytree(VALID / "medcube_metrics", repo / "tpl" / "{{cookiecutter.project_slug}}")  # a template
    (repo / "docs").mkdir()
    (repo / "link").symlink_to(VALID / "medcube_data_preparator")  # not followed
    monkeypatch.chdir(repo)
    assert resolve(["."]).paths == [Path("cubes/model"), Path("metrics")]
    assert resolve(["docs"]).paths == [Path("docs")]  # no cube below: reported as before (MC000)


def test_a_folder_of_cubes_on_the_command_line(tmp_path):
    shutil.copytree(VALID / "medcube_model", tmp_path / "a")
    shutil.copytree(VALID / "medcube_metrics", tmp_path / "b")
    (tmp_path / "b" / "container_config.yaml").write_text("not: [yaml\n")
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-m", "validator", "validate", "--static", "--format", "json", str(tmp_path)],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(root)})
    cubes = json.loads(out.stdout)["cubes"]
    assert out.returncode == 1 and [(Path(c["path"]).name, c["ok"]) for c in cubes] == [("a", True), ("b", False)]
