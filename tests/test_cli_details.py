"""One consistent command line: the options validate and test share behave alike (report files on both), `-e` is
the evaluator only (MedPerf's flag), `-b` MedPerf's benchmark, a negative limit is a usage error, and help text
keeps its brackets."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from validator.cli import app

ROOT = Path(__file__).resolve().parent.parent
VALID = ROOT / "tests" / "fixtures" / "static" / "valid"


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "250", "NO_COLOR": "1"})


def test_validate_writes_the_json_junit_and_sarif_report_files(tmp_path):
    out = tmp_path / "out"
    result = invoke("validate", "--static", "--report", out / "r.json", "--junit", out / "r.xml", "--sarif-file",
                    out / "r.sarif", VALID / "medcube_metrics", VALID / "medcube_model")
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "r.json").read_text())
    assert doc["ok"] is True and len(doc["cubes"]) == 2
    suite = ET.parse(out / "r.xml").getroot()
    assert suite.get("tests") == "2" and suite.get("failures") == "0"
    assert json.loads((out / "r.sarif").read_text())["version"] == "2.1.0"


def test_a_failing_cube_fails_its_junit_case(tmp_path):
    cube = tmp_path / "cube"
    cube.mkdir()
    (cube / "container_config.yaml").write_text("image: x\ntasks: {infer: 3}\n")
    result = invoke("validate", "--static", "--junit", tmp_path / "r.xml", cube)
    assert result.exit_code == 1
    suite = ET.parse(tmp_path / "r.xml").getroot()
    assert suite.get("failures") == "1" and suite.find("testcase/failure") is not None


@pytest.mark.parametrize("option", ["--timeout", "--cpus", "--pids", "--build-timeout"])
def test_a_negative_limit_is_a_usage_error_before_anything_runs(option, tmp_path):
    result = invoke("test", option, "-5", "--run-dir", tmp_path / "run")
    assert result.exit_code == 2 and "not negative" in result.output
    assert not (tmp_path / "run").exists()


def test_a_bad_gpus_is_a_usage_error():
    result = invoke("test", "--gpus", "lots")
    assert result.exit_code == 2 and "is not a Docker --gpus value" in result.output


def test_e_is_the_evaluator_and_not_an_extra_context():
    assert "--evaluator" in invoke("test", "--help").output
    result = invoke("create", "model", "-e", "a=b")
    assert result.exit_code == 2 and "No such option" in result.output
    assert "-x" in invoke("create", "--help").output


def test_b_is_medperfs_benchmark_option():
    line = next(line for line in invoke("test", "--help").output.splitlines() if "--medperf-benchmark" in line)
    assert " -b " in line


def test_the_report_options_are_on_both_commands():
    for command in ("validate", "test"):
        text = invoke(command, "--help").output
        assert all(option in text for option in ("--report", "--junit", "--sarif-file", "--html")), command


def test_help_keeps_the_brackets_of_tool_medcube():
    assert "[tool.medcube]" in invoke("validate", "--help").output


def test_many_submissions_refuse_the_single_run_options(tmp_path):
    result = invoke("test", "--model", VALID / "medcube_model", "--model", VALID / "medcube_model", "--sarif-file",
                    tmp_path / "s.sarif")
    assert result.exit_code == 2 and "--sarif-file" in result.output


def broken(tmp_path, name: str) -> Path:
    import shutil

    cube = tmp_path / name
    shutil.copytree(VALID / name, cube)
    config = next(p for p in (cube / "container_config.yaml", cube / "mlcube" / "mlcube.yaml") if p.is_file())
    config.write_text(config.read_text() + "\nnot_a_key: 1\n")
    return cube


def test_one_refusal_for_every_run_that_the_gate_stops(tmp_path):
    """A data preparator that fails the gate stops test and many submissions with the same sentence, before any
    engine is asked (the run folder is never made)."""
    prep = broken(tmp_path, "medcube_data_preparator")
    model = VALID / "medcube_model"
    for args in (["-p", prep], ["-p", prep, "--model", model, "--model", model]):
        result = invoke("test", *args, "--run-dir", tmp_path / "run")
        assert result.exit_code == 1, result.output
        assert "medcube builds and runs no cube before they pass" in result.output, result.output
        assert "not_a_key" in result.output and not (tmp_path / "run").exists()


def test_validate_names_the_benchmarks_cube_that_fails_the_gate(tmp_path):
    metrics = broken(tmp_path, "medcube_metrics")
    (tmp_path / "benchmark.yaml").write_text(
        f"name: t\ndata_preparator: {VALID / 'medcube_data_preparator'}\nmodel: {VALID / 'medcube_model'}\n"
        f"metrics: {metrics}\ndemo_data:\n  path: demo\n")
    (tmp_path / "demo").mkdir()
    result = invoke("validate", "--benchmark", tmp_path / "benchmark.yaml", "--no-run", VALID / "medcube_model")
    assert result.exit_code == 2, result.output
    assert "the benchmark's cube" in result.output and "not_a_key" in result.output
