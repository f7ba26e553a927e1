"""Gating: --fail-on / --ignore and the same settings from `.medcube.yaml` or `[tool.medcube]` above a cube."""

from __future__ import annotations

from pathlib import Path

import pytest

from validator.errors import UserError
from validator.findings import error, warning
from validator.gating import Gate, find_settings, gate_for

ERR = error("MC405", "Dockerfile", "COPY source missing")
WARN = warning("MC501", "Dockerfile", "base image without a pinned tag")


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def test_default_gate_fails_on_errors_only():
    gate = Gate()
    assert gate.fails([ERR, WARN]) and not gate.fails([WARN]) and not gate.fails([])


def test_fail_on_warning_and_ignore():
    assert Gate("warning").fails([WARN])
    assert not Gate("warning", frozenset({"MC501"})).fails([WARN])
    assert not Gate("error", frozenset({"MC405"})).fails([ERR, WARN])
    assert Gate(ignore=frozenset({"MC405"})).kept([ERR, WARN]) == [WARN]


def test_yaml_settings_above_the_cube(tmp_path):
    tree(tmp_path, {".git/HEAD": "", ".medcube.yaml": "fail-on: warning\nignore: [MC503]\n", "cubes/model/x": ""})
    gate = gate_for(tmp_path / "cubes" / "model")
    assert gate == Gate("warning", frozenset({"MC503"}), str((tmp_path / ".medcube.yaml").absolute()))


def test_pyproject_tool_table_and_command_line(tmp_path):
    tree(tmp_path, {"pyproject.toml": '[tool.medcube]\nfail-on = "warning"\nignore = ["MC501"]\n', "cube/x": ""})
    gate = gate_for(tmp_path / "cube", fail_on="error", ignore=["mc503"])
    assert gate.fail_on == "error" and gate.ignore == {"MC501", "MC503"}
    assert gate_for(tmp_path / "cube", use_settings=False) == Gate()


def test_nearest_wins_and_pyproject_without_table_is_passed_over(tmp_path):
    tree(tmp_path, {".medcube.yaml": "ignore: [MC501]\n", "a/pyproject.toml": "[project]\nname='x'\n",
                    "a/b/.medcube.yaml": "fail-on: warning\n", "a/b/pyproject.toml": "[tool.medcube]\n", "a/c/x": ""})
    assert find_settings(tmp_path / "a" / "b") == (tmp_path / "a" / "b" / ".medcube.yaml").absolute()
    assert find_settings(tmp_path / "a" / "c" / "x") == (tmp_path / ".medcube.yaml").absolute()


def test_search_stops_at_the_repository_root(tmp_path):
    tree(tmp_path, {".medcube.yaml": "fail-on: warning\n", "repo/.git/HEAD": "", "repo/cube/x": ""})
    assert find_settings(tmp_path / "repo" / "cube") is None


def test_linked_settings_file_is_not_read(tmp_path):
    tree(tmp_path, {"elsewhere.yaml": "fail-on: warning\n", "cube/.git/HEAD": ""})
    (tmp_path / "cube" / ".medcube.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    assert find_settings(tmp_path / "cube") is None


@pytest.mark.parametrize(
    "name, text, expected",
    [
        (".medcube.yaml", "fail-on: warnings\n", "fail-on is 'warnings', expected one of: error, warning"),
        (".medcube.yaml", "ignore: [MC5]\n", "'MC5' is not a finding code"),
        (".medcube.yaml", "fail_on: error\n", "unknown setting 'fail_on'"),
        (".medcube.yaml", "ignore: [MC501\n", "not valid YAML"),
        (".medcube.yaml", "- fail-on\n", "expected a mapping of settings"),
        ("pyproject.toml", "[tool.medcube]\nignore = 501\n", "[tool.medcube]: ignore must be a list of codes"),
        ("pyproject.toml", "[tool.medcube\n", "not valid TOML"),
    ],
)
def test_bad_settings_name_the_file_and_the_key(tmp_path, name, text, expected):
    tree(tmp_path, {".git/HEAD": "", name: text})
    with pytest.raises(UserError) as e:
        gate_for(tmp_path)
    assert expected in str(e.value) and name in str(e.value)


def test_bad_command_line_values():
    with pytest.raises(UserError, match="--ignore: 'E501' is not a finding code"):
        gate_for(None, ignore=["E501"])
    with pytest.raises(UserError, match="fail-on is 'info'"):
        gate_for(None, fail_on="info")
