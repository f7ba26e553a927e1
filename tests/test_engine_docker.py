"""The docker runner and builder against the real engine: benchmark rules proven by containers that try to break
them, limits, GPU requests on a GPU-less engine, cleanup, and the build cache."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
import yaml

from validator.engine.images.build import HASH_LABEL, build_image
from validator.engine.limits import Limits
from validator.engine.tasks.docker import RUN_LABEL, DockerRunner
from validator.engine.tasks.plan import plan_task
from validator.manifest.load import load_cube
from validator.values import GpuRequest

pytestmark = pytest.mark.docker
FIXTURES = Path(__file__).parent / "fixtures" / "engine"


@pytest.fixture
def model(tmp_path, docker_client, base_image, engine):
    """A copy of the tiny model cube, its image built, and prepared records to infer on."""
    dest = tmp_path / "model"
    shutil.copytree(FIXTURES / "model", dest)
    cube = load_cube(dest)
    assert build_image(engine, cube, base_image=base_image).ok
    data = tmp_path / "run" / "data"
    data.mkdir(parents=True)
    for i, values in enumerate(([0.1, 0.2], [0.9, 0.8]), 1):
        (data / f"case{i}.json").write_text(json.dumps(values))
    return cube


def behave(cube, behaviour: str):
    cube.parameters_file.write_text(yaml.safe_dump({"behaviour": behaviour}))


def infer(engine, cube, tmp_path, run_id=None, **limits):
    run_id = run_id or f"test-{uuid.uuid4().hex[:8]}"
    runner = DockerRunner(engine, Limits.from_options(**{"timeout": 60, "memory": "1g", **limits}), run_id)
    plan = plan_task(cube, "infer", {"data_path": tmp_path / "run" / "data", "output_path": tmp_path / "run" / "pred"},
                     gpus=GpuRequest.parse(limits.get("gpus")))
    return runner.run(cube, plan, tmp_path / "run" / "logs" / "infer.log"), run_id


def leftovers(docker_client, run_id):
    return docker_client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})


def test_benchmark_rules_hold_against_a_cube_that_tries_to_break_them(model, docker_client, tmp_path, engine):
    behave(model, "probe")
    result, run_id = infer(engine, model, tmp_path)
    assert result.status == "passed", result.log_tail
    facts = json.loads((tmp_path / "run" / "pred" / "probe.json").read_text())
    assert facts["uid"] != 0 and facts["gid"] != 0  # never root, even though the tests run as root
    assert facts["write_input"].startswith("OSError") and "Read-only file system" in facts["write_input"]
    assert not (tmp_path / "run" / "data" / "intruder.txt").exists()
    assert facts["network"] != "connected" and "unreachable" in facts["network"].lower()
    assert facts["tmp_writable"] is True
    assert leftovers(docker_client, run_id) == []
    assert "--network" in result.command and "none" in result.command


def test_peak_memory_and_log_are_recorded(model, docker_client, tmp_path, engine):
    result, _ = infer(engine, model, tmp_path)
    assert result.status == "passed" and result.exit_code == 0
    assert result.peak_memory_bytes and result.peak_memory_bytes > 1_000_000
    assert result.peak_memory_source
    assert "wrote 2 predictions" in Path(result.log_path).read_text()
    assert "wrote 2 predictions" in result.log_tail


@pytest.mark.parametrize("behaviour", ["hold", "write_files"])
def test_peak_memory_is_what_the_task_holds_not_the_files_it_writes(model, tmp_path, engine, behaviour):
    """A task that holds 160 MiB peaks above that; one that writes 240 MiB of files and holds little peaks far below
    (its page cache is the kernel's to take back, as docker stats counts it), while the cgroup's high-water mark,
    kept beside it, counts those files."""
    behave(model, behaviour)
    result, _ = infer(engine, model, tmp_path)
    assert result.status == "passed", result.log_tail
    mib = 2**20
    assert result.peak_memory_bytes and result.peak_memory_with_cache_bytes
    assert result.peak_memory_with_cache_bytes >= result.peak_memory_bytes
    if behaviour == "hold":
        assert result.peak_memory_bytes > 160 * mib
    else:
        assert result.peak_memory_bytes < 100 * mib < 200 * mib < result.peak_memory_with_cache_bytes
    assert "page cache" in (result.peak_memory_source or "")


def test_out_of_memory_is_reported_as_such(model, docker_client, tmp_path, engine):
    behave(model, "oom")
    result, run_id = infer(engine, model, tmp_path, memory="128m")
    assert result.status == "oom", (result.status, result.exit_code, result.log_tail)
    assert [f.code for f in result.findings] == ["MC612"]
    assert "--memory limit of 128.0 MiB" in result.findings[0].message
    assert leftovers(docker_client, run_id) == []


def test_gpu_request_without_gpu_runtime(model, docker_client, tmp_path, engine):
    result, run_id = infer(engine, model, tmp_path, gpus="all")
    assert result.status == "error"
    assert [f.code for f in result.findings] == ["MC613"]
    assert "GPUs were requested (--gpus all) but this Docker engine has no GPU runtime" in result.message
    assert "nvidia-container-toolkit" in result.message
    assert leftovers(docker_client, run_id) == []


def test_container_is_removed_on_ctrl_c(model, docker_client, tmp_path, monkeypatch, engine):
    from validator.engine.client.api import Engine

    behave(model, "sleep")
    seen = {}

    def interrupted(self, container, timeout):
        seen["id"] = container
        raise KeyboardInterrupt

    monkeypatch.setattr(Engine, "wait", interrupted)
    run_id = f"test-{uuid.uuid4().hex[:8]}"
    with pytest.raises(KeyboardInterrupt):
        infer(engine, model, tmp_path, run_id=run_id)
    assert seen["id"]
    assert leftovers(docker_client, run_id) == []


def _cube_copy(tmp_path, name="prep"):
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest)
    cube = load_cube(dest)
    cube.image = f"medcube-test/cache-{uuid.uuid4().hex[:8]}:1"
    return dest, cube


def test_build_cache_follows_the_context(tmp_path, docker_client, base_image, engine):
    dest, cube = _cube_copy(tmp_path)
    try:
        first = build_image(engine, cube, base_image=base_image, log_dir=tmp_path / "logs")
        assert first.status == "built" and Path(first.log_path).is_file()
        labels = docker_client.images.get(cube.image).labels
        assert labels[HASH_LABEL] == first.context_hash
        assert build_image(engine, cube, base_image=base_image).status == "cached"
        # .dockerignore'd files (the workspace) do not count
        (dest / "workspace" / "parameters.yaml").write_text("misbehave: {prepare: nothing}\n")
        assert build_image(engine, cube, base_image=base_image).status == "cached"
        assert build_image(engine, cube, base_image=base_image, rebuild=True).status == "built"
        (dest / "mlcube.py").write_text((dest / "mlcube.py").read_text() + "\n# changed\n")
        second = build_image(engine, cube, base_image=base_image)
        assert second.status == "built" and second.context_hash != first.context_hash
    finally:
        docker_client.images.remove(cube.image, force=True)


@pytest.mark.parametrize("builder, says", [("cli", "exit code: 7"), ("sdk", "returned a non-zero code: 7")])
def test_build_failure_keeps_the_log(tmp_path, docker_client, base_image, monkeypatch, builder, says, engine):
    """With BuildKit (the docker CLI, the default here) and with the SDK's legacy builder (the fallback)."""
    monkeypatch.setenv("MEDCUBE_BUILDER", builder)
    dest, cube = _cube_copy(tmp_path)
    (dest / "Dockerfile").write_text((dest / "Dockerfile").read_text() + 'RUN echo "compiling" && exit 7\n')
    result = build_image(engine, cube, base_image=base_image, log_dir=tmp_path / "logs")
    assert result.status == "failed" and [f.code for f in result.findings] == ["MC601"]
    assert says in result.message
    assert result.builder.startswith("BuildKit" if builder == "cli" else "the docker SDK's legacy builder")
    assert "compiling" in result.log_tail and "compiling" in Path(result.log_path).read_text()


def test_pull_failure_names_base_image(tmp_path, docker_client, monkeypatch, engine):
    monkeypatch.delenv("MEDCUBE_BASE_IMAGE", raising=False)
    dest, cube = _cube_copy(tmp_path)
    (dest / "Dockerfile").write_text(
        (dest / "Dockerfile").read_text().replace("python:3.11-slim", "medcube-test/not-anywhere:404"))
    result = build_image(engine, cube)
    assert result.status == "failed" and [f.code for f in result.findings] == ["MC602"]
    assert "could not pull the base image medcube-test/not-anywhere:404" in result.message
    assert "--base-image" in result.findings[0].hint


def test_no_dockerfile_and_no_image(tmp_path, docker_client, engine):
    dest, cube = _cube_copy(tmp_path)
    (dest / "Dockerfile").unlink()
    cube = load_cube(dest)
    cube.image = "medcube-test/never-built:1"
    result = build_image(engine, cube)
    assert result.status == "failed" and [f.code for f in result.findings] == ["MC603"]


def test_validate_run_no_run_builds_only_that_cube(tmp_path, base_image, monkeypatch):
    from validator.chain.options import RunOptions
    from validator.commands.validate import validate_run

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(tmp_path / "cache"))
    bench = tmp_path / "bench"
    shutil.copytree(FIXTURES, bench)
    findings, report = validate_run(bench / "model", bench, RunOptions(no_run=True, base_image=base_image))
    assert findings == [] and report.ok and report.tasks == []
    assert [b.image for b in report.builds] == ["medcube-test/tiny-model:0.1"]
    # The run folder goes to the user cache, never into the working directory (it may be a build context).
    assert (tmp_path / "cache" / "runs").is_dir()
    assert not (tmp_path / ".medcube").exists()


