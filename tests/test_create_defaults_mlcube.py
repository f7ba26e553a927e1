"""The three cubes `medcube create ROLE --no-input` makes run together under the MLCube client, unchanged.

MedPerf's `container create` gives every role the image docker/image:latest: three cubes made with the defaults,
built one after another, overwrite each other's image (then no task of the chain runs). medcube's defaults are one
image per role, so the defaults alone make a working chain. Real builds, real MLCube client, real containers.
"""

from __future__ import annotations

import subprocess

import pytest
import yaml
from test_templates import build, check_chain_outputs, make_raw_data, mlcube_cli

from validator.create import create

ROLES = ("data_preparator", "model", "metrics")


@pytest.fixture(scope="module")
def default_trio(tmp_path_factory, docker_client, base_image):
    import docker

    root = tmp_path_factory.mktemp("defaults")
    trio = {role: create(role, root, no_input=True) for role in ROLES}
    images = {role: yaml.safe_load((cube / "container_config.yaml").read_text())["image"] for role, cube in trio.items()}
    assert len(set(images.values())) == 3, images
    existed = set()
    for role, cube in trio.items():
        try:
            docker_client.images.get(images[role])
            existed.add(images[role])  # not ours: leave it in place afterwards
        except docker.errors.ImageNotFound:
            pass
        build(docker_client, cube, images[role], base_image)
    yield trio, images
    for image in images.values():
        for container in docker_client.containers.list(all=True, filters={"ancestor": image}):
            container.remove(force=True)
        if image not in existed:
            try:
                docker_client.images.remove(image, force=True)
            except docker.errors.APIError:
                pass


@pytest.mark.docker
@pytest.mark.slow
def test_default_cubes_run_together_under_the_mlcube_client(default_trio, tmp_path):
    cli = mlcube_cli()
    trio, _ = default_trio
    raw = make_raw_data(tmp_path / "raw", count=6)
    out = tmp_path / "out"
    steps = [
        ("data_preparator", "prepare", {"data_path": raw / "images", "labels_path": raw / "labels",
                                        "output_path": out / "data", "output_labels_path": out / "labels"}),
        ("data_preparator", "sanity_check", {"data_path": out / "data", "labels_path": out / "labels"}),
        ("data_preparator", "statistics", {"data_path": out / "data", "labels_path": out / "labels",
                                           "output_path": out / "statistics/statistics.yaml"}),
        ("model", "infer", {"data_path": out / "data", "output_path": out / "predictions"}),
        ("metrics", "evaluate", {"predictions": out / "predictions", "labels": out / "labels",
                                 "output_path": out / "results/results.yaml"}),
    ]
    for role, name, paths in steps:
        args = [f"{label}={path}" for label, path in paths.items()]
        proc = subprocess.run([*cli, "run", f"--mlcube={trio[role] / 'mlcube'}", f"--task={name}", "--platform=docker",
                               *args], capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert proc.returncode == 0, f"mlcube run {role} {name}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    check_chain_outputs(out, 6)
