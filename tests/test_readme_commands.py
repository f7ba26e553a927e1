"""Every command of the README's "Using it" block runs as written, in order, in one empty folder.

The commands are read from README.md itself (the first ```bash block under "## Using it"), so a README that drifts
from the code fails here. Each line runs in bash with `medcube` on PATH (this tree's `python3 -m validator`); the
prompts of `medcube create` are answered with Enter (the defaults). `pip install -e .` is what scripts/test.sh
has done already and is not run again. The inputs the README names but does not make are prepared just before the
first command that uses them, as the paragraph under the block says: `images/` + `labels/` (the default chest
X-ray demo data), `benchmark.yaml` (a profile naming the three cubes made by the create commands), `medperf_cube/`
(model_mlcube's container_config.yaml and workspace only, as MedPerf keeps a cube) and `submissions/` (copies of
model_mlcube and my_cnn). Docker builds FROM the offline base image (MEDCUBE_BASE_IMAGE).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "chestxray"
PIP_LINE = "pip install -e ."


def readme_commands() -> list[str]:
    """The command lines of the "Using it" block: comment-only and blank lines dropped, comments kept (bash)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n## Using it\n"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README.md: no ```bash block under '## Using it'"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_the_block_is_read():
    commands = readme_commands()
    assert commands[0].startswith(PIP_LINE + " ")
    assert all(c.startswith("medcube ") for c in commands[1:]), [c for c in commands[1:] if not c.startswith("medcube ")]
    roles = {c.split()[2] for c in commands if c.startswith("medcube create ")}
    assert roles == {"data_preparator", "model", "evaluator"}
    used = {c.split()[1] for c in commands[1:]}
    assert {"create", "validate", "test", "package", "verify-package", "convert", "schema", "package-demo",
            "merge-reports"} <= used, used


# ---------------------------------------------------------------- inputs the README names and does not make


def _demo_raw(work: Path) -> None:
    bench = yaml.safe_load((EXAMPLE / "benchmark.yaml").read_text())
    tmp = work / ".demo"
    with tarfile.open(EXAMPLE / bench["demo_data"]["path"]) as tar:
        tar.extractall(tmp)
    paths = yaml.safe_load((tmp / "paths.yaml").read_text())
    shutil.move(str(tmp / paths["data_path"]), work / "images")
    shutil.move(str(tmp / paths["labels_path"]), work / "labels")
    shutil.rmtree(tmp)


def _benchmark(work: Path) -> None:
    profile = yaml.safe_load((EXAMPLE / "benchmark.yaml").read_text())
    profile.update(name="my-benchmark", data_preparator="data_preparator_mlcube", model="model_mlcube",
                   metrics="metrics_mlcube", demo_data={"path": "demo_data.tar.gz"})
    (work / "benchmark.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))


def _medperf_cube(work: Path) -> None:
    cube = work / "medperf_cube"
    (cube / "workspace").mkdir(parents=True)
    shutil.copy(work / "model_mlcube/container_config.yaml", cube)
    shutil.copytree(work / "model_mlcube/mlcube/workspace", cube / "workspace", dirs_exist_ok=True)


def _submissions(work: Path) -> None:
    for name in ("model_mlcube", "my_cnn"):
        shutil.copytree(work / name, work / "submissions" / name, ignore=shutil.ignore_patterns("deploy", ".medcube"))


INPUTS = [("images/", "images", _demo_raw), ("benchmark.yaml", "benchmark.yaml", _benchmark),
          ("medperf_cube", "medperf_cube", _medperf_cube), ("submissions/", "submissions", _submissions)]


def prepare_inputs(command: str, work: Path) -> None:
    for token, made, make in INPUTS:
        if token in command.split("#")[0] and not (work / made).exists():
            make(work)


# ---------------------------------------------------------------- the run


@pytest.mark.docker
@pytest.mark.slow
def test_every_readme_command_runs_as_written(tmp_path, base_image):
    work = tmp_path / "work"
    work.mkdir()
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "medcube").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m validator "$@"\n')
    (shim / "medcube").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ.get('PATH', '')}", "MEDCUBE_BASE_IMAGE": base_image,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "HOME": str(tmp_path / "home")}  # no ~/.cookiecutterrc of the machine's user
    commands = readme_commands()
    assert commands[0].startswith(PIP_LINE)  # done by scripts/test.sh
    for command in commands[1:]:
        prepare_inputs(command, work)
        start = time.monotonic()
        proc = subprocess.run(["bash", "-c", command], cwd=work, env=env, input="\n" * 40, capture_output=True,
                              text=True, timeout=900)
        assert proc.returncode == 0, (f"README command failed (exit {proc.returncode}): {command}\n"
                                      f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
        print(f"{time.monotonic() - start:6.1f} s  {command.split('#')[0].strip()}")  # shown with -s / on failure
    for made in ("data_preparator_mlcube", "model_mlcube", "metrics_mlcube", "my_metrics", "my_cnn",
                 "report.html", "my_cnn/deploy", "model_config.yaml", "container_config.schema.json",
                 "demo_data.tar.gz", "junit.xml", "shard-1.json", "shard-2.json", "leaderboard.json"):
        assert (work / made).exists(), made
    assert yaml.safe_load((work / "my_metrics/container_config.yaml").read_text())["image"] == "myorg/metrics:0.1.0"
