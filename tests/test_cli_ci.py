"""`medcube validate` the way CI uses it: formats (gnu by default off a terminal, github, sarif, json with a version),
gating (--fail-on, --ignore, settings files), benchmark folders and files inside cubes, --version, -q/-v,
shell completion. Real processes where the terminal matters, CliRunner elsewhere."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from validator import __version__
from validator.cli import app

ROOT = Path(__file__).resolve().parents[1]
VALID = ROOT / "tests" / "fixtures" / "static" / "valid"
SARIF_SCHEMA = json.loads((ROOT / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text())
GNU_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+)(:(?P<col>\d+))?: (?P<sev>error|warning) (?P<code>MC\d{3}) ")


def medcube(*args, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "validator", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80", **(env or {})})


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def repo(tmp_path) -> Path:
    """A repository with a model cube whose Dockerfile runs as root (a warning) and copies a missing file (an
    error), under a folder with a long name, and a clean metrics cube."""
    (tmp_path / ".git").mkdir()
    model = tmp_path / ("a-rather-long-folder-name-for-a-ci-log-" * 2) / "model"
    shutil.copytree(VALID / "medcube_model", model)
    df = model / "project" / "Dockerfile"
    df.write_text(df.read_text().replace("COPY requirements.txt", "COPY missing.txt") + "USER root\n")
    shutil.copytree(VALID / "medcube_metrics", tmp_path / "metrics")
    return tmp_path


def model_of(repo: Path) -> Path:
    return next(repo.glob("a-rather-*/model")).relative_to(repo)


def test_off_a_terminal_the_default_is_one_unwrapped_line_per_finding(repo):
    done = medcube("validate", "--static", model_of(repo), "metrics", cwd=repo)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert [GNU_LINE.match(ln)["code"] for ln in lines] == ["MC405", "MC503"]
    dockerfile = str(model_of(repo) / "project" / "Dockerfile")
    assert all(ln.startswith(dockerfile + ":") for ln in lines) and len(lines[0]) > 80  # no wrapping at 80
    assert "medcube: 2 cubes, 1 error, 1 warning" in done.stderr


def test_github_annotations(repo):
    done = medcube("validate", "--static", "--format", "github", model_of(repo), cwd=repo)
    dockerfile = str(model_of(repo) / "project" / "Dockerfile")
    assert done.stdout.splitlines()[0].startswith(f"::error file={dockerfile},line=4,title=MC405::")
    assert done.stdout.splitlines()[1].startswith(f"::warning file={dockerfile},line=10,title=MC503::")


def test_sarif_on_stdout_and_in_a_file_beside_another_format(repo):
    done = medcube("validate", "--static", "--format", "sarif", model_of(repo), "metrics", cwd=repo)
    doc = json.loads(done.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    assert [r["ruleId"] for r in doc["runs"][0]["results"]] == ["MC405", "MC503"]
    assert doc["runs"][0]["tool"]["driver"]["version"] == __version__
    done = medcube("validate", "--static", "--format", "gnu", "--sarif-file", "out/medcube.sarif", model_of(repo), cwd=repo)
    assert GNU_LINE.match(done.stdout) and json.loads((repo / "out" / "medcube.sarif").read_text())["runs"][0]["results"]


def test_json_carries_the_version(repo):
    doc = json.loads(medcube("validate", "--static", "--format", "json", "metrics", cwd=repo).stdout)
    assert doc["version"] == __version__ and doc["ok"] is True


def test_fail_on_warning_and_ignore_on_the_command_line(repo, monkeypatch):
    monkeypatch.chdir(repo)
    model = model_of(repo)
    assert invoke("validate", "--static", "--ignore", "MC405", model).exit_code == 0  # only a warning left
    result = invoke("validate", "--static", "--ignore", "MC405", "--fail-on", "warning", model)
    assert result.exit_code == 1 and "MC503" in result.output
    result = invoke("validate", "--static", "--ignore", "MC405", "--ignore", "mc503", "--fail-on", "warning", model)
    assert result.exit_code == 0 and "MC405" not in result.output and "MC503" not in result.output
    doc = json.loads(invoke("validate", "--static", "--format", "json", "--fail-on", "warning", "--ignore", "MC405",
                            model).stdout)
    assert doc["ok"] is False and [f["code"] for f in doc["cubes"][0]["findings"]] == ["MC503"]


def test_settings_file_above_the_cube_and_no_config(repo, monkeypatch):
    monkeypatch.chdir(repo)
    (repo / "pyproject.toml").write_text('[tool.medcube]\nignore = ["MC405"]\nfail-on = "warning"\n')
    model = model_of(repo)
    result = invoke("validate", "--static", model)
    assert result.exit_code == 1 and "MC405" not in result.output and "MC503" in result.output
    assert invoke("validate", "--static", "--fail-on", "error", model).exit_code == 0
    assert "MC405" in invoke("validate", "--static", "--no-config", model).output
    (model / ".medcube.yaml").write_text("ignore: [MC999, MC5]\n")  # nearer than pyproject.toml, and wrong
    result = invoke("validate", "--static", model)
    assert result.exit_code == 2 and ".medcube.yaml" in result.output and "MC999 is no finding code" in result.output
    (model / ".medcube.yaml").write_text("ignore: [MC5]\n")
    result = invoke("validate", "--static", model)
    assert result.exit_code == 2 and "'MC5' is not a finding code" in result.output


@pytest.mark.parametrize("code, words", [("E501", "'E501' is not a finding code"), ("MC999", "MC999 is no finding code")])
def test_bad_ignore_code_is_a_usage_error(code, words):
    result = invoke("validate", "--static", "--ignore", code, VALID / "medcube_metrics")
    assert result.exit_code == 2 and words in result.output


def test_benchmark_folder_and_file_inside_a_cube(monkeypatch):
    monkeypatch.chdir(ROOT)
    doc = json.loads(invoke("validate", "--static", "--format", "json", "examples/chestxray").stdout)
    assert [c["role"] for c in doc["cubes"]] == ["data_preparator", "model", "metrics"] and doc["ok"]
    doc = json.loads(invoke("validate", "--static", "--format", "json", "examples/chestxray/model/project/mlcube.py",
                            "examples/chestxray/model").stdout)
    assert [c["path"] for c in doc["cubes"]] == ["examples/chestxray/model"]  # one cube, once


def test_changed_files_in_no_cube_are_skipped(repo, monkeypatch):
    monkeypatch.chdir(repo)
    (repo / "README.md").write_text("x\n")
    result = invoke("validate", "--static", "--changed", "README.md")
    assert result.exit_code == 0 and "no cube among the given files" in result.output
    assert invoke("validate", "--static", "README.md").exit_code == 1  # named on purpose: MC000


def test_quiet_prints_findings_only_and_verbose_excludes_it(repo, monkeypatch):
    monkeypatch.chdir(repo)
    done = medcube("validate", "--static", "-q", "metrics", cwd=repo)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""
    assert invoke("validate", "--static", "-q", "-v", "metrics").exit_code == 2


def test_version_and_completion():
    result = invoke("--version")
    assert result.exit_code == 0 and result.output == f"medcube {__version__}\n"
    # typer finds the shell among the process's ancestors: run it under bash, as a user types it, not under whatever
    # started pytest (a runner detached from any shell has none above it, and typer then says "Shell  not supported").
    # `; exit $?` keeps bash there: it would replace itself with a lone command.
    shown = subprocess.run(["bash", "-c", f"{shlex.quote(sys.executable)} -m validator --show-completion; exit $?"],
                           capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert shown.returncode == 0 and "complete" in shown.stdout and "COMP_WORDS" in shown.stdout, shown.stderr


# ---------------------------------------------------------------- test --format (local runner: no Docker needed)


@pytest.fixture
def broken_bench(tmp_path) -> Path:
    """The tiny engine benchmark, its data preparator told to prepare nothing."""
    bench = tmp_path / "bench"
    shutil.copytree(ROOT / "tests" / "fixtures" / "engine", bench)
    (bench / "prep" / "workspace" / "parameters.yaml").write_text("misbehave: {prepare: nothing}\n")
    return bench


def test_test_prints_the_runs_findings_as_lines_and_speaks_in_a_log(broken_bench, tmp_path):
    done = medcube("test", "bench", "--runner", "local", "--no-probes", "--format", "gnu", "--run-dir", "run1",
                   cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines and all(ln.startswith("bench/prep/container_config.yaml: error MC701 ") for ln in lines)
    # The run report and one line per task start and end go to stderr.
    assert "  start prepare (prep)" in done.stderr and " failed prepare (prep)" in done.stderr


def test_test_sarif_and_json(broken_bench, tmp_path):
    done = medcube("test", "bench", "--runner", "local", "--no-probes", "--format", "sarif", "--run-dir", "run2",
                   cwd=tmp_path)
    doc = json.loads(done.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} == {"MC701"}
    done = medcube("test", "bench", "--runner", "local", "--no-probes", "--format", "json", "-q", "--run-dir", "run3",
                   cwd=tmp_path)
    doc = json.loads(done.stdout)
    assert doc["version"] == __version__ and doc["ok"] is False and doc["tasks"][0]["status"] == "failed"
    assert "start prepare" not in done.stderr  # -q: no progress lines


def test_test_ignore_hides_findings_but_a_failed_task_still_fails(broken_bench, tmp_path):
    done = medcube("test", "bench", "--runner", "local", "--no-probes", "--format", "gnu", "--ignore", "MC701",
                   "--report", "r.json", "--run-dir", "run4", cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == ""  # prepare failed: ignoring its findings cannot pass it
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["tasks"][0]["status"] == "failed" and report["tasks"][0]["findings"] == []
    (tmp_path / "bench" / ".medcube.yaml").write_text("ignore: [MC701]\n")  # the benchmark's folder
    done = medcube("test", "bench", "--runner", "local", "--no-probes", "--format", "gnu", "--run-dir", "run5",
                   cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    done = medcube("test", "bench", "--runner", "local", "--no-probes", "--format", "gnu", "--no-config",
                   "--run-dir", "run6", cwd=tmp_path)
    assert " MC701 " in done.stdout


def test_validate_run_stage_findings_follow_the_gate(broken_bench, tmp_path):
    """The build-and-run stage (local runner): its findings are reported like the static ones, files relative to the
    working directory, and ignored codes are left out of the run report too."""
    done = medcube("validate", "bench/prep", "--benchmark", "bench", "--runner", "local", "--format", "gnu",
                   cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and all(ln.startswith("bench/prep/container_config.yaml: error MC701 ") for ln in lines)
    done = medcube("validate", "bench/prep", "--benchmark", "bench", "--runner", "local", "--format", "json",
                   "--ignore", "MC701", cwd=tmp_path)
    doc = json.loads(done.stdout)
    run = doc["cubes"][0]["run"]
    assert done.returncode == 1 and doc["ok"] is False and run["tasks"][0]["status"] == "failed"
    assert [f for t in run["tasks"] for f in t["findings"]] == []
