"""The `medcube` command line: validate --static, schema, convert — exit codes, JSON shape, no writes to inputs."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from static_cubes import CASES, VALID, build
from typer.testing import CliRunner

from validator import __version__
from validator.checks import run_static
from validator.cli import app

WITH_MLCUBE = sorted(p.name for p in VALID.iterdir() if (p / "mlcube" / "mlcube.yaml").is_file())
FINDING_KEYS = {"severity", "code", "file", "line", "message", "hint"}


def flat(text: str) -> str:
    """Output with the terminal's line wrapping undone."""
    return " ".join(text.split())


def invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def medcube(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real thing: `python -m validator ...` in a fresh process."""
    return subprocess.run([sys.executable, "-m", "validator", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "COLUMNS": "120"}, timeout=120)


@pytest.fixture
def cubes(tmp_path) -> Path:
    """A writable copy of the fixture corpus: valid/ and broken/."""
    dest = tmp_path / "cubes"
    shutil.copytree(VALID, dest / "valid")
    build(dest / "broken")
    return dest


def tree_hash(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


# ---------------------------------------------------------------- validate


def test_valid_cube_exits_0_with_a_pass_line():
    result = invoke("validate", "--static", "--format", "text", VALID / "tutorial_metrics")
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output and "0 error(s)" in result.output


def test_broken_cube_exits_1_and_names_code_file_and_line(broken_corpus):
    result = invoke("validate", "--static", "--format", "text", broken_corpus / "mc101_top_level_key_typo")
    assert result.exit_code == 1
    assert "FAIL" in result.output and "MC101" in result.output
    assert "container_config.yaml:2" in result.output and "'imgae'" in result.output and "'image'" in result.output


def test_warnings_alone_exit_0(broken_corpus):
    result = invoke("validate", "--static", broken_corpus / "mc503_user_root")
    assert result.exit_code == 0
    assert "MC503" in result.output


def check_json_shape(doc: dict) -> None:
    assert set(doc) == {"format_version", "version", "ok", "status", "cubes"} and isinstance(doc["ok"], bool)
    assert doc["status"] == "completed"
    assert doc["version"] == __version__ and doc["format_version"] == 1
    for cube in doc["cubes"]:
        assert set(cube) == {"path", "role", "target", "ok", "findings"}
        assert isinstance(cube["path"], str) and isinstance(cube["ok"], bool)
        assert cube["role"] in (None, "data_preparator", "model", "metrics")
        for f in cube["findings"]:
            assert FINDING_KEYS <= set(f), f  # more (column) is allowed
            assert f["severity"] in ("error", "warning", "info")
            assert isinstance(f["code"], str) and f["code"].startswith("MC")
            assert isinstance(f["file"], str) and isinstance(f["message"], str)
            assert f["line"] is None or (isinstance(f["line"], int) and f["line"] >= 1)
            assert f["hint"] is None or isinstance(f["hint"], str)
        assert cube["ok"] == (not any(f["severity"] == "error" for f in cube["findings"]))
    assert doc["ok"] == all(c["ok"] for c in doc["cubes"])


def test_json_format_several_paths(broken_corpus):
    paths = [VALID / "medcube_model", broken_corpus / "mc204_volume_label_typo", broken_corpus / "mc303_images_differ"]
    result = invoke("validate", "--static", "--format", "json", *paths)
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    check_json_shape(doc)
    assert doc["ok"] is False
    assert [c["ok"] for c in doc["cubes"]] == [True, False, True]
    assert [c["role"] for c in doc["cubes"]] == ["model", "metrics", "metrics"]
    assert [Path(c["path"]).name for c in doc["cubes"]] == [p.name for p in paths]
    (finding,) = doc["cubes"][1]["findings"]
    assert finding["code"] == "MC204" and finding["severity"] == "error"
    assert finding["file"].endswith("container_config.yaml") and finding["line"] == 9
    assert "did you mean 'labels'" in finding["message"] and finding["hint"]
    assert doc["cubes"][2]["findings"][0]["severity"] == "warning"


def test_json_every_broken_fixture(broken_corpus):
    """All the corpus at once: one cube per path, in order, each with the shape the issue gives."""
    cases = [broken_corpus / name for name in CASES]
    result = invoke("validate", "--static", "--format", "json", *cases)
    doc = json.loads(result.stdout)
    check_json_shape(doc)
    assert len(doc["cubes"]) == len(cases)
    assert result.exit_code == 1


@pytest.mark.parametrize("rel", ["container_config.yaml", "mlcube/mlcube.yaml"])
def test_a_config_file_path(rel):
    result = invoke("validate", "--static", "--format", "json", VALID / "medcube_data_preparator" / rel)
    assert result.exit_code == 0, result.output
    (cube,) = json.loads(result.stdout)["cubes"]
    assert cube["role"] == "data_preparator" and Path(cube["path"]).name == "medcube_data_preparator"


def test_the_mlcube_folder_of_a_cube():
    result = invoke("validate", "--static", "--format", "json", VALID / "seed_model_custom_cnn" / "mlcube")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["cubes"][0]["role"] == "model"


def test_a_folder_without_config_is_a_finding_not_a_crash(broken_corpus):
    result = invoke("validate", "--static", "--format", "json", broken_corpus / "mc000_no_config")
    assert result.exit_code == 1
    (cube,) = json.loads(result.stdout)["cubes"]
    assert cube["findings"][0]["code"] == "MC000"


def test_nonexistent_path_is_a_usage_error(tmp_path):
    missing = tmp_path / "nope"
    result = invoke("validate", "--static", missing)
    assert result.exit_code == 2
    assert "no such file or directory" in flat(result.output) and "Traceback" not in result.output
    proc = medcube("validate", "--static", missing)
    assert proc.returncode == 2
    assert "no such file or directory" in flat(proc.stderr) and "Traceback" not in proc.stderr + proc.stdout


def test_usage_errors_exit_2():
    assert invoke("validate", "--static").exit_code == 2  # no path
    assert invoke("validate", "--static", "--format", "xml", VALID / "tutorial_metrics").exit_code == 2
    assert invoke("frobnicate").exit_code == 2


def test_real_process_validate_json(broken_corpus):
    proc = medcube("validate", "--static", "--format", "json", VALID / "tutorial_data_preparator",
                   broken_corpus / "mc409_typer_single_command")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    check_json_shape(doc)
    assert [c["ok"] for c in doc["cubes"]] == [True, False]
    assert "MC409" in [f["code"] for f in doc["cubes"][1]["findings"] if f["severity"] == "error"]
    ok = medcube("validate", "--static", VALID / "tutorial_model_custom_cnn")
    assert ok.returncode == 0 and "MC303" in ok.stdout


def test_paths_in_findings_are_relative_to_the_working_directory(cubes):
    proc = medcube("validate", "--static", "--format", "json", "broken/mc405_copy_source_missing", cwd=cubes)
    (f,) = json.loads(proc.stdout)["cubes"][0]["findings"]
    assert f["file"] == "broken/mc405_copy_source_missing/Dockerfile" and f["line"] == 3


# ---------------------------------------------------------------- schema


@pytest.mark.parametrize("name", ["mlcube", "container_config", "parameters"])
def test_schema_prints_a_valid_json_schema(name, tmp_path):
    result = invoke("schema", name)
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert schema["$schema"].startswith("https://json-schema.org/")
    out = tmp_path / f"{name}.json"
    assert invoke("schema", name, "-o", out).exit_code == 0
    assert json.loads(out.read_text()) == schema


def test_schemas_accept_the_valid_fixtures():
    validators = {n: jsonschema.Draft202012Validator(json.loads(invoke("schema", n).stdout))
                  for n in ("mlcube", "container_config", "parameters")}
    checked = 0
    for cube in VALID.iterdir():
        for rel, name in (("container_config.yaml", "container_config"), ("mlcube/mlcube.yaml", "mlcube"),
                          ("workspace/parameters.yaml", "parameters"), ("mlcube/workspace/parameters.yaml", "parameters")):
            if (cube / rel).is_file():
                validators[name].validate(yaml.safe_load((cube / rel).read_text()))
                checked += 1
    assert checked >= 14
    with pytest.raises(jsonschema.ValidationError):
        validators["container_config"].validate({"container_type": "DockerImage", "image": "x", "tasks": {}, "imgae": 1})


def test_unknown_schema_exits_2():
    result = invoke("schema", "mlcube_yaml")
    assert result.exit_code == 2 and "unknown schema" in flat(result.output) and result.stdout == ""
    proc = medcube("schema", "nope")
    assert proc.returncode == 2 and "unknown schema 'nope'" in flat(proc.stderr) and "Traceback" not in proc.stderr


# ---------------------------------------------------------------- convert


def _labels(task: dict) -> set[str]:
    return set(task.get("input_volumes") or {}) | set(task.get("output_volumes") or {})


@pytest.mark.parametrize("name", WITH_MLCUBE)
def test_convert_output_validates_and_agrees_with_mlcube_yaml(name, tmp_path):
    cube = tmp_path / name
    shutil.copytree(VALID / name, cube)
    (cube / "container_config.yaml").unlink(missing_ok=True)
    result = invoke("convert", cube)
    assert result.exit_code == 0, result.output
    config = yaml.safe_load(result.stdout)
    mlcube = yaml.safe_load((cube / "mlcube" / "mlcube.yaml").read_text())

    assert config["container_type"] == "DockerImage" and config["image"] == mlcube["docker"]["image"]
    assert set(config["tasks"]) == set(mlcube["tasks"])
    for task, spec in mlcube["tasks"].items():
        params = spec["parameters"]
        labels = {label for group in ("inputs", "outputs") for label in params.get(group) or {}}
        extra = {label for label, v in params.get("inputs", {}).items()
                 if isinstance(v, str) and v.startswith("additional_files/")}
        got = config["tasks"][task]
        assert _labels(got) == (labels - extra) | ({"additional_files"} if extra else set())
        assert set(got.get("output_volumes") or {}) == set(params.get("outputs") or {})
        command = got["run_args"]["command"].split()
        assert command[0] == task
        assert {a.split("=")[0][2:] for a in command[1:]} == labels
        for vol in (got.get("input_volumes") or {}).values():
            assert vol["mount_path"].startswith("/mlcommons/volumes/")

    # the converted file is valid against the shipped schema ...
    (cube / "container_config.yaml").write_text(result.stdout)
    jsonschema.Draft202012Validator(json.loads(invoke("schema", "container_config").stdout)).validate(config)
    # ... and with the mlcube.yaml beside it the cube is clean and both files agree (no MC30x)
    report = run_static(cube)
    assert report.ok, [f"{f.code} {f.where()} {f.message}" for f in report.findings]
    assert not [f for f in report.findings if f.code.startswith("MC3")]
    assert report.findings == []


def test_convert_accepts_the_mlcube_yaml_itself():
    a = invoke("convert", VALID / "medcube_metrics")
    b = invoke("convert", VALID / "medcube_metrics" / "mlcube" / "mlcube.yaml")
    assert a.exit_code == b.exit_code == 0 and a.stdout == b.stdout


def test_convert_writes_output_and_force(cubes):
    cube = cubes / "valid" / "medcube_model"
    out = cubes / "converted.yaml"
    first = invoke("convert", cube, "-o", out)
    assert first.exit_code == 0 and out.is_file()
    assert yaml.safe_load(out.read_text())["tasks"]["infer"]

    out.write_text("# mine\n")
    again = invoke("convert", cube, "-o", out)
    assert again.exit_code == 2 and "already exists" in flat(again.output) and "--force" in again.output
    assert out.read_text() == "# mine\n"  # not overwritten

    forced = invoke("convert", cube, "--output", out, "--force")
    assert forced.exit_code == 0 and out.read_text() != "# mine\n"

    proc = medcube("convert", cube, "-o", out)
    assert proc.returncode == 2 and "already exists" in flat(proc.stderr) and "Traceback" not in proc.stderr


def test_convert_refuses_a_broken_or_missing_mlcube_yaml(broken_corpus):
    broken = invoke("convert", broken_corpus / "mc102_mlcube_missing_name")
    assert broken.exit_code == 2 and "has errors" in flat(broken.output) and broken.stdout == ""
    no_mlcube = invoke("convert", VALID / "tutorial_metrics")
    assert no_mlcube.exit_code == 2 and "no mlcube.yaml" in flat(no_mlcube.output)
    proc = medcube("convert", broken_corpus / "mc102_mlcube_missing_name")
    assert proc.returncode == 2 and "MC102" in proc.stderr and proc.stdout == ""


# ---------------------------------------------------------------- inputs stay untouched


@pytest.mark.slow
def test_no_command_modifies_the_users_files(cubes, tmp_path):
    before = tree_hash(cubes)
    every = sorted(p for group in ("valid", "broken") for p in (cubes / group).iterdir() if p.is_dir())
    invoke("validate", "--static", *every)
    invoke("validate", "--static", "--format", "json", *every)
    for p in every:
        if (p / "container_config.yaml").is_file():
            invoke("validate", "--static", p / "container_config.yaml")
        if (p / "mlcube" / "mlcube.yaml").is_file():
            invoke("convert", p)
            invoke("convert", p / "mlcube" / "mlcube.yaml")
    for name in ("mlcube", "container_config", "parameters"):
        invoke("schema", name)
    medcube("validate", "--static", "--format", "json", *every)
    assert tree_hash(cubes) == before
    leftovers = {str(p.relative_to(cubes)) for p in cubes.rglob("*") if p.is_file()} - set(before)
    assert not leftovers  # no cache or report files dropped next to the cubes


@pytest.mark.docker
def test_validate_json_includes_the_build_and_run_stage(base_image, tmp_path):
    """Without --static, the JSON report holds each cube's run (builds, tasks, results) and ok covers both stages;
    progress goes to stderr so stdout stays one JSON document."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "MEDCUBE_BASE_IMAGE": base_image, "MEDCUBE_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-m", "validator", "validate", "examples/chestxray/metrics",
                           "--format", "json"], cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(proc.stdout)
    (cube,) = doc["cubes"]
    assert doc["ok"] is True and cube["ok"] is True and cube["findings"] == []
    run = cube["run"]
    assert run["runner"] == "docker" and run["ok"] is True
    assert [t["task"] for t in run["tasks"]] == ["prepare", "sanity_check", "statistics", "infer", "evaluate"]
    assert all(t["status"] == "passed" for t in run["tasks"])
    assert isinstance(run["results"]["AUC"], float)
