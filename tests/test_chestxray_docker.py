"""The chest X-ray cubes build offline from the base image and run under the benchmark rules.

Each image is built with `--build-arg BASE_IMAGE=<offline base>`, then the chain runs in containers as
MedPerf runs them: `--network none`, a non-root uid, inputs mounted read-only at the container_config.yaml
mount paths, the task's `run_args.command` as the arguments.
"""

from __future__ import annotations

import os
import shlex
import tarfile
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.docker, pytest.mark.slow]

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "chestxray"
UID = "1000:1000"


def _open_up(path: Path, writable: bool):
    """Let the container's uid read (and for outputs write) a host folder or file."""
    mode_dir, mode_file = (0o777, 0o666) if writable else (0o755, 0o644)
    paths = [path, *path.rglob("*")] if path.is_dir() else [path]
    for p in paths:
        os.chmod(p, mode_dir if p.is_dir() else mode_file)


@pytest.fixture(scope="module")
def images(docker_client, base_image):
    tags, built = {}, {}
    for cube in ("data_preparator", "model", "metrics"):
        config = yaml.safe_load((EXAMPLE / cube / "container_config.yaml").read_text())
        image, _ = docker_client.images.build(path=str(EXAMPLE / cube / "project"), tag=config["image"],
                                              buildargs={"BASE_IMAGE": base_image}, rm=True, network_mode="none")
        tags[cube] = config
        built[config["image"]] = image.id
    yield tags
    # Untag what was built here, as MedPerf would build it (no medcube labels): left in place, these tags would make
    # every later `medcube test` of the example build untagged (a tag medcube did not build is never replaced).
    for tag, image_id in built.items():
        try:
            if docker_client.images.get(tag).id == image_id:
                docker_client.images.remove(tag)
        except Exception:
            pass


def run_task(docker_client, config, task, host_paths):
    """Run one task of a container_config.yaml cube; host_paths: volume label -> host path."""
    spec = config["tasks"][task]
    volumes = {}
    for kind, mode in (("input_volumes", "ro"), ("output_volumes", "rw")):
        for label, vol in (spec.get(kind) or {}).items():
            host = Path(host_paths[label])
            if vol["type"] == "file":
                host.parent.mkdir(parents=True, exist_ok=True)
                if mode == "rw":  # bind the folder: the task creates the file
                    _open_up(host.parent, True)
                    volumes[str(host.parent)] = {"bind": str(Path(vol["mount_path"]).parent), "mode": mode}
                    continue
            else:
                host.mkdir(parents=True, exist_ok=True)
            _open_up(host, mode == "rw")
            volumes[str(host)] = {"bind": vol["mount_path"], "mode": mode}
    return docker_client.containers.run(config["image"], command=shlex.split(spec["run_args"]["command"]),
                                        user=UID, network_mode="none", volumes=volumes, remove=True,
                                        stdout=True, stderr=True).decode()


def test_chain_in_containers(docker_client, images, tmp_path):
    with tarfile.open(EXAMPLE / "demo_data/demo_data_dicom.tar.gz") as tar:  # benchmark-dicom.yaml's demo data
        tar.extractall(tmp_path / "demo")
    paths = yaml.safe_load((tmp_path / "demo/paths.yaml").read_text())
    raw_images, raw_labels = tmp_path / "demo" / paths["data_path"], tmp_path / "demo" / paths["labels_path"]
    prep_params = EXAMPLE / "data_preparator/mlcube/workspace/parameters.yaml"
    w = tmp_path / "work"
    prep = images["data_preparator"]

    out = run_task(docker_client, prep, "prepare", {
        "data_path": raw_images, "labels_path": raw_labels, "parameters_file": prep_params,
        "output_path": w / "data", "output_labels_path": w / "labels", "metadata_path": w / "metadata"})
    assert "40 record(s) prepared" in out
    prepared = {"data_path": w / "data", "labels_path": w / "labels", "parameters_file": prep_params}
    assert "passed" in run_task(docker_client, prep, "sanity_check", prepared)
    run_task(docker_client, prep, "statistics", {**prepared, "metadata_path": w / "metadata",
                                                 "output_path": w / "statistics/statistics.yaml"})
    stats = yaml.safe_load((w / "statistics/statistics.yaml").read_text())
    assert stats["num_cases"] == 40
    n_dicom = len(list(raw_images.glob("*.dcm")))
    assert n_dicom > 0 and stats["source_formats"] == {"dicom": n_dicom, "png": 40 - n_dicom}

    model_ws = EXAMPLE / "model/mlcube/workspace"
    run_task(docker_client, images["model"], "infer", {
        "data_path": w / "data", "parameters_file": model_ws / "parameters.yaml",
        "additional_files": model_ws / "additional_files", "output_path": w / "predictions"})
    assert (w / "predictions/predictions.json").is_file()

    run_task(docker_client, images["metrics"], "evaluate", {
        "predictions": w / "predictions", "labels": w / "labels",
        "parameters_file": EXAMPLE / "metrics/mlcube/workspace/parameters.yaml",
        "output_path": w / "results/results.yaml"})
    results = yaml.safe_load((w / "results/results.yaml").read_text())
    assert 0 <= results["Accuracy"] <= 1 and 0 <= results["AUC"] <= 1
