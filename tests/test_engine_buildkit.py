"""Builds through BuildKit (the docker CLI), so BuildKit-only Dockerfile features build as they do for the cube's
author; the docker SDK's legacy builder is the fallback. Real builds on the real engine."""

from __future__ import annotations

import uuid

import pytest

from validator.engine.images import buildkit

pytestmark = pytest.mark.docker

CACHE_MOUNT = """\
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN --mount=type=cache,target=/var/cache/medcube-test echo cached > /var/cache/medcube-test/x && cat /var/cache/medcube-test/x
RUN echo built > /built.txt
"""


@pytest.fixture
def cli(docker_client):
    found = buildkit.find_cli()
    if found is None:
        pytest.fail("no docker CLI here can build with BuildKit (buildx, or a client older than 23 with "
                    "DOCKER_BUILDKIT=1): install docker.io or the buildx plugin", pytrace=False)
    return found


@pytest.fixture
def tag(docker_client):
    name = f"medcube-test/buildkit-{uuid.uuid4().hex[:8]}:0.1"
    yield name
    try:
        docker_client.images.remove(name, force=True)
    except Exception:
        pass


def test_cli_builds_a_cache_mount_the_legacy_builder_refuses(cli, tag, base_image, docker_client, tmp_path):
    (tmp_path / "Dockerfile").write_text(CACHE_MOUNT)
    seen: list[str] = []
    result = buildkit.build(cli, tmp_path, "Dockerfile", tag, buildargs={"BASE_IMAGE": base_image},
                            labels={"org.medcube.test": "1"}, network="none", on_line=seen.append)
    assert result.ok, result.log
    assert any(buildkit.STEP.match(line) for line in seen)  # BuildKit's plain progress, streamed line by line
    image = docker_client.images.get(tag)
    assert image.labels["org.medcube.test"] == "1"
    assert docker_client.containers.run(tag, ["cat", "/built.txt"], remove=True, network_mode="none") == b"built\n"

    # The SDK (legacy builder) cannot build the same file: the reason medcube prefers the CLI.
    with pytest.raises(Exception, match="--mount"):
        docker_client.images.build(path=str(tmp_path), tag=tag + "-legacy", buildargs={"BASE_IMAGE": base_image},
                                   rm=True, forcerm=True)


def test_failed_build_names_the_failing_step(cli, tag, base_image, tmp_path):
    (tmp_path / "Dockerfile").write_text("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo about to fail && exit 3\n")
    result = buildkit.build(cli, tmp_path, "Dockerfile", tag, buildargs={"BASE_IMAGE": base_image})
    assert not result.ok and "about to fail" in result.log
    assert "exit code: 3" in result.error


def test_build_that_runs_too_long_is_stopped(cli, tag, base_image, tmp_path):
    (tmp_path / "Dockerfile").write_text("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN sleep 600\n")
    result = buildkit.build(cli, tmp_path, "Dockerfile", tag, buildargs={"BASE_IMAGE": base_image}, timeout=5)
    assert not result.ok and result.timed_out and "longer than 5 s" in result.error


def test_medcube_builder_sdk_forces_the_fallback(monkeypatch):
    monkeypatch.setenv(buildkit.BUILDER_ENV, "sdk")
    assert buildkit.find_cli() is None


def test_a_cli_without_buildkit_is_not_chosen(tmp_path, monkeypatch):
    """A docker client >= 23 without the buildx plugin cannot use BuildKit (a stand-in script answers as one)."""
    fake = tmp_path / "docker"
    fake.write_text("#!/bin/sh\nif [ \"$1\" = version ]; then echo 28.2.2; exit 0; fi\nexit 1\n")
    fake.chmod(0o755)
    assert buildkit.probe(str(fake)) is None
    fake.write_text("#!/bin/sh\nif [ \"$1\" = version ]; then echo 20.10.24; exit 0; fi\nexit 1\n")
    assert buildkit.probe(str(fake)) == buildkit.Cli(str(fake), "20.10.24", buildx=False)


def _cube_copy(tmp_path, dockerfile_extra: str = "", first_line: str = ""):
    import shutil
    from pathlib import Path

    from validator.manifest.load import load_cube

    dest = tmp_path / "prep"
    shutil.copytree(Path(__file__).parent / "fixtures" / "engine" / "prep", dest)
    df = dest / "Dockerfile"
    df.write_text(first_line + df.read_text() + dockerfile_extra)
    cube = load_cube(dest)
    cube.image = f"medcube-test/buildkit-{uuid.uuid4().hex[:8]}:1"
    return cube


def test_cube_build_uses_buildkit_and_says_so(cli, docker_client, base_image, tmp_path, engine):
    from rich.console import Console

    from validator.engine.images.build import build_image

    cube = _cube_copy(tmp_path, "RUN --mount=type=cache,target=/root/.cache/medcube echo cache-mounted\n")
    out = tmp_path / "console.txt"
    with out.open("w") as f:
        console = Console(file=f, force_terminal=False, width=200)
        try:
            result = build_image(engine, cube, base_image=base_image, console=console, verbose=True)
        finally:
            try:
                docker_client.images.remove(cube.image, force=True)
            except Exception:
                pass
    assert result.status == "built", result.log_tail
    assert result.builder == cli.describe() and "with BuildKit" in result.message
    printed = out.read_text().splitlines()
    assert printed[0].startswith(f"building {cube.image} with BuildKit")  # one line when the build starts
    assert any(line.startswith("  | ") and "cache-mounted" in line for line in printed)  # -v: the log, streamed


def test_syntax_line_that_cannot_be_pulled_is_named(cli, docker_client, base_image, tmp_path, engine):
    from validator.engine.images.build import build_image

    cube = _cube_copy(tmp_path, first_line="# syntax=medcube-test/no-such-frontend:1\n")
    result = build_image(engine, cube, base_image=base_image)
    assert result.status == "failed" and [f.code for f in result.findings] == ["MC602"]
    assert "Dockerfile frontend medcube-test/no-such-frontend:1" in result.message
    assert "remove the `# syntax=` line" in result.findings[0].hint and result.findings[0].line == 1
