"""Output contracts, `medcube test` end to end with the local runner, and the run reports (table, JSON, JUnit)."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from validator import cli as testing  # run_test: the command's result printed, its exit code
from validator.chain.benchmark import PredictionsContract
from validator.chain.options import RunOptions
from validator.chain.outputs import (
    check_predictions,
    check_results,
    check_statistics,
    record_ids,
)
from validator.commands import validate as validating
from validator.commands.common import DemoSource, ReportFiles
from validator.errors import UserError


def console() -> Console:
    return Console(record=True, width=160, force_terminal=False)


# -- contracts ------------------------------------------------------------------------------------------------------
def test_record_ids(tmp_path):
    for name in ("a.npy", "b.npy", "notes.txt"):
        (tmp_path / name).write_text("")
    (tmp_path / "case7").mkdir()
    (tmp_path / "case7" / "img.nii.gz").write_text("")
    assert record_ids(tmp_path, "*.npy") == ["a", "b"]
    assert record_ids(tmp_path, "*/img.nii.gz") == ["case7"]
    assert record_ids(tmp_path / "missing", "*") == []


def _codes(findings):
    return [(f.code, f.severity) for f in findings]


def test_statistics_contract(tmp_path):
    path = tmp_path / "statistics.yaml"
    assert _codes(check_statistics(path, [], "x")) == [("MC702", "error")]  # missing
    path.write_text("")
    assert "missing or empty" in check_statistics(path, [], "x")[0].message
    path.write_text("[1, 2]\n")
    assert "not a mapping" in check_statistics(path, [], "x")[0].message
    path.write_text("{}\n")
    assert "empty mapping" in check_statistics(path, [], "x")[0].message
    path.write_text("num_cases: 3\n")
    assert _codes(check_statistics(path, ["num_cases", "labels_count"], "x")) == [("MC703", "error")]
    assert check_statistics(path, ["num_cases"], "x") == []
    path.write_text("a: [unclosed\n")
    assert "not valid YAML" in check_statistics(path, [], "x")[0].message


def test_predictions_contract(tmp_path):
    c = PredictionsContract(file="predictions.json", shape=(2,), range=(0.0, 1.0))
    pred = tmp_path / "predictions.json"
    assert _codes(check_predictions(tmp_path, ["a"], c, "x")) == [("MC704", "error")]
    pred.write_text('{"a": [0.1, 0.9], "b": [0.5, 0.5]}')
    assert check_predictions(tmp_path, ["a", "b"], c, "x") == []
    assert _codes(check_predictions(tmp_path, ["a", "b", "c"], c, "x")) == [("MC705", "error")]
    assert _codes(check_predictions(tmp_path, ["a"], c, "x")) == [("MC705", "warning")]  # b was not prepared
    pred.write_text('{"a": [[0.1, 0.9]], "b": "high"}')
    (f,) = check_predictions(tmp_path, ["a", "b"], c, "x")
    assert f.code == "MC706" and "a: shape [1, 2]" in f.message and "b: not numeric" in f.message
    pred.write_text('{"a": [NaN, 0.9], "b": [0.5, 2]}')
    (f,) = check_predictions(tmp_path, ["a", "b"], c, "x")
    assert f.code == "MC707" and "a: not finite" in f.message and "b: outside [0, 1]" in f.message
    pred.write_text("[1, 2]")
    assert "not a mapping" in check_predictions(tmp_path, ["a"], c, "x")[0].message


def test_per_record_prediction_files(tmp_path):
    np = pytest.importorskip("numpy")
    c = PredictionsContract(file="{id}.npy", shape=(3,))
    np.save(tmp_path / "a.npy", np.array([0.1, 0.2, 0.3]))
    np.save(tmp_path / "b.npy", np.zeros((2, 2)))
    findings = check_predictions(tmp_path, ["a", "b", "c"], c, "x")
    assert _codes(findings) == [("MC705", "error"), ("MC706", "error")]


def test_results_contract(tmp_path):
    path = tmp_path / "results.yaml"
    assert _codes(check_results(path, [], "x")) == [("MC708", "error")]
    path.write_text("Accuracy: 0.9\nAUC: {macro: 0.8, per_label: {a: null, b: 0.7}}\n")
    assert check_results(path, ["Accuracy", "AUC"], "x") == []
    assert _codes(check_results(path, ["F1"], "x")) == [("MC709", "error")]
    path.write_text("Accuracy: [0.9]\n")
    assert "Accuracy is a list ([0.9])" in check_results(path, [], "x")[0].message
    path.write_text("Accuracy: true\n")
    assert _codes(check_results(path, [], "x")) == [("MC708", "error")]
    path.write_text("Accuracy: .nan\nAUC: {x: .inf}\n")
    (f,) = check_results(path, [], "x")
    assert (f.code, f.severity) == ("MC710", "warning") and "Accuracy, AUC.x not finite" in f.message


# -- medcube test, end to end (local runner) -------------------------------------------------------------------------
def test_test_command_writes_reports(bench, tmp_path):
    out = console()
    rc = testing.run_test(bench, files=ReportFiles(tmp_path / "r.json", tmp_path / "r.xml"), options=RunOptions(runner="local",
                              run_dir=tmp_path / "run", console=out))
    assert rc == 0
    text = out.export_text()
    assert "PASS" in text and "runner: local (no image built)" in text
    for task in ("prepare", "sanity_check", "statistics", "infer", "evaluate"):
        assert task in text
    assert "Accuracy" in text and "per_class.0" in text and "undefined" in text
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["ok"] is True and report["runner"] == "local" and report["image_built"] is False
    assert report["results"]["Accuracy"] == 1.0
    assert [t["status"] for t in report["tasks"]] == ["passed"] * 5
    for t in report["tasks"]:
        assert {"status", "exit_code", "seconds", "peak_memory_bytes", "findings", "log_path"} <= set(t)
        assert Path(t["log_path"]).is_file()
    suite = ET.parse(tmp_path / "r.xml").getroot()
    assert suite.get("tests") == "5" and suite.get("failures") == "0"
    assert [c.get("name") for c in suite.iter("testcase")] == ["prepare", "sanity_check", "statistics", "infer", "evaluate"]


def test_test_command_failure_exit_code_and_reports(bench, tmp_path):
    params = bench / "model" / "mlcube" / "workspace" / "parameters.yaml"
    params.write_text(yaml.safe_dump({"behaviour": "nan"}))
    out = console()
    rc = testing.run_test(bench, files=ReportFiles(tmp_path / "r.json", tmp_path / "r.xml"), options=RunOptions(runner="local",
                              run_dir=tmp_path / "run", console=out))
    assert rc == 1
    text = out.export_text()
    assert "FAIL" in text and "MC707" in text and "not finite" in text
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["ok"] is False and report["results"] is None
    assert [t["status"] for t in report["tasks"]][-2:] == ["failed", "skipped"]
    assert report["tasks"][3]["findings"][0]["code"] == "MC707"
    suite = ET.parse(tmp_path / "r.xml").getroot()
    assert suite.get("failures") == "1" and suite.get("skipped") == "1"
    infer = [c for c in suite.iter("testcase") if c.get("name") == "infer"][0]
    assert "MC707" in infer.find("failure").text


def test_roles_given_replace_the_benchmarks(bench, tmp_path):
    other = tmp_path / "other-model"
    shutil.copytree(bench / "model", other)
    (other / "mlcube" / "workspace" / "parameters.yaml").write_text("behaviour: exit\n")
    rc = testing.run_test(bench, cubes={"model": other},
                              options=RunOptions(runner="local", run_dir=tmp_path / "run", console=console()))
    assert rc == 1


def test_a_cube_in_the_wrong_role_is_a_user_error(bench, tmp_path):
    with pytest.raises(UserError, match="is a model cube .* given as the data preparator"):
        testing.run_test(bench, cubes={"data_preparator": bench / "model"},
                             options=RunOptions(runner="local", run_dir=tmp_path / "run", console=console()))


def test_demo_data_override(bench, tmp_path):
    demo = tmp_path / "other-demo"
    shutil.copytree(bench / "demo_data", demo)
    (demo / "images" / "case4.txt").unlink()
    (demo / "labels" / "labels.csv").write_text("Image ID,Label\ncase1,0\ncase2,1\ncase3,0\n")
    report = tmp_path / "r.json"
    assert testing.run_test(bench, demo=DemoSource(demo), files=ReportFiles(json=report),
                                options=RunOptions(runner="local", run_dir=tmp_path / "run", console=console())) == 0
    assert "num_cases: 3" in (tmp_path / "run" / "statistics" / "statistics.yaml").read_text()


def test_validate_run_local(bench, tmp_path):
    findings, report = validating.validate_run(bench / "metrics", bench, RunOptions(runner="local", run_dir=tmp_path / "run"))
    assert findings == [] and report.ok and len(report.tasks) == 5
    assert report.builds[0].status == "not_built"


def test_validate_run_needs_a_role(bench, tmp_path):
    cfg = bench / "metrics" / "container_config.yaml"
    cfg.write_text(cfg.read_text().replace("  evaluate:", "  score:"))
    with pytest.raises(UserError, match="cannot tell whether this cube is"):
        validating.validate_run(bench / "metrics", bench, RunOptions(runner="local", run_dir=tmp_path / "run"))
