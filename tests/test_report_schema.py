"""`medcube schema report`: the JSON Schema of the JSON report, with a format version of its own; the reports
validate and test write conform to it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from jsonschema import Draft202012Validator
from static_cubes import VALID

from validator.manifest import schemas

ROOT = Path(__file__).resolve().parent.parent


def _medcube(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "validator", *map(str, args)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_schema_report_prints_a_valid_json_schema():
    out = _medcube("schema", "report")
    assert out.returncode == 0, out.stderr
    schema = json.loads(out.stdout)
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["format_version"] == {"const": 1}


def test_validate_json_conforms_and_carries_its_format_version(tmp_path):
    broken = tmp_path / "broken"

    shutil.copytree(VALID / "tutorial_metrics", broken)
    (broken / "Dockerfile").write_text((broken / "Dockerfile").read_text().replace("FROM python:3.9.16-slim", "FROM python"))
    out = _medcube("validate", "--static", "--format", "json", VALID / "medcube_model", broken)
    doc = json.loads(out.stdout)
    assert doc["format_version"] == 1 and doc["version"] != doc["format_version"]
    Draft202012Validator(schemas.load("report")).validate(doc)
    assert doc["cubes"][1]["findings"][0]["code"] == "MC501"


def test_the_schema_rejects_what_is_not_a_report():
    validator = Draft202012Validator(schemas.load("report"))
    good = {"format_version": 1, "version": "0.1.0", "ok": True, "cubes": []}
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "format_version": 2})
    assert not validator.is_valid({"version": "0.1.0", "ok": True, "cubes": []})  # no format version
    finding = {"severity": "fatal", "code": "MC501", "file": "Dockerfile", "message": "m", "hint": None, "line": 1,
               "column": None}
    assert not validator.is_valid({**good, "cubes": [{"path": "c", "role": None, "ok": True, "findings": [finding]}]})


def test_merged_report_conforms(tmp_path):
    from validator.report.merge import merge_reports

    paths = []
    for i in range(2):
        shard = {"format_version": 1, "version": "0.1.0", "ok": True, "benchmark": "b", "primary_metric": "auc",
                 "higher_is_better": True, "tasks": [], "findings": [],
                 "submissions": [{"path": f"m{i}", "role": "model", "ok": True, "results": {"auc": 0.5 + i / 10}}]}
        Draft202012Validator(schemas.load("report")).validate(shard)
        paths.append(tmp_path / f"{i}.json")
        paths[-1].write_text(json.dumps(shard))
    merged = merge_reports(paths)
    Draft202012Validator(schemas.load("report")).validate(merged)
    assert merged["format_version"] == 1 and [s["path"] for s in merged["submissions"]] == ["m1", "m0"]
