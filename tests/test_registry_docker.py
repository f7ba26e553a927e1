"""A benchmark registered on a (stand-in) MedPerf server, tested with a local model, runs the real chain in Docker and
gives the same metrics as the same chain run from the local folders; the token is in no output and no file.
The stand-in server (tests/medperf_standin.py) is the one thing mocked: no MedPerf server is reachable from here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from medperf_standin import TOKEN
from test_registry import medcube, server_args, standin  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _files(*roots: Path):
    for root in roots:
        for p in root.rglob("*"):
            if p.is_file() and not p.is_symlink():
                yield p


def test_registered_benchmark_with_a_local_model_gives_the_local_folders_metrics(standin, tmp_path):  # noqa: F811
    env = {"MEDCUBE_CACHE_DIR": str(tmp_path / "cache")}
    local = medcube("test", "examples/chestxray", "-m", "examples/chestxray/model", "--no-probes",
                    "--report", str(tmp_path / "local.json"), "--run-dir", str(tmp_path / "run-local"), env=env)
    assert local.returncode == 0, local.stdout + local.stderr
    # the probes that run no task of their own (inputs, permissions, network) run too; determinism and rerun, each
    # a whole infer again, are left to the probes' own tests
    registered = medcube("test", "--medperf-benchmark", "1", *server_args(standin), "-m", "examples/chestxray/model",
                         "--no-probe", "determinism", "--no-probe", "rerun", "--report", str(tmp_path / "registered.json"), "--html", str(tmp_path / "registered.html"),
                         "--run-dir", str(tmp_path / "run-registered"), env=env)
    assert registered.returncode == 0, registered.stdout + registered.stderr
    assert "MedPerf benchmark 1 on " + standin.url in registered.stderr
    assert "token: MEDPERF_TOKEN" in registered.stderr
    mine = json.loads((tmp_path / "local.json").read_text())
    theirs = json.loads((tmp_path / "registered.json").read_text())
    assert mine["results"] and theirs["results"] == mine["results"]
    # the registered preparator and metrics ran as config-only cubes from the benchmark folder, the model locally
    cubes = {t["task"]: t["cube"] for t in theirs["tasks"]}
    assert "medperf/benchmarks" in cubes["prepare"] and "medperf/benchmarks" in cubes["evaluate"]
    assert cubes["infer"].endswith("examples/chestxray/model")
    ran = {p["name"]: p["status"] for p in theirs["probes"]}
    assert ran["inputs"] == ran["permissions"] == ran["network"] == "passed", ran
    assert (tmp_path / "run-registered" / "report.html").is_file()
    # the token: in no output, in no file written (reports, run folders, the cache)
    assert TOKEN not in local.stdout + local.stderr + registered.stdout + registered.stderr
    for p in _files(tmp_path):
        assert TOKEN.encode() not in p.read_bytes(), p
    # once passed, `medcube package` prints the association with the benchmark's UID
    package = medcube("package", "examples/chestxray/model", "-o", str(tmp_path / "deploy"), env=env)
    assert package.returncode == 0, package.stderr
    assert "medperf model associate --benchmark 1 --model_uid MODEL_UID" in package.stdout
    # a second run fetches no file
    before = len(standin.file_requests())
    again = medcube("validate", "--medperf-benchmark", "1", *server_args(standin), "examples/chestxray/model",
                    "--format", "json", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(standin.file_requests()) == before


def test_pull_of_a_registered_image_that_cannot_be_pulled_stops_before_the_chain(tmp_path):
    # The real engine, offline: the pull fails, and says which registered cube and image. (A registry to pull a
    # matching or a changed digest from cannot be reached here; digest_matches is tested on given digests.)
    from validator.errors import RegistryError
    from validator.registry.images import check_images
    from validator.registry.profile import RegisteredCube

    cube = RegisteredCube("metrics", 3, "m", "registry.invalid/medcube/none:0.1.0", "sha256:" + "ab" * 32, tmp_path)
    with pytest.raises(RegistryError) as e:
        check_images([cube], pull=True)
    assert "the evaluator container 3: its registered image registry.invalid/medcube/none:0.1.0 could not be pulled" \
        in e.value.message
    assert check_images([cube], pull=False) == []  # not present, not pulled: the chain's build stage says so
