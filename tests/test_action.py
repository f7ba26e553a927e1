"""The composite GitHub Action (action.yml): its steps' shell scripts run here as the runner would run them (inputs
as environment variables, `medcube` on PATH), on a broken cube. GitHub itself (setup-python, the SARIF upload, the
artifact upload) cannot run here: those steps are only checked for their inputs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
STEPS = {s.get("name", s.get("uses")): s for s in ACTION["runs"]["steps"]}


def expression(text: str, inputs: dict) -> str:
    """`${{ inputs.x }}` as the runner substitutes it."""
    return re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: str(inputs[m.group(1)]), text)


def run_step(name: str, inputs: dict, cwd: Path, bin_dir: Path) -> subprocess.CompletedProcess:
    step = STEPS[name]
    assert step["shell"] == "bash"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT),
           "GITHUB_ACTION_PATH": str(ROOT)}
    env.update({k: expression(str(v), inputs) for k, v in step.get("env", {}).items()})
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", step["run"]], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def bin_dir(tmp_path) -> Path:
    """`medcube` on PATH: this checkout (what the install step would have installed)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "medcube"
    script.write_text(f"#!/bin/sh\nexec {sys.executable} -m validator \"$@\"\n")
    script.chmod(0o755)
    return folder


def defaults(**given) -> dict:
    return {**{k: v.get("default", "") for k, v in ACTION["inputs"].items()}, **given}


def test_every_input_used_is_declared():
    used = set(re.findall(r"inputs\.([\w-]+)", (ROOT / "action.yml").read_text()))
    assert used == set(ACTION["inputs"])
    assert ACTION["runs"]["using"] == "composite"


def test_validate_step_annotates_and_writes_sarif(tmp_path, bin_dir):
    work = tmp_path / "work"
    shutil.copytree(ROOT / "tests" / "fixtures" / "static" / "valid" / "medcube_model", work / "my cube")
    df = work / "my cube" / "project" / "Dockerfile"
    df.write_text(df.read_text().replace("COPY requirements.txt", "COPY missing.txt"))
    done = run_step("medcube validate", defaults(path="'my cube'", static="true"), work, bin_dir)
    assert done.returncode == 2  # the path input is split on spaces: quotes do not survive
    done = run_step("medcube validate", defaults(path="my*", static="true", args="--ignore MC501"), work, bin_dir)
    assert done.returncode == 2 and "my*: no such file" in done.stderr  # no globbing of inputs
    (work / "my cube").rename(work / "cube")
    done = run_step("medcube validate", defaults(path="cube", static="true", args="--fail-on error"), work, bin_dir)
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("::error file=cube/project/Dockerfile,line=4,title=MC405::")
    sarif = json.loads((work / "medcube.sarif").read_text())
    assert sarif["runs"][0]["results"][0]["ruleId"] == "MC405"


def test_test_step_rejects_an_unknown_role(tmp_path, bin_dir):
    done = run_step("medcube test", defaults(**{"test-role": "evaluator"}), tmp_path, bin_dir)
    assert done.returncode == 2 and "test-role must be data_preparator, model or metrics" in done.stdout


def test_install_step_installs_from_the_action_checkout_by_default():
    run = STEPS["Install medcube"]["run"]
    assert '"${SOURCE:-$GITHUB_ACTION_PATH}"' in run and "pip install" in run


def test_sarif_upload_is_skipped_on_pull_requests_from_forks():
    """A fork's pull request gets a read-only token: the upload fails there, so the step must not run (the
    annotations still carry the findings). Evaluated as GitHub would: && binds tighter than ||."""
    condition = STEPS["Upload SARIF"]["if"].strip()
    assert condition.startswith("${{") and condition.endswith("}}")
    text = " ".join(condition[3:-2].split())
    for name, value in (("!cancelled()", "True"), ("inputs.upload-sarif == 'true'", "True"),
                        ("hashFiles(inputs.sarif) != ''", "True"), ("&&", "and"), ("||", "or")):
        text = text.replace(name, value)

    def runs(event: str, head: str, repo: str = "org/bench") -> bool:
        expr = text.replace("github.event_name", repr(event)).replace(
            "github.event.pull_request.head.repo.full_name", repr(head)).replace("github.repository", repr(repo))
        return bool(eval(expr))  # only literals and the operators above are left

    assert runs("push", "")
    assert runs("pull_request", "org/bench")
    assert not runs("pull_request", "someone/bench")
    assert not runs("pull_request_target", "someone/bench")
