"""The engine enforces the benchmark rules: no network, non-root user, read-only inputs, writable outputs.

Also checks the offline base image: its Python stack imports, and a Dockerfile built FROM it can
`pip install -r requirements.txt` without network when every requirement is already satisfied.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

PROBE = r"""
import json, os, socket

result = {"uid": os.getuid(), "gid": os.getgid()}
result["read"] = open("/in/input.txt").read()

def try_write(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        return "ok"
    except OSError as e:
        return f"{type(e).__name__}: errno {e.errno}"

result["write_ro"] = try_write("/in/new.txt")
result["overwrite_ro"] = try_write("/in/input.txt")
result["write_rw"] = try_write("/out/result.txt")
result["write_tmp"] = try_write("/tmp/scratch.txt")

result["interfaces"] = sorted(os.listdir("/sys/class/net"))
try:
    socket.getaddrinfo("pypi.org", 443)
    result["dns"] = "resolved"
except OSError as e:
    result["dns"] = f"{type(e).__name__}"
try:
    s = socket.create_connection(("1.1.1.1", 443), timeout=3)
    s.close()
    result["connect"] = "connected"
except OSError as e:
    result["connect"] = f"{type(e).__name__}: errno {e.errno}"

print(json.dumps(result))
"""


def _run(client, image, command, **kwargs) -> str:
    out = client.containers.run(image, command, remove=True, stdout=True, stderr=False, **kwargs)
    return out.decode()


def test_benchmark_rules_are_enforced(docker_client, base_image, tmp_path):
    inputs = tmp_path / "in"
    outputs = tmp_path / "out"
    inputs.mkdir()
    outputs.mkdir()
    (inputs / "input.txt").write_text("medcube input\n")
    # uid 1000 must read the inputs and write the outputs (tmp_path itself is 0700 root-owned; only the mounted
    # folders' own permissions matter inside the container).
    inputs.chmod(0o755)
    (inputs / "input.txt").chmod(0o644)
    outputs.chmod(0o777)

    out = _run(
        docker_client,
        base_image,
        ["python3", "-c", PROBE],
        network_mode="none",
        user="1000:1000",
        volumes={
            str(inputs): {"bind": "/in", "mode": "ro"},
            str(outputs): {"bind": "/out", "mode": "rw"},
        },
    )
    result = json.loads(out.strip().splitlines()[-1])

    assert (result["uid"], result["gid"]) == (1000, 1000)
    assert result["read"] == "medcube input\n"
    # EROFS (30): the read-only bind mount refuses new files and changes to existing ones
    assert result["write_ro"].endswith("errno 30"), result
    assert result["overwrite_ro"].endswith("errno 30"), result
    assert result["write_rw"] == "ok", result
    assert result["write_tmp"] == "ok", result
    assert (outputs / "result.txt").read_text() == "x"
    assert (outputs / "result.txt").stat().st_uid == 1000
    assert (inputs / "input.txt").read_text() == "medcube input\n"
    assert not (inputs / "new.txt").exists()
    # no network: loopback only, no name resolution, no route out
    assert result["interfaces"] == ["lo"], result
    assert result["dns"] == "gaierror", result
    assert result["connect"] != "connected", result


def test_base_image_python_stack(docker_client, base_image):
    out = _run(
        docker_client,
        base_image,
        [
            "python",
            "-c",
            "import numpy, yaml, PIL, pydicom, torch, typer, jsonschema, json; "
            "print(json.dumps({'torch': torch.__version__, 'sum': float(torch.ones(2, 3).sum()), "
            "'pydicom': pydicom.__version__}))",
        ],
        network_mode="none",
        user="1000:1000",
    )
    result = json.loads(out.strip().splitlines()[-1])
    assert result["sum"] == 6.0
    assert result["torch"].startswith("1.13")
    assert result["pydicom"].startswith("2.3")


def test_base_image_was_made_by_the_current_recipe(docker_client, base_image):
    """setup-engine.sh labels the image with its recipe key and rebuilds an image whose label differs: an image
    made by an older package list (or before the label existed) would fail here, and be rebuilt by the script."""
    script = (Path(__file__).resolve().parents[1] / "scripts/setup-engine.sh").read_text()
    values = {name: re.search(rf'^{name}="?([^"\n]*)"?$', script, re.M).group(1)
              for name in ("SUITE", "PACKAGES", "RECIPE_VERSION")}
    key = hashlib.sha256("|".join(values[n] for n in ("SUITE", "PACKAGES", "RECIPE_VERSION")).encode()).hexdigest()[:12]
    assert "python3-pydicom" in values["PACKAGES"].split(",")
    labels = docker_client.images.get(base_image).labels or {}
    assert labels.get("medcube.base.recipe") == key, (
        f"{base_image} has recipe label {labels.get('medcube.base.recipe')!r}, the script's recipe is {key}: "
        "run `bash scripts/setup-engine.sh` to rebuild it")


@pytest.mark.slow
def test_offline_pip_install_of_satisfied_requirements(docker_client, base_image):
    """A cube's `RUN pip install -r requirements.txt` builds FROM the base image with no network at all."""
    dockerfile = (
        "ARG BASE_IMAGE=python:3.11-slim\n"
        "FROM ${BASE_IMAGE}\n"
        "COPY requirements.txt /tmp/requirements.txt\n"
        "RUN pip install -r /tmp/requirements.txt\n"
    )
    requirements = "numpy\npyyaml\npillow\npydicom\ntorch\ntyper\njsonschema\n"
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, text in {"Dockerfile": dockerfile, "requirements.txt": requirements}.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)

    tag = f"medcube-test/offline-pip:{uuid.uuid4().hex[:12]}"
    try:
        docker_client.images.build(
            fileobj=context,
            custom_context=True,
            tag=tag,
            buildargs={"BASE_IMAGE": base_image},
            network_mode="none",
            rm=True,
            forcerm=True,
        )
    finally:
        try:
            docker_client.images.remove(tag, force=True)
        except Exception:
            pass
