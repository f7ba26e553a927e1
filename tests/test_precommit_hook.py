"""The pre-commit hook of `.pre-commit-hooks.yaml`, run by pre-commit itself (`pre-commit try-repo`): pre-commit
installs this repository into its own virtualenv with pip (dependencies from the package index) and runs the hook
on the changed files of a user's repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VALID = ROOT / "tests" / "fixtures" / "static" / "valid"

pytestmark = pytest.mark.slow


def run(*argv, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org", "NO_COLOR": "1"}
    return subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def pre_commit() -> list[str]:
    exe = shutil.which("pre-commit")
    if exe:
        return [exe]
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pytest.fail("pre-commit is not installed: pip install pre-commit (a test extra of medcube)", pytrace=False)
    return [sys.executable, "-m", "pre_commit"]


@pytest.fixture
def user_repo(tmp_path) -> Path:
    """A user's repository holding two cubes and a README."""
    repo = tmp_path / "repo"
    shutil.copytree(VALID / "medcube_model", repo / "cubes" / "model")
    shutil.copytree(VALID / "medcube_metrics", repo / "cubes" / "metrics")
    (repo / "README.md").write_text("my cubes\n")
    assert run("git", "init", "-q", cwd=repo).returncode == 0
    assert run("git", "add", "-A", cwd=repo).returncode == 0
    assert run("git", "commit", "-q", "-m", "cubes", cwd=repo).returncode == 0
    return repo


def try_repo(pre_commit, repo: Path, *files: str) -> subprocess.CompletedProcess:
    return run(*pre_commit, "try-repo", ROOT, "medcube-validate", "--verbose", "--files", *files, cwd=repo)


def test_hook_fails_on_a_broken_cube_with_the_finding_and_passes_when_fixed(pre_commit, user_repo):
    dockerfile = user_repo / "cubes" / "model" / "project" / "Dockerfile"
    text = dockerfile.read_text()
    dockerfile.write_text(text.replace("COPY requirements.txt", "COPY no-such-requirements.txt", 1))
    assert dockerfile.read_text() != text
    changed = ["cubes/model/project/Dockerfile", "cubes/model/project/mlcube.py", "README.md",
               "cubes/metrics/project/mlcube.py"]

    done = try_repo(pre_commit, user_repo, *changed)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "medcube validate --static" in out and "Failed" in out
    lines = [ln for ln in out.splitlines() if " MC405 " in ln]
    assert len(lines) == 1, out  # the model cube checked once, although two of its files changed
    assert lines[0].startswith("cubes/model/project/Dockerfile:") and ": error MC405 " in lines[0]
    assert "no-such-requirements.txt" in lines[0]
    assert "medcube: 2 cubes, 1 error" in out  # the metrics cube too; README.md is in no cube

    dockerfile.write_text(text)
    done = try_repo(pre_commit, user_repo, *changed)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout
