"""The three cubes `medcube create ROLE --no-input` makes run together under the MLCube client, unchanged.

MedPerf's `container create` gives every role the image docker/image:latest: three cubes made with the defaults,
built one after another, overwrite each other's image (then no task of the chain runs). medcube's defaults are one
image per role, so the defaults alone make a working chain. Real builds, real MLCube client, real containers.
"""

from __future__ import annotations

import pytest
import yaml
from test_templates import build, remove_images, run_chain_under_mlcube

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
    remove_images(docker_client, images.values(), keep=existed)


@pytest.mark.docker
@pytest.mark.slow
def test_default_cubes_run_together_under_the_mlcube_client(default_trio, tmp_path):
    run_chain_under_mlcube(default_trio[0], tmp_path)
