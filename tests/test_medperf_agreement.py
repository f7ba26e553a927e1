"""medcube agrees with MedPerf 0.3.0: a cube MedPerf runs passes, a cube MedPerf stops on fails with MedPerf's reason.

The cubes are MedPerf-shaped cubes written in tests/medperf_cubes.py, one per fact of how MedPerf runs a cube
(each case names the file of MedPerf's code the fact comes from). No MedPerf install is needed: MedPerf's verdict
is part of each case.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from medperf_cubes import CASES, build_all

from validator.checks import run_static


@pytest.fixture(scope="module")
def medperf_corpus(tmp_path_factory):
    return build_all(tmp_path_factory.mktemp("medperf"))


def _show(findings) -> str:
    return "\n".join(f"{f.severity} {f.code} {f.where()} {f.message}" for f in findings)


RUNS = [name for name, case in CASES.items() if case.medperf == "runs"]
FAILS = [name for name, case in CASES.items() if case.medperf == "fails"]


@pytest.mark.parametrize("name", RUNS)
def test_what_medperf_runs_passes(name, medperf_corpus):
    case = CASES[name]
    report = run_static(medperf_corpus / name)
    assert report.ok, f"MedPerf runs this ({case.fact}), medcube fails it:\n{_show(report.findings)}"
    assert {f.code for f in report.findings} <= case.allowed, _show(report.findings)


@pytest.mark.parametrize("name", FAILS)
def test_what_medperf_rejects_fails_with_the_reason(name, medperf_corpus):
    case = CASES[name]
    report = run_static(medperf_corpus / name)
    assert not report.ok, f"MedPerf stops on this ({case.fact}), medcube passes it:\n{_show(report.findings)}"
    errors = [f for f in report.findings if f.is_error and f.code == case.code]
    assert errors, f"expected {case.code}:\n{_show(report.findings)}"
    assert any(case.reason in f.message for f in errors), _show(errors)


def test_both_directions_are_covered():
    assert len(RUNS) >= 10 and len(FAILS) >= 10


def test_config_only_cube_says_once_that_build_checks_are_skipped(medperf_corpus):
    report = run_static(medperf_corpus / "create_model")
    infos = [f for f in report.findings if f.code == "MC411"]
    assert len(infos) == 1 and infos[0].severity == "info"
    assert "myorg/cube:0.1.0" in infos[0].message and "--pull" in infos[0].message


def test_non_benchmark_container_gets_one_message(medperf_corpus):
    report = run_static(medperf_corpus / "federated_learning_container")
    assert [f.code for f in report.findings] == ["MC212"]
    assert report.findings[0].message.startswith("not a data preparator, model or metrics cube: tasks train, "
                                                  "start_aggregator")


# ------------------------------------------------------------------ MedPerf's folder layout (workspace/ beside the config)


def test_medperf_layout_packages_like_the_mlcube_layout(tmp_path):
    from medperf_cubes import MODEL_CONFIG, MedperfCase, created

    from validator.package import ADDITIONAL, PARAMETERS, package

    cube = MedperfCase("layout", "", "", "runs", created(MODEL_CONFIG, params="threshold: 0.5\n",
                                                         **{"workspace/additional_files/weights.txt": "w\n"})).build(tmp_path)
    pkg = package(cube, tmp_path / "deploy")
    assert (pkg.folder / PARAMETERS).read_text() == "threshold: 0.5\n"
    assert pkg.manifest["files"][PARAMETERS]["source"].endswith("workspace/parameters.yaml")
    assert pkg.manifest["files"][ADDITIONAL]["source"].endswith("workspace/additional_files")
    assert f"--parameters-file {pkg.folder.name}/{PARAMETERS}" in pkg.submit_command.replace(str(tmp_path) + "/", "")


def _two_layouts(root, medperf_params: str | None, mlcube_params: str):
    from medperf_cubes import METRICS_CONFIG, MedperfCase

    files = {"container_config.yaml": METRICS_CONFIG, "mlcube/workspace/parameters.yaml": mlcube_params,
             "workspace/additional_files/": ""}
    if medperf_params is not None:
        files["workspace/parameters.yaml"] = medperf_params
    return MedperfCase("both", "", "", "runs", files).build(root)


def test_both_layouts_differ_one_rule_decides_and_a_finding_says_so(tmp_path):
    report = run_static(_two_layouts(tmp_path, "threshold: 0.5\n", "threshold: 0.7\n"))
    assert report.ok
    assert report.cube.parameters_file == report.cube.path / "workspace" / "parameters.yaml"
    said = [f for f in report.findings if f.code == "MC215"]
    assert len(said) == 1 and said[0].severity == "warning"
    assert "parameters.yaml" in said[0].message
    assert said[0].message.endswith("medcube uses " + str(report.cube.path / "workspace"))


def test_mlcube_workspace_is_used_when_medperfs_has_no_parameters_file(tmp_path):
    report = run_static(_two_layouts(tmp_path, None, "threshold: 0.7\n"))
    assert report.cube.parameters_file == report.cube.path / "mlcube" / "workspace" / "parameters.yaml"
    assert [f.code for f in report.findings if f.code == "MC215"] == ["MC215"]  # the two folders still differ


def test_identical_layouts_say_nothing(tmp_path):
    report = run_static(_two_layouts(tmp_path, "threshold: 0.5\n", "threshold: 0.5\n"))
    assert not [f for f in report.findings if f.code == "MC215"]


# ------------------------------------------------------------------ the run stage: what MedPerf supplies and runs


def test_run_stage_supplies_what_medperf_supplies(medperf_corpus, tmp_path):
    """evaluate gets local_outputs_path, prepare gets additional_files (as MedPerf's mounts do)."""
    from validator.chain.rundir import RunFolder
    from validator.engine.tasks.plan import plan_task
    from validator.manifest.load import load_cube

    folder = RunFolder.create(tmp_path / "run")
    (tmp_path / "raw").mkdir()
    demo = SimpleNamespace(data_path=tmp_path / "raw", labels_path=tmp_path / "raw")
    for name in ("predictions", "labels"):
        folder.path(name).mkdir(parents=True, exist_ok=True)
    cube = load_cube(medperf_corpus / "evaluate_writes_local_outputs_path")
    plan = plan_task(cube, "evaluate", folder.bindings("evaluate", demo))
    assert plan.outputs["local_outputs_path"] == folder.path("local_outputs")
    cube = load_cube(medperf_corpus / "prepare_reads_additional_files")
    plan = plan_task(cube, "prepare", folder.bindings("prepare", demo))
    assert plan.inputs["additional_files"] == cube.additional_files


def test_chain_runs_sanity_check_always():
    from validator.chain.run import chain_tasks

    assert ("data_preparator", "sanity_check") in chain_tasks()


def _config_only(root, image: str, command: str):
    from medperf_cubes import EVALUATE, MedperfCase, config, created

    text = config(EVALUATE.replace("  evaluate:\n", f"  evaluate:\n    run_args:\n      command: {command}\n"), image=image)
    return MedperfCase("config_only", "", "", "runs", created(text)).build(root)


@pytest.mark.docker
def test_config_only_cube_uses_the_local_image_and_checks_its_entrypoint(tmp_path, docker_client, base_image, engine):
    """The base image has no ENTRYPOINT: a command starting with the task name would be executed (MC621)."""
    from validator.engine.images.build import build_image
    from validator.manifest.load import load_cube

    cube = load_cube(_config_only(tmp_path / "a", base_image, "evaluate --labels=/mlcommons/volumes/labels"))
    result = build_image(engine, cube)
    assert result.status == "present" and "using the local image" in result.message
    assert [f.code for f in result.findings] == ["MC621"]
    assert "has no entrypoint (docker inspect)" in result.findings[0].message
    cube = load_cube(_config_only(tmp_path / "b", base_image, "python3 -c pass"))
    result = build_image(engine, cube)
    assert result.status == "present" and result.findings == []


@pytest.mark.docker
def test_config_only_cube_without_its_image_says_build_or_pull(tmp_path, docker_client, engine):
    from validator.engine.images.build import build_image
    from validator.manifest.load import load_cube

    cube = load_cube(_config_only(tmp_path, "localhost:1/medcube-test/never-built:1", "python3 -c pass"))
    result = build_image(engine, cube)
    assert result.status == "failed" and [f.code for f in result.findings] == ["MC603"]
    assert result.message == "image localhost:1/medcube-test/never-built:1 is not present locally: build or pull it (--pull)"
    result = build_image(engine, cube, pull=True)  # nothing listens on localhost:1: the pull fails, said so
    assert result.status == "failed" and "could not be pulled" in result.message


# ------------------------------------------------------------------ both config files, and the command line


def test_a_problem_both_config_files_share_is_reported_once(tmp_path):
    import shutil

    from static_cubes import VALID

    cube = tmp_path / "metrics"
    shutil.copytree(VALID / "medcube_metrics", cube)
    for rel in ("container_config.yaml", "mlcube/mlcube.yaml"):
        path = cube / rel
        path.write_text(path.read_text().replace("predictions:", "prediction:", 1))
    report = run_static(cube)
    assert [f.code for f in report.findings if f.code == "MC204"] == ["MC204"], _show(report.findings)


def test_cli_takes_medperfs_flags(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    import validator.cli as commands
    import validator.create as create_module
    from validator.cli import app

    seen = {}
    monkeypatch.setattr(commands, "run_test", lambda benchmark, **kw: seen.update(kw) or 0)
    result = CliRunner().invoke(app, ["test", "-p", "prep", "-m", "model", "-e", "metrics"])
    assert result.exit_code == 0, result.output
    assert {k: str(v) for k, v in seen["cubes"].items()} == {"data_preparator": "prep", "model": "model",
                                                             "metrics": "metrics"}
    result = CliRunner().invoke(app, ["test", "--evaluator", "ev", "--strict"])
    assert result.exit_code == 0 and str(seen["cubes"]["metrics"]) == "ev" and seen["gating"].fail_on == "warning"

    made = {}
    monkeypatch.setattr(create_module, "create", lambda *a, **kw: made.update(args=a, **kw) or tmp_path / "x")
    result = CliRunner().invoke(app, ["create", "evaluator", "-i", "myorg/ev:0.1.0", "-f", "my_ev", "--no-input"])
    assert result.exit_code == 0, result.output
    assert made["image"] == "myorg/ev:0.1.0" and made["folder_name"] == "my_ev"
    assert getattr(made["args"][0], "value", made["args"][0]) == "evaluator"


def test_command_paths_of_the_image_itself_are_no_mounts(tmp_path):
    """A volume mounted inside the code folder does not make the script path a would-be mount."""
    from medperf_cubes import MedperfCase, config, created, task, vol

    cfg = config(task("infer", vol("data_path", "/mlcube_project/data") + vol("additional_files", "/mlcube_project/weights"),
                      vol("output_path", "/mlcube_project/predictions"),
                      "      command: python3 /mlcube_project/mlcube.py infer --data_path=/mlcube_project/data "
                      "--config=/mlcube_project/config.yaml\n"))
    report = run_static(MedperfCase("code_folder", "", "", "runs", created(cfg)).build(tmp_path))
    assert not [f for f in report.findings if f.code == "MC410"], _show(report.findings)  # may be in the image


def test_a_missing_parameters_file_both_configs_name_is_reported_once(tmp_path):
    import shutil

    from static_cubes import VALID

    cube = tmp_path / "metrics"
    shutil.copytree(VALID / "medcube_metrics", cube)
    (cube / "mlcube/workspace/parameters.yaml").unlink()
    report = run_static(cube)
    assert [(f.code, f.file) for f in report.findings] == [("MC406", str(cube / "container_config.yaml"))], \
        _show(report.findings)
