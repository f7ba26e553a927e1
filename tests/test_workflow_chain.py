"""The chain prepare -> sanity_check -> statistics -> infer -> evaluate on the tiny cubes, with each runner.

Every failure mode is produced by a real task (a container with the docker runner, a subprocess with the local
one): the tiny cubes misbehave on request through their parameters.yaml.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from validator.chain.benchmark import load_benchmark
from validator.chain.demo_data import load_demo_data
from validator.chain.options import RunOptions
from validator.chain.run import run_chain
from validator.engine.limits import Limits
from validator.manifest.load import load_cube
from validator.manifest.roles import ROLES

PARAMS = {
    "data_preparator": "prep/workspace/parameters.yaml",
    "model": "model/mlcube/workspace/parameters.yaml",
    "metrics": "metrics/workspace/parameters.yaml",
}
RUNNERS = ["local", pytest.param("docker", marks=pytest.mark.docker)]


def cases(table, docker_first=1):
    """Every case with the local runner; the first ones also in a container (the output checks read the same
    files whichever runner wrote them, so one real container per failure mode is enough)."""
    out = [pytest.param("local", *case, id=f"local-{case[0]}") for case in table]
    out += [pytest.param("docker", *case, id=f"docker-{case[0]}", marks=pytest.mark.docker)
            for case in table[:docker_first]]
    return out


def misbehave(bench: Path, role: str, **settings) -> None:
    path = bench / PARAMS[role]
    data = yaml.safe_load(path.read_text()) or {}
    data.update(settings)
    path.write_text(yaml.safe_dump(data))


def run(bench: Path, runner: str, request, timeout=60, memory="1g"):
    base_image = request.getfixturevalue("base_image") if runner == "docker" else None
    benchmark = load_benchmark(bench)
    cubes = {role: load_cube(benchmark.cube(role)) for role in ROLES}
    options = RunOptions(runner=runner, base_image=base_image, run_dir=bench.parent / "run",
                         limits=Limits.from_options(timeout=timeout, memory=memory))
    return run_chain(benchmark, cubes, load_demo_data(benchmark.demo_data), options)


def statuses(report) -> dict[str, str]:
    return {t.task: t.status for t in report.tasks}


def codes(report) -> set[str]:
    return {f.code for f in report.all_findings}


@pytest.mark.parametrize("runner", RUNNERS)
def test_chain_passes(bench, runner, request):
    report = run(bench, runner, request)
    assert report.ok, [f.message for f in report.all_findings]
    assert list(statuses(report).items()) == [(t, "passed") for t in
                                              ("prepare", "sanity_check", "statistics", "infer", "evaluate")]
    assert report.results == {"Accuracy": 1.0, "per_class": {"0": None, "1": 1.0}}
    assert report.runner == runner
    assert report.image_built is (runner == "docker")
    run_dir = report.run_dir
    assert sorted(p.name for p in (run_dir / "data").iterdir()) == [f"case{i}.json" for i in range(1, 5)]
    assert yaml.safe_load((run_dir / "statistics" / "statistics.yaml").read_text())["num_cases"] == 4
    for t in report.tasks:
        assert t.exit_code == 0 and t.seconds is not None and Path(t.log_path).is_file()
        assert t.runner == runner and t.image_built is (runner == "docker")
    assert "wrote 4 predictions" in Path(report.tasks[3].log_path).read_text()


@pytest.mark.parametrize("runner", RUNNERS)
def test_nonzero_exit_stops_the_chain(bench, runner, request):
    misbehave(bench, "model", behaviour="exit")
    report = run(bench, runner, request)
    assert not report.ok
    assert statuses(report)["infer"] == "failed" and statuses(report)["evaluate"] == "skipped"
    infer = report.tasks[3]
    assert infer.exit_code == 3
    assert "RuntimeError: the model refuses" in infer.message
    assert [f.code for f in infer.findings] == ["MC610"]
    assert "RuntimeError: the model refuses" in infer.log_tail


@pytest.mark.parametrize("runner", RUNNERS)
def test_timeout_kills_the_task(bench, runner, request):
    misbehave(bench, "model", behaviour="sleep")
    report = run(bench, runner, request, timeout=3)
    infer = report.tasks[3]
    assert infer.status == "timeout" and [f.code for f in infer.findings] == ["MC611"]
    assert infer.seconds < 20
    assert "--timeout" in infer.findings[0].message
    assert statuses(report)["evaluate"] == "skipped"
    assert not (report.run_dir / "logs" / "5-evaluate.log").exists()  # nor its container (made ready during infer)
    if runner == "docker":
        client = request.getfixturevalue("docker_client")
        left = client.containers.list(all=True, filters={"label": f"org.medcube.run={report.run_dir.name}"})
        assert left == []


@pytest.mark.parametrize("runner", RUNNERS)
def test_missing_predictions(bench, runner, request):
    misbehave(bench, "model", behaviour="no_output")
    report = run(bench, runner, request)
    infer = report.tasks[3]
    assert infer.status == "failed" and infer.exit_code == 0
    assert [f.code for f in infer.findings] == ["MC704"]
    assert "predictions.json" in infer.findings[0].message


BAD_PREDICTIONS = [
    ("short", "MC706", "not a list of 2 numbers"),
    ("nan", "MC707", "not finite"),
    ("out_of_range", "MC707", "outside [0, 1]"),
    ("missing_record", "MC705", "1 of 4 prepared records have no prediction (e.g. case1)"),
]


@pytest.mark.parametrize("runner,behaviour,code,words", cases(BAD_PREDICTIONS))
def test_bad_predictions(bench, runner, request, behaviour, code, words):
    misbehave(bench, "model", behaviour=behaviour)
    report = run(bench, runner, request)
    infer = report.tasks[3]
    assert infer.status == "failed"
    assert [f.code for f in infer.findings] == [code]
    assert words in infer.findings[0].message
    assert statuses(report)["evaluate"] == "skipped"


BAD_RESULTS = [
    ("string", "MC708", "Accuracy is a str ('high'), not a number"),
    ("missing_key", "MC709", "lacks 'Accuracy'"),
    ("empty", "MC708", "not a non-empty mapping"),
]


@pytest.mark.parametrize("runner,how,code,words", cases(BAD_RESULTS))
def test_bad_results(bench, runner, request, how, code, words):
    misbehave(bench, "metrics", results=how)
    report = run(bench, runner, request)
    evaluate = report.tasks[-1]
    assert evaluate.status == "failed" and code in [f.code for f in evaluate.findings]
    assert any(words in f.message for f in evaluate.findings)
    assert not report.ok and report.results is None


def test_nan_metric_is_a_warning(bench, request):
    misbehave(bench, "metrics", results="nan")
    report = run(bench, "local", request)
    assert report.ok
    assert [(f.code, f.severity) for f in report.tasks[-1].findings] == [("MC710", "warning")]


BAD_PREPARATION = [
    ("statistics-empty", {"statistics": "empty"}, "statistics", "MC702"),
    ("statistics-missing-key", {"statistics": "missing_key"}, "statistics", "MC703"),
    ("prepare-nothing", {"prepare": "nothing"}, "prepare", "MC701"),
]


@pytest.mark.parametrize("runner,name,settings,task,code", cases(BAD_PREPARATION))
def test_bad_preparation(bench, runner, request, name, settings, task, code):
    misbehave(bench, "data_preparator", misbehave=settings)
    report = run(bench, runner, request)
    result = next(t for t in report.tasks if t.task == task)
    assert result.status == "failed" and code in [f.code for f in result.findings]
    assert report.tasks[-1].status == "skipped"


@pytest.mark.parametrize("runner", RUNNERS)
def test_tarball_demo_data_with_sha256(bench, tmp_path, request, runner, monkeypatch):
    from validator.archive import write_deterministic

    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(tmp_path / "cache"))
    tarball = tmp_path / "demo.tar.gz"
    digest = write_deterministic(tarball, [(p.name, p) for p in (bench / "demo_data").iterdir()])
    text = (bench / "benchmark.yaml").read_text().replace(
        "demo_data: demo_data ", f"demo_data: {{path: {tarball}, sha256: {digest}}} ")
    (bench / "benchmark.yaml").write_text(text)
    benchmark = load_benchmark(bench)
    assert benchmark.demo_sha256 == digest
    report = run(bench, runner, request)
    assert report.ok, [f.message for f in report.all_findings]
    assert (tmp_path / "cache" / "demo_data" / digest / "paths.yaml").is_file()
    assert json.loads((report.run_dir / "predictions" / "predictions.json").read_text()).keys() == {
        "case1", "case2", "case3", "case4"}
