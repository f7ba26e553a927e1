"""RunPlan: how a task of each config format becomes mounts and argv (no Docker needed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from validator.engine.images.tag import image_name
from validator.engine.limits import Limits, parse_size
from validator.engine.tasks.plan import PlanError, plan_task
from validator.errors import UserError
from validator.manifest.load import load_cube
from validator.values import GpuRequest, RunUser

FIXTURES = Path(__file__).parent / "fixtures" / "engine"


@pytest.fixture
def run(tmp_path):
    for name in ("data", "labels", "predictions", "metadata"):
        (tmp_path / name).mkdir()
    return tmp_path


def test_container_config_mounts_at_mount_paths_and_passes_command_to_entrypoint(run):
    cube = load_cube(FIXTURES / "prep")
    plan = plan_task(cube, "statistics", {
        "data_path": run / "data", "labels_path": run / "labels", "output_path": run / "stats" / "statistics.yaml"})
    mounts = {m.container: m for m in plan.mounts}
    assert mounts["/mlcommons/volumes/data"].host == run / "data"
    assert mounts["/mlcommons/volumes/data"].mode == "ro"
    params = mounts["/mlcommons/volumes/parameters/parameters_file.yaml"]
    assert params.host == cube.parameters_file and params.type == "file" and params.mode == "ro"
    out = mounts["/mlcommons/volumes/statistics/statistics.yaml"]
    assert out.mode == "rw" and out.type == "file" and out.host == run / "stats" / "statistics.yaml"
    assert plan.entrypoint is None  # the image ENTRYPOINT runs, with the command as its arguments
    assert plan.args[0] == "statistics" and "--output_path=/mlcommons/volumes/statistics/statistics.yaml" in plan.args
    assert plan.outputs == {"output_path": run / "stats" / "statistics.yaml"}
    assert plan.image == "medcube-test/tiny-prep:0.1"


def test_mlcube_format_uses_mlcube_io_mounts_and_task_name(run):
    cube = load_cube(FIXTURES / "model")
    assert cube.format == "mlcube"
    plan = plan_task(cube, "infer", {"data_path": run / "data", "output_path": run / "predictions"})
    assert plan.args[0] == "infer"
    args = dict(a[2:].split("=", 1) for a in plan.args[1:])
    mounts = {m.container: m for m in plan.mounts}
    assert args["data_path"] == "/mlcube_io0" and mounts["/mlcube_io0"].host == run / "data"
    # a file parameter mounts its folder; the argument names the file inside it
    assert args["parameters_file"] == "/mlcube_io1/parameters.yaml"
    assert mounts["/mlcube_io1"].host == cube.workspace and mounts["/mlcube_io1"].mode == "ro"
    # an input nobody binds resolves from its default under the workspace (additional_files/...)
    assert args["weights"] == "/mlcube_io2/weights.json"
    assert mounts["/mlcube_io2"].host == cube.additional_files
    assert args["output_path"] == "/mlcube_io3" and mounts["/mlcube_io3"].mode == "rw"
    assert [m.container for m in plan.mounts] == [f"/mlcube_io{i}" for i in range(4)]


def test_docker_command_line_is_equivalent(run):
    from validator.engine.tasks.docker import DockerRunner

    cube = load_cube(FIXTURES / "model")
    plan = plan_task(cube, "infer", {"data_path": run / "data", "output_path": run / "predictions"})
    cmd = DockerRunner(engine=None, limits=Limits(user=RunUser(1000, 1000), cpus=1.5)).command(plan)
    text = " ".join(cmd)
    assert cmd[:3] == ["docker", "run", "--rm"]
    assert "--network none" in text and "--user 1000:1000" in text and "--cpus 1.5" in text
    assert f"--volume {run / 'data'}:/mlcube_io0:ro" in text
    assert cmd[-6:-4] == ["medcube-test/tiny-model:0.1", "infer"]


def test_missing_input_is_a_plan_error(run):
    cube = load_cube(FIXTURES / "model")
    with pytest.raises(PlanError, match="does not exist"):
        plan_task(cube, "infer", {"data_path": run / "nothing-here", "output_path": run / "predictions"})


def test_unbound_volume_is_a_plan_error(run):
    cube = load_cube(FIXTURES / "prep")
    with pytest.raises(PlanError, match="'labels_path' gets no host path"):
        plan_task(cube, "sanity_check", {"data_path": run / "data"})


def test_missing_parameters_file_says_so(tmp_path, run):
    cube_dir = tmp_path / "prep"
    shutil.copytree(FIXTURES / "prep", cube_dir)
    (cube_dir / "workspace" / "parameters.yaml").unlink()
    cube = load_cube(cube_dir)
    with pytest.raises(PlanError, match="parameters file 'parameters_file' does not exist"):
        plan_task(cube, "sanity_check", {"data_path": run / "data", "labels_path": run / "labels"})


def test_undeclared_task(run):
    with pytest.raises(PlanError, match="declares no task 'infer'"):
        plan_task(load_cube(FIXTURES / "prep"), "infer", {})


def test_entrypoint_override_and_gpus(tmp_path, run):
    cube_dir = tmp_path / "metrics"
    shutil.copytree(FIXTURES / "metrics", cube_dir)
    cfg = cube_dir / "container_config.yaml"
    cfg.write_text(cfg.read_text().replace(
        "    run_args:\n", "    run_args:\n      entrypoint: python3 -u /mlcube_project/mlcube.py\n      gpus: 1\n"
        "      environment: {A: b}\n      shm_size: 1g\n"))
    cube = load_cube(cube_dir)
    (run / "predictions").mkdir(exist_ok=True)
    plan = plan_task(cube, "evaluate", {"predictions": run / "predictions", "labels": run / "labels",
                                        "output_path": run / "results" / "results.yaml"})
    # MedPerf passes run_args.entrypoint as one --entrypoint word: never split (the static gate refuses it, MC415)
    assert plan.entrypoint == ["python3 -u /mlcube_project/mlcube.py"]
    assert plan.gpus == GpuRequest(count=1) and plan.environment == {"A": "b"} and plan.shm_size == "1g"
    assert plan.image_argv()[:3] == ["--entrypoint", "python3 -u /mlcube_project/mlcube.py",
                                     "medcube-test/tiny-metrics:0.1"]
    assert plan.image_argv()[3:4] == ["evaluate"]
    # the user's --gpus wins over run_args.gpus
    plan = plan_task(cube, "evaluate", {"predictions": run / "predictions", "labels": run / "labels",
                                        "output_path": run / "results" / "results.yaml"}, gpus=GpuRequest.parse("device=0,1"))
    assert str(plan.gpus) == "device=0,1"


def test_image_name_without_image_key(tmp_path):
    cube = load_cube(FIXTURES / "prep")
    cube.image = None
    assert image_name(cube) == "medcube/prep:dev"


@pytest.mark.parametrize("spec,expected", [
    (None, None), ("", None), ("0", None), (0, None), ("none", None), ("all", "all"), ("ALL", "all"), ("2", "2"),
    (1, "1"), ("device=0,1", "device=0,1"), ("device=0, 1", "device=0,1"), ('device="2"', "device=2"),
    ('"device=0,1"', "device=0,1"), ("device=GPU-0b1f-77", "device=GPU-0b1f-77"),
])
def test_one_grammar_for_gpus(spec, expected):
    request = GpuRequest.parse(spec)
    assert (str(request) if request is not None else None) == expected


@pytest.mark.parametrize("spec", ["lots", True, -1, 1.5, "device=", "device=0,,1", "device=a b", "count=2"])
def test_a_gpu_request_docker_does_not_read_is_refused(spec):
    with pytest.raises(UserError, match="--gpus"):
        GpuRequest.parse(spec)
    with pytest.raises(UserError, match="--gpus"):
        Limits.from_options(gpus=spec)


def test_the_users_gpus_beat_the_tasks():
    user, task = GpuRequest.parse("device=1"), GpuRequest.parse("all")
    assert GpuRequest.effective(user, task) == user
    assert GpuRequest.effective(None, task) == task and GpuRequest.effective(None, None, task) == task
    assert GpuRequest.effective(None) is None


@pytest.mark.parametrize("option", ["timeout", "cpus", "pids", "build_timeout"])
def test_a_negative_limit_is_refused_and_0_is_no_limit(option):
    with pytest.raises(UserError, match="not negative"):
        Limits.from_options(**{option: -5})
    assert getattr(Limits.from_options(**{option: 0}), option) is None


def test_limits():
    assert parse_size("512m") == 512 * 1024**2 and parse_size("1.5GiB") == int(1.5 * 1024**3)
    lim = Limits.from_options(timeout=0, memory="none", cpus=2, pids=0)
    assert lim.timeout is None and lim.memory is None and lim.cpus == 2 and lim.pids is None
    with pytest.raises(UserError):
        parse_size("lots")
    with pytest.raises(UserError, match="never run as root"):
        Limits.from_options(user="0:0")
    with pytest.raises(UserError, match="not 'uid:gid'"):
        RunUser.parse("me")
    assert Limits().user.uid != 0 and str(RunUser.parse("1000")) == "1000:1000"


@pytest.mark.parametrize("value, runs_with", [
    ("none", None), ("0", None), ("all", "all"), ("2", "2"), ("device=0,1", "device=0,1"), ("device=0, 1", "device=0,1"),
    ("two", "refused"), ("device=", "refused"), ("device=0 1", "refused"),
])
def test_the_static_check_and_the_planner_read_run_args_gpus_alike(tmp_path, run, value, runs_with):
    from validator.checks import run_static

    cube_dir = tmp_path / "metrics"
    shutil.copytree(FIXTURES / "metrics", cube_dir)
    cfg = cube_dir / "container_config.yaml"
    cfg.write_text(cfg.read_text().replace("    run_args:\n", f"    run_args:\n      gpus: {value}\n"))
    codes = [f.code for f in run_static(cube_dir).findings]
    assert ("MC210" in codes) == (runs_with == "refused"), codes
    if runs_with != "refused":
        (run / "predictions").mkdir(exist_ok=True)
        plan = plan_task(load_cube(cube_dir), "evaluate", {"predictions": run / "predictions", "labels": run / "labels",
                                                           "output_path": run / "results" / "results.yaml"})
        assert (str(plan.gpus) if plan.gpus is not None else None) == runs_with
