"""A small correct model cube of another benchmark than the bundled chest X-ray one (BraTS-like: it reads a `cases/`
folder of .nii.gz files and exits 1 without one), and variants of it, written for the run-stage tests
(tests/test_run_stage_docker.py). `python tests/other_benchmark_cube.py DIR` writes it out to look at it."""

from __future__ import annotations

import sys
from pathlib import Path

CONFIG = """\
container_type: DockerImage
image: medcube-test/brats-like-model:{tag}
tasks:
  infer:
    run_args:
      command: infer --data_path=/mlcommons/volumes/data --parameters_file=/mlcommons/volumes/parameters/parameters.yaml --output_path=/mlcommons/volumes/predictions
    input_volumes:
      data_path:
        mount_path: /mlcommons/volumes/data
        type: directory
      parameters_file:
        mount_path: /mlcommons/volumes/parameters/parameters.yaml
        type: file
    output_volumes:
      output_path:
        mount_path: /mlcommons/volumes/predictions
        type: directory
"""
DOCKERFILE = """\
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
COPY project /mlcube_project
USER 1000:1000
ENTRYPOINT ["python3", "/mlcube_project/mlcube.py"]
"""
PARAMETERS = "modalities: [t1, t1ce, t2, flair]\nsegmentation_labels: [1, 2, 4]\n"
MLCUBE_PY = '''\
"""A BraTS-like model: one segmentation per case of data_path/cases/*.nii.gz."""
import shutil
import sys
from pathlib import Path

import typer
{extra_import}
app = typer.Typer()


@app.command("infer")
def infer(data_path: str = typer.Option(..., "--data_path"),
          parameters_file: str = typer.Option(..., "--parameters_file"),
          output_path: str = typer.Option(..., "--output_path")):
    cases = sorted(Path(data_path, "cases").glob("*.nii.gz"))
    if not cases:
        print(f"no BraTS cases in {{data_path}}/cases", file=sys.stderr)
        sys.exit(1)
    for case in cases:
        shutil.copyfile(case, Path(output_path) / case.name.replace(".nii.gz", "_seg.nii.gz"))


@app.command("hotfix")
def hotfix():
    pass


if __name__ == "__main__":
    app()
'''


def write(dest: Path, tag: str = "0.1", extra_import: str = "") -> Path:
    """The cube at ``dest``; ``extra_import``: a line added to its imports (e.g. a module the image lacks)."""
    (dest / "project").mkdir(parents=True)
    (dest / "workspace").mkdir()
    (dest / "container_config.yaml").write_text(CONFIG.format(tag=tag), encoding="utf-8")
    (dest / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    (dest / "workspace" / "parameters.yaml").write_text(PARAMETERS, encoding="utf-8")
    (dest / "project" / "mlcube.py").write_text(MLCUBE_PY.format(extra_import=extra_import), encoding="utf-8")
    (dest / "project" / "requirements.txt").write_text("typer\n", encoding="utf-8")
    return dest


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/other_benchmark_cube.py DIR")
    print(write(Path(sys.argv[1])))
