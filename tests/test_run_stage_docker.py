"""The run stage against the real engine: run_args.entrypoint run as MedPerf runs it (one --entrypoint word), the
entrypoint --help probe after a build (a crash at import is an error before the chain; a good cube says nothing),
and `validate` without --benchmark on a correct cube of another benchmark (built and probed, exit 0, the benchmark
it needs named) while a chest X-ray cube still gets its smoke run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from validator.chain.options import RunOptions
from validator.commands.validate import validate_run
from validator.engine.images.build import build_image
from validator.engine.limits import Limits
from validator.engine.tasks.docker import DockerRunner
from validator.engine.tasks.plan import plan_task
from validator.manifest.load import load_cube

sys.path.insert(0, str(Path(__file__).parent))
import other_benchmark_cube  # noqa: E402

pytestmark = pytest.mark.docker
ROOT = Path(__file__).resolve().parents[1]
ENGINE = Path(__file__).parent / "fixtures" / "engine"


def medcube(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "validator", *args], capture_output=True, text=True, timeout=600,
                          cwd=cwd)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


# -- run_args.entrypoint: one word, as MedPerf passes it ------------------------------------------------------------
@pytest.mark.parametrize("run_args,runs", [
    ("      entrypoint: python3 /project/infer.py\n      command: --out /mlcommons/volumes/predictions\n", False),
    ("      entrypoint: python3\n      command: /project/infer.py --out /mlcommons/volumes/predictions\n", True),
])
def test_run_args_entrypoint_runs_as_medperf_runs_it(tmp_path, engine, base_image, run_args, runs):
    cube_dir = tmp_path / "cube"
    (cube_dir / "project").mkdir(parents=True)
    (cube_dir / "project" / "infer.py").write_text(
        "import sys, pathlib\npathlib.Path(sys.argv[2], 'done.txt').write_text('ok')\n", encoding="utf-8")
    (cube_dir / "Dockerfile").write_text("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY project /project\n", encoding="utf-8")
    (cube_dir / "container_config.yaml").write_text(
        f"container_type: DockerImage\nimage: medcube-test/entrypoint-word:1\ntasks:\n  infer:\n"
        f"    run_args:\n{run_args}    output_volumes:\n"
        "      output_path: {mount_path: /mlcommons/volumes/predictions, type: directory}\n", encoding="utf-8")
    cube = load_cube(cube_dir)
    assert build_image(engine, cube, base_image=base_image).ok
    runner = DockerRunner(engine, Limits.from_options(timeout=60, memory="1g"), f"test-{uuid.uuid4().hex[:8]}")
    try:
        plan = plan_task(cube, "infer", {"output_path": tmp_path / "out"})
        result = runner.run(cube, plan, tmp_path / "logs" / "infer.log")
    finally:
        runner.cleanup()
    word = plan.entrypoint[0] if plan.entrypoint else None
    assert result.command[result.command.index("--entrypoint") + 1] == word  # the one word, in the docker run line
    assert (result.status == "passed") is runs, (result.status, result.message)
    assert (tmp_path / "out" / "done.txt").is_file() is runs
    if not runs:  # the engine looked for an executable named "python3 /project/infer.py"
        assert "python3 /project/infer.py" in result.message


# -- the entrypoint --help probe -------------------------------------------------------------------------------------
def _bench(tmp_path: Path, broken: bool) -> Path:
    bench = tmp_path / "bench"
    shutil.copytree(ENGINE, bench)
    if broken:  # the model's entrypoint imports a module its image lacks
        script = bench / "model" / "project" / "mlcube.py"
        script.write_text(script.read_text().replace("import yaml\n", "import yaml\nimport nibabel_is_not_here\n", 1))
        mlcube = bench / "model" / "mlcube" / "mlcube.yaml"
        mlcube.write_text(mlcube.read_text().replace("tiny-model:0.1", "tiny-model-broken:1"))
    return bench


def test_a_missing_module_is_an_error_before_the_chain(tmp_path, base_image, cache):
    bench = _bench(tmp_path, broken=True)
    findings, report = validate_run(bench / "model", bench, RunOptions(base_image=base_image))
    crash = [f for f in findings if f.code == "MC811"]
    assert len(crash) == 1 and crash[0].is_error, findings
    assert "task infer" in crash[0].message
    assert crash[0].message.endswith("ModuleNotFoundError: No module named 'nibabel_is_not_here'")
    assert report.tasks and all(t.status == "skipped" for t in report.tasks)  # the chain did not run
    assert not [f for f in findings if f.code == "MC610"]
    log = next((report.run_dir / "logs").glob("help-model-infer.log")).read_text()
    assert "Traceback" in log


def test_a_good_cube_gets_no_help_finding_and_its_chain(tmp_path, base_image, cache):
    bench = _bench(tmp_path, broken=False)
    findings, report = validate_run(bench / "model", bench, RunOptions(base_image=base_image))
    assert findings == [] and report.ok, findings
    assert [t.status for t in report.tasks] == ["passed"] * 5
    assert (report.run_dir / "logs" / "help-model-infer.log").is_file()  # it was asked


# -- validate without --benchmark ------------------------------------------------------------------------------------
def test_validate_passes_a_correct_cube_of_another_benchmark_and_names_what_it_needs(tmp_path, base_image, cache):
    cube = other_benchmark_cube.write(tmp_path / "brats_model")
    done = medcube("validate", "--format", "json", "--base-image", base_image, str(cube), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    doc = json.loads(done.stdout)
    run = doc["cubes"][0]["run"]
    assert run["builds"] and run["tasks"] == []  # built, not run in the chest X-ray chain
    codes = [f["code"] for f in doc["cubes"][0]["findings"] + run["findings"]]
    assert "MC632" in codes and "MC610" not in codes and "MC811" not in codes
    text = medcube("validate", "--format", "text", "--base-image", base_image, str(cube), cwd=tmp_path)
    assert text.returncode == 0 and "--benchmark" in text.stdout + text.stderr
    # the same cube whose entrypoint crashes at import: an error, with no chain to run
    broken = other_benchmark_cube.write(tmp_path / "broken", tag="crash",
                                        extra_import="import nibabel_is_not_here")
    failed = medcube("validate", "--format", "json", "--base-image", base_image, str(broken), cwd=tmp_path)
    assert failed.returncode == 1
    assert "MC811" in [f["code"] for f in json.loads(failed.stdout)["cubes"][0]["run"]["findings"]]


def test_a_chest_xray_cube_without_a_benchmark_beside_it_still_gets_the_smoke_run(tmp_path, base_image, cache):
    shutil.copytree(ROOT / "examples" / "chestxray" / "metrics", tmp_path / "my_metrics")
    done = medcube("validate", "--format", "json", "--base-image", base_image, str(tmp_path / "my_metrics"),
                   cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run = json.loads(done.stdout)["cubes"][0]["run"]
    assert [t["status"] for t in run["tasks"]] == ["passed"] * 5
    assert any("interface" in n for n in run.get("notes", [])), run.get("notes")


def test_many_submissions_a_crashing_entrypoint_fails_alone_before_its_run(tmp_path, base_image, cache):
    bench = _bench(tmp_path, broken=False)
    subs = tmp_path / "submissions"
    shutil.copytree(bench / "model", subs / "good")
    shutil.copytree(_bench(tmp_path / "b", broken=True) / "model", subs / "crash")
    good_cfg = subs / "good" / "mlcube" / "mlcube.yaml"
    good_cfg.write_text(good_cfg.read_text().replace("tiny-model:0.1", "tiny-model-good-submission:1"))
    report = tmp_path / "report.json"
    every_probe = "gpu,inputs,permissions,network,determinism,rerun,faults"  # the --help probe stays on
    done = medcube("test", str(bench), "--model", str(subs / "good"), "--model", str(subs / "crash"),
                   "--no-probe", every_probe, "--runner", "docker", "--base-image", base_image, "--report",
                   str(report), cwd=tmp_path)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    by_name = {Path(s["path"]).name: s for s in json.loads(report.read_text())["submissions"]}
    assert by_name["good"]["ok"] and "MC811" not in {f["code"] for f in by_name["good"]["findings"]}
    assert [f["code"] for f in by_name["crash"]["findings"]] == ["MC811"] and by_name["crash"]["tasks"] == []
