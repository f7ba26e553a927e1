"""Many submissions against one benchmark (`medcube test BENCH --model A --model B ...`): the data preparation runs
once, every model gets infer and evaluate, one broken submission fails alone; the leaderboard table, the JSON
report's "submissions" and the JUnit cases; --shard and merge-reports.

The tiny engine benchmark (tests/fixtures/engine) with `primary_metric: Accuracy`; three model submissions made
from its model: `good` as it is, `inverted` (predicts the other class: Accuracy 0), `broken` (infer exits 3).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from validator.chain.submissions import LOAD_FAILED, SAME_IMAGE, Submission, expand_cubes, shard

FIXTURE = Path(__file__).parent / "fixtures" / "engine"
ROOT = Path(__file__).resolve().parents[1]
SUBMISSION_KEYS = {"path", "role", "ok", "results", "tasks", "findings"}


def make_model(src: Path, dst: Path, name: str, behaviour: str = "ok", inverted: bool = False) -> Path:
    shutil.copytree(src, dst)
    cfg = dst / "mlcube" / "mlcube.yaml"
    cfg.write_text(cfg.read_text().replace("medcube-test/tiny-model:0.1", f"medcube-test/many-{name}:0.1"))
    params = dst / "mlcube" / "workspace" / "parameters.yaml"
    params.write_text(f"behaviour: {behaviour}\n")
    if inverted:
        code = dst / "project" / "mlcube.py"
        code.write_text(code.read_text().replace("prob = sum(values) / len(values)",
                                                 "prob = 1 - sum(values) / len(values)"))
    return dst


@pytest.fixture
def owner(tmp_path):
    """A benchmark with a primary metric and a folder of three model submissions."""
    bench = tmp_path / "bench"
    shutil.copytree(FIXTURE, bench)
    # images of their own: other tests on a shared engine build the fixture's tiny-* images from changed copies
    for cfg in (bench / "prep" / "container_config.yaml", bench / "metrics" / "container_config.yaml",
                bench / "model" / "mlcube" / "mlcube.yaml"):
        cfg.write_text(cfg.read_text().replace("medcube-test/tiny-", "medcube-test/many-bench-"))
    (bench / "benchmark.yaml").write_text((bench / "benchmark.yaml").read_text() + "primary_metric: Accuracy\n")
    subs = tmp_path / "submissions"
    subs.mkdir()
    make_model(FIXTURE / "model", subs / "broken", "broken", behaviour="exit")
    make_model(FIXTURE / "model", subs / "good", "good")
    make_model(FIXTURE / "model", subs / "inverted", "inverted", inverted=True)
    return bench, subs


def medcube(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "160", "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "validator", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=600)


def table_rows(out: str) -> list[list[str]]:
    """The rows of the submissions table: cells of the lines after its title, split on the box characters."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("submissions ("))
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("│"):
            rows.append([c.strip() for c in line.strip("│").split("│")])
        elif rows and not line.startswith(("├", "┡", "└", "┃", "┏")):
            break
    return rows


@pytest.mark.docker
@pytest.mark.parametrize("as_folder", [True, False], ids=["folder", "repeated"])
def test_three_models_one_broken(owner, tmp_path, base_image, as_folder):
    bench, subs = owner
    models = ["--model", subs] if as_folder else [a for n in ("good", "broken", "inverted") for a in ("--model", subs / n)]
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    r = medcube("test", bench, *models, "--no-probes", "--runner", "docker", "--base-image", base_image,
                "--memory", "1g", "--jobs", "2", "--report", report, "--junit", junit, "--run-dir", tmp_path / "run")
    assert r.returncode == 1, r.stdout + r.stderr  # one submission failed

    # the table: ranked by Accuracy, the broken one last without a rank
    rows = table_rows(r.stdout)
    assert [row[1] for row in rows] == ["good", "inverted", "broken"], r.stdout
    assert [row[0] for row in rows] == ["1", "2", "-"]
    assert [row[3] for row in rows] == ["passed", "passed", "failed"]
    assert rows[0][6] == "1.0000" and rows[1][6] == "0.0000" and rows[2][6] == "-"
    assert "ranked by Accuracy" in r.stdout and "2/3 submissions passed" in r.stdout
    assert "the model refuses" in r.stdout  # the broken one's log tail is shown

    # the JSON report
    data = json.loads(report.read_text())
    assert data["ok"] is False and data["primary_metric"] == "Accuracy"
    assert [t["task"] for t in data["tasks"]] == ["prepare", "sanity_check", "statistics"]  # once, shared
    assert all(set(s) == SUBMISSION_KEYS for s in data["submissions"])
    by_name = {Path(s["path"]).name: s for s in data["submissions"]}
    assert [Path(s["path"]).name for s in data["submissions"]] == ["good", "inverted", "broken"]
    assert by_name["good"]["ok"] and by_name["good"]["results"]["Accuracy"] == 1.0
    assert by_name["inverted"]["ok"] and by_name["inverted"]["results"]["Accuracy"] == 0.0
    assert not by_name["broken"]["ok"] and by_name["broken"]["results"] is None
    assert [(t["task"], t["status"]) for t in by_name["good"]["tasks"]] == [("infer", "passed"), ("evaluate", "passed")]
    assert [(t["task"], t["status"]) for t in by_name["broken"]["tasks"]] == [("infer", "failed"), ("evaluate", "skipped")]
    assert "MC610" in {f["code"] for t in by_name["broken"]["tasks"] for f in t["findings"]}
    assert all(s["role"] == "model" for s in data["submissions"])
    # the data was prepared once: one prepare log in the run folder, each submission's own predictions
    run = Path(data["run_dir"])
    assert len(list(run.rglob("*-prepare.log"))) == 1
    assert len(list(run.glob("submissions/*/predictions/predictions.json"))) == 2

    # JUnit: one case per preparation task, and per submission and task
    suite = ET.parse(junit).getroot()
    cases = {(c.get("classname"), c.get("name")): c for c in suite.iter("testcase")}
    assert ("submission.model.good", "infer") in cases and ("submission.model.inverted", "evaluate") in cases
    assert cases[("submission.model.broken", "infer")].find("failure") is not None
    assert cases[("submission.model.broken", "evaluate")].find("skipped") is not None
    assert cases[("preparation.data_preparator", "prepare")].find("failure") is None
    assert suite.get("tests") == str(len(cases)) == "9" and suite.get("failures") == "1"


def test_broken_configs_fail_alone(owner, tmp_path):
    """A submission whose config does not load and one whose image clashes with another's fail with their own
    findings; the rest of the run goes on (local runner: no image is involved in what this checks)."""
    bench, subs = owner
    (subs / "broken" / "mlcube" / "mlcube.yaml").write_text("tasks: [not, a, mapping\n")
    clash = make_model(FIXTURE / "model", tmp_path / "clash", "good")  # the same image name as `good`
    report = tmp_path / "report.json"
    r = medcube("test", bench, "--model", subs / "good", "--model", subs / "broken", "--model", clash,
                "--no-probes", "--runner", "local", "--report", report, "--run-dir", tmp_path / "run")
    assert r.returncode == 1, r.stdout + r.stderr
    data = json.loads(report.read_text())
    by_name = {Path(s["path"]).name: s for s in data["submissions"]}
    assert by_name["good"]["ok"] and by_name["good"]["results"]["Accuracy"] == 1.0
    assert [f["code"] for f in by_name["broken"]["findings"]] == [LOAD_FAILED] and not by_name["broken"]["tasks"]
    assert [f["code"] for f in by_name["clash"]["findings"]] == [SAME_IMAGE]
    assert "medcube-test/many-good:0.1" in by_name["clash"]["findings"][0]["message"]


def test_expand_cubes(owner, tmp_path):
    bench, subs = owner
    assert [p.name for p in expand_cubes([subs], "model")] == ["broken", "good", "inverted"]
    assert expand_cubes([subs / "good"], "model") == [subs / "good"]
    (tmp_path / "empty").mkdir()
    from validator.errors import UserError

    with pytest.raises(UserError, match="neither a cube nor a folder holding cubes"):
        expand_cubes([tmp_path / "empty"], "model")
    with pytest.raises(UserError, match="no such file"):
        expand_cubes([tmp_path / "nothing"], "model")


def test_shard_splits_without_overlap():
    subs = [Submission(f"m{i}", "model") for i in range(7)]
    parts = [shard(subs, i, 3) for i in (1, 2, 3)]
    assert sorted(s.path for p in parts for s in p) == sorted(s.path for s in subs)
    assert [len(p) for p in parts] == [3, 2, 2]
    with pytest.raises(ValueError):
        shard(subs, 4, 3)


def test_usage_errors(owner, tmp_path):
    bench, subs = owner
    r = medcube("test", bench, "--model", tmp_path / "nothing", "--model", subs / "good", "--no-probes")
    assert r.returncode == 2 and "no such file or directory" in r.stderr
    r = medcube("test", bench, "--model", subs, "--shard", "3/2", "--no-probes")
    assert r.returncode == 2 and re.search(r"--shard", r.stderr)


def test_primary_metric_in_the_profile(owner):
    from validator.chain.benchmark import load_benchmark
    from validator.errors import UserError

    bench, _ = owner
    profile = bench / "benchmark.yaml"
    assert load_benchmark(bench).primary_metric == "Accuracy" and load_benchmark(bench).higher_is_better
    text = profile.read_text().replace("primary_metric: Accuracy\n", "")
    profile.write_text(text + "primary_metric: {name: Accuracy, higher_is_better: false}\n")
    assert load_benchmark(bench).higher_is_better is False
    profile.write_text(text + "primary_metric: AUC\n")
    with pytest.raises(UserError, match="not among contracts.results.required_keys") as e:
        load_benchmark(bench)
    assert e.value.line == len(text.splitlines()) + 1


def _report(tmp_path, name, subs, ok=None, bench="tiny"):
    data = {"ok": all(s[2] for s in subs) if ok is None else ok, "benchmark": bench, "primary_metric": "Accuracy",
            "higher_is_better": True, "tasks": [],
            "submissions": [{"path": p, "role": "model", "ok": good, "results": {"Accuracy": acc} if good else None,
                             "tasks": [], "findings": []} for p, acc, good in subs]}
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_merge_reports_reranks_across_shards(tmp_path):
    a = _report(tmp_path, "a.json", [("m1", 0.5, True), ("m3", None, False)])
    b = _report(tmp_path, "b.json", [("m2", 0.9, True), ("m4", 0.1, True)])
    out = tmp_path / "all.json"
    r = medcube("merge-reports", a, b, "-o", out)
    assert r.returncode == 1, r.stderr  # m3 failed in shard a
    merged = json.loads(out.read_text())
    assert [s["path"] for s in merged["submissions"]] == ["m2", "m1", "m4", "m3"]
    assert merged["ok"] is False and len(merged["preparations"]) == 2
    assert all(set(s) == SUBMISSION_KEYS for s in merged["submissions"])
    other = _report(tmp_path, "c.json", [("m5", 0.2, True)], bench="other")
    r = medcube("merge-reports", a, other)
    assert r.returncode == 2 and "benchmark is 'other'" in r.stderr
    (tmp_path / "bad.json").write_text("{not json")
    r = medcube("merge-reports", a, tmp_path / "bad.json")
    assert r.returncode == 2 and "bad.json: not a JSON report" in r.stderr


def test_failed_preparation_skips_every_submission(owner, tmp_path):
    """prepare writes nothing: no submission is built or run, each is reported as skipped, exit 1."""
    bench, subs = owner
    (bench / "prep" / "workspace" / "parameters.yaml").write_text("misbehave: {prepare: nothing}\n")
    report = tmp_path / "report.json"
    r = medcube("test", bench, "--model", subs / "good", "--model", subs / "inverted", "--no-probes",
                "--runner", "local", "--report", report, "--run-dir", tmp_path / "run")
    assert r.returncode == 1, r.stdout + r.stderr
    data = json.loads(report.read_text())
    assert [(t["task"], t["status"]) for t in data["tasks"]] == [
        ("prepare", "failed"), ("sanity_check", "skipped"), ("statistics", "skipped")]
    assert "MC701" in {f["code"] for t in data["tasks"] for f in t["findings"]}
    for s in data["submissions"]:
        assert not s["ok"] and [(t["task"], t["status"]) for t in s["tasks"]] == [("infer", "skipped")]
        assert s["tasks"][0]["message"] == "not run: the data preparation failed"
