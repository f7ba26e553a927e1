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
        files.convert_command(broken_corpus / "mc101_mlcube_top_level_key_typo")
    assert e.value.exit_code == 2 and "has errors" in e.value.message
    assert "MC101" in [f.code for f in e.value.report.findings]
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
