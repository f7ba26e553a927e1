"""The local runner: same tasks as subprocesses of this Python, inputs protected, honest about what it is."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from validator.engine.limits import Limits
from validator.engine.tasks.hostpaths import read_dockerfile
from validator.engine.tasks.local import LocalRunner
from validator.engine.tasks.plan import plan_task
from validator.manifest.load import load_cube

FIXTURES = Path(__file__).parent / "fixtures" / "engine"


@pytest.fixture
def model(tmp_path):
    dest = tmp_path / "model"
    shutil.copytree(FIXTURES / "model", dest)
    data = tmp_path / "run" / "data"
    data.mkdir(parents=True)
    for i, values in enumerate(([0.1, 0.2], [0.9, 0.8]), 1):
        (data / f"case{i}.json").write_text(json.dumps(values))
    return load_cube(dest)


def infer(cube, tmp_path, **limits):
    plan = plan_task(cube, "infer", {"data_path": tmp_path / "run" / "data", "output_path": tmp_path / "run" / "pred"})
    return LocalRunner(Limits.from_options(**limits)).run(cube, plan, tmp_path / "run" / "logs" / "infer.log")


def test_runs_the_entrypoint_with_this_python(model, tmp_path):
    result = infer(model, tmp_path)
    assert result.status == "passed", result.log_tail
    assert result.runner == "local" and result.image_built is False and result.image is None
    assert result.command[0] == sys.executable
    assert result.command[1] == str(model.build.context / "mlcube.py")  # /mlcube_project -> the build context
    assert result.command[2] == "infer"
    preds = json.loads((tmp_path / "run" / "pred" / "predictions.json").read_text())
    assert set(preds) == {"case1", "case2"}
    assert result.peak_memory_bytes > 0 and "ru_maxrss" in result.peak_memory_source
    assert not list(model.build.context.rglob("__pycache__"))  # the cube's source is left as it was


def test_inputs_are_protected(model, tmp_path):
    model.parameters_file.write_text("behaviour: probe\n")
    before = sorted(p.name for p in (tmp_path / "run" / "data").iterdir())
    result = infer(model, tmp_path)
    assert result.status == "passed"
    facts = json.loads((tmp_path / "run" / "pred" / "probe.json").read_text())
    # the task got a copy: a write into its input (possible as root, refused otherwise) never reaches the original
    if os.getuid() != 0:
        assert facts["write_input"].startswith(("PermissionError", "OSError"))
    assert sorted(p.name for p in (tmp_path / "run" / "data").iterdir()) == before


def test_timeout_kills_the_process_group(model, tmp_path):
    model.parameters_file.write_text("behaviour: sleep\n")
    result = infer(model, tmp_path, timeout=1)
    assert result.status == "timeout" and [f.code for f in result.findings] == ["MC611"]
    assert result.seconds < 10


def test_missing_module_hint(tmp_path, model):
    script = model.build.context / "mlcube.py"
    script.write_text("import no_such_module_medcube\n" + script.read_text())
    result = infer(model, tmp_path)
    assert result.status == "failed"
    assert "ModuleNotFoundError" in result.message
    assert "install the cube's requirements" in result.findings[0].hint


def test_shell_form_entrypoint_is_refused_with_a_hint(model, tmp_path):
    dockerfile = model.build.dockerfile
    dockerfile.write_text(dockerfile.read_text().replace(
        'ENTRYPOINT ["python3", "/mlcube_project/mlcube.py"]', "ENTRYPOINT python3 /mlcube_project/mlcube.py"))
    result = infer(model, tmp_path)
    assert result.status == "error" and [f.code for f in result.findings] == ["MC616"]
    assert "exec form" in result.findings[0].hint


def test_container_config_paths_are_mapped(tmp_path):
    cube = load_cube(FIXTURES / "metrics")
    for d in ("predictions", "labels"):
        (tmp_path / d).mkdir()
    (tmp_path / "predictions" / "predictions.json").write_text(json.dumps({"a": [0.2, 0.8]}))
    (tmp_path / "labels" / "a.json").write_text("1")
    plan = plan_task(cube, "evaluate", {"predictions": tmp_path / "predictions", "labels": tmp_path / "labels",
                                        "output_path": tmp_path / "results" / "results.yaml"})
    result = LocalRunner().run(cube, plan, tmp_path / "evaluate.log")
    assert result.status == "passed", result.log_tail
    assert f"--output_path={tmp_path / 'results' / 'results.yaml'}" in result.command
    assert yaml.safe_load((tmp_path / "results" / "results.yaml").read_text())["Accuracy"] == 1.0


def test_read_dockerfile(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "Dockerfile").write_text(
        "ARG BASE_IMAGE=python:3.11-slim\nFROM ${BASE_IMAGE}\nWORKDIR /app\nCOPY src/ ./code\n"
        "COPY run.py /opt/\nENV MODE=fast \\\n    LEVEL=2\nENTRYPOINT [\"python3\", \"/opt/run.py\"]\nCMD [\"--help\"]\n")
    info = read_dockerfile(tmp_path / "Dockerfile", tmp_path)
    assert info.entrypoint == ["python3", "/opt/run.py"] and info.cmd == ["--help"]
    assert info.workdir == "/app" and info.env == {"MODE": "fast", "LEVEL": "2"}
    assert info.host_path("/app/code") == (tmp_path / "src").resolve()
    assert info.host_path("/app/code/x.py") == (tmp_path / "src").resolve() / "x.py"
    assert info.host_path("/opt/run.py") == (tmp_path / "run.py").resolve()


def test_read_dockerfile_copy_into_workdir(tmp_path):
    """`WORKDIR /app` + `COPY mlcube.py .` puts the file at /app/mlcube.py (the same reading as the checks)."""
    (tmp_path / "mlcube.py").write_text("")
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nWORKDIR /app\nCOPY mlcube.py .\n"
                                         "ENTRYPOINT [\"python3\", \"/app/mlcube.py\"]\n")
    info = read_dockerfile(tmp_path / "Dockerfile", tmp_path)
    assert info.host_path("/app/mlcube.py") == (tmp_path / "mlcube.py").resolve()
    assert info.host_path("/app") is None


def test_no_silent_fallback_to_the_local_runner(tmp_path, monkeypatch):
    """Without an engine nothing runs, unless the local runner is asked for; it then says it is not a sandbox."""
    from validator.engine.tasks.select import select_runner
    from validator.errors import EngineUnavailable

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    for name in (None, "docker"):
        with pytest.raises(EngineUnavailable, match="runs nothing without an engine") as e:
            select_runner(name, Limits())
        assert "--runner local" in e.value.hint and "setup-engine.sh" in e.value.hint
    runner, note = select_runner("local", Limits())
    assert runner.name == "local" and "not a sandbox" in note and "scrubbed environment" in note


def test_fixed_mount_paths_are_explained_when_the_task_fails(tmp_path):
    cube_dir = tmp_path / "metrics"
    shutil.copytree(FIXTURES / "metrics", cube_dir)
    cfg = cube_dir / "container_config.yaml"
    text = cfg.read_text()
    cfg.write_text(text.replace(text[text.index("    run_args:"):text.index("    input_volumes:")], ""))
    cube = load_cube(cube_dir)
    for d in ("predictions", "labels"):
        (tmp_path / d).mkdir()
    plan = plan_task(cube, "evaluate", {"predictions": tmp_path / "predictions", "labels": tmp_path / "labels",
                                        "output_path": tmp_path / "results" / "results.yaml"})
    result = LocalRunner().run(cube, plan, tmp_path / "evaluate.log")
    assert result.status == "failed"
    assert "/mlcommons/volumes/predictions" in result.findings[0].hint and "--runner docker" in result.findings[0].hint