def test_log_survives_a_broken_stream(model, docker_client, tmp_path, monkeypatch, engine):
    from validator.engine.tasks import watch

    def broken(self):  # as when the engine drops the attach connection
        self.broken = True

    monkeypatch.setattr(watch.LogPump, "_pump", broken)
    result, _ = infer(engine, model, tmp_path)
    assert result.status == "passed"
    assert "wrote 2 predictions" in result.log_tail and "wrote 2 predictions" in Path(result.log_path).read_text()


def test_the_next_container_is_created_while_the_current_one_runs_and_then_only_started(model, docker_client,
                                                                                        tmp_path, engine):
    run_id = f"test-{uuid.uuid4().hex[:8]}"
    runner = DockerRunner(engine, Limits.from_options(timeout=60, memory="1g"), run_id)
    data = tmp_path / "run" / "data"
    first = plan_task(model, "infer", {"data_path": data, "output_path": tmp_path / "run" / "pred1"})
    second = plan_task(model, "infer", {"data_path": data, "output_path": tmp_path / "run" / "pred2"})
    logs = tmp_path / "run" / "logs"
    runner.ahead(model, lambda: second, logs / "2.log")
    assert runner.run(model, first, logs / "1.log").status == "passed"
    waiting = leftovers(docker_client, run_id)  # the first one is gone; the second one is created, not started
    assert [c.status for c in waiting] == ["created"]
    assert any(m["Source"] == str(tmp_path / "run" / "pred2") for m in waiting[0].attrs["Mounts"])
    result = runner.run(model, second, logs / "2.log")
    assert result.status == "passed", result.log_tail
    assert "wrote 2 predictions" in (logs / "2.log").read_text()  # its log was attached before it started
    assert [p.name for p in (tmp_path / "run" / "pred2").iterdir()] == ["predictions.json"]
    assert leftovers(docker_client, run_id) == []
    runner.cleanup()


