"""Shared pytest fixtures.

Docker: tests marked ``@pytest.mark.docker`` need a real engine. ``scripts/setup-engine.sh`` installs and starts one
and builds the offline base image. Without an engine such tests are skipped locally and fail under ``CI=true``.
The same rule holds for the MLCube client (``mlcube_cli``), which ``scripts/test.sh`` installs into its own venv.
"""

from __future__ import annotations

import os
import shutil

import pytest

DEFAULT_BASE_IMAGE = "medcube/base:bookworm"
SETUP_HINT = "run `bash scripts/setup-engine.sh` (installs and starts dockerd, builds the offline base image)"
# hadolint's findings (MC510) depend on whether hadolint is installed: every test expects medcube's own findings,
# and tests/test_hadolint.py turns hadolint on where it checks it (subprocesses inherit this too).
os.environ["MEDCUBE_HADOLINT"] = "0"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(message: str) -> None:
    """Fail under CI (the engine is part of the CI contract), skip elsewhere."""
    if _in_ci():
        pytest.fail(f"{message}; {SETUP_HINT}", pytrace=False)
    pytest.skip(f"{message}; {SETUP_HINT}")


# ---------------------------------------------------------------- docker


@pytest.fixture(scope="session")
def docker_client():
    """A docker SDK client connected to a live engine (the API version is negotiated with the engine)."""
    try:
        import docker
    except ImportError:  # pragma: no cover - docker is a project dependency
        _unavailable("the docker Python SDK is not installed")
    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:  # DockerException, requests' ConnectionError, permission errors on the socket
        _unavailable(f"no Docker engine answers ({type(exc).__name__}: {exc})")
    yield client
    client.close()


@pytest.fixture(scope="session")
def engine(docker_client):
    """medcube's own engine client (validator.engine.client.api), connected to the same engine as ``docker_client``."""
    from validator.engine.client.connect import connect

    return connect()


@pytest.fixture(scope="session")
def base_image(docker_client) -> str:
    """Name of the offline base image cubes are built FROM in tests (build arg BASE_IMAGE)."""
    import docker

    name = os.environ.get("MEDCUBE_BASE_IMAGE", DEFAULT_BASE_IMAGE)
    try:
        docker_client.images.get(name)
    except docker.errors.ImageNotFound:
        _unavailable(f"base image {name!r} does not exist")
    return name


@pytest.fixture(autouse=True)
def _docker_marker(request):
    """Tests marked ``docker`` get the engine check of ``docker_client`` (skip, or fail under CI)."""
    if request.node.get_closest_marker("docker") is not None:
        request.getfixturevalue("docker_client")


# ---------------------------------------------------------------- mlcube


@pytest.fixture(scope="session")
def mlcube_cli() -> str:
    """Path of the real MLCube client (mlcube==0.0.9 + mlcube-docker), to check generated cubes against.

    It lives in its own venv (its pins conflict with medcube's): ``MEDCUBE_MLCUBE`` as exported by
    ``scripts/test.sh``, else an ``mlcube`` on PATH.
    """
    path = os.environ.get("MEDCUBE_MLCUBE") or shutil.which("mlcube")
    if not path or not os.access(path, os.X_OK):
        if _in_ci():
            pytest.fail("the mlcube client is not installed; run `bash scripts/test.sh` (it installs it)", pytrace=False)
        pytest.skip("the mlcube client is not installed; `bash scripts/test.sh` installs it into .cache/mlcube-venv")
    return path


# ---------------------------------------------------------------- static corpus


@pytest.fixture(scope="session")
def broken_corpus(tmp_path_factory):
    """The broken cubes of tests/static_cubes.py, built once per run: a folder with a cube per case (read only)."""
    import static_cubes

    return static_cubes.build(tmp_path_factory.mktemp("broken"))


# ---------------------------------------------------------------- hostile corpus


@pytest.fixture(scope="session")
def hostile_cubes(tmp_path_factory):
    """The hostile cubes of tests/hostile_cubes.py, written once per run: a folder with a cube per name (read only)."""
    import hostile_cubes

    return hostile_cubes.build(tmp_path_factory.mktemp("hostile"))


# ---------------------------------------------------------------- engine benchmark


@pytest.fixture
def bench(tmp_path):
    """A copy of the engine tests' tiny benchmark (tests/fixtures/engine), free to change: its folder."""
    dest = tmp_path / "bench"
    shutil.copytree(os.path.join(os.path.dirname(__file__), "fixtures", "engine"), dest)
    return dest
