"""validator.commands as a library: each command called from Python returns what it made or found (a result
object), prints nothing, and leaves the exit code to the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from static_cubes import VALID

from validator.commands import files
from validator.commands.submissions import merge_reports_command
from validator.errors import UserError

MODEL = VALID / "medcube_model"


def test_convert_returns_the_config_text(capsys):
    converted = files.convert_command(VALID / "medcube_metrics")
    assert converted.source == (VALID / "medcube_metrics" / "mlcube" / "mlcube.yaml").absolute()
    config = yaml.safe_load(converted.text)
    assert config["container_type"] == "DockerImage" and "evaluate" in config["tasks"]
    assert capsys.readouterr() == ("", "")


def test_convert_refusal_carries_the_static_report(broken_corpus, capsys):
    with pytest.raises(files.ConvertRefused) as e:
        files.convert_command(broken_corpus / "mc102_mlcube_missing_name")
    assert e.value.exit_code == 2 and "has errors" in e.value.message
    assert "MC102" in [f.code for f in e.value.report.findings]
    assert capsys.readouterr() == ("", "")


def test_schema_returns_the_schema_text(capsys):
    assert json.loads(files.schema_command("container_config"))["$schema"]
    with pytest.raises(UserError, match="unknown schema"):
        files.schema_command("nope")
    assert capsys.readouterr() == ("", "")


def test_package_and_verify_return_their_results(tmp_path, capsys):
    cube = tmp_path / "cube"
    shutil.copytree(MODEL, cube)
    packaged = files.package_command(cube, tmp_path / "deploy")
    assert packaged.package.folder == tmp_path / "deploy"
    assert packaged.package.submit_command.startswith("medperf model submit")
    assert packaged.association and "--medperf-benchmark" in " ".join(packaged.association)  # not yet tested
    verified = files.verify_package_command(packaged.package.folder)
    assert verified.ok and verified.checked and not verified.problems
    assert capsys.readouterr() == ("", "")


def test_package_demo_returns_the_tarball_and_its_hash(tmp_path, capsys):
    import hashlib

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("x\n")
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "a.txt").write_text("1\n")
    demo = files.package_demo_command(tmp_path / "data", tmp_path / "labels", tmp_path / "demo.tar.gz")
    assert demo.tarball == tmp_path / "demo.tar.gz"
    assert demo.sha256 == hashlib.sha256(demo.tarball.read_bytes()).hexdigest()
    assert capsys.readouterr() == ("", "")


def test_merge_reports_returns_the_merged_report(tmp_path, capsys):
    def shard(name: str, path: str, ok: bool) -> Path:
        data = {"ok": ok, "benchmark": "tiny", "primary_metric": "Accuracy", "higher_is_better": True, "tasks": [],
                "submissions": [{"path": path, "role": "model", "ok": ok, "results": {"Accuracy": 0.5} if ok else None,
                                 "tasks": [], "findings": []}]}
        (tmp_path / name).write_text(json.dumps(data))
        return tmp_path / name

    merged = merge_reports_command([shard("a.json", "m1", True), shard("b.json", "m2", False)])
    assert merged["ok"] is False and [s["path"] for s in merged["submissions"]] == ["m1", "m2"]
    assert capsys.readouterr() == ("", "")


# -- medcube test: the run and its gate (local runner; no console: no progress lines) ---------------------------------
def test_test_returns_the_run_and_its_gate(bench, tmp_path, capsys):
    from validator.chain.options import RunOptions
    from validator.commands.common import Gating
    from validator.commands.test import TestResult, test_command

    result = test_command(bench, options=RunOptions(runner="local", run_dir=tmp_path / "run"),
                          gating=Gating(fail_on="warning"))
    assert isinstance(result, TestResult) and result.run.runner == "local"
    assert [t.status for t in result.run.tasks] == ["passed"] * 5 and result.run.results["Accuracy"] == 1.0
    assert result.gate.fail_on == "warning" and not result.failed
    assert result.ok == (not result.gate.fails(result.run.all_findings))
    assert capsys.readouterr() == ("", "")


def test_test_failure_is_in_the_result(bench, tmp_path, capsys):
    from validator.chain.options import RunOptions
    from validator.commands.test import test_command

    (bench / "model" / "mlcube" / "workspace" / "parameters.yaml").write_text(yaml.safe_dump({"behaviour": "nan"}))
    result = test_command(bench, options=RunOptions(runner="local", run_dir=tmp_path / "run"))
    assert result.failed and not result.ok
    assert [t.status for t in result.run.tasks][-2:] == ["failed", "skipped"]
    assert "MC707" in [f.code for f in result.findings]
    assert capsys.readouterr() == ("", "")


def test_test_gate_refusal_is_raised_not_printed(bench, tmp_path, capsys):
    from validator.commands.session import GateRefused
    from validator.commands.test import test_command

    config = bench / "model" / "container_config.yaml"
    config = config if config.is_file() else bench / "model" / "mlcube" / "mlcube.yaml"
    # A value the runtime rejects (an unknown key alone is a warning: MLCube and MedPerf ignore it).
    config.write_text(config.read_text() + "\ncontainer_type: not_a_key\n" if config.name == "container_config.yaml"
                      else config.read_text() + "\ndocker: not_a_key\n")
    with pytest.raises(GateRefused) as e:
        test_command(bench, cubes={"model": bench / "model"})
    assert "not_a_key" in " ".join(f.message for r in e.value.reports for f in r.findings)
    assert capsys.readouterr() == ("", "")


# -- medcube validate: the static reports, then each cube's run ---------------------------------------------------------
def test_validate_static_returns_the_reports(broken_corpus, capsys):
    from validator.commands.validate import validate_command

    result = validate_command([VALID / "medcube_model", broken_corpus / "mc102_mlcube_missing_name"],
                              static=True)
    assert [r.ok for r in result.reports] == [True, False] and result.verdicts == [True, False] and not result.ok
    assert result.runs is None and "MC102" in [f.code for f in result.findings]
    assert capsys.readouterr() == ("", "")


def test_validate_runs_each_cube_and_calls_back_as_it_goes(bench, tmp_path, capsys):
    from validator.chain.options import RunOptions
    from validator.commands.validate import validate_command

    seen: list[str] = []
    result = validate_command([bench / "metrics"], static=False, benchmark=bench,
                              options=RunOptions(runner="local", run_dir=tmp_path / "run"),
                              on_static=lambda r: seen.append(f"static {len(r.reports)}"),
                              on_run=lambda cube, run: seen.append(f"run {cube.role} {run.ok}"))
    assert seen == ["static 1", "run metrics True"]
    assert result.ok and result.runs is not None and result.runs[0] is not None
    assert [t.status for t in result.runs[0].tasks] == ["passed"] * 5 and result.run_failed == [False]
    assert capsys.readouterr() == ("", "")


def test_validate_of_no_cube_is_an_empty_result(tmp_path, capsys):
    from validator.commands.validate import validate_command

    (tmp_path / "notes.txt").write_text("x\n")
    result = validate_command([tmp_path / "notes.txt"], static=True, changed=True)
    assert result.reports == [] and result.ok
    assert capsys.readouterr() == ("", "")


# -- medcube test with many submissions: every run, ranked --------------------------------------------------------------
def test_many_submissions_return_every_run(bench, tmp_path, capsys):
    from validator.chain.options import RunOptions
    from validator.commands.submissions import test_submissions_command

    (bench / "benchmark.yaml").write_text((bench / "benchmark.yaml").read_text() + "primary_metric: Accuracy\n")
    models = []
    for name in ("a", "b"):
        shutil.copytree(bench / "model", tmp_path / name)
        models.append(tmp_path / name)
    (tmp_path / "b" / "mlcube" / "workspace" / "parameters.yaml").write_text("behaviour: exit\n")
    notes: list[str] = []
    result = test_submissions_command(bench, models=models, shard="1/1", note=notes.append,
                                      options=RunOptions(runner="local", run_dir=tmp_path / "run"))
    assert notes == ["shard 1/1: 2 submission(s)"]
    assert not result.ok and {Path(s.path).name: s.ok for s in result.submissions} == {"a": True, "b": False}
    assert capsys.readouterr() == ("", "")


def test_explain_and_clean_return_their_results(tmp_path, monkeypatch, capsys):
    from validator.commands.clean import clean_command
    from validator.commands.explain import explain_command

    assert explain_command("501").startswith("MC501 (")
    with pytest.raises(UserError, match="unknown finding code"):
        explain_command("MC99x")
    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(tmp_path))
    cleaned = clean_command(0, dry_run=True)
    assert cleaned.dry_run and cleaned.pruned.removed == [] and cleaned.root.is_relative_to(tmp_path)
    assert capsys.readouterr() == ("", "")