def test_a_container_created_ahead_for_a_task_that_never_runs_is_removed_by_cleanup(model, docker_client, tmp_path, engine):
    run_id = f"test-{uuid.uuid4().hex[:8]}"
    runner = DockerRunner(engine, Limits.from_options(timeout=60, memory="1g"), run_id)
    data = tmp_path / "run" / "data"
    first = plan_task(model, "infer", {"data_path": data, "output_path": tmp_path / "run" / "pred1"})
    second = plan_task(model, "infer", {"data_path": data, "output_path": tmp_path / "run" / "pred2"})
    other = plan_task(model, "infer", {"data_path": data, "output_path": tmp_path / "run" / "pred3"})
    logs = tmp_path / "run" / "logs"
    runner.ahead(model, lambda: second, logs / "2.log")
    assert runner.run(model, first, logs / "1.log").status == "passed"
    # another task in between (as a probe runs one) starts a container of its own; the ready one keeps waiting
    assert runner.run(model, other, logs / "3.log").status == "passed"
    assert [c.labels["org.medcube.task"] for c in leftovers(docker_client, run_id)] == ["infer"]
    assert not list((tmp_path / "run" / "pred2").iterdir())
    runner.cleanup()
    assert leftovers(docker_client, run_id) == []
    assert not (logs / "2.log").exists()  # the log of a task that never ran is not left behind


def test_an_engine_that_stops_answering_during_a_task_is_a_finding_not_a_traceback(model, engine, tmp_path,
                                                                                   monkeypatch):
    """The engine is reached through a forwarder that is cut while the task sleeps: the wait's connection is reset,
    the removal cannot connect. The task ends as an error with MC623, and nothing raises out of run()."""
    import threading

    from engine_forwarder import Forwarder

    from validator.codes import ENGINE_LOST
    from validator.engine.client.connect import connect

    behave(model, "sleep")
    run_id = f"test-{uuid.uuid4().hex[:8]}"
    forwarder = Forwarder()
    monkeypatch.setenv("DOCKER_HOST", forwarder.host)
    runner = DockerRunner(connect(timeout=30), Limits.from_options(timeout=60, memory="1g"), run_id)
    runner.engine_back_s = 1.0  # the forwarder never answers again: no need to wait the default for it
    plan = plan_task(model, "infer", {"data_path": tmp_path / "run" / "data", "output_path": tmp_path / "run" / "pred"})
    cut = threading.Timer(3.0, forwarder.cut)
    cut.start()
    try:
        result = runner.run(model, plan, tmp_path / "run" / "logs" / "infer.log")
    finally:
        cut.cancel()
        forwarder.cut()
        monkeypatch.delenv("DOCKER_HOST")
        DockerRunner(engine, run_id=run_id).cleanup()  # the engine itself never went away
    assert result.status == "error" and "stopped answering" in result.message
    assert "did not answer again" in result.message  # the forwarder stays cut: it went away
    assert [f.code for f in result.findings] == [ENGINE_LOST]
    assert engine.containers(f"{RUN_LABEL}={run_id}") == []
