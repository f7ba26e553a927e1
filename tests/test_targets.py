"""What `validate` is given -> the cubes it checks: cubes, benchmark folders and profiles, files inside a cube."""

from __future__ import annotations

import shutil
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
